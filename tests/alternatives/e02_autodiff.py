import numpy as np
import tensorflow as tf


def derivative(f, x):
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    with tf.GradientTape() as g:
        g.watch(x)
        y = f(x)
    return g.gradient(y, x)  # a tensor, not a float


def second_derivative(f, x):
    # One persistent tape that records its own first gradient, instead of two nested tapes.
    x = tf.constant(x)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = f(x)
        d = t.gradient(y, x)
    dd = t.gradient(d, x)
    return 0.0 if dd is None else dd.numpy()


def linreg_loss(a, b, X, y):
    return tf.reduce_sum((a * X + b - y) ** 2) / 2


def linreg_grads(a, b, X, y):
    with tf.GradientTape() as tape:
        loss = linreg_loss(a, b, X, y)
    return tape.gradient(loss, [a, b])  # a list, not a tuple


def fit_linear_regression(X, y, learning_rate, num_epoch):
    # The notes' eager loop, word for word; returns the Variables themselves.
    a = tf.Variable(initial_value=0.)
    b = tf.Variable(initial_value=0.)
    variables = [a, b]
    optimizer = tf.keras.optimizers.SGD(learning_rate)
    for e in range(num_epoch):
        with tf.GradientTape() as tape:
            y_pred = a * X + b
            loss = 0.5 * tf.reduce_sum(tf.square(y_pred - y))
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, variables))
    return a, b
