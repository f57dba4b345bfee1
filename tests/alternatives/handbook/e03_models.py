"""A correct e03 in the TensorFlow 2 handbook's style: the layer keeps its weights as
self.w and self.b (zero-initialised, made with add_variable in build), exposed under the
names the exercise asks for; unbuilt subclassed models; tf.matmul; a NumPy sum to count."""
import numpy as np
import tensorflow as tf


class Linear(tf.keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):  # input_shape: the shape of the first call's inputs
        self.w = self.add_variable(name='w', shape=[input_shape[-1], self.units],
                                   initializer=tf.zeros_initializer())
        self.b = self.add_variable(name='b', shape=[self.units], initializer=tf.zeros_initializer())

    @property
    def kernel(self):  # the exercise's names, as Keras's own Dense has them
        return self.w

    @property
    def bias(self):
        return self.b

    def call(self, inputs):
        y_pred = tf.matmul(inputs, self.w) + self.b
        return y_pred


class LinearModel(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.layer = Linear(units=1)

    def call(self, inputs):
        output = self.layer(inputs)
        return output


class MLP(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.dense1 = tf.keras.layers.Dense(units=100, activation=tf.nn.relu)
        self.dense2 = tf.keras.layers.Dense(units=10)

    def call(self, inputs):
        x = self.flatten(inputs)
        x = self.dense1(x)
        x = self.dense2(x)
        output = tf.nn.softmax(x)
        return output


def count_params(model):
    return np.sum([np.prod(variable.shape) for variable in model.trainable_variables])
