"""Probes for e03_models (run in the worker).

The models for `count_params` are built here from plain specifications that the checks
send (`build_model`); the checks compute the expected counts from the same
specifications on their own side.
"""
import numpy as np
import tensorflow as tf

from autograder.i18n import _
from autograder.probes.kit import ProbeFailure, as_array, type_name

STATE_IN_CALL = "add new elements of state"  # Keras's own text, matched in its error


def _call(model, x, name: str):
    """model(x); a Keras complaint about state made in call() becomes a targeted failure."""
    try:
        return model(tf.constant(x, dtype=tf.float32))
    except ValueError as error:
        if STATE_IN_CALL in str(error):
            raise ProbeFailure(
                _("{name} makes its weights or layers inside call(); Keras 3 refuses new state once a layer is "
                  "built. Make weights in build(input_shape) with self.add_weight, and layers in __init__",
                  name=name)) from None
        raise


def _sublayers(model) -> list:
    """Every layer inside `model`, however deeply nested."""
    try:
        return list(model._flatten_layers(include_self=False, recursive=True))
    except Exception:
        return list(getattr(model, "layers", []))


def _shapes(variables) -> list:
    return [[int(d) for d in variable.shape] for variable in variables]


def _contains(variables, variable) -> bool:
    return any(item is variable for item in variables)


def _attributes_holding(layer, variable) -> list[str]:
    """The names of `layer`'s attributes that hold `variable` (self.kernel, self.w, ...)."""
    return sorted(name for name, value in vars(layer).items() if value is variable)


def _untracked_variables(layer) -> list[str]:
    """Attributes holding a tf.Variable that Keras does not track (made without add_weight)."""
    return sorted(name for name, value in vars(layer).items()
                  if isinstance(value, tf.Variable) and not _contains(layer.weights, value))


def _by_shape(variables, shape):
    found = [variable for variable in variables if [int(d) for d in variable.shape] == list(shape)]
    return found[0] if len(found) == 1 else None


# ---------------------------------------------------------------- Linear

def _first_call(layer, x, units: int):
    """layer(x) on a fresh Linear; a failure after weights were made in __init__ is named."""
    made_early = _shapes(layer.weights)
    try:
        return _call(layer, x, "Linear")
    except ProbeFailure:
        raise
    except Exception as error:
        if not made_early:
            raise
        raise ProbeFailure(
            _("Linear({units}) made weights of shapes {made_early} in __init__, before its first call, and then "
              "failed on inputs of size {shape} ({error_type}): make them in "
              "build(input_shape), where input_shape[-1] is the input size",
              units=units, made_early=made_early, shape=np.shape(x)[-1], error_type=type(error).__name__)) from None


def linear_layer(sub, units, x):
    """A fresh Linear(units) before and after its first call on x: its weights (found by
    shape, whatever their names), the attributes that hold them, and its output."""
    layer = sub.Linear(int(units))
    before = {"weights": len(layer.weights), "shapes": _shapes(layer.weights),
              "has_build": type(layer).build is not tf.keras.layers.Layer.build}
    output = as_array(_first_call(layer, x, int(units)), "Linear(x)")
    named = {name: getattr(layer, name, None) for name in ("kernel", "bias")}  # attributes or properties
    return {
        "before": before,
        "output": output,
        "untracked": _untracked_variables(layer),
        "weights": [{"shape": [int(d) for d in weight.shape], "value": as_array(weight, _("a weight")),
                     "trainable": bool(getattr(weight, "trainable", False))
                     and _contains(layer.trainable_weights, weight),
                     "attributes": _attributes_holding(layer, weight),
                     "named": [name for name, value in named.items() if value is weight]} for weight in layer.weights],
    }


def _assign(variable, value, what: str):
    value = np.asarray(value, dtype=np.float32)
    if tuple(int(d) for d in variable.shape) != value.shape:
        raise ProbeFailure(_("{what} has shape {value}, expected {shape}",
                             what=what, value=[int(d) for d in variable.shape], shape=list(value.shape)))
    variable.assign(value)


def _kernel_and_bias(layer, input_dim: int, units: int, name: str):
    """The trainable [input_dim, units] kernel and [units] bias of `layer`, found by shape."""
    weights = list(layer.trainable_weights)
    kernel, bias = _by_shape(weights, [input_dim, units]), _by_shape(weights, [units])
    if len(weights) != 2 or kernel is None or bias is None:
        raise ProbeFailure(_("after a call on inputs of size {input_dim}, {name}'s trainable weights have shapes "
                             "{shapes}; expected a kernel [{input_dim}, {units}] and a bias [{units}]",
                             input_dim=input_dim, name=name, shapes=_shapes(weights), units=units))
    return kernel, bias


def linear_outputs(sub, units, xs, kernel, bias):
    """Outputs of one Linear(units): on xs[0] with its own initial weights (read back),
    then on every x after the grader assigns `kernel` and `bias` to the weights of their
    shapes (whatever the layer calls them)."""
    layer = sub.Linear(int(units))
    first = as_array(_first_call(layer, xs[0], int(units)), "Linear(x)")
    own_kernel, own_bias = _kernel_and_bias(layer, int(np.shape(xs[0])[1]), int(units), "Linear")
    own = [as_array(own_kernel, "kernel"), as_array(own_bias, "bias")]
    _assign(own_kernel, kernel, _("the kernel"))
    _assign(own_bias, bias, _("the bias"))
    return {"first": first, "own_kernel": own[0], "own_bias": own[1],
            "outputs": [as_array(_call(layer, x, "Linear"), "Linear(x)") for x in xs]}


# ---------------------------------------------------------------- LinearModel

def _model_call(sub, model, x):
    """LinearModel()(x); a failure inside a Linear that made its weights in __init__ is named."""
    early = [layer for layer in _sublayers(model) if isinstance(layer, sub.Linear) and layer.weights
             and not model.built]
    try:
        return _call(model, x, "LinearModel")
    except ProbeFailure:
        raise
    except Exception as error:
        if not early:
            raise
        raise ProbeFailure(
            _("LinearModel failed ({error_type}) in its Linear layer, which made weights of shapes "
              "{shapes} in __init__: Linear must make them in build(input_shape)",
              error_type=type(error).__name__, shapes=_shapes(early[0].weights))) from None


def linear_model_outputs(sub, xs, kernel, bias):
    """LinearModel() on xs (all with the same number of features): the first output with
    its own weights read back, then outputs after the grader assigns kernel and bias."""
    model = sub.LinearModel()
    first = as_array(_model_call(sub, model, xs[0]), "LinearModel()(X)")
    features = int(np.shape(xs[0])[1])
    if first.ndim != 2 or first.shape[0] != len(xs[0]) or first.shape[1] != 1:
        return {"first": first, "own_kernel": None, "own_bias": None, "outputs": []}
    model_kernel, model_bias = _kernel_and_bias(model, features, 1, "LinearModel")
    own = [as_array(model_kernel, _("the kernel")), as_array(model_bias, _("the bias"))]
    _assign(model_kernel, kernel, _("the kernel"))
    _assign(model_bias, bias, _("the bias"))
    return {"first": first, "own_kernel": own[0], "own_bias": own[1],
            "outputs": [as_array(_call(model, x, "LinearModel"), "LinearModel()(X)") for x in xs]}


def _layer_summary(layers) -> list:
    return [{"class": type(layer).__name__, "module": type(layer).__module__,
             "units": int(layer.units) if isinstance(getattr(layer, "units", None), (int, np.integer)) else None}
            for layer in layers]


def _own_layers(model) -> list:
    """The layers that compute inside `model`: not the containers that hold them (a
    Sequential, a nested Model), nor the InputLayer a Sequential adds on its first call."""
    return [layer for layer in _sublayers(model)
            if not isinstance(layer, (tf.keras.Model, tf.keras.layers.InputLayer))]


def linear_model_structure(sub, x):
    model = sub.LinearModel()
    layers_before = _own_layers(model)
    output = as_array(_model_call(sub, model, x), "LinearModel()(X)")
    layers = _own_layers(model)
    return {
        "layers_before": _layer_summary(layers_before),
        "layers": _layer_summary(layers),
        "linear_layers": sum(isinstance(layer, sub.Linear) for layer in layers),
        "trainable_shapes": _shapes(model.trainable_weights),
        "output": output,
        "weights": [as_array(w, _("a weight")) for w in model.trainable_weights],
    }


# ---------------------------------------------------------------- MLP

def mlp_outputs(sub, xs):
    """One MLP() on several batches; its trainable weights after the first call."""
    model = sub.MLP()
    outputs = [as_array(_call(model, x, "MLP"), "MLP()(x)") for x in xs]
    return {"outputs": outputs, "weights": [as_array(w, _("a weight")) for w in model.trainable_weights]}


def _dense_summary(layers) -> list:
    summary = []
    for layer in layers:
        if isinstance(layer, tf.keras.layers.Dense):
            activation = getattr(layer, "activation", None)
            summary.append({"units": int(layer.units), "activation": getattr(activation, "__name__", str(activation))})
    return summary


def mlp_structure(sub, x):
    model = sub.MLP()
    dense_before = _dense_summary(_sublayers(model))
    first = as_array(_call(model, x, "MLP"), "MLP()(x)")
    second = as_array(_call(model, x, "MLP"), "MLP()(x)")
    return {
        "dense_before": dense_before,
        "dense_after": _dense_summary(_sublayers(model)),
        "trainable_shapes": _shapes(model.trainable_weights),
        "non_trainable_shapes": _shapes(model.non_trainable_weights),
        "same_output_twice": bool(first.shape == second.shape and np.array_equal(first, second)),
        "output": first,
        "weights": [as_array(w, _("a weight")) for w in model.trainable_weights],
    }


def _is_tf_function(method) -> bool:
    return isinstance(method, tf.types.experimental.GenericFunction)


def mlp_gradients(sub, x, labels):
    """Whether a fresh MLP trains: the gradient of the grader's cross-entropy of its output
    with respect to each trainable variable (None or not, finite or not)."""
    model = sub.MLP()
    with tf.GradientTape() as tape:
        output = _call(model, x, "MLP")
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
            tf.constant(labels, tf.int32), tf.cast(output, tf.float32)))
    variables = list(model.trainable_variables)
    grads = tape.gradient(loss, variables) if variables else []
    return {
        "output": as_array(output, "MLP()(x)"),
        "weights": [as_array(w, _("a weight")) for w in variables],
        "names": [str(getattr(v, "path", None) or getattr(v, "name", "?"))[:100] for v in variables],
        "none": [grad is None for grad in grads],
        "finite": [grad is not None and bool(np.all(np.isfinite(as_array(grad, _("a gradient"))))) for grad in grads],
        "call_is_tf_function": _is_tf_function(getattr(type(model), "call", None)),
    }


# ---------------------------------------------------------------- count_params

class _FrozenMiddle(tf.keras.Model):
    """A subclassed model with a frozen Dense layer and batch normalization."""

    def __init__(self, hidden, frozen, out):
        super().__init__()
        self.hidden = tf.keras.layers.Dense(hidden, activation="relu")
        self.frozen = tf.keras.layers.Dense(frozen, trainable=False)
        self.norm = tf.keras.layers.BatchNormalization()
        self.out = tf.keras.layers.Dense(out)

    def call(self, x):
        return self.out(self.norm(self.frozen(self.hidden(x))))


def _layer(spec):
    kind, *args = spec
    layers = tf.keras.layers
    if kind == "dense":
        units, trainable = args
        return layers.Dense(int(units), activation="relu", trainable=bool(trainable))
    if kind == "conv2d":
        filters, size = args
        return layers.Conv2D(int(filters), int(size), activation="relu")
    if kind == "embedding":
        vocab, dim = args
        return layers.Embedding(int(vocab), int(dim))
    if kind == "batchnorm":
        return layers.BatchNormalization()
    if kind == "flatten":
        return layers.Flatten()
    if kind == "pool1d":
        return layers.GlobalAveragePooling1D()
    raise ValueError(f"unknown layer spec {spec!r}")


def build_model(spec):
    """{"kind": "sequential", "input": [...], "layers": [...]} or
    {"kind": "frozen_middle", "input": [d], "sizes": [hidden, frozen, out]}; built."""
    if spec["kind"] == "sequential":
        return tf.keras.Sequential([tf.keras.Input(tuple(int(d) for d in spec["input"]))]
                                   + [_layer(layer) for layer in spec["layers"]])
    if spec["kind"] == "frozen_middle":
        model = _FrozenMiddle(*(int(size) for size in spec["sizes"]))
        model(tf.zeros([2, *(int(d) for d in spec["input"])]))
        return model
    raise ValueError(f"unknown model spec {spec!r}")


def count_params(sub, specs):
    results = []
    for spec in specs:
        model = build_model(spec)
        count = sub.count_params(model)
        if count is None:
            raise ProbeFailure(_("count_params returned None: did you forget a `return` statement?"))
        results.append(as_array(count, "count_params"))
    return results
