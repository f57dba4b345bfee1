"""Probes for e06_savedmodel (run in the worker).

The grader's model is `_GraderModel`, a small subclassed Keras model whose layers make
their weights on the first call (as most hand-written models do). Its weights come from
the check ([W1, b1, W2, b2], computed again with NumPy in the trusted process): assigned
after a first call, or, for a model never called, given as the layers' initializers, so
that the weights `export_model` makes by building it are the check's.
Folders come from the check (temporary ones); nothing is written anywhere else.

What an export serves and what training reached are read back by a clean worker
(`serve`, `trained_weights`), never reported by these probes; the plain values of
`load_and_predict` and `fine_tune_loaded` can only come from the submission's process.
"""
import contextlib
import os

import numpy as np
import tensorflow as tf

from autograder.engine.errortext import cause
from autograder.i18n import _
from autograder.probes.kit import ProbeFailure, as_array, type_name


class _GraderModel(tf.keras.Model):
    """Flatten -> Dense(hidden, tanh) -> Dense(outputs)."""

    def __init__(self, hidden, outputs, weights=None):
        super().__init__(name="grader_model")  # a leading "_" is not a valid scope name
        given = ({} if weights is None else
                 {name: tf.constant_initializer(np.asarray(value, np.float32)) for name, value in
                  zip(("hidden_kernel", "hidden_bias", "out_kernel", "out_bias"), weights)})
        self.flatten = tf.keras.layers.Flatten()
        self.hidden = tf.keras.layers.Dense(hidden, activation="tanh",
                                            kernel_initializer=given.get("hidden_kernel", "glorot_uniform"),
                                            bias_initializer=given.get("hidden_bias", "zeros"))
        self.out = tf.keras.layers.Dense(outputs, kernel_initializer=given.get("out_kernel", "glorot_uniform"),
                                         bias_initializer=given.get("out_bias", "zeros"))

    @classmethod
    def never_called(cls, weights):
        """A model with no weights yet; building it (by calling it) makes `weights`."""
        return cls(hidden=np.shape(weights[0])[1], outputs=np.shape(weights[2])[1], weights=weights)

    def weights_in_order(self):
        """[W1, b1, W2, b2] as variables, in the check's order."""
        return [self.hidden.kernel, self.hidden.bias, self.out.kernel, self.out.bias]

    def call(self, x):
        return self.out(self.hidden(self.flatten(x)))


def _built_model(weights, input_shape, batch=1):
    """A model called once on a batch of `batch` zeros, holding the check's weights."""
    w1, b1, w2, b2 = weights
    model = _GraderModel(hidden=w1.shape[1], outputs=w2.shape[1])
    model(tf.zeros([batch, *input_shape]))
    for variable, value in zip(model.weights_in_order(), weights):
        variable.assign(np.asarray(value, np.float32))
    return model


def _first_line(error):
    return cause(error)


def _export(sub, model, export_dir, input_shape, never_called=False):
    try:
        sub.export_model(model, export_dir, tuple(int(n) for n in input_shape))
    except NotImplementedError:
        raise
    except Exception as error:
        if never_called and "built" in str(error):
            raise ProbeFailure(
                _("export_model fails for a model that was never called ({first_line}). The notes' "
                  "section 7: a Keras model has no weights before its first call; call it once, e.g. "
                  "model(tf.zeros([1, *input_shape])), before saving it.", first_line=_first_line(error))) from None
        raise
    if not os.path.isfile(os.path.join(export_dir, "saved_model.pb")):
        raise ProbeFailure(_("export_model wrote no SavedModel into export_dir (there is no saved_model.pb in it)"))


def _serving(export_dir):
    loaded = tf.saved_model.load(export_dir)
    if "serving_default" not in loaded.signatures:
        raise ProbeFailure(
            _("the SavedModel has no serving_default signature (its signatures: {value}): "
              "pass signatures={{'serving_default': ...}} to tf.saved_model.save, or use model.export",
              value=sorted(loaded.signatures) or _('none')))
    return loaded.signatures["serving_default"]


def _serve_each(function, xs):
    """serving_default's input spec and its output for each x (or the error it raised)."""
    args, kwargs = function.structured_input_signature
    specs = list(args) + list(kwargs.values())
    if len(specs) != 1:
        raise ProbeFailure(_("serving_default should take one input, it takes {count}", count=len(specs)))
    spec = specs[0]
    outputs, errors = [], []
    for x in xs:
        try:
            result = function(**{next(iter(kwargs)): tf.constant(x, tf.float32)}) if kwargs \
                else function(tf.constant(x, tf.float32))
            values = list(result.values()) if isinstance(result, dict) else [result]
            if len(values) != 1:
                raise ProbeFailure(_("serving_default should return one output, it returns {count}",
                                     count=len(values)))
            outputs.append(np.asarray(values[0].numpy(), dtype=np.float64))
            errors.append(None)
        except ProbeFailure:
            raise
        except Exception as error:
            outputs.append(None)
            errors.append(_first_line(error))
    return {"input_shape": [None if n is None else int(n) for n in spec.shape.as_list()],
            "input_dtype": spec.dtype.name, "outputs": outputs, "errors": errors}


def export_used_model(sub, export_dir, weights, input_shape, first_batch):
    """export_model of a model already called once (on a batch of `first_batch`)."""
    _export(sub, _built_model(weights, input_shape, first_batch), export_dir, input_shape)
    return True


def serve(sub, export_dir, xs, missing_ok=False):
    """Run in a clean worker (sub is None): load the folder and run serving_default on
    each of `xs`. With `missing_ok`, a folder that serves nothing gives None."""
    try:
        return _serve_each(_serving(export_dir), xs)
    except Exception:
        if missing_ok:
            return None
        raise


def export_never_called(sub, export_dir, weights, input_shape):
    """export_model of a model never called, whose first call makes the check's weights."""
    _export(sub, _GraderModel.never_called(weights), export_dir, input_shape, never_called=True)
    return True


CHECKPOINT_NAMES = ("w1", "b1", "w2", "b2")


def export_then_train(sub, export_dir, weights, input_shape, X, y, steps, learning_rate, trained):
    """export_model of a never-called model, then `steps` steps of SGD on the mean squared
    error, on the model itself; its weights then go into the checkpoint `trained`, written
    by the grader's own tf.train.Checkpoint, for a clean worker to read. What it returns
    only explains a failure: how many gradients were None, whether call became a
    tf.function."""
    model = _GraderModel.never_called(weights)
    _export(sub, model, export_dir, input_shape, never_called=True)
    X, y = tf.constant(X, tf.float32), tf.constant(y, tf.float32)
    variables = model.trainable_variables
    missing = 0
    for __ in range(int(steps)):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(X) - y))
        grads = tape.gradient(loss, variables)
        missing = sum(grad is None for grad in grads)
        if missing or not variables:
            break
        for variable, grad in zip(variables, grads):
            variable.assign_sub(float(learning_rate) * grad)
    else:
        tf.train.Checkpoint(**dict(zip(CHECKPOINT_NAMES, model.weights_in_order()))).write(trained)
    return {"variables": len(variables), "weights": len(model.weights), "none_gradients": missing,
            "call_is_tf_function": isinstance(model.call, tf.types.experimental.GenericFunction)}


def trained_weights(sub, path):
    """Run in a clean worker (sub is None): the weights in the checkpoint `path`, in the
    check's order, or None when there is none."""
    try:
        reader = tf.train.load_checkpoint(path)
        return [np.asarray(reader.get_tensor(f"{name}/.ATTRIBUTES/VARIABLE_VALUE"), np.float64)
                for name in CHECKPOINT_NAMES]
    except (tf.errors.OpError, ValueError):
        return None


class _Features(tf.Module):
    """A SavedModel as `tf.saved_model.save` writes one: named input and output, no `serve`."""

    def __init__(self, model, input_shape):
        super().__init__(name="features")
        self.model = model
        self.predict = tf.function(lambda features: {"scores": self.model(features)},
                                   input_signature=[tf.TensorSpec([None, *input_shape], tf.float32, name="features")])


def load_and_predict_folders(sub, folder, weights, input_shape, x):
    """load_and_predict on folders written by Keras's model.export, by tf.saved_model.save
    (other input/output names) and, when it writes one, by the submission's export_model
    (what that folder serves is read by a clean worker: `own_folder` in the answer)."""
    input_shape = tuple(int(n) for n in input_shape)
    model = _built_model(weights, input_shape)
    keras, yours = _("Keras's model.export"), _("your export_model")  # the writers, as students read them
    folders = {keras: os.path.join(folder, "keras_export")}
    model.export(folders[keras], verbose=False)
    folders["tf.saved_model.save"] = os.path.join(folder, "saved_model_save")
    module = _Features(model, input_shape)
    tf.saved_model.save(module, folders["tf.saved_model.save"], signatures={"serving_default": module.predict})
    own = os.path.join(folder, "export_model")
    with contextlib.suppress(Exception):  # a missing or broken export_model is another check's business
        sub.export_model(_built_model(weights, input_shape), own, input_shape)
        if os.path.isfile(os.path.join(own, "saved_model.pb")):
            folders[yours] = own
    results = {}
    for writer, path in folders.items():
        try:
            value = sub.load_and_predict(path, np.asarray(x, np.float32))
        except NotImplementedError:
            raise
        except Exception as error:
            results[writer] = {"error": _first_line(error), "error_type": type(error).__name__}
            continue
        if isinstance(value, dict):
            raise ProbeFailure(_("load_and_predict returned the signature's dict of outputs; return the one "
                                 "array inside it (e.g. next(iter(outputs.values())).numpy())"))
        results[writer] = {"value": as_array(value, "load_and_predict"), "type": type_name(value)}
        if writer == yours:
            results[writer]["own_folder"] = own
    return results


@contextlib.contextmanager
def _capturing_loads():
    """Records the root object of every SavedModel loaded meanwhile (tf.saved_model.load,
    Keras's TFSMLayer and the compat aliases all go through `load_partial`)."""
    from tensorflow.python.saved_model import load as load_module
    original, roots = load_module.load_partial, []

    def load_partial(*args, **kwargs):
        result = original(*args, **kwargs)
        if isinstance(result, dict) and "root" in result:
            roots.append(result["root"])
        return result

    load_module.load_partial = load_partial
    try:
        yield roots
    finally:
        load_module.load_partial = original


def fine_tune(sub, export_dir, weights, X, y, steps, learning_rate):
    """The grader exports its model with model.export; fine_tune_loaded trains the folder.
    Returns the two losses and the trainable variables of every object it loaded: values
    of the submission's process (nothing outside it holds them), so forging them means
    running the training the check replays."""
    X = np.asarray(X, np.float32)
    _built_model(weights, X.shape[1:]).export(export_dir, verbose=False)
    with _capturing_loads() as roots:
        result = sub.fine_tune_loaded(export_dir, X, np.asarray(y, np.float32), int(steps), float(learning_rate))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ProbeFailure(_("fine_tune_loaded must return (loss_before, loss_after); it returned {type_name}",
                             type_name=type_name(result)))
    before, after = (as_array(value, "fine_tune_loaded") for value in result)
    if before.size != 1 or after.size != 1:
        raise ProbeFailure(_("fine_tune_loaded must return two numbers (the loss before and after), "
                             "not arrays of shapes {shape} and {shape2}", shape=before.shape, shape2=after.shape))
    loaded = [[variable.numpy() for variable in getattr(root, "trainable_variables", [])] for root in roots]
    return {"before": float(before.reshape(())), "after": float(after.reshape(())), "loaded_variables": loaded}
