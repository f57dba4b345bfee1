"""A type-correct e08 stub: every name exists with the right types, none does the work.
It must score 0 (tests/test_stubs.py)."""
import tensorflow as tf


@tf.function
def traced_and_executed(x):
    return x


PREDICTED_TRACES = [True] * 8


def call_without_retracing(fn, values):
    fn(tf.constant(0.0))  # one trace, then constant answers
    return [0.0 for _ in values]


@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
def mean_any_length(x):
    return tf.constant(0.0)


@tf.function
def collatz_steps(n):
    steps = tf.constant(0)
    while n > 1:  # a graph loop that counts n - 1, not the Collatz steps
        n -= 1
        steps += 1
    return steps
