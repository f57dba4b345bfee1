import numpy as np
import tensorflow as tf


class Linear(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=[int(input_shape[-1]), self.units], initializer="random_normal")
        self.bias = self.add_weight(shape=[self.units], initializer="random_normal")
        super().build(input_shape)

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel) + self.bias


class LinearModel(tf.keras.Model):
    def __init__(self):
        super().__init__()
        # Tracked inside a list, and inside a container: Sequential adds an InputLayer of
        # its own when first called, which is not a layer of the model.
        self.parts = [tf.keras.Sequential([Linear(units=1)])]

    def call(self, x):
        for part in self.parts:
            x = part(x)
        return x


class MLP(tf.keras.Model):
    def __init__(self):
        super().__init__()
        # Nested Sequential, reshape instead of Flatten, softmax as the Dense activation.
        self.net = tf.keras.Sequential([
            tf.keras.layers.Dense(100, activation="relu"),
            tf.keras.layers.Dense(10, activation="softmax"),
        ])

    def call(self, x):
        return self.net(tf.reshape(x, [-1, 784]))


def count_params(model):
    return tf.add_n([tf.size(v) for v in model.trainable_weights])  # an int32 tensor
