"""The mistake catalogue (tests/mistakes/*.toml): each typical mistake is caught by the
check it names, with the message meant for it.

A topic's mistakes run together in one process (tests/mistake_runner.py) whose workers
fork from one warm zygote; each mistake still has its own submission and workers."""
import json
import subprocess
import sys
from collections import Counter
from functools import lru_cache

import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.outcomes import INTERNAL_ERROR
from tests.conftest import load_mistakes

MISTAKES = load_mistakes()


@lru_cache(maxsize=None)
def catalogue_results(module: str, folder: str) -> dict:
    out = f"{folder}/{module}.json"
    done = subprocess.run([sys.executable, "-m", "tests.mistake_runner", module, out], cwd=COURSE_ROOT,
                          capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(out) as file:
        return json.load(file)


@pytest.mark.parametrize("mistake", [pytest.param(m, marks=pytest.mark.xdist_group(m["module"])) for m in MISTAKES],
                         ids=[f"{m['module']}:{m['id']}" for m in MISTAKES])
def test_mistake_is_caught_with_its_message(mistake, tmp_path_factory):
    results = catalogue_results(mistake["module"], str(tmp_path_factory.getbasetemp()))
    result = results[mistake["id"]]
    assert result["status"] == mistake.get("status", "failed"), result
    assert mistake["message"].lower() in result["message"].lower(), result["message"]
    assert not result["message"].startswith(INTERNAL_ERROR), result["message"]
    if "message_zh" in mistake:   # the same mistake, named in Chinese
        chinese = results[f"{mistake['id']}:zh"]
        assert chinese["status"] == result["status"] and mistake["message_zh"] in chinese["message"], chinese


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


def test_mistake_ids_are_unique_within_a_topic():
    ids = Counter((m["module"], m["id"]) for m in MISTAKES)
    assert not [key for key, count in ids.items() if count > 1]
