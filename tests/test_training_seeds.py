"""The e04 accuracy threshold is stable: the reference `train` clears it at 20 seeds.

Runs the very probe and accuracy computation of
`test_train_reaches_88_percent_test_accuracy_on_mnist` (the grader's MLP, the grader's
loader over data/mnist.npz, the notes' budget of 5 epochs) on solutions/, once per seed,
in one worker, and prints the lowest accuracy and its margin over the threshold.
About a minute on 2 idle cores: `make test-slow`, or
`.venv/bin/python -m pytest -s -m slow tests/test_training_seeds.py`.
"""
import numpy as np
import pytest

from autograder.checks.test_e04_training import ACCURACY_THRESHOLD, TRAIN_BUDGET, accuracy_on_test_split
from autograder.engine.client import Submission
from tests.conftest import SOLUTIONS

SEEDS = range(20)


@pytest.mark.slow
def test_reference_train_clears_the_accuracy_threshold_at_20_seeds(capsys, record_property):
    accuracies = []
    with Submission(SOLUTIONS) as submission:
        for seed in SEEDS:
            submission.begin_check(300)
            result = submission.probe("e04_training", "train_accuracy", seed=seed, **TRAIN_BUDGET)
            accuracies.append(accuracy_on_test_split(result["probabilities"]))
    lowest = min(accuracies)
    summary = (f"reference train at {len(accuracies)} seeds ({TRAIN_BUDGET}): min accuracy {lowest:.3f}, "
               f"median {np.median(accuracies):.3f}, max {max(accuracies):.3f}; threshold {ACCURACY_THRESHOLD}, "
               f"margin {lowest - ACCURACY_THRESHOLD:+.3f}")
    record_property("seed_accuracies", accuracies)
    with capsys.disabled():
        print("\n" + summary)
    assert lowest >= ACCURACY_THRESHOLD, summary
