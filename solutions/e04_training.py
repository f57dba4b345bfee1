# %% [markdown]
# # e04 · The training loop
#
# Section 4 of the notes (模型的训练：loss 和 optimizer) trains a model on MNIST with a
# loop you will write here piece by piece:
#
# ```python
# num_batches = int(data_loader.num_train_data // batch_size * num_epochs)
# for batch_index in range(num_batches):
#     X, y = data_loader.get_batch(batch_size)
#     with tf.GradientTape() as tape:
#         y_pred = model(X)
#         loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=y, y_pred=y_pred)
#         loss = tf.reduce_mean(loss)
#     grads = tape.gradient(loss, model.variables)
#     optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
# ```
#
# The course ships the data: `data/mnist.npz` holds 4,000 real MNIST digits (3,500 for
# training, 500 for testing; `data/mnist.md` says where they come from). Nothing is
# downloaded. The grader keeps 1,000 more digits of its own: when your work is graded, the
# accuracy of your training is measured on them.
#
# What has changed since the notes:
# - Take the gradients with respect to `model.trainable_variables`. `model.variables` also
#   holds variables that training must not touch (a batch-norm layer's moving averages,
#   for example), whose gradients are `None`.
# - With Keras 3 an eager step like the one above is slow: about 40 ms for this small
#   model here, against about 3 ms for the same step under `tf.function`. `train` below
#   compiles the step, making a new `tf.function` for each call of `train`, because a
#   `tf.function` may create variables (Adam's moment estimates) only on its first call:
#   one module-level `@tf.function` step would fail for the second model you train.
#
# Check your work with `python -m autograder check e04`.

# %%
import numpy as np
import tensorflow as tf


# %% [markdown]
# ## MNISTLoader
# Load an `.npz` file in the course's format: `x_train` (uint8 `[N, 28, 28]`), `y_train`
# (integers `[N]`), `x_test`, `y_test`. Keep the images as float32 `[N, 28, 28, 1]` scaled
# to `[0, 1]` (divide the uint8 pixels by 255) and the labels as int32, and count the
# examples. `get_batch(batch_size)` returns a random batch of training images with *their*
# labels: draw one array of indices and use it for both.

# %%
class MNISTLoader:
    """The course's MNIST file, with random training batches.

    >>> loader = MNISTLoader("data/mnist.npz")
    >>> loader.train_data.shape, loader.num_test_data
    ((3500, 28, 28, 1), 500)
    >>> X, y = loader.get_batch(50)
    """

    def __init__(self, path):
        ### BEGIN SOLUTION
        with np.load(path, allow_pickle=False) as data:
            self.train_data = np.expand_dims(data["x_train"].astype(np.float32) / 255.0, axis=-1)
            self.test_data = np.expand_dims(data["x_test"].astype(np.float32) / 255.0, axis=-1)
            self.train_label = data["y_train"].astype(np.int32)
            self.test_label = data["y_test"].astype(np.int32)
        self.num_train_data = self.train_data.shape[0]
        self.num_test_data = self.test_data.shape[0]
        ### END SOLUTION

    def get_batch(self, batch_size):
        """A random batch (X, y) of training examples, drawn with replacement."""
        ### BEGIN SOLUTION
        index = np.random.randint(0, self.num_train_data, batch_size)
        return self.train_data[index, :], self.train_label[index]
        ### END SOLUTION


# %% [markdown]
# ## loss_fn
# The mean sparse categorical cross-entropy of *probabilities* (the model ends with a
# softmax, so its rows sum to 1): `-log(y_pred[i, y_true[i]])` averaged over the batch. A
# scalar. Leave `from_logits` at its default, `False`: the outputs are not logits.

# %%
def loss_fn(y_true, y_pred):
    """Mean cross-entropy of integer labels and predicted probabilities.

    >>> loss_fn(tf.constant([0]), tf.constant([[0.5, 0.5]]))
    <tf.Tensor: shape=(), dtype=float32, numpy=0.6931471824645996>
    """
    ### BEGIN SOLUTION
    loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=y_true, y_pred=y_pred)
    return tf.reduce_mean(loss)
    ### END SOLUTION


# %% [markdown]
# ## train_step
# One step of the loop: run the model and `loss_fn` under a `tf.GradientTape`, take the
# gradients with respect to `model.trainable_variables`, apply them with
# `optimizer.apply_gradients`, and return the loss (the one computed before the update).
# Leave it a plain function: `train` decides whether to compile it.

# %%
def train_step(model, optimizer, X, y):
    """One training step; returns the loss before the update.

    >>> loss = train_step(model, tf.keras.optimizers.Adam(1e-3), X, y)
    """
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        y_pred = model(X)
        loss = loss_fn(y, y_pred)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
    ### END SOLUTION


# %% [markdown]
# ## train
# The notes' loop: `num_train_data // batch_size * num_epochs` batches, each from
# `data_loader.get_batch(batch_size)`, with `tf.keras.optimizers.Adam(learning_rate=...)`.
# Return the loss of every batch as a list of Python floats. The check trains its own MLP
# with your `train` and requires at least 0.88 test accuracy (on the 500 test images of
# `data/mnist.npz` when you check, on the grader's 1,000 when you are graded). Then it
# trains it again on the same images with the digits relabelled (every 3 called a 7, say)
# and expects the model to follow the new labels: learn from the batches `get_batch` gives.

# %%
def train(model, data_loader, num_epochs, batch_size, learning_rate):
    """Train `model` with Adam; returns the loss of every batch.

    >>> losses = train(model, MNISTLoader("data/mnist.npz"), 5, 50, 1e-3)
    >>> len(losses)
    350
    """
    ### BEGIN SOLUTION
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    step = tf.function(train_step)  # new for each call: its first trace creates Adam's variables
    num_batches = int(data_loader.num_train_data // batch_size * num_epochs)
    losses = []
    for batch_index in range(num_batches):
        X, y = data_loader.get_batch(batch_size)
        loss = step(model, optimizer, tf.convert_to_tensor(X, tf.float32), tf.convert_to_tensor(y, tf.int32))
        losses.append(float(loss))
    return losses
    ### END SOLUTION
