"""Checks for e09_checkpoint: make_checkpoint, save, restore_latest, train_resumable.

The grader's model is Dense(tanh) -> Dense with weights drawn here; Adam(0.01) on the mean
squared error is replayed with NumPy in float64 in this (trusted) process, so the expected
weights of a training run, and of its typical mistakes, never come from a worker.
Checkpoints go into temporary folders (the `scratch_dir` fixture).

What a checkpoint holds is read by a clean worker that never imports the submission
(`probe.clean`): the files the CheckpointManager kept, the model's variables, Adam's
iteration count and moments, and the step; the checkpoints restore_latest restores are
written there too and reach the submission only as files, so no probe in the submission's
process is sent a value the check compares against. Three answers can only come from the
submission's process: the paths save returns, the step restore_latest returns and the
values it restored into the grader's objects, and the weights train_resumable returns.
Forging them means computing them: reading the checkpoint, or training.
"""
import os

import numpy as np

from autograder.expect import expect_close, expect_equal, is_close, numbers
from autograder.i18n import _
from autograder.outcomes import Incorrect

FLOAT32_RTOL = 1e-5  # "the same weights, to float32 rounding"
SYLLABUS_NAMES = ["model", "optimizer", "step"]


def _weights(rng, inputs=None, hidden=None, outputs=None):
    inputs = inputs or int(rng.integers(3, 6))
    hidden, outputs = hidden or int(rng.integers(6, 10)), outputs or int(rng.integers(1, 3))
    arrays = [rng.normal(size=(inputs, hidden)) / np.sqrt(inputs), rng.normal(size=hidden) * 0.5,
              rng.normal(size=(hidden, outputs)) / np.sqrt(hidden), rng.normal(size=outputs) * 0.5]
    return [a.astype(np.float32).astype(float) for a in arrays]


def _like(rng, weights):
    """Other weights for the same architecture (a freshly made model)."""
    return _weights(rng, weights[0].shape[0], weights[0].shape[1], weights[2].shape[1])


def _data(rng, weights):
    inputs, outputs = weights[0].shape[0], weights[2].shape[1]
    X = rng.normal(size=(int(rng.integers(16, 40)), inputs)).astype(np.float32).astype(float)
    y = np.sin(X @ rng.normal(size=(inputs, outputs))).astype(np.float32).astype(float)
    return X, y


def _grads(weights, X, y):
    """Gradients of mean((tanh(X W1 + b1) W2 + b2 - y) ** 2)."""
    w1, b1, w2, b2 = weights
    hidden = np.tanh(X @ w1 + b1)
    error = hidden @ w2 + b2 - y
    d_out = 2 * error / error.size
    d_hidden = (d_out @ w2.T) * (1 - hidden ** 2)
    return [X.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ d_out, d_out.sum(axis=0)]


def _adam(weights, X, y, steps, learning_rate=0.01, state=None):
    """Keras 3's Adam update (beta_1 0.9, beta_2 0.999, epsilon 1e-7); returns (weights, state)."""
    m, v, t = state or ([np.zeros_like(w) for w in weights], [np.zeros_like(w) for w in weights], 0)
    for __ in range(steps):
        grads = _grads(weights, X, y)
        t += 1
        alpha = learning_rate * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        m = [mi + (g - mi) * 0.1 for mi, g in zip(m, grads)]
        v = [vi + (g * g - vi) * 0.001 for vi, g in zip(v, grads)]
        weights = [w - alpha * mi / (np.sqrt(vi) + 1e-7) for w, mi, vi in zip(weights, m, v)]
    return weights, (m, v, t)


def _sgd(weights, X, y, steps, learning_rate):
    for __ in range(steps):
        weights = [w - learning_rate * g for w, g in zip(weights, _grads(weights, X, y))]
    return weights


def _flat(weights):
    return np.concatenate([np.ravel(np.asarray(w, dtype=float)) for w in weights])


def _shapes(weights):
    """[inputs, hidden, outputs] of the grader's model holding `weights`."""
    return [int(weights[0].shape[0]), int(weights[0].shape[1]), int(weights[2].shape[1])]


def _grader_files(probe, saved):
    """The files of the grader's checkpoints of [weights, step] pairs, written in a clean worker."""
    return probe.clean.grader_checkpoints(saved=saved, shapes=_shapes(saved[0][0]))["files"]


def _weights_of(result, reference, what):
    """The returned weights as one flat vector, after checking their count and shapes."""
    values = result["weights"]
    if len(values) != len(reference):
        raise Incorrect(_("{what} returned {count} arrays; the model has {count2} trainable variables",
                          what=what, count=len(values), count2=len(reference)))
    for value, expected in zip(values, reference):
        if np.shape(value) != np.shape(expected):
            raise Incorrect(_("{what} returned an array of shape {shape} where the model's variable has "
                              "shape {shape2}: return [v.numpy() for v in model.trainable_variables]",
                              what=what, shape=np.shape(value), shape2=np.shape(expected)))
    return _flat(values)


# --- make_checkpoint ---

def _names(keys) -> str:
    """Checkpoint keys as code: `model`, `optimizer`."""
    return ", ".join(f"`{key}`" for key in keys)


def test_make_checkpoint_tracks_model_optimizer_and_step_by_name(probe, rng, scratch_dir):
    weights = _weights(rng)
    X, y = _data(rng, weights)
    step = int(rng.integers(2, 1000))
    probe.write_checkpoint(folder=str(scratch_dir), weights=weights, X=X, y=y, steps=2, step=step)
    result = probe.clean.checkpoint_contents(path=str(scratch_dir / "submission"), shapes=_shapes(weights))
    saved, unmatched = result["saved_names"], result["unmatched"]
    extra = [name for name in saved if name not in SYLLABUS_NAMES]
    for name in SYLLABUS_NAMES:
        caught = (_(" (the restore status' assert_existing_objects_matched() raised AssertionError: {unmatched})",
                    unmatched=unmatched[name])
                  if name in unmatched else "")
        if name not in saved:
            instead = _(" (it has {extra} instead)", extra=_names(extra)) if extra else ""
            raise Incorrect(
                _("make_checkpoint tracks nothing under the name `{name}`{instead}: it saves "
                  "{value}. Restored under its syllabus name, `{name}` found no saved "
                  "value{caught}: values go back only under the key they were saved with. Write "
                  "tf.train.Checkpoint(model=model, optimizer=optimizer, step=step)",
                  name=name, instead=instead, value=_names(saved) or _("nothing"), caught=caught))
        if caught:
            raise Incorrect(_("restoring `{name}` from make_checkpoint's checkpoint left objects unmatched{caught}",
                              name=name, caught=caught))
    if result["step_dtype"] != "int64":
        raise Incorrect(_("the checkpoint's step is {name}; the syllabus asks for an int64 variable",
                          name=result["step_dtype"]))
    expect_equal(result["step"], step, _("the step restored under the name `step`"))
    expect_close(_flat(result["weights"]), _flat(_adam(weights, X, y, 2)[0]),
                 _("the model's weights restored under the name `model`"))


def test_make_checkpoint_restores_the_optimizer_state(probe, rng, scratch_dir):
    weights = _weights(rng)
    X, y = _data(rng, weights)
    steps = int(rng.integers(2, 7))
    probe.write_checkpoint(folder=str(scratch_dir), weights=weights, X=X, y=y, steps=steps, step=steps)
    result = probe.clean.checkpoint_contents(path=str(scratch_dir / "submission"), shapes=_shapes(weights))
    if result["iterations"] != steps:
        raise Incorrect(
            _("after {steps} Adam steps, the restored optimizer's iteration count is {iterations}: ",
              steps=steps, iterations=result['iterations'])
            + (_("the checkpoint does not track the optimizer; add optimizer=optimizer, or a resumed run restarts "
                 "Adam's moments and bias correction and ends elsewhere") if result["iterations"] == 0 else
               _("it should be {steps}", steps=steps)))
    __, (momentums, velocities, __) = _adam(weights, X, y, steps)
    for restored, expected in ((result["momentums"], momentums), (result["velocities"], velocities)):
        if len(restored) != len(expected):
            raise Incorrect(_("the restored optimizer has a different number of moment variables"))
        # Adam's second moments are tiny: compared on their own scale, not on a scale of at least 1.
        expect_close(_flat(restored), _flat(expected), _("Adam's moment variables after a restore"),
                     scale=float(np.max(np.abs(_flat(expected)))))


# --- save ---

def test_save_keeps_at_most_max_to_keep_checkpoints_on_disk(probe, rng, scratch_dir):
    """The files kept are read by a clean worker; the paths save returned come from the submission's
    process (plain values), and count only when they name those files."""
    max_to_keep = int(rng.integers(1, 4))
    saves = max_to_keep + int(rng.integers(2, 4))
    folder = str(scratch_dir)
    returned = probe.save_many(folder=folder, weights=_weights(rng), max_to_keep=max_to_keep, saves=saves)["returned"]
    result = probe.clean.checkpoints_kept(folder=folder)  # what is on disk, read by the grader
    on_disk = {os.path.join(folder, name.removesuffix(".index")) for name in result["index_files"]}
    # The last max_to_keep paths returned are the checkpoints kept; the newest is the folder's latest.
    for number, path in list(enumerate(returned, start=1))[-max_to_keep:]:
        if path not in on_disk:
            raise Incorrect(_("save #{number} returned {path!r}, which is not a checkpoint on disk: return the path "
                              "that manager.save() gives", number=number, path=path))
    latest = None if result["latest"] is None else os.path.join(folder, result["latest"])
    if latest != returned[-1]:
        raise Incorrect(
            _("after save #{number}, tf.train.latest_checkpoint finds {latest!r}, not the {path!r} it returned: "
              "save through tf.train.CheckpointManager, which records the newest checkpoint in the folder",
              number=saves, latest=latest, path=returned[-1]))
    on_disk = len(result["index_files"])
    if on_disk != max_to_keep:
        raise Incorrect(
            _("after {saves} saves with max_to_keep={max_to_keep} the folder holds {on_disk} checkpoints "
              "({index_files}): max_to_keep is not honoured; pass it on, "
              "tf.train.CheckpointManager(checkpoint, directory, max_to_keep=max_to_keep)",
              saves=saves, max_to_keep=max_to_keep, on_disk=on_disk, index_files=', '.join(result['index_files'])))
    # Files kept count only when they hold what was saved: the step of each of the last saves.
    newest = list(range(saves - max_to_keep + 1, saves + 1))
    if sorted(step for step in result["kept_steps"] if step is not None) != newest:
        raise Incorrect(_("the {on_disk} checkpoints kept should hold the steps of the last saves, {newest}, but they "
                          "hold {kept_steps} (None: no `step`): save the checkpoint you are given, "
                          "tf.train.CheckpointManager(checkpoint, ...), not a new or empty one",
                          on_disk=on_disk, newest=newest, kept_steps=result['kept_steps']))


# --- restore_latest ---

def test_restore_latest_restores_the_newest_checkpoint_exactly(probe, rng, scratch_dir):
    """The checkpoints are written by a clean worker and reach the submission only as files. What
    restore_latest restored, and the step it returned, can only come from the submission's process:
    forging them means reading the checkpoint."""
    first = _weights(rng)
    saved = [first] + [_like(rng, first) for __ in range(int(rng.integers(1, 3)))]
    steps = sorted(int(s) for s in rng.choice(np.arange(10, 1000), size=len(saved), replace=False))
    fresh = _like(rng, first)
    files = _grader_files(probe, [[weights, step] for weights, step in zip(saved, steps)])
    result = probe.restore_into(folder=str(scratch_dir), files=files, fresh_weights=fresh)
    restored = _flat(result["weights"])
    if np.array_equal(restored, _flat(fresh)):
        raise Incorrect(_("restore_latest left the model's weights as they were: restore "
                          "checkpoint.restore(tf.train.latest_checkpoint(directory))"))
    for older in saved[:-1]:
        if np.array_equal(restored, _flat(older)):
            raise Incorrect(_("restore_latest restored an older checkpoint, not the newest: "
                              "tf.train.latest_checkpoint(directory) (or manager.latest_checkpoint) gives the newest"))
    expect_equal(restored, _flat(saved[-1]), _("the restored weights (they must equal the saved ones exactly)"))
    returned = float(numbers(result["returned"], "restore_latest").reshape(-1)[0])
    if returned == len(saved):
        raise Incorrect(_("restore_latest returned {returned:g}, the number of saves (save_counter), not the "
                          "checkpoint's `step`: return int(checkpoint.step)", returned=returned))
    expect_equal(returned, steps[-1], _("the step that restore_latest returned"))


def test_restore_latest_on_an_empty_folder_returns_0_and_changes_nothing(probe, rng, scratch_dir):
    """Both calls' answers come from the submission's process; the checkpoint of the second call is
    written by a clean worker, into objects of the same kind and state as the ones restored into."""
    weights = _weights(rng)
    X, y = _data(rng, weights)
    step = int(rng.integers(3, 1000))
    # scratch_dir is a new, empty folder
    later_step, later_weights = int(rng.integers(3, 1000)), _like(rng, weights)
    while later_step == step:
        later_step = int(rng.integers(3, 1000))
    later_files = _grader_files(probe, [[later_weights, later_step]])
    result = probe.restore_empty(folder=str(scratch_dir), weights=weights, X=X, y=y, step=step,
                                 later_files=later_files)
    returned = float(numbers(result["returned"], "restore_latest").reshape(-1)[0])
    if returned == step:
        raise Incorrect(
            _("on a folder with no checkpoint, restore_latest returned {step}, the step the checkpoint already held: "
              "tf.train.latest_checkpoint returns None there, and checkpoint.restore(None) does nothing. Check for "
              "None and return 0", step=step))
    expect_equal(returned, 0, _("restore_latest on a folder with no checkpoint"))
    if result["step"] != step or not result["unchanged"]:
        raise Incorrect(_("restore_latest on a folder with no checkpoint changed the model, the optimizer or the step: "
                          "when there is nothing to restore, touch nothing"))
    # The constant answer of an empty folder counts only with a real restore beside it.
    expect_equal(float(numbers(result["returned_later"], "restore_latest").reshape(-1)[0]), later_step,
                 _("the step restore_latest returned once the same folder held a checkpoint"))
    expect_equal(_flat(result["weights_later"]), _flat(later_weights),
                 _("the weights restore_latest restored once the same folder held a checkpoint"))


# --- train_resumable ---

def _train_case(rng):
    weights = _weights(rng)
    X, y = _data(rng, weights)
    return weights, X, y, int(rng.integers(8, 16))


def _newest(probe, folders, weights):
    """What the newest checkpoint of each folder holds, read by a clean worker."""
    return probe.clean.newest_checkpoints(folders=folders, shapes=_shapes(weights))


def _expect_checkpoint_holds(newest, expected, done):
    """The newest checkpoint holds the run's weights and an Adam that took `done` steps: the
    run is judged by what it saved, not only by what it returned."""
    expect_close(_flat(newest["weights"]), _flat(expected),
                 _("the model's weights in the newest checkpoint (step {done})", done=done))
    if newest["iterations"] != done:
        raise Incorrect(_("the optimizer in the newest checkpoint (step {done}) has taken {iterations} steps: "
                          "track the optimizer in the checkpoint and restore it with the model",
                          done=done, iterations=newest["iterations"]))


def test_train_resumable_trains_with_adam_on_the_mean_squared_error(probe, rng, scratch_dir):
    """The returned weights come from the submission's process; the newest checkpoint (its step, the
    model's variables, Adam's iteration count) is read by a clean worker."""
    weights, X, y, total = _train_case(rng)
    expected, __ = _adam(weights, X, y, total)
    mistakes = {
        _("they match Adam's default learning rate, 0.001; the syllabus asks for Adam(learning_rate=0.01)"):
            _flat(_adam(weights, X, y, total, learning_rate=0.001)[0]),
        _("they match plain SGD(0.01); the syllabus asks for Adam(learning_rate=0.01)"): _flat(_sgd(weights, X, y, total, 0.01)),
        _("they match one step fewer than total_steps"): _flat(_adam(weights, X, y, total - 1)[0]),
        _("they match one step more than total_steps"): _flat(_adam(weights, X, y, total + 1)[0]),
    }
    # make_model() may return a model whose input shape is set, or one built on its first call.
    for built in (True, False):
        kind = _("a built") if built else _("an unbuilt")
        folder = str(scratch_dir / f"built_{built}")
        result = probe.train(folder=folder, weights=weights, X=X, y=y, total_steps=total, built=built)
        expect_close(_weights_of(result, weights, "train_resumable"), _flat(expected),
                     _("the weights after {total} steps of train_resumable with {kind} model",
                       total=total, kind=kind), mistakes=mistakes)
        (newest,) = _newest(probe, [folder], weights)
        if newest["step"] != total:
            raise Incorrect(_("after the run, the newest checkpoint's step is {checkpoint_step}, not "
                              "total_steps={total}: increment checkpoint.step and save after every step",
                              checkpoint_step=newest["step"], total=total))
        _expect_checkpoint_holds(newest, expected, total)


def _expect_checkpointed_step(newest, expected, call, stop, done):
    if newest["step"] != done:
        raise Incorrect(
            _("after call {call} with stop_after={stop}, the newest checkpoint's step is "
              "{checkpoint_step}, not {done}: increment checkpoint.step and save after every step",
              call=call, stop=stop, checkpoint_step=newest["step"], done=done))
    _expect_checkpoint_holds(newest, expected, done)


def test_train_resumable_resumed_in_a_new_process_matches_an_uninterrupted_run(probe, rng, scratch_dir):
    weights, X, y, total = _train_case(rng)
    first = int(rng.integers(2, total // 2))
    second = int(rng.integers(1, min(first, 3) + 1))  # <= first: counting stop_after from 0 shows
    resumed_dir, straight_dir = str(scratch_dir / "interrupted"), str(scratch_dir / "uninterrupted")
    # Each call makes its model with different starting weights, as a fresh model would be:
    # only what the checkpoint restores can make the calls continue one run.
    starts = [weights, _like(rng, weights), _like(rng, weights)]
    after_first, state = _adam(weights, X, y, first)
    after_second, __ = _adam(after_first, X, y, second, state=state)
    # (1) stop after `first` steps; (2) `second` more steps in the same process. The calls'
    # models differ in kind too (built, then unbuilt): the checkpoint must fit either.
    for call, (start, stop, done, expected) in enumerate(
            [(starts[0], first, first, after_first), (starts[1], second, first + second, after_second)], start=1):
        result = probe.train(folder=resumed_dir, weights=start, X=X, y=y, total_steps=total, stop_after=stop,
                             built=call == 1)
        mistakes = {} if call == 1 else {
            _("the second call started over from its fresh make_model() instead of resuming from the checkpoint"):
                _flat(_adam(start, X, y, stop)[0]),
            _("the second call resumed the weights but not the optimizer's state (Adam restarted): restore the "
              "optimizer too"): _flat(_adam(after_first, X, y, stop)[0]),
            _("the second call (stop_after={stop}) made no step: stop_after counts the steps of this call, not "
              "the checkpointed step", stop=stop): _flat(after_first),
        }
        if call == 2 and not result["weights"]:  # its unbuilt model was never called
            raise Incorrect(_("the second call (stop_after={stop}) made no step: stop_after counts the steps of "
                              "this call, not the checkpointed step", stop=stop))
        expect_close(_weights_of(result, weights, "train_resumable"), _flat(expected),
                     _("the weights after call {call} (stop_after={stop}, step {done} in all)",
                       call=call, stop=stop, done=done), mistakes=mistakes)
        _expect_checkpointed_step(_newest(probe, [resumed_dir], weights)[0], expected, call, stop, done)
    # (3) the rest in a new process: nothing survives but the checkpoint folder.
    resumed = probe.fresh.train(folder=resumed_dir, weights=starts[2], X=X, y=y, total_steps=total, built=False)
    straight = probe.train(folder=straight_dir, weights=weights, X=X, y=y, total_steps=total)
    resumed_flat = _weights_of(resumed, weights, "train_resumable")
    straight_flat = _weights_of(straight, weights, "train_resumable")
    if is_close(resumed_flat, straight_flat, rtol=FLOAT32_RTOL, atol_scale=FLOAT32_RTOL / 10):
        expected = _adam(weights, X, y, total)[0]
        for newest in _newest(probe, [resumed_dir, straight_dir], weights):
            _expect_checkpointed_step(newest, expected, 3, None, total)
        return
    rest = total - first - second
    predicted = {
        _("the run resumed in a new process restored the weights but not the optimizer's state: Adam restarted "
          "its moments and bias correction. Track the optimizer in the checkpoint and restore it"):
            _flat(_adam(after_second, X, y, rest)[0]),
        _("the run resumed in a new process started over from its fresh make_model(): restore the newest "
          "checkpoint before training"): _flat(_adam(starts[2], X, y, total)[0]),
    }
    for message, weights_predicted in predicted.items():
        if is_close(resumed_flat, weights_predicted):
            raise Incorrect(message)
    raise Incorrect(_("interrupted after {first} and {value} steps and resumed in a new process, the run ends "
                      "with other weights than an uninterrupted run (largest difference "
                      "{max:.3g})",
                      first=first, value=first + second, max=np.max(np.abs(resumed_flat - straight_flat))))
