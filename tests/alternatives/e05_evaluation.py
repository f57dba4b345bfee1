import numpy as np
import tensorflow as tf


def _batches(X, batch_size):
    n = int(X.shape[0])
    for start in range(0, n, batch_size):
        yield start, min(start + batch_size, n)


def evaluate(model, X, y, batch_size):
    metric = tf.keras.metrics.SparseCategoricalAccuracy()
    metric.reset_state()
    dataset = tf.data.Dataset.from_tensor_slices((X, y)).batch(batch_size)  # keeps the short last batch
    for X_batch, y_batch in dataset:
        metric.update_state(y_batch, model.predict_on_batch(X_batch))
    return metric.result().numpy().item()


def predict_classes(model, X, batch_size):
    out = np.empty(int(X.shape[0]), dtype=np.int32)
    for start, stop in _batches(X, batch_size):
        probs = model(X[start:stop], training=False)
        out[start:stop] = tf.argmax(probs, axis=1, output_type=tf.int32).numpy()
    return out


def confusion_matrix(model, X, y, num_classes):
    predicted = predict_classes(model, X, batch_size=128)
    true = np.asarray(y).astype(np.int64).reshape(-1)
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix
