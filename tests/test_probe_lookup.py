"""Names the checks look up: every probe a check calls exists, a name the submission lacks
is "not defined" (not attempted) on every path, and a probe the course lacks is reported
as the course's bug, never as the student's."""
import ast
import importlib

import pytest

from autograder.course import load_course
from autograder.engine import verdict
from autograder.engine.client import Submission
from autograder.engine.inprocess import InProcessSubmission
from autograder.engine.warm import Zygote
from autograder.outcomes import NotAttempted, SubmissionError
from tests.conftest import submission_with

DELETED = "`PREDICTED_TRACES` is not defined in e08_tf_function.py (was it deleted or renamed?)"
E08 = load_course().topic("e08")


def _probes_named_in(path) -> set[str]:
    """Every `probe.<name>`, `probe.fresh.<name>` and `probe.clean.<name>` in a check module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            owner = node.value
            if isinstance(owner, ast.Attribute) and owner.attr in ("fresh", "clean"):
                owner = owner.value
            if isinstance(owner, ast.Name) and owner.id == "probe" and node.attr not in ("fresh", "clean"):
                names.add(node.attr)
    return names


@pytest.mark.parametrize("topic", load_course().topics, ids=lambda topic: topic.module)
def test_every_probe_named_by_a_check_exists(topic):
    named = set().union(*(_probes_named_in(path) for path in topic.check_modules(include_hidden=True)))
    assert named, f"no probe calls found in the checks of {topic.module}"
    probes = importlib.import_module(topic.probe_module)
    missing = sorted(name for name in named if not callable(getattr(probes, name, None)))
    assert not missing, f"checks of {topic.module} call probes that {topic.probe_module} lacks: {missing}"


def test_the_probe_scan_sees_every_form_of_probe_call():
    source = "def test_x(probe):\n    probe.a(x=1)\n    probe.fresh.b()\n    probe.clean.c()\n    other.d()\n"
    tree_path = type("P", (), {"read_text": lambda self, encoding=None: source})()
    assert _probes_named_in(tree_path) == {"a", "b", "c"}


@pytest.fixture(scope="module")
def deleted_name(tmp_path_factory):
    """The reference e08 with its PREDICTED_TRACES line deleted."""
    return submission_with(tmp_path_factory.mktemp("deleted"), "e08_tf_function", "del PREDICTED_TRACES\n")


def _expect_not_defined(submission):
    with pytest.raises(NotAttempted) as outcome:
        submission.probe(E08, "predicted_traces")
    assert outcome.value.message == DELETED


def _expect_course_bug(submission):
    with pytest.raises(SubmissionError) as outcome:
        submission.probe(E08, "no_such_probe")
    assert "bug in the course" in outcome.value.message and "no_such_probe" in outcome.value.message
    assert "your code changes" not in outcome.value.message


def test_a_deleted_name_is_not_defined_in_a_cold_worker(deleted_name):
    with Submission(deleted_name) as submission:
        submission.begin_check(120)
        _expect_not_defined(submission)
        _expect_course_bug(submission)


def test_a_deleted_name_is_not_defined_in_a_warm_worker(deleted_name):
    with Zygote([E08.probe_module]) as zygote, Submission(deleted_name, worker_factory=zygote.worker) as submission:
        submission.begin_check(120)
        _expect_not_defined(submission)
        _expect_course_bug(submission)


def test_a_deleted_name_is_not_defined_in_a_notebook():
    submission = InProcessSubmission({})
    with pytest.raises(NotAttempted) as outcome:
        submission.probe(E08, "predicted_traces")
    assert "`PREDICTED_TRACES` is not defined in this notebook" in outcome.value.message
    _expect_course_bug(submission)


class _Layer:
    pass


def _attribute_error(owner, name) -> AttributeError:
    try:
        getattr(owner, name)
    except AttributeError as error:
        return error
    raise AssertionError(f"{owner!r} has {name}")


def test_a_missing_attribute_of_a_made_object_is_named_without_blame():
    module = type(importlib)("e03_models")
    assert verdict.missing_name(_attribute_error(module, "MLP"), module, "e03_models.py") == (
        "not_attempted", "`MLP` is not defined in e03_models.py (was it deleted or renamed?)")
    status, message = verdict.missing_name(_attribute_error(_Layer(), "kernel"), module, "e03_models.py")
    assert status == "failed" and "`kernel`" in message and "_Layer" in message
    assert verdict.missing_name(ValueError("x"), module, "e03_models.py") is None
    # A probe that runs without the submission has only the course to blame.
    assert verdict.missing_name(_attribute_error(_Layer(), "kernel"), None, "e03_models.py") is None
