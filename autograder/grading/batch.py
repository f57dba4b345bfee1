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

from autograder import heldout
from autograder import mistakes
from autograder.course import Check, Course, Topic, load_course
from autograder.engine import boundary, sandbox, storage, uids
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
    no_uids=N_("grade refuses to start: it cannot reserve uids for the sandbox ({why}). Choose a range "
               "that no user, container or other grader of this machine uses with --uids FIRST-LAST."),
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
    not_read=N_("could not read the folder of {student}: {why}"),
    not_written=N_("could not write {output} for {student}: {error}"),
    readable=N_("without bubblewrap, every user can read {folder}: `chmod o-rwx {folder}` keeps submissions "
                "from reading each other"),
    heldout_readable=N_("without bubblewrap, every user can read the held-out files in {folder}, workers included: "
                        "`chmod -R o-rwx {folder}`"),
    heldout_refused=N_("grade refuses to start: {why}"),
    heldout_used=N_("accuracy is scored on the held-out files {names} in {folder}"),
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
    platforms: tuple = ()                     # the platforms' output writers (platforms.writers)
    cluster: str | None = None                # "tcp://HOST:8786" or "local:N": grade on Dask workers
    warm: bool = True                         # workers forked from a warm parent (False: cold, for comparison)
    uids: str | None = None                   # "FIRST-LAST": the sandbox uids' range (default uids.DEFAULT_RANGE)
    disk_mb: int | None = None                # each submission's scratch storage (default storage.DISK_BYTES)
    heldout: Path | None = None               # an instructor's held-out folder (default: data/heldout/)

    @property
    def settings(self) -> SandboxSettings:
        return SandboxSettings(sandbox=self.sandbox, bwrap=self.bwrap, memory_gb=self.memory_gb,
                               cpu_seconds=self.cpu_seconds, uid_range=self.uids,
                               disk_bytes=self.disk_mb << 20 if self.disk_mb else storage.DISK_BYTES)


@dataclass
class _Job:
    found: Found
    unreadable: dict[str, str]
    topics: list[str]                     # topics the grader process runs
    missing: set[str]                     # topics to record (the others are graded already)
    files: dict[str, bytes] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)   # topic id -> which file was graded (submissions.py)


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
        self.failed: list[str] = []     # graded again on the next run
        self.problems: list[str] = []   # other students' troubles this run met, said at its end
        self.heldout: heldout.HeldOut | None = None   # chosen when the run starts
        self.scored_on: dict[str, str] = {}            # {topic: its held-out files and their digests}

    # -- the run --------------------------------------------------------------------------
    def run(self) -> int:
        options = self.options
        ui = MESSAGES[options.lang]
        if options.sandbox and os.geteuid() == 0:
            try:  # this process's block (the local jobs' workers take their uids from it)
                uids.reserved(options.uids)
            except uids.Unavailable as error:
                self.console.print(f"[red]{ui['no_uids'].format(why=error)}[/]")
                return 2
        missing = missing_layers(options)
        if missing:
            self.console.print(f"[red]{ui['refuse'].format(missing='; '.join(missing))}[/]")
            return 2
        closed = self._closed_ancestor()
        if closed is not None:
            self.console.print(f"[red]{ui['unreachable'].format(folder=closed)}[/]")
            return 2
        try:  # the files the accuracy checks score on, chosen and pinned (SHA-256) once for the run
            self.heldout = heldout.for_grading(self.topics, options.heldout)
            self.scored_on = self.heldout.scored_on(self.topics)
        except heldout.HeldOutError as error:
            self.console.print(f"[red]{ui['heldout_refused'].format(why=error)}[/]")
            return 2
        self._report_sandbox()
        if self.heldout.sha256:
            self.console.print(ui["heldout_used"].format(names=", ".join(self.heldout.sha256), folder=self.heldout.folder))
        found = discover(options.submissions, options.students)
        for item in found:
            if item.problem:  # reported at the end; the others are graded all the same
                self.problems.append(ui["not_read"].format(student=item.student, why=item.problem))
        found = [item for item in found if not item.problem]
        wanted = {check.id for check in self.checks}
        todo = []  # (submission, the topics it lacks results for); a topic added later runs alone
        for item in found:
            missing = wanted - self.book.graded_checks(item.student, item.files_hash, self.scored_on)
            if missing:
                todo.append((item, {check.topic for check in self.checks if check.id in missing}))
        started = time.monotonic()
        with executor_for(options.jobs, options.cluster) as executor:
            self.console.print(ui["found"].format(found=len(found), done=len(found) - len(todo), todo=len(todo),
                                                  executor=executor.name, checks=len(self.checks),
                                                  topics=", ".join(t.id for t in self.topics), seed=self.seed))
            if todo:
                run_id = self.book.start_run(self.seed, [t.id for t in self.topics], executor.slots,
                                             sandbox.describe(_policy(options, 0)), self.heldout.to_spec())
                self._grade_all(todo, run_id, executor)
        unwritten: list[tuple[str, str, BaseException]] = []
        written = outputs.write_all(self.book, self.out, self.course, options.lang, options.platforms, unwritten)
        self.problems += [ui["not_written"].format(output=output, student=student,
                                                   error=boundary.clean_text(f"{type(error).__name__}: {error}", 300))
                          for output, student, error in unwritten]
        self.console.print(ui["finished"].format(graded=len(todo) - len(self.failed),
                                                 seconds=f"{time.monotonic() - started:.1f}", out=self.out,
                                                 written=", ".join(written)))
        # The run's last lines: every submission it could not grade, read or write out.
        for student in dict.fromkeys(self.failed):
            log = self.out / ".work" / student / "grader.log"
            self.console.print(f"[red]{ui['not_graded'].format(student=student, log=log)}[/]")
        for problem in self.problems:
            self.console.print(f"[red]{problem}[/]", markup=False, style="red")
        return 1 if self.failed or self.problems else 0

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
        if sandbox.switches_user(policy) and not (policy.use_bwrap and sandbox.bwrap_works(policy.uid)):
            if self.options.submissions.stat().st_mode & 0o005:
                self.console.print(f"[yellow]{ui['readable'].format(folder=self.options.submissions)}[/]")
            if any(map(_others_can_read, map(self.heldout.file, self.heldout.sha256))):
                self.console.print(f"[yellow]{ui['heldout_readable'].format(folder=self.heldout.folder)}[/]")

    def _grade_all(self, todo: list[tuple[Found, set[str]]], run_id: int, executor) -> None:
        columns = [TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[running]} running, {task.fields[left]} left"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
        with Progress(*columns, console=self.console, transient=False) as progress:
            bar = progress.add_task("grade", total=len(todo), running=0, left=len(todo))
            jobs, tasks = {}, []
            for found, missing in todo:
                try:
                    job = self._prepare(found, missing)
                except Exception as error:  # one folder's files failed us: that student only, retried next run
                    job = _Job(found=found, unreadable={}, topics=[], missing=missing)
                    self._record_infrastructure_error(job, run_id, boundary.clean_text(
                        f"{type(error).__name__} reading its files: {error}", 300))
                    progress.advance(bar)
                    continue
                if job.topics:
                    jobs[found.student] = job
                    tasks.append(self._task(job))
                else:  # nothing to run (every file unreadable): record at once
                    self._finish(job, run_id, None)
                    progress.advance(bar)
            left = len(tasks)
            progress.update(bar, running=min(executor.slots, left), left=max(0, left - executor.slots))
            for task, outcome in executor.run(tasks):
                job = jobs.pop(task.student)
                try:
                    self._finish(job, run_id, outcome)
                except Exception as error:  # a bug of ours on one submission's results: that one only
                    self._record_infrastructure_error(job, run_id, boundary.clean_text(
                        f"{type(error).__name__} while recording: {error}", 300))
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
            written = materialize(found, folder / "files", self.course)
            unreadable = {topic: why for topic, why in written.unreadable.items() if topic in missing}
            files = {path.name: path.read_bytes() for path in sorted((folder / "files").glob("*.py"))
                     if path.is_file() and not path.is_symlink()}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        topics = [topic.id for topic in self.topics if topic.id in missing and topic.id not in unreadable]
        return _Job(found=found, unreadable=unreadable, topics=topics, missing=missing, files=files,
                    flags=scan_sources(files), notes={t: note for t, note in written.notes.items() if t in topics})

    def _task(self, job: _Job) -> Task:
        return Task(student=job.found.student, files=job.files, topics=job.topics, seed=self.seed,
                    timeout_scale=self.options.timeout_scale, limit_s=self.limit,
                    work_root=str((self.out / ".work").resolve()), settings=self.options.settings,
                    warm=self.options.warm,
                    heldout=self.heldout.to_spec() if self.heldout is not None else None)

    def _finish(self, job: _Job, run_id: int, outcome: Outcome | BaseException | None) -> None:
        if isinstance(outcome, BaseException):
            if killed_worker(outcome):  # it took its worker down twice: recorded, not retried forever
                message = MESSAGES[self.options.lang]["killed_worker"].format(times=2)
                results = [_result(check, "error", message) for check in self.checks if check.topic in job.missing]
                self.book.record(run_id, job.found.student, job.found.files_hash, results, 0.0, message, job.flags,
                                 scored_on=self.scored_on)
            else:
                self._record_infrastructure_error(job, run_id, boundary.clean_text(
                    f"{type(outcome).__name__}: {outcome}", 300))
            return
        if outcome is not None and outcome.survivor:
            self.console.print(f"[red]{outcome.survivor}[/]")
        internal = _internal_error(outcome)
        if internal:  # the grader failed, not the submission: no grade, graded again next run
            self._record_infrastructure_error(job, run_id, internal)
            return
        try:
            results = self._results(job, outcome)
        except (OSError, ValueError, KeyError, TypeError) as error:  # the child's report is unreadable
            self._record_infrastructure_error(job, run_id, f"{type(error).__name__} reading its results")
            return
        if results is None:
            self.failed.append(job.found.student)  # the grader itself failed: retry next run, record nothing
            return
        duration = outcome.duration_s if outcome is not None else 0.0
        reported = outcome.report.get("notes") if outcome is not None and outcome.report is not None else None
        skipped = list(reported.items()) if isinstance(reported, dict) else []  # a notebook's cells that raised
        notes = boundary.clean_text("; ".join(f"{topic}: {why}" for topic, why in
                                              [*job.unreadable.items(), *job.notes.items(), *skipped]))
        try:
            self.book.record(run_id, job.found.student, job.found.files_hash, results, round(duration, 3), notes,
                             job.flags, sources=job.files, scored_on=self.scored_on)
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


def _internal_error(outcome: Outcome | None) -> str:
    """The first check that failed on the trusted side (its id and message), "" if none."""
    report = outcome.report if outcome is not None and isinstance(outcome.report, dict) else {}
    ids = report.get("internal_errors") or []
    if not isinstance(ids, list) or not ids:
        return ""
    message = next((result.get("message", "") for result in report.get("checks", [])
                    if isinstance(result, dict) and result.get("id") == ids[0]), "")
    return boundary.clean_text(f"{ids[0]}: {message}", 300)


def _others_can_read(path: Path) -> bool:
    """Can a user other than the owner read `path` (every folder above it open to them)?"""
    return bool(path.stat().st_mode & 0o004) and all(folder.stat().st_mode & 0o001 for folder in path.parents)


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
