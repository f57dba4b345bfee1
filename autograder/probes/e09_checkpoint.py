"""Probes for e09_checkpoint (run in the worker).

The grader's model is Dense(tanh) -> Dense on flat features, with the weights the check
sends ([W1, b1, W2, b2]); its optimizer is Adam(0.01), trained here on the check's data.
`train_resumable`'s make_model returns it either built (its input shape set with
`tf.keras.Input`) or unbuilt (no weights until its first call, which creates them with the
check's values): the syllabus allows both. Checkpoint folders come from the check.
"""
import glob
import os

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from autograder.i18n import N_, _
from autograder.probes.kit import ProbeFailure, as_array, type_name


def _model(weights, built=True):
    """The grader's model holding `weights`: built now, or only on its first call."""
    w1, b1, w2, b2 = (np.asarray(value, np.float32) for value in weights)
    if not built:
        constant = tf.keras.initializers.Constant
        return tf.keras.Sequential([
            tf.keras.layers.Dense(w1.shape[1], activation="tanh", kernel_initializer=constant(w1),
                                  bias_initializer=constant(b1)),
            tf.keras.layers.Dense(w2.shape[1], kernel_initializer=constant(w2), bias_initializer=constant(b2))])
    model = tf.keras.Sequential([tf.keras.Input((w1.shape[0],)), tf.keras.layers.Dense(w1.shape[1], activation="tanh"),
                                 tf.keras.layers.Dense(w2.shape[1])])
    for variable, value in zip(model.trainable_variables, (w1, b1, w2, b2)):
        variable.assign(value)
    return model


def _adam_steps(model, optimizer, X, y, steps):
    X, y = tf.constant(X, tf.float32), tf.constant(y, tf.float32)
    for __ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(X) - y))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))


def _values(variables):
    return [np.asarray(v.numpy()) for v in variables]


def _grader_checkpoint(model, optimizer, step=0):
    """The syllabus' checkpoint, written by the grader (for save and restore_latest)."""
    return tf.train.Checkpoint(model=model, optimizer=optimizer, step=tf.Variable(step, dtype=tf.int64))


def _submission_checkpoint(sub, model, optimizer):
    checkpoint = sub.make_checkpoint(model, optimizer)
    if not isinstance(checkpoint, tf.train.Checkpoint):
        raise ProbeFailure(_("make_checkpoint should return a tf.train.Checkpoint, not {type_name}",
                             type_name=type_name(checkpoint)))
    step = getattr(checkpoint, "step", None)
    if not isinstance(step, tf.Variable):
        raise ProbeFailure(_("the checkpoint has no `step` variable: track one, step=tf.Variable(0, dtype=tf.int64)")
                           + (_(" (its step is a {type_name})", type_name=type_name(step)) if step is not None else ""))
    if step.dtype != tf.int64:
        raise ProbeFailure(_("the checkpoint's step is {name}; the syllabus asks for an int64 variable",
                             name=step.dtype.name))
    return checkpoint


def _saved_names(path):
    """The names the checkpoint's root object tracks its children under."""
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(tf.train.load_checkpoint(path).get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    return sorted(child.local_name for child in graph.nodes[0].children if child.local_name != "save_counter")


def _first_line(error):
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0].strip()}" if lines else type(error).__name__


def names(sub, folder, weights, other_weights, X, y, steps, step):
    """Saves the submission's checkpoint; restores it under the syllabus' names with the
    grader's own tf.train.Checkpoint and asks the restore status whether everything matched."""
    model, optimizer = _model(weights), tf.keras.optimizers.Adam(0.01)
    _adam_steps(model, optimizer, X, y, steps)
    checkpoint = _submission_checkpoint(sub, model, optimizer)
    checkpoint.step.assign(step)
    path = checkpoint.write(os.path.join(folder, "submission"))
    restored_model, restored_optimizer = _model(other_weights), tf.keras.optimizers.Adam(0.01)
    restored_optimizer.build(restored_model.trainable_variables)
    restored_step = tf.Variable(0, dtype=tf.int64)
    # One restore per name, each asked by its status whether its objects found saved values.
    # All at once would hide a wrong model key: Keras 3's optimizer tracks the model's
    # variables too, so they would come back through `optimizer/...` and nothing would fire.
    unmatched = {}
    for name, target in (("model", restored_model), ("optimizer", restored_optimizer), ("step", restored_step)):
        status = tf.train.Checkpoint(**{name: target}).read(path)
        try:
            status.assert_existing_objects_matched()
        except AssertionError as error:
            unmatched[name] = str(error).splitlines()[0].split(". Showing")[0]  # its first sentence
        status.expect_partial()  # the other names' values are read by their own restore
    return {"saved_names": _saved_names(path), "unmatched": unmatched, "step": int(restored_step.numpy()),
            "saved": _values(model.trainable_variables), "restored": _values(restored_model.trainable_variables)}


def optimizer_round_trip(sub, folder, weights, other_weights, X, y, steps):
    """Adam's state through the submission's checkpoint: written after `steps` steps, read
    into a fresh model and optimizer tracked by another make_checkpoint."""
    model, optimizer = _model(weights), tf.keras.optimizers.Adam(0.01)
    _adam_steps(model, optimizer, X, y, steps)
    path = _submission_checkpoint(sub, model, optimizer).write(os.path.join(folder, "submission"))
    fresh_model, fresh_optimizer = _model(other_weights), tf.keras.optimizers.Adam(0.01)
    fresh_optimizer.build(fresh_model.trainable_variables)
    _submission_checkpoint(sub, fresh_model, fresh_optimizer).read(path)
    # Adam's variables: the iteration count, the learning rate, then its moments, in order.
    slots = lambda opt: [np.asarray(v.numpy()) for v in opt.variables if len(v.shape)]  # noqa: E731
    return {"iterations": int(fresh_optimizer.iterations.numpy()), "saved_slots": slots(optimizer),
            "restored_slots": slots(fresh_optimizer)}


def save_many(sub, folder, weights, max_to_keep, saves):
    """Calls save `saves` times on the grader's checkpoint; what is on disk after each."""
    model, optimizer = _model(weights), tf.keras.optimizers.Adam(0.01)
    checkpoint = _grader_checkpoint(model, optimizer)
    returned, exists, latest = [], [], []
    for number in range(saves):
        checkpoint.step.assign(number + 1)
        path = sub.save(checkpoint, folder, int(max_to_keep))
        path = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
        returned.append(path if isinstance(path, str) else type_name(path))
        exists.append(isinstance(path, str) and os.path.isfile(path + ".index"))
        latest.append(tf.train.latest_checkpoint(folder))
    index_files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, "*.index")))
    kept_steps = [_step_of(os.path.join(folder, name.removesuffix(".index"))) for name in index_files]
    return {"returned": returned, "returned_exist": exists, "latest": latest, "index_files": index_files,
            "kept_steps": kept_steps}


def restore_newest(sub, folder, saved_weights, steps, fresh_weights):
    """The grader saves one checkpoint per entry of saved_weights (with its step); restore_latest
    then restores into a fresh model and optimizer."""
    model, optimizer = _model(saved_weights[0]), tf.keras.optimizers.Adam(0.01)
    checkpoint = _grader_checkpoint(model, optimizer)
    manager = tf.train.CheckpointManager(checkpoint, folder, max_to_keep=len(saved_weights))
    for weights, step in zip(saved_weights, steps):
        for variable, value in zip(model.trainable_variables, weights):
            variable.assign(np.asarray(value, np.float32))
        checkpoint.step.assign(step)
        manager.save()
    fresh = _model(fresh_weights)
    target = _grader_checkpoint(fresh, tf.keras.optimizers.Adam(0.01))
    returned = sub.restore_latest(target, folder)
    return {"returned": as_array(returned, "restore_latest"), "step": int(target.step.numpy()),
            "weights": _values(fresh.trainable_variables)}


def restore_empty(sub, folder, weights, X, y, step, later_weights, later_step):
    """restore_latest on an empty folder, into a trained model whose step is `step`; then,
    once the grader has saved a checkpoint (`later_weights`, `later_step`) there, again."""
    model, optimizer = _model(weights), tf.keras.optimizers.Adam(0.01)
    _adam_steps(model, optimizer, X, y, 1)
    checkpoint = _grader_checkpoint(model, optimizer, step)
    before = _values(model.trainable_variables) + _values(optimizer.variables)
    try:
        returned = sub.restore_latest(checkpoint, folder)
    except NotImplementedError:
        raise
    except Exception as error:
        raise ProbeFailure(
            _("restore_latest raises on a folder with no checkpoint ({first_line}): tf.train.latest_checkpoint "
              "returns None there; check for None and return 0", first_line=_first_line(error))) from None
    after = _values(model.trainable_variables) + _values(optimizer.variables)
    result = {"returned": as_array(returned, "restore_latest"), "step": int(checkpoint.step.numpy()),
              "unchanged": all(np.array_equal(a, b) for a, b in zip(before, after)), "files": sorted(os.listdir(folder))}
    # The same call once the folder holds a checkpoint: a constant 0 is not an answer.
    later_model = _model(later_weights)
    later = _grader_checkpoint(later_model, tf.keras.optimizers.Adam(0.01), later_step)
    tf.train.CheckpointManager(later, folder, max_to_keep=1).save()
    result["returned_later"] = as_array(sub.restore_latest(checkpoint, folder), "restore_latest")
    result["weights_later"] = _values(model.trainable_variables)
    return result


KIND = {True: N_("a built model (its input shape already set with tf.keras.Input)"),
        False: N_("an unbuilt model (no input shape and no weights before its first call)")}


def _step_of(path):
    """The `step` saved in the checkpoint at `path`, or None."""
    reader = tf.train.load_checkpoint(path)
    key = "step/.ATTRIBUTES/VARIABLE_VALUE"
    return int(reader.get_tensor(key)) if reader.has_tensor(key) else None


def train(sub, folder, weights, X, y, total_steps, stop_after=None, built=True):
    """One call of train_resumable with a make_model that makes the grader's model with
    `weights` (built or not); also reports the step of the newest checkpoint in the folder."""
    made = []

    def make_model():
        made.append(_model(weights, built=built))
        return made[-1]

    try:
        values = sub.train_resumable(make_model, np.asarray(X, np.float32), np.asarray(y, np.float32),
                                     int(total_steps), folder, stop_after=None if stop_after is None else int(stop_after))
    except NotImplementedError:
        raise
    except Exception as error:
        if built and "already been configured" in str(error):
            raise ProbeFailure(
                _("train_resumable fails when make_model() returns {kind} ({first_line}): "
                  "model.build(...) refuses a model whose input shape is set. Let the first call build it, "
                  "model(X), or build only `if not model.built`", kind=_(KIND[built]), first_line=_first_line(error))) from None
        raise ProbeFailure(_("train_resumable fails when make_model() returns {kind}: "
                             "{first_line}", kind=_(KIND[built]), first_line=_first_line(error))) from None
    if not isinstance(values, (list, tuple)):
        raise ProbeFailure(_("train_resumable should return a list of arrays, not {type_name}",
                             type_name=type_name(values)))
    values = [as_array(value, "train_resumable") for value in values]
    latest = tf.train.latest_checkpoint(folder)
    return {"weights": values, "checkpoint_step": None if latest is None else _step_of(latest),
            "models_made": len(made)}
