"""Stubs in every place a new exercise or topic needs, so that nothing is forgotten.

    python -m autograder new-exercise e01 clip_norm --signature "(x, limit)"
    python -m autograder new-topic e10 datasets --notes-section 11

`new-exercise` appends to the topic's files, in course order: the solution cell (a blank
between `### BEGIN/END SOLUTION`), the course map entry (points, a summary and hints, in
English: `make catalogues` adds them to the Chinese catalogue to translate), a probe, a
check, two catalogued mistakes and an alternative correct version in each of the topic's
alternatives files. `new-topic` creates those files with their
headers and the topic's course map entry. Both then regenerate exercises/ and notebooks/.
Every stub carries the marker `TODO(scaffold)`: the course's tests fail until each is
filled (`unfilled` lists them, with the file and line). The templates are in
`autograder/templates/scaffold/`; the paths come from `course.Topic`.
"""
from __future__ import annotations

import keyword
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from autograder.course import Course, Topic, load_course, parse_course
from autograder.i18n import N_, _

MARKER = "TODO(scaffold)"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "scaffold"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_SIGNATURE = re.compile(r"\((?:\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=\s*[-\w.]+\s*)?,?)*\s*\)")

# What the scaffold says (English msgids, translated where shown: autograder/locale).
MESSAGES = {
    "bad_name": N_("{what} {value!r} must be a lower-case Python name (letters, digits, _), not a keyword"),
    "bad_id": N_("a topic id is e and two digits, like e10, not {value!r}"),
    "bad_signature": N_("--signature must be a parameter list like \"(x, limit=1.0)\", not {value!r}"),
    "exercise_exists": N_("the exercise {value!r} already exists in {where}"),
    "topic_exists": N_("the topic {value!r} already exists in {where}"),
    "file_exists": N_("the file {value!r} already exists in {where}"),
    "exercise_name": N_("an exercise name"),
    "topic_slug": N_("a topic slug"),
    "wrote": N_("wrote {path}"),
    "next": N_("Now replace every {marker} in the files above (`python -m autograder todo` lists them), "
            "run `make generate`, then `make catalogues` and translate the new entries of "
            "autograder/locale/zh_CN/LC_MESSAGES/ (the tests name each one missing), and `make test`."),
}


class ScaffoldError(ValueError):
    """The request cannot be scaffolded (a bad or taken name); nothing was written."""


@dataclass
class Written:
    """The files one scaffold command touched, relative to the course root."""
    root: Path
    paths: list[Path] = field(default_factory=list)

    def add(self, path: Path) -> None:
        if path not in self.paths:
            self.paths.append(path)

    def relative(self) -> list[str]:
        return [path.relative_to(self.root).as_posix() for path in self.paths]


def _render(template: str, **fields: str) -> str:
    return Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(fields)


def _append(path: Path, text: str, written: Written) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(existing.rstrip("\n") + "\n" + text if existing else text.lstrip("\n"), encoding="utf-8")
    written.add(path)


def _check_name(what: str, value: str) -> str:
    if not _NAME.fullmatch(value) or keyword.iskeyword(value):
        raise ScaffoldError(_(MESSAGES["bad_name"], what=_(MESSAGES[what]), value=value))
    return value


def _insert_into_topic(course_map: Path, topic: Topic, block: str) -> str:
    """The course map's text with `block` after the last line of `topic`'s table."""
    text = course_map.read_text(encoding="utf-8")
    start = re.search(rf'(?m)^\[\[topic\]\]\s*\nid = "{re.escape(topic.id)}"', text)
    if start is None:
        raise ScaffoldError(f"{topic.id} is not written as [[topic]] then id = \"{topic.id}\" in {course_map.name}")
    following = re.search(r"(?m)^\[\[topic\]\]", text[start.end():])
    end = start.end() + following.start() if following else len(text)
    head, tail = text[:end].rstrip("\n"), text[end:]
    return head + "\n" + block.rstrip("\n") + "\n" + ("\n" + tail if tail else "")


def new_exercise(topic_key: str, name: str, signature: str = "(x)", course: Course | None = None) -> Written:
    """Stub the exercise `name` of a topic in every place it needs, and regenerate."""
    course = course or load_course()
    topic = course.topic(topic_key)
    _check_name("exercise_name", name)
    if not _SIGNATURE.fullmatch(signature):
        raise ScaffoldError(_(MESSAGES["bad_signature"], value=signature))
    if any(exercise.name == name for exercise in topic.exercises):
        raise ScaffoldError(_(MESSAGES["exercise_exists"], value=name, where=topic.id))
    check = f"test_{name}_matches_the_reference"
    fields = {"name": name, "signature": signature, "check": check, "module": topic.module,
              "check_file": topic.check_module.relative_to(topic.root).as_posix()}
    course_map = topic.root / "course.toml"
    new_map = _insert_into_topic(course_map, topic, _render("exercise_course.toml.tmpl", **fields))
    try:
        parse_course(tomllib.loads(new_map), topic.root)  # the map still parses
    except (ValueError, KeyError) as broken:  # tomllib.TOMLDecodeError is a ValueError
        raise ScaffoldError(f"course.toml would not parse with the new entry: {broken}") from None

    written = Written(topic.root)
    course_map.write_text(new_map, encoding="utf-8")
    written.add(course_map)
    _append(topic.solution, _render("exercise_solution.py.tmpl", **fields), written)
    _append(topic.probe_file, _render("exercise_probe.py.tmpl", **fields), written)
    _append(topic.check_module, _render("exercise_check.py.tmpl", **fields), written)
    _append(topic.mistakes_file, _render("exercise_mistakes.toml.tmpl", **fields), written)
    for path in topic.alternatives_files:
        if path.exists() or path == topic.alternatives_file:
            _append(path, _render("exercise_alternative.py.tmpl", **fields), written)
    _regenerate(topic.root, written)
    load_course.cache_clear()
    return written


def new_topic(topic_id: str, slug: str, notes_section: str = "", course: Course | None = None) -> Written:
    """Stub a new topic (its files and its course map entry, after the last topic)."""
    course = course or load_course()
    if not re.fullmatch(r"e\d\d", topic_id):
        raise ScaffoldError(_(MESSAGES["bad_id"], value=topic_id))
    _check_name("topic_slug", slug)
    for topic in course.topics:
        if topic_id == topic.id or slug == topic.slug:
            raise ScaffoldError(_(MESSAGES["topic_exists"], value=f"{topic_id} {slug}", where="course.toml"))
    root = course.topics[0].root if course.topics else load_course().topics[0].root
    topic = Topic(id=topic_id, slug=slug, title={}, notes_section=notes_section, root=root)
    existing = [path for path in (topic.solution, topic.probe_file, topic.check_module, topic.mistakes_file,
                                  topic.alternatives_file) if path.exists()]
    if existing:
        raise ScaffoldError(_(MESSAGES["file_exists"], value=existing[0].name, where=existing[0].parent.as_posix()))
    fields = {"id": topic_id, "slug": slug, "module": topic.module, "notes_section": notes_section or "?"}
    written = Written(root)
    _append(root / "course.toml", _render("topic_course.toml.tmpl", **fields), written)
    for path, template in ((topic.solution, "topic_solution.py.tmpl"), (topic.probe_file, "topic_probe.py.tmpl"),
                           (topic.check_module, "topic_check.py.tmpl"),
                           (topic.mistakes_file, "topic_mistakes.toml.tmpl"),
                           (topic.alternatives_file, "topic_alternative.py.tmpl")):
        _append(path, _render(template, **fields), written)
    _regenerate(root, written)
    load_course.cache_clear()
    return written


def _regenerate(root: Path, written: Written) -> None:
    """exercises/ and notebooks/ from solutions/, as `make generate` does."""
    from autograder import COURSE_ROOT
    if root.resolve() != COURSE_ROOT:
        return  # generate() writes this checkout's folders: run `make generate` in the other one
    from autograder.classroom import notebooks
    from autograder.generate import generate

    load_course.cache_clear()
    folders = (root / "exercises", root / "notebooks")
    before = {path: path.read_bytes() for folder in folders if folder.is_dir() for path in folder.iterdir()
              if path.is_file()}
    for path in generate() + notebooks.generate():
        if before.get(path) != path.read_bytes():  # only what the new stubs changed
            written.add(path)


def unfilled(root: Path | None = None) -> list[str]:
    """Every stub still to fill in the course's own files: "path:line: text"."""
    course = load_course() if root is None else load_course(root / "course.toml")
    root = course.topics[0].root if course.topics else Path(".")
    paths = [root / "course.toml"]
    for topic in course.topics:
        paths += [topic.solution, topic.probe_file, topic.check_module, topic.mistakes_file, *topic.alternatives_files]
    found = []
    for path in dict.fromkeys(paths):
        if path.is_file():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if MARKER in line:
                    found.append(f"{path.relative_to(root).as_posix()}:{number}: {line.strip()[:120]}")
    return found


# -- the command line -----------------------------------------------------------------------
def _report(run) -> int:
    import sys

    try:
        written = run()
    except (ScaffoldError, KeyError) as refused:
        print(refused.args[0], file=sys.stderr)
        return 2
    for path in written.relative():
        print(_(MESSAGES["wrote"], path=path))
    print(_(MESSAGES["next"], marker=MARKER))
    return 0


def cmd_new_exercise(args) -> int:
    return _report(lambda: new_exercise(args.topic, args.name, args.signature))


def cmd_new_topic(args) -> int:
    return _report(lambda: new_topic(args.id, args.slug, args.notes_section))


def cmd_todo(args) -> int:
    stubs = unfilled()
    for stub in stubs:
        print(stub)
    return 1 if stubs else 0


def add_commands(commands) -> None:
    """`new-exercise`, `new-topic` and `todo` (for whoever writes the course)."""
    exercise = commands.add_parser("new-exercise", help=_("stub a new exercise of a topic in every place it needs"))
    exercise.add_argument("topic", help=_("topic id or name (e01, tensors, ...)"))
    exercise.add_argument("name", help=_("the exercise's Python name, e.g. clip_norm"))
    exercise.add_argument("--signature", default="(x)", help=_('its parameters, e.g. "(x, limit=1.0)" (default "(x)")'))
    exercise.set_defaults(run=cmd_new_exercise)
    topic = commands.add_parser("new-topic", help=_("stub a new topic's files and course map entry"))
    topic.add_argument("id", help=_("e and two digits, e.g. e10"))
    topic.add_argument("slug", help=_("its file name part, e.g. datasets (the file is e10_datasets.py)"))
    topic.add_argument("--notes-section", default="", help=_("the notes' section it follows"))
    topic.set_defaults(run=cmd_new_topic)
    todo = commands.add_parser("todo", help=_("list the scaffold's stubs still to fill ({marker}); exit 1 if any", marker=MARKER))
    todo.set_defaults(run=cmd_todo)
