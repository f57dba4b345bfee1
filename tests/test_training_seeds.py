"""The e04 accuracy threshold is stable: the reference `train` clears it at 20 seeds.

Runs the very probe and held-out accuracy of `test_train_reaches_88_percent_test_accuracy_on_mnist`
(the grader's MLP and loader on the training split, the notes' budget of 5 epochs; the
accuracy of the returned weights computed on the trusted side, on the test split that no
worker sees) on solutions/, once per seed, in one worker (tests/accuracy_seeds.py).
About a minute on 2 idle cores: `make test-slow`, or
`.venv/bin/python -m pytest -s -m slow tests/test_training_seeds.py`.
"""
import pytest

from autograder.checks.test_e04_training import ACCURACY_THRESHOLD, TRAIN_BUDGET, held_out_accuracy, training_split
from tests.accuracy_seeds import accuracies_at_seeds, prove_threshold


@pytest.mark.slow
def test_reference_train_clears_the_accuracy_threshold_at_20_seeds(capsys, record_property):
    accuracies = accuracies_at_seeds("e04_training", "train_accuracy",
                                     lambda seed: {"seed": seed, **training_split(), **TRAIN_BUDGET},
                                     lambda result: held_out_accuracy(result["weights"]))
    prove_threshold(f"reference train ({TRAIN_BUDGET})", accuracies, ACCURACY_THRESHOLD, capsys, record_property)
