"""A type-correct e05 stub: every name exists with the right types, none does the work.
It must score 0 (tests/test_stubs.py)."""
import numpy as np


def evaluate(model, X, y, batch_size):
    return 0.0


def predict_classes(model, X, batch_size):
    return np.zeros(len(X), np.int64)


def confusion_matrix(model, X, y, num_classes):
    return np.zeros((num_classes, num_classes), np.int64)
