"""A type-correct e03 stub: the layers and models have the right weights, layers and
shapes, but compute nothing with them (constant outputs), and count_params counts
nothing. It must score 0 (tests/test_stubs.py)."""
import tensorflow as tf


class Linear(tf.keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
        self.bias = self.add_weight(shape=(self.units,))

    def call(self, x):
        return tf.zeros([tf.shape(x)[0], self.units]) + 0.0 * tf.reduce_sum(self.kernel) * tf.reduce_sum(self.bias)


class LinearModel(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.linear = Linear(1)

    def call(self, inputs):
        return self.linear(inputs)


class MLP(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.dense1 = tf.keras.layers.Dense(100, activation="relu")
        self.dense2 = tf.keras.layers.Dense(10)

    def call(self, inputs):
        logits = self.dense2(self.dense1(self.flatten(inputs)))
        return tf.ones_like(logits) / 10.0 + 0.0 * logits  # uniform rows; the gradients exist and are finite


def count_params(model):
    return 0
