"""The e07 accuracy threshold is stable: the reference `train_text_classifier` clears it at
20 seeds.

Runs the very probe and accuracy computation of
`test_train_text_classifier_reaches_85_percent_on_held_out_texts` (data/sentiment_text.jsonl,
the check's number of epochs, the submission's own `encode(test_texts, vocab, 64)`) on
solutions/, once per seed (the seed orders the training texts and seeds TensorFlow), in one
worker, and prints the lowest accuracy and its margin over the threshold.
`make test-slow`, or `.venv/bin/python -m pytest -s -m slow tests/test_embedding_seeds.py`.
"""
import numpy as np
import pytest

from autograder.checks.test_e07_embedding import REQUIRED_ACCURACY, TRAIN_EPOCHS, held_out_accuracy, training_inputs
from autograder.engine.client import Submission
from tests.conftest import SOLUTIONS

SEEDS = range(20)


@pytest.mark.slow
def test_reference_text_classifier_clears_the_accuracy_threshold_at_20_seeds(capsys, record_property):
    accuracies = []
    with Submission(SOLUTIONS) as submission:
        for seed in SEEDS:
            submission.begin_check(300)
            result = submission.probe("e07_embedding", "train_and_predict", seed=seed,
                                      **training_inputs(np.random.default_rng(seed)))
            accuracies.append(held_out_accuracy(result))
    lowest = min(accuracies)
    summary = (f"reference train_text_classifier at {len(accuracies)} seeds ({TRAIN_EPOCHS} epochs): min accuracy "
               f"{lowest:.3f}, median {np.median(accuracies):.3f}, max {max(accuracies):.3f}; threshold "
               f"{REQUIRED_ACCURACY}, margin {lowest - REQUIRED_ACCURACY:+.3f}")
    record_property("seed_accuracies", accuracies)
    with capsys.disabled():
        print("\n" + summary)
    assert lowest >= REQUIRED_ACCURACY, summary
