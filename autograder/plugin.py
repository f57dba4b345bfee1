"""The pytest plugin behind every check run (loaded by autograder/checks/conftest.py).

Options: --submission DIR (default exercises/), --seed N (when not given, a fresh seed is
drawn and stored back as the option's value), --timeout-scale X.
Fixtures: `probe` (calls the probes of the check's topic in the submission's worker,
with the check's time limit from the course map), `rng` (fresh random inputs: a new
seed per run unless --seed is given, one stream per check) and `scratch_dir` (a folder
the submission's workers can write to, for exports and checkpoints).
A check's topic and exercise come from the course map: its module is a topic's check
module, its function a check of that topic.
Each report carries `course_status` (passed, failed, not_attempted, error, timeout),
`course_message` (verdict.ending), `course_mistake` (the named mistake, if any) and
`course_vague`; failures show the targeted message instead of a traceback.
"""
from __future__ import annotations

import secrets
import shutil
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from autograder import COURSE_ROOT
from autograder.course import Topic, load_course
from autograder.engine import sandbox, storage, verdict
from autograder.engine.client import Submission
from autograder.engine.interface import ProbedSubmission
from autograder.i18n import _
from autograder.outcomes import CheckOutcome, SubmissionError

_CHECK_KEY = pytest.StashKey()
_TOPIC_KEY = pytest.StashKey()
_SUBMISSION_KEY = pytest.StashKey()
_OWN_SUBMISSION_KEY = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup("course", _("TensorFlow course checks"))
    group.addoption("--submission", default=str(COURSE_ROOT / "exercises"),
                    help=_("folder holding the exercise files to check (default: exercises/)"))
    group.addoption("--seed", type=int, default=None, help=_("seed for the random inputs (default: a fresh one)"))
    group.addoption("--timeout-scale", type=float, default=1.0, help=_("multiply every check's time limit"))


class _Hooks:
    @pytest.hookspec(firstresult=True)
    def pytest_course_submission(self, config):
        """Return the `interface.ProbedSubmission` the checks probe, instead of a
        worker-backed `Submission` of --submission (`run.run_checks(..., submission=...)`
        implements it). The plugin does not close a submission it was given."""


def pytest_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(_Hooks)


def pytest_configure(config):
    if config.getoption("seed") is None:
        config.option.seed = secrets.randbelow(2**31)  # the run's seed, for whoever reports it
    given = config.hook.pytest_course_submission(config=config)
    submission = given or Submission(Path(config.getoption("submission")),
                                     timeout_scale=config.getoption("timeout_scale"))
    submission.start()  # TensorFlow imports in the worker while pytest collects
    config.stash[_SUBMISSION_KEY] = submission
    config.stash[_OWN_SUBMISSION_KEY] = given is None


def pytest_unconfigure(config):
    submission = config.stash.get(_SUBMISSION_KEY, None)
    if submission is not None and config.stash.get(_OWN_SUBMISSION_KEY, False):
        submission.close()


def pytest_report_header(config):
    return [f"submission: {config.stash[_SUBMISSION_KEY].label}", f"seed: {config.getoption('seed')}"]


def pytest_collection_modifyitems(config, items):
    course = load_course()
    for item in items:
        topic = course.topic_of_check_module(Path(item.fspath))
        check = course.check(topic.id, item.originalname)
        item.stash[_TOPIC_KEY], item.stash[_CHECK_KEY] = topic, check
        item.user_properties.append(("points", check.points))


def check_of(item):
    return item.stash[_CHECK_KEY]


class TopicProbe:
    """`probe.standardize(x=...)` runs the probe `standardize` of the check's topic (in
    `topic.probe_module`) on the submission. `probe.fresh.<name>(...)` runs it in a new
    process of its own; `probe.clean.<name>(...)` in a new process that never imports the
    submission."""

    def __init__(self, submission: ProbedSubmission, topic: Topic, with_submission: bool = True,
                 fresh: bool = False):
        self._submission, self._topic = submission, topic
        self._options = {"with_submission": with_submission, "fresh": fresh}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda **inputs: self._submission.probe(self._topic, name, **self._options, **inputs)

    @property
    def fresh(self) -> "TopicProbe":
        return TopicProbe(self._submission, self._topic, fresh=True)

    @property
    def clean(self) -> "TopicProbe":
        return TopicProbe(self._submission, self._topic, with_submission=False, fresh=True)


@pytest.fixture
def submission(request) -> ProbedSubmission:
    submission = request.config.stash[_SUBMISSION_KEY]
    submission.begin_check(check_of(request.node).timeout)
    return submission


@pytest.fixture
def probe(request, submission) -> TopicProbe:
    return TopicProbe(submission, request.node.stash[_TOPIC_KEY])


@pytest.fixture
def scratch_dir(request, submission):
    """A new empty folder that every worker of this submission can reach: inside its scratch
    folder (under the sandbox, the only place a worker can write and the only part of /tmp
    it sees), or pytest's tmp_path where there is none. Removed after the check; never in
    the submission's folder or the course checkout."""
    scratch = submission.scratch
    if scratch is None:
        yield request.getfixturevalue("tmp_path")  # asked for only here: pytest's folders stay out of other runs
        return
    policy = getattr(submission, "policy", sandbox.Policy())
    try:
        path = Path(tempfile.mkdtemp(prefix="check-", dir=scratch))
    except OSError:  # the submission filled its bounded storage: its failure, named by the bound
        if storage.exhausted(scratch, policy.disk):
            raise SubmissionError(storage.message(policy.disk)) from None
        raise
    sandbox.hand_over(policy, path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def rng(request) -> np.random.Generator:
    check = check_of(request.node)
    return np.random.default_rng([request.config.getoption("seed"), zlib.crc32(check.id.encode())])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call" or (call.when == "setup" and report.failed):
        error = call.excinfo.value if call.excinfo is not None else None
        report.course_check = check_of(item)
        report.course_status, report.course_message = verdict.ending(error)
        report.course_internal = verdict.is_internal(error)  # the check's own failure: no grade (grade retries)
        report.course_mistake = getattr(error, "mistake", None)   # a mistakes.Mistake the check named
        report.course_vague = getattr(error, "vague", False)      # only "off": mistakes.attribute may say more
        if isinstance(error, CheckOutcome):
            report.longrepr = f"[{error.status}] {error.message}"
    return report
