"""A correct e06 in the TensorFlow 2 handbook's style: the model is built by calling it on a
batch (the notes' warning), then saved with tf.saved_model.save and a serving signature that
is a tf.function with an input_signature (not the model's call, whose gradients it would
cut); loading with tf.saved_model.load; the handbook's eager GradientTape loop with print."""
import numpy as np
import tensorflow as tf


def export_model(model, export_dir, input_shape):
    model(tf.zeros([1] + list(input_shape)))

    @tf.function(input_signature=[tf.TensorSpec([None] + list(input_shape), tf.float32)])
    def serve(inputs):
        return {"output": model(inputs)}

    tf.saved_model.save(model, export_dir, signatures={"serving_default": serve})


def load_and_predict(export_dir, x):
    model = tf.saved_model.load(export_dir)
    infer = model.signatures["serving_default"]
    y_pred = infer(tf.constant(x, dtype=tf.float32))
    return list(y_pred.values())[0].numpy()


def fine_tune_loaded(export_dir, X, y, steps, learning_rate):
    model = tf.saved_model.load(export_dir)
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    X, y = tf.constant(X, dtype=tf.float32), tf.constant(y, dtype=tf.float32)
    losses = []
    for step in range(steps + 1):
        with tf.GradientTape() as tape:
            y_pred = model.serve(X)
            loss = tf.reduce_mean(tf.square(y_pred - y))
        print("step %d: loss %f" % (step, loss.numpy()))
        losses.append(loss.numpy())
        if step == steps:
            break
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.trainable_variables))
    return losses[0], losses[-1]
