"""The one harness behind the 20-seed accuracy proofs (tests/test_training_seeds.py,
tests/test_embedding_seeds.py): the very probe and held-out accuracy of a check, run on
solutions/ (or another correct submission) once per seed in one worker, with the lowest
accuracy and its margin printed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from autograder.course import load_course
from autograder.engine.client import Submission
from tests.conftest import SOLUTIONS

SEEDS = range(20)
SECONDS_PER_SEED = 300


def accuracies_at_seeds(module: str, probe: str, inputs: Callable[[int], dict],
                        accuracy: Callable[[dict], float], folder: Path = SOLUTIONS) -> list[float]:
    """`accuracy(result)` of `probe(**inputs(seed))` on the submission in `folder`, for every seed."""
    topic, found = load_course().topic(module), []
    with Submission(folder) as submission:
        for seed in SEEDS:
            submission.begin_check(SECONDS_PER_SEED)
            found.append(accuracy(submission.probe(topic, probe, **inputs(seed))))
    return found


def summary(what: str, accuracies: list[float], threshold: float) -> str:
    lowest = min(accuracies)
    return (f"{what} at {len(accuracies)} seeds: min accuracy {lowest:.3f}, median {np.median(accuracies):.3f}, "
            f"max {max(accuracies):.3f}; threshold {threshold}, margin {lowest - threshold:+.3f}")


def prove_threshold(what: str, accuracies: list[float], threshold: float, capsys, record_property) -> None:
    """Print the margin, record the numbers, and fail when a seed falls below `threshold`."""
    text = summary(what, accuracies, threshold)
    record_property("seed_accuracies", accuracies)
    with capsys.disabled():
        print("\n" + text)
    assert min(accuracies) >= threshold, text
