"""The trusted side of the engine: starts workers, sends probes, turns answers into outcomes.

    submission = Submission(Path("exercises"))
    submission.begin_check(seconds=20)
    out = submission.probe("e01_tensors", "standardize", x=np.ones((3, 2)))

A worker that raises, exits, hangs past the check's time limit or crashes fails the
probe it was running, with a message saying so; the next probe gets a fresh worker.
"""
from __future__ import annotations

import itertools
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import COURSE_ROOT
from autograder.engine import protocol, sandbox
from autograder.outcomes import CheckOutcome, Incorrect, NotAttempted, SubmissionError, SubmissionTimeout

STARTUP_SECONDS = 180.0  # importing TensorFlow; not charged to any check
DEFAULT_CHECK_SECONDS = 60.0
OUTPUT_LIMIT_BYTES = sandbox.Policy.file_bytes  # kept for callers that set RLIMIT_FSIZE themselves


class WorkerDied(Exception):
    pass


class WorkerTimedOut(Exception):
    pass


def _worker_environment(policy: sandbox.Policy | None = None, home: Path | None = None) -> dict[str, str]:
    env = sandbox.environment(policy or sandbox.current(), home)
    env.update({
        "PYTHONPATH": str(COURSE_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",   # TensorFlow's C++ start-up chatter
        "CUDA_VISIBLE_DEVICES": "-1",  # CPU only: skips the slow, noisy CUDA probing
        "PYTHONUNBUFFERED": "1",
    })
    return env


class WorkerPipes:
    """The trusted side of one worker's protocol: a request pipe, a response pipe, an
    exchange folder and a log. Subclasses start the process (`Worker`: a cold one;
    `warm.WarmWorker`: forked from a zygote) and say how to learn its exit code."""

    def __init__(self, home: Path, submission: Path | None):
        self.home = home
        self.submission = submission
        self.exchange = home / "exchange"
        self.exchange.mkdir(parents=True, exist_ok=True)
        self.log_path = home / "worker.log"
        self._ids = itertools.count()
        self._buffer = b""
        self._ready = False
        self.imported: set[str] = set()
        # The sandbox layers (engine/sandbox.py) come from the environment: `grade` asks
        # for all of them; a plain `check` gets resource limits and timeouts.
        self.policy = sandbox.current()

    def wait_ready(self) -> float:
        """Block until TensorFlow is imported; returns the seconds waited."""
        if self._ready:
            return 0.0
        started = time.monotonic()
        message = protocol.loads(self._read_line(started + STARTUP_SECONDS))
        if message.get("status") != "ready":
            raise WorkerDied(f"unexpected first message {message!r}")
        self._ready = True
        return time.monotonic() - started

    def call(self, request: dict, seconds: float) -> dict:
        request = {"id": f"r{next(self._ids)}", **request}
        try:
            os.write(self._requests, protocol.dumps(request))
        except OSError:  # BrokenPipeError, or a pipe already closed
            raise WorkerDied(self.describe_death()) from None
        return protocol.loads(self._read_line(time.monotonic() + max(seconds, 0.0)))

    def new_request_folder(self) -> tuple[str, Path]:
        request_id = f"r{next(self._ids)}"
        folder = self.exchange / request_id / "in"
        folder.mkdir(parents=True)
        sandbox.hand_over(self.policy, folder.parent)  # the worker writes its answer beside it
        return request_id, folder

    def _read_line(self, deadline: float) -> bytes:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise WorkerTimedOut()
            readable, _, _ = select.select([self._responses], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._responses, 1 << 16)
            if not chunk:
                raise WorkerDied(self.describe_death())
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def exit_code(self) -> int:
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError

    def describe_death(self) -> str:
        code = self.exit_code()
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
        tail = self.output_tail()
        return f"the process running your code {how}" + (f"; its last output:\n{tail}" if tail else "")

    def output_tail(self, limit: int = 600) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(max(0, self.log_path.stat().st_size - limit))
                return log.read().decode(errors="replace").strip()
        except OSError:
            return ""


class Worker(WorkerPipes):
    """A cold worker process, with its own scratch folder as working directory."""

    def __init__(self, home: Path, submission: Path | None):
        super().__init__(home, submission)
        sandbox.hand_over(self.policy, home.parent)
        req_read, self._requests = os.pipe()
        self._responses, resp_write = os.pipe()
        command = [sys.executable, "-P", "-m", "autograder.engine.worker",
                   "--exchange", str(self.exchange), "--requests", str(req_read), "--responses", str(resp_write)]
        if submission is not None:
            command += ["--submission", str(submission)]
        command = sandbox.wrap(self.policy, command, writable=home.parent)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=submission or home, env=_worker_environment(self.policy, home),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, pass_fds=(req_read, resp_write),
                start_new_session=True, preexec_fn=sandbox.preexec(self.policy))
        os.close(req_read)
        os.close(resp_write)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def exit_code(self) -> int:
        return self.process.wait()

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()

    def close(self) -> None:
        if self.alive and self._ready:
            try:
                os.write(self._requests, protocol.dumps({"op": "exit"}))
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()
        for fd in (self._requests, self._responses):
            try:
                os.close(fd)
            except OSError:
                pass


def copy_submission(folder: Path, scratch: Path) -> Path:
    """A private copy of the submission's Python files: checks never write into `folder`."""
    copy = scratch / "submission"
    copy.mkdir(parents=True)
    if folder.is_dir():
        for path in sorted(folder.glob("*.py")):
            if path.is_file():
                shutil.copyfile(path, copy / path.name)
    return copy


class Submission:
    """A submission folder, probed through one worker at a time (restarted after a death)."""

    def __init__(self, folder: Path, timeout_scale: float = 1.0, worker_factory=Worker):
        """`worker_factory(home, submission_files_or_None)` makes a worker; anything with
        Worker's methods will do (a warm, forked worker, a sandboxed one)."""
        self.folder = Path(folder).resolve()
        self.timeout_scale = timeout_scale
        self.scratch = Path(tempfile.mkdtemp(prefix="tf-course-"))
        self.files = copy_submission(self.folder, self.scratch)
        self._make_worker = worker_factory
        self._workers = itertools.count()
        self._worker: Worker | None = None
        self._broken_modules: dict[str, CheckOutcome] = {}
        self._deadline = time.monotonic() + DEFAULT_CHECK_SECONDS
        self._check_seconds = DEFAULT_CHECK_SECONDS

    def start(self) -> None:
        """Start a worker now, so TensorFlow imports while the caller does other work."""
        if self._worker is None or not self._worker.alive:
            self._worker = self._make_worker(self.scratch / f"worker{next(self._workers)}", self.files)

    def begin_check(self, seconds: float = DEFAULT_CHECK_SECONDS) -> None:
        """Start the clock of one check: all its probes share `seconds` (times the scale)."""
        self._check_seconds = seconds * self.timeout_scale
        self._deadline = time.monotonic() + self._check_seconds

    def probe(self, module: str, name: str, *, with_submission: bool = True, fresh: bool = False, **inputs):
        """Run `autograder.probes.<module>.<name>(submission_module, **inputs)` in the worker
        and return its plain-data result, or raise the outcome that ends the check.

        `with_submission=False` passes `sub=None` and imports nothing of the submission;
        `fresh=True` runs the probe in a new worker process used for this call only (for
        "in a new process" checks: resuming a run, loading an export without its classes).
        """
        if with_submission and module in self._broken_modules:
            raise self._broken_modules[module]
        worker = self._fresh_worker(with_submission) if fresh else self._shared_worker()
        try:
            self._wait_ready(worker)
            if with_submission and module not in worker.imported:
                self._import(worker, module)
            request_id, folder = worker.new_request_folder()
            request = {"op": "probe", "module": module, "probe": name, "with_submission": with_submission,
                       "inputs": protocol.encode(inputs, folder)}
            response = self._call(worker, request, request_id, f"`{name}`")
            try:
                return self._outcome(response, folder.parent / "out")
            finally:
                shutil.rmtree(folder.parent, ignore_errors=True)
        finally:
            if fresh:
                worker.close()

    def _shared_worker(self) -> Worker:
        self.start()
        return self._worker

    def _fresh_worker(self, with_submission: bool) -> Worker:
        return self._make_worker(self.scratch / f"worker{next(self._workers)}", self.files if with_submission else None)

    def _wait_ready(self, worker: Worker) -> None:
        try:
            self._deadline += worker.wait_ready()
        except (WorkerDied, WorkerTimedOut) as death:
            worker.kill()
            raise SubmissionError(f"the worker could not start TensorFlow: {death}") from None

    def _import(self, worker: Worker, module: str) -> None:
        try:
            response = self._call(worker, {"op": "import", "module": module}, None, f"the import of {module}.py")
        except (SubmissionError, SubmissionTimeout) as outcome:
            self._broken_modules[module] = outcome  # it would kill every fresh worker again
            raise
        if response["status"] != "ok":
            outcome = self._outcome(response, None)
            self._broken_modules[module] = outcome
            raise outcome
        worker.imported.add(module)

    def _call(self, worker: Worker, request: dict, request_id: str | None, what: str) -> dict:
        if request_id is not None:
            request["id"] = request_id
        try:
            return worker.call(request, self._deadline - time.monotonic())
        except WorkerTimedOut:
            raise SubmissionTimeout(
                f"{what} did not finish within this check's {self._check_seconds:.0f} s limit and was stopped "
                "(an endless loop? a training run far longer than asked?)") from None
        except WorkerDied as death:
            raise SubmissionError(f"while running {what}, {death}") from None

    @staticmethod
    def _outcome(response: dict, out_folder: Path | None):
        status = response.get("status")
        message = response.get("message", "")
        if status == "ok":
            return protocol.decode(response.get("value"), out_folder)
        if status == "failed":
            raise Incorrect(message)
        if status in ("not_attempted", "missing"):
            raise NotAttempted(message)
        if status in ("error", "import_error"):
            raise SubmissionError(message)
        # A probe that fails outside the submission's frames: a bug in the course, or a
        # submission that patched the grader or a library it relies on.
        raise SubmissionError(f"the grader's probe failed ({message}); if your code changes the autograder, "
                              "NumPy or TensorFlow internals, that is why")

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
