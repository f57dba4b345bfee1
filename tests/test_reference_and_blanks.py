"""Every check passes on solutions/ and none passes on the untouched exercises/."""
import pytest

from autograder.course import load_course
from tests.conftest import EXERCISES, SOLUTIONS, run_check

TOPICS = [topic.id for topic in load_course().topics if topic.checks]


@pytest.mark.parametrize("topic", TOPICS)
def test_every_check_passes_on_the_reference_solution(topic, course):
    code, report, output = run_check(SOLUTIONS, topic)
    statuses = {check["name"]: check["status"] for check in report.get("checks", [])}
    assert set(statuses) == {check.name for check in course.topic(topic).checks}, output
    assert all(status == "passed" for status in statuses.values()), output
    assert code == 0 and report["score"] == report["max_score"] == course.topic(topic).max_points


@pytest.mark.parametrize("topic", TOPICS)
def test_the_blank_exercises_are_not_attempted(topic, course):
    code, report, output = run_check(EXERCISES, topic)
    statuses = [check["status"] for check in report.get("checks", [])]
    assert len(statuses) == len(course.topic(topic).checks), output
    assert all(status in ("not_attempted", "failed") for status in statuses), output
    assert code == 1 and report["score"] == 0
