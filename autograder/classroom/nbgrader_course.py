"""`python -m autograder nbgrader-course DIR`: a complete nbgrader course directory.

    DIR/nbgrader_config.py
    DIR/source/<topic>/<topic>.ipynb      e.g. source/e01_tensors/e01_tensors.ipynb

Each notebook is the topic's notebook (`notebooks.topic_cells`) with the reference
solutions in place and nbgrader's cell metadata:

- solution cells: the code cells with `### BEGIN SOLUTION` / `### END SOLUTION`, which
  `nbgrader generate_assignment` turns into `raise NotImplementedError()`;
- one autograded test cell per exercise, worth the sum of its checks' points in the course
  map. It calls `grade(topic, exercise)`, which runs the course's checks on the notebook's
  code, shows the targeted messages, and returns the points earned: nbgrader reads that
  value as the cell's partial credit. TensorFlow's stderr chatter is kept out of the cell
  (nbgrader gives zero to a test cell that writes to stderr);
- the lesson's markdown cells are read-only.

`--lang zh` writes the Chinese course: the same notebooks with their lesson text from the
catalogues (autograder/lessons.py), and test cells that report in Chinese.

Then the usual nbgrader commands work unchanged in DIR: `nbgrader generate_assignment`,
`nbgrader autograde`, `nbgrader generate_feedback`. Topics come from the course map; a
topic without a solution file or without checks is left out.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.course import Topic
from autograder.i18n import N_, Texts, _, using
from autograder.classroom.notebook_check import selected_checks
from autograder.classroom.notebooks import defined_names, new_notebook, topic_cells, topics_with_solutions

COURSE_ID = "tf2-course"
SCHEMA_VERSION = 3

# Python for nbgrader, which an instructor may edit: its comments are code comments (own text).
CONFIG = '''\
# nbgrader configuration of the TensorFlow 2 course, written by
# `python -m autograder nbgrader-course`. The kernel that runs the notebooks must be able
# to `import autograder` (install the course with `pip install -e .` in its environment).
c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "{course_id}"

# A blank is nbgrader's default stub; the course's checks report it as "not attempted".
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}

# Every test cell runs the checks of one exercise; the slowest exercise's time limits in
# the course map add up to {slowest:.0f} s. Allow twice that, plus TensorFlow's start.
c.Execute.timeout = {timeout}
c.Execute.startup_timeout = 180
'''


def _metadata(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
              points: int | None = None) -> dict:
    data = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if points is not None:
        data["points"] = points
    return data


TEST_CELL = Texts(comment=N_("Tests of `{exercise}` ({points} points): the course's checks, run on this "
                               "notebook's code."))


def test_cell_source(topic: Topic, exercise: str, points: int, lang: str = "en") -> str:
    comment = TEST_CELL[lang]["comment"].format(exercise=exercise, points=points)
    language = "" if lang == "en" else f', lang="{lang}"'   # the feedback in the course's language
    return f'# {comment}\nfrom autograder.classroom import grade\ngrade("{topic.id}", "{exercise}"{language})'


def course_notebook(topic: Topic, lang: str = "en") -> nbformat.NotebookNode:
    points = {exercise.name: sum(check.points for check in selected_checks(topic, exercise.name, include_hidden=True))
              for exercise in topic.exercises}
    cells = []
    for index, item in enumerate(topic_cells(topic, with_solutions=True, lang=lang)):
        cell = item.cell
        if item.role == "solution":
            names = "-".join(defined_names(cell.source)) or f"cell{index}"
            cell.metadata["nbgrader"] = _metadata(f"{topic.id}-{names}", solution=True)
        elif item.role == "check":
            if not points[item.exercise]:
                continue
            cell = nbformat.v4.new_code_cell(test_cell_source(topic, item.exercise, points[item.exercise], lang))
            cell.metadata["nbgrader"] = _metadata(f"{topic.id}-{item.exercise}-tests", grade=True, locked=True,
                                                  points=points[item.exercise])
        elif item.role == "check_all":
            continue  # the test cells grade every exercise already
        elif item.role == "lesson" and cell.cell_type == "markdown":
            cell.metadata["nbgrader"] = _metadata(f"{topic.id}-lesson{index}", locked=True)
        cells.append(cell)
    return new_notebook(cells, topic.id)


def config_text(topics: list[Topic]) -> str:
    slowest = max((sum(check.timeout for check in selected_checks(topic, exercise.name, include_hidden=True))
                   for topic in topics for exercise in topic.exercises), default=30.0)
    return CONFIG.format(course_id=COURSE_ID, slowest=slowest, timeout=int(2 * slowest + 60))


def graded_topics() -> list[Topic]:
    """Topics with a solution file and at least one check whose code is present."""
    return [topic for topic in topics_with_solutions() if selected_checks(topic, include_hidden=True)]


def max_points(topic: Topic) -> int:
    """What the nbgrader notebook of `topic` is worth: the points of its present checks."""
    return sum(check.points for check in selected_checks(topic, include_hidden=True))


def build(directory: Path, lang: str = "en") -> list[Path]:
    """Write the course into `directory` (created if needed), its lesson text in `lang`;
    returns the files written."""
    directory = Path(directory)
    topics = graded_topics()
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "nbgrader_config.py"
    config.write_text(config_text(topics), encoding="utf-8")
    written = [config]
    for topic in topics:
        path = directory / "source" / topic.module / topic.notebook_file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(course_notebook(topic, lang)) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(directory: Path, lang: str = "en") -> int:
    written = build(directory, lang)
    with using(lang):
        for path in written:
            print(_("wrote {path}", path=path))
        topics = [path.parent.name for path in written[1:]]
        print("\n" + _("next, in {directory}:", directory=directory))
        print(f"  nbgrader generate_assignment {topics[0] if topics else 'TOPIC'}")  # nbgrader's own text: commands
        print("  " + _("(collect submissions into submitted/STUDENT/TOPIC/)"))
        print("  nbgrader autograde TOPIC\n  nbgrader generate_feedback TOPIC")  # nbgrader's own text: commands
    return 0


if __name__ == "__main__":
    import sys
    raise SystemExit(main(Path(sys.argv[1])))
