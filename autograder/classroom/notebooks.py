"""Notebooks for JupyterLab, generated from solutions/ (nobody edits them by hand).

The pipeline reuses `autograder.generate`: read a solution with jupytext (lesson text as
markdown cells, code as code cells), clear its solutions with nbgrader's `ClearSolutions`
(blanks exactly as in exercises/), then add the classroom cells:

- a set-up cell that imports `check` and TensorFlow (without its start-up log);
- after the cell that defines an exercise, a check cell `check("e01", "standardize")`;
- the topic's pictures (`frame.PICTURES`): matplotlib cells that draw the student's own
  results, placed after an exercise's check cell;
- at the end, `check("e01")` for the whole topic.

Every generated cell carries its role as a cell tag (`course-setup`, `course-check`, ...;
`frame.role_of` reads it back), so that grading a handed-in notebook drops the cells the course
added by what they are, not by what they say (grading/notebook_module.py).

Topics come from the course map, so a new topic's notebook appears with its solution file.
`nbgrader_course.py` builds its notebooks from the same cells (`topic_cells`).

    python -m autograder generate             # exercises/ and notebooks/
    python -m autograder generate --check     # exit 1 if either has drifted
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograder import COURSE_ROOT
from autograder.course import Topic, load_course
from autograder.generate import clear_solutions, read_solution
from autograder.classroom.frame import CHECK_ALL, PICTURES, SETUP, role_tag
from autograder.lessons import Lessons

NOTEBOOKS = COURSE_ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

def defined_names(source: str) -> list[str]:
    """The functions, classes and variables a code cell defines at its top level, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a magic or a broken cell: no definitions to find
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [target.id for target in targets if isinstance(target, ast.Name)]
    return names


def _is_solution(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source


@dataclass
class Cell:
    """A cell of a topic's notebook and its role: "lesson", "setup", "solution" (a code
    cell with a blank), "check" (of `exercise`), "picture" or "check_all"; the role is
    also written into the cell's tags."""
    cell: NotebookNode
    role: str
    exercise: str | None = None

    def __post_init__(self):
        self.cell.metadata["tags"] = [role_tag(self.role)]


def topic_cells(topic: Topic, with_solutions: bool = False, lang: str = "en") -> list[Cell]:
    """The cells of `topic`'s notebook, from its solution file (blanks cleared unless
    `with_solutions`), with set-up, check and picture cells added; lesson text in `lang`."""
    cells = _english_cells(topic, with_solutions)
    if lang == "en":  # the source itself, not the catalogue's copy of it
        return cells
    lessons = Lessons.of(topic)
    for item in cells:
        render = lessons.python if item.cell.cell_type == "code" else lessons.markdown
        item.cell.source = render(item.cell.source, lang)
    return cells


def _english_cells(topic: Topic, with_solutions: bool) -> list[Cell]:
    source = read_solution(topic.solution)
    roles = ["solution" if _is_solution(cell) else "lesson" for cell in source.cells]
    notebook = source if with_solutions else clear_solutions(source)
    exercises = [exercise.name for exercise in topic.exercises]
    pictures = PICTURES.get(topic.id, [])
    cells: list[Cell] = []
    for index, (cell, role) in enumerate(zip(notebook.cells, roles)):
        cell = new_code_cell(cell.source) if cell.cell_type == "code" else new_markdown_cell(cell.source)
        cells.append(Cell(cell, role))
        if index == 0:
            cells.append(Cell(new_code_cell(SETUP), "setup"))
        if cell.cell_type != "code":
            continue
        for name in defined_names(cell.source):
            if name in exercises:
                cells.append(Cell(new_code_cell(f'check("{topic.id}", "{name}")'), "check", name))
                for picture in pictures:
                    if picture.after == name:
                        cells.append(Cell(new_markdown_cell(picture.markdown), "picture", name))
                        cells.append(Cell(new_code_cell(picture.code), "picture", name))
    cells.append(Cell(new_markdown_cell(CHECK_ALL), "check_all"))
    cells.append(Cell(new_code_cell(f'check("{topic.id}")'), "check_all"))
    return cells


def new_notebook(cells: list[NotebookNode], prefix: str) -> NotebookNode:
    """A notebook with stable cell ids, so that regenerating it changes no byte."""
    notebook = nbformat.v4.new_notebook(cells=cells)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"{prefix}-{index:02d}"
    notebook.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    return notebook


def notebook_text(topic: Topic, lang: str = "en") -> str:
    notebook = new_notebook([cell.cell for cell in topic_cells(topic, lang=lang)], topic.id)
    return nbformat.writes(notebook) + "\n"


def topics_with_solutions() -> list[Topic]:
    return [topic for topic in load_course().topics if topic.solution.exists()]


def notebook_path(topic: Topic, folder: Path = NOTEBOOKS) -> Path:
    return folder / topic.notebook_file


def drifted(folder: Path = NOTEBOOKS, lang: str = "en") -> list[str]:
    """Notebooks that differ from what the solutions generate in `lang` (or are missing)."""
    return [notebook_path(topic, folder).name for topic in topics_with_solutions()
            if not notebook_path(topic, folder).exists()
            or notebook_path(topic, folder).read_text(encoding="utf-8") != notebook_text(topic, lang)]


def generate(folder: Path = NOTEBOOKS, lang: str = "en") -> list[Path]:
    folder.mkdir(exist_ok=True)
    written = []
    for topic in topics_with_solutions():
        path = notebook_path(topic, folder)
        path.write_text(notebook_text(topic, lang), encoding="utf-8")
        written.append(path)
    return written
