"""Generates the student's exercise files from solutions/ (nobody edits them by hand).

The pipeline: read a solution with jupytext (percent format: one `.py` is both a module
and a notebook), clear every `### BEGIN SOLUTION` ... `### END SOLUTION` region with
nbgrader's own `ClearSolutions` (which leaves `raise NotImplementedError()`), and write
the result back as a percent-format `.py`.

    python -m autograder generate            # rewrite exercises/
    python -m autograder generate --check    # exit 1 if exercises/ has drifted

`lang="zh"` gives the Chinese rendering: the same source with its lesson text taken from
the topic's catalogue (autograder/lessons.py); exercises/ is committed in English.
"""
from __future__ import annotations

from pathlib import Path

import jupytext
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearSolutions

from autograder import COURSE_ROOT
from autograder.course import Topic, load_course
from autograder.lessons import Lessons

SOLUTIONS = COURSE_ROOT / "solutions"
EXERCISES = COURSE_ROOT / "exercises"
PY_FORMAT = "py:percent"


def read_solution(path: Path, lang: str = "en") -> NotebookNode:
    """A solution file as a notebook, its lesson text in `lang` (English is the file itself)."""
    text = path.read_text(encoding="utf-8")
    if lang != "en":
        text = Lessons.of(topic_of(path)).python(text, lang)
    notebook = jupytext.reads(text, fmt=PY_FORMAT)
    notebook.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    return notebook


def clear_solutions(notebook: NotebookNode) -> NotebookNode:
    """nbgrader's ClearSolutions; metadata is not enforced because these files are
    modules first (the nbgrader course marks its solution cells itself)."""
    cleared, _ = ClearSolutions(enforce_metadata=False).preprocess(notebook, {})
    return cleared


def topic_of(solution: Path) -> Topic:
    return next(topic for topic in load_course().topics if topic.file == solution.name)


def exercise_text(solution: Path, lang: str = "en") -> str:
    notebook = clear_solutions(read_solution(solution, lang))
    # No jupytext header: the exercise should read like its solution.
    notebook.metadata["jupytext"] = {"notebook_metadata_filter": "-all", "cell_metadata_filter": "-all"}
    return jupytext.writes(notebook, fmt=PY_FORMAT)


def solution_files() -> list[Path]:
    return [topic.solution for topic in load_course().topics if topic.solution.exists()]


def drifted(exercises: Path = EXERCISES, lang: str = "en") -> list[str]:
    """Exercise files that differ from what the solutions generate in `lang` (or are missing)."""
    stale = []
    for solution in solution_files():
        target = exercises / solution.name
        if not target.exists() or target.read_text(encoding="utf-8") != exercise_text(solution, lang):
            stale.append(target.name)
    return stale


def generate(exercises: Path = EXERCISES, lang: str = "en") -> list[Path]:
    exercises.mkdir(exist_ok=True)
    written = []
    for solution in solution_files():
        target = exercises / solution.name
        target.write_text(exercise_text(solution, lang), encoding="utf-8")
        written.append(target)
    return written
