"""Probes for e02_autodiff (run in the worker).

The grader's functions for `derivative` and `second_derivative` live here, written with
float32 TensorFlow ops; a check names one (`FUNCTIONS`) with its coefficients, and
computes the analytic derivatives in float64 NumPy on its own side. Each function records
what it was called with, so a check can tell a watched float32 constant from a Variable.
"""
import contextlib

import numpy as np
import tensorflow as tf

from autograder.i18n import N_, _
from autograder.probes.kit import ProbeFailure, as_array, type_name

# f(x) for coefficients c (float32 constants). The checks hold the matching derivatives.
FUNCTIONS = {
    "linear": lambda c, x: c[0] + c[1] * x,
    "cubic": lambda c, x: c[0] + c[1] * x + c[2] * tf.square(x) + c[3] * x * tf.square(x),
    "sin_exp": lambda c, x: tf.sin(c[0] * x) * tf.exp(c[1] * x),
    "tanh": lambda c, x: c[0] * tf.tanh(c[1] * x + c[2]),
    "rational": lambda c, x: c[0] / (1.0 + c[1] * tf.square(x)),
}


def _kind(x) -> str:
    if hasattr(x, "assign"):
        return "variable"
    if tf.is_tensor(x):
        return "tensor"
    return type_name(x)


def _grader_function(name: str, coefficients, seen: list):
    body = FUNCTIONS[name]
    constants = [tf.constant(value, dtype=tf.float32) for value in coefficients]

    def f(x):
        kind = _kind(x)
        dtype = getattr(getattr(x, "dtype", None), "name", None)
        seen.append({"kind": kind, "dtype": dtype})
        if kind not in ("variable", "tensor"):
            raise ProbeFailure(
                _("f was called with a {kind}, not a tensor: make x a float32 tensor first, "
                  "x = tf.constant(x, dtype=tf.float32), and watch it with tape.watch(x)", kind=kind))
        if dtype != "float32":
            raise ProbeFailure(
                _("f was called with a {dtype} tensor; the grader's f is written with float32 ops: "
                  "use x = tf.constant(x, dtype=tf.float32)", dtype=dtype))
        return body(constants, x)

    return f


def _scalar(value, what: str, none_message: str) -> np.ndarray:
    if value is None:
        raise ProbeFailure(none_message)
    return as_array(value, what)


DERIVATIVE_IS_NONE = (
    N_("derivative returned None. tape.gradient gives None when the tape never watched x: a tape watches "
      "tf.Variables by itself, but a tf.constant only after tape.watch(x) inside the `with` block. "
      "(Or is a `return` missing?)"))


GRADIENT_WAS_NONE = N_(
    "derivative raised {error} after calling f on a plain tensor: tape.gradient gave None, which it does when "
    "the tape never watched x, and None went on into float() or .numpy(). A tape watches tf.Variables by "
    "itself, but a tf.constant only after tape.watch(x) inside the `with` block, before f(x)")


def _unwatched(error: BaseException, seen: list) -> bool:
    """Whether `error` is a None gradient taken further: f got a plain (unwatched) tensor,
    and the student's code then failed on a None (float(None), None.numpy())."""
    return (isinstance(error, (TypeError, AttributeError)) and "NoneType" in str(error)
            and bool(seen) and seen[-1]["kind"] == "tensor")


def derivative(sub, cases):
    """`cases`: [name, coefficients, x] triples; returns each value and what f received."""
    results = []
    for name, coefficients, x in cases:
        seen = []
        try:
            value = sub.derivative(_grader_function(name, coefficients, seen), float(x))
        except (TypeError, AttributeError) as error:
            if not _unwatched(error, seen):
                raise
            raise ProbeFailure(_(GRADIENT_WAS_NONE, error=type(error).__name__)) from None
        results.append({"value": _scalar(value, "derivative", _(DERIVATIVE_IS_NONE)), "calls": seen})
    return results


def second_derivative(sub, cases):
    results = []
    for name, coefficients, x in cases:
        seen = []
        value = sub.second_derivative(_grader_function(name, coefficients, seen), float(x))
        if name == "linear":
            none_message = (
                _("second_derivative returned None for a linear f. Its first derivative does not depend on x, "
                  "so the outer tape gives None: return 0.0 in that case (`0.0 if d2 is None else d2`)"))
        else:
            none_message = (
                _("second_derivative returned None for an f whose second derivative exists. Was the inner "
                  "tape.gradient(...) called inside the outer tape's `with` block, and did the outer tape "
                  "watch x too? The outer tape can only differentiate what it recorded."))
        results.append({"value": _scalar(value, "second_derivative", none_message), "calls": seen})
    return results


def _data(X, y):
    return tf.constant(X, dtype=tf.float32), tf.constant(y, dtype=tf.float32)


def linreg_loss(sub, a, b, X, y):
    """The loss with a, b as float32 Variables and as float32 constants."""
    X, y = _data(X, y)
    values = []
    for make in (tf.Variable, tf.constant):
        out = sub.linreg_loss(make(a, dtype=tf.float32), make(b, dtype=tf.float32), X, y)
        values.append(as_array(out, "linreg_loss"))
    return values


def linreg_loss_gradients(sub, a, b, X, y):
    """Differentiates the submission's own linreg_loss with respect to Variables a and b."""
    X, y = _data(X, y)
    va, vb = tf.Variable(a, dtype=tf.float32), tf.Variable(b, dtype=tf.float32)
    with tf.GradientTape() as tape:
        loss = sub.linreg_loss(va, vb, X, y)
    if loss is None:
        raise ProbeFailure(_("linreg_loss returned None: did you forget a `return` statement?"))
    if not tf.is_tensor(loss):
        raise ProbeFailure(
            _("linreg_loss returned a {type_name}, not a tf.Tensor, so no tape can differentiate it: "
              "compute it with TensorFlow ops (tf.reduce_sum, tf.square), not NumPy", type_name=type_name(loss)))
    grads = tape.gradient(loss, [va, vb])
    if any(grad is None for grad in grads):
        raise ProbeFailure(
            _("a GradientTape cannot follow linreg_loss back to a and b (the gradient is None): use "
              "TensorFlow ops on a, b, X and y directly, with no .numpy() or NumPy functions in between"))
    return [as_array(grad, _("the gradient of linreg_loss")) for grad in grads]


def linreg_grads(sub, points, X, y):
    """`points`: [a, b] pairs; a and b reach the submission as scalar float32 Variables."""
    X, y = _data(X, y)
    results = []
    for a, b in points:
        va, vb = tf.Variable(a, dtype=tf.float32), tf.Variable(b, dtype=tf.float32)
        grads = sub.linreg_grads(va, vb, X, y)
        if grads is None:
            raise ProbeFailure(_("linreg_grads returned None: did you forget a `return` statement?"))
        if not isinstance(grads, (tuple, list)) or len(grads) != 2:
            raise ProbeFailure(_("linreg_grads should return a pair (d(loss)/da, d(loss)/db); it returned "
                                 "{type_name}", type_name=type_name(grads)) + (_(" of length {count}", count=len(grads)) if isinstance(grads, (tuple, list))
                                                        else ""))
        if any(grad is None for grad in grads):
            raise ProbeFailure(
                _("a gradient is None: was the loss computed inside the `with tf.GradientTape() as tape:` block? "
                  "The tape only records what runs inside it (and only reaches a and b through TensorFlow ops)."))
        results.append([as_array(grad, "linreg_grads") for grad in grads])
    return results


@contextlib.contextmanager
def _recording_optimizers():
    """Records every Keras optimizer whose apply_gradients runs (eagerly or while traced)
    and its step counter when first seen."""
    from keras.src.optimizers.base_optimizer import BaseOptimizer

    original = BaseOptimizer.apply_gradients
    record = {"calls": 0, "optimizers": {}}

    def apply_gradients(self, grads_and_vars, *args, **kwargs):
        record["calls"] += 1
        if id(self) not in record["optimizers"]:
            start = None
            try:
                with tf.init_scope():
                    start = int(self.iterations.numpy())
            except Exception:
                pass
            record["optimizers"][id(self)] = {"optimizer": self, "start": start}
        return original(self, grads_and_vars, *args, **kwargs)

    BaseOptimizer.apply_gradients = apply_gradients
    try:
        yield record
    finally:
        BaseOptimizer.apply_gradients = original


def _describe_optimizer(optimizer, start) -> dict:
    described = {"class": type(optimizer).__name__,
                 "is_sgd": isinstance(optimizer, tf.keras.optimizers.SGD), "steps": None,
                 "learning_rate": None, "momentum": float(getattr(optimizer, "momentum", 0.0) or 0.0)}
    try:
        described["steps"] = int(optimizer.iterations.numpy()) - (start or 0)
    except Exception:
        pass
    try:
        rate = optimizer.learning_rate
        described["learning_rate"] = float(rate.numpy() if hasattr(rate, "numpy") else rate)
    except Exception:
        pass
    return described


def fit_linear_regression(sub, X, y, learning_rate, num_epoch):
    """Runs the fit on float32 tensors; returns (a, b) and the optimizers that applied gradients."""
    X, y = _data(X, y)
    with _recording_optimizers() as record:
        result = sub.fit_linear_regression(X, y, float(learning_rate), int(num_epoch))
    if result is None:
        raise ProbeFailure(_("fit_linear_regression returned None: did you forget a `return` statement?"))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ProbeFailure(_("fit_linear_regression should return a pair (a, b); it returned {type_name}",
                             type_name=type_name(result))
                           + (_(" of length {count}", count=len(result)) if isinstance(result, (tuple, list)) else ""))
    a, b = (as_array(value, "fit_linear_regression") for value in result)
    return {"a": a, "b": b, "apply_gradients_calls": record["calls"],
            "optimizers": [_describe_optimizer(entry["optimizer"], entry["start"])
                           for entry in record["optimizers"].values()]}
