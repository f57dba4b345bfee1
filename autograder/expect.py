"""Comparison helpers for checks: numbers in, a targeted `Incorrect` out.

Everything is compared as float64 NumPy arrays (`np.asarray(x, dtype=float)`), never as
objects, so a lying `__eq__` gets nowhere and NaN always fails. Default tolerances are the
syllabus': rtol=1e-4 and atol=1e-4 times the scale of the reference (at least 1).

    expect_close(out, reference, "standardize(x)",
                 mistakes={"looks like the sample std (ddof=1)": sample_std_version})
"""
from __future__ import annotations

import numpy as np

from autograder.i18n import _
from autograder.mistakes import Mistake
from autograder.outcomes import Incorrect

RTOL = 1e-4
ATOL_SCALE = 1e-4


class OffTarget(Incorrect):
    """A result of the right shape that is off the reference and matches no named mistake
    (a check may catch it to say more)."""
    vague = True


def numbers(value, what: str) -> np.ndarray:
    """`value` as a float64 array, or Incorrect saying it is not numbers."""
    if value is None:
        raise Incorrect(_("{what} returned None: did you forget a `return` statement?", what=what))
    if isinstance(value, (str, bytes)):
        raise Incorrect(_("{what} should be numbers, but got {kind}", what=what, kind=type(value).__name__))
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise Incorrect(_("{what} should be numbers, but got {kind}", what=what, kind=type(value).__name__)) from None


def scale_of(reference) -> float:
    reference = np.asarray(reference, dtype=float)
    return max(1.0, float(np.max(np.abs(reference)))) if reference.size else 1.0


def is_close(actual, expected, *, rtol: float = RTOL, atol_scale: float = ATOL_SCALE, scale: float | None = None) -> bool:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        return False
    atol = atol_scale * (scale_of(expected) if scale is None else scale)
    return bool(np.all(np.isclose(actual, expected, rtol=rtol, atol=atol)))


def expect_close(actual, expected, what: str, *, rtol: float = RTOL, atol_scale: float = ATOL_SCALE,
                 scale: float | None = None, mistakes: dict[str, object] | None = None) -> None:
    """Pass when `actual` matches `expected`; otherwise name the first mistake whose
    predicted output `actual` matches, or say where and by how much it differs."""
    actual = numbers(actual, what)
    expected = np.asarray(expected, dtype=float)
    if is_close(actual, expected, rtol=rtol, atol_scale=atol_scale, scale=scale):
        return
    for message, predicted in (mistakes or {}).items():
        if is_close(actual, predicted, rtol=rtol, atol_scale=atol_scale, scale=scale):
            raise Incorrect(_("{what}: {mistake}", what=what, mistake=message), mistake=Mistake.of(message))
    _expect_same_shape(actual, expected, what)
    if np.isnan(actual).any() and not np.isnan(expected).any():
        raise Incorrect(_("{what} contains NaN (a division by zero, or the log of 0?)", what=what))
    error = np.abs(actual - expected)
    error = np.where(np.isnan(error), np.inf, error)  # np.where keeps 0-d results arrays
    raise OffTarget(_where_it_differs(actual, expected, what, np.unravel_index(int(np.argmax(error)), error.shape)))


def expect_cases_close(cases, *, mistakes: dict[str, list] | None = None, **tolerance) -> None:
    """One check over several inputs: `cases` are (actual, expected, what) triples, and each
    mistake maps to its prediction for every case. A mistake is named only when it explains
    every case that is off: on a single input a wrong answer can equal a prediction by chance
    (a random cubic's 1.5 f'(x) + 0.25 once came within tolerance of f(x)), on several it does not."""
    cases = [(numbers(actual, what), np.asarray(expected, dtype=float), what) for actual, expected, what in cases]
    off = [i for i, (actual, expected, what) in enumerate(cases) if not is_close(actual, expected, **tolerance)]
    if not off:
        return
    for message, predictions in (mistakes or {}).items():
        if all(is_close(cases[i][0], predictions[i], **tolerance) for i in off):
            raise Incorrect(_("{what}: {mistake}", what=cases[off[0]][2], mistake=message),
                            mistake=Mistake.of(message))
    actual, expected, what = cases[off[0]]
    expect_close(actual, expected, what, **tolerance)


def expect_equal(actual, expected, what: str) -> None:
    """Exact equality of numbers (ids, counts, shapes)."""
    actual = numbers(actual, what)
    expected = np.asarray(expected, dtype=float)
    _expect_same_shape(actual, expected, what)
    differs = actual != expected  # NaN differs from everything, NaN included
    if not differs.any():
        return
    if actual.ndim == 0:
        raise OffTarget(_where_it_differs(actual, expected, what, ()))
    first = tuple(int(i) for i in np.argwhere(differs)[0])
    first_place = _where_it_differs(actual, expected, _("the first"), first)
    raise OffTarget(_("{what} differs from the expected values in {count} place(s); {first}", what=what,
                      count=int(differs.sum()), first=first_place))


def _expect_same_shape(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    if actual.shape != expected.shape:
        raise Incorrect(_("{what} has shape {shape}, expected {expected}", what=what, shape=actual.shape, expected=expected.shape))


def _where_it_differs(actual: np.ndarray, expected: np.ndarray, what: str, index: tuple) -> str:
    """"f(x) is off at index (1, 2): got 3, expected 4" (no index for a 0-d result)."""
    got, wanted = f"{float(actual[index]):.6g}", f"{float(expected[index]):.6g}"
    if not index:
        return _("{what} is off: got {got}, expected {expected}", what=what, got=got, expected=wanted)
    return _("{what} is off at index {index}: got {got}, expected {expected}", what=what,
             index=tuple(int(i) for i in index), got=got, expected=wanted)
