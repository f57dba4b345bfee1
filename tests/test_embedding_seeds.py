"""The e07 accuracy threshold is stable: the reference `train_text_classifier` clears it at
20 seeds.

Runs the very probe and held-out accuracy of
`test_train_text_classifier_reaches_85_percent_on_held_out_texts` (the training split of
data/sentiment_text.jsonl, the check's number of epochs, the test texts disguised afresh
for each seed and encoded with the submission's own `encode(test_texts, vocab, 64)`; the
labels stay on the trusted side) on solutions/, once per seed (the seed orders the
training texts and seeds TensorFlow), in one worker (tests/accuracy_seeds.py).
`make test-slow`, or `.venv/bin/python -m pytest -s -m slow tests/test_embedding_seeds.py`.
"""
import numpy as np
import pytest

from autograder.checks.test_e07_embedding import REQUIRED_ACCURACY, TRAIN_EPOCHS, held_out_accuracy, training_inputs
from tests.accuracy_seeds import accuracies_at_seeds, prove_threshold


@pytest.mark.slow
def test_reference_text_classifier_clears_the_accuracy_threshold_at_20_seeds(capsys, record_property):
    accuracies = accuracies_at_seeds("e07_embedding", "train_and_predict",
                                     lambda seed: {"seed": seed, **training_inputs(np.random.default_rng(seed))},
                                     held_out_accuracy)
    prove_threshold(f"reference train_text_classifier ({TRAIN_EPOCHS} epochs)", accuracies, REQUIRED_ACCURACY,
                    capsys, record_property)
