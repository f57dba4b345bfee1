"""The trusted side of the engine: starts workers, sends probes, turns answers into outcomes.

    submission = Submission(Path("exercises"))
    submission.begin_check(seconds=20)
    out = submission.probe(course.topic("e01"), "standardize", x=np.ones((3, 2)))

A worker that raises, exits, hangs past the check's time limit or crashes fails the
probe it was running, with a message saying so; the next probe gets a fresh worker.
"""
from __future__ import annotations

import contextlib
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
from autograder.engine import boundary, protocol, sandbox, snapshot, storage, verdict
from autograder.engine.interface import ProbeTarget
from autograder.i18n import _
from autograder.outcomes import CheckOutcome, SubmissionError, SubmissionTimeout

STARTUP_SECONDS = 180.0  # importing TensorFlow; not charged to any check
DEFAULT_CHECK_SECONDS = 60.0
OUTPUT_LIMIT_BYTES = sandbox.Policy.file_bytes  # kept for callers that set RLIMIT_FSIZE themselves


class WorkerDied(Exception):
    pass


class WorkerTimedOut(Exception):
    pass


def _worker_environment(policy: sandbox.Policy, home: Path | None = None) -> dict[str, str]:
    env = sandbox.environment(policy, home)
    env.update({
        "PYTHONPATH": str(COURSE_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",   # TensorFlow's C++ start-up chatter
        "CUDA_VISIBLE_DEVICES": "-1",  # CPU only: skips the slow, noisy CUDA probing
        "PYTHONUNBUFFERED": "1",
    })
    if policy.threads:  # read when TensorFlow makes its thread pools: at the worker's first op
        env.update({name: str(policy.threads) for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                                                           "OMP_NUM_THREADS")})
    return env


class WorkerPipes:
    """The trusted side of one worker's protocol: a request pipe, a response pipe, an
    exchange folder and a log. Subclasses start the process (`Worker`: a cold one;
    `warm.WarmWorker`: forked from a zygote) and say how to learn its exit code."""

    def __init__(self, home: Path, submission: Path | None, policy: sandbox.Policy = sandbox.Policy()):
        # The trusted side may run as root and the worker as another uid: it never opens a
        # path inside a folder the worker can write. `home` (the worker's, handed over) is
        # created just now, in a folder only we can write; so is the exchange folder, which
        # stays ours; the log is an anonymous file we hold by descriptor.
        self.home = home
        self.submission = submission
        self.policy = policy  # `grade` asks for every layer; `check` gets limits and timeouts
        boundary.make_private_folder(home)
        self.exchange = boundary.make_private_folder(home.with_name(home.name + "-exchange"), 0o711)
        self.log = tempfile.TemporaryFile(dir=home.parent)
        sandbox.hand_over(self.policy, home)
        self._ids = itertools.count()
        self._buffer = b""
        self._ready = False
        self.imported: set[str] = set()

    def wait_ready(self) -> float:
        """Block until TensorFlow is imported; returns the seconds waited."""
        if self._ready:
            return 0.0
        started = time.monotonic()
        message = self._message(started + STARTUP_SECONDS)
        if message.get("status") != "ready":
            raise WorkerDied(_("unexpected first message {message}", message=boundary.clean_text(repr(message), 200)))
        self._ready = True
        return time.monotonic() - started

    def call(self, request: dict, seconds: float) -> dict:
        request = {"id": f"r{next(self._ids)}", **request}
        try:
            os.write(self._requests, protocol.dumps(request))
        except OSError:  # BrokenPipeError, or a pipe already closed
            raise WorkerDied(self.describe_death()) from None
        return self._message(time.monotonic() + max(seconds, 0.0))

    def _message(self, deadline: float) -> dict:
        try:
            return protocol.loads(self._read_line(deadline))
        except ValueError as error:
            self.kill()
            raise WorkerDied(_("it broke the protocol ({error})", error=boundary.clean_text(error, 200))) from None

    def new_request_folder(self) -> tuple[str, Path]:
        """(id, folder for the inputs) of a new request: `rN/in` stays ours (the worker
        reads it), `rN/out` is the worker's, for its answer; `rN` itself stays ours, so
        neither can be swapped for a link."""
        request_id = f"r{next(self._ids)}"
        folder = boundary.make_private_folder(self.exchange / request_id, 0o711)
        out = boundary.make_private_folder(folder / "out")
        sandbox.hand_over(self.policy, out)
        return request_id, boundary.make_private_folder(folder / "in", 0o755)

    def _read_line(self, deadline: float) -> bytes:
        while b"\n" not in self._buffer:
            if len(self._buffer) > protocol.BOUNDS.line_bytes:
                self.kill()
                raise WorkerDied(_("its answer was longer than the {mib} MiB allowed", mib=protocol.BOUNDS.line_bytes >> 20))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise WorkerTimedOut()
            readable, __, __ = select.select([self._responses], [], [], remaining)
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
        how = _("was killed by {signal}", signal=signal.Signals(-code).name) if code < 0 else \
            _("exited with code {code}", code=code)
        bounds = sandbox.bounds_reached(self.policy)
        if bounds:
            how += _(" after it reached {bounds}", bounds=bounds)
        tail = self.output_tail()
        full = "\n" + storage.message(self.policy.disk) if storage.exhausted(self.home.parent, self.policy.disk) else ""
        return _("the process running your code {how}", how=how) + (_("; its last output:\n{tail}", tail=tail) if tail else "") + full

    def output_tail(self, limit: int = 600) -> str:
        """The end of what the worker printed, cleaned (read from our own descriptor)."""
        try:
            size = os.fstat(self.log.fileno()).st_size
            data = os.pread(self.log.fileno(), limit, max(0, size - limit))
        except (OSError, ValueError):  # ValueError: the log is closed already
            return ""
        return boundary.clean_text(data.decode("utf-8", errors="replace").strip(), limit)

    def close_log(self) -> None:
        self.log.close()


class Worker(WorkerPipes):
    """A cold worker process, with its own scratch folder as working directory."""

    def __init__(self, home: Path, submission: Path | None, policy: sandbox.Policy = sandbox.Policy()):
        super().__init__(home, submission, policy)
        req_read, self._requests = os.pipe()
        self._responses, resp_write = os.pipe()
        command = [sys.executable, "-P", "-m", "autograder.engine.worker",
                   "--exchange", str(self.exchange), "--requests", str(req_read), "--responses", str(resp_write)]
        if submission is not None:
            command += ["--submission", str(submission)]
        command = sandbox.wrap(self.policy, command, scratch=home.parent, home=home)
        self.process = subprocess.Popen(
            command, cwd=submission or home, env=_worker_environment(self.policy, home),
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, pass_fds=(req_read, resp_write),
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
        self.close_log()


def copy_submission(folder: Path, scratch: Path) -> Path:
    """A private copy of the submission's Python files: checks never write into `folder`.
    The copy is ours and only readable by the worker (its home is where it writes)."""
    copy = boundary.make_private_folder(scratch / "submission", 0o755)
    if folder.is_dir():
        for path in sorted(folder.glob("*.py")):
            if path.is_file():
                shutil.copyfile(path, copy / path.name)
                os.chmod(copy / path.name, 0o644)
    return copy


def make_scratch() -> Path:
    """A submission's scratch folder: ours, and only traversable by its workers (0711).
    Under `grade`, TMPDIR points into the run's output folder (grading/batch.py)."""
    scratch = Path(tempfile.mkdtemp(prefix="tf-course-"))
    os.chmod(scratch, 0o711)
    return scratch


class Submission:
    """A submission folder, probed through one worker at a time (restarted after a death):
    the worker-backed `interface.ProbedSubmission`."""

    def __init__(self, folder: Path, timeout_scale: float = 1.0, worker_factory=None,
                 policy: sandbox.Policy = sandbox.Policy()):
        """`worker_factory(home, submission_files_or_None, policy=None)` makes a worker (under
        `policy` when given: a clean worker's); anything with
        Worker's methods will do (a warm, forked worker: `Zygote.workers(policy)`); by
        default a cold `Worker` under `policy` (the sandbox its runner chose)."""
        self.policy = policy
        self.label = str(folder)
        self.folder = Path(folder).resolve()
        self.timeout_scale = timeout_scale
        self.scratch = make_scratch()
        self.files = copy_submission(self.folder, self.scratch)
        self._make_worker = worker_factory or (lambda home, files, chosen=None: Worker(home, files, chosen or policy))
        self._workers = itertools.count()
        self._views = itertools.count()
        self._worker: Worker | None = None
        self._broken_modules: dict[str, CheckOutcome] = {}
        self.import_notes: dict[str, list[str]] = {}   # module -> what its import skipped (a notebook's cells)
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

    def probe(self, target: ProbeTarget, name: str, *, with_submission: bool = True, fresh: bool = False,
              **inputs):
        """Run the probe `name` of `target.probe_module` on the submission module
        `target.module` in the worker and return its plain-data result, or raise the
        outcome that ends the check.

        `with_submission=False` passes `sub=None` and imports nothing of the submission;
        `fresh=True` runs the probe in a new worker process used for this call only (for
        "in a new process" checks: resuming a run, loading an export without its classes).
        """
        module = target.module
        if with_submission and module in self._broken_modules:
            raise self._broken_modules[module]
        with self._within_bound():
            worker = self._fresh_worker(with_submission) if fresh else self._shared_worker()
        try:
            self._wait_ready(worker)
            if with_submission and module not in worker.imported:
                self._import(worker, module)
            with self._within_bound():  # the inputs go to the submission's storage, which it may have filled
                request_id, folder = worker.new_request_folder()
                request = {"op": "probe", "module": module, "probes": target.probe_module, "probe": name,
                           "with_submission": with_submission, "inputs": protocol.encode(inputs, folder)}
            response = self._call(worker, request, request_id, f"`{name}`")
            try:
                return self._outcome(response, folder.parent / "out", self._storage_note())
            finally:
                shutil.rmtree(folder.parent, ignore_errors=True)  # fd-based: links are removed, not followed
        finally:
            if fresh:
                worker.close()

    @contextlib.contextmanager
    def _within_bound(self):
        """Our writes into the submission's scratch storage: one that fails because the
        submission filled it is the submission's failure, named by its bound."""
        try:
            yield
        except OSError:
            if storage.exhausted(self.scratch, self.policy.disk):
                raise SubmissionError(storage.message(self.policy.disk)) from None
            raise

    def _storage_note(self) -> str:
        return "\n" + storage.message(self.policy.disk) if storage.exhausted(self.scratch, self.policy.disk) else ""

    def _shared_worker(self) -> Worker:
        self.start()
        return self._worker

    def _fresh_worker(self, with_submission: bool) -> Worker:
        home = self.scratch / f"worker{next(self._workers)}"
        if with_submission:
            return self._make_worker(home, self.files)
        policy = self._clean_policy(home)
        return self._make_worker(home, None) if policy is self.policy else self._make_worker(home, None, policy)

    def _clean_policy(self, home: Path) -> sandbox.Policy:
        """The policy of a clean worker (one that reads what the submission left, never its
        code). Under `grade` (a uid switch): every process of the submission ends first, so
        nothing of it runs or writes while the clean worker reads; with bubblewrap's view,
        the clean worker gets a uid of its own and a read-only copy of the scratch folder
        in its place (snapshot.py)."""
        if not sandbox.switches_user(self.policy):
            return self.policy
        if self._worker is not None:  # the next probe of the submission gets a fresh worker
            self._worker.kill()
            self._worker.close()
            self._worker = None
        from autograder.engine.containment import kill_uid
        kill_uid(self.policy.uid)
        if not sandbox.decide(self.policy)["bwrap"] or self.policy.clean_uid is None:
            return self.policy  # without a private view a copy cannot take the folder's place
        view = self.scratch.with_name(f"{self.scratch.name}-clean{next(self._views)}")
        snapshot.copy(self.scratch, view, keep=(home.name, home.name + "-exchange"))
        return self.policy.for_clean_worker(view)

    def _wait_ready(self, worker: Worker) -> None:
        try:
            self._deadline += worker.wait_ready()
        except (WorkerDied, WorkerTimedOut) as death:
            worker.kill()
            raise SubmissionError(_("the worker could not start TensorFlow: {death}", death=death)) from None

    def _import(self, worker: Worker, module: str) -> None:
        try:
            response = self._call(worker, {"op": "import", "module": module}, None, _("the import of {module}.py", module=module))
        except (SubmissionError, SubmissionTimeout) as outcome:
            self._broken_modules[module] = outcome  # it would kill every fresh worker again
            raise
        if response["status"] != "ok":
            outcome = self._outcome(response, None)
            self._broken_modules[module] = outcome
            raise outcome
        notes = response.get("notes")
        if isinstance(notes, list) and notes:
            self.import_notes[module] = [boundary.clean_text(str(note), 500) for note in notes[:20]]
        worker.imported.add(module)

    def _call(self, worker: Worker, request: dict, request_id: str | None, what: str) -> dict:
        if request_id is not None:
            request["id"] = request_id
        try:
            return worker.call(request, self._deadline - time.monotonic())
        except WorkerTimedOut:
            raise SubmissionTimeout(
                _("{what} did not finish within this check's {seconds:.0f} s limit and was stopped "
                  "(an endless loop? a training run far longer than asked?)", what=what, seconds=self._check_seconds)) from None
        except WorkerDied as death:
            raise SubmissionError(_("while running {what}, {death}", what=what, death=death)) from None

    @staticmethod
    def _outcome(response: dict, out_folder: Path | None, note: str = ""):
        status = response.get("status")
        message = boundary.clean_text(response.get("message", "")) + note  # the submission may have written it
        if status == "ok":
            try:
                return protocol.decode(response.get("value"), out_folder)
            except boundary.Refused as refused:
                raise SubmissionError(_("the answer of your code was refused: {refused}", refused=refused)) from None
        raise verdict.outcome(str(status), message)

    def stop(self) -> None:
        """Kill its worker now (the run was cancelled mid-probe); `close` removes the rest."""
        if self._worker is not None:
            self._worker.kill()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        for view in self.scratch.parent.glob(f"{self.scratch.name}-clean*"):
            shutil.rmtree(view, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
