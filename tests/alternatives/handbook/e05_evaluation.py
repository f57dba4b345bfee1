"""A correct e05 in the TensorFlow 2 handbook's style: the handbook's evaluation loop with
model.predict and a SparseCategoricalAccuracy fed by update_state, its batch count
rounded up so the last, shorter batch is measured too, and a counting loop for the matrix."""
import numpy as np
import tensorflow as tf


def evaluate(model, X, y, batch_size):
    sparse_categorical_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
    num_test_data = np.shape(X)[0]
    num_batches = int(np.ceil(num_test_data / batch_size))
    for batch_index in range(num_batches):
        start_index, end_index = batch_index * batch_size, (batch_index + 1) * batch_size
        y_pred = model.predict(X[start_index: end_index])
        sparse_categorical_accuracy.update_state(y_true=y[start_index: end_index], y_pred=y_pred)
    print("test accuracy: %f" % sparse_categorical_accuracy.result())
    return sparse_categorical_accuracy.result().numpy()


def predict_classes(model, X, batch_size):
    num_batches = int(np.ceil(np.shape(X)[0] / batch_size))
    y_pred = []
    for batch_index in range(num_batches):
        start_index, end_index = batch_index * batch_size, (batch_index + 1) * batch_size
        y_pred.append(tf.argmax(model.predict(X[start_index: end_index]), axis=-1).numpy())
    return np.concatenate(y_pred)


def confusion_matrix(model, X, y, num_classes):
    y_pred = predict_classes(model, X, batch_size=50)
    matrix = np.zeros([num_classes, num_classes], dtype=np.int32)
    for true_label, pred_label in zip(np.asarray(y), y_pred):
        matrix[true_label, pred_label] += 1
    return matrix
