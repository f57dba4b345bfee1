"""The nbgrader path end to end, with nbgrader's own commands and gradebook.

Build the course (`python -m autograder nbgrader-course`), `nbgrader generate_assignment`
each topic, submit the release notebook twice per topic (reference answers filled in; left
blank), `nbgrader autograde`, and read the scores from nbgrader's gradebook: full marks and
zero. e01 also gets a half-right submission (partial credit, and the targeted message in
`nbgrader generate_feedback`'s HTML). e01 runs in the default suite; the other topics,
which train models, in the slow one.
"""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import COURSE_ROOT
from autograder.classroom.nbgrader_course import course_notebook, graded_topics, max_points
from autograder.course import load_course

TOPICS = [topic.module for topic in graded_topics()]
FAST = [module for module in TOPICS if module.startswith("e01")]


def nbgrader(course: Path, *args: str, timeout: float = 1800) -> str:
    # nbgrader runs `alembic` for its database: the venv's bin/ must be on PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def solution_sources(notebook) -> dict[str, str]:
    return {cell.metadata.nbgrader["grade_id"]: cell.source for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def submit(course: Path, module: str, student: str, answers: dict[str, str]) -> None:
    """The release notebook with some solution cells answered, as a student would hand it in."""
    notebook = nbformat.read(course / "release" / module / f"{module}.ipynb", as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    folder = course / "submitted" / student / module
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{module}.ipynb")


@pytest.fixture
def course(tmp_path) -> Path:
    folder = tmp_path / "course"
    subprocess.run([sys.executable, "-m", "autograder", "nbgrader-course", str(folder)], cwd=COURSE_ROOT,
                   check=True, capture_output=True, timeout=300)
    return folder


def grade_topics(course: Path, modules: list[str], extra: dict[str, dict[str, dict[str, str]]] = {}) -> dict:
    """Submit reference and blank answers (plus `extra[module][student]`), autograde, and
    return {(module, student): (score, max_score)} from the gradebook."""
    for module in modules:
        assert "Writing" in nbgrader(course, "generate_assignment", module, "--force")
        source = nbformat.read(course / "source" / module / f"{module}.ipynb", as_version=4)
        submit(course, module, "reference", solution_sources(source))
        submit(course, module, "blank", {})
        for student, answers in extra.get(module, {}).items():
            submit(course, module, student, answers)
        nbgrader(course, "autograde", module)
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for module in modules:
            for submission in gradebook.assignment_submissions(module):
                scores[module, submission.student_id] = (submission.score, submission.max_score)
    return scores


def expect_full_marks_and_zero(scores: dict, modules: list[str]) -> None:
    for module in modules:
        points = max_points(load_course().topic(module))
        assert scores[module, "reference"] == (points, points), f"{module}: reference answers: {scores}"
        assert scores[module, "blank"] == (0, points), f"{module}: blank answers: {scores}"


@pytest.mark.parametrize("module", TOPICS)
def test_course_notebooks_carry_nbgrader_metadata_and_the_course_maps_points(module):
    topic = load_course().topic(module)
    cells = course_notebook(topic).cells
    grade_ids = [cell.metadata.nbgrader["grade_id"] for cell in cells if "nbgrader" in cell.metadata]
    assert len(grade_ids) == len(set(grade_ids)), "nbgrader needs unique grade ids"
    solutions = [cell for cell in cells if cell.metadata.get("nbgrader", {}).get("solution")]
    assert solutions and all("### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
                             for cell in solutions)
    assert sum(cell.source.count("### BEGIN SOLUTION") for cell in cells) == \
        (COURSE_ROOT / "solutions" / topic.file).read_text().count("### BEGIN SOLUTION")
    tests = [cell for cell in cells if cell.metadata.get("nbgrader", {}).get("grade")]
    assert all(cell.metadata.nbgrader["locked"] and "grade(" in cell.source for cell in tests)
    assert sum(cell.metadata.nbgrader["points"] for cell in tests) == max_points(topic) > 0


def test_nbgrader_gives_full_marks_zero_and_partial_credit_on_e01(course):
    module = FAST[0]
    source = nbformat.read(course / "source" / module / f"{module}.ipynb", as_version=4)
    answers = solution_sources(source)
    half = {grade_id: code for grade_id, code in answers.items() if grade_id.endswith("describe")}
    half["e01-standardize"] = "def standardize(x):\n    return x - tf.reduce_mean(x, axis=0)"
    scores = grade_topics(course, [module], {module: {"half": half}})
    expect_full_marks_and_zero(scores, [module])

    describe = next(exercise for exercise in load_course().topic("e01").exercises if exercise.name == "describe")
    assert scores[module, "half"][0] == sum(check.points for check in describe.checks)

    nbgrader(course, "generate_feedback", module)
    feedback = {student: (course / "feedback" / student / module / f"{module}.html").read_text()
                for student in ("reference", "blank", "half")}
    assert "this exercise still raises NotImplementedError" in feedback["blank"]
    assert "it only subtracts the mean; divide by the standard deviation too" in feedback["half"]
    for student in ("blank", "half"):  # failing test cells show messages, not tracebacks
        assert "Traceback (most recent call last)" not in feedback[student]
        autograded = nbformat.read(course / "autograded" / student / module / f"{module}.ipynb", as_version=4)
        assert not [output for cell in autograded.cells for output in cell.get("outputs", [])
                    if output.output_type == "error"
                    or (output.get("name") == "stderr" and cell.metadata.get("nbgrader", {}).get("grade"))]


@pytest.mark.slow
@pytest.mark.parametrize("module", [module for module in TOPICS if module not in FAST])
def test_nbgrader_gives_full_marks_and_zero(course, module):
    expect_full_marks_and_zero(grade_topics(course, [module]), [module])
