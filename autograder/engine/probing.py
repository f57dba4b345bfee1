"""What probes (autograder/probes/*.py) use inside a worker to report on a submission.

A probe is a function `probe(sub, **inputs)` that calls into the submission module `sub`
and returns plain data (numbers, strings, lists, dicts, NumPy arrays). When it can already
tell what went wrong, it raises `ProbeFailure` with a message for the student.
"""
from __future__ import annotations

import numpy as np


class ProbeFailure(Exception):
    """The submission did something wrong that the probe can name."""


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
