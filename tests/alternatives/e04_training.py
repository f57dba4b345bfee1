import numpy as np
import tensorflow as tf


class MNISTLoader:
    """MNIST from the course's .npz; batches come from a shuffled permutation, epoch by epoch."""

    def __init__(self, path):
        data = dict(np.load(path))
        to_images = lambda a: tf.cast(tf.reshape(a, [-1, 28, 28, 1]), tf.float32).numpy() / np.float32(255.0)
        self.train_data = to_images(data["x_train"])
        self.test_data = to_images(data["x_test"])
        self.train_label = np.asarray(data["y_train"], dtype=np.int32).reshape(-1)
        self.test_label = np.asarray(data["y_test"], dtype=np.int32).reshape(-1)
        self.num_train_data = len(self.train_label)
        self.num_test_data = len(self.test_label)
        self._rng = np.random.default_rng()
        self._order = np.empty(0, dtype=np.int64)

    def get_batch(self, batch_size):
        # Without replacement: walk through a random permutation, refilling when it runs out.
        while len(self._order) < batch_size:
            self._order = np.concatenate([self._order, self._rng.permutation(self.num_train_data)])
        index, self._order = self._order[:batch_size], self._order[batch_size:]
        X = tf.gather(self.train_data, index)
        y = tf.gather(self.train_label, index)
        return X, y


def loss_fn(y_true, y_pred):
    probs = tf.convert_to_tensor(y_pred)
    labels = tf.reshape(tf.cast(y_true, tf.int32), [-1])
    picked = tf.gather(probs, labels, axis=1, batch_dims=1)
    eps = 1e-7
    return -tf.reduce_mean(tf.math.log(tf.clip_by_value(picked, eps, 1.0)))


def train_step(model, optimizer, X, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(X, training=True))
    variables = model.trainable_variables
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(list(zip(gradients, variables)))
    return loss


def train(model, data_loader, num_epochs, batch_size, learning_rate):
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)

    @tf.function
    def compiled_step(X, y):  # a closure over this call's model and optimizer
        return train_step(model, optimizer, X, y)

    total = (data_loader.num_train_data // batch_size) * num_epochs
    history = []
    for _ in range(int(total)):
        X, y = data_loader.get_batch(batch_size)
        loss = compiled_step(tf.cast(X, tf.float32), tf.cast(y, tf.int32))
        history.append(loss.numpy().item())
    return history
