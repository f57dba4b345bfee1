"""Timing several variants against each other: each run times every variant once, in turn,
so that all of them see the same machine load; then one line per variant, median first."""
from __future__ import annotations

import statistics
from typing import Callable


def median_times(variants: dict[str, Callable[[], float]], runs: int, digits: int = 1) -> dict[str, float]:
    """Time each variant (a callable that returns seconds) `runs` times, interleaved; print
    each median with its runs, and return the medians."""
    times = {name: [] for name in variants}
    for _ in range(runs):
        for name, timed in variants.items():
            times[name].append(timed())
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name:<24} median {median:6.{digits}f} s   runs: {', '.join(f'{t:.{digits}f}' for t in times[name])}")
    return medians
