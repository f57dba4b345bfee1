"""`python -m autograder language zh` (or `en`): the course's lesson text in one language.

It rewrites the lesson text of the exercise files (exercises/, or `--submission DIR`) and
of the notebooks (notebooks/) in place: every paragraph that is still the course's text,
in either language, is written in the chosen one (autograder/lessons.py); every line of
code and every paragraph the student edited stays byte for byte. Switching en -> zh -> en
gives back the files as they were.

The choice is saved with the course progress (`.course-progress.json`, selfstudy/state.py)
and is the default language of every later command (`--lang` overrides it for one
command). Before any choice the locale decides, once: the first self-study command run
on the course's own exercises/ with a Chinese locale switches them to Chinese and saves
that (`first_use`).
"""
from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


from autograder import COURSE_ROOT
from autograder.course import Topic, load_course
from autograder.i18n import LANGUAGES, Texts, N_, locale_language
from autograder.lessons import Lessons
from autograder.selfstudy.state import Progress

NOTEBOOKS = COURSE_ROOT / "notebooks"
EXERCISES = COURSE_ROOT / "exercises"
MAX_BYTES = 4 * 1024 * 1024   # a lesson file is a few kB; anything larger is not one of ours

UI = Texts(
    switched=N_("{file}: lesson text in {language}"),
    unchanged=N_("{file}: already in {language}"),
    not_utf8=N_("{file}: not saved as UTF-8, left as it is (save it as UTF-8 and run this again)"),
    unreadable=N_("{file}: could not be read ({reason}), left as it is"),
    not_notebook=N_("{file}: not a notebook JSON file, left as it is"),
    skipped_link=N_("{file}: a symbolic link, left as it is"),
    no_folder=N_("{folder}: no such folder"),
    saved=N_("Lessons are now in {language}; every command speaks {language} unless given --lang."),
    first_use=N_("Your locale is Chinese, so the lesson text of {folder} is now in Chinese. "
                 "`python -m autograder language en` switches it back."),
    en=N_("English"),
    zh=N_("Chinese"),
)


@dataclass
class Outcome:
    path: Path
    message: str        # a key of UI
    reason: str = ""

    @property
    def changed(self) -> bool:
        return self.message == "switched"


def switch_python(text: str, topic: Topic, lang: str) -> str:
    return Lessons.of(topic).python(text, lang)


def switch_notebook(text: str, topic: Topic, lang: str) -> str:
    """The notebook JSON `text` with its lesson text in `lang` (outputs, metadata and code
    kept); `text` itself when nothing changes. ValueError when it is not a notebook."""
    import nbformat  # here, not at the top: its import costs seconds, and every command's
                     # first step (the saved language) imports this module
    try:
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        cells = list(notebook.cells)
    except Exception as error:   # nbformat raises JSON, validation and attribute errors alike
        raise ValueError(str(error)) from error
    lessons, changed = Lessons.of(topic), False
    for cell in cells:
        if not isinstance(cell.get("source"), str) or cell.get("cell_type") not in ("code", "markdown"):
            continue
        render = lessons.python if cell.cell_type == "code" else lessons.markdown
        new = render(cell.source, lang)
        if new != cell.source:
            cell.source, changed = new, True
    if not changed:
        return text
    return nbformat.writes(notebook) + ("\n" if text.endswith("\n") else "")


def _write(path: Path, text: str) -> None:
    """Replace `path` in one step (never a half-written lesson file), keeping its mode."""
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def switch_file(path: Path, topic: Topic, lang: str) -> Outcome:
    """Switch one exercise file (.py) or notebook (.ipynb) to `lang`, in place."""
    if path.is_symlink():
        return Outcome(path, "skipped_link")
    try:
        if path.stat().st_size > MAX_BYTES:
            return Outcome(path, "unreadable", f"larger than {MAX_BYTES // 2**20} MiB")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return Outcome(path, "not_utf8")
    except OSError as error:
        return Outcome(path, "unreadable", error.strerror or type(error).__name__)
    try:
        new = switch_notebook(text, topic, lang) if path.suffix == ".ipynb" else switch_python(text, topic, lang)
    except ValueError:
        return Outcome(path, "not_notebook")
    if new == text:
        return Outcome(path, "unchanged")
    _write(path, new)
    return Outcome(path, "switched")


def switch_course(lang: str, folder: Path = EXERCISES, notebooks: Path | None = NOTEBOOKS) -> list[Outcome]:
    """Every topic's exercise file in `folder` and notebook in `notebooks` that exists."""
    outcomes = []
    for topic in load_course().topics:
        candidates = [folder / topic.file] + ([notebooks / topic.notebook_file] if notebooks else [])
        outcomes += [switch_file(path, topic, lang) for path in candidates if os.path.lexists(path)]
    return outcomes


def save_choice(folder: Path, lang: str) -> None:
    progress = Progress.load(folder)
    progress.language = lang
    progress.save()


def saved_choice(folder: Path) -> str | None:
    return Progress.load(folder).language


def first_use(folder: Path, notebooks: Path | None = NOTEBOOKS, course_folder: Path = EXERCISES) -> str:
    """The language of a command run on `folder` without --lang: the saved choice; else the
    locale's, which, for the course's own exercises/, is then applied and saved (once)."""
    saved = saved_choice(folder)
    if saved in LANGUAGES:
        return saved
    lang = locale_language()
    if Path(folder).resolve() == Path(course_folder).resolve() and Path(folder).is_dir():
        if lang != "en" and any(outcome.changed for outcome in switch_course(lang, folder, notebooks)):
            print(UI[lang]["first_use"].format(folder=folder), file=sys.stderr)
        save_choice(folder, lang)
    return lang


def describe(outcome: Outcome, lang: str) -> str:
    """One line about `outcome`, in `lang` (the language just chosen)."""
    path = outcome.path.absolute()
    shown = path.relative_to(COURSE_ROOT) if path.is_relative_to(COURSE_ROOT) else outcome.path
    return UI[lang][outcome.message].format(file=shown, language=UI[lang][lang], reason=outcome.reason)


def cmd_language(args) -> int:
    lang = args.language
    notebooks = args.notebooks if args.notebooks and args.notebooks.is_dir() else None
    if not args.submission.is_dir():
        print(UI[lang]["no_folder"].format(folder=args.submission), file=sys.stderr)
        return 2
    outcomes = switch_course(lang, args.submission, notebooks)
    for outcome in outcomes:
        print(describe(outcome, lang), file=sys.stdout if outcome.message in ("switched", "unchanged")
              else sys.stderr)
    save_choice(args.submission, lang)
    print(UI[lang]["saved"].format(language=UI[lang][lang]))
    return 1 if any(outcome.message not in ("switched", "unchanged") for outcome in outcomes) else 0
