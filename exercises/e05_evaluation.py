# %% [markdown]
# # e05 · Evaluation with metrics
#
# Section 5 of the notes (模型的评估：tf.keras.metrics) measures test accuracy batch by
# batch with a Keras metric:
#
# ```python
# sparse_categorical_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
# num_batches = int(data_loader.num_test_data // batch_size)
# for batch_index in range(num_batches):
#     start_index, end_index = batch_index * batch_size, (batch_index + 1) * batch_size
#     y_pred = model.predict(data_loader.test_data[start_index: end_index])
#     sparse_categorical_accuracy.update_state(
#         y_true=data_loader.test_label[start_index: end_index], y_pred=y_pred)
# print("test accuracy: %f" % sparse_categorical_accuracy.result())
# ```
#
# What to do differently from the notes:
# - **Count every example.** `num_test_data // batch_size` batches leave out the last
#   `num_test_data % batch_size` examples. With 1,000 test images and a batch of 64, the
#   notes' loop measures 960 of them. Loop over `range(0, n, batch_size)` instead; the last
#   slice is simply shorter.
# - **Start each evaluation from zero.** A metric accumulates until `reset_state()`. Make a
#   new metric inside the function (or reset it), or a second call reports the first
#   call's examples mixed with its own.
# - `model.predict` prints a progress bar on every call; `model(x, training=False)` (or
#   `model.predict(x, verbose=0)`) is quieter and, for one batch, faster.
#
# Check your work with `python -m autograder check e05`.

# %%
import numpy as np
import tensorflow as tf


# %% [markdown]
# ## evaluate
# Accuracy of `model` (which returns class probabilities) on `X`, `y`, predicting
# `batch_size` rows at a time and feeding each batch to a
# `tf.keras.metrics.SparseCategoricalAccuracy`. Every example counts, including those of
# the last, shorter batch. Return a Python float.

# %%
def evaluate(model, X, y, batch_size):
    """Accuracy in [0, 1], computed batch by batch.

    >>> evaluate(model, loader.test_data, loader.test_label, batch_size=64)  # the MLP trained in e04
    0.921
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %% [markdown]
# ## predict_classes
# The predicted class of every row of `X` (the index of the largest probability), batch by
# batch, as a NumPy array of ints.

# %%
def predict_classes(model, X, batch_size):
    """int class ids, one per row of X.

    >>> predict_classes(model, loader.test_data[:5], batch_size=2)  # loader.test_label[:5] is [9, 1, 1, 7, 0]
    array([9, 1, 1, 7, 0])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %% [markdown]
# ## confusion_matrix
# An int matrix of shape `[num_classes, num_classes]` whose entry `(i, j)` counts the
# examples of true class `i` that the model predicted as class `j`: rows are true labels,
# columns predictions. Pass `num_classes` on, so that classes that never occur still get
# their row and column. (`tf.math.confusion_matrix(labels, predictions, num_classes)` has
# exactly this orientation.)

# %%
def confusion_matrix(model, X, y, num_classes):
    """Rows: true labels; columns: predicted labels.

    >>> matrix = confusion_matrix(model, loader.test_data, loader.test_label, 10)
    >>> matrix.shape, matrix.sum(), matrix[3, 5]  # 1,000 examples; 4 threes taken for fives
    ((10, 10), 1000, 4)
    """
    # YOUR CODE HERE
    raise NotImplementedError()
