"""The e07 accuracy thresholds are stable: the reference `train_text_classifier` clears
each set's threshold at 20 seeds, on the public test split (`check`) and on the held-out
split (`grade`), and so does a correct submission that learns more slowly
(tests/alternatives/e07_embedding.py: default Adam, a hand-written loop), the kind whose
near miss once failed a CI run.

Runs the very probe of the checks `test_train_text_classifier_learns_*` (the set's training
split with its labels secretly relabelled, the check's number of epochs, the test texts
disguised afresh for each seed and encoded with the submission's own
`encode(test_texts, vocab, 64)`; the labels stay on the trusted side) on solutions/, once
per seed (the seed orders the training texts, draws the relabelling and seeds TensorFlow),
in one worker (tests/accuracy_seeds.py). Each model predicts the public test texts and the
held-out ones at once; both are scored against the labels it was trained on.
`make test-slow`, or `.venv/bin/python -m pytest -s -m slow tests/test_embedding_seeds.py`.
"""
import numpy as np
import pytest

from autograder import COURSE_ROOT, heldout
from autograder.checks.test_e07_embedding import (REQUIRED_ACCURACY, SETS, TRAIN_EPOCHS, _split_of, disguised,
                                                   training_inputs)
from tests.accuracy_seeds import accuracies_at_seeds, prove_threshold
from tests.conftest import SOLUTIONS

SUBMISSIONS = {"reference": SOLUTIONS, "alternative": COURSE_ROOT / "tests" / "alternatives"}


@pytest.mark.slow
@pytest.mark.parametrize("who", sorted(SUBMISSIONS))
@pytest.mark.parametrize("lang", sorted(SETS))
def test_text_classifier_clears_the_accuracy_threshold_at_20_seeds(lang, who, capsys, record_property):
    public = _split_of(heldout.DATA / SETS[lang], "test")
    held = _split_of(heldout.FOLDER / SETS[lang], "test")
    relabels, on_held_out, on_true_labels = [], [], []

    def inputs(seed):
        rng = np.random.default_rng(seed)
        given, relabel = training_inputs(lang, rng)   # test_texts: the public ones, disguised
        relabels.append(relabel)
        return {"seed": seed, **given, "test_texts": given["test_texts"] + disguised(held[0], rng)}

    def accuracy(result):
        predictions, relabel, count = np.asarray(result["predictions"]), relabels[-1], len(public[1])
        assert result["num_outputs"] == relabel.max() + 1 and result["finite"]
        on_held_out.append(float(np.mean(predictions[count:] == relabel[held[1]])))
        on_true_labels.append(float(np.mean(predictions[:count] == public[1])))
        return float(np.mean(predictions[:count] == relabel[public[1]]))

    found = accuracies_at_seeds("e07_embedding", "train_and_predict", inputs, accuracy, SUBMISSIONS[who])
    what = f"{who} train_text_classifier on {SETS[lang]} ({TRAIN_EPOCHS} epochs, relabelled)"
    with capsys.disabled():
        print(f"\n{what}: agreement with the true labels at most {max(on_true_labels):.3f}")
    prove_threshold(f"{what}, public test split", found, REQUIRED_ACCURACY[lang], capsys, record_property)
    prove_threshold(f"{what}, held-out split", on_held_out, REQUIRED_ACCURACY[lang], capsys, record_property)
