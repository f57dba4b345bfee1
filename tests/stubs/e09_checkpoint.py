"""A type-correct e09 stub: every name exists with the right types, none does the work.
It must score 0 (tests/test_stubs.py)."""
import numpy as np
import tensorflow as tf


def make_checkpoint(model, optimizer):
    return tf.train.Checkpoint(step=tf.Variable(0, dtype=tf.int64))


_MANAGERS = {}


def save(checkpoint, directory, max_to_keep):
    # empty checkpoints through a real manager: the folder keeps max_to_keep files
    if directory not in _MANAGERS:
        _MANAGERS[directory] = tf.train.CheckpointManager(tf.train.Checkpoint(), directory, max_to_keep=max_to_keep)
    return _MANAGERS[directory].save()


def restore_latest(checkpoint, directory):
    return 0


def train_resumable(make_model, X, y, total_steps, directory, stop_after=None):
    model = make_model()
    model(tf.constant(X[:1], tf.float32))
    return [variable.numpy() for variable in model.trainable_variables]
