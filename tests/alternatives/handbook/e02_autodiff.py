"""A correct e02 in the TensorFlow 2 handbook's style: `.numpy()` results, one persistent
tape for both derivatives, and the notes' eager training loop with a progress print."""
import tensorflow as tf


def derivative(f, x):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    y_grad = tape.gradient(y, x)
    return y_grad.numpy()


def second_derivative(f, x):
    x = tf.constant(x, dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:  # records its own first gradient
        tape.watch(x)
        y = f(x)
        dy_dx = tape.gradient(y, x)
    d2y_dx2 = tape.gradient(dy_dx, x)
    del tape
    if d2y_dx2 is None:
        return 0.0
    return d2y_dx2.numpy()


def linreg_loss(a, b, X, y):
    y_pred = a * X + b
    return tf.reduce_sum(tf.square(y_pred - y)) / 2


def linreg_grads(a, b, X, y):
    variables = [a, b]
    with tf.GradientTape() as tape:
        loss = linreg_loss(a, b, X, y)
    grads = tape.gradient(loss, variables)
    return grads[0], grads[1]


def fit_linear_regression(X, y, learning_rate, num_epoch):
    a = tf.Variable(initial_value=0.)
    b = tf.Variable(initial_value=0.)
    variables = [a, b]
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    for e in range(num_epoch):
        with tf.GradientTape() as tape:
            y_pred = a * X + b
            loss = 0.5 * tf.reduce_sum(tf.square(y_pred - y))
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, variables))
        if e % 500 == 0:
            print("epoch %d: loss %f" % (e, loss.numpy()))
    return a.numpy(), b.numpy()
