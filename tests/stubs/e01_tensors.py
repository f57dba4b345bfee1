"""A type-correct e01 stub: every name exists with the right types, dtypes and shapes, none
does the work. It must score 0 (tests/test_stubs.py)."""
import numpy as np
import tensorflow as tf


def describe(t):
    return (), tf.float32, np.float32(0.0)


def standardize(x):
    return tf.zeros_like(x)  # keeps the dtype and the shape, and works in a graph


def pairwise_sq_distances(a, b):
    return tf.zeros([tf.shape(a)[0], tf.shape(b)[0]], a.dtype)


def one_hot(labels, depth):
    return tf.zeros(tf.concat([tf.shape(labels), [depth]], axis=0), tf.float32)
