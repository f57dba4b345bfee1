"""`python -m autograder grade SUBMISSIONS --out OUT [--jobs N | --cluster ADDRESS] [--topics ...]`.

Grades every student folder of SUBMISSIONS through one executor (executor.py): N at a
time on this machine (`--jobs N`), or on the workers of a Dask cluster (`--cluster
tcp://HOST:8786`, or `--cluster local:N`). Each submission gets its own grader process
whose workers run in the sandbox (engine/sandbox.py; the layers in use are printed at
start), forked from the slot's warm parent (`--workers cold`: each imports TensorFlow).
Results go to the gradebook (OUT/gradebook.db unless --db), one transaction per
submission, so the command can be killed at any moment (even `kill -9`) and run again: it
skips every submission already graded from the same files, regrades changed ones, and
never loses or doubles a result. Each run draws a new seed for the checks' random inputs
and records it. At the end, the outputs (outputs.py) are written from the gradebook.
"""
from __future__ import annotations

import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from autograder import mistakes
from autograder.course import Check, Course, Topic, load_course
from autograder.engine import boundary, sandbox
from autograder.grading import outputs
from autograder.grading.executor import Outcome, SandboxSettings, Task, executor_for, killed_worker
from autograder.grading.gradebook import Gradebook
from autograder.grading.submissions import Found, discover, materialize
from autograder.grading.tampering import scan_sources
from autograder.i18n import N_, Texts

STARTUP_ALLOWANCE_S = 120.0  # TensorFlow imports of the grader's workers, per submission
INFRA_HASH_PREFIX = "infrastructure-error:"   # a files hash no run matches: graded again next time
STATUSES = ("passed", "failed", "not_attempted", "error", "timeout")

# What `grade` says before it refuses a weaker sandbox (English msgids, autograder/locale).
MESSAGES = Texts(
    refuse=N_("grade refuses to start: {missing}. Install what is missing with `make system-deps` "
              "(as root), or pass --weak-sandbox to grade with the layers this machine has."),
    bwrap_missing=N_("bubblewrap is not installed (Debian package bubblewrap)"),
    bwrap_broken=N_("bubblewrap is installed but cannot create namespaces here"),
    no_user=N_("workers cannot switch to a user of their own"),
    infra=N_("the grader failed on this submission ({why}); it will be graded again on the next run"),
    unreachable=N_("grade refuses to start: the sandbox users cannot enter {folder}, on the way to the "
                   "output folder (`chmod o+x {folder}`, or choose --out elsewhere)"),
    found=N_("{found} submissions, {done} already graded from the same files, {todo} to grade on {executor}; "
             "{checks} checks of {topics}; seed {seed}"),
    finished=N_("graded {graded} in {seconds} s; outputs in {out}: {written}"),
    not_graded=N_("could not grade {student}: see {log} (it will be retried on the next run)"),
    not_recorded=N_("could not record {student}: {error}"),
    readable=N_("without bubblewrap, every user can read {folder}: `chmod o-rwx {folder}` keeps submissions "
                "from reading each other"),
    layers=N_("Sandbox layers"),
    warm=N_("warm: forked from a parent that imported TensorFlow once, every layer above applied in each child"),
    cold=N_("cold: one process per worker"),
    killed_worker=N_("grading this submission ended its grading machine's worker process {times} times "
                     "(out of memory? a crash?), so it was not tried again"),
)


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
    bwrap: bool = True                        # False: the layers that remain without bubblewrap (a weaker sandbox)
    weak_sandbox: bool = False                # grade even when a layer is missing (else refuse to start)
    memory_gb: float | None = None
    cpu_seconds: int | None = None
    lang: str = "en"
    roster: dict[str, dict[str, str]] | None = None   # folder -> Canvas identity (platforms/canvas.py)
    cluster: str | None = None                # "tcp://HOST:8786" or "local:N": grade on Dask workers
    warm: bool = True                         # workers forked from a warm parent (False: cold, for comparison)

    @property
    def settings(self) -> SandboxSettings:
        return SandboxSettings(sandbox=self.sandbox, bwrap=self.bwrap, memory_gb=self.memory_gb,
                               cpu_seconds=self.cpu_seconds)


@dataclass
class _Job:
    found: Found
    unreadable: dict[str, str]
    topics: list[str]                     # topics the grader process runs
    missing: set[str]                     # topics to record (the others are graded already)
    files: dict[str, bytes] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


def gradable_checks(topics: list[Topic]) -> list[Check]:
    """The checks `grade` runs: those of topics whose check module exists (topics are
    added over time), hidden ones included when their code is present."""
    return [check for topic in topics for check in topic.checks if check.hidden or topic.check_module.exists()]


def _policy(options: Options, number: int) -> sandbox.Policy:
    return options.settings.policy(number)


def missing_layers(options: Options) -> list[str]:
    """The layers `grade` insists on that this machine lacks, in `options.lang`: bubblewrap
    (which, not as root, is also what gives a user namespace) and, as root, the uid switch."""
    if not options.sandbox or not options.bwrap or options.weak_sandbox:
        return []  # a weaker sandbox, asked for by name
    ui = MESSAGES[options.lang]
    policy = _policy(options, 0)
    missing = []
    if os.geteuid() == 0 and not sandbox.switches_user(policy):
        missing.append(ui["no_user"])
    if not sandbox.bwrap_works(policy.uid if sandbox.switches_user(policy) else None):
        missing.append(ui["bwrap_missing"] if shutil.which("bwrap") is None else ui["bwrap_broken"])
    return missing


class Batch:
    def __init__(self, options: Options, console: Console | None = None):
        self.options = options
        self.console = console or Console(highlight=False)
        self.course: Course = load_course()
        self.topics = [self.course.topic(key) for key in options.topics] if options.topics else self.course.topics
        self.checks = gradable_checks(self.topics)
        self.out = options.out
        # Grades and feedback are for the instructor: every file is written 0600 (umask 077,
        # set by `grade`). Workers only traverse the output folder to their scratch (0711).
        self.out.mkdir(parents=True, exist_ok=True)
        os.chmod(self.out, 0o711)
        (self.out / ".work").mkdir(mode=0o711, exist_ok=True)
        os.chmod(self.out / ".work", 0o711)
        self.book = Gradebook(options.db or f"sqlite:///{(self.out / 'gradebook.db').resolve()}")
        self.seed = secrets.randbelow(2**31)
        self.limit = options.submission_timeout or (
            STARTUP_ALLOWANCE_S + 2 * sum(check.timeout for check in self.checks) * options.timeout_scale)
        self.failed: list[str] = []

    # -- the run --------------------------------------------------------------------------
    def run(self) -> int:
        options = self.options
        ui = MESSAGES[options.lang]
        missing = missing_layers(options)
        if missing:
            self.console.print(f"[red]{ui['refuse'].format(missing='; '.join(missing))}[/]")
            return 2
        closed = self._closed_ancestor()
        if closed is not None:
            self.console.print(f"[red]{ui['unreachable'].format(folder=closed)}[/]")
            return 2
        self._report_sandbox()
        found = discover(options.submissions, options.students)
        wanted = {check.id for check in self.checks}
        todo = []  # (submission, the topics it lacks results for); a topic added later runs alone
        for item in found:
            missing = wanted - self.book.graded_checks(item.student, item.files_hash)
            if missing:
                todo.append((item, {check.topic for check in self.checks if check.id in missing}))
        started = time.monotonic()
        with executor_for(options.jobs, options.cluster) as executor:
            self.console.print(ui["found"].format(found=len(found), done=len(found) - len(todo), todo=len(todo),
                                                  executor=executor.name, checks=len(self.checks),
                                                  topics=", ".join(t.id for t in self.topics), seed=self.seed))
            if todo:
                run_id = self.book.start_run(self.seed, [t.id for t in self.topics], executor.slots,
                                             sandbox.describe(_policy(options, 0)))
                self._grade_all(todo, run_id, executor)
        written = outputs.write_all(self.book, self.out, self.course, options.lang, options.roster)
        self.console.print(ui["finished"].format(graded=len(todo) - len(self.failed),
                                                 seconds=f"{time.monotonic() - started:.1f}", out=self.out,
                                                 written=", ".join(written)))
        for student in self.failed:
            log = self.out / ".work" / student / "grader.log"
            self.console.print(f"[red]{ui['not_graded'].format(student=student, log=log)}[/]")
        return 1 if self.failed else 0

    def _closed_ancestor(self) -> Path | None:
        """A folder above OUT that another uid cannot enter (its scratch lives in OUT/.work)."""
        if not sandbox.switches_user(_policy(self.options, 0)):
            return None
        for folder in self.out.resolve().parents:
            if not folder.stat().st_mode & 0o001:
                return folder
        return None

    def _report_sandbox(self) -> None:
        ui = MESSAGES[self.options.lang]
        table = Table(title=ui["layers"], show_header=False, title_justify="left")
        for layer, state in sandbox.describe(_policy(self.options, 0)).items():
            table.add_row(layer, state, style="green" if state.startswith("on") else "yellow")
        table.add_row("workers", ui["warm"] if self.options.warm else ui["cold"], style="green")
        self.console.print(table)
        policy = _policy(self.options, 0)
        if sandbox.switches_user(policy) and not (policy.use_bwrap and sandbox.bwrap_works(policy.uid)) \
                and self.options.submissions.stat().st_mode & 0o005:
            self.console.print(f"[yellow]{ui['readable'].format(folder=self.options.submissions)}[/]")

    def _grade_all(self, todo: list[tuple[Found, set[str]]], run_id: int, executor) -> None:
        columns = [TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[running]} running, {task.fields[left]} left"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
        with Progress(*columns, console=self.console, transient=False) as progress:
            bar = progress.add_task("grade", total=len(todo), running=0, left=len(todo))
            jobs, tasks = {}, []
            for found, missing in todo:
                job = self._prepare(found, missing)
                if job.topics:
                    jobs[found.student] = job
                    tasks.append(self._task(job))
                else:  # nothing to run (every file unreadable): record at once
                    self._finish(job, run_id, None)
                    progress.advance(bar)
            left = len(tasks)
            progress.update(bar, running=min(executor.slots, left), left=max(0, left - executor.slots))
            for task, outcome in executor.run(tasks):
                self._finish(jobs.pop(task.student), run_id, outcome)
                left -= 1
                progress.update(bar, advance=1, running=min(executor.slots, left),
                                left=max(0, left - executor.slots))

    # -- one submission ---------------------------------------------------------------------
    def _prepare(self, found: Found, missing: set[str]) -> _Job:
        """Read the submission here (the trusted side): its files, which topics it can be
        graded on, and the tampering signs of its sources."""
        staging = self.out / ".work" / ".staging"
        staging.mkdir(mode=0o700, exist_ok=True)
        folder = staging / found.student
        shutil.rmtree(folder, ignore_errors=True)
        boundary.make_private_folder(folder)
        try:
            unreadable = {topic: why for topic, why in materialize(found, folder / "files", self.course).items()
                          if topic in missing}
            files = {path.name: path.read_bytes() for path in sorted((folder / "files").glob("*.py"))
                     if path.is_file() and not path.is_symlink()}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        topics = [topic.id for topic in self.topics if topic.id in missing and topic.id not in unreadable]
        return _Job(found=found, unreadable=unreadable, topics=topics, missing=missing, files=files,
                    flags=scan_sources(files))

    def _task(self, job: _Job) -> Task:
        return Task(student=job.found.student, files=job.files, topics=job.topics, seed=self.seed,
                    timeout_scale=self.options.timeout_scale, limit_s=self.limit,
                    work_root=str((self.out / ".work").resolve()), settings=self.options.settings,
                    warm=self.options.warm)

    def _finish(self, job: _Job, run_id: int, outcome: Outcome | BaseException | None) -> None:
        if isinstance(outcome, BaseException):
            if killed_worker(outcome):  # it took its worker down twice: recorded, not retried forever
                message = MESSAGES[self.options.lang]["killed_worker"].format(times=2)
                results = [_result(check, "error", message) for check in self.checks if check.topic in job.missing]
                self.book.record(run_id, job.found.student, job.found.files_hash, results, 0.0, message, job.flags)
            else:
                self._record_infrastructure_error(job, run_id, boundary.clean_text(
                    f"{type(outcome).__name__}: {outcome}", 300))
            return
        if outcome is not None and outcome.survivor:
            self.console.print(f"[red]{outcome.survivor}[/]")
        try:
            results = self._results(job, outcome)
        except (OSError, ValueError, KeyError, TypeError) as error:  # the child's report is unreadable
            self._record_infrastructure_error(job, run_id, f"{type(error).__name__} reading its results")
            return
        if results is None:
            self.failed.append(job.found.student)  # the grader itself failed: retry next run, record nothing
            return
        duration = outcome.duration_s if outcome is not None else 0.0
        notes = boundary.clean_text("; ".join(f"{topic}: {why}" for topic, why in job.unreadable.items()))
        try:
            self.book.record(run_id, job.found.student, job.found.files_hash, results, round(duration, 3), notes,
                             job.flags, sources=job.files)
        except Exception as error:  # one submission's record fails that submission only
            self._record_infrastructure_error(job, run_id, f"{type(error).__name__} while recording")

    def _results(self, job: _Job, outcome: Outcome | None) -> list[dict] | None:
        """This submission's results, rebuilt from the course map: only the status, the
        message (cleaned) and the duration come from the report. None: no report at all."""
        by_id = {}
        timed_out = outcome is not None and outcome.timed_out
        if outcome is not None and outcome.report is not None:
            checks = outcome.report["checks"]
            by_id = {result["id"]: result for result in checks if isinstance(result, dict)}
        elif job.topics and not timed_out:
            return None
        results = []
        for check in self.checks:
            if check.topic not in job.missing:
                continue
            if check.topic in job.unreadable:
                results.append(_result(check, "error", job.unreadable[check.topic]))
            elif check.id in by_id:
                reported = by_id[check.id]
                status = reported.get("status") if reported.get("status") in STATUSES else "error"
                result = _result(check, status, reported.get("message", ""))
                result.update(mistakes.from_report(reported, check, {other.name for other in self.checks if (
                    other.topic, other.exercise) == (check.topic, check.exercise)}))
                result["points"] = check.points if status == "passed" else 0
                duration = reported.get("duration_s")
                result["duration_s"] = float(duration) if isinstance(duration, (int, float)) else 0.0
                results.append(result)
            elif timed_out:
                results.append(_result(check, "timeout", f"grading this submission took longer than its "
                                                         f"{self.limit:.0f} s limit and was stopped"))
        return results

    def _record_infrastructure_error(self, job: _Job, run_id: int, why: str) -> None:
        """Mark the submission in the gradebook as not graded (every check `error`, 0 points,
        the reason in its notes) under a files hash that no run matches: the next run grades
        it again. It is never left looking graded."""
        self.failed.append(job.found.student)
        message = MESSAGES[self.options.lang]["infra"].format(why=why)
        results = [_result(check, "error", message) for check in self.checks if check.topic in job.missing]
        try:
            self.book.record(run_id, job.found.student, INFRA_HASH_PREFIX + job.found.files_hash, results, 0.0,
                             message, job.flags)
        except Exception as error:  # even the marker failed: nothing is recorded, so it is retried all the same
            text = MESSAGES[self.options.lang]["not_recorded"].format(student=job.found.student,
                                                                       error=type(error).__name__)
            self.console.print(f"[red]{text}[/]")


def _result(check: Check, status: str, message) -> dict:
    return {"id": check.id, "topic": check.topic, "exercise": check.exercise, "name": check.name, "status": status,
            "points": 0, "max_points": check.points, "message": boundary.clean_text(message), "duration_s": 0.0}


def grade(options: Options, console: Console | None = None) -> int:
    umask = os.umask(0o077)  # the gradebook, grades and feedback: the instructor's eyes only
    try:
        batch = Batch(options, console)
        try:
            return batch.run()
        finally:
            batch.book.close()
    finally:
        os.umask(umask)
