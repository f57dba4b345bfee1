"""`python -m autograder grade SUBMISSIONS --out OUT [--jobs N] [--topics ...]`.

Grades every student folder of SUBMISSIONS, N at a time, each in its own grader process
whose workers run in the sandbox (engine/sandbox.py; the layers in use are printed at
start). Results go to the gradebook (OUT/gradebook.db unless --db), one transaction per
submission, so the command can be killed at any moment (even `kill -9`) and run again: it
skips every submission already graded from the same files, regrades changed ones, and
never loses or doubles a result. Each run draws a new seed for the checks' random inputs
and records it. At the end, the outputs (outputs.py) are written from the gradebook.
"""
from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from autograder import COURSE_ROOT
from autograder.course import Check, Course, Topic, load_course
from autograder.engine import sandbox
from autograder.grading import outputs
from autograder.grading.gradebook import Gradebook
from autograder.grading.submissions import Found, discover, materialize
from autograder.run import CHECKS_DIR

STARTUP_ALLOWANCE_S = 120.0  # TensorFlow imports of the grader's workers, per submission


@dataclass
class Options:
    submissions: Path
    out: Path
    jobs: int = 1
    topics: list[str] | None = None
    students: list[str] | None = None
    db: str | None = None
    timeout_scale: float = 1.0
    submission_timeout: float | None = None   # default: from the checks' time limits
    sandbox: bool = True
    bwrap: bool = True                        # False: the layers that remain without bubblewrap
    memory_gb: float | None = None
    cpu_seconds: int | None = None
    lang: str = "en"
    roster: dict[str, dict[str, str]] | None = None   # folder -> Canvas identity (platforms/canvas.py)


@dataclass
class _Job:
    found: Found
    work: Path
    unreadable: dict[str, str]
    topics: list[str]                     # topics the grader process runs
    missing: set[str]                     # topics to record (the others are graded already)
    slot: int = 0
    process: subprocess.Popen | None = None
    started: float = 0.0
    deadline: float = 0.0
    timed_out: bool = False
    results: list[dict] = field(default_factory=list)


def gradable_checks(topics: list[Topic]) -> list[Check]:
    """The checks `grade` runs: those of topics whose check module exists (topics are
    added over time), hidden ones included when their code is present."""
    return [check for topic in topics for check in topic.checks
            if check.hidden or (CHECKS_DIR / f"test_{topic.module}.py").exists()]


def _policy(options: Options, slot: int) -> sandbox.Policy:
    limits = {}
    if options.memory_gb:
        limits["memory_bytes"] = int(options.memory_gb * sandbox.GiB)
    if options.cpu_seconds:
        limits["cpu_seconds"] = options.cpu_seconds
    if not options.sandbox:
        return sandbox.Policy(**limits)
    return sandbox.Policy.for_grading(slot, use_bwrap=options.bwrap, **limits)


def _die_with_parent() -> None:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a killed batch leaves no orphans


class Batch:
    def __init__(self, options: Options, console: Console | None = None):
        self.options = options
        self.console = console or Console(highlight=False)
        self.course: Course = load_course()
        self.topics = [self.course.topic(key) for key in options.topics] if options.topics else self.course.topics
        self.checks = gradable_checks(self.topics)
        self.out = options.out
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / ".work").mkdir(mode=0o700, exist_ok=True)  # submissions' files: the grader's eyes only
        os.chmod(self.out / ".work", 0o700)
        self.book = Gradebook(options.db or f"sqlite:///{(self.out / 'gradebook.db').resolve()}")
        self.seed = secrets.randbelow(2**31)
        self.limit = options.submission_timeout or (
            STARTUP_ALLOWANCE_S + 2 * sum(check.timeout for check in self.checks) * options.timeout_scale)
        self.failed: list[str] = []

    # -- the run --------------------------------------------------------------------------
    def run(self) -> int:
        options = self.options
        self._report_sandbox()
        found = discover(options.submissions, options.students)
        wanted = {check.id for check in self.checks}
        todo = []  # (submission, the topics it lacks results for); a topic added later runs alone
        for item in found:
            missing = wanted - self.book.graded_checks(item.student, item.files_hash)
            if missing:
                todo.append((item, {check.topic for check in self.checks if check.id in missing}))
        self.console.print(f"{len(found)} submissions, {len(found) - len(todo)} already graded from the same files, "
                           f"{len(todo)} to grade with {options.jobs} job(s); "
                           f"{len(self.checks)} checks of {', '.join(t.id for t in self.topics)}; seed {self.seed}")
        started = time.monotonic()
        if todo:
            run_id = self.book.start_run(self.seed, [t.id for t in self.topics], options.jobs,
                                         sandbox.describe(_policy(options, 0)))
            self._grade_all(todo, run_id)
        written = outputs.write_all(self.book, self.out, self.course, options.lang, options.roster)
        self.console.print(f"graded {len(todo) - len(self.failed)} in {time.monotonic() - started:.1f} s; "
                           f"outputs in {self.out}: {', '.join(written)}")
        for student in self.failed:
            self.console.print(f"[red]could not grade {student}[/]: see {self.out / '.work' / student / 'grader.log'}"
                               " (it will be retried on the next run)")
        return 1 if self.failed else 0

    def _report_sandbox(self) -> None:
        table = Table(title="Sandbox layers", show_header=False, title_justify="left")
        for layer, state in sandbox.describe(_policy(self.options, 0)).items():
            table.add_row(layer, state, style="green" if state.startswith("on") else "yellow")
        self.console.print(table)
        policy = _policy(self.options, 0)
        if sandbox.switches_user(policy) and not (policy.use_bwrap and sandbox.bwrap_works(policy.uid)) \
                and self.options.submissions.stat().st_mode & 0o005:
            self.console.print(f"[yellow]without bubblewrap, every user can read {self.options.submissions}: "
                               f"`chmod o-rwx {self.options.submissions}` keeps submissions from reading each other[/]")

    def _grade_all(self, todo: list[tuple[Found, set[str]]], run_id: int) -> None:
        free = list(range(self.options.jobs))
        queue = list(todo)
        running: list[_Job] = []
        columns = [TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[running]} running, {task.fields[left]} left"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
        with Progress(*columns, console=self.console, transient=False) as progress:
            task = progress.add_task("grade", total=len(todo), running=0, left=len(todo))
            while queue or running:
                while queue and free:
                    job = self._prepare(*queue.pop(0), free.pop(0))
                    if job.topics:
                        self._start(job)
                        running.append(job)
                    else:  # nothing to run (every file unreadable): record at once
                        self._finish(job, run_id)
                        free.append(job.slot)
                        progress.advance(task)
                for job in list(running):
                    if self._poll(job):
                        running.remove(job)
                        self._finish(job, run_id)
                        free.append(job.slot)
                        progress.advance(task)
                progress.update(task, running=len(running), left=len(queue))
                time.sleep(0.05)

    # -- one submission ---------------------------------------------------------------------
    def _prepare(self, found: Found, missing: set[str], slot: int) -> _Job:
        work = self.out / ".work" / found.student
        shutil.rmtree(work, ignore_errors=True)
        unreadable = {topic: why for topic, why in materialize(found, work / "files", self.course).items()
                      if topic in missing}
        topics = [topic.id for topic in self.topics if topic.id in missing and topic.id not in unreadable]
        return _Job(found=found, work=work, unreadable=unreadable, topics=topics, missing=missing, slot=slot)

    def _start(self, job: _Job) -> None:
        command = [sys.executable, "-m", "autograder.grading.child", *job.topics, "--submission",
                   str(job.work / "files"), "--json", str(job.work / "result.json"), "--seed", str(self.seed),
                   "--timeout-scale", str(self.options.timeout_scale)]
        env = {**os.environ, sandbox.ENV_VAR: _policy(self.options, job.slot).to_env()}
        with open(job.work / "grader.log", "wb") as log:
            job.process = subprocess.Popen(command, cwd=COURSE_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True,
                                           preexec_fn=_die_with_parent)
        job.started = time.monotonic()
        job.deadline = job.started + self.limit

    def _poll(self, job: _Job) -> bool:
        """True once the job's grader has ended (killed, with its workers, past the deadline)."""
        if job.process.poll() is not None:
            return True
        if time.monotonic() < job.deadline:
            return False
        job.timed_out = True
        try:
            os.killpg(job.process.pid, signal.SIGKILL)  # its workers die with it (PDEATHSIG)
        except ProcessLookupError:
            pass
        job.process.wait()
        return True

    def _finish(self, job: _Job, run_id: int) -> None:
        report = job.work / "result.json"
        by_id = {}
        if report.exists():
            by_id = {result["id"]: result for result in json.loads(report.read_text(encoding="utf-8"))["checks"]}
        elif job.topics and not job.timed_out:
            self.failed.append(job.found.student)  # the grader itself failed: retry next run, record nothing
            return
        results = []
        for check in self.checks:
            if check.topic not in job.missing:
                continue
            if check.topic in job.unreadable:
                results.append(_result(check, "error", job.unreadable[check.topic]))
            elif check.id in by_id:
                results.append(by_id[check.id])
            elif job.timed_out:
                results.append(_result(check, "timeout", f"grading this submission took longer than its "
                                                         f"{self.limit:.0f} s limit and was stopped"))
        duration = time.monotonic() - job.started if job.started else 0.0
        notes = "; ".join(f"{topic}: {why}" for topic, why in job.unreadable.items())
        self.book.record(run_id, job.found.student, job.found.files_hash, results, round(duration, 3), notes)
        shutil.rmtree(job.work / "files", ignore_errors=True)


def _result(check: Check, status: str, message: str) -> dict:
    return {"id": check.id, "topic": check.topic, "exercise": check.exercise, "name": check.name, "status": status,
            "points": 0, "max_points": check.points, "message": message, "duration_s": 0.0}


def grade(options: Options, console: Console | None = None) -> int:
    batch = Batch(options, console)
    try:
        return batch.run()
    finally:
        batch.book.close()
