"""Runs the checks of some topics on a submission, in-process with pytest, and collects
one `CheckResult` per check. Submission code still runs only in workers.

    results = run_checks(Path("solutions"), [course.topic("e01")])
    results = run_checks(None, [topic], submission=InProcessSubmission(globals()))  # any ProbedSubmission
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import COURSE_ROOT
from autograder.course import Check, Topic, load_course
from autograder.engine.interface import ProbedSubmission
from autograder.mistakes import Mistake, attribute


@dataclass
class CheckResult:
    id: str
    topic: str
    exercise: str
    name: str
    status: str
    points: int
    max_points: int
    message: str
    duration_s: float
    mistake: str = ""          # the key of the named mistake behind a failure (mistakes.py)
    mistake_text: dict = field(default_factory=dict)   # its text per language
    named_by: str = ""         # the check that named it, when not this one (mistakes.attribute)


@dataclass
class RunResult:
    submission: str
    seed: int | None
    checks: list[CheckResult] = field(default_factory=list)
    duration_s: float = 0.0
    internal_errors: list[str] = field(default_factory=list)  # ids of checks that failed on the trusted side
    notes: dict[str, str] = field(default_factory=dict)   # topic id -> what its import skipped

    @property
    def score(self) -> int:
        return sum(result.points for result in self.checks)

    @property
    def max_score(self) -> int:
        return sum(result.max_points for result in self.checks)

    @property
    def all_passed(self) -> bool:
        return bool(self.checks) and all(result.status == "passed" for result in self.checks)

    def as_json(self) -> dict:
        report = {"submission": self.submission, "seed": self.seed, "score": self.score,
                  "max_score": self.max_score, "checks": [asdict(result) for result in self.checks],
                  "notes": self.notes}
        if self.internal_errors:  # `grade` records no grade then, and tries again next run
            report["internal_errors"] = self.internal_errors
        return report


class _Collector:
    """A pytest plugin that turns reports into CheckResults."""

    def __init__(self, only: list[str] | None = None):
        self.only = set(only) if only else None
        self.results: dict[str, CheckResult] = {}
        self.internal: list[str] = []
        self.seed: int | None = None
        self.collection_errors: list[str] = []
        self.vague: set[str] = set()   # checks whose failure only says "off"

    def pytest_collection_modifyitems(self, config, items):
        """--only selects checks by exact name (pytest's -k would match substrings)."""
        if self.only is None:
            return
        deselected = [item for item in items if item.originalname not in self.only]
        items[:] = [item for item in items if item.originalname in self.only]
        config.hook.pytest_deselected(items=deselected)

    def pytest_sessionstart(self, session):
        self.seed = session.config.getoption("seed")  # drawn by the plugin when not given

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(str(report.longrepr))

    def pytest_runtest_logreport(self, report):
        status = getattr(report, "course_status", None)
        if status is None:
            return
        check: Check = report.course_check
        if getattr(report, "course_internal", False):
            self.internal.append(check.id)
        mistake: Mistake | None = getattr(report, "course_mistake", None)
        self.results[report.nodeid] = CheckResult(
            id=check.id, topic=check.topic, exercise=check.exercise, name=check.name, status=status,
            points=check.points if status == "passed" else 0, max_points=check.points,
            message=report.course_message, duration_s=round(report.duration, 3),
            mistake=mistake.key if mistake else "", mistake_text=dict(mistake.text) if mistake else {})
        if getattr(report, "course_vague", False):
            self.vague.add(check.id)


def in_course_order(results) -> list[CheckResult]:
    """`results` in the order of the course map (a check it lacks goes last)."""
    order = {check.id: index for index, check in enumerate(load_course().checks)}
    return sorted(results, key=lambda result: order.get(result.id, len(order)))


@contextlib.contextmanager
def _without_plugin_autoload():
    """The checks need no installed pytest plugin (the course's own comes with `plugins`
    and the checks' conftest): loading them all (anyio, xdist, ...) costs a check run
    a fifth of a second."""
    before = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = before


class _Lend:
    """Hands the run a submission someone else made (the plugin's hook); they close it."""

    def __init__(self, submission: ProbedSubmission):
        self.submission = submission

    def pytest_course_submission(self, config):
        return self.submission


def run_checks(folder: Path | None, topics: list[Topic], *, submission: ProbedSubmission | None = None,
               only: list[str] | None = None, seed: int | None = None, timeout_scale: float = 1.0,
               include_hidden: bool = False, plugins: tuple = ()) -> RunResult:
    """Check the submission in `folder` (a worker-backed Submission made and closed here),
    or probe `submission` instead (any `interface.ProbedSubmission`: a warm one, a
    notebook's kernel; the caller closes it). `plugins`: more pytest plugins."""
    import pytest  # here: `check` starts TensorFlow's import before paying for pytest's

    started = time.monotonic()
    files = [str(path) for topic in topics for path in topic.check_modules(include_hidden)]
    label = submission.label if submission is not None else str(folder)
    result = RunResult(submission=label, seed=seed)
    if not files:
        return result
    args = files + ["--timeout-scale", str(timeout_scale),
                    "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:faulthandler", "-o", "addopts=",
                    "--rootdir", str(COURSE_ROOT), "-W", "ignore::DeprecationWarning"]
    if folder is not None:
        args += ["--submission", str(folder)]
    if seed is not None:
        args += ["--seed", str(seed)]
    collector = _Collector(only)
    lent = (_Lend(submission),) if submission is not None else ()
    with _without_plugin_autoload():
        code = pytest.main(args, plugins=[collector, *lent, *plugins])
    if collector.collection_errors or code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        raise RuntimeError("the checks could not be collected:\n" + "\n".join(collector.collection_errors))
    result.checks = in_course_order(collector.results.values())
    attribute(result.checks, collector.vague)
    result.seed = collector.seed
    result.internal_errors = collector.internal
    result.duration_s = round(time.monotonic() - started, 3)
    skipped = getattr(submission, "import_notes", {})  # a notebook's cells that raised (engine/worker.py)
    result.notes = {topic.id: "; ".join(skipped[topic.module]) for topic in topics if topic.module in skipped}
    return result
