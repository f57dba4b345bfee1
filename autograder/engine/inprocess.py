"""Runs probes in this process, on a namespace (a notebook's globals): the notebook mode.

Inside a Jupyter kernel there is no other way to reach the student's code than the
kernel's own namespace, so the checks run in-process there (design principle 3: this
mode is for feedback; nbgrader, which grades in the kernel anyway, uses it too).
`InProcessSubmission` has the methods of `client.Submission` that the checks use, and
keeps parity with the worker: inputs and outputs still pass through `protocol`'s
encode/decode, and errors map to the same outcomes as in `worker.py`:

    ProbeFailure                      -> Incorrect (failed)
    NotImplementedError from a blank  -> NotAttempted
    a name the notebook never defined -> NotAttempted
    anything else raised in your code -> SubmissionError (error)

There is no time limit (nothing can stop a running cell but the user) and no fresh
process: `fresh` and `clean` probes run here too.

    submission = InProcessSubmission(globals())
    submission.probe("e01_tensors", "standardize", x=np.ones((3, 2)), dtype="float32")
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import traceback
import types
from pathlib import Path

from autograder import COURSE_ROOT
from autograder.engine import protocol
from autograder.engine.probing import MESSAGES, CourseBug, ProbeFailure, find_probe, missing_name
from autograder.engine.worker import _BLANK, _describe_error
from autograder.outcomes import Incorrect, NotAttempted, SubmissionError

_LIBRARY_FOLDERS = tuple({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
                         | {str(Path(__file__).resolve().parents[1]) + os.sep})


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
            raise NotDefined(MESSAGES["not_defined_in_notebook"].format(name=attribute)) from None


def _user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """Traceback frames outside the Python installation and the autograder: the notebook's."""
    return [frame for frame in traceback.extract_tb(error.__traceback__)
            if not os.path.realpath(frame.filename).startswith(_LIBRARY_FOLDERS)]


class _NamespaceFiles:
    """What `worker._describe_error` needs to point at the line in the student's code."""

    @staticmethod
    def frames(error: BaseException) -> list[traceback.FrameSummary]:
        frames = _user_frames(error)
        for frame in frames:  # ipykernel names cells /tmp/ipykernel_<pid>/<hash>.py
            if "ipykernel_" in frame.filename:
                frame.filename = "a notebook cell"
        return frames


def is_blank(error: BaseException) -> bool:
    """An untouched blank: `raise NotImplementedError` in the student's code (directly, or
    reported by TensorFlow as "in user code" from inside a graph)."""
    if not isinstance(error, NotImplementedError):
        return False
    frames = traceback.extract_tb(error.__traceback__)
    user = _user_frames(error)
    if user and frames and user[-1] == frames[-1]:
        return bool(_BLANK.match(frames[-1].line or ""))
    return "raise NotImplementedError" in str(error)


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
    """Probes a namespace in this process; a drop-in for `client.Submission` in the checks."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.folder = COURSE_ROOT  # only for messages; nothing is read from it

    def start(self) -> None:
        pass

    def begin_check(self, seconds: float = 0.0) -> None:
        pass  # no time limit in-process: a running cell is the user's to interrupt

    def close(self) -> None:
        pass

    def probe(self, module: str, name: str, *, with_submission: bool = True, fresh: bool = False, **inputs):
        """Run `autograder.probes.<module>.<name>(namespace_as_module, **inputs)` here and
        return its plain-data result, or raise the outcome that ends the check."""
        try:
            probe = find_probe(module, name)
        except CourseBug as bug:
            raise SubmissionError(str(bug)) from None
        sub = NamespaceModule(module, self.namespace) if with_submission else None
        with tempfile.TemporaryDirectory(prefix="tf-course-nb-") as exchange:
            folder = Path(exchange)
            inputs = protocol.decode(protocol.encode(inputs, folder), folder)  # what a worker would receive
            try:
                with _process_streams():
                    value = probe(sub, **inputs)
            except ProbeFailure as failure:
                raise Incorrect(str(failure)) from None
            except NotDefined as missing:
                raise NotAttempted(str(missing)) from None
            except KeyboardInterrupt:
                raise  # the student pressed stop
            except BaseException as error:
                if is_blank(error):
                    raise NotAttempted("this exercise still raises NotImplementedError") from None
                if _user_frames(error) or isinstance(error, SystemExit):
                    raise SubmissionError(_describe_error(error, _NamespaceFiles())) from None
                missing = missing_name(error, sub, f"{module}.py")
                if missing is not None:  # an object the notebook made lacks what the check needs
                    raise (NotAttempted if missing[0] == "not_attempted" else Incorrect)(missing[1]) from None
                raise RuntimeError(f"internal error in the grader's probe {name}: "
                                   f"{type(error).__name__}: {error}") from error
            try:
                return protocol.decode(protocol.encode(value, folder), folder)
            except protocol.UnsupportedValue as unsupported:
                raise RuntimeError(f"probe {name} returned unsendable data: {unsupported}") from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
