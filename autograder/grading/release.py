"""`python -m autograder release DIR`: the repository students clone.

It holds what a student needs to work and check: exercises/ (and notebooks/ when
generated), the autograder with its public checks, data/ without its held-out files
(data/heldout/: what `grade` scores accuracy on, autograder/heldout.py) and the project
files, with a README (English and Chinese) and a Makefile written for students (autograder/templates/
student/: how to start, check, watch, notebooks, hints, language; every target works
there). It leaves out solutions/, the hidden checks (autograder/checks/hidden/, and their
entries in the course map), the course's own tests, benchmarks and the instructor's README.
A platform's files (the classroom-resources workflow, Classroom 50's entry point) come as
`extras` from autograder/platforms/, which grading does not import. Afterwards it verifies that no solution marker and no hidden
check name made it in, and that no file holds the bytes of a held-out one. `lang="zh"`
releases the Chinese course: the lesson text of exercises/ and notebooks/ in Chinese
(autograder/lessons.py), chosen for the students.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
from pathlib import Path

from autograder import COURSE_ROOT, heldout
from autograder.course import Course, load_course, parse_course

INCLUDE = ["exercises", "notebooks", "autograder", "data", "pyproject.toml", "requirements.lock", ".gitignore", "LICENSE"]
STUDENT_FILES = Path(__file__).resolve().parent.parent / "templates" / "student"   # README.md, README.zh.md, Makefile
# A student's (or the instructor's) watch progress and reset backups never ship.
EXCLUDE_DIRS = {"__pycache__", "hidden", ".ipynb_checkpoints", ".pytest_cache", ".course-progress.json", ".course-backups"}
SOLUTION_MARKER = "### BEGIN SOLUTION"
HELD_OUT = heldout.FOLDER.relative_to(COURSE_ROOT)   # data/heldout: the grader's only


def strip_hidden(text: str) -> str:
    """The course map without its `hidden = true` checks: the file is cut into tables at
    each `[...]`/`[[...]]` header and hidden check tables are dropped, comments kept."""
    blocks = re.split(r"(?m)^(?=\s*\[)", text)
    kept = [block for block in blocks
            if not (block.lstrip().startswith("[[topic.exercise.check]]")
                    and re.search(r"(?m)^\s*hidden\s*=\s*true\b", block))]
    return "".join(kept)


def student_file(name: str, course: Course) -> str:
    """A file of the student release from its template; `@TOPICS@` becomes the rows of the
    README's topic table, from the course map, in the README's language."""
    text = (STUDENT_FILES / name).read_text(encoding="utf-8")
    lang = "zh" if name.endswith(".zh.md") else "en"
    rows = "\n".join(f"| {topic.id} | `{topic.file}` | {topic.title[lang]} |" for topic in course.topics)
    return text.replace("@TOPICS@", rows)


def release(target: Path, root: Path = COURSE_ROOT, lang: str = "en", extras: tuple = ()) -> list[Path]:
    """Write the students' repository at `target`; each of `extras` (a platform's files,
    platforms.release_files) is called as `extra(target, released_course)` and returns
    the path it wrote."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise SystemExit(f"{target} exists and is not empty")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in INCLUDE:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=lambda folder, names: [
                n for n in names if n in EXCLUDE_DIRS or n.endswith(".pyc")
                or (Path(folder) / n).relative_to(root) == HELD_OUT])
        elif source.is_file():
            shutil.copy2(source, target / name)
        else:
            continue
        written.append(target / name)
    course_map = strip_hidden((root / "course.toml").read_text(encoding="utf-8"))
    (target / "course.toml").write_text(course_map, encoding="utf-8")
    written.append(target / "course.toml")
    released = parse_course(tomllib.loads(course_map))
    for name in ("README.md", "README.zh.md", "Makefile"):
        (target / name).write_text(student_file(name, released), encoding="utf-8")
        written.append(target / name)
    if lang != "en":
        _translate_lessons(target, lang)
    written += [extra(target, released) for extra in extras]
    _verify(target, root, course_map)
    return written


def _translate_lessons(target: Path, lang: str) -> None:
    """The lesson text of the released exercises/ and notebooks/ in `lang`, saved as the
    students' choice (so that their locale does not switch it back on first use)."""
    from autograder.selfstudy.language import save_choice, switch_course

    failed = [outcome.path for outcome in switch_course(lang, target / "exercises", target / "notebooks")
              if outcome.message not in ("switched", "unchanged")]
    if failed:
        raise RuntimeError(f"could not translate {', '.join(map(str, failed))}")
    save_choice(target / "exercises", lang)


def _verify(target: Path, root: Path, course_map: str) -> None:
    """Fail loudly rather than publish a solution or a hidden check."""
    full = load_course(root / "course.toml")
    released = parse_course(tomllib.loads(course_map))
    hidden = {check.id for check in full.checks if check.hidden}
    public = {check.id for check in full.checks if not check.hidden}
    if {check.id for check in released.checks} != public:
        raise RuntimeError("the released course map does not hold exactly the public checks")
    hidden_names = {check_id.split("::")[1] for check_id in hidden}
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".toml", ".md"):
            text = path.read_text(encoding="utf-8", errors="replace")
            if SOLUTION_MARKER in text and path.relative_to(target).parts[0] in ("exercises", "notebooks", "data"):
                raise RuntimeError(f"{path} contains a solution ({SOLUTION_MARKER})")
            leaked = [name for name in hidden_names if name in text]
            if leaked:
                raise RuntimeError(f"{path} names hidden checks: {', '.join(leaked)}")
    if (target / "solutions").exists() or (target / "autograder" / "checks" / "hidden").exists():
        raise RuntimeError("solutions/ or the hidden checks were copied")
    held_out = set(heldout.listed_sums(root / HELD_OUT).values())
    for path in target.rglob("*"):
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() in held_out:
            raise RuntimeError(f"{path} is a held-out file ({HELD_OUT}): it must never be released")
    if (target / HELD_OUT).exists():
        raise RuntimeError(f"{HELD_OUT} was copied")
