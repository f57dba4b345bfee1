"""Runs the checks of some exercises on a submission folder and saves the results.

    checker = Checker(Path("exercises"), course, progress)       # warm: a zygote starts
    run = checker.run(topic, [exercise])                         # RunResult, or None if cancelled
    checker.close()

Warm (the default) means each run gets a worker forked from a zygote that imported
TensorFlow once (engine/warm.py). After a run, `prepare()` readies the next run's
Submission (its worker forked, warmed up and idle), so a save only pays for copying the
files, importing the student's module and the probes themselves.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

from autograder.course import Course, Exercise, Topic
from autograder.engine.client import Submission, copy_submission
from autograder.run import CheckResult, RunResult, run_checks
from autograder.selfstudy.state import Progress, checks_of, fingerprint


class _Stopper:
    """A pytest plugin able to stop the run after the check in progress."""

    def __init__(self):
        self.session = None

    def pytest_sessionstart(self, session):
        self.session = session

    def pytest_runtest_logreport(self, report):
        # A hang makes the exercise's next checks hang too: one time limit is enough to wait.
        if getattr(report, "course_status", None) == "timeout":
            self.stop()

    def stop(self) -> None:
        if self.session is not None:
            self.session.shouldstop = "the watch session cancelled this run"


def _refresh_files(folder: Path, submission: Submission) -> None:
    """Replace the files of a prepared submission by today's (nothing is imported yet).
    The folder itself stays: it is the waiting worker's working directory, and a worker
    whose working directory was removed fails on every relative path (os.getcwd())."""
    fresh = copy_submission(folder, Path(tempfile.mkdtemp(prefix="refresh-", dir=submission.scratch)))
    try:
        for old in submission.files.iterdir():
            shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
        for new in fresh.iterdir():
            os.replace(new, submission.files / new.name)
    finally:
        shutil.rmtree(fresh.parent, ignore_errors=True)


class Checker:
    def __init__(self, folder: Path, course: Course, progress: Progress, *, warm: bool = True,
                 seed: int | None = None, timeout_scale: float = 1.0):
        self.folder = Path(folder)
        self.course, self.progress = course, progress
        self.seed, self.timeout_scale = seed, timeout_scale
        self.zygote = None
        if warm:
            from autograder.engine.warm import Zygote
            self.zygote = Zygote(self._probe_modules)  # imports TensorFlow in the background from now on
        self._lock = threading.Lock()
        self._standby: tuple[Submission, list] | None = None
        self._running: list = []    # the workers of the run in progress
        self._stopper: _Stopper | None = None
        self._used: list[Submission] = []  # runs over; closed once the result is on screen (prepare)
        self._cancelled = False

    @property
    def warm_problem(self) -> str | None:
        """Why re-checks are not warm, if they are not."""
        if self.zygote is None:
            return "warm worker off"
        return self.zygote.unavailable

    def run(self, topic: Topic, exercises: list[Exercise]) -> RunResult | None:
        """Check `exercises` (all of `topic`); None when `cancel()` stopped the run."""
        only = [check.name for exercise in exercises for check in checks_of(exercise)]
        with self._lock:
            self._cancelled = False
        stamps = {topic.id: fingerprint(self.folder, topic)}  # before the files are copied
        submission, plugins = None, ()
        if self.zygote is not None:
            submission, workers = self._take_standby()
            self._used.append(submission)
            stopper = _Stopper()
            with self._lock:
                self._running, self._stopper = workers, stopper
            plugins = (stopper,)
        try:
            run = run_checks(self.folder, [topic], submission=submission, only=only, seed=self.seed,
                             timeout_scale=self.timeout_scale, plugins=plugins)
        finally:
            with self._lock:
                self._running, self._stopper = [], None
        with self._lock:
            if self._cancelled:
                return None
        self._fill_skipped(run, topic, exercises)
        self.progress.record(run, self.course, stamps)
        self.progress.save()
        return run

    @staticmethod
    def _fill_skipped(run: RunResult, topic: Topic, exercises: list[Exercise]) -> None:
        """Checks left out after a timeout stopped the run count as timed out too."""
        ran = {result.name for result in run.checks}
        if not any(result.status == "timeout" for result in run.checks):
            return
        for exercise in exercises:
            for check in checks_of(exercise):
                if check.name not in ran:
                    run.checks.append(CheckResult(
                        id=check.id, topic=topic.id, exercise=exercise.name, name=check.name, status="timeout",
                        points=0, max_points=check.points, duration_s=0.0,
                        message="not run: an earlier check timed out, and this one would most likely wait as long"))

    def prepare(self) -> None:
        """Fork the next run's worker now (call it once the result is on screen): the next
        save then finds a worker that has already run its first TensorFlow op."""
        while self._used:
            self._used.pop().close()
        if self.zygote is not None and self._standby is None:
            self._standby = self._prepare()

    def cancel(self) -> None:
        """Stop the run in progress (from another thread): its workers are killed."""
        with self._lock:
            self._cancelled = True
            workers = list(self._running)
            if self._stopper is not None:
                self._stopper.stop()  # no further check starts
        for worker in workers:
            worker.kill()

    def _prepare(self) -> tuple[Submission, list]:
        workers: list = []

        def factory(home, files):
            with self._lock:
                if self._cancelled and workers is self._running:
                    raise RuntimeError("this run was cancelled")  # no new worker for it
            worker = self._live_zygote().worker(home, files)
            with self._lock:
                workers.append(worker)
            return worker

        submission = Submission(self.folder, timeout_scale=self.timeout_scale, worker_factory=factory)
        submission.start()  # forks now (when the zygote is ready): idle until the next save
        return submission, workers

    def _live_zygote(self):
        """The zygote, started again if something killed it (a submission can kill its
        parent): the session goes on, the next re-check waits for TensorFlow once more."""
        if self.zygote.process.poll() is not None:
            from autograder.engine.warm import Zygote

            self.zygote.close()
            self.zygote = Zygote(self._probe_modules)
        return self.zygote

    def _take_standby(self) -> tuple[Submission, list]:
        standby, self._standby = self._standby, None
        if standby is None:
            return self._prepare()
        _refresh_files(self.folder, standby[0])  # copied when it was prepared: today's now
        return standby

    @property
    def _probe_modules(self) -> list[str]:
        return [topic.probe_module for topic in self.course.topics]

    def close(self) -> None:
        while self._used:
            self._used.pop().close()
        if self._standby is not None:
            self._standby[0].close()
            self._standby = None
        if self.zygote is not None:
            self.zygote.close()
