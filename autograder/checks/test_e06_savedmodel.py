"""Checks for e06_savedmodel: export_model, load_and_predict, fine_tune_loaded.

The grader's model is Flatten -> Dense(tanh) -> Dense with weights drawn here, so its
outputs and its SGD trajectory are computed again with NumPy in this (trusted) process.
Every SavedModel goes into a temporary folder (the `scratch_dir` fixture).

What an export serves, and the weights a model reached when trained after export_model,
are read by a clean worker that never imports the submission (`probe.clean`). What
load_and_predict and fine_tune_loaded return are plain values of the submission's
process: forging them means computing them.
"""

import numpy as np

from autograder.expect import expect_close, is_close
from autograder.i18n import _
from autograder.outcomes import Incorrect

PRIMES_ABOVE_32 = (37, 41, 43, 47, 53, 59, 61, 67)
SERVING_RTOL = 1e-5  # the "within 1e-5"


def _input_shape(rng):
    """Either flat features `(d,)` or a small grid `(a, b)`."""
    if rng.random() < 0.5:
        return (int(rng.integers(3, 6)),)
    return (int(rng.integers(2, 4)), int(rng.integers(2, 4)))


def _weights(rng, inputs, hidden, outputs):
    """[W1, b1, W2, b2], rounded to float32 (what the model holds)."""
    arrays = [rng.normal(size=(inputs, hidden)) / np.sqrt(inputs), rng.normal(size=hidden) * 0.5,
              rng.normal(size=(hidden, outputs)) / np.sqrt(hidden), rng.normal(size=outputs) * 0.5]
    return [a.astype(np.float32).astype(float) for a in arrays]


def _forward(weights, x):
    w1, b1, w2, b2 = weights
    return np.tanh(x.reshape(len(x), -1) @ w1 + b1) @ w2 + b2


def _grader_model(rng, input_shape):
    return _weights(rng, int(np.prod(input_shape)), int(rng.integers(6, 10)), int(rng.integers(1, 4)))


def _batch(rng, size, input_shape):
    return rng.normal(size=(size, *input_shape)).astype(np.float32).astype(float)


def _expect_signature(served, input_shape):
    shape, dtype = served["input_shape"], served["input_dtype"]
    if shape and shape[0] is not None:
        raise Incorrect(
            _("serving_default takes inputs of shape {shape}: its batch size is fixed at {shape2}. Declare "
              "it unknown, tf.TensorSpec([None, *input_shape], tf.float32), so that every batch size works (saving "
              "without a signature fixes the batch size of the model's first call)",
              shape=tuple(shape), shape2=shape[0]))
    if [n for n in shape[1:]] != list(input_shape):
        raise Incorrect(_("serving_default takes examples of shape {shape}, not input_shape "
                          "{input_shape}", shape=tuple(shape[1:]), input_shape=tuple(input_shape)))
    if dtype != "float32":
        raise Incorrect(_("serving_default takes {dtype}; the syllabus asks for float32", dtype=dtype))


def _expect_served(served, xs, expected, where):
    for x, out, error, reference in zip(xs, served["outputs"], served["errors"], expected):
        if error is not None:
            raise Incorrect(_("serving_default fails on a batch of {count} ({where}): {error}",
                              count=len(x), where=where, error=error))
        expect_close(out, reference, _("serving_default on a batch of {count} ({where})", count=len(x), where=where),
                     rtol=SERVING_RTOL, atol_scale=SERVING_RTOL)


def test_export_model_serving_default_matches_the_model_in_a_clean_process(probe, rng, scratch_dir):
    input_shape = _input_shape(rng)
    weights = _grader_model(rng, input_shape)
    export_dir = str(scratch_dir / "export")
    probe.export_used_model(export_dir=export_dir, weights=weights, input_shape=list(input_shape),
                            first_batch=int(rng.integers(2, 9)))
    xs = [_batch(rng, size, input_shape) for size in (1, int(rng.choice(PRIMES_ABOVE_32)))]
    # A new process that never imports the submission: only what the folder holds counts.
    served = probe.clean.serve(export_dir=export_dir, xs=xs)
    _expect_signature(served, input_shape)
    _expect_served(served, xs, [_forward(weights, x) for x in xs], _("loaded in a fresh process"))


def test_export_model_works_for_a_model_never_called(probe, rng, scratch_dir):
    input_shape = _input_shape(rng)
    weights = _grader_model(rng, input_shape)  # what the model's first call makes
    export_dir = str(scratch_dir / "export")
    probe.export_never_called(export_dir=export_dir, weights=weights, input_shape=list(input_shape))
    xs = [_batch(rng, size, input_shape) for size in (1, int(rng.integers(5, 30)))]
    served = probe.clean.serve(export_dir=export_dir, xs=xs)
    _expect_signature(served, input_shape)
    _expect_served(served, xs, [_forward(weights, x) for x in xs], _("a model that was never called before export_model"))


def test_export_model_leaves_the_model_trainable(probe, rng, scratch_dir):
    input_shape = _input_shape(rng)
    weights = _grader_model(rng, input_shape)
    X = _batch(rng, int(rng.integers(16, 40)), input_shape)
    y = np.sin(X.reshape(len(X), -1) @ rng.normal(size=(X[0].size, len(weights[3])))).astype(np.float32).astype(float)
    steps, learning_rate = int(rng.integers(2, 6)), float(rng.choice([0.05, 0.1]))
    export_dir, trained = str(scratch_dir / "export"), str(scratch_dir / "trained")
    result = probe.export_then_train(export_dir=export_dir, weights=weights, input_shape=list(input_shape), X=X, y=y,
                                     steps=steps, learning_rate=learning_rate, trained=trained)
    # How the failure looks from the submission's process: it only explains one.
    if result["variables"] == 0 and result["weights"]:
        raise Incorrect(_("after export_model the model has {count} weights and none of them is trainable: "
                          "export_model froze it (model.trainable = False). Saving needs no freezing; leave "
                          "trainable alone", count=result["weights"]))
    if result["variables"] == 0:
        raise Incorrect(_("after export_model the model still has no trainable variables: build it by calling it"))
    missing = result["none_gradients"]
    if missing and result["call_is_tf_function"]:
        raise Incorrect(
            _("after export_model, {missing} of the model's {variables} gradients are None: export_model "
              "put tf.function on the model's call (the notes' advice). In Keras 3 the layers then build their "
              "weights inside that trace, later calls reuse it, and no tape sees the weights: training fails with "
              "'No gradients provided for any variable'. Leave call alone and put tf.function on a separate "
              "serving function (or use model.export)", missing=missing, variables=result['variables']))
    if missing:
        raise Incorrect(_("after export_model, {missing} of the model's {variables} gradients are None: "
                          "export_model must leave the model trainable",
                          missing=missing, variables=result['variables']))
    # The evidence, read by a clean worker: the folder serves the model (an export of
    # something else leaves the model trainable too), and SGD moved the model's weights
    # after the export as the check replays it.
    xs = [_batch(rng, size, input_shape) for size in (1, int(rng.integers(5, 30)))]
    served = probe.clean.serve(export_dir=export_dir, xs=xs)
    _expect_signature(served, input_shape)
    _expect_served(served, xs, [_forward(weights, x) for x in xs], _("the export of a model that stays trainable"))
    reached = probe.clean.trained_weights(path=trained)
    if reached is None:
        raise Incorrect(_("after export_model, training the model wrote no weights: the grader's checkpoint of them "
                          "is missing"))
    __, __, expected = _sgd(weights, X.reshape(len(X), -1), y, steps, learning_rate)
    expect_close(np.concatenate([np.ravel(w) for w in reached]), np.concatenate([np.ravel(w) for w in expected]),
                 _("the model's weights after {count} SGD steps that follow export_model", count=steps), rtol=1e-4)


def _load_message(writer, result):
    error, kind = result["error"], result["error_type"]
    if "variables which have been deleted" in error:  # TensorFlow's own text
        return (_("load_and_predict fails on a folder written by {writer}: the loaded object was garbage-collected "
                  "while its function still needed its variables. Keep it in a variable, loaded = "
                  "tf.saved_model.load(export_dir), for as long as you call its functions", writer=writer))
    if kind == "AttributeError" and "serve" in error:
        return (_("load_and_predict fails on a folder written by {writer} ({error}): only Keras's model.export "
                  "writes a `serve` endpoint; every SavedModel of the syllabus has loaded.signatures['serving_default']",
                  writer=writer, error=error))
    if kind == "KeyError":
        return (_("load_and_predict fails on a folder written by {writer} ({error}): it looks the output up by a "
                  "fixed name, but the name depends on who wrote the folder ('output_0' from Keras, 'scores' here). "
                  "The signature returns a dict with one value: take that value", writer=writer, error=error))
    if kind == "TypeError" and ("argument" in error or "keyword" in error):
        return (_("load_and_predict fails on a folder written by {writer} ({error}): it passes the input under a "
                  "fixed name; pass x positionally, or read the name from the signature's structured_input_signature",
                  writer=writer, error=error))
    return _("load_and_predict fails on a folder written by {writer}: {error}", writer=writer, error=error)


def test_load_and_predict_works_on_keras_exports_and_export_model_folders(probe, rng, scratch_dir):
    input_shape = _input_shape(rng)
    weights = _grader_model(rng, input_shape)
    x = _batch(rng, int(rng.integers(3, 40)), input_shape)
    results = probe.load_and_predict_folders(folder=str(scratch_dir), weights=weights, input_shape=list(input_shape),
                                             x=x)
    expected = _forward(weights, x)
    for writer, result in results.items():
        if "error" in result:
            raise Incorrect(_load_message(writer, result))
        reference = expected
        if "own_folder" in result:
            # The submission's own folder is held to what it serves, read by a clean
            # worker (export_model has its own checks); one that serves nothing is skipped.
            served = probe.clean.serve(export_dir=result["own_folder"], xs=[x], missing_ok=True)
            if served is None or served["errors"][0] is not None:
                continue
            reference = served["outputs"][0]
        expect_close(result["value"], reference, _("load_and_predict on a folder written by {writer}", writer=writer),
                     rtol=SERVING_RTOL, atol_scale=SERVING_RTOL)


# --- fine_tune_loaded: SGD on the mean squared error, replayed with NumPy in float64 ---

def _loss_and_grads(weights, X, y):
    w1, b1, w2, b2 = weights
    hidden = np.tanh(X @ w1 + b1)
    error = hidden @ w2 + b2 - y
    loss = float(np.mean(error ** 2))
    d_out = 2 * error / error.size
    d_hidden = (d_out @ w2.T) * (1 - hidden ** 2)
    return loss, [X.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ d_out, d_out.sum(axis=0)]


def _sgd(weights, X, y, steps, learning_rate):
    """(loss before each step, loss after the last one, final weights)."""
    losses = []
    for __ in range(steps):
        loss, grads = _loss_and_grads(weights, X, y)
        losses.append(loss)
        weights = [w - learning_rate * g for w, g in zip(weights, grads)]
    return losses, _loss_and_grads(weights, X, y)[0], weights


def _fine_tune_case(rng):
    inputs = int(rng.integers(3, 6))
    weights = _weights(rng, inputs, int(rng.integers(6, 10)), int(rng.integers(1, 3)))
    X = _batch(rng, int(rng.integers(32, 64)), (inputs,))
    y = np.sin(X @ rng.normal(size=(inputs, len(weights[3])))).astype(np.float32).astype(float)
    steps, learning_rate = int(rng.integers(5, 15)), float(rng.choice([0.05, 0.1]))
    return weights, X, y, steps, learning_rate


def _fine_tune(probe, rng, scratch_dir):
    weights, X, y, steps, learning_rate = case = _fine_tune_case(rng)
    result = probe.fine_tune(export_dir=str(scratch_dir / "export"), weights=weights, X=X, y=y, steps=steps,
                             learning_rate=learning_rate)
    losses, final_loss, final_weights = _sgd(*case)
    assert final_loss < losses[0], _("the grader's SGD run should lower the loss")
    return result, weights, X, y, losses, final_loss, final_weights


def test_fine_tune_loaded_lowers_the_loss_like_sgd(probe, rng, scratch_dir):
    result, weights, X, y, losses, final_loss, __ = _fine_tune(probe, rng, scratch_dir)
    expect_close(result["before"], losses[0], _("loss_before, the mean squared error of the loaded model"), mistakes={
        _("it is the sum of the squared errors; the syllabus asks for their mean (tf.reduce_mean)"): losses[0] * y.size,
        _("it is the squared error averaged over the batch only; average over every element (tf.reduce_mean)"):
            losses[0] * y.shape[1],
    })
    if is_close(result["after"], result["before"]):
        raise Incorrect(_("the loss did not change ({before:.6g} before and after): apply the gradients "
                          "to loaded.trainable_variables with optimizer.apply_gradients", before=result['before']))
    expect_close(result["after"], final_loss, _("loss_after, after {count} SGD steps", count=len(losses)), mistakes={
        _("loss_after is the loss computed before the last update; evaluate the loss once more after the loop"):
            losses[-1],
    })


def _by_shape(variables, reference):
    """`variables` in the order of `reference`'s shapes (all distinct), or None."""
    by_shape = {tuple(np.shape(v)): v for v in variables}
    if len(by_shape) != len(variables) or set(by_shape) != {w.shape for w in reference}:
        return None
    return [np.asarray(by_shape[w.shape], dtype=float) for w in reference]


def test_fine_tune_loaded_changes_the_loaded_variables(probe, rng, scratch_dir):
    result, weights, *__, final_weights = _fine_tune(probe, rng, scratch_dir)
    loaded = [found for found in (_by_shape(v, weights) for v in result["loaded_variables"]) if found is not None]
    if not loaded:
        raise Incorrect(_("fine_tune_loaded never loaded export_dir with tf.saved_model.load (no loaded object with "
                          "the model's trainable_variables was seen)"))
    if any(all(is_close(a, b, rtol=1e-4) for a, b in zip(found, final_weights)) for found in loaded):
        return
    if all(all(np.array_equal(a, b) for a, b in zip(found, weights)) for found in loaded):
        raise Incorrect(_("fine_tune_loaded left the loaded variables unchanged: train loaded.trainable_variables "
                          "themselves (optimizer.apply_gradients(zip(grads, loaded.trainable_variables)))"))
    raise Incorrect(_("the loaded variables changed, but not the way SGD(learning_rate) on the mean squared error "
                      "moves them in `steps` steps"))
