# %% [markdown]
# # e01 · Tensors and eager execution
#
# The notes open with the biggest change in TensorFlow 2: **eager execution is the
# default** (最大的区别是默认模式为动态模式). An operation runs the moment you call it and
# gives back a `tf.Tensor` holding its value; no session, no placeholders.
#
# A tensor is an array with three things you will use all the time (notes, section 1):
# `A.shape`, `A.dtype` and `A.numpy()`.
#
# What has changed since the notes: nothing in this section, but two habits from NumPy do
# not carry over to `tf.function` (topic e08): `.numpy()` does not exist inside a graph,
# and a dimension may be unknown (`None`) there. Write tensor code with TensorFlow ops and
# broadcasting, and it works in both worlds.
#
# Check your work with `python -m autograder check e01`.

# %%
import numpy as np
import tensorflow as tf


# %% [markdown]
# ## describe
# Return the tensor's shape as a tuple of Python ints, its dtype (a `tf.DType`) and its
# value as a NumPy array (a NumPy scalar for a 0-d tensor).

# %%
def describe(t):
    """(shape, dtype, value) of a tensor.

    >>> describe(tf.constant([[1.0, 2.0]]))
    ((1, 2), tf.float32, array([[1., 2.]], dtype=float32))
    """
    ### BEGIN SOLUTION
    return tuple(t.shape.as_list()), t.dtype, t.numpy()
    ### END SOLUTION


# %% [markdown]
# ## standardize
# Subtract each column's mean and divide by that column's population standard deviation
# (divide by n, as `np.std` does by default). Use TensorFlow ops only, so the function also
# runs inside `tf.function` when the number of rows is unknown.

# %%
def standardize(x):
    """Column-wise (x - mean) / std of a 2-D float tensor, in x's dtype.

    >>> standardize(tf.constant([[1.0], [3.0]]))
    <tf.Tensor: shape=(2, 1), dtype=float32, numpy=array([[-1.], [ 1.]], dtype=float32)>
    """
    ### BEGIN SOLUTION
    mean = tf.reduce_mean(x, axis=0, keepdims=True)
    std = tf.math.reduce_std(x, axis=0, keepdims=True)
    return (x - mean) / std
    ### END SOLUTION


# %% [markdown]
# ## pairwise_sq_distances
# `a` is `[n, d]` and `b` is `[m, d]`. Return the `[n, m]` matrix whose entry `(i, j)` is
# `sum((a[i] - b[j]) ** 2)`, by broadcasting: no Python loop over rows.

# %%
def pairwise_sq_distances(a, b):
    """Squared Euclidean distance between every row of a and every row of b.

    >>> pairwise_sq_distances(tf.constant([[0.0, 0.0]]), tf.constant([[3.0, 4.0], [1.0, 0.0]]))
    <tf.Tensor: shape=(1, 2), dtype=float32, numpy=array([[25.,  1.]], dtype=float32)>
    """
    ### BEGIN SOLUTION
    difference = a[:, tf.newaxis, :] - b[tf.newaxis, :, :]
    return tf.reduce_sum(tf.square(difference), axis=-1)
    ### END SOLUTION


# %% [markdown]
# ## one_hot
# Integer labels of any shape to a float32 one-hot tensor of shape
# `labels.shape + [depth]`. Write it with TensorFlow ops: it must also work inside a
# `tf.function` whose labels have an unknown shape. There the labels are a symbolic tensor
# with no value yet, so `labels.numpy()` and NumPy indexing (`np.eye(depth)[labels]`)
# cannot work, although they do in eager mode.

# %%
def one_hot(labels, depth):
    """float32 one-hot encoding.

    >>> one_hot(tf.constant([2, 0]), 3)
    <tf.Tensor: shape=(2, 3), dtype=float32, numpy=array([[0., 0., 1.], [1., 0., 0.]], dtype=float32)>
    """
    ### BEGIN SOLUTION
    return tf.one_hot(labels, depth, dtype=tf.float32)
    ### END SOLUTION
