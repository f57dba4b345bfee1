"""The e07 accuracy thresholds are stable: the reference `train_text_classifier` clears
each set's threshold at 20 seeds.

Runs the very probe and accuracy of the checks `test_train_text_classifier_learns_*` (the
set's training split with its labels secretly relabelled, the check's number of epochs,
the test texts disguised afresh for each seed and encoded with the submission's own
`encode(test_texts, vocab, 64)`; the labels stay on the trusted side) on solutions/, once
per seed (the seed orders the training texts, draws the relabelling and seeds TensorFlow),
in one worker (tests/accuracy_seeds.py). Scored on the public test split, as `check` does;
`grade` scores on the held-out split, drawn from the same rows by the same shuffle.
`make test-slow`, or `.venv/bin/python -m pytest -s -m slow tests/test_embedding_seeds.py`.
"""
import numpy as np
import pytest

from autograder.checks.test_e07_embedding import REQUIRED_ACCURACY, SETS, TRAIN_EPOCHS, accuracies, training_inputs
from tests.accuracy_seeds import accuracies_at_seeds, prove_threshold


@pytest.mark.slow
@pytest.mark.parametrize("lang", sorted(SETS))
def test_reference_text_classifier_clears_the_accuracy_threshold_at_20_seeds(lang, capsys, record_property):
    relabels = []

    def inputs(seed):
        given, relabel = training_inputs(lang, np.random.default_rng(seed))
        relabels.append(relabel)
        return {"seed": seed, **given}

    found = accuracies_at_seeds("e07_embedding", "train_and_predict", inputs,
                                lambda result: accuracies(lang, result, relabels[-1])[0])
    prove_threshold(f"reference train_text_classifier on {SETS[lang]} ({TRAIN_EPOCHS} epochs)", found,
                    REQUIRED_ACCURACY[lang], capsys, record_property)
