"""Runs the checks of some topics on a submission, in-process with pytest, and collects
one `CheckResult` per check. Submission code still runs only in workers.

    results = run_checks(Path("solutions"), [course.topic("e01")])
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from autograder import COURSE_ROOT
from autograder.course import Check, Topic, load_course
from autograder.plugin import seed_of

CHECKS_DIR = COURSE_ROOT / "autograder" / "checks"


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


@dataclass
class RunResult:
    submission: str
    seed: int | None
    checks: list[CheckResult] = field(default_factory=list)
    duration_s: float = 0.0

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
        return {"submission": self.submission, "seed": self.seed, "score": self.score,
                "max_score": self.max_score, "checks": [asdict(result) for result in self.checks]}


class _Collector:
    """A pytest plugin that turns reports into CheckResults."""

    def __init__(self, only: list[str] | None = None):
        self.only = set(only) if only else None
        self.results: dict[str, CheckResult] = {}
        self.seed: int | None = None
        self.collection_errors: list[str] = []

    def pytest_collection_modifyitems(self, config, items):
        """--only selects checks by exact name (pytest's -k would match substrings)."""
        if self.only is None:
            return
        deselected = [item for item in items if item.originalname not in self.only]
        items[:] = [item for item in items if item.originalname in self.only]
        config.hook.pytest_deselected(items=deselected)

    def pytest_configure(self, config):
        self.seed = seed_of(config)

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(str(report.longrepr))

    def pytest_runtest_logreport(self, report):
        status = getattr(report, "course_status", None)
        if status is None:
            return
        check: Check = report.course_check
        self.results[report.nodeid] = CheckResult(
            id=check.id, topic=check.topic, exercise=check.exercise, name=check.name, status=status,
            points=check.points if status == "passed" else 0, max_points=check.points,
            message=report.course_message, duration_s=round(report.duration, 3))


def run_checks(submission: Path, topics: list[Topic], *, only: list[str] | None = None, seed: int | None = None,
               timeout_scale: float = 1.0, include_hidden: bool = False, plugins: tuple = ()) -> RunResult:
    """`plugins`: extra pytest plugins, e.g. one whose `pytest_course_submission` hook lends
    the run a prepared Submission (watch mode's warm one)."""
    started = time.monotonic()
    folders = [CHECKS_DIR, CHECKS_DIR / "hidden"] if include_hidden else [CHECKS_DIR]  # hidden: see course.py
    files = [str(folder / f"test_{topic.module}.py") for topic in topics for folder in folders
             if (folder / f"test_{topic.module}.py").exists()]
    result = RunResult(submission=str(submission), seed=seed)
    if not files:
        return result
    args = files + ["--submission", str(submission), "--timeout-scale", str(timeout_scale),
                    "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:faulthandler", "-o", "addopts=",
                    "--rootdir", str(COURSE_ROOT), "-W", "ignore::DeprecationWarning"]
    if seed is not None:
        args += ["--seed", str(seed)]
    collector = _Collector(only)
    code = pytest.main(args, plugins=[collector, *plugins])
    if collector.collection_errors or code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        raise RuntimeError("the checks could not be collected:\n" + "\n".join(collector.collection_errors))
    order = {check.id: index for index, check in enumerate(load_course().checks)}
    result.checks = sorted(collector.results.values(), key=lambda r: order.get(r.id, len(order)))
    result.seed = collector.seed
    result.duration_s = round(time.monotonic() - started, 3)
    return result
