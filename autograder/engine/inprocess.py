"""Runs probes in this process, on a namespace (a notebook's globals): the notebook mode.

Inside a Jupyter kernel there is no other way to reach the student's code than the
kernel's own namespace, so the checks run in-process there (design principle 3: this
mode is for feedback; nbgrader, which grades in the kernel anyway, uses it too).
`InProcessSubmission` implements the submission interface (`interface.py`) and keeps
parity with the worker: inputs and outputs still pass through `protocol`'s encode/decode,
and errors are judged by the same rules (`verdict.py`); a name the notebook never defined
is not attempted. There is no time limit (nothing can stop a running cell but the user) and
no fresh process: `fresh` and `clean` probes run here too.

    submission = InProcessSubmission(globals())
    submission.probe(course.topic("e01"), "standardize", x=np.ones((3, 2)), dtype="float32")
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import traceback
import types
from pathlib import Path

from autograder.engine import protocol, verdict
from autograder.engine.interface import ProbeTarget
from autograder.engine.probing import CourseBug, find_probe
from autograder.i18n import N_, _
from autograder.outcomes import NotAttempted, SubmissionError

_LIBRARY_FOLDERS = tuple({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
                         | {str(Path(__file__).resolve().parents[1]) + os.sep})

NOT_DEFINED = N_("`{name}` is not defined in this notebook yet (was it deleted or renamed?): run the cell that "
                  "defines it, and the cells above it, first")


class NotDefined(AttributeError):
    """A name the exercise needs is not (yet) defined in the namespace."""


class NamespaceModule(types.ModuleType):
    """A module whose attributes are read live from a dict (a notebook's globals), so the
    probes' `sub.standardize(...)` sees the latest definition of each cell."""

    def __init__(self, name: str, namespace: dict):
        super().__init__(name)
        self.__dict__["_namespace"] = namespace

    def __getattr__(self, attribute: str):
        try:
            return self.__dict__["_namespace"][attribute]
        except KeyError:
            raise NotDefined(_(NOT_DEFINED, name=attribute)) from None


def _user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """Traceback frames outside the Python installation and the autograder: the notebook's."""
    return [frame for frame in traceback.extract_tb(error.__traceback__)
            if not os.path.realpath(frame.filename).startswith(_LIBRARY_FOLDERS)]


def _shown_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The notebook's frames as the student should read them."""
    frames = _user_frames(error)
    for frame in frames:  # ipykernel names cells /tmp/ipykernel_<pid>/<hash>.py
        if "ipykernel_" in frame.filename:
            frame.filename = _("a notebook cell")
    return frames


@contextlib.contextmanager
def _process_streams():
    """sys.stdout and sys.stderr write to the file descriptors 1 and 2 meanwhile, as in a
    worker: a probe that captures output at the descriptor level (print and tf.print
    alike) then sees Python's prints too, not only pytest's or the kernel's stream objects."""
    saved = sys.stdout, sys.stderr
    saved[0].flush()
    saved[1].flush()
    streams = [open(fd, "w", closefd=False, encoding="utf-8", errors="replace", buffering=1) for fd in (1, 2)]
    sys.stdout, sys.stderr = streams
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        for stream in streams:
            stream.close()  # flushes; the descriptors stay open (closefd=False)


class InProcessSubmission:
    """Probes a namespace in this process (an `interface.ProbedSubmission`)."""

    label = "this notebook"
    scratch = None  # the checks write to pytest's tmp_path

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def start(self) -> None:
        pass

    def begin_check(self, seconds: float = 0.0) -> None:
        pass  # no time limit in-process: a running cell is the user's to interrupt

    def close(self) -> None:
        pass

    def probe(self, target: ProbeTarget, name: str, *, with_submission: bool = True, fresh: bool = False,
              **inputs):
        """Run the probe `name` of `target` on the namespace (as a module) here and return
        its plain-data result, or raise the outcome that ends the check."""
        try:
            probe = find_probe(target.probe_module, name)
        except CourseBug as bug:
            raise SubmissionError(str(bug)) from None
        sub = NamespaceModule(target.module, self.namespace) if with_submission else None
        with tempfile.TemporaryDirectory(prefix="tf-course-nb-") as exchange:
            folder = Path(exchange)
            inputs = protocol.decode(protocol.encode(inputs, folder), folder)  # what a worker would receive
            try:
                with _process_streams():
                    value = probe(sub, **inputs)
            except NotDefined as missing:
                raise NotAttempted(str(missing)) from None
            except KeyboardInterrupt:
                raise  # the student pressed stop
            except BaseException as error:
                status, message = verdict.judge(error, frames=_user_frames(error), shown=_shown_frames(error),
                                                sub=sub, file=f"{target.module}.py", origin="")
                if status == "probe_error":  # in a kernel, most likely the course's own bug
                    raise RuntimeError(f"internal error in the grader's probe {name}: "
                                       f"{type(error).__name__}: {error}") from error
                raise verdict.outcome(status, message) from None
            try:
                return protocol.decode(protocol.encode(value, folder), folder)
            except protocol.UnsupportedValue as unsupported:
                raise RuntimeError(f"probe {name} returned unsendable data: {unsupported}") from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
