"""The verdict rules, in one place: what a submission did becomes a status.

A check ends `passed`, `failed` (a wrong answer), `not_attempted` (an untouched blank or an
absent file or name), `error` (the submission raised, did not import, exited or crashed)
or `timeout`. The worker (`worker.py`) and the in-kernel path (`inprocess.py`) both judge
an exception a probe raised with `judge`; the trusted side turns the worker's answer into
the outcome that ends the check with `outcome`; the pytest plugin reports any check's end
with `ending`.

    judge(error, frames=..., sub=module, file="e01_tensors.py")   # ("not_attempted", "...")
    raise outcome("failed", "the gradient is None ...")             # Incorrect
    ending(None)                                                    # ("passed", "")
"""
from __future__ import annotations

import re
import traceback

from autograder.engine import errortext
from autograder.engine.probing import ProbeFailure, type_name
from autograder.i18n import N_, _
from autograder.outcomes import (INTERNAL_ERROR, CheckOutcome, Incorrect, NotAttempted, SubmissionError)

# A blank as nbgrader leaves it: the solution replaced by `raise NotImplementedError()`.
BLANK_LINE = re.compile(r"^\s*raise\s+NotImplementedError\b")

# What a student reads (in English; translated where it is shown).
MESSAGES = {
    "blank": N_("this exercise still raises NotImplementedError"),
    "not_defined": N_("`{name}` is not defined in {file} (was it deleted or renamed?)"),
    "missing_attribute": N_("the check needs `{name}` of the {kind} your code made, and it has none ({detail}): was "
                            "it deleted or renamed, or never created? (A layer that is never called has no weights.)"),
    "probe_failed": N_("the grader's probe failed ({message}); if your code changes the autograder, NumPy or "
                       "TensorFlow internals, that is why"),
}


def is_blank(error: BaseException, frames: list[traceback.FrameSummary], origin: str | None) -> bool:
    """An untouched blank: `raise NotImplementedError` written in the submission's code.
    `frames` are the error's traceback frames that lie in that code. Raised inside a
    tf.function graph, the line is not on the traceback: TensorFlow quotes it "in user
    code" in the message instead, which must then also contain `origin` (the submission's
    folder; "" where any place will do, None where no submission code ran)."""
    if not isinstance(error, NotImplementedError):
        return False
    innermost = traceback.extract_tb(error.__traceback__)[-1:]
    if frames and frames[-1] == innermost[0]:
        return bool(BLANK_LINE.match(frames[-1].line or ""))
    text = str(error)
    return origin is not None and origin in text and "raise NotImplementedError" in text


def missing_name(error: BaseException, sub, file: str) -> tuple[str, str] | None:
    """(status, message) when `error` is the probe not finding a name: in the submission
    module `sub` ("not_attempted": `file` lacks it), or on an object the submission made
    ("failed"). None for any other error, or without a submission. Call it only for
    errors raised outside the submission's own code (an AttributeError there is its bug)."""
    if sub is None or not isinstance(error, AttributeError):
        return None  # a probe that never saw the submission has only the course to blame
    name, owner = getattr(error, "name", None), getattr(error, "obj", None)
    name = name if isinstance(name, str) else "?"
    if owner is sub:
        return "not_attempted", _(MESSAGES["not_defined"], name=name[:100], file=file)
    try:
        detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
    except Exception:  # an error whose __str__ fails still gets its message
        detail = type(error).__name__
    kind = type_name(owner) if owner is not None else "object"
    return "failed", _(MESSAGES["missing_attribute"], name=name[:100], kind=kind[:100], detail=detail[:300])


def judge(error: BaseException, *, frames: list[traceback.FrameSummary], sub, file: str, origin: str | None,
          shown: list[traceback.FrameSummary] | None = None) -> tuple[str, str]:
    """(status, message) for an exception raised while a probe ran on the submission module
    `sub` (None for a probe that runs without it). `frames`: the traceback frames in the
    submission's code (`shown`: the same as the student should read them, if renamed);
    `origin` as for `is_blank`.

    failed         the probe named the mistake (ProbeFailure), or an object lacks a name
    not_attempted  an untouched blank, or a name the submission's file lacks
    error          the submission's code raised, exited or was interrupted
    probe_error    the probe failed on its own: a bug in the course, or a submission that
                   patched what the probe relies on
    """
    if isinstance(error, ProbeFailure):
        return "failed", str(error)
    if is_blank(error, frames, origin):
        return "not_attempted", _(MESSAGES["blank"])
    status = "error" if frames or isinstance(error, (SystemExit, KeyboardInterrupt)) else "probe_error"
    missing = missing_name(error, sub, file) if status == "probe_error" else None
    return missing or (status, errortext.describe(error, frames if shown is None else shown))


def outcome(status: str, message: str) -> CheckOutcome:
    """The outcome that ends a check, for a worker's answer other than "ok"."""
    if status == "failed":
        return Incorrect(message)
    if status in ("not_attempted", "missing"):
        return NotAttempted(message)
    if status in ("error", "import_error"):
        return SubmissionError(message)
    return SubmissionError(_(MESSAGES["probe_failed"], message=message))


def ending(error: BaseException | None) -> tuple[str, str]:
    """(status, message) of a check that ended with `error` (None: it passed). A plain
    AssertionError counts as failed; any other exception is the check's own bug."""
    if error is None:
        return "passed", ""
    if isinstance(error, CheckOutcome):
        return error.status, error.message
    if isinstance(error, AssertionError):
        return "failed", str(error) or _("assertion failed")
    return "error", f"{_(INTERNAL_ERROR)}: {type(error).__name__}: {error}"


def is_internal(error: BaseException | None) -> bool:
    """Did the check end with its own bug, or a failure of the grader (not the submission's)?"""
    return error is not None and not isinstance(error, (CheckOutcome, AssertionError))
