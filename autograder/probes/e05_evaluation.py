"""Probes for e05_evaluation (run in the worker).

The grader's model has known predictions: it is a Keras model whose output is the softmax
of its input (a fixed identity Dense layer), so the predicted class of a row of X is the
row's argmax, chosen by the check. A non-trainable counter layer records the largest batch
the model was ever given, to see whether the submission predicts batch by batch.
"""
import numpy as np
import tensorflow as tf

from autograder.i18n import _
from autograder.probes.kit import ProbeFailure, as_array, type_name

# Every evaluate() call made in this worker: a metric that is never reset carries these over.
_EVALUATED = {"correct": 0, "count": 0}


class MaxRows(tf.keras.layers.Layer):
    """Passes its input through and remembers the largest number of rows it has seen."""

    def build(self, input_shape):
        self.max_rows = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                        name="max_rows")

    def call(self, x):
        self.max_rows.assign(tf.maximum(self.max_rows, tf.shape(x)[0]))
        return x


def known_model(num_classes):
    """softmax(x): the predicted class of a row is its argmax."""
    counter = MaxRows()
    model = tf.keras.Sequential([
        tf.keras.Input((int(num_classes),)),
        counter,
        tf.keras.layers.Dense(int(num_classes), kernel_initializer="identity", bias_initializer="zeros",
                              trainable=False),
        tf.keras.layers.Softmax(),
    ])
    return model, counter


def _accuracy(value, what):
    array = as_array(value, what)
    if array.size != 1:
        raise ProbeFailure(_("{what} should be one number, the accuracy; got an array of shape {shape}",
                             what=what, shape=array.shape))
    return float(array.reshape(()))


def evaluate(sub, X, y, batch_size):
    """evaluate() on the known model; `earlier` totals the evaluate() calls before this one."""
    model, counter = known_model(X.shape[1])
    before = dict(_EVALUATED)
    accuracy = _accuracy(sub.evaluate(model, X, y, int(batch_size)), "evaluate")
    _EVALUATED["correct"] += int(np.sum(np.argmax(X, axis=1) == y))
    _EVALUATED["count"] += len(y)
    return {"accuracy": accuracy, "max_rows": int(counter.max_rows.numpy()), "earlier": before}


def predict_classes(sub, X, batch_size):
    model, counter = known_model(X.shape[1])
    out = sub.predict_classes(model, X, int(batch_size))
    array = as_array(out, "predict_classes")
    return {"classes": array, "type": type_name(out), "dtype": str(array.dtype),
            "max_rows": int(counter.max_rows.numpy())}


def confusion_matrix(sub, X, y, num_classes):
    model, __ = known_model(X.shape[1])
    out = sub.confusion_matrix(model, X, y, int(num_classes))
    array = as_array(out, "confusion_matrix")
    return {"matrix": array, "type": type_name(out), "dtype": str(array.dtype)}
