"""Checks for e03_models: Linear, LinearModel, MLP, count_params."""
import numpy as np

from autograder.expect import expect_close, expect_equal, numbers
from autograder.i18n import _
from autograder.mistakes import Mistake
from autograder.outcomes import Incorrect

MLP_PARAMS = 784 * 100 + 100 + 100 * 10 + 10  # 79,510


def _distinct_sizes(rng, low, high):
    """(input_dim, units), different, so a transposed kernel cannot pass for the right one."""
    input_dim, units = (int(v) for v in rng.choice(np.arange(low, high), size=2, replace=False))
    return input_dim, units


# ---------------------------------------------------------------- Linear
# The behaviour checks find the weights by shape, whatever the layer calls them; only
# test_linear_keeps_its_weights_as_kernel_and_bias asks for the syllabus' names.

def _linear_mistakes(x, k, b, expected):
    return {
        _("the bias is missing: return x @ kernel + bias"): x @ k,
        _("the bias is subtracted: return x @ kernel + bias"): x @ k - b,
        _("it applies relu; Linear has no activation"): np.maximum(expected, 0),
    }


def _kernel_and_bias(result, input_dim, units):
    """The [input_dim, units] and [units] weights of a `linear_layer` result, or None."""
    kernels = [w for w in result["weights"] if w["shape"] == [input_dim, units]]
    biases = [w for w in result["weights"] if w["shape"] == [units]]
    return (kernels[0], biases[0]) if len(kernels) == 1 and len(biases) == 1 else (None, None)


def _expect_own_output(result, x, units):
    """A Linear's first output is x @ kernel + bias with its own weights: a layer with the
    right weights earns nothing unless it also computes with them."""
    kernel, bias = _kernel_and_bias(result, x.shape[1], units)
    if kernel is None:
        raise Incorrect(_("for inputs of size {shape} and units={units}, Linear's weights have shapes "
                          "{value}; expected a kernel [{shape}, {units}] and "
                          "a bias [{units}]",
                          shape=x.shape[1], units=units, value=[w['shape'] for w in result['weights']]))
    k, b = numbers(kernel["value"], _("the kernel")), numbers(bias["value"], _("the bias"))
    expected = x @ k + b
    expect_close(result["output"], expected, _("Linear({units}) on a [{count}, {shape}] input with its own "
                   "weights", units=units, count=len(x), shape=x.shape[1]), mistakes=_linear_mistakes(x, k, b, expected))


def _linear_layer(probe, rng):
    input_dim, units = _distinct_sizes(rng, 2, 9)
    x = rng.normal(size=(int(rng.integers(2, 6)), input_dim))
    return x, units, probe.linear_layer(units=units, x=x)


def test_linear_creates_its_weights_in_build_on_the_first_call(probe, rng):
    x, units, result = _linear_layer(probe, rng)
    before = result["before"]
    if before["weights"]:
        raise Incorrect(
            _("Linear({units}) already holds {weights} weight(s) of shapes {shapes} before its "
              "first call: make them in build(input_shape), not in __init__ (only the first call tells the layer "
              "its input size)", units=units, weights=before['weights'], shapes=before['shapes']))
    if not before["has_build"]:
        raise Incorrect(_("Linear does not define build(self, input_shape): that is where it should make its weights"))
    if not result["weights"]:
        untracked = ", ".join(f"self.{name}" for name in result["untracked"]) or _("its weights")
        raise Incorrect(
            _("after its first call Linear holds no weights that Keras tracks ({untracked} made without add_weight): "
              "make them with self.add_weight(...); a plain tf.Variable on a Keras 3 layer is not tracked, so no "
              "optimizer would train it", untracked=untracked))
    if result["untracked"]:
        raise Incorrect(_("self.{untracked} is not among layer.weights: make each weight "
                          "with self.add_weight(...) and keep what it returns",
                          untracked=' and self.'.join(result['untracked'])))
    if len(result["weights"]) != 2:
        raise Incorrect(_("after its first call Linear holds {count} weights of shapes "
                          "{value}; it should hold two, a kernel and a bias",
                          count=len(result['weights']), value=[w['shape'] for w in result['weights']]))
    _expect_own_output(result, x, units)


def test_linear_kernel_and_bias_have_the_right_shapes_and_are_trainable(probe, rng):
    x, units, result = _linear_layer(probe, rng)
    input_dim = x.shape[1]
    shapes = [w["shape"] for w in result["weights"]]
    if [units, input_dim] in shapes and [input_dim, units] not in shapes:
        raise Incorrect(_("the kernel has shape [units, input_dim] = {value}; it should be "
                          "[input_dim, units] = {value2}, so that x @ kernel works without a transpose",
                          value=[units, input_dim], value2=[input_dim, units]))
    kernel, bias = _kernel_and_bias(result, input_dim, units)
    if kernel is None or len(shapes) != 2:
        raise Incorrect(_("for inputs of size {input_dim} and units={units}, Linear's weights have shapes {shapes}; "
                          "expected a kernel [input_dim, units] = {value} (input_dim is input_shape[-1] "
                          "in build) and a bias [units] = {value2}",
                          input_dim=input_dim, units=units, shapes=shapes, value=[input_dim, units], value2=[units]))
    for name, weight in (("kernel", kernel), ("bias", bias)):
        if not weight["trainable"]:
            raise Incorrect(_("the {name} is not trainable: make it with self.add_weight(..., trainable=True) "
                              "(the default)", name=name))
    _expect_own_output(result, x, units)


def test_linear_keeps_its_weights_as_kernel_and_bias(probe, rng):
    x, units, result = _linear_layer(probe, rng)
    kernel, bias = _kernel_and_bias(result, x.shape[1], units)
    if kernel is None:
        _expect_own_output(result, x, units)  # names the shapes
    for name, weight in (("kernel", kernel), ("bias", bias)):
        if name not in weight["named"]:
            held = ", ".join(f"self.{attribute}" for attribute in weight["attributes"]) or _("no attribute")
            raise Incorrect(_("the {name} of shape {shape} is held in {held}; the exercise names the "
                              "weights self.kernel and self.bias (as Keras's Dense does): keep it as self.{name}",
                              name=name, shape=weight['shape'], held=held))
    _expect_own_output(result, x, units)


def test_linear_call_is_x_times_kernel_plus_bias(probe, rng):
    input_dim, units = _distinct_sizes(rng, 2, 9)
    xs = [rng.normal(size=(int(batch), input_dim)) for batch in rng.choice(np.arange(1, 9), size=2, replace=False)]
    kernel = rng.normal(size=(input_dim, units)).astype(np.float32).astype(float)
    bias = rng.uniform(0.5, 2.0, size=units) * rng.choice([-1, 1], size=units)
    bias = bias.astype(np.float32).astype(float)
    result = probe.linear_outputs(units=units, xs=xs, kernel=kernel, bias=bias)
    own_kernel, own_bias = numbers(result["own_kernel"], _("the kernel")), numbers(result["own_bias"], _("the bias"))
    if own_kernel.shape != (input_dim, units) or own_bias.shape != (units,):
        raise Incorrect(_("the kernel and bias have shapes {shape} and {shape2}; expected "
                          "{value} and {value2}",
                          shape=own_kernel.shape, shape2=own_bias.shape, value=(input_dim, units), value2=(units,)))
    checks = [(xs[0], own_kernel, own_bias, result["first"], _("with its own weights"))]
    checks += [(x, kernel, bias, out, _("after setting kernel and bias")) for x, out in zip(xs, result["outputs"])]
    for x, k, b, out, when in checks:
        expected = x @ k + b
        expect_close(out, expected, _("Linear({units}) on a [{rows}, {input_dim}] input, {when}", units=units,
                                       rows=len(x), input_dim=input_dim, when=when),
                     mistakes=_linear_mistakes(x, k, b, expected))


# ---------------------------------------------------------------- LinearModel

def test_linear_model_maps_batch_features_to_batch_1(probe, rng):
    for features in rng.choice(np.arange(2, 9), size=2, replace=False):
        features = int(features)
        xs = [rng.normal(size=(int(batch), features)) for batch in rng.choice(np.arange(1, 9), size=2, replace=False)]
        kernel = rng.normal(size=(features, 1)).astype(np.float32).astype(float)
        bias = np.array([float(np.float32(rng.uniform(0.5, 2.0) * rng.choice([-1, 1])))])
        result = probe.linear_model_outputs(xs=xs, kernel=kernel, bias=bias)
        first = numbers(result["first"], "LinearModel()(X)")
        if first.shape != (len(xs[0]), 1):
            raise Incorrect(_("LinearModel()(X) maps [{count}, {features}] to {shape}; expected "
                              "[{count}, 1]: one Linear(1) layer",
                              count=len(xs[0]), features=features, shape=list(first.shape)))
        own = numbers(result["own_kernel"], _("the kernel")), numbers(result["own_bias"], _("the bias"))
        checks = [(xs[0], *own, first, _("with its own weights"))]
        checks += [(x, kernel, bias, out, _("after setting its weights")) for x, out in zip(xs, result["outputs"])]
        for x, k, b, out, when in checks:
            expected = x @ k + b
            expect_close(out, expected, f"LinearModel()(X) on [{len(x)}, {features}] {when}", mistakes={
                _("it applies an activation; the notes' model is linear"): np.maximum(expected, 0),
                _("the bias is missing"): x @ k,
            })


def test_linear_model_is_one_linear_layer(probe, rng):
    features = int(rng.integers(2, 9))
    x = rng.normal(size=(3, features))
    result = probe.linear_model_structure(x=x)
    layers = result["layers"]
    if result["linear_layers"] != 1:
        names = ", ".join(layer["class"] for layer in layers) or _("none")
        raise Incorrect(_("LinearModel should hold exactly one layer of your Linear class, Linear(1); its layers "
                          "are: {names}", names=names))
    if not result["layers_before"]:
        raise Incorrect(_("LinearModel has no layers before its first call: make Linear(1) in __init__, not in call"))
    if len(layers) != 1:
        raise Incorrect(_("LinearModel holds {count} layers ({value}); "
                          "the notes' model is one Linear(1) layer",
                          count=len(layers), value=', '.join((layer['class'] for layer in layers))))
    shapes = result["trainable_shapes"]
    if sorted(shapes, key=len, reverse=True) != [[features, 1], [1]]:
        raise Incorrect(_("on {features} features LinearModel's trainable weights have shapes {shapes}; Linear(1) "
                          "gives a kernel [{features}, 1] and a bias [1], {value} parameters",
                          features=features, shapes=shapes, value=features + 1))
    # The right structure earns nothing unless the model also computes with it.
    kernel, bias = sorted((numbers(w, _("a weight")) for w in result["weights"]), key=np.ndim, reverse=True)
    expect_close(result["output"], x @ kernel + bias, _("LinearModel()(X) on [{count}, {features}] with its own "
                   "weights", count=len(x), features=features), mistakes={_("the bias is missing"): x @ kernel})


# ---------------------------------------------------------------- MLP

def _images(rng, batch):
    return rng.uniform(0, 1, size=(batch, 28, 28, 1))


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _mlp_weights(weights):
    weights = [numbers(w, _("a weight")) for w in weights]
    shapes = [tuple(w.shape) for w in weights]
    by_shape = {}
    for weight in weights:
        by_shape.setdefault(tuple(weight.shape), []).append(weight)
    kernels1 = [s for s in shapes if len(s) == 2 and s[0] == 784]
    if len(weights) != 4 or len(kernels1) != 1:
        raise Incorrect(_("MLP's trainable weights have shapes {value}; Flatten, Dense(100) and "
                          "Dense(10) give [784, 100], [100], [100, 10], [10]", value=[list(s) for s in shapes]))
    hidden = kernels1[0][1]
    needed = [(784, hidden), (hidden,), (hidden, 10), (10,)]
    if any(len(by_shape.get(shape, [])) != 1 for shape in needed):
        raise Incorrect(_("MLP's trainable weights have shapes {value}; expected "
                          "{value2}", value=[list(s) for s in shapes], value2=[list(s) for s in needed]))
    return [by_shape[shape][0] for shape in needed]


def _expect_mlp_forward(x, output, weights, what=None):
    """The MLP's output is Flatten, Dense(relu), Dense, softmax computed with its own
    weights: every MLP check ends here, so a right shape or structure alone earns nothing."""
    what = what or _("MLP()(x) against NumPy with its own weights")
    w1, b1, w2, b2 = _mlp_weights(weights)
    pre = x.reshape(len(x), -1) @ w1 + b1
    logits = np.maximum(pre, 0) @ w2 + b2
    expect_close(output, _softmax(logits), what, mistakes={
        _("there is no relu after the first Dense: Dense(100, activation=tf.nn.relu)"): _softmax(pre @ w2 + b2),
        _("these are logits: end call() with tf.nn.softmax"): logits,
        _("softmax is applied twice (a softmax activation on the Dense(10) and tf.nn.softmax): keep one"):
            _softmax(_softmax(logits)),
        _("there is a relu after the last Dense: Dense(10) has no activation before the softmax"):
            _softmax(np.maximum(logits, 0)),
    })


def test_mlp_outputs_probabilities_of_shape_batch_10(probe, rng):
    batches = [1] + [int(b) for b in rng.choice(np.arange(2, 17), size=2, replace=False)]
    xs = [_images(rng, batch) for batch in batches]
    result = probe.mlp_outputs(xs=xs)
    for batch, out in zip(batches, result["outputs"]):
        out = numbers(out, "MLP()(x)")
        if out.shape != (batch, 10):
            raise Incorrect(_("MLP()(x) maps [{batch}, 28, 28, 1] to {shape}; expected [{batch}, 10]", batch=batch,
                              shape=list(out.shape)))
        if not np.all(np.isfinite(out)):
            raise Incorrect(_("MLP()(x) contains NaN or infinity"))
        sums = out.sum(axis=1)
        if out.min() < -1e-6 or np.max(np.abs(sums - 1)) > 1e-4:
            raise Incorrect(
                _("MLP()(x) rows are not probabilities (row sums from {min:.4g} to {max:.4g}, smallest "
                  "value {min2:.4g}): these look like logits; end call() with tf.nn.softmax",
                  min=sums.min(), max=sums.max(), min2=out.min()))
    for x, out in zip(xs, result["outputs"]):
        _expect_mlp_forward(x, out, result["weights"], _("MLP()(x) on [{count}, 28, 28, 1] with its own weights",
                                                         count=len(x)))


def test_mlp_is_flatten_dense_relu_dense_softmax(probe, rng):
    x = _images(rng, int(rng.integers(3, 9)))
    result = probe.mlp_outputs(xs=[x])
    _expect_mlp_forward(x, result["outputs"][0], result["weights"])


def test_mlp_has_79510_trainable_parameters(probe, rng):
    x = _images(rng, 2)
    result = probe.mlp_structure(x=x)
    shapes = result["trainable_shapes"]
    total = int(sum(np.prod(shape) for shape in shapes))
    hidden = [shape[1] for shape in shapes if len(shape) == 2 and shape[0] == 784]
    if total != MLP_PARAMS and hidden and hidden[0] != 100:
        raise Incorrect(_("the hidden layer has {hidden} units; the syllabus asks for Dense(100), which gives "
                          "{mlp_params:,} trainable parameters (MLP has {total:,})",
                          hidden=hidden[0], mlp_params=MLP_PARAMS, total=total))
    if total != MLP_PARAMS:
        raise Incorrect(_("MLP has {total:,} trainable parameters in weights of shapes {shapes}; Flatten, Dense(100) "
                          "and Dense(10) have 784·100 + 100 + 100·10 + 10 = {mlp_params:,}",
                          total=total, shapes=shapes, mlp_params=MLP_PARAMS))
    _expect_mlp_forward(x, result["output"], result["weights"])


def test_mlp_makes_its_layers_in_init(probe, rng):
    x = _images(rng, int(rng.integers(2, 6)))
    result = probe.mlp_structure(x=x)
    units_before = sorted(layer["units"] for layer in result["dense_before"])
    if not result["same_output_twice"]:
        raise Incorrect(_("two calls of the same MLP on the same input gave different outputs: are layers made "
                          "inside call()? Each call then makes new layers with new random weights. Make them in "
                          "__init__ and only use them in call"))
    if len(units_before) < 2:
        raise Incorrect(_("a new MLP holds {count} Dense layer(s) before its first call: make Flatten, "
                          "Dense(100, relu) and Dense(10) in __init__ (as self attributes) and use them in call",
                          count=len(units_before)))
    if units_before != [10, 100]:
        raise Incorrect(_("MLP's Dense layers have {units_before} units; expected Dense(100) and Dense(10)",
                          units_before=units_before))
    _expect_mlp_forward(x, result["output"], result["weights"])


def test_mlp_gives_every_trainable_variable_a_finite_gradient(probe, rng):
    x = _images(rng, int(rng.integers(4, 9)))
    result = probe.mlp_gradients(x=x, labels=rng.integers(0, 10, size=len(x)))
    names = result["names"]
    if not names:
        raise Incorrect(_("MLP() has no trainable variables after a call: make its layers in __init__ as attributes"))
    missing = [name for name, none in zip(names, result["none"]) if none]
    if missing and result["call_is_tf_function"]:
        raise Incorrect(
            _("the gradient of a loss of MLP's output is None for {count} of its {count2} trainable "
              "variables: call() is decorated with @tf.function, and on Keras 3 a model whose call is a tf.function "
              "gives no gradients, so it cannot train. Remove the decorator; put tf.function on the training step "
              "(or on a separate serving function) instead", count=len(missing), count2=len(names)))
    if missing:
        raise Incorrect(_("the gradient of a loss of MLP's output is None for {missing}: the output does "
                          "not depend on them through TensorFlow ops (a .numpy() or NumPy step inside call, or a layer "
                          "that is made but never used?)", missing=', '.join(missing)))
    infinite = [name for name, finite in zip(names, result["finite"]) if not finite]
    if infinite:
        raise Incorrect(_("the gradient of a loss of MLP's output is NaN or infinite for {infinite}",
                          infinite=', '.join(infinite)))
    _expect_mlp_forward(x, result["output"], result["weights"])


# ---------------------------------------------------------------- count_params

def _dense(rng, low=2, high=40):
    return int(rng.integers(low, high))


def _count(spec):
    """(trainable scalars, all scalars, trainable weight tensors, layers) of a model spec."""
    if spec["kind"] == "frozen_middle":
        (d,), (hidden, frozen, out) = spec["input"], spec["sizes"]
        trainable = d * hidden + hidden + 2 * frozen + frozen * out + out
        return trainable, trainable + hidden * frozen + frozen + 2 * frozen, 6, 4
    shape = list(spec["input"])
    trainable = total = tensors = 0
    for kind, *args in spec["layers"]:
        if kind == "dense":
            units, is_trainable = args
            size = shape[-1] * units + units
            total += size
            trainable += size if is_trainable else 0
            tensors += 2 if is_trainable else 0
            shape = shape[:-1] + [units]
        elif kind == "conv2d":
            filters, kernel = args
            size = kernel * kernel * shape[-1] * filters + filters
            total, trainable, tensors = total + size, trainable + size, tensors + 2
            shape = [shape[0] - kernel + 1, shape[1] - kernel + 1, filters]
        elif kind == "embedding":
            vocab, dim = args
            total, trainable, tensors = total + vocab * dim, trainable + vocab * dim, tensors + 1
            shape = shape + [dim]
        elif kind == "batchnorm":
            total, trainable, tensors = total + 4 * shape[-1], trainable + 2 * shape[-1], tensors + 2
        elif kind == "flatten":
            shape = [int(np.prod(shape))]
        elif kind == "pool1d":
            shape = shape[-1:]
    return trainable, total, tensors, len(spec["layers"])


def _expect_counts(probe, specs, mistakes_of):
    for spec, out in zip(specs, probe.count_params(specs=specs)):
        trainable, total, tensors, layers = _count(spec)
        value = numbers(out, "count_params")
        if value.shape != ():
            raise Incorrect(_("count_params should return one number, got an array of shape {shape}",
                              shape=value.shape))
        if value == trainable:
            continue
        for message, predicted in mistakes_of(trainable, total, tensors, layers).items():
            if value == predicted:
                raise Incorrect(_("count_params gave {value:g} for a model with {trainable:,} trainable scalars: "
                                  "{message}", value=value, trainable=trainable, message=message),
                                mistake=Mistake.of(message))
        expect_equal(value, trainable, _("count_params of a model with {trainable:,} trainable scalars "
                                         "({total:,} scalars in all)", trainable=trainable, total=total))


def _common_mistakes(trainable, total, tensors, layers):
    return {
        _("that is the number of weight tensors; add up their sizes (np.prod(v.shape) for each)"): tensors,
        _("that is the number of layers; count the scalars in model.trainable_variables"): layers,
        _("it counts the non-trainable weights too (as model.count_params() and model.variables do): count "
          "model.trainable_variables only"): total,
    }


def test_count_params_counts_trainable_scalars(probe, rng):
    specs = [
        {"kind": "sequential", "input": [_dense(rng)],
         "layers": [["dense", _dense(rng), True], ["dense", _dense(rng), True], ["dense", _dense(rng, 2, 11), True]]},
        {"kind": "sequential", "input": [int(rng.integers(6, 12)), int(rng.integers(6, 12)), int(rng.integers(1, 4))],
         "layers": [["conv2d", int(rng.integers(2, 9)), 3], ["flatten"], ["dense", _dense(rng, 2, 11), True]]},
        {"kind": "sequential", "input": [int(rng.integers(5, 20))],
         "layers": [["embedding", int(rng.integers(20, 200)), int(rng.integers(2, 17))], ["pool1d"],
                    ["dense", _dense(rng, 2, 6), True]]},
    ]
    _expect_counts(probe, specs, _common_mistakes)


def test_count_params_leaves_out_non_trainable_weights(probe, rng):
    specs = [
        {"kind": "sequential", "input": [_dense(rng)],
         "layers": [["dense", _dense(rng), True], ["batchnorm"], ["dense", _dense(rng), False],
                    ["dense", _dense(rng, 2, 11), True]]},
        {"kind": "frozen_middle", "input": [_dense(rng)], "sizes": [_dense(rng), _dense(rng), _dense(rng, 2, 11)]},
    ]
    _expect_counts(probe, specs, _common_mistakes)
