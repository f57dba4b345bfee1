"""What the probes share: turning what a submission returned into numbers, and naming it.

    from autograder.probes.kit import ProbeFailure, as_array, dtype_name, type_name
"""
from __future__ import annotations

import numpy as np

from autograder.i18n import _
from autograder.engine.probing import ProbeFailure, type_name

__all__ = ["ProbeFailure", "as_array", "dtype_name", "type_name"]


def as_array(value, what: str) -> np.ndarray:
    """The numbers in `value` (a tensor, array, list or scalar) as a NumPy array."""
    if value is None:
        raise ProbeFailure(_("{what} returned None: did you forget a `return` statement?", what=what))
    try:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except Exception as error:  # a graph tensor, a ragged value, ...
        raise ProbeFailure(_("{what} returned a {type_name} that is not an array of numbers ({error})",
                             what=what, type_name=type_name(value), error=error))
    if array.dtype.kind not in "biuf":
        raise ProbeFailure(_("{what} returned a {type_name} of {dtype}, not numbers",
                             what=what, type_name=type_name(value), dtype=array.dtype))
    return array


def dtype_name(value) -> str:
    """The TensorFlow/NumPy dtype name of a returned value ("float32", ...), or its type."""
    dtype = getattr(value, "dtype", None)
    name = getattr(dtype, "name", None)
    return name if isinstance(name, str) else type_name(value)
