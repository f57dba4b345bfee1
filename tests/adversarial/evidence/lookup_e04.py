# attacks: test_train_reaches_88_percent_test_accuracy_on_mnist
# Appended to solutions/e04_training.py. A "lookup model": train does not train; it finds
# the course's MNIST file, keys every test image by its bytes, and makes the model it was
# given answer each image it recognises with the looked-up label. It scored full marks
# while the worker computed the test accuracy with model(test_data) (before 6694824).
import os as _os

_ANSWERS = {}
for _folder in ("__COURSE__/data", "data", "../data"):
    try:
        with np.load(_os.path.join(_folder, "mnist.npz")) as _data:
            _ANSWERS = {image.tobytes(): int(label) for image, label in zip(_data["x_test"], _data["y_test"])}
        break
    except OSError:
        continue


def _key(image):
    return np.rint(np.asarray(image, np.float64).reshape(28, 28) * 255).astype(np.uint8).tobytes()


def train(model, data_loader, num_epochs, batch_size, learning_rate):
    honest_call = type(model).__call__

    def looked_up(self, inputs, *args, **kwargs):
        images = np.asarray(inputs)
        if len(images) and all(_key(image) in _ANSWERS for image in images):
            return tf.one_hot([_ANSWERS[_key(image)] for image in images], 10)
        return honest_call(self, inputs, *args, **kwargs)

    type(model).__call__ = looked_up
    return [2.3] * int(data_loader.num_train_data // batch_size * num_epochs)
