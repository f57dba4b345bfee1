"""A correct e06 written differently: a tf.Module wrapper with an explicit tf.function serving
signature saved by tf.saved_model.save, the input name read from structured_input_signature,
and fine-tuning with a GradientTape and manual assign_sub instead of a Keras optimizer."""
import numpy as np
import tensorflow as tf


class _Server(tf.Module):
    """Tracks the (already built) model and serves it for any batch size."""

    def __init__(self, model, input_shape):
        super().__init__()
        self.model = model
        spec = tf.TensorSpec(shape=(None,) + tuple(input_shape), dtype=tf.float32, name="inputs")
        self.predict = tf.function(self._predict, input_signature=[spec])

    def _predict(self, inputs):
        return {"predictions": self.model(inputs)}


def export_model(model, export_dir, input_shape):
    input_shape = tuple(int(d) for d in input_shape)
    # Build the weights first (notes, section 7) with a batch of 2 real-looking values.
    model(np.ones((2,) + input_shape, dtype=np.float32))
    server = _Server(model, input_shape)
    tf.saved_model.save(server, export_dir,
                        signatures={"serving_default": server.predict.get_concrete_function()})


def load_and_predict(export_dir, x):
    loaded = tf.saved_model.load(export_dir)
    fn = loaded.signatures["serving_default"]
    _, kwargs_spec = fn.structured_input_signature
    (input_name,) = kwargs_spec.keys()
    result = fn(**{input_name: tf.convert_to_tensor(np.asarray(x, dtype=np.float32))})
    (output_name,) = fn.structured_outputs.keys()
    return np.asarray(result[output_name])


def fine_tune_loaded(export_dir, X, y, steps, learning_rate):
    loaded = tf.saved_model.load(export_dir)
    X = tf.convert_to_tensor(np.asarray(X, dtype=np.float32))
    y = tf.convert_to_tensor(np.asarray(y, dtype=np.float32))
    variables = list(loaded.trainable_variables)

    def mse():
        return tf.reduce_mean(tf.math.squared_difference(loaded.serve(X), y))

    before = mse().numpy().item()
    for _ in range(int(steps)):
        with tf.GradientTape() as tape:
            loss = mse()
        for variable, grad in zip(variables, tape.gradient(loss, variables)):
            if grad is not None:
                variable.assign_sub(learning_rate * grad)
    after = mse().numpy().item()
    return before, after
