"""Where submissions are graded: one interface, local jobs or a Dask cluster (design principle 7).

    with executor_for(jobs=2, cluster=None) as executor:        # or cluster="local:2", "tcp://host:8786"
        for task, outcome in executor.run(tasks):               # as each submission finishes
            ...                                                  # an Outcome, or the exception that ended it

`grade_here(task)` grades one submission on the host that runs it, the same way for both:
a containment (cgroups, a fresh uid) of its own, a grader process of its own running the
checks, its workers forked from this grading slot's warm parent (a `Zygote` that imported
TensorFlow once; `warm=False`: cold workers, each paying for TensorFlow), a wall clock for
the whole submission, and every process of the submission ended before it returns.

A task is plain data (the submission's files travel as bytes, the results come back as
the grader's JSON), so a Dask worker on another machine grades it with the course checkout
and venv at the same path; the trusted side records it (batch.py). A Dask worker killed
mid-task loses nothing: the scheduler runs the task again elsewhere, and only the client
records; a task that took its worker down twice (`allowed-failures` 1) comes back as
`KilledWorker`, which batch.py records as an error.
"""
from __future__ import annotations

import atexit
import concurrent.futures
import dataclasses
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Protocol

from autograder import COURSE_ROOT
from autograder.engine import boundary, sandbox, storage
from autograder.engine.containment import Containment

SUBMISSION_MEMORY = 6 * sandbox.GiB   # all workers of one submission together (a cgroup, where there is one)
SUBMISSION_PROCESSES = 1024           # processes and threads of one submission together (TF starts many)
JOB_ENV = "AUTOGRADER_JOB"            # the grader process's job (paths stay out of /proc/PID/cmdline)
ALLOWED_FAILURES = 1                  # a task that kills its Dask worker twice is not retried again


@dataclass(frozen=True)
class SandboxSettings:
    """What the instructor asked of the sandbox (grade's options), as plain data."""
    sandbox: bool = True
    bwrap: bool = True
    memory_gb: float | None = None
    cpu_seconds: int | None = None
    threads: int | None = None  # TensorFlow's pools per worker: the host's cores shared among its slots
    uid_range: str | None = None  # the sandbox uids' range, "FIRST-LAST" (None: uids.DEFAULT_RANGE)
    disk_bytes: int = storage.DISK_BYTES  # each submission's scratch storage
    disk_inodes: int = storage.DISK_INODES

    def policy(self, number: int, box: Containment | None = None, disk: dict | None = None) -> sandbox.Policy:
        """The policy of the submission numbered `number` on this host (its uids, from
        this process's reserved block), with `disk`: the bound of its storage, if mounted."""
        limits = {"cgroups": box.cgroups, "bounds": box.bounds} if box is not None and box.cgroups else {}
        if disk:
            limits["disk"] = disk
        if self.memory_gb:
            limits["memory_bytes"] = int(self.memory_gb * sandbox.GiB)
        if self.cpu_seconds:
            limits["cpu_seconds"] = self.cpu_seconds
        if self.threads:
            limits["threads"] = self.threads
        if not self.sandbox:
            return sandbox.Policy(**limits)
        return sandbox.Policy.for_grading(number, self.uid_range, use_bwrap=self.bwrap, **limits)


@dataclass
class Task:
    """One submission to grade, as plain data (it may travel to another machine)."""
    student: str
    files: dict[str, bytes]       # its exercise files, already read and checked by the client
    topics: list[str]
    seed: int
    timeout_scale: float
    limit_s: float                # the whole submission's wall clock
    work_root: str                # OUT/.work: scratch folders live here, on the grading host
    settings: SandboxSettings = field(default_factory=SandboxSettings)
    warm: bool = True
    heldout: dict | None = None   # the held-out files the checks score on (heldout.HeldOut.to_spec())


@dataclass
class Outcome:
    report: dict | None           # the grader's JSON (None: it wrote none)
    timed_out: bool
    duration_s: float
    survivor: str = ""            # a process of the submission outlived `Containment.end`
    log_tail: str = ""
    host: str = ""


# -- one submission, on this host ---------------------------------------------------------------
class _Slots:
    """This process's warm parents, one per submission graded at once (a Zygote serves one
    grader at a time), started on first use and replaced when one has died."""

    def __init__(self):
        self._idle: list = []
        self._all: list = []
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)  # a fresh uid per submission graded by this process
        self._swept = False

    def number(self) -> int:
        with self._lock:
            if not self._swept:
                Containment.sweep()  # what a grading process killed with -9 left running
                self._swept = True
            return next(self._numbers)

    def take(self):
        from autograder.engine.warm import Zygote
        from autograder.course import load_course

        with self._lock:
            while self._idle:
                zygote = self._idle.pop()
                if zygote.alive() and zygote.unavailable is None:
                    return zygote
                self._all.remove(zygote)
                zygote.close()
        preload = [topic.probe_module for topic in load_course().topics if hasattr(topic, "probe_module")]
        zygote = Zygote(preload=preload, environment=sandbox.Policy(use_bwrap=True))  # a grading worker's environment
        zygote.ready()
        with self._lock:
            self._all.append(zygote)
        return zygote

    def give_back(self, zygote) -> None:
        with self._lock:
            self._idle.append(zygote)

    def close(self) -> None:
        with self._lock:
            for zygote in self._all:
                zygote.close()
            self._all.clear()
            self._idle.clear()


_SLOTS = _Slots()
atexit.register(_SLOTS.close)


def _die_with_parent() -> None:
    import ctypes
    ctypes.CDLL(None).prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)  # a killed slot leaves no orphans


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        if boundary.clean_text(name, boundary.NAME_CHARS) != name or "/" in name or not name.endswith(".py") \
                or name.startswith("."):
            continue  # the client sends plain exercise file names only; anything else is not ours
        descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)


def grade_here(task: Task) -> Outcome:
    """Grade `task` on this host (see the module's docstring). Raises only on a failure of
    the grading machinery itself (the client then marks the submission for a regrade)."""
    import socket

    work_root = Path(task.work_root)
    work_root.mkdir(parents=True, exist_ok=True, mode=0o711)
    work = work_root / task.student
    storage.unmount(work / "tmp")  # left mounted by a run killed with -9
    shutil.rmtree(work, ignore_errors=True)  # fd-based: a link left in it is removed, not followed
    boundary.make_private_folder(work, 0o711)
    # Every temporary folder of this submission's grading (pytest's, the workers' scratch)
    # lives here, created by us: nothing in a shared /tmp can be planted first. It is a
    # storage of its own, bounded (storage.py): filling it fills nobody else's disk.
    boundary.make_private_folder(work / "tmp", 0o711)
    _write_files(boundary.make_private_folder(work / "files", 0o755), task.files)
    number = _SLOTS.number()
    policy = task.settings.policy(number)
    box, disk = None, None
    if task.settings.sandbox:
        disk = storage.mount(work / "tmp", task.settings.disk_bytes, task.settings.disk_inodes)
        user = sandbox.switches_user(policy)
        box = Containment.create(f"{os.getpid()}-{number}", policy.uid if user else None,
                                 SUBMISSION_MEMORY, SUBMISSION_PROCESSES, policy.clean_uid if user else None)
        policy = task.settings.policy(number, box, disk)
    zygote = _SLOTS.take() if task.warm else None
    started = time.monotonic()
    try:
        spec = {"topics": task.topics, "submission": str(work / "files"), "json": str(work / "result.json"),
                "seed": task.seed, "timeout_scale": task.timeout_scale, "heldout": task.heldout}
        passed = ()
        if zygote is not None:
            control = zygote.share()
            spec["zygote"] = {"fd": control, "newroot": str(zygote.newroot)}
            passed = (control,)
        env = {**os.environ, sandbox.ENV_VAR: policy.to_env(), JOB_ENV: json.dumps(spec), "TMPDIR": str(work / "tmp"),
               "PYTHONPATH": str(COURSE_ROOT)}
        with open(work / "grader.log", "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "autograder.grading.child", "--from-env"],
                                       cwd=COURSE_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True, pass_fds=passed,
                                       preexec_fn=_die_with_parent)
        for fd in passed:
            os.close(fd)
        timed_out = False
        try:
            process.wait(timeout=task.limit_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(process.pid, signal.SIGKILL)  # its workers die with it (PDEATHSIG)
            except ProcessLookupError:
                pass
            process.wait()
    finally:
        survivor = ""
        if box is not None and not box.end():  # every process of the submission, gone
            survivor = f"a process of {task.student} (uid {box.uid}) survived being killed"
        if zygote is not None:
            _SLOTS.give_back(zygote)
        storage.unmount(work / "tmp")
    report_path = work / "result.json"
    report = json.loads(report_path.read_text(encoding="utf-8", errors="replace")) if report_path.exists() else None
    try:
        tail = boundary.clean_text((work / "grader.log").read_bytes()[-2000:], 2000)
    except OSError:
        tail = ""
    if report is not None:
        shutil.rmtree(work / "files", ignore_errors=True)
    return Outcome(report=report, timed_out=timed_out, duration_s=round(time.monotonic() - started, 3),
                   survivor=survivor, log_tail=tail, host=socket.gethostname())


# -- executors ----------------------------------------------------------------------------------
class Executor(Protocol):
    slots: int        # submissions graded at once
    name: str         # for the run's header: "2 local job(s)", "Dask cluster tcp://...: 4 workers"

    def run(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome | BaseException]]:
        """Grade every task; yield each with its outcome (or the exception that ended it) as it finishes."""

    def close(self) -> None:
        ...


def _with_threads(task: Task, threads: int | None) -> Task:
    return dataclasses.replace(task, settings=dataclasses.replace(task.settings, threads=threads))


class LocalExecutor:
    """`--jobs N`: N submissions at once on this machine, each in its own grading slot."""

    def __init__(self, jobs: int):
        self.slots = jobs
        self.threads = sandbox.share_of_cores(jobs)
        self.name = f"{jobs} local job(s)"
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grading-slot")

    def run(self, tasks):
        futures = {self._pool.submit(grade_here, _with_threads(task, self.threads)): task for task in tasks}
        for future in concurrent.futures.as_completed(futures):
            error = future.exception()
            yield futures[future], (error if error is not None else future.result())

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        _SLOTS.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DaskExecutor:
    """`--cluster tcp://HOST:8786` (a running Dask scheduler) or `--cluster local:N` (a
    LocalCluster of N single-threaded worker processes on this machine, on 127.0.0.1)."""

    def __init__(self, address: str):
        import dask
        from distributed import Client, LocalCluster

        self.cluster, self.threads = None, None  # a remote host's share of its cores is its own business
        if address.startswith("local:"):
            workers = max(1, int(address.removeprefix("local:")))
            self.threads = sandbox.share_of_cores(workers)
            with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=None, memory_limit=0)
            self.client = Client(self.cluster)
        else:
            self.client = Client(address)
        self.slots = sum(worker.get("nthreads", 1) for worker in self.client.scheduler_info()["workers"].values())
        self.name = f"Dask cluster {address}: {self.slots} worker thread(s)"

    def run(self, tasks):
        from distributed import as_completed

        futures = {self.client.submit(grade_here, _with_threads(task, self.threads), pure=False, key=f"grade-{task.student}-{os.urandom(4).hex()}"):
                   task for task in tasks}
        for future in as_completed(list(futures)):
            try:
                yield futures[future], future.result()
            except BaseException as error:  # KilledWorker, or the grading machinery failed there
                if isinstance(error, (KeyboardInterrupt, SystemExit)):
                    raise
                yield futures[future], error

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def executor_for(jobs: int, cluster: str | None) -> LocalExecutor | DaskExecutor:
    return DaskExecutor(cluster) if cluster else LocalExecutor(jobs)


def killed_worker(error: BaseException) -> bool:
    """Did the task take its Dask worker down more often than the scheduler allows?"""
    return type(error).__name__ == "KilledWorker"
