"""A correct e08 in the TensorFlow 2 handbook's style: decorators, `.numpy()` results, an
if/else inside the AutoGraph while loop, a sum divided by the size for the mean."""
import sys

import tensorflow as tf


@tf.function
def traced_and_executed(x):
    print("traced")
    tf.print(x, output_stream=sys.stdout)
    return x + 1


PREDICTED_TRACES = [True, False, False, True, False, True, True, False]


def call_without_retracing(fn, values):
    return [fn(tf.constant(value, dtype=tf.float32)).numpy() for value in values]


@tf.function(input_signature=(tf.TensorSpec(shape=[None], dtype=tf.float32),))
def mean_any_length(x):
    return tf.reduce_sum(x) / tf.cast(tf.size(x), tf.float32)


@tf.function
def collatz_steps(n):
    count = tf.constant(0)
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        count += 1
    return count
