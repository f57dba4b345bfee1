# %% [markdown]
# # e08 · tf.function and tracing
#
# `@tf.function` turns a Python function into a graph (notes, section 9). The first call
# with a new kind of input **traces** it: Python runs the function's body once, and every
# TensorFlow op it meets is recorded into a graph. Later calls of the same kind run the
# graph and skip the Python code. So:
#
# - Python's `print` runs while tracing only; `tf.print` is an op in the graph and runs on
#   every call. `tf.print` writes to the process's standard output (or error) *file
#   descriptor* from C++, not through Python's `sys.stdout` object: redirecting
#   `sys.stdout` in Python does not capture it.
# - What "the same kind" means: tensors of the same dtype and shape reuse a trace whatever
#   their values, and so do NumPy arrays (they are converted to tensors). Python numbers
#   are part of the signature by *value*: `f(1)` and `f(2)` trace twice, and each distinct
#   number makes another graph. Pass tensors (`tf.constant(v, tf.float32)`).
# - A tensor of a new shape traces again. `reduce_retracing=True` makes the second trace
#   generic (shape `[None]`), so it traces twice; an `input_signature` traces once.
# - AutoGraph rewrites a Python `while` whose condition is a tensor into a graph loop (a
#   `While` op), so one graph serves every input. A Python loop over Python values is
#   unrolled into the graph instead, once per trace.
#
# `f.experimental_get_tracing_count()` tells how many times a `tf.function` has traced.
#
# Check your work with `python -m autograder check e08`.

# %%
import sys

import numpy as np
import tensorflow as tf


# %% [markdown]
# ## traced_and_executed
# A `tf.function` that prints `traced` with Python's `print` each time it is traced, prints
# its argument with `tf.print(x, output_stream=sys.stdout)` each time it runs, and returns
# `x + 1`.

# %%
@tf.function
def traced_and_executed(x):
    """Prints "traced" when traced and x on every call; returns x + 1."""
    ### BEGIN SOLUTION
    print("traced")
    tf.print(x, output_stream=sys.stdout)
    return x + 1
    ### END SOLUTION


# %% [markdown]
# ## PREDICTED_TRACES
# The notes call a fresh `tf.function` `f(x)` like this. For each call, predict whether it
# traces (`True`) or reuses a graph (`False`):
#
# ```python
# f(tf.constant(1))             # int32 scalar
# f(tf.constant(2))
# f(np.array(2, np.int32))
# f(tf.constant(0.1))           # float32 scalar
# f(tf.constant(0.2))
# f(1)                          # Python ints
# f(2)
# f(1)
# ```
#
# Write your answer as the list that `_predicted_traces` returns. (`_unless_blank` only
# keeps this file importable while a blank is still empty: the grader then reports that
# exercise as not attempted.)

# %%
def _unless_blank(answer):
    """answer(), or the NotImplementedError of a blank that is still empty."""
    try:
        return answer()
    except NotImplementedError as blank:
        return blank


def _predicted_traces():
    ### BEGIN SOLUTION
    return [True, False, False, True, False, True, True, False]
    ### END SOLUTION


PREDICTED_TRACES = _unless_blank(_predicted_traces)


# %% [markdown]
# ## call_without_retracing
# Call the `tf.function` `fn` (it takes one float32 scalar) once per Python number in
# `values`, so that it traces only once, and return the results as Python numbers.

# %%
def call_without_retracing(fn, values):
    """[fn(v) for v in values] with a single trace of fn.

    >>> call_without_retracing(tf.function(lambda x: 2 * x), [1, 2.5])
    [2.0, 5.0]
    """
    ### BEGIN SOLUTION
    return [float(fn(tf.constant(value, dtype=tf.float32))) for value in values]
    ### END SOLUTION


# %% [markdown]
# ## mean_any_length
# A `tf.function` returning the mean (a float32 scalar) of a non-empty 1-D float32 tensor
# of any length, traced once for all lengths. The body is one line; the work is in the
# decorator (a plain `@tf.function` traces again for every new length). Define the
# decorated function inside `_make_mean_any_length` and return it.

# %%
def _make_mean_any_length():
    ### BEGIN SOLUTION
    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float32)])
    def mean(x):
        """The mean of a 1-D float32 tensor; one graph for every length."""
        return tf.reduce_mean(x)
    return mean
    ### END SOLUTION


mean_any_length = _unless_blank(_make_mean_any_length)


# %% [markdown]
# ## collatz_steps
# A `tf.function` taking an int32 scalar tensor `n >= 1` and returning the number of
# Collatz steps to reach 1 (`n -> n / 2` when even, `3n + 1` when odd). Write the loop as a
# Python `while` on tensors: AutoGraph turns it into a graph loop, so one trace serves
# every `n`.

# %%
@tf.function
def collatz_steps(n):
    """Steps of the Collatz sequence from n down to 1, as a graph while loop."""
    ### BEGIN SOLUTION
    steps = tf.constant(0)
    while n > 1:
        n = tf.where(n % 2 == 0, n // 2, 3 * n + 1)
        steps += 1
    return steps
    ### END SOLUTION
