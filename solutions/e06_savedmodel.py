# %% [markdown]
# # e06 · SavedModel
#
# The notes save a whole model with `tf.saved_model.save(model, '/home/models/1/')` and load
# it back with `tf.saved_model.load`, with no Python class needed (sections 6 and 7). The
# folder holds the graph and the variables, so a server, or a process that never saw your
# code, can run it.
#
# What is true today (TensorFlow 2.21, where `tf.keras` is Keras 3), measured in this
# course's environment:
#
# - **Don't decorate a Keras 3 model's `call` with `@tf.function`** (the notes' advice).
#   The first call builds the layers' weights inside that trace; every later call with the
#   same input signature reuses it, and there the tape sees no variable: every gradient is
#   `None`, and training stops with "No gradients provided for any variable". Put
#   `tf.function` on a separate serving function (or on the training step) instead.
# - `tf.saved_model.save` of a subclassed model keeps only its `signatures` (and the
#   variables): the loaded object is not callable and has no `call`. With no signature
#   given, the `serving_default` it writes has the **batch size** of the model's first call
#   fixed in it, `(1, ...)` after `model(tf.zeros([1, ...]))`.
# - Keras's `model.export(dir)` writes a SavedModel with two endpoints, `serve` and
#   `serving_default`, and the loaded object keeps `trainable_variables`. It refuses a model
#   that was never called ("has not yet been built"): that is the notes' section 7 warning,
#   still true. Call the model once, e.g. on `tf.zeros([1, *input_shape])`, before saving.
# - The notes say a SavedModel "seemingly cannot continue training". It can: its variables
#   come back as variables, and a `GradientTape` through `serve` gives their gradients.
#
# Check your work with `python -m autograder check e06`.

# %%
import numpy as np
import tensorflow as tf


# %% [markdown]
# ## export_model
# Write a SavedModel whose `serving_default` signature takes float32 `[None, *input_shape]`
# (any batch size) and returns the model's output. The model may never have been called.
# Leave the model as trainable as it was: no `tf.function` on its `call`.

# %%
def export_model(model, export_dir, input_shape):
    """Save `model` to `export_dir` with a serving_default for any batch size.

    >>> model = tf.keras.Sequential([tf.keras.layers.Dense(2)])   # never called
    >>> export_model(model, "/tmp/dense2", (3,))
    >>> tf.saved_model.load("/tmp/dense2").signatures["serving_default"](tf.ones([5, 3]))
    {'output_0': <tf.Tensor: shape=(5, 2), dtype=float32, numpy=...>}
    """
    ### BEGIN SOLUTION
    model(tf.zeros([1, *input_shape]))  # build its weights (the notes' section 7)
    spec = tf.TensorSpec([None, *input_shape], tf.float32)  # None: any batch size
    model.export(export_dir, input_signature=[spec], verbose=False)
    ### END SOLUTION


# %% [markdown]
# ## load_and_predict
# Load any SavedModel whose `serving_default` has one input and one output (from
# `export_model`, from `model.export`, from `tf.saved_model.save`) and return its
# predictions for the float32 `x` as a NumPy array. Don't assume the output's name:
# a signature returns a dict, and its one value is the prediction. Keep the loaded object
# in a variable while you use its functions: `tf.saved_model.load(d).serve(x)` lets it be
# garbage-collected first, and the call fails with "variables which have been deleted".

# %%
def load_and_predict(export_dir, x):
    """Predictions of the SavedModel in `export_dir` through serving_default.

    >>> load_and_predict("/tmp/dense2", np.ones([5, 3], np.float32)).shape
    (5, 2)
    """
    ### BEGIN SOLUTION
    loaded = tf.saved_model.load(export_dir)  # keep it: its functions need its variables
    outputs = loaded.signatures["serving_default"](tf.constant(x, tf.float32))  # {name: tensor}
    (prediction,) = outputs.values()
    return prediction.numpy()
    ### END SOLUTION


# %% [markdown]
# ## fine_tune_loaded
# Load a SavedModel written by `model.export`, and keep training it: `steps` steps of SGD on
# the mean squared error between `loaded.serve(X)` and `y`, updating the variables the
# loaded object exposes as `trainable_variables`. Return the loss before the first update
# and the loss after the last one.

# %%
def fine_tune_loaded(export_dir, X, y, steps, learning_rate):
    """(loss_before, loss_after) of SGD on a loaded SavedModel's variables.

    >>> before, after = fine_tune_loaded("/tmp/dense2", X, y, steps=10, learning_rate=0.05)
    >>> after < before
    True
    """
    ### BEGIN SOLUTION
    loaded = tf.saved_model.load(export_dir)
    X, y = tf.constant(X, tf.float32), tf.constant(y, tf.float32)
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)

    def loss():
        return tf.reduce_mean(tf.square(loaded.serve(X) - y))

    loss_before = float(loss())
    for _ in range(steps):
        with tf.GradientTape() as tape:
            value = loss()
        grads = tape.gradient(value, loaded.trainable_variables)
        optimizer.apply_gradients(zip(grads, loaded.trainable_variables))
    return loss_before, float(loss())
    ### END SOLUTION
