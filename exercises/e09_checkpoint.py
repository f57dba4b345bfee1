# %% [markdown]
# # e09 · Checkpoints
#
# A checkpoint saves the values of variables, not the program (notes, section 10):
# `tf.train.Checkpoint(myModel=model)` names what to track, `checkpoint.save(prefix)`
# writes the values, and `checkpoint.restore(tf.train.latest_checkpoint(folder))` puts
# them back into objects that your own code built again. The keyword is the key: values
# saved under `myModel` only go back into a checkpoint that tracks something under
# `myModel`.
#
# What to add to the notes today:
#
# - **Track the optimizer too** (the notes mention it in passing). Adam keeps an iteration
#   count and two moment variables per weight; resume without them and the next steps
#   differ from an uninterrupted run.
# - `tf.train.latest_checkpoint(folder)` returns `None` when the folder holds no checkpoint,
#   and `checkpoint.restore(None)` silently does nothing. Check for `None` yourself.
# - `checkpoint.save` keeps every checkpoint it writes. `tf.train.CheckpointManager(
#   checkpoint, folder, max_to_keep=3)` numbers them, deletes the oldest and remembers the
#   newest in the folder's `checkpoint` file (a new manager on the same folder reads it).
# - A restore never complains by itself when names do not match: it returns a status whose
#   `assert_existing_objects_matched()` (or `assert_consumed()`) raises when some of your
#   objects found no saved value. Call it when a silent mismatch would hurt. One catch in
#   Keras 3: the optimizer tracks the model's variables too, so when both checkpoints hold
#   the optimizer, the weights come back through it even under a wrong model key, and no
#   assertion fires; a checkpoint of the model alone shows the mismatch.
#
# Check your work with `python -m autograder check e09`.

# %%
import numpy as np
import tensorflow as tf


# %% [markdown]
# ## make_checkpoint
# A `tf.train.Checkpoint` tracking the model, the optimizer and a new int64 `step` variable
# (starting at 0), under exactly the names `model`, `optimizer` and `step`.

# %%
def make_checkpoint(model, optimizer):
    """A checkpoint of model, optimizer and an int64 step counter.

    >>> checkpoint = make_checkpoint(model, tf.keras.optimizers.Adam())
    >>> int(checkpoint.step)
    0
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %% [markdown]
# ## save
# Save through a `tf.train.CheckpointManager` that keeps at most `max_to_keep` checkpoints
# in `directory`; return the path of the checkpoint written.

# %%
def save(checkpoint, directory, max_to_keep):
    """Save `checkpoint` into `directory`, keeping the newest `max_to_keep`.

    >>> save(checkpoint, "/tmp/run", max_to_keep=3)
    '/tmp/run/ckpt-1'
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %% [markdown]
# ## restore_latest
# Restore the newest checkpoint in `directory` into `checkpoint` and return its `step` as a
# Python int. When there is none, return 0 and touch nothing.

# %%
def restore_latest(checkpoint, directory):
    """Restore the newest checkpoint in `directory`; its step, or 0 if there is none.

    >>> restore_latest(make_checkpoint(model, optimizer), "/tmp/empty")
    0
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %% [markdown]
# ## train_resumable
# `make_model()` returns a new Keras model on every call. It may come with its input shape
# already set (built, e.g. made with `tf.keras.Input`) or unbuilt (no weights before its
# first call); the check tries both, so don't call `model.build(...)` on it blindly (a built
# `Sequential` refuses): let the first call `model(X)` build it, or build only `if not
# model.built`. A restore into an unbuilt model waits for its variables and fills them in
# as they are created.
#
# Train a fresh `make_model()` with `Adam(learning_rate=0.01)` on the mean squared error over
# the whole `(X, y)`, one step at a time, saving a checkpoint (with `make_checkpoint` and
# `save`) after every step, until the checkpointed `step` reaches `total_steps`. With
# `stop_after`, return after that many steps of this call. Called again on the same
# `directory`, continue from the newest checkpoint, optimizer state included, so that an
# interrupted run ends exactly where an uninterrupted one does. Return the values of
# `model.trainable_variables` as NumPy arrays.

# %%
def train_resumable(make_model, X, y, total_steps, directory, stop_after=None):
    """Train for `total_steps` checkpointed steps in all, resuming from `directory`.

    >>> first = train_resumable(make_model, X, y, 20, "/tmp/run", stop_after=5)
    >>> rest = train_resumable(make_model, X, y, 20, "/tmp/run")   # steps 6 to 20
    """
    # YOUR CODE HERE
    raise NotImplementedError()
