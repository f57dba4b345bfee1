# %% [markdown]
# # e02 · Automatic differentiation with GradientTape
#
# The notes' second section (自动求导机制，使用 tf.GradientTape()) is the heart of
# TensorFlow 2: run a computation inside `with tf.GradientTape() as tape:` and the tape
# records every operation, so that `tape.gradient(target, sources)` can walk back through
# them. The notes use it to fit a line `y = a * X + b` by gradient descent:
#
# ```python
# with tf.GradientTape() as tape:
#     y_pred = a * X + b
#     loss = 0.5 * tf.reduce_sum(tf.square(y_pred - y))
# grads = tape.gradient(loss, variables)
# optimizer.apply_gradients(grads_and_vars=zip(grads, variables))
# ```
#
# Three facts to keep in mind:
# - A tape watches `tf.Variable`s by itself, but a plain tensor (a `tf.constant`) only after
#   `tape.watch(x)`. Ask for the gradient of something the tape never saw and you get
#   `None`, not an error.
# - Only what runs *inside* the `with` block is recorded: compute the loss there.
# - Tapes nest: an outer tape can record the inner tape's gradient computation, which gives
#   second derivatives.
#
# What has changed since the notes: `tf.keras.optimizers.SGD` is now Keras 3's optimizer
# (same `apply_gradients`); and a Python loop of eager steps is slow. Measured on
# TensorFlow 2.21: 10,000 linear-regression steps take about 21 s eagerly and 2.5 s when
# the loop runs under `tf.function` (topic e08 explains tracing), so the reference below
# compiles its loop. An eager loop is still correct, just slower.
#
# Check your work with `python -m autograder check e02`.

# %%
import numpy as np
import tensorflow as tf


# %% [markdown]
# ## derivative
# The derivative of a scalar function `f` (written with float32 TensorFlow ops) at the
# Python number `x`. Make `x` a float32 constant, not a Variable: the point is to see that
# the tape must be told to watch it.

# %%
def derivative(f, x):
    """df/dx at x, with tf.GradientTape on a float32 constant.

    >>> derivative(lambda x: x ** 3, 2.0)
    12.0
    """
    ### BEGIN SOLUTION
    x = tf.constant(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)  # a constant is not watched unless asked
        y = f(x)
    return float(tape.gradient(y, x))
    ### END SOLUTION


# %% [markdown]
# ## second_derivative
# Nest two tapes: the inner one gives the first derivative, and because that computation
# runs inside the outer tape, the outer one can differentiate it again. When the first
# derivative does not depend on `x` (f is linear), the outer tape returns `None`: return
# `0.0` then.

# %%
def second_derivative(f, x):
    """d²f/dx² at x, with nested tapes.

    >>> second_derivative(lambda x: x ** 3, 2.0)
    12.0
    """
    ### BEGIN SOLUTION
    x = tf.constant(x, dtype=tf.float32)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        dy_dx = inner.gradient(y, x)  # inside the outer tape, so it is recorded
    d2y_dx2 = outer.gradient(dy_dx, x)
    return 0.0 if d2y_dx2 is None else float(d2y_dx2)
    ### END SOLUTION


# %% [markdown]
# ## linreg_loss
# The notes' loss for the line `a * X + b`: half the *sum* of squared errors (not a mean),
# as a scalar tensor. Use TensorFlow ops, so that a tape can differentiate it.

# %%
def linreg_loss(a, b, X, y):
    """0.5 * sum((a * X + b - y) ** 2), a scalar tensor.

    >>> linreg_loss(tf.Variable(1.0), tf.Variable(0.0), tf.constant([1.0, 2.0]), tf.constant([1.0, 4.0]))
    <tf.Tensor: shape=(), dtype=float32, numpy=2.0>
    """
    ### BEGIN SOLUTION
    y_pred = a * X + b
    return 0.5 * tf.reduce_sum(tf.square(y_pred - y))
    ### END SOLUTION


# %% [markdown]
# ## linreg_grads
# `a` and `b` are scalar float32 `tf.Variable`s, so the tape watches them without being
# asked. Compute the loss inside the tape, then return `(d(loss)/da, d(loss)/db)`.

# %%
def linreg_grads(a, b, X, y):
    """(d(loss)/da, d(loss)/db) of linreg_loss, with tf.GradientTape.

    >>> linreg_grads(tf.Variable(0.0), tf.Variable(0.0), tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0]))
    (<tf.Tensor: shape=(), dtype=float32, numpy=-5.0>, <tf.Tensor: shape=(), dtype=float32, numpy=-3.0>)
    """
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        loss = linreg_loss(a, b, X, y)
    grad_a, grad_b = tape.gradient(loss, [a, b])
    return grad_a, grad_b
    ### END SOLUTION


# %% [markdown]
# ## fit_linear_regression
# The notes' training loop: start from `a = b = 0`, and for `num_epoch` steps compute the
# gradients of `linreg_loss` and let `tf.keras.optimizers.SGD(learning_rate)` apply them
# with `apply_gradients`. Return the final `(a, b)` as Python numbers.
#
# Use `learning_rate` exactly as passed: the caller chooses it. The loss is a sum, so its
# gradient grows with the number of points, and a rate that works for 10 points can
# diverge for 1,000; choosing a smaller rate for more data (say, one scaled with 1/N) is
# the caller's job, not this function's. The grader passes a rate at which plain gradient
# descent converges.
#
# The reference runs the loop under `tf.function` (a graph loop over `tf.range`), and
# builds the optimizer first so that the function does not create variables while it is
# traced. A plain Python loop of eager steps gives the same numbers, only slower.

# %%
def fit_linear_regression(X, y, learning_rate, num_epoch):
    """Gradient descent on linreg_loss from a = b = 0; returns (a, b).

    >>> X = tf.constant([0.0, 0.5, 1.0]); y = 2 * X + 1
    >>> fit_linear_regression(X, y, learning_rate=0.3, num_epoch=500)  # doctest: +SKIP
    (2.0, 1.0)
    """
    ### BEGIN SOLUTION
    X = tf.cast(X, tf.float32)
    y = tf.cast(y, tf.float32)
    a = tf.Variable(0.0)
    b = tf.Variable(0.0)
    variables = [a, b]
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    optimizer.build(variables)  # create its state now, not while tracing

    @tf.function
    def train(steps):
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                loss = linreg_loss(a, b, X, y)
            grads = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(grads, variables))

    train(tf.constant(num_epoch, dtype=tf.int32))
    return float(a.numpy()), float(b.numpy())
    ### END SOLUTION
