"""A correct e01 in the TensorFlow 2 handbook's style: tf.* functions spelled out
(tf.expand_dims, tf.matmul, tf.equal), the shape as tuple(t.shape), the population
standard deviation written by hand, one_hot by comparing with tf.range."""
import tensorflow as tf


def describe(t):
    return tuple(t.shape), t.dtype, t.numpy()


def standardize(x):
    mean = tf.reduce_mean(x, axis=0)
    std = tf.sqrt(tf.reduce_mean(tf.square(x - mean), axis=0))
    return (x - mean) / std


def pairwise_sq_distances(a, b):
    # |a|^2 - 2ab + |b|^2, with matrix products instead of a broadcast difference
    a_sq = tf.reduce_sum(tf.square(a), axis=1, keepdims=True)       # [n, 1]
    b_sq = tf.reduce_sum(tf.square(b), axis=1, keepdims=True)       # [m, 1]
    return a_sq - 2.0 * tf.matmul(a, b, transpose_b=True) + tf.transpose(b_sq)


def one_hot(labels, depth):
    classes = tf.range(depth, dtype=labels.dtype)
    return tf.cast(tf.equal(tf.expand_dims(labels, axis=-1), classes), dtype=tf.float32)
