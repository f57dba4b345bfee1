"""A correct e08 written differently: tf.function() calls, a tuple of NumPy/Python bools, np.float32
scalars, an input_signature of unknown rank, an explicit tf.while_loop with reduce_retracing."""
import sys
import numpy as np
import tensorflow as tf


def _body(x):
    tf.print(x, output_stream=sys.stdout)
    print("traced")
    return tf.add(x, 1)


traced_and_executed = tf.function(_body)

PREDICTED_TRACES = (np.bool_(True), False, False, True, False, True, True, False)


def call_without_retracing(fn, values):
    return [fn(np.float32(v)).numpy() for v in values]


mean_any_length = tf.function(lambda x: tf.reduce_sum(x) / tf.cast(tf.size(x), tf.float32),
                              input_signature=[tf.TensorSpec(None, tf.float32)])


@tf.function(reduce_retracing=True)
def collatz_steps(n):
    def body(n, steps):
        return tf.where(n % 2 == 0, n // 2, 3 * n + 1), steps + 1
    return tf.while_loop(lambda n, steps: n > 1, body, (n, tf.constant(0)))[1]
