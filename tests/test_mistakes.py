"""The mistake catalogue (tests/mistakes/*.toml): each typical mistake is caught by the
check it names, with the message meant for it."""
from collections import Counter

import pytest

from autograder.course import load_course
from tests.conftest import load_mistakes, run_check, submission_with

MISTAKES = load_mistakes()


@pytest.mark.parametrize("mistake", MISTAKES, ids=[f"{m['module']}:{m['id']}" for m in MISTAKES])
def test_mistake_is_caught_with_its_message(mistake, tmp_path):
    topic = mistake["module"].split("_")[0]
    folder = submission_with(tmp_path, mistake["module"], mistake["code"])
    code, report, output = run_check(folder, topic, only=[mistake["check"]])
    assert report, f"no JSON report:\n{output}"
    results = {check["name"]: check for check in report["checks"]}
    result = results[mistake["check"]]
    assert result["status"] == mistake.get("status", "failed"), result
    assert mistake["message"].lower() in result["message"].lower(), result["message"]
    assert code == 1


def test_every_check_is_caught_by_some_mistake():
    caught = {(m["module"].split("_")[0], m["check"]) for m in MISTAKES}
    topics_with_catalogue = {m["module"].split("_")[0] for m in MISTAKES}
    course = load_course()
    missing = [check.id for check in course.checks
               if check.topic in topics_with_catalogue and (check.topic, check.name) not in caught]
    assert not missing, f"checks never shown failing on a wrong submission: {missing}"


def test_every_exercise_has_at_least_two_mistakes():
    names = {check.name: check.exercise for check in load_course().checks}
    per_exercise = Counter((m["module"], names.get(m["check"])) for m in MISTAKES)
    course = load_course()
    thin = [f"{topic.module}.{exercise.name}" for topic in course.topics for exercise in topic.exercises
            if exercise.checks and per_exercise[(topic.module, exercise.name)] < 2]
    assert not thin, f"exercises with fewer than two catalogued mistakes: {thin}"


def test_every_mistake_names_a_real_check():
    course = load_course()
    for mistake in MISTAKES:
        course.check(mistake["module"], mistake["check"])
