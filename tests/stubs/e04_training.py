"""A type-correct e04 stub: every name exists with the right types, none does the work.
It must score 0 (tests/test_stubs.py)."""
import numpy as np
import tensorflow as tf


class MNISTLoader:
    def __init__(self, path):
        with np.load(path) as data:  # the counts are right; the images and labels are noise
            self.num_train_data, self.num_test_data = len(data["x_train"]), len(data["x_test"])
        rng = np.random.default_rng(0)
        self.train_data = rng.random((self.num_train_data, 28, 28, 1), dtype=np.float32)
        self.test_data = rng.random((self.num_test_data, 28, 28, 1), dtype=np.float32)
        self.train_label = rng.integers(0, 10, self.num_train_data).astype(np.int32)
        self.test_label = rng.integers(0, 10, self.num_test_data).astype(np.int32)

    def get_batch(self, batch_size):
        index = np.random.randint(0, self.num_train_data, batch_size)
        return self.train_data[index], self.train_label[index]


def loss_fn(y_true, y_pred):
    return tf.constant(0.0)


def train_step(model, optimizer, X, y):
    return tf.constant(0.0)


def train(model, data_loader, num_epochs, batch_size, learning_rate):
    batches = data_loader.num_train_data // batch_size * num_epochs
    for _ in range(batches):
        data_loader.get_batch(batch_size)
    return [0.0] * batches
