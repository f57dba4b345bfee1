"""Probes for e04_training (run in the worker).

The training probes never use the submission's loader or an e03 model: they build the
grader's own MLP (Flatten, Dense(hidden, relu), Dense(10), softmax) and the grader's own
loader, so each exercise is checked on its own. Every image and label comes from the check
as an input; nothing here reads data/. The held-out test split never reaches a worker:
`train_accuracy` returns the trained weights, and the check computes the predictions.
"""
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import tensorflow as tf

from autograder.i18n import N_, _
from autograder.probes.kit import ProbeFailure, as_array, dtype_name, type_name

TF_FUNCTION_VARIABLES = (
    N_('a tf.function created variables after its first call ("tf.function only supports singleton '
      'tf.Variables created on the first call"): train_step must work for every new (model, optimizer) pair, '
      "but a single module-level @tf.function can create the optimizer's variables (Adam's moments) only once. "
      "Leave train_step a plain function and compile it inside train, e.g. step = tf.function(train_step), "
      "a new one for each call of train"))
NO_GRADIENTS = (
    N_('every gradient is None ("No gradients provided for any variable"): compute the model\'s output and '
      "the loss inside the `with tf.GradientTape() as tape:` block, then call tape.gradient(loss, "
      "model.trainable_variables)"))


def _scaled(images):
    return (np.asarray(images, np.float32) / np.float32(255.0))[..., np.newaxis]


def grader_mlp(seed, hidden):
    """The grader's model: the syllabus' MLP shape, with `hidden` units, seeded weights."""
    tf.keras.utils.set_random_seed(int(seed))
    model = tf.keras.Sequential([
        tf.keras.Input((28, 28, 1)),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(int(hidden), activation="relu"),
        tf.keras.layers.Dense(10),
        tf.keras.layers.Softmax(),
    ])
    return model


def _weights(model):
    return [v.numpy().copy() for v in model.trainable_variables]


def _run(what, call):
    """Calls into the submission, turning the errors with a known cause into messages."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except ValueError as error:
            text = str(error)
            if "singleton tf.Variables created on the first call" in text or \
                    "only supports creating variables on the first call" in text:
                raise ProbeFailure(_("{what}: {mistake}", what=what, mistake=_(TF_FUNCTION_VARIABLES))) from None
            if "No gradients provided for any variable" in text:
                raise ProbeFailure(_("{what}: {mistake}", what=what, mistake=_(NO_GRADIENTS))) from None
            raise
    missing = [str(w.message) for w in caught if "Gradients do not exist for variables" in str(w.message)]
    return result, missing


# --- MNISTLoader -------------------------------------------------------------------------

@contextmanager
def _npz_file(arrays):
    """A temporary .npz holding `arrays`."""
    with tempfile.TemporaryDirectory(prefix="mnist-") as folder:
        path = Path(folder) / "mnist_subset.npz"
        np.savez(path, **arrays)
        yield path


def _attribute(loader, name):
    try:
        return getattr(loader, name)
    except AttributeError:
        raise ProbeFailure(_("MNISTLoader has no attribute `{name}` (the syllabus names train_data, train_label, "
                             "test_data, test_label, num_train_data and num_test_data)", name=name)) from None


def _count(value, name):
    array = as_array(value, f"MNISTLoader.{name}")
    if array.shape != () or array.dtype.kind not in "iu":
        raise ProbeFailure(_("MNISTLoader.{name} should be an int, got {type_name}",
                             name=name, type_name=type_name(value))
                           + (_(" of shape {shape}", shape=array.shape) if array.shape else ""))
    return int(array)


def _summary(value, name):
    array = as_array(value, f"MNISTLoader.{name}")
    return {"type": type_name(value), "dtype": dtype_name(value), "shape": list(array.shape),
            "min": float(array.min()) if array.size else 0.0, "max": float(array.max()) if array.size else 0.0}


def loader_summary(sub, arrays):
    """Shapes, dtypes and value ranges of MNISTLoader on a file holding `arrays`, and its
    images as bytes keys' source: the arrays themselves."""
    with _npz_file(arrays) as path:
        loader = sub.MNISTLoader(str(path))
        result = {name: _summary(_attribute(loader, name), name)
                  for name in ("train_data", "train_label", "test_data", "test_label")}
        result["num_train_data"] = _count(_attribute(loader, "num_train_data"), "num_train_data")
        result["num_test_data"] = _count(_attribute(loader, "num_test_data"), "num_test_data")
        for name in ("train_data", "test_data"):
            result[f"{name}_values"] = as_array(_attribute(loader, name), f"MNISTLoader.{name}")
    return result


def loader_pairs(sub, arrays, batch_sizes):
    """MNISTLoader's arrays and a few get_batch results, for a file holding `arrays`."""
    with _npz_file(arrays) as path:
        loader = sub.MNISTLoader(str(path))
        result = {name: as_array(_attribute(loader, name), f"MNISTLoader.{name}")
                  for name in ("train_data", "train_label", "test_data", "test_label")}
        batches = []
        for size in batch_sizes:
            batch = loader.get_batch(int(size))
            if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                raise ProbeFailure(_("get_batch should return a pair (X, y), got {type_name}",
                                     type_name=type_name(batch)))
            batches.append({"X": as_array(batch[0], _("get_batch's X")), "y": as_array(batch[1], _("get_batch's y"))})
    result["batches"] = batches
    return result


# --- loss_fn -----------------------------------------------------------------------------

def loss(sub, y_true, y_pred):
    out = sub.loss_fn(tf.constant(y_true, tf.int32), tf.constant(y_pred, tf.float32))
    return as_array(out, "loss_fn")


# --- train_step --------------------------------------------------------------------------

def train_step_sgd(sub, X, y, seed, hidden, learning_rate):
    """One train_step with plain SGD, whose update reveals the gradients it applied."""
    model = grader_mlp(seed, hidden)
    optimizer = tf.keras.optimizers.SGD(learning_rate=float(learning_rate))
    before = _weights(model)
    out, missing = _run("train_step", lambda: sub.train_step(model, optimizer, X, y))
    return {"loss": as_array(out, "train_step"), "before": before, "after": _weights(model),
            "missing_gradients": missing}


def train_step_pairs(sub, batches, seeds, hidden, learning_rate):
    """Two train_steps for each of several fresh (model, Adam) pairs, all in this process."""
    pairs = []
    for seed in seeds:
        model = grader_mlp(seed, hidden)
        optimizer = tf.keras.optimizers.Adam(learning_rate=float(learning_rate))
        snapshots, losses = [_weights(model)], []
        for X, y in batches:
            out, __ = _run(_("train_step for the model and optimizer number {value}", value=len(pairs) + 1),
                          lambda: sub.train_step(model, optimizer, tf.constant(X), tf.constant(y)))
            losses.append(as_array(out, "train_step"))
            snapshots.append(_weights(model))
        pairs.append({"weights": snapshots, "losses": losses})
    return pairs


# --- train -------------------------------------------------------------------------------

class GraderLoader:
    """The loader the grader hands to `train`: the syllabus' attributes and get_batch, with
    a record of every call (and the model's weights when the first two batches are served)."""

    def __init__(self, x_train, y_train, seed, model=None):
        self.train_data, self.train_label = _scaled(x_train), np.asarray(y_train, np.int32)
        # `train` needs no test split, and the held-out one stays with the check.
        self.test_data, self.test_label = self.train_data[:0], self.train_label[:0]
        self.num_train_data, self.num_test_data = len(self.train_data), 0
        self._rng = np.random.default_rng(int(seed))
        self._model = model
        self.sizes, self.first_index, self.weights_at = [], None, []

    def get_batch(self, batch_size):
        size = int(batch_size)
        self.sizes.append(size)
        if self._model is not None and len(self.weights_at) < 2:
            self.weights_at.append(_weights(self._model))
        index = self._rng.integers(0, self.num_train_data, size)
        if self.first_index is None:
            self.first_index = index
        return self.train_data[index], self.train_label[index]


def _losses(value):
    if value is None:
        raise ProbeFailure(_("train returned None: did you forget to return the list of losses?"))
    if not isinstance(value, (list, tuple)):
        raise ProbeFailure(_("train should return a list with the loss of every batch, got {type_name}",
                             type_name=type_name(value)))
    losses = [as_array(item, _("an item of train's list")) for item in value]
    if any(item.size != 1 for item in losses):
        raise ProbeFailure(_("every item of train's list should be one batch's loss (a number)"))
    return np.array([float(item.reshape(())) for item in losses], dtype=np.float64)


def train_recorded(sub, x_train, y_train, batch_size, num_epochs, learning_rate, seed, hidden):
    """A short train() on the check's training examples, recording get_batch calls and the
    first update."""
    model = grader_mlp(seed, hidden)
    loader = GraderLoader(x_train, y_train, seed, model=model)
    out, __ = _run("train", lambda: sub.train(model, loader, int(num_epochs), int(batch_size), float(learning_rate)))
    first = loader.first_index if loader.first_index is not None else np.zeros(0, np.int64)
    return {"losses": _losses(out), "sizes": np.array(loader.sizes, np.int64),
            "X1": loader.train_data[first], "y1": loader.train_label[first],
            "weights_at": loader.weights_at, "final": _weights(model)}


def train_accuracy(sub, x_train, y_train, seed, num_epochs, batch_size, learning_rate, hidden=100):
    """train() on the training split; returns the trained grader MLP's weights, from which
    the check computes the held-out predictions on its side."""
    model = grader_mlp(seed, hidden)
    loader = GraderLoader(x_train, y_train, seed)
    out, __ = _run("train", lambda: sub.train(model, loader, int(num_epochs), int(batch_size), float(learning_rate)))
    return {"weights": _weights(model), "losses": _losses(out), "batches": len(loader.sizes)}
