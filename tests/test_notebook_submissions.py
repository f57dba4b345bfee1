"""Notebooks handed in as JupyterLab saves them are graded like the same code as .py files,
under `grade`, the Gradescope package and `check --submission FOLDER` (issue 21, part 1).

The notebooks are the real generated ones (notebooks/), their solution cells filled with
the reference, saved with what JupyterLab adds (execution counts, outputs, its metadata);
one is run for real in a kernel. The variants a class hands in: magics, a student's own
cells (one raising, one not compiling), cells moved around, a browser-renamed copy beside
the blank .py, a notebook from before cells had roles, and wrong answers that must fail.
"""
from __future__ import annotations

import ast
import base64
import csv
import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from autograder import COURSE_ROOT
from autograder.classroom.frame import role_of
from autograder.classroom.notebooks import topic_cells
from autograder.course import load_course
from autograder.grading import submissions as subs
from autograder.grading.notebook_module import notebook_to_module
from autograder.platforms import gradescope
from tests.conftest import EXERCISES, SOLUTIONS, run_check

COURSE = load_course()
TOPICS = [topic.id for topic in COURSE.topics]
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()


# -- notebooks as a student's JupyterLab saves them ----------------------------------------
def _outputs(role: str | None, count: int) -> list:
    """What running the cell left in it, as JupyterLab saves it."""
    if role == "setup":
        return [new_output("stream", name="stderr", text="2026-12-06 18:00:00.000000: I tensorflow/core ...\n")]
    if role in ("check", "check_all"):
        return [new_output("display_data", data={"text/html": "<b>✔ passed</b>", "text/plain": "passed"}),
                new_output("execute_result", data={"text/plain": "2.0"}, execution_count=count)]
    if role == "picture":
        return [new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure size 600x300>"})]
    return [new_output("stream", name="stdout", text="ok\n")]


def saved_by_jupyterlab(topic_id: str, *, solved: bool = True, tagged: bool = True) -> nbformat.NotebookNode:
    """notebooks/<topic>.ipynb with the reference typed into its solution cells (unless not
    `solved`), every cell run once and the notebook saved: execution counts, outputs,
    JupyterLab's metadata. `tagged=False`: as generated before cells had roles."""
    topic = COURSE.topic(topic_id)
    notebook = nbformat.read(topic.notebook, as_version=4)
    answers = iter([c.cell.source for c in topic_cells(topic, with_solutions=True) if c.role == "solution"])
    count = 0
    for cell in notebook.cells:
        role = role_of(cell)
        if role == "solution" and solved:
            cell.source = next(answers)
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            cell.outputs = _outputs(role, count)
            cell.metadata.update({"scrolled": True, "execution": {"iopub.status.busy": "2026-12-06T18:00:00.000Z"}})
        else:
            cell.metadata["jp-MarkdownHeadingCollapsed"] = False
        if not tagged:
            cell.metadata.pop("tags")
    notebook.metadata["language_info"] = {"codemirror_mode": {"name": "ipython", "version": 3}, "name": "python",
                                          "file_extension": ".py", "mimetype": "text/x-python", "version": "3.11.2",
                                          "nbconvert_exporter": "python", "pygments_lexer": "ipython3"}
    return notebook


def _write(notebook, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def _cell_index(notebook, role: str, exercise: str | None = None) -> int:
    """Index of the first cell with `role` (a solution cell: the one defining `exercise`)."""
    for index, cell in enumerate(notebook.cells):
        if role_of(cell) == role and (exercise is None or f"def {exercise}(" in cell.source
                                      or f"class {exercise}(" in cell.source):
            return index
    raise LookupError(role)


def _exercise_code(topic_id: str) -> str:
    """The solution file's code cells: what the same work as a .py file holds."""
    solution = jupytext.read(SOLUTIONS / COURSE.topic(topic_id).file)
    return "\n\n".join(cell.source for cell in solution.cells if cell.cell_type == "code")


# -- the conversion, topic by topic (no worker) -------------------------------------------
@pytest.mark.parametrize("topic_id", TOPICS)
def test_a_saved_notebook_becomes_exactly_the_code_of_the_exercise_file(topic_id):
    notebook = saved_by_jupyterlab(topic_id)
    converted = notebook_to_module(nbformat.writes(notebook).encode(), "x.ipynb", COURSE.topic(topic_id))
    assert ast.dump(ast.parse(converted.code)) == ast.dump(ast.parse(_exercise_code(topic_id)))
    module = ast.parse(converted.source)
    calls = {node.func.id for node in ast.walk(module) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert "check" not in calls and "quiet_tensorflow_start" not in calls and converted.notes == []
    imported = {alias.name for node in ast.walk(module) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names} | {node.module for node in ast.walk(module) if isinstance(node, ast.ImportFrom)}
    assert not any(name and name.startswith("autograder") for name in imported), "a generated cell was kept"


@pytest.mark.parametrize("topic_id", TOPICS)
def test_an_untagged_notebook_in_chinese_loses_exactly_the_generated_cells(topic_id):
    """As `language zh` wrote it before cells had roles: known by the generated text."""
    from autograder.classroom.notebooks import new_notebook
    topic = COURSE.topic(topic_id)
    cells = topic_cells(topic, with_solutions=True, lang="zh")
    for item in cells:
        item.cell.metadata.pop("tags")
    notebook = new_notebook([item.cell for item in cells], topic_id)
    converted = notebook_to_module(nbformat.writes(notebook).encode(), "x.ipynb", topic)
    kept = [item.cell.source for item in cells if item.role in ("lesson", "solution") and item.cell.cell_type == "code"]
    assert converted.code == "\n\n".join(kept) and "older version of the course" in converted.notes[0]


def test_every_generated_cell_carries_its_role_and_only_those():
    for topic in COURSE.topics:
        notebook = nbformat.read(topic.notebook, as_version=4)
        roles = [role_of(cell) for cell in notebook.cells]
        assert None not in roles and roles == [c.role for c in topic_cells(topic)]
    assert role_of(new_code_cell('check("e01", "describe")')) is None  # a student's own: never by its text


def test_magics_and_shell_escapes_are_left_out_by_ipythons_own_reading():
    notebook = saved_by_jupyterlab("e01")
    notebook.cells[2:2] = [new_code_cell("%matplotlib inline\n!pip install nothing\nfiles = !ls\nstandardize?"),
                           new_code_cell("%%time\nimport os\nos._exit(3)"),
                           new_code_cell("if True:\n    %time x = 1\ny = '''text\n%not a magic\n'''"),
                           new_code_cell("from __future__ import annotations")]
    converted = notebook_to_module(nbformat.writes(notebook).encode(), "e01_tensors.ipynb", COURSE.topic("e01"))
    assert "os._exit" not in converted.source and "%not a magic" in converted.source
    assert all(word not in converted.source for word in ("get_ipython", "pip install", "%matplotlib", "!ls", "__future__"))
    assert len(converted.notes) == 2 and "cell 4" in converted.notes[0] and "cell magic (%%time)" in converted.notes[0]
    assert "cell 6" in converted.notes[1] and "`from __future__` import" in converted.notes[1]
    compile(converted.source, "e01_tensors.py", "exec")


# -- the class: one run of `grade` -----------------------------------------------------------
def _variants(root: Path) -> dict[str, int]:
    """Student folders of e01 notebooks as a class hands them in, each with the points it deserves."""
    full = COURSE.topic("e01").max_points
    expected = {}

    def student(name: str, points: int) -> Path:
        expected[name] = points
        return root / name

    notebook = saved_by_jupyterlab("e01")
    notebook.cells[2:2] = [new_code_cell("%matplotlib inline\n!pip install nothing"), new_code_cell("%%time\nx = 1")]
    _write(notebook, student("magics", full) / "e01_tensors.ipynb")

    # A scratch cell that raises, one that does not compile, a check cell typed by hand:
    # each is reported, the exercises still count.
    notebook = saved_by_jupyterlab("e01")
    notebook.cells.insert(_cell_index(notebook, "check", None) + 1,
                          new_code_cell("print(describe(tf.constant(my_undefined_tensor)))"))
    notebook.cells.append(new_code_cell("def unfinished(:\n    pass"))
    notebook.cells.append(new_code_cell('check("e01", "describe", lang="zh")'))
    _write(notebook, student("scratch", full) / "e01_tensors.ipynb")

    # Definitions moved below every check cell, in reverse order; a new markdown cell on top.
    notebook = saved_by_jupyterlab("e01")
    moved = [cell for cell in notebook.cells if role_of(cell) == "solution"]
    notebook.cells = [new_markdown_cell("My notes")] + [c for c in notebook.cells if role_of(c) != "solution"] + moved[::-1]
    _write(notebook, student("reordered", full) / "e01_tensors.ipynb")

    # A browser's renamed copy beside the blank .py: the one with work is graded.
    folder = student("renamed", full)
    _write(saved_by_jupyterlab("e01"), folder / "e01_tensors (1).ipynb")
    (folder / "e01_tensors.py").write_bytes((EXERCISES / "e01_tensors.py").read_bytes())

    # The blank notebook beside the filled .py: the .py is graded.
    folder = student("blank_notebook", full)
    _write(saved_by_jupyterlab("e01", solved=False), folder / "e01_tensors.ipynb")
    (folder / "e01_tensors.py").write_bytes((SOLUTIONS / "e01_tensors.py").read_bytes())

    # The student's own cell says "autograder" and defines a helper their answer uses.
    notebook = saved_by_jupyterlab("e01")
    index = _cell_index(notebook, "solution", "describe")
    notebook.cells.insert(index, new_code_cell("# my helper, so the autograder gets plain ints\n"
                                               "def shape_of(t):\n    return tuple(int(n) for n in t.shape)"))
    notebook.cells[index + 1].source = "def describe(t):\n    return shape_of(t), t.dtype, t.numpy()"
    _write(notebook, student("own_words", full) / "e01_tensors.ipynb")

    # From a generation before cells had roles.
    _write(saved_by_jupyterlab("e01", tagged=False), student("untagged", full) / "e01_tensors.ipynb")

    # Wrong work must still lose its points: a later cell redefines standardize wrongly
    # (the standardize checks fail), and the blank notebook alone earns nothing.
    notebook = saved_by_jupyterlab("e01")
    notebook.cells.append(new_code_cell("def standardize(x):\n    return x - tf.reduce_mean(x, axis=0)"))
    standardize = sum(check.points for check in COURSE.topic("e01").checks if check.exercise == "standardize")
    _write(notebook, student("wrong", full - standardize) / "e01_tensors.ipynb")
    _write(saved_by_jupyterlab("e01", solved=False), student("blank", 0) / "e01_tensors (2).ipynb")
    return expected


def _grade(submissions: Path, out: Path, *topics: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out), "--jobs", "2"]
    return subprocess.run(command + (["--topics", *topics] if topics else []), cwd=COURSE_ROOT, capture_output=True,
                          text=True, timeout=1800)


def _graded(out: Path) -> dict[str, dict]:
    with open(out / "grades.csv", encoding="utf-8") as file:
        grades = {row["student"]: row for row in csv.DictReader(file)}
    with sqlite3.connect(out / "gradebook.db") as connection:
        for student, notes in connection.execute("SELECT student, notes FROM submissions"):
            grades[student]["notes"] = notes
    return grades


def test_a_class_of_e01_notebooks_gets_the_grade_each_deserves(traversable_tmp):
    submissions = traversable_tmp / "submissions"
    expected = _variants(submissions)
    done = _grade(submissions, traversable_tmp / "out", "e01")
    assert done.returncode == 0, done.stdout + done.stderr
    grades = _graded(traversable_tmp / "out")
    assert {student: int(row["total"]) for student, row in grades.items()} == expected, done.stdout
    notes = {student: row["notes"] for student, row in grades.items()}
    assert "graded e01_tensors (1).ipynb, the file with the most exercises worked on (also handed in: " \
           "e01_tensors.py)" in notes["renamed"]
    assert "graded e01_tensors.py" in notes["blank_notebook"] and "graded e01_tensors (2).ipynb" in notes["blank"]
    assert "cell magic (%%time)" in notes["magics"]
    assert "older version of the course" in notes["untagged"]
    scratch = notes["scratch"]
    assert "(def unfinished(:) was left out: SyntaxError" in scratch
    assert "raised NameError: name 'my_undefined_tensor' is not defined" in scratch
    assert "raised NameError: name 'check' is not defined" in scratch and scratch.count("that cell was skipped") == 2
    assert "my_undefined_tensor" not in notes["own_words"] and "skipped" not in notes["reordered"]


# -- the nine notebooks through each path ------------------------------------------------------
@pytest.fixture(scope="module")
def kernel_run_e01(tmp_path_factory) -> Path:
    """The filled e01 notebook run for real in a Jupyter kernel (its check cells included)
    and saved with the kernel's own outputs."""
    from nbclient import NotebookClient

    notebook = saved_by_jupyterlab("e01")
    for cell in notebook.cells:
        cell.outputs, cell.execution_count = [], None
    NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(COURSE_ROOT / "notebooks")}}).execute()
    assert any(cell.outputs for cell in notebook.cells if role_of(cell) == "check")
    return _write(notebook, tmp_path_factory.mktemp("kernel") / "e01_tensors.ipynb")


def _class_of_nine(folder: Path, kernel_run_e01: Path, topics=TOPICS) -> Path:
    for topic_id in topics:
        _write(saved_by_jupyterlab(topic_id), folder / COURSE.topic(topic_id).notebook_file)
    if "e01" in topics:
        (folder / "e01_tensors.ipynb").write_bytes(kernel_run_e01.read_bytes())
    return folder


def test_the_nine_filled_notebooks_get_full_marks_under_grade_like_the_same_py_files(traversable_tmp, kernel_run_e01):
    submissions = traversable_tmp / "submissions"
    _class_of_nine(submissions / "notebooks", kernel_run_e01)
    (submissions / "py_files").mkdir()
    for topic in COURSE.topics:
        (submissions / "py_files" / topic.file).write_bytes((SOLUTIONS / topic.file).read_bytes())
    done = _grade(submissions, traversable_tmp / "out")
    assert done.returncode == 0, done.stdout + done.stderr
    grades = _graded(traversable_tmp / "out")
    maximum = sum(topic.max_points for topic in COURSE.topics)
    for topic in COURSE.topics:
        assert grades["notebooks"][topic.id] == grades["py_files"][topic.id] == str(topic.max_points), topic.id
    assert grades["notebooks"]["total"] == str(maximum)
    assert all(f"{topic.id}: graded {topic.notebook_file}" in grades["notebooks"]["notes"] for topic in COURSE.topics)
    assert grades["py_files"]["notes"] == ""


def _check_nine(folder: Path, topics: list[str]) -> None:
    code, data, output = run_check(folder, *topics)
    assert code == 0, output
    assert {check["topic"] for check in data["checks"]} == set(topics)
    assert all(check["status"] == "passed" for check in data["checks"]), output
    assert data["submission"] == str(folder) and data["score"] == sum(COURSE.topic(t).max_points for t in topics)


def test_check_reads_a_folder_of_notebooks(traversable_tmp, kernel_run_e01):
    folder = _class_of_nine(traversable_tmp / "mine", kernel_run_e01, ["e01", "e08"])
    (folder / "e08_tf_function.ipynb").rename(folder / "e08_tf_function-Copy1.ipynb")
    (folder / "e08_tf_function.py").write_bytes((EXERCISES / "e08_tf_function.py").read_bytes())
    _check_nine(folder, ["e01", "e08"])


@pytest.mark.slow
def test_check_reads_the_nine_filled_notebooks(traversable_tmp, kernel_run_e01):
    _check_nine(_class_of_nine(traversable_tmp / "mine", kernel_run_e01), TOPICS)


def _gradescope(package_topics: list[str] | None, root: Path, members: dict[str, bytes]) -> dict:
    from tests.test_gradescope import run_autograder, validate

    package = root / "autograder.zip"
    root.mkdir(mode=0o755)
    gradescope.build_package(package, package_topics, "en")
    done, report = run_autograder(package, root / "autograder", members)
    assert done.returncode == 0, done.stdout + done.stderr
    validate(report)
    return report


def _zip_of(folder: Path) -> bytes:
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"homework/{path.name}")
    return buffer.getvalue()


def test_gradescope_grades_notebooks_handed_in(traversable_tmp, kernel_run_e01):
    topics = ["e01", "e03"]
    folder = _class_of_nine(traversable_tmp / "work", kernel_run_e01, topics)
    (folder / "e03_models.ipynb").rename(folder / "e03_models (1).ipynb")
    report = _gradescope(topics, traversable_tmp / "gs", {"handed_in.zip": _zip_of(folder)})
    assert report["score"] == sum(COURSE.topic(t).max_points for t in topics), json.dumps(report)[:2000]
    assert all(test["status"] == "passed" for test in report["tests"])
    assert "About the files handed in: e01: graded handed_in.zip/homework/e01_tensors.ipynb" in report["output"]
    assert "e03: graded handed_in.zip/homework/e03_models (1).ipynb" in report["output"]


@pytest.mark.slow
def test_gradescope_grades_the_nine_filled_notebooks(traversable_tmp, kernel_run_e01):
    folder = _class_of_nine(traversable_tmp / "work", kernel_run_e01)
    report = _gradescope(None, traversable_tmp / "gs", {path.name: path.read_bytes() for path in folder.iterdir()})
    assert report["score"] == sum(topic.max_points for topic in COURSE.topics), json.dumps(report)[:2000]


def test_renamed_copies_are_recognised_and_other_names_are_not():
    assert all(subs.renamed(stem, "e01_tensors") for stem in
               ("e01_tensors (1)", "e01_tensors(2)", "e01_tensors-Copy1", "e01_tensors copy", "e01_tensors copy 2"))
    assert not any(subs.renamed(stem, "e01_tensors") for stem in
                   ("e01_tensors", "e01_tensors_old", "my e01_tensors (1)", "e01_tensors (1) (x)", "e01_tensorsCopy1"))
