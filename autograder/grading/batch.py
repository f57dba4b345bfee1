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
import itertools
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
from autograder.engine import boundary, sandbox
from autograder.engine.containment import Containment
from autograder.grading import outputs
from autograder.grading.gradebook import Gradebook
from autograder.grading.child import JOB_ENV
from autograder.grading.submissions import Found, discover, materialize
from autograder.grading.tampering import scan_sources

STARTUP_ALLOWANCE_S = 120.0  # TensorFlow imports of the grader's workers, per submission
SUBMISSION_MEMORY = 6 * sandbox.GiB   # all workers of one submission together (a cgroup, where there is one)
SUBMISSION_PROCESSES = 1024           # processes and threads of one submission together (TF starts many)
INFRA_HASH_PREFIX = "infrastructure-error:"   # a files hash no run matches: graded again next time
STATUSES = ("passed", "failed", "not_attempted", "error", "timeout")

# What `grade` says before it refuses a weaker sandbox (named placeholders, en and zh).
MESSAGES = {
    "en": {"refuse": "grade refuses to start: {missing}. Install what is missing with `make system-deps` "
                     "(as root), or pass --weak-sandbox to grade with the layers this machine has.",
           "bwrap_missing": "bubblewrap is not installed (Debian package bubblewrap)",
           "bwrap_broken": "bubblewrap is installed but cannot create namespaces here",
           "no_user": "workers cannot switch to a user of their own",
           "infra": "the grader failed on this submission ({why}); it will be graded again on the next run",
           "unreachable": "grade refuses to start: the sandbox users cannot enter {folder}, on the way to the "
                          "output folder (`chmod o+x {folder}`, or choose --out elsewhere)"},
    "zh": {"refuse": "grade 拒绝启动：{missing}。请以 root 身份运行 `make system-deps` 安装缺少的组件，"
                     "或加上 --weak-sandbox 以本机现有的隔离层评分。",
           "bwrap_missing": "未安装 bubblewrap（Debian 软件包 bubblewrap）",
           "bwrap_broken": "已安装 bubblewrap，但无法在此创建命名空间",
           "no_user": "工作进程无法切换到独立用户",
           "infra": "评分程序处理此提交时出错（{why}）；下次运行时会重新评分",
           "unreachable": "grade 拒绝启动：沙箱用户无法进入输出文件夹路径上的 {folder}"
                          "（运行 `chmod o+x {folder}`，或用 --out 选择别处）"},
}


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


@dataclass
class _Job:
    found: Found
    work: Path
    unreadable: dict[str, str]
    topics: list[str]                     # topics the grader process runs
    missing: set[str]                     # topics to record (the others are graded already)
    slot: int = 0
    number: int = 0                       # the submission's number in this batch: its uid
    flags: list[str] = field(default_factory=list)
    box: Containment | None = None
    process: subprocess.Popen | None = None
    started: float = 0.0
    deadline: float = 0.0
    timed_out: bool = False
    results: list[dict] = field(default_factory=list)


def gradable_checks(topics: list[Topic]) -> list[Check]:
    """The checks `grade` runs: those of topics whose check module exists (topics are
    added over time), hidden ones included when their code is present."""
    return [check for topic in topics for check in topic.checks
            if check.hidden or topic.check_module.exists()]


def _policy(options: Options, number: int, box: Containment | None = None) -> sandbox.Policy:
    limits = {"cgroups": box.cgroups, "bounds": box.bounds} if box is not None and box.cgroups else {}
    if options.memory_gb:
        limits["memory_bytes"] = int(options.memory_gb * sandbox.GiB)
    if options.cpu_seconds:
        limits["cpu_seconds"] = options.cpu_seconds
    if not options.sandbox:
        return sandbox.Policy(**limits)
    return sandbox.Policy.for_grading(number, use_bwrap=options.bwrap, **limits)


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
        # Grades and feedback are for the instructor: every file is written 0600 (umask 077,
        # set by `grade`). Workers only traverse the output folder to their scratch (0711).
        self.out.mkdir(parents=True, exist_ok=True)
        os.chmod(self.out, 0o711)
        (self.out / ".work").mkdir(mode=0o711, exist_ok=True)
        os.chmod(self.out / ".work", 0o711)
        self._numbers = itertools.count(1)  # a fresh uid per submission
        self.book = Gradebook(options.db or f"sqlite:///{(self.out / 'gradebook.db').resolve()}")
        self.seed = secrets.randbelow(2**31)
        self.limit = options.submission_timeout or (
            STARTUP_ALLOWANCE_S + 2 * sum(check.timeout for check in self.checks) * options.timeout_scale)
        self.failed: list[str] = []

    # -- the run --------------------------------------------------------------------------
    def run(self) -> int:
        options = self.options
        missing = missing_layers(options)
        if missing:
            self.console.print(f"[red]{MESSAGES[options.lang]['refuse'].format(missing='; '.join(missing))}[/]")
            return 2
        closed = self._closed_ancestor()
        if closed is not None:
            self.console.print(f"[red]{MESSAGES[options.lang]['unreachable'].format(folder=closed)}[/]")
            return 2
        self._report_sandbox()
        if options.sandbox:
            Containment.sweep()  # what a batch killed with -9 left running
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

    def _closed_ancestor(self) -> Path | None:
        """A folder above OUT that another uid cannot enter (its scratch lives in OUT/.work)."""
        if not sandbox.switches_user(_policy(self.options, 0)):
            return None
        for folder in self.out.resolve().parents:
            if not folder.stat().st_mode & 0o001:
                return folder
        return None

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
        shutil.rmtree(work, ignore_errors=True)  # fd-based: a link left in it is removed, not followed
        boundary.make_private_folder(work, 0o711)
        # Every temporary folder of this submission's grading (pytest's, the workers'
        # scratch) lives here, created by us: nothing in a shared /tmp can be planted first.
        boundary.make_private_folder(work / "tmp", 0o711)
        unreadable = {topic: why for topic, why in materialize(found, work / "files", self.course).items()
                      if topic in missing}
        topics = [topic.id for topic in self.topics if topic.id in missing and topic.id not in unreadable]
        sources = {path.name: path.read_bytes() for path in sorted((work / "files").glob("*.py"))}
        return _Job(found=found, work=work, unreadable=unreadable, topics=topics, missing=missing, slot=slot,
                    number=next(self._numbers), flags=scan_sources(sources))

    def _start(self, job: _Job) -> None:
        policy = _policy(self.options, job.number)
        if self.options.sandbox:
            job.box = Containment.create(f"{os.getpid()}-{job.number}", policy.uid if sandbox.switches_user(policy)
                                         else None, SUBMISSION_MEMORY, SUBMISSION_PROCESSES)
            policy = _policy(self.options, job.number, job.box)
        # Paths go in the environment, not the command line: /proc/PID/cmdline is public.
        spec = {"topics": job.topics, "submission": str(job.work / "files"), "json": str(job.work / "result.json"),
                "seed": self.seed, "timeout_scale": self.options.timeout_scale}
        command = [sys.executable, "-m", "autograder.grading.child", "--from-env"]
        env = {**os.environ, sandbox.ENV_VAR: policy.to_env(), JOB_ENV: json.dumps(spec),
               "TMPDIR": str(job.work / "tmp")}
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
        if job.box is not None and not job.box.end():  # every process of the submission, gone
            self.console.print(f"[red]a process of {job.found.student} (uid {job.box.uid}) survived being killed[/]")
        try:
            results = self._results(job)
        except (OSError, ValueError, KeyError, TypeError) as error:  # the child's report is unreadable
            self._record_infrastructure_error(job, run_id, f"{type(error).__name__} reading its results")
            return
        if results is None:
            self.failed.append(job.found.student)  # the grader itself failed: retry next run, record nothing
            return
        duration = time.monotonic() - job.started if job.started else 0.0
        notes = boundary.clean_text("; ".join(f"{topic}: {why}" for topic, why in job.unreadable.items()))
        try:
            self.book.record(run_id, job.found.student, job.found.files_hash, results, round(duration, 3), notes,
                             job.flags)
        except Exception as error:  # one submission's record fails that submission only
            self._record_infrastructure_error(job, run_id, f"{type(error).__name__} while recording")
            return
        shutil.rmtree(job.work / "files", ignore_errors=True)

    def _results(self, job: _Job) -> list[dict] | None:
        """This submission's results, rebuilt from the course map: only the status, the
        message (cleaned) and the duration come from the report. None: no report at all."""
        report = job.work / "result.json"
        by_id = {}
        if report.exists():
            checks = json.loads(report.read_text(encoding="utf-8", errors="replace"))["checks"]
            by_id = {result["id"]: result for result in checks if isinstance(result, dict)}
        elif job.topics and not job.timed_out:
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
                result["points"] = check.points if status == "passed" else 0
                duration = reported.get("duration_s")
                result["duration_s"] = float(duration) if isinstance(duration, (int, float)) else 0.0
                results.append(result)
            elif job.timed_out:
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
            self.console.print(f"[red]could not record {job.found.student}: {type(error).__name__}[/]")


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
