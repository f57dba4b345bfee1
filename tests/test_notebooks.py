"""The notebooks: generated from solutions/ without drift, and their check cells work in a
real Jupyter kernel (statuses, targeted messages, hints in Chinese, no stderr in grades)."""
import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from autograder.classroom import notebooks
from autograder.classroom.frame import PICTURES
from autograder.classroom.notebooks import topic_cells, topics_with_solutions
from autograder.generate import SOLUTIONS, exercise_text

TOPICS = [topic.id for topic in topics_with_solutions()]


def test_notebooks_match_what_the_solutions_generate():
    assert notebooks.drifted() == [], "run `python -m autograder generate` (never edit notebooks/ by hand)"


@pytest.mark.parametrize("topic_id", TOPICS)
def test_notebook_code_is_the_exercise_code_with_a_check_cell_per_exercise(topic_id, course):
    topic = course.topic(topic_id)
    cells = topic_cells(topic)
    exercise = jupytext.reads(exercise_text(SOLUTIONS / topic.file), fmt="py:percent")
    assert [c.cell.source for c in cells if c.role in ("lesson", "solution")] == \
        [cell.source for cell in exercise.cells], "the notebook's lesson and code should be the exercise file's"
    checked = [c.exercise for c in cells if c.role == "check"]
    assert checked == [e.name for e in topic.exercises], "one check cell per exercise, in the course map's order"
    assert cells[-1].cell.source == f'check("{topic.id}")'
    assert sum(c.cell.source.count("raise NotImplementedError()") for c in cells) == \
        (SOLUTIONS / topic.file).read_text().count("### BEGIN SOLUTION")


def test_pictures_follow_exercises_of_the_course_map(course):
    for topic_id, pictures in PICTURES.items():
        names = [exercise.name for exercise in course.topic(topic_id).exercises]
        for picture in pictures:
            assert picture.after in names, f"{topic_id}: no exercise {picture.after!r} to draw"
            compile(picture.code, f"{topic_id} picture", "exec")
        if topic_id in TOPICS:
            roles = [(c.role, c.exercise) for c in topic_cells(course.topic(topic_id))]
            for picture in pictures:
                index = roles.index(("check", picture.after))
                assert roles[index + 1:index + 3] == [("picture", picture.after)] * 2


def _outputs(cell) -> str:
    text = []
    for output in cell.outputs:
        if output.output_type == "stream":
            text.append(f"[{output.name}] {output.text}")
        elif output.output_type == "error":
            text.append("[error] " + "\n".join(output.traceback))
        else:
            text.append("\n".join(str(value) for value in output.get("data", {}).values()))
    return "\n".join(text)


def test_check_cells_report_statuses_messages_and_hints_in_a_kernel(course):
    """One kernel: the reference e01 with some exercises replaced by mistakes."""
    topic = course.topic("e01")
    cells = [c.cell for c in topic_cells(topic, with_solutions=True) if c.role in ("lesson", "setup", "solution")]
    probes = {
        "wrong": 'def standardize(x):\n    return x - tf.reduce_mean(x, axis=0)\ncheck("e01", "standardize")',
        "blank_zh": 'def pairwise_sq_distances(a, b):\n    raise NotImplementedError()\n'
                    'check("e01", "pairwise_sq_distances", lang="zh")',
        "crash": 'def describe(t):\n    return 1 / 0\ncheck("e01", "describe")',
        "undefined": 'del one_hot\ncheck("e01", "one_hot")',
        # A correct one_hot that writes to stderr four ways, one of them through a logging
        # handler bound to the kernel's stderr stream (as a library configured at import
        # time does): nbgrader must still give full marks (without the quieting: zero).
        "noisy": 'import logging, os, sys\nfrom autograder.classroom import grade\n'
                 'library_log = logging.getLogger("library")\n'
                 'library_log.addHandler(logging.StreamHandler(sys.stderr))\n'
                 'def one_hot(labels, depth):\n    print("python stderr", file=sys.stderr)\n'
                 '    os.write(2, b"native stderr\\n")\n    tf.get_logger().warning("a logged warning")\n'
                 '    library_log.warning("a library warning")\n'
                 '    return tf.one_hot(labels, depth)\ngrade("e01", "one_hot")',
        "all": 'check("e01")',
    }
    notebook = notebooks.new_notebook(cells + [new_code_cell(code) for code in probes.values()], "test")
    NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=False).execute()
    out = dict(zip(probes, (_outputs(cell) for cell in notebook.cells[-len(probes):])))

    assert "it only subtracts the mean; divide by the standard deviation too" in out["wrong"]
    assert "Hint: Reduce over the rows" in out["wrong"] and "<code>axis=0</code>" in out["wrong"]
    assert "未作答" in out["blank_zh"] and "这个练习仍然抛出 NotImplementedError" in out["blank_zh"]
    assert "ZeroDivisionError" in out["crash"] and "return 1 / 0" in out["crash"] and "(error, 0/1)" in out["crash"]
    assert "`one_hot` is not defined in this notebook yet" in out["undefined"]
    noisy = notebook.cells[-2]
    assert [o.output_type for o in noisy.outputs] == ["display_data", "execute_result"], _outputs(noisy)
    one_hot = next(exercise for exercise in topic.exercises if exercise.name == "one_hot").checks
    assert noisy.outputs[-1].data["text/plain"] == str(float(sum(check.points for check in one_hot)))
    assert f"{len(one_hot)}/{len(topic.checks)} checks passed" in out["all"]  # only one_hot passes
    assert "[stderr]" not in "".join(out.values())
