"""Probes for e09_checkpoint (run in the worker).

The grader's model is Dense(tanh) -> Dense on flat features, with the weights the check
sends ([W1, b1, W2, b2]); its optimizer is Adam(0.01). `train_resumable`'s make_model
returns it either built (its input shape set with `tf.keras.Input`) or unbuilt (no weights
until its first call, which creates them with the check's values): the syllabus allows
both. Checkpoint folders come from the check.

Two sides. The probes that call the submission (`write_checkpoint`, `save_many`,
`restore_into`, `restore_empty`, `train`) run in its process, where the submission can
replace them; so they are never sent an answer the check will compare against. The
checkpoints restore_latest restores are written by a clean worker (`grader_checkpoints`)
and reach the submission's process only as files. What the submission writes is read by
a clean worker that never imports it (`checkpoint_contents`, `checkpoints_kept`,
`newest_checkpoints`): the files its CheckpointManager kept, and a checkpoint's model
variables, Adam's iteration count and moments, and its step. The check compares them with
its own NumPy replay of Adam. Every checkpoint the grader restores goes into objects of the
same kind and state as the ones it was saved from (an Adam with its moment variables), so
a restore that asserts `assert_existing_objects_matched()` passes.
"""
import glob
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from autograder.i18n import N_, _
from autograder.probes.kit import ProbeFailure, as_array, type_name

STEP_KEY = "step/.ATTRIBUTES/VARIABLE_VALUE"
FILE_BYTES = 1 << 20  # a grader checkpoint of this small model is a few KB


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


def _blank_model(shapes):
    """A built grader model of `shapes` = [inputs, hidden, outputs], all weights zero."""
    inputs, hidden, outputs = (int(n) for n in shapes)
    return _model([np.zeros((inputs, hidden)), np.zeros(hidden), np.zeros((hidden, outputs)), np.zeros(outputs)])


def _adam(model):
    """Adam(0.01) with its moment variables made (the state of an Adam that has stepped)."""
    optimizer = tf.keras.optimizers.Adam(0.01)
    optimizer.build(model.trainable_variables)
    return optimizer


def _adam_steps(model, optimizer, X, y, steps):
    X, y = tf.constant(X, tf.float32), tf.constant(y, tf.float32)
    for __ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(X) - y))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))


def _values(variables):
    return [np.asarray(v.numpy()) for v in variables]


def _grader_checkpoint(model, optimizer, step=0):
    """The syllabus' checkpoint, made by the grader."""
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


def _first_line(error):
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0].strip()}" if lines else type(error).__name__


# --- in the submission's process -----------------------------------------------------------

def write_checkpoint(sub, folder, weights, X, y, steps, step):
    """Trains the grader's model `steps` Adam steps, tracks it with make_checkpoint, sets its
    step and writes it to `folder`/submission (read by `checkpoint_contents`)."""
    model = _model(weights)
    optimizer = tf.keras.optimizers.Adam(0.01)
    _adam_steps(model, optimizer, X, y, int(steps))
    checkpoint = _submission_checkpoint(sub, model, optimizer)
    checkpoint.step.assign(int(step))
    checkpoint.write(os.path.join(folder, "submission"))
    return True


def save_many(sub, folder, weights, max_to_keep, saves):
    """Calls save `saves` times on the grader's checkpoint (step 1, 2, ...); the paths it
    returned (what is on disk is read by `checkpoints_kept`)."""
    model = _model(weights)
    checkpoint = _grader_checkpoint(model, _adam(model))
    returned = []
    for number in range(int(saves)):
        checkpoint.step.assign(number + 1)
        path = sub.save(checkpoint, folder, int(max_to_keep))
        path = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
        returned.append(path if isinstance(path, str) else type_name(path))
    return {"returned": returned}


def _lay_out(folder, files):
    """Writes the grader's checkpoint files (name -> bytes) into `folder`."""
    for name, data in files.items():
        if os.path.basename(name) != name or name in ("", ".", ".."):
            raise ValueError(f"not a file name: {name!r}")
        with open(os.path.join(folder, name), "wb") as file:
            file.write(np.asarray(data, np.uint8).tobytes())


def restore_into(sub, folder, files, fresh_weights):
    """restore_latest on a folder holding the grader's checkpoints (`files`, written by
    `grader_checkpoints`), into a fresh model and Adam of the same kind and state. What it
    restored can only be read here: these values come from the submission's process."""
    _lay_out(folder, files)
    fresh = _model(fresh_weights)
    target = _grader_checkpoint(fresh, _adam(fresh))
    returned = sub.restore_latest(target, folder)
    return {"returned": as_array(returned, "restore_latest"), "step": int(target.step.numpy()),
            "weights": _values(fresh.trainable_variables)}


def _restoring(sub, checkpoint, folder, failure):
    """sub.restore_latest(checkpoint, folder); an error it raises fails the probe with
    `failure(first line of the error)`."""
    try:
        return sub.restore_latest(checkpoint, folder)
    except NotImplementedError:
        raise
    except Exception as error:
        raise ProbeFailure(failure(_first_line(error))) from None


def restore_empty(sub, folder, weights, X, y, step, later_files):
    """restore_latest on an empty folder, into a trained model whose step is `step`; then,
    once the folder holds the grader's checkpoint (`later_files`), again."""
    model, optimizer = _model(weights), tf.keras.optimizers.Adam(0.01)
    _adam_steps(model, optimizer, X, y, 1)
    checkpoint = _grader_checkpoint(model, optimizer, int(step))
    before = _values(model.trainable_variables) + _values(optimizer.variables)
    returned = _restoring(sub, checkpoint, folder, lambda first_line: _(
        "restore_latest raises on a folder with no checkpoint ({first_line}): tf.train.latest_checkpoint "
        "returns None there; check for None and return 0", first_line=first_line))
    after = _values(model.trainable_variables) + _values(optimizer.variables)
    result = {"returned": as_array(returned, "restore_latest"), "step": int(checkpoint.step.numpy()),
              "unchanged": all(np.array_equal(a, b) for a, b in zip(before, after))}
    # The same call once the folder holds a checkpoint: a constant 0 is not an answer.
    _lay_out(folder, later_files)
    returned = _restoring(sub, checkpoint, folder, lambda first_line: _(
        "restore_latest raises once the folder holds a checkpoint ({first_line}); that checkpoint was saved "
        "from a model and an Adam of the same kind and state as the ones it restores into", first_line=first_line))
    result["returned_later"] = as_array(returned, "restore_latest")
    result["weights_later"] = _values(model.trainable_variables)
    return result


KIND = {True: N_("a built model (its input shape already set with tf.keras.Input)"),
        False: N_("an unbuilt model (no input shape and no weights before its first call)")}


def train(sub, folder, weights, X, y, total_steps, stop_after=None, built=True):
    """One call of train_resumable with a make_model that makes the grader's model with
    `weights` (built or not). The weights it returns come from the submission's process;
    its checkpoints are read by `newest_checkpoints`."""
    def make_model():
        return _model(weights, built=built)

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
    return {"weights": [as_array(value, "train_resumable") for value in values]}


# --- in a clean worker (sub is None): the grader's checkpoints, and reading the submission's

def grader_checkpoints(sub, saved, shapes):
    """The files of a CheckpointManager that saved the grader's model, an Adam with its
    moments and the step, once per [weights, step] of `saved`: {file name: bytes}."""
    model = _blank_model(shapes)
    checkpoint = _grader_checkpoint(model, _adam(model))
    folder = tempfile.mkdtemp(prefix="grader-checkpoints-")
    manager = tf.train.CheckpointManager(checkpoint, folder, max_to_keep=len(saved))
    for weights, step in saved:
        for variable, value in zip(model.trainable_variables, weights):
            variable.assign(np.asarray(value, np.float32))
        checkpoint.step.assign(int(step))
        manager.save()
    files = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as file:
            files[name] = np.frombuffer(file.read(FILE_BYTES), np.uint8)
    return {"files": files}


def _saved_names(reader):
    """The names the checkpoint's root object tracks its children under."""
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    return sorted(child.local_name for child in graph.nodes[0].children if child.local_name != "save_counter")


def _contents(path, shapes):
    """What the checkpoint at `path` holds under each syllabus name, read into the grader's
    own objects one name at a time (all at once would hide a wrong model key: Keras 3's
    optimizer tracks the model's variables too, so they would come back through
    `optimizer/...`), and whether each restore status found every object matched."""
    try:
        reader = tf.train.load_checkpoint(path)
    except (tf.errors.OpError, ValueError):
        raise ProbeFailure(_("the grader finds no checkpoint at {path}, where it was written",
                             path=os.path.basename(path))) from None
    model = _blank_model(shapes)
    optimizer = _adam(_blank_model(shapes))  # its own model: what it tracks never reaches `model`
    step = tf.Variable(0, dtype=tf.int64)
    unmatched = {}
    for name, target in (("model", model), ("optimizer", optimizer), ("step", step)):
        try:
            status = tf.train.Checkpoint(**{name: target}).read(path)
            status.assert_existing_objects_matched()
        except (AssertionError, ValueError, TypeError, tf.errors.OpError) as error:
            unmatched[name] = str(error).strip().splitlines()[0].split(". Showing")[0]  # its first sentence
            continue
        status.expect_partial()  # the other names' values are read by their own restore
    slots = {kind: [np.asarray(v.numpy()) for v in optimizer.variables if v.path.endswith("_" + kind)]
             for kind in ("momentum", "velocity")}
    dtypes = reader.get_variable_to_dtype_map()
    return {"saved_names": _saved_names(reader), "unmatched": unmatched,
            "step": int(reader.get_tensor(STEP_KEY)) if reader.has_tensor(STEP_KEY) else None,
            "step_dtype": dtypes[STEP_KEY].name if STEP_KEY in dtypes else None,
            "weights": _values(model.trainable_variables), "iterations": int(optimizer.iterations.numpy()),
            "momentums": slots["momentum"], "velocities": slots["velocity"]}


def checkpoint_contents(sub, path, shapes):
    """The checkpoint `write_checkpoint` wrote, read back by the grader."""
    return _contents(path, shapes)


def checkpoints_kept(sub, folder):
    """The checkpoints in `folder` (index file names), the newest one the folder's state
    file names (relative to `folder`, or None), and the step each kept one holds."""
    index_files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, "*.index")))
    latest = tf.train.latest_checkpoint(folder)
    return {"index_files": index_files, "latest": None if latest is None else os.path.relpath(latest, folder),
            "kept_steps": [_step_of(os.path.join(folder, name.removesuffix(".index"))) for name in index_files]}


def _step_of(path):
    """The `step` saved in the checkpoint at `path`, or None."""
    reader = tf.train.load_checkpoint(path)
    return int(reader.get_tensor(STEP_KEY)) if reader.has_tensor(STEP_KEY) else None


def newest_checkpoints(sub, folders, shapes):
    """For each folder, what its newest checkpoint holds ({"step": None} when it has none)."""
    found = []
    for folder in folders:
        latest = tf.train.latest_checkpoint(folder)
        found.append({"step": None} if latest is None else _contents(latest, shapes))
    return found
