"""The e04 accuracy threshold is stable: the reference `train` clears it at 20 seeds, on
the split `grade` scores on (data/heldout/mnist_test.npz) and on the public one `check`
scores on, and it clears it again when the digits are relabelled by a secret permutation.

Runs the very probe and accuracy of `test_train_reaches_88_percent_test_accuracy_on_mnist`
(the grader's MLP and loader on the training split, the notes' budget of 5 epochs; the
accuracy of the returned weights computed on the trusted side, on a test split that no
worker sees) on solutions/, once per seed, in one worker (tests/accuracy_seeds.py).
A few minutes on 2 idle cores: `make test-slow`, or
`.venv/bin/python -m pytest -s -m slow tests/test_training_seeds.py`.
"""
import numpy as np
import pytest

from autograder import heldout
from autograder.checks.test_e04_training import (ACCURACY_THRESHOLD, TRAIN_BUDGET, held_out_accuracy, relabelling,
                                                 training_split)
from autograder.course import load_course
from tests.accuracy_seeds import SEEDS, accuracies_at_seeds, prove_threshold


def _trained_weights(relabel_at) -> list:
    """The reference's trained weights at each seed, with the labels `relabel_at(seed)` gives."""
    weights, data = [], training_split()

    def inputs(seed):
        labels = relabel_at(seed)[data["y_train"]].astype(data["y_train"].dtype)
        return {"seed": seed, "x_train": data["x_train"], "y_train": labels, **TRAIN_BUDGET}

    accuracies_at_seeds("e04_training", "train_accuracy", inputs, lambda result: weights.append(result["weights"]))
    return weights


def _scored(weights, relabel=None, grading=True) -> list[float]:
    """Accuracy of each set of weights on the held-out split (`grading`) or the public one."""
    heldout.grade_on(heldout.for_grading([load_course().topic("e04")]) if grading else None)
    try:
        return [held_out_accuracy(w, relabel) for w in weights]
    finally:
        heldout.grade_on(None)


@pytest.mark.slow
def test_reference_train_clears_the_accuracy_threshold_at_20_seeds(capsys, record_property):
    weights = _trained_weights(lambda seed: np.arange(10))
    prove_threshold(f"reference train ({TRAIN_BUDGET}), held-out split", _scored(weights), ACCURACY_THRESHOLD,
                    capsys, record_property)
    prove_threshold(f"reference train ({TRAIN_BUDGET}), public test split", _scored(weights, grading=False),
                    ACCURACY_THRESHOLD, capsys, record_property)


@pytest.mark.slow
def test_reference_train_follows_relabelled_digits_at_20_seeds(capsys, record_property):
    relabels = {seed: relabelling(np.random.default_rng(seed)) for seed in SEEDS}
    weights = _trained_weights(relabels.__getitem__)
    followed = [_scored([w], relabels[seed])[0] for seed, w in zip(SEEDS, weights)]
    true_digits = _scored(weights)
    prove_threshold(f"reference train on relabelled digits ({TRAIN_BUDGET}), held-out split", followed,
                    ACCURACY_THRESHOLD, capsys, record_property)
    with capsys.disabled():
        print(f"the same models answer the true digits on at most {max(true_digits):.3f} of the held-out images")
    assert max(true_digits) < 0.2
