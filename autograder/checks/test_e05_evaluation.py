"""Checks for e05_evaluation: evaluate, predict_classes, confusion_matrix.

The grader's model predicts the argmax of each row of X (see the probe module), so the
checks choose every prediction, and which of them are right, before calling the
submission.
"""
from __future__ import annotations

import numpy as np

from autograder.expect import expect_close, expect_equal
from autograder.i18n import N_, _
from autograder.outcomes import Incorrect


def _rows(rng, predicted, num_classes):
    """Inputs whose argmax is `predicted`: the model's predictions, by construction."""
    X = rng.normal(size=(len(predicted), num_classes)) * 0.5
    X[np.arange(len(predicted)), predicted] = X.max(axis=1) + rng.uniform(0.5, 2.0, size=len(predicted))
    return X.astype(np.float32)


def _data(rng, right, num_classes):
    """(X, y, predicted): `right[i]` says whether the prediction for row i is correct."""
    right = np.asarray(right, bool)
    predicted = rng.integers(0, num_classes, size=len(right))
    wrong_by = rng.integers(1, num_classes, size=len(right))
    y = np.where(right, predicted, (predicted + wrong_by) % num_classes).astype(np.int64)
    return _rows(rng, predicted, num_classes), y, predicted


def _expect_batches(max_rows, batch_size, name):
    if max_rows > batch_size:
        raise Incorrect(_("{name} gave the model {max_rows} rows at once, but batch_size is {batch_size}: predict "
                          "batch by batch, X[start:start + batch_size] for start in range(0, len(X), batch_size)",
                          name=name, max_rows=max_rows, batch_size=batch_size))


# --- evaluate ----------------------------------------------------------------------------

def _never_reset(result, correct, count):
    """What a metric that is never reset reports: this call's examples plus all earlier ones."""
    earlier = result["earlier"]
    return (earlier["correct"] + correct) / (earlier["count"] + count) if earlier["count"] else None


NOT_RESET = (N_("it also counts the examples of an earlier call: the metric was never reset; create the "
               "SparseCategoricalAccuracy inside evaluate (or call reset_state() first)"))


def test_evaluate_counts_the_last_partial_batch(probe, rng):
    num_classes, batch_size = int(rng.integers(3, 10)), int(rng.integers(6, 20))
    full, rest = int(rng.integers(2, 5)) * batch_size, int(rng.integers(1, batch_size))
    # Half of the full batches' predictions are right and all of the last partial batch's,
    # so leaving that batch out shows: it lowers the accuracy by rest / (2 * len(X)) >= 0.005.
    right = np.concatenate([rng.permutation(np.arange(full) < full // 2), np.ones(rest, bool)])
    X, y, __ = _data(rng, right, num_classes)
    result = probe.evaluate(X=X, y=y, batch_size=batch_size)
    mistakes = {_("it leaves out the last partial batch ({rest} of {count} examples); the notes' loop runs "
                  "num_test_data // batch_size batches. Loop over range(0, len(X), batch_size): the last slice is "
                  "just shorter", rest=rest, count=len(y)): right[:full].mean()}
    never_reset = _never_reset(result, int(right.sum()), len(right))
    if never_reset is not None:
        mistakes[_(NOT_RESET)] = never_reset
    expect_close(result["accuracy"], right.mean(), _("evaluate on {count} examples with batch_size={batch_size}",
                                                     count=len(y), batch_size=batch_size),
                 mistakes=mistakes)
    _expect_batches(result["max_rows"], batch_size, "evaluate")


def test_evaluate_on_other_data_gives_that_datas_accuracy(probe, rng):
    num_classes, batch_size = int(rng.integers(3, 10)), int(rng.integers(6, 20))
    for share in (rng.uniform(0.75, 0.95), rng.uniform(0.15, 0.45)):
        count = int(rng.integers(3, 7)) * batch_size
        right = rng.permutation(np.arange(count) < round(share * count))
        X, y, __ = _data(rng, right, num_classes)
        result = probe.evaluate(X=X, y=y, batch_size=batch_size)
        never_reset = _never_reset(result, int(right.sum()), count)
        expect_close(result["accuracy"], right.mean(), _("evaluate on {count} other examples", count=count),
                     mistakes={_(NOT_RESET): never_reset} if never_reset is not None else None)


# --- predict_classes ---------------------------------------------------------------------

def _expect_int_array(result, name):
    if result["type"] != "numpy.ndarray":
        raise Incorrect(_("{name} returned a {type}; return a NumPy array (.numpy() on a tensor)",
                          name=name, type=result['type']))
    if not np.issubdtype(np.dtype(result["dtype"]), np.integer):
        raise Incorrect(_("{name} returned {dtype} values; they must be ints (np.argmax gives int64; "
                          "don't cast to float)", name=name, dtype=result['dtype']))


def test_predict_classes_returns_int_class_ids(probe, rng):
    num_classes, batch_size = int(rng.integers(3, 10)), int(rng.integers(6, 20))
    predicted = rng.integers(0, num_classes, size=int(rng.integers(2, 6)) * batch_size)
    result = probe.predict_classes(X=_rows(rng, predicted, num_classes), batch_size=batch_size)
    classes = result["classes"]
    if classes.shape == (len(predicted), num_classes):
        raise Incorrect(_("predict_classes returned the probabilities (shape {shape}); the class id is the "
                          "index of the largest one: np.argmax(..., axis=-1)", shape=classes.shape))
    _expect_int_array(result, "predict_classes")
    expect_equal(classes, predicted, _("predict_classes on {count} examples", count=len(predicted)))
    _expect_batches(result["max_rows"], batch_size, "predict_classes")


def test_predict_classes_covers_every_example_in_order(probe, rng):
    num_classes, batch_size = int(rng.integers(3, 10)), int(rng.integers(6, 20))
    full, rest = int(rng.integers(2, 6)) * batch_size, int(rng.integers(1, batch_size))
    predicted = rng.integers(0, num_classes, size=full + rest)
    result = probe.predict_classes(X=_rows(rng, predicted, num_classes), batch_size=batch_size)
    classes = result["classes"]
    if classes.shape == (full,):
        raise Incorrect(_("predict_classes returned {full} ids for {value} examples: the last partial batch "
                          "({rest} examples) was dropped; loop over range(0, len(X), batch_size)",
                          full=full, value=full + rest, rest=rest))
    if classes.shape == predicted.shape and not np.array_equal(classes, predicted) and \
            np.array_equal(np.sort(classes), np.sort(predicted)):
        raise Incorrect(_("predict_classes returned the right ids in the wrong order: keep the batches in order"))
    expect_equal(classes, predicted, _("predict_classes on {value} examples with batch_size={batch_size}",
                                       value=full + rest, batch_size=batch_size))
    _expect_batches(result["max_rows"], batch_size, "predict_classes")


# --- confusion_matrix --------------------------------------------------------------------

def _counts(y, predicted, num_classes):
    matrix = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(matrix, (y, predicted), 1)
    return matrix


def test_confusion_matrix_rows_are_true_labels_columns_predictions(probe, rng):
    num_classes = int(rng.integers(3, 8))
    right = rng.random(int(rng.integers(60, 120))) < 0.6
    X, y, predicted = _data(rng, right, num_classes)
    # Many examples of one true class predicted as another, and none the other way: a
    # matrix that differs from its transpose.
    true_class, seen_as = rng.choice(num_classes, size=2, replace=False)
    keep = ~((y == seen_as) & (predicted == true_class))
    extra = int(rng.integers(5, 10))
    X = np.concatenate([X[keep], _rows(rng, np.full(extra, seen_as), num_classes)])
    y = np.concatenate([y[keep], np.full(extra, true_class)])
    predicted = np.concatenate([predicted[keep], np.full(extra, seen_as)])
    order = rng.permutation(len(y))
    X, y, predicted = X[order], y[order], predicted[order]
    expected = _counts(y, predicted, num_classes)
    result = probe.confusion_matrix(X=X, y=y, num_classes=num_classes)
    matrix = result["matrix"]
    if matrix.shape == expected.shape and np.array_equal(matrix, expected.T):
        raise Incorrect(_("rows and columns are swapped: row i must count the examples whose true label is i, "
                          "column j those predicted as j (tf.math.confusion_matrix(labels=y, predictions=...))"))
    expect_equal(matrix, expected, _("confusion_matrix of {count} examples and {num_classes} classes",
                                     count=len(y), num_classes=num_classes))


def test_confusion_matrix_is_an_int_num_classes_square(probe, rng):
    used = int(rng.integers(3, 6))
    num_classes = used + int(rng.integers(1, 4))  # the last classes never occur
    right = rng.random(int(rng.integers(40, 90))) < 0.7
    X, y, predicted = _data(rng, right, used)
    X = np.concatenate([X, np.full((len(X), num_classes - used), -5.0, np.float32)], axis=1)
    result = probe.confusion_matrix(X=X, y=y, num_classes=num_classes)
    matrix = result["matrix"]
    if matrix.ndim == 2 and matrix.shape[0] == matrix.shape[1] and matrix.shape[0] < num_classes:
        raise Incorrect(_("the matrix is {shape}×{shape2} for num_classes={num_classes}: pass "
                          "num_classes on, so that classes missing from y and from the predictions still get "
                          "their row and column",
                          shape=matrix.shape[0], shape2=matrix.shape[1], num_classes=num_classes))
    _expect_int_array(result, "confusion_matrix")
    expect_equal(matrix, _counts(y, predicted, num_classes), _("confusion_matrix with num_classes={num_classes}",
                                                               num_classes=num_classes))
