"""`check` of several topics at once: a few lanes, each a process forked from this one with
its own pytest session (pytest runs one session per process at a time), all served by one
warm zygote started first (TensorFlow is imported once; each lane has its own channel to
it, engine/warm.py). Lanes take the next topic as they become free, the longest first
(course.toml's `check_seconds`); the results come back as one `RunResult`, in course order.

    run = run_in_lanes(Path("solutions"), topics, lanes=2, seed=7)

One lane (a single core, or a single topic) runs in this process, as before lanes existed.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
import traceback
from multiprocessing.connection import Connection, wait
from pathlib import Path

from autograder.course import Topic
from autograder.engine import sandbox
from autograder.engine.client import Submission
from autograder.engine.warm import Zygote, submission_of
from autograder.i18n import _
from autograder.run import RunResult, in_course_order, run_checks

MAX_LANES = 4  # more rarely helps: one topic's training then sets the pace
STOPS = (signal.SIGINT, signal.SIGTERM)


def default_lanes(topics: list[Topic]) -> int:
    return max(1, min(sandbox.cores(), len(topics), MAX_LANES))


def run_in_lanes(folder: Path, topics: list[Topic], *, lanes: int, only: list[str] | None = None,
                 seed: int | None = None, timeout_scale: float = 1.0, warm: bool = True,
                 policy: sandbox.Policy = sandbox.Policy()) -> RunResult:
    # One seed for every lane: the report's "pass --seed N to reproduce" covers them all.
    seed = secrets.randbelow(2**31) if seed is None else seed
    options = {"only": only, "seed": seed, "timeout_scale": timeout_scale}
    lanes = max(1, min(lanes, len(topics)))
    if lanes == 1:
        return _run(folder, topics, options, warm, policy)
    started = time.monotonic()
    if policy.threads is None:  # each lane's workers get their share of the cores, not all of them
        policy = dataclasses.replace(policy, threads=sandbox.share_of_cores(lanes))
    pending = sorted(topics, key=lambda topic: -topic.check_seconds)  # the longest first: the lanes end together
    preload = [topic.probe_module for topic in topics]
    zygote = Zygote(preload, environment=policy, lanes=lanes) if warm else None
    # Forked while this process has no thread (the zygote is a process of its own): a lane
    # starts from a copy of the parsed command, not from a fresh interpreter.
    context = multiprocessing.get_context("fork")
    runs: list[RunResult] = []
    busy: dict[Connection, multiprocessing.Process] = {}
    scratch = Path(tempfile.mkdtemp(prefix="tf-course-lanes-"))  # every lane's scratch: removed even if one is killed
    os.chmod(scratch, 0o711)
    handlers = {stop: signal.signal(stop, _stop_once) for stop in STOPS}
    sys.stdout.flush()  # else each lane would write our buffered output again when it exits
    sys.stderr.flush()
    try:
        for index in range(lanes):
            ours, theirs = context.Pipe()
            process = context.Process(target=_lane_main, daemon=True,
                                      args=(theirs, [ours, *busy], index, zygote, scratch, folder, topics, options,
                                            policy))
            process.start()
            theirs.close()
            ours.send(pending.pop(0).id)
            busy[ours] = process
        while busy:
            for connection in wait(list(busy)):
                try:
                    kind, value = connection.recv()
                except EOFError:
                    busy[connection].join(5)
                    raise RuntimeError(_("a process checking some topics of this run ended unexpectedly (exit code "
                                         "{code}): out of memory?", code=busy[connection].exitcode)) from None
                if kind == "error":
                    raise RuntimeError(value)
                runs.append(value)
                if pending:
                    connection.send(pending.pop(0).id)
                else:
                    connection.send(None)
                    busy.pop(connection).join()
                    connection.close()
    finally:
        _ignore_stops()  # a second Ctrl-C must not leave lanes behind
        for connection, process in busy.items():  # an error or Ctrl-C: stop the others
            connection.close()
            process.terminate()  # a lane takes it as Ctrl-C: it closes its submission
            process.join(10)
            process.kill()
            process.join()
        if zygote is not None:
            zygote.close()
        shutil.rmtree(scratch, ignore_errors=True)
        for stop, handler in handlers.items():
            signal.signal(stop, handler)
    return _merged(folder, runs, seed, time.monotonic() - started)


def _run(folder: Path, topics: list[Topic], options: dict, warm: bool, policy: sandbox.Policy) -> RunResult:
    with submission_of(folder, [topic.probe_module for topic in topics], options["timeout_scale"], policy,
                       warm=warm) as submission:
        return run_checks(folder, topics, submission=submission, **options)


def _lane_main(connection: Connection, others: list[Connection], index: int, zygote: Zygote | None, scratch: Path,
               folder: Path, topics: list[Topic], options: dict, policy: sandbox.Policy) -> None:
    """One lane: a submission whose workers its channel to the zygote forks (cold workers
    without one), then one pytest session per topic handed to it, until the parent closes
    its end of the pipe (`others`: the parent's ends of this lane's pipe and the earlier
    lanes', inherited: kept open here, they would hide that end)."""
    for other in others:
        other.close()
    for stop in STOPS:  # the parent's SIGTERM stops it as Ctrl-C does: what it made is removed
        signal.signal(stop, _stop_once)
    factory = zygote.lane(index).workers(policy) if zygote is not None else None
    by_id = {topic.id: topic for topic in topics}
    tempfile.tempdir = str(scratch)  # this process's own: where its Submission makes its scratch folder
    submission = Submission(folder, timeout_scale=options["timeout_scale"], worker_factory=factory, policy=policy)
    try:
        while (topic_id := connection.recv()) is not None:
            try:
                connection.send(("run", run_checks(folder, [by_id[topic_id]], submission=submission, **options)))
            except Exception:
                connection.send(("error", traceback.format_exc()))
                return
    except (KeyboardInterrupt, EOFError, OSError):  # the run was stopped, or the parent is gone
        _ignore_stops()
        submission.stop()  # its worker may be in the middle of a probe
    finally:
        _ignore_stops()  # a second Ctrl-C must not leave the scratch folder behind
        submission.close()


def _stop_once(signum, frame):
    """Ctrl-C (or the parent's SIGTERM) once: later ones are ignored from here on, so the
    clean-up that follows cannot itself be interrupted."""
    _ignore_stops()
    raise KeyboardInterrupt


def _ignore_stops() -> None:
    """Ignore Ctrl-C and SIGTERM from now on; one that arrived just before this call was
    already taken by `_stop_once`, which ignores the rest: either way none follows. (A
    Python handler that does nothing, not SIG_IGN: Python turns a signal that arrived
    before SIG_IGN was set into an OSError.)"""
    try:
        for stop in STOPS:
            signal.signal(stop, _ignore)
    except KeyboardInterrupt:
        pass


def _ignore(signum, frame) -> None:
    pass


def _merged(folder: Path, runs: list[RunResult], seed: int, seconds: float) -> RunResult:
    merged = RunResult(submission=str(folder), seed=seed, duration_s=round(seconds, 3))
    merged.checks = in_course_order(check for run in runs for check in run.checks)
    merged.notes = {topic: note for run in runs for topic, note in run.notes.items()}
    return merged
