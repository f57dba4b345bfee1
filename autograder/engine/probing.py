"""What probes (autograder/probes/*.py) use inside a worker to report on a submission.

A probe is a function `probe(sub, **inputs)` that calls into the submission module `sub`
and returns plain data (numbers, strings, lists, dicts, NumPy arrays). When it can already
tell what went wrong, it raises `ProbeFailure` with a message for the student. The worker
and the in-kernel path find probes with `find_probe` and name a lookup that failed with
`missing_name`, so both say the same thing.
"""
from __future__ import annotations

import importlib

import numpy as np

# What a student reads when a name the check looks up is not there (one place: gettext later).
MESSAGES = {
    "not_defined": "`{name}` is not defined in {file} (was it deleted or renamed?)",
    "not_defined_in_notebook": "`{name}` is not defined in this notebook yet (was it deleted or renamed?): run "
                               "the cell that defines it, and the cells above it, first",
    "missing_attribute": "the check needs `{name}` of the {kind} your code made, and it has none ({detail}): was "
                         "it deleted or renamed, or never created? (A layer that is never called has no weights.)",
    "no_such_probe": "this is a bug in the course, not in your code: the check asked for the probe `{probe}`, "
                     "which autograder/probes/{module}.py does not define. Please report it.",
}


class ProbeFailure(Exception):
    """The submission did something wrong that the probe can name."""


class CourseBug(Exception):
    """The grader itself is broken (a check asked for a probe that does not exist)."""


def find_probe(module: str, name: str):
    """The probe `autograder.probes.<module>.<name>`, or CourseBug naming it."""
    probe = getattr(importlib.import_module(f"autograder.probes.{module}"), name, None)
    if name.startswith("_") or not callable(probe):
        raise CourseBug(MESSAGES["no_such_probe"].format(probe=name, module=module))
    return probe


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
        return "not_attempted", MESSAGES["not_defined"].format(name=name[:100], file=file)
    try:
        detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
    except Exception:  # an error whose __str__ fails still gets its message
        detail = type(error).__name__
    kind = type_name(owner) if owner is not None else "object"
    return "failed", MESSAGES["missing_attribute"].format(name=name[:100], kind=kind[:100], detail=detail[:300])


def type_name(value) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def as_array(value, what: str) -> np.ndarray:
    """The numbers in `value` (a tensor, array, list or scalar) as a NumPy array."""
    if value is None:
        raise ProbeFailure(f"{what} returned None: did you forget a `return` statement?")
    try:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except Exception as error:  # a graph tensor, a ragged value, ...
        raise ProbeFailure(f"{what} returned a {type_name(value)} that is not an array of numbers ({error})")
    if array.dtype.kind not in "biuf":
        raise ProbeFailure(f"{what} returned a {type_name(value)} of {array.dtype}, not numbers")
    return array


def dtype_name(value) -> str:
    """The TensorFlow/NumPy dtype name of a returned value ("float32", ...), or its type."""
    dtype = getattr(value, "dtype", None)
    name = getattr(dtype, "name", None)
    return name if isinstance(name, str) else type_name(value)
