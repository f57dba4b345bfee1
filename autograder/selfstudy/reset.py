"""Puts one exercise of a submission file back to its blank, keeping a backup.

    result = reset_exercise(Path("exercises"), topic, "standardize")
    result.backup       # .course-backups/e01_tensors-20261125-183000.py

Only the exercise's top-level definition (`def`, `class` or assignment, decorators
included) is replaced; the rest of the student's file stays. Where the blank comes from,
first that exists:

1. `solutions/` (the course repository): what `generate` writes, `exercise_text(solution)`;
2. the course's `exercises/` file, when the student works in another folder;
3. the course's git history of `exercises/<file>` (the student release has no solutions/
   and the student may have committed their work): the newest version in which this
   exercise is still a blank (it raises NotImplementedError);
4. the generated notebook `notebooks/<topic>.ipynb`, if the exercise is a blank there (a
   release downloaded without git); else the oldest committed version.

When the exercise cannot be found in the student's file (deleted, or the file does not
parse and no `def` line is left), the whole file is reset; the backup keeps everything.
"""
from __future__ import annotations

import ast
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import COURSE_ROOT
from autograder.course import Topic
from autograder.i18n import _
from autograder.lessons import Lessons
from autograder.selfstudy.state import Progress

BACKUPS = ".course-backups"


@dataclass
class ResetResult:
    path: Path
    backup: Path | None      # None when there was no file to keep
    whole_file: bool         # True when the whole file was replaced by its blank
    source: str              # where the blank came from
    changed: bool = True     # False when the exercise was still its blank: nothing written


def _definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node
    return found


def locate(source: str, name: str) -> tuple[int, int, ast.stmt | None] | None:
    """(first line, last line), 1-based, of the top-level definition of `name`, and its
    node; a text search when the file does not parse."""
    try:
        node = _definitions(ast.parse(source)).get(name)
    except (SyntaxError, ValueError):  # ValueError: bytes that are not UTF-8 (surrogate escapes)
        return _locate_text(source.splitlines(), name)
    if node is None:
        return None
    start = min([node.lineno] + [decorator.lineno for decorator in getattr(node, "decorator_list", [])])
    return start, node.end_lineno, node


def _locate_text(lines: list[str], name: str) -> tuple[int, int, None] | None:
    """For a file with a syntax error: from `def name`/`class name` (and its decorators) to
    the line before the next top-level statement or cell marker."""
    head = re.compile(rf"^(async\s+def|def|class)\s+{re.escape(name)}\b")
    for index, line in enumerate(lines):
        if head.match(line):
            start = index
            while start > 0 and lines[start - 1].startswith("@"):
                start -= 1
            end = index
            for following in range(index + 1, len(lines)):
                text = lines[following]
                if text.strip() and not text[0].isspace() and (not text.startswith("#") or text.startswith("# %%")):
                    break
                if text.strip():
                    end = following
            return start + 1, end + 1, None
    return None


def is_blank_definition(node: ast.stmt | None) -> bool:
    """The definition raises NotImplementedError somewhere: nbgrader's blank, read from the
    source (engine/verdict.py's `is_blank` decides from a run's traceback instead)."""
    if node is None:
        return False
    for inner in ast.walk(node):
        if isinstance(inner, ast.Raise) and inner.exc is not None:
            exc = inner.exc.func if isinstance(inner.exc, ast.Call) else inner.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
    return False


def _git_versions(relative: str) -> list[str]:
    """Texts of `relative` in the course's git history, newest first ([] without git)."""
    try:
        log = subprocess.run(["git", "-C", str(COURSE_ROOT), "log", "--format=%H", "-n", "200", "--", relative],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    texts = []
    for commit in log.stdout.split():
        shown = subprocess.run(["git", "-C", str(COURSE_ROOT), "show", f"{commit}:{relative}"],
                               capture_output=True, text=True, timeout=30)
        if shown.returncode == 0:
            texts.append(shown.stdout)
    return texts


def blank_file(topic: Topic, student_file: Path | None = None, *, solutions: Path | None = None,
               exercises: Path | None = None, exercise: str | None = None) -> tuple[str, str]:
    """(text, source) of the blank file of `topic`; when `exercise` is given, a source in
    which that exercise is a blank. `solutions`/`exercises` default to the course's."""
    solutions = COURSE_ROOT / "solutions" if solutions is None else solutions
    exercises = COURSE_ROOT / "exercises" if exercises is None else exercises
    if (solutions / topic.file).is_file():
        from autograder.generate import exercise_text  # jupytext and nbgrader: only when needed
        return exercise_text(solutions / topic.file), f"generated from solutions/{topic.file}"

    def fits(text: str) -> bool:
        if exercise is None:
            return True
        found = locate(text, exercise)
        return found is not None and is_blank_definition(found[2])

    committed = exercises / topic.file
    if committed.is_file() and (student_file is None or committed.resolve() != Path(student_file).resolve()):
        text = committed.read_text(encoding="utf-8")
        if fits(text):
            return text, f"the course's exercises/{topic.file}"
    try:
        relative = str(committed.resolve().relative_to(COURSE_ROOT))
    except ValueError:
        relative = None
    versions = _git_versions(relative) if relative else []
    for text in versions:
        if fits(text):
            return text, f"git history of {relative}"
    notebook = exercises.parent / "notebooks" / topic.notebook_file
    if exercise is not None and notebook.is_file():  # a release downloaded without git
        import jupytext

        text = jupytext.writes(jupytext.read(notebook), fmt="py:percent")
        if fits(text):
            return text, f"notebooks/{notebook.name}"
    if versions:
        return versions[-1], f"the first committed {relative}"
    raise FileNotFoundError(_("no blank of {file} found (no solutions/, exercises/, git history or notebook)",
                              file=topic.file))


def _backup(path: Path, folder: Path) -> Path:
    backups = folder / BACKUPS
    backups.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = backups / f"{path.stem}-{stamp}.py"
    counter = 1
    while target.exists():
        counter += 1
        target = backups / f"{path.stem}-{stamp}-{counter}.py"
    target.write_bytes(path.read_bytes())
    return target


def reset_exercise(folder: Path, topic: Topic, exercise: str, **sources) -> ResetResult:
    """Replace `exercise` in `folder`'s file of `topic` by its blank (see the module doc).
    When that changes nothing (the exercise is still its blank), nothing is written and
    no backup is made."""
    path = Path(folder) / topic.file
    blank, source = blank_file(topic, path, exercise=exercise, **sources)
    lesson_language = Progress.load(Path(folder)).language  # set by `language zh`: the lessons speak it
    if lesson_language and lesson_language != "en":
        blank = Lessons.of(topic).python(blank, lesson_language)
    # A file that is not UTF-8 keeps its bytes outside the exercise (and in the backup).
    current = path.read_text(encoding="utf-8", errors="surrogateescape") if path.is_file() else None
    mine = locate(current, exercise) if current is not None else None
    theirs = locate(blank, exercise)
    whole_file = mine is None or theirs is None
    if whole_file:
        text = blank
    else:
        lines = current.splitlines(keepends=True)
        replacement = blank.splitlines(keepends=True)[theirs[0] - 1:theirs[1]]
        if replacement and not replacement[-1].endswith("\n"):
            replacement[-1] += "\n"
        lines[mine[0] - 1:mine[1]] = replacement
        text = "".join(lines)
    if text == current:
        return ResetResult(path, None, False, source, changed=False)
    backup = _backup(path, Path(folder)) if path.is_file() else None
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    return ResetResult(path, backup, whole_file, source)
