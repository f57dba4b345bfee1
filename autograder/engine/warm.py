"""A warm worker for watch mode: TensorFlow is imported once, in a zygote process, and each
re-check gets a fresh worker forked from it, ready in milliseconds instead of seconds.

    zygote = Zygote(preload=[t.probe_module for t in topics])  # imports TensorFlow in the background
    with Submission(folder, worker_factory=zygote.worker) as submission:
        ...                                              # same probes, same outcomes
    zygote.close()

A forked child is an ordinary worker (`autograder.engine.worker.main`): it imports the
submission's files and answers probes over its own pipes, in its own session, with its
own scratch folder and log; a hang or crash kills only that child.

Why fork after importing TensorFlow is safe here: a fork copies only the forking thread,
so a lock held by any other thread stays locked forever in the child. The zygote therefore
forks only while it is single-threaded: it imports TensorFlow and Keras but never runs an
op (TensorFlow starts its thread pools with the first op, which happens in the child), and
OpenBLAS is told to use one thread (NumPy's import would otherwise start a pool). The zygote
counts its threads (/proc/self/task) before every fork and refuses to fork if there is more
than one; `Zygote.worker` then falls back to a cold `client.Worker`. tests/test_selfstudy.py
stresses this with hundreds of forked re-checks.

Under `grade`, the same zygote serves every submission of a grading slot (a local job or a
Dask worker, grading/executor.py): `Zygote.workers(policy)` forks children that get every
layer a cold worker gets (sandbox.decide): the submission's cgroups, bubblewrap's
allow-list built by engine/jail.py in the child, no network, the limits and the
submission's own uid, all before any submission code runs; a child keeps no descriptor
of the zygote's but its pipes and log. The zygote itself never runs submission code, so
the "clean" and "fresh" processes of a check come from a process no submission touched.
A grader process of its own per submission talks to the slot's zygote through an
inherited socket (`Zygote.attach`); answers carry the request's id, and `reset` ends the
children a previous, killed grader left.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import itertools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from autograder.engine import protocol
from autograder.engine import boundary, client, jail, sandbox
from autograder.engine.client import STARTUP_SECONDS, WorkerDied, WorkerTimedOut
from autograder.i18n import _

_MESSAGE_BYTES = 1 << 20
# Imported once in the zygote so that no child pays for them.
PRELOAD = ("tensorflow", "keras", "autograder.engine.worker")


def _request_ids():
    """Ids no earlier grader of the same zygote used: its stale answers never match ours."""
    prefix = os.urandom(6).hex()
    return (f"{prefix}-{n}" for n in itertools.count())


def _thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


class Zygote:
    """The trusted side of the zygote process. Thread-safe: a watch session may cancel a
    re-check (kill its worker) from its keyboard thread."""

    def __init__(self, preload: list[str] | tuple[str, ...] = (), environment: sandbox.Policy = sandbox.Policy(),
                 *, lanes: int = 0):
        """`preload`: more modules for the zygote to import (the probe modules the checks
        will use; the engine never decides them), so that no child pays for them.
        `environment`: the policy whose worker environment the zygote gets (a grading
        one: nothing of the grader's environment). `lanes`: channels of their own for
        that many processes forked from this one (`lane`), served at the same time."""
        self.home = Path(tempfile.mkdtemp(prefix="tf-course-zygote-"))
        self.log_path = self.home / "zygote.log"
        self.newroot = boundary.make_private_folder(self.home / "newroot")  # a jail's mount point
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(1 + lanes)]
        self._socket, self._lanes = pairs[0][0], [ours for ours, _ in pairs[1:]]
        env = {**client._worker_environment(environment), "OPENBLAS_NUM_THREADS": "1"}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-m", "autograder.engine.warm",
                 *(f"--control={theirs.fileno()}" for _, theirs in pairs), *(f"--preload={name}" for name in preload)],
                cwd=self.home, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=[theirs.fileno() for _, theirs in pairs], start_new_session=True)
        for _, theirs in pairs:
            theirs.close()
        self._lock = threading.Lock()
        self._ids = _request_ids()
        self._ready: dict | None = None
        self.unavailable: str | None = None  # why forking is off (then workers are cold)

    @classmethod
    def over(cls, channel: socket.socket, newroot: Path, ready: dict | None = None) -> "Zygote":
        """The client side of one channel of a zygote another process started (it owns the
        zygote); `ready`: the zygote's "ready" message if it was read already."""
        zygote = cls.__new__(cls)
        zygote.home, zygote.log_path, zygote.newroot, zygote.process = None, None, newroot, None
        zygote._socket, zygote._lanes = channel, []
        zygote._lock, zygote._ids = threading.Lock(), _request_ids()
        zygote._ready, zygote.unavailable = ready, None
        return zygote

    @classmethod
    def attach(cls, control: int, newroot: Path) -> "Zygote":
        """The zygote of the process that started it and handed us `control` (its socket,
        inherited): a grader process of its own per submission (grading/child.py). Ends
        whatever children the previous grader left."""
        zygote = cls.over(socket.socket(fileno=control), newroot, ready={"attached": True})
        zygote._request({"op": "reset"})
        return zygote

    def lane(self, index: int) -> "Zygote":
        """In a process forked from ours after the zygote started: the zygote over lane
        `index`'s own channel (its children are its own; the other channels are closed here,
        so that each channel's end means its process ended). It says "ready" on every channel."""
        for other in [self._socket, *self._lanes[:index], *self._lanes[index + 1:]]:
            other.close()
        return Zygote.over(self._lanes[index], self.newroot)

    def alive(self) -> bool:
        return self.process is None or self.process.poll() is None

    def share(self) -> int:
        """A duplicate of the control socket for one grader process at a time (pass it with
        `pass_fds`; it calls `Zygote.attach`). Close our copy of it once it is passed."""
        self.ready()
        return os.dup(self._socket.fileno())

    # -- the zygote's state -------------------------------------------------------------
    def ready(self, block: bool = True) -> bool:
        """True once TensorFlow is imported in the zygote and it may fork."""
        if self._ready is None and self.unavailable is None:
            with self._lock:
                if self._ready is None and self.unavailable is None:
                    if not block and not select.select([self._socket], [], [], 0)[0]:
                        return False
                    try:
                        message = self._receive(time.monotonic() + STARTUP_SECONDS)
                    except (WorkerDied, WorkerTimedOut) as death:
                        self.unavailable = _("the process that keeps TensorFlow loaded did not start ({why})",
                                             why=death or _("timed out"))
                    else:
                        self._ready = message
                        if message.get("threads") != 1:
                            self.unavailable = _("the process that keeps TensorFlow loaded has {threads} threads "
                                                 "after importing it, so forking it is not safe",
                                                 threads=message.get("threads"))
        return self.unavailable is None

    def worker(self, home: Path, submission: Path | None):
        """A `Submission` worker factory under the default policy (limits and timeouts)."""
        return self.workers(sandbox.Policy())(home, submission)

    def workers(self, policy: sandbox.Policy):
        """A `Submission` worker factory under `policy`: a forked child with every layer a
        cold worker would get, or a cold worker when the zygote cannot fork, or when the
        policy needs bubblewrap's allow-list and this machine cannot build it in a child."""
        layers = sandbox.decide(policy)

        def make(home: Path, submission: Path | None, chosen: sandbox.Policy | None = None):
            """`chosen`: another policy for this worker (a clean worker's: its own uid and view)."""
            own, own_layers = (chosen, sandbox.decide(chosen)) if chosen is not None else (policy, layers)
            if self.unavailable is not None or not self.alive() or (own_layers["bwrap"] and not jail.available()):
                return client.Worker(home, submission, own)
            return WarmWorker(self, home, submission, own, own_layers)
        return make

    # -- requests -----------------------------------------------------------------------
    def _request(self, message: dict, fds: list[int] = (), seconds: float = 30.0) -> dict:
        with self._lock:
            message = {**message, "id": next(self._ids)}
            try:
                socket.send_fds(self._socket, [json.dumps(message).encode()], list(fds))
            except OSError:
                raise WorkerDied(_("the process that keeps TensorFlow loaded is gone ({why})",
                                   why=self._describe())) from None
            deadline = time.monotonic() + seconds
            while True:  # an answer meant for a grader killed before it read it is dropped
                answer = self._receive(deadline)
                if answer.get("id") == message["id"]:
                    return answer

    def _receive(self, deadline: float) -> dict:
        while not select.select([self._socket], [], [], max(0.0, deadline - time.monotonic()))[0]:
            if time.monotonic() >= deadline:
                raise WorkerTimedOut()
        data = self._socket.recv(_MESSAGE_BYTES)
        if not data:
            raise WorkerDied(self._describe())
        return json.loads(data)

    def _describe(self) -> str:
        if self.process is None:
            return "the grading slot's zygote closed its socket"
        code = self.process.poll()
        state = "running" if code is None else f"exit code {code}"
        try:
            tail = self.log_path.read_text(errors="replace")[-400:].strip()
        except OSError:
            tail = ""
        return f"zygote {state}" + (f"; its last output:\n{tail}" if tail else "")

    def spawn(self, home: Path, submission: Path | None, requests: int, responses: int, log: int,
              exchange: Path, policy: sandbox.Policy, layers: dict[str, bool]) -> int:
        self.ready()
        if self.unavailable is not None:
            raise WorkerDied(self.unavailable)
        answer = self._request({"op": "spawn", "exchange": str(exchange),
                                "cwd": str(submission or home), "submission": str(submission) if submission else None,
                                "env": client._worker_environment(policy, home), "policy": policy.to_env(),
                                "layers": layers, "scratch": str(home.parent), "home": str(home),
                                "newroot": str(self.newroot)},
                               [requests, responses, log])
        if "pid" not in answer:
            raise WorkerDied(answer.get("error") or _("the process that keeps TensorFlow loaded refused to start a worker"))
        return answer["pid"]

    def reap(self, pid: int) -> int:
        """The exit code of a child that has ended (negative: killed by that signal)."""
        try:
            return self._request({"op": "wait", "pid": pid})["code"]
        except (WorkerDied, WorkerTimedOut):  # the zygote is gone, and its children died with it
            return -signal.SIGKILL

    def close(self) -> None:
        if self.process is None:  # attached: the zygote belongs to the process that started it
            self._socket.close()
            return
        try:
            for channel in [self._socket, *self._lanes]:
                channel.close()  # the zygote kills a channel's children on its EOF, and exits after the last
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def submission_of(folder: Path, preload: list[str], timeout_scale: float = 1.0,
                  policy: sandbox.Policy = sandbox.Policy(), warm: bool = True):
    """A `Submission` of `folder` whose workers (shared, fresh and clean) are forked from a
    zygote started now, for one run of checks (`check`): TensorFlow is paid once, while
    pytest collects. `warm=False`: cold workers."""
    zygote = Zygote(preload=preload, environment=policy) if warm else None
    submission = client.Submission(folder, timeout_scale=timeout_scale, policy=policy,
                                   worker_factory=zygote.workers(policy) if zygote is not None else None)
    try:
        yield submission
    finally:
        submission.close()
        if zygote is not None:
            zygote.close()


class _Child:
    """A forked child, seen from the trusted process: Popen's poll/wait for a process that
    is not our own child (the zygote reaps it; a pidfd tells us when it has ended)."""

    def __init__(self, zygote: Zygote, pid: int):
        self.zygote, self.pid = zygote, pid
        self.returncode: int | None = None
        self._pidfd = os.pidfd_open(pid)  # the zygote reaps only when asked: the pid stays ours
        self._lock = threading.Lock()     # a watch session may kill it from another thread

    def poll(self) -> int | None:
        return self.wait(0) if self.returncode is None else self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None and select.select([self._pidfd], [], [], timeout)[0]:
            with self._lock:
                if self.returncode is None:
                    self.returncode = self.zygote.reap(self.pid)
                    os.close(self._pidfd)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            for kill in (os.killpg, os.kill):  # the group, and the child itself before its setsid()
                try:
                    kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.wait()


class WarmWorker(client.WorkerPipes):
    """A forked worker with `client.Worker`'s interface (what `Submission` uses)."""

    def __init__(self, zygote: Zygote, home: Path, submission: Path | None,
                 policy: sandbox.Policy = sandbox.Policy(), layers: dict[str, bool] | None = None):
        super().__init__(home, submission, policy)
        self.layers = layers or sandbox.decide(policy)
        self.zygote = zygote
        self.process: _Child | None = None
        self._killed = False
        self._requests = self._responses = -1
        if zygote.ready(block=False):
            self._spawn()  # fork now, while the caller collects its checks

    def _spawn(self) -> None:
        req_read, self._requests = os.pipe()
        self._responses, resp_write = os.pipe()
        try:
            self.process = _Child(self.zygote, self.zygote.spawn(
                self.home, self.submission, req_read, resp_write, self.log.fileno(), self.exchange,
                self.policy, self.layers))
        finally:
            os.close(req_read)
            os.close(resp_write)

    @property
    def alive(self) -> bool:
        if self._killed:
            return False
        return self.process is None or self.process.poll() is None

    def wait_ready(self) -> float:
        """Block until the child can take requests; returns the seconds waited."""
        if not self._ready:
            if self._killed:
                raise WorkerDied(_("the worker was stopped"))
            if self.process is None:
                self._spawn()
        return super().wait_ready()

    def exit_code(self) -> int:
        code = self.process.wait(5) if self.process is not None else None
        if code is None:  # closed its pipe but lives on: stop it
            self.kill()
            code = self.process.returncode if self.process is not None else -signal.SIGKILL
        return code

    def kill(self) -> None:
        self._killed = True
        if self.process is not None:
            self.process.kill()

    def close(self) -> None:
        if self.alive and self._ready:
            try:
                os.write(self._requests, protocol.dumps({"op": "exit"}))
                self.process.wait(5)
            except OSError:
                pass
        self.kill()
        for fd in (self._requests, self._responses):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._requests = self._responses = -1
        self.close_log()


# -- the zygote process -------------------------------------------------------------------
def _preload(extra: list[str]) -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    for name in extra:  # trusted code (the probes): imported here so children need not
        try:
            importlib.import_module(name)
        except Exception:  # a broken probe module fails in the child, where the check sees it
            traceback.print_exc()


def _warm_up() -> None:
    """In a fresh child (never in the zygote: this starts TensorFlow's thread pools): the
    first eager op and the first tf.function trace cost tens of milliseconds each; pay
    them before the child reports ready, while the student is still typing."""
    import tensorflow as tf

    tf.function(lambda x: x + 1)(tf.constant(1.0)).numpy()


def _keep_only(keep: set[int]) -> None:
    """Close every descriptor but stdin/stdout/stderr and `keep` (a cold worker's exec gets
    only those): nothing of the zygote's reaches submission code."""
    low = 3
    for fd in sorted(keep) + [os.sysconf("SC_OPEN_MAX")]:
        os.closerange(low, fd)
        low = fd + 1


def _run_child(request: dict, fds: list[int]) -> None:
    """In the forked child: become a fresh worker (never returns)."""
    code = 70
    try:
        os.setsid()  # its own process group, killed as a whole
        os.dup2(fds[2], 1)  # the log: a file the trusted side holds, handed over as a descriptor
        os.dup2(fds[2], 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        _keep_only({fds[0], fds[1]})
        # What a cold worker gets at exec: its environment (HOME, TMPDIR, ... in its scratch
        # folder), bubblewrap's view (here: the jail), the submission's cgroups, no network,
        # the limits (CPU, address space, file size, processes) and its uid; dies with its parent.
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None
        policy, layers = sandbox.Policy(**json.loads(request["policy"])), request["layers"]
        if layers["bwrap"]:
            jail.enter(policy, Path(request["scratch"]), Path(request["newroot"]), Path(request["home"]))
            policy = dataclasses.replace(policy, cgroups=None)  # joined by the jail, out of sight now
        sandbox.preexec(policy, layers)()
        os.chdir(request["cwd"])
        if "numpy" in sys.modules:  # a fresh process would draw a fresh seed
            sys.modules["numpy"].random.seed()
        _warm_up()
        from autograder.engine import worker
        argv = ["--exchange", request["exchange"], "--requests", str(fds[0]), "--responses", str(fds[1])]
        if request.get("submission"):
            argv += ["--submission", request["submission"]]
        worker.main(argv)  # ends with os._exit(0)
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--control", type=int, action="append", required=True)
    parser.add_argument("--preload", action="append", default=[])
    args = parser.parse_args(argv)
    channels = [socket.socket(fileno=fd) for fd in args.control]
    started = time.monotonic()
    _preload(args.preload)
    ready = json.dumps({"status": "ready", "threads": _thread_count(),
                        "seconds": round(time.monotonic() - started, 3)}).encode()
    children: dict[socket.socket, set[int]] = {}  # each channel's own
    for channel in channels:
        channel.send(ready)
        children[channel] = set()
    codes: dict[int, int] = {}
    while children:
        for channel in select.select(list(children), [], [])[0]:
            try:
                data, fds, _, _ = socket.recv_fds(channel, _MESSAGE_BYTES, 4)
            except OSError:
                data, fds = b"", []
            if not data:  # that side is done: none of its children outlives it
                _end_children(children.pop(channel))
                channel.close()
                continue
            request = json.loads(data)
            answer = _serve(request, fds, channel, children, codes)
            channel.send(json.dumps({**answer, "id": request.get("id")}).encode())
    os._exit(0)


def _serve(request: dict, fds: list[int], channel: socket.socket, children: dict[socket.socket, set[int]],
           codes: dict[int, int]) -> dict:
    mine = children[channel]
    if request["op"] == "reset":  # a new grader on this channel: end what an earlier one left
        _end_children(mine)
        return {}
    if request["op"] == "spawn":
        threads = _thread_count()
        try:
            if threads != 1:
                return {"error": f"the warm worker has {threads} threads; forking it is not safe"}
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                for each in children:
                    each.close()
                _run_child(request, fds)
            mine.add(pid)
            return {"pid": pid}
        finally:
            for fd in fds:
                os.close(fd)
    if request["op"] == "wait":
        pid = request["pid"]
        if pid not in codes and pid in mine:
            _, status = os.waitpid(pid, 0)
            codes[pid] = os.waitstatus_to_exitcode(status)
            mine.discard(pid)
        return {"pid": pid, "code": codes.get(pid, -signal.SIGKILL)}
    return {"error": f"unknown request {request['op']!r}"}


def _end_children(children: set[int]) -> None:
    for pid in children:
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)
    children.clear()


if __name__ == "__main__":
    main()
