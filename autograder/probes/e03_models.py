"""Probes for e03_models (run in the worker).

The models for `count_params` are built here from plain specifications that the checks
send (`build_model`); the checks compute the expected counts from the same
specifications on their own side.
"""
import numpy as np
import tensorflow as tf

from autograder.engine.probing import ProbeFailure, as_array, type_name

STATE_IN_CALL = "add new elements of state"


def _call(model, x, name: str):
    """model(x); a Keras complaint about state made in call() becomes a targeted failure."""
    try:
        return model(tf.constant(x, dtype=tf.float32))
    except ValueError as error:
        if STATE_IN_CALL in str(error):
            raise ProbeFailure(
                f"{name} makes its weights or layers inside call(); Keras 3 refuses new state once a layer is "
                "built. Make weights in build(input_shape) with self.add_weight, and layers in __init__") from None
        raise


def _sublayers(model) -> list:
    """Every layer inside `model`, however deeply nested."""
    try:
        return list(model._flatten_layers(include_self=False, recursive=True))
    except Exception:
        return list(getattr(model, "layers", []))


def _shapes(variables) -> list:
    return [[int(d) for d in variable.shape] for variable in variables]


def _weight(layer, attribute: str):
    if not hasattr(layer, attribute):
        raise ProbeFailure(f"the Linear layer has no attribute `{attribute}`: keep its weights in self.kernel "
                           "and self.bias (the syllabus' names)")
    return getattr(layer, attribute)


def _contains(variables, variable) -> bool:
    return any(item is variable for item in variables)


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
            f"Linear({units}) made weights of shapes {made_early} in __init__, before its first call, and then "
            f"failed on inputs of size {np.shape(x)[-1]} ({type(error).__name__}): make them in "
            "build(input_shape), where input_shape[-1] is the input size") from None


def linear_lifecycle(sub, units, x):
    """What a fresh Linear(units) holds before and after its first call on x."""
    layer = sub.Linear(int(units))
    before = {"weights": len(layer.weights), "shapes": _shapes(layer.weights), "built": bool(layer.built),
              "has_build": type(layer).build is not tf.keras.layers.Layer.build}
    _first_call(layer, x, int(units))
    kernel, bias = _weight(layer, "kernel"), _weight(layer, "bias")
    return {
        "before": before,
        "weights_after": len(layer.weights),
        "trainable_after": len(layer.trainable_weights),
        "kernel_type": type_name(kernel),
        "bias_type": type_name(bias),
        "kernel_tracked": _contains(layer.weights, kernel),
        "bias_tracked": _contains(layer.weights, bias),
        "kernel_shape": [int(d) for d in kernel.shape],
        "bias_shape": [int(d) for d in bias.shape],
        "kernel_trainable": bool(getattr(kernel, "trainable", False)) and _contains(layer.trainable_weights, kernel),
        "bias_trainable": bool(getattr(bias, "trainable", False)) and _contains(layer.trainable_weights, bias),
    }


def _assign(variable, value, what: str):
    value = np.asarray(value, dtype=np.float32)
    if tuple(int(d) for d in variable.shape) != value.shape:
        raise ProbeFailure(f"{what} has shape {[int(d) for d in variable.shape]}, expected {list(value.shape)}")
    variable.assign(value)


def linear_outputs(sub, units, xs, kernel, bias):
    """Outputs of one Linear(units): on xs[0] with its own initial weights (read back),
    then on every x after the grader assigns `kernel` and `bias`."""
    layer = sub.Linear(int(units))
    first = as_array(_first_call(layer, xs[0], int(units)), "Linear(x)")
    own = [as_array(_weight(layer, "kernel"), "kernel"), as_array(_weight(layer, "bias"), "bias")]
    _assign(layer.kernel, kernel, "the kernel")
    _assign(layer.bias, bias, "the bias")
    return {"first": first, "own_kernel": own[0], "own_bias": own[1],
            "outputs": [as_array(_call(layer, x, "Linear"), "Linear(x)") for x in xs]}


# ---------------------------------------------------------------- LinearModel

def _kernel_and_bias(model, features: int):
    weights = list(model.trainable_weights)
    shapes = _shapes(weights)
    kernels = [w for w, shape in zip(weights, shapes) if shape == [features, 1]]
    biases = [w for w, shape in zip(weights, shapes) if shape == [1]]
    if len(weights) != 2 or len(kernels) != 1 or len(biases) != 1:
        raise ProbeFailure(f"after a call on {features} features, LinearModel's trainable weights have shapes "
                           f"{shapes}; one Linear(1) layer has a kernel [{features}, 1] and a bias [1]")
    return kernels[0], biases[0]


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
            f"LinearModel failed ({type(error).__name__}) in its Linear layer, which made weights of shapes "
            f"{_shapes(early[0].weights)} in __init__: Linear must make them in build(input_shape)") from None


def linear_model_outputs(sub, xs, kernel, bias):
    """LinearModel() on xs (all with the same number of features): the first output with
    its own weights read back, then outputs after the grader assigns kernel and bias."""
    model = sub.LinearModel()
    first = as_array(_model_call(sub, model, xs[0]), "LinearModel()(X)")
    features = int(np.shape(xs[0])[1])
    if first.ndim != 2 or first.shape[0] != len(xs[0]) or first.shape[1] != 1:
        return {"first": first, "own_kernel": None, "own_bias": None, "outputs": []}
    model_kernel, model_bias = _kernel_and_bias(model, features)
    own = [as_array(model_kernel, "the kernel"), as_array(model_bias, "the bias")]
    _assign(model_kernel, kernel, "the kernel")
    _assign(model_bias, bias, "the bias")
    return {"first": first, "own_kernel": own[0], "own_bias": own[1],
            "outputs": [as_array(_call(model, x, "LinearModel"), "LinearModel()(X)") for x in xs]}


def _layer_summary(layers) -> list:
    return [{"class": type(layer).__name__, "module": type(layer).__module__,
             "units": int(layer.units) if isinstance(getattr(layer, "units", None), (int, np.integer)) else None}
            for layer in layers]


def linear_model_structure(sub, x):
    model = sub.LinearModel()
    layers_before = _sublayers(model)
    _model_call(sub, model, x)
    layers = [layer for layer in _sublayers(model) if not isinstance(layer, tf.keras.Model)]  # not containers
    return {
        "layers_before": _layer_summary(layers_before),
        "layers": _layer_summary(layers),
        "linear_layers": sum(isinstance(layer, sub.Linear) for layer in layers),
        "trainable_shapes": _shapes(model.trainable_weights),
    }


# ---------------------------------------------------------------- MLP

def mlp_outputs(sub, xs):
    """One MLP() on several batches; its trainable weights after the first call."""
    model = sub.MLP()
    outputs = [as_array(_call(model, x, "MLP"), "MLP()(x)") for x in xs]
    return {"outputs": outputs, "weights": [as_array(w, "a weight") for w in model.trainable_weights]}


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
            raise ProbeFailure("count_params returned None: did you forget a `return` statement?")
        results.append(as_array(count, "count_params"))
    return results
