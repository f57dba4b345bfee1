"""The pytest plugin behind every check run (loaded by autograder/checks/conftest.py).

Options: --submission DIR (default exercises/), --seed N, --timeout-scale X.
Fixtures: `probe` (calls probes of the test module's topic in the submission's worker,
with the check's time limit from the course map), `rng` (fresh random inputs: a new
seed per run unless --seed is given, one stream per check) and `scratch_dir` (a folder
the submission's workers can write to, for exports and checkpoints).
Each report carries `course_status` (passed, failed, not_attempted, error, timeout) and
`course_message`; failures show the targeted message instead of a traceback.
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
from autograder.course import load_course
from autograder.engine import sandbox
from autograder.engine.client import Submission
from autograder.outcomes import INTERNAL_ERROR, CheckOutcome, status_of

_CHECK_KEY = pytest.StashKey()
_SUBMISSION_KEY = pytest.StashKey()
_SEED_KEY = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup("course", "TensorFlow course checks")
    group.addoption("--submission", default=str(COURSE_ROOT / "exercises"),
                    help="folder holding the exercise files to check (default: exercises/)")
    group.addoption("--seed", type=int, default=None, help="seed for the random inputs (default: a fresh one)")
    group.addoption("--timeout-scale", type=float, default=1.0, help="multiply every check's time limit")


class _Hooks:
    @pytest.hookspec(firstresult=True)
    def pytest_course_submission(self, config):
        """Return the object the checks probe, instead of a worker-backed `Submission` of
        --submission (the notebook helper supplies one that probes its kernel's namespace)."""


def pytest_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(_Hooks)


def pytest_configure(config):
    config.stash[_SEED_KEY] = config.getoption("seed") if config.getoption("seed") is not None \
        else secrets.randbelow(2**31)
    submission = config.hook.pytest_course_submission(config=config) or \
        Submission(Path(config.getoption("submission")), timeout_scale=config.getoption("timeout_scale"))
    submission.start()  # TensorFlow imports in the worker while pytest collects
    config.stash[_SUBMISSION_KEY] = submission


def pytest_unconfigure(config):
    submission = config.stash.get(_SUBMISSION_KEY, None)
    if submission is not None:
        submission.close()


def pytest_report_header(config):
    return [f"submission: {config.getoption('submission')}", f"seed: {config.stash[_SEED_KEY]}"]


def topic_module_of(item) -> str:
    """`test_e01_tensors.py` -> `e01_tensors`."""
    return Path(item.fspath).stem.removeprefix("test_")


def pytest_collection_modifyitems(config, items):
    course = load_course()
    for item in items:
        check = course.check(topic_module_of(item), item.originalname)
        item.stash[_CHECK_KEY] = check
        item.user_properties.append(("points", check.points))


def check_of(item):
    return item.stash[_CHECK_KEY]


def seed_of(config) -> int:
    return config.stash[_SEED_KEY]


class TopicProbe:
    """`probe.standardize(x=...)` runs `autograder.probes.e01_tensors.standardize` on the
    submission. `probe.fresh.<name>(...)` runs it in a new process of its own;
    `probe.clean.<name>(...)` in a new process that never imports the submission."""

    def __init__(self, submission: Submission, module: str, with_submission: bool = True, fresh: bool = False):
        self._submission, self._module = submission, module
        self._options = {"with_submission": with_submission, "fresh": fresh}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda **inputs: self._submission.probe(self._module, name, **self._options, **inputs)

    @property
    def fresh(self) -> "TopicProbe":
        return TopicProbe(self._submission, self._module, fresh=True)

    @property
    def clean(self) -> "TopicProbe":
        return TopicProbe(self._submission, self._module, with_submission=False, fresh=True)


@pytest.fixture
def submission(request) -> Submission:
    submission = request.config.stash[_SUBMISSION_KEY]
    submission.begin_check(check_of(request.node).timeout)
    return submission


@pytest.fixture
def probe(request, submission) -> TopicProbe:
    return TopicProbe(submission, topic_module_of(request.node))


@pytest.fixture
def scratch_dir(submission, tmp_path):
    """A new empty folder that every worker of this submission can reach: inside its scratch
    folder (under the sandbox, the only place a worker can write and the only part of /tmp
    it sees), or pytest's tmp_path where there is none. Removed after the check; never in
    the submission's folder or the course checkout."""
    scratch = getattr(submission, "scratch", None)
    if scratch is None:
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="check-", dir=scratch))
    sandbox.hand_over(sandbox.current(), path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def rng(request) -> np.random.Generator:
    check = check_of(request.node)
    return np.random.default_rng([seed_of(request.config), zlib.crc32(check.id.encode())])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call" or (call.when == "setup" and report.failed):
        error = call.excinfo.value if call.excinfo is not None else None
        report.course_check = check_of(item)
        report.course_status = status_of(error)
        report.course_message = _message(error)
        if isinstance(error, CheckOutcome):
            report.longrepr = f"[{error.status}] {error.message}"
    return report


def _message(error: BaseException | None) -> str:
    if error is None:
        return ""
    if isinstance(error, CheckOutcome):
        return error.message
    if isinstance(error, AssertionError):
        return str(error) or "assertion failed"
    return f"{INTERNAL_ERROR}: {type(error).__name__}: {error}"
