# %% [markdown]
# # e03 · Models and layers
#
# The notes' third section (Model and layer) shows the pattern every custom model
# follows: subclass `tf.keras.Model`, make the layers in `__init__`, and use them in
# `call`:
#
# ```python
# class MyModel(tf.keras.Model):
#     def __init__(self):
#         super().__init__()
#         self.layer1 = tf.keras.layers.Dense(...)   # layers are made here, once
#     def call(self, input):
#         return self.layer1(input)                  # and used here, on every call
# ```
#
# A custom *layer* is written the same way, with one more method: `build(input_shape)`.
# Keras calls it once, on the first call, when the size of the input is known at last; that
# is where the layer makes its weights with `self.add_weight(...)`. Before the first call
# a layer has no weights at all.
#
# What has changed since the notes: `tf.keras` is Keras 3 now (TensorFlow 2.21).
# - `super().__init__()` is all you need (the notes' Python 2 form is gone).
# - A layer's state must be made in `__init__` or `build`. `add_weight` inside `call`
#   fails ("You cannot add new elements of state ... to a layer that is already built"),
#   and a layer made inside `call` is a new, untrained layer on every call.
# - A plain `tf.Variable` stored on a Keras 3 layer is *not* tracked: it is missing from
#   `layer.weights` and `trainable_variables`, so no optimizer would ever train it. Use
#   `add_weight`.
# - `model.variables` (the notes' training loop) also lists non-trainable state, such as
#   batch normalization's moving averages; train `model.trainable_variables`.
#
# Check your work with `python -m autograder check e03`.

# %%
import numpy as np
import tensorflow as tf


# %% [markdown]
# ## Linear
# A fully connected layer without activation: `Linear(units)`. Its weights are made in
# `build(input_shape)` with `add_weight`: a kernel of shape `[input_dim, units]` and a
# bias of shape `[units]`, both trainable, any initializer. Keep them in the attributes
# `self.kernel` and `self.bias`, the names Keras's own `Dense` uses (one check asks for
# these names; the others find the weights by their shapes). `call(x)` returns
# `x @ kernel + bias`.

# %%
class Linear(tf.keras.layers.Layer):
    """x @ kernel + bias, with weights made on the first call.

    >>> layer = Linear(3)
    >>> layer.weights
    []
    >>> layer(tf.ones([2, 5])).shape
    TensorShape([2, 3])
    >>> [tuple(w.shape) for w in layer.weights]
    [(5, 3), (3,)]
    """

    def __init__(self, units):
        ### BEGIN SOLUTION
        super().__init__()
        self.units = units
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, self.units),
                                      initializer="glorot_uniform", trainable=True)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros", trainable=True)
        ### END SOLUTION

    def call(self, x):
        ### BEGIN SOLUTION
        return x @ self.kernel + self.bias
        ### END SOLUTION


# %% [markdown]
# ## LinearModel
# The notes' linear model: one `Linear(1)` layer, made in `__init__`. It maps
# `[batch, features]` to `[batch, 1]`, for any number of features.

# %%
class LinearModel(tf.keras.Model):
    """One Linear(1) layer.

    >>> LinearModel()(tf.ones([4, 3])).shape
    TensorShape([4, 1])
    """

    def __init__(self):
        ### BEGIN SOLUTION
        super().__init__()
        self.linear = Linear(1)
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        return self.linear(inputs)
        ### END SOLUTION


# %% [markdown]
# ## MLP
# The multilayer perceptron the notes train on MNIST (topic e04): flatten the
# `[batch, 28, 28, 1]` images, then `Dense(100, relu)`, `Dense(10)` and a softmax, so
# that each output row holds 10 class probabilities. Make the layers in `__init__`.
# It has 784·100 + 100 + 100·10 + 10 = 79,510 trainable parameters.
#
# It must train: the gradient of a loss of its output reaches every trainable variable.
# The notes decorate `call` with `@tf.function` before saving a model; on Keras 3 that
# makes every gradient `None` ("No gradients provided for any variable"), so leave `call`
# undecorated and put `tf.function` on the training step (topic e04) or on a separate
# serving function (topic e06) instead.

# %%
class MLP(tf.keras.Model):
    """Flatten, Dense(100, relu), Dense(10), softmax.

    >>> MLP()(tf.zeros([2, 28, 28, 1])).shape
    TensorShape([2, 10])
    """

    def __init__(self):
        ### BEGIN SOLUTION
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.dense1 = tf.keras.layers.Dense(units=100, activation=tf.nn.relu)
        self.dense2 = tf.keras.layers.Dense(units=10)
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        x = self.flatten(inputs)   # [batch, 784]
        x = self.dense1(x)         # [batch, 100]
        x = self.dense2(x)         # [batch, 10], logits
        return tf.nn.softmax(x)    # probabilities: each row sums to 1
        ### END SOLUTION


# %% [markdown]
# ## count_params
# The number of trainable scalars of a built model: add up the sizes of
# `model.trainable_variables`. (Keras's own `model.count_params()` counts the
# non-trainable weights too.)

# %%
def count_params(model):
    """Number of trainable scalars, as an int.

    >>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    >>> count_params(model)
    8
    """
    ### BEGIN SOLUTION
    return int(sum(np.prod(variable.shape) for variable in model.trainable_variables))
    ### END SOLUTION
