# attacks: test_export_model_works_for_a_model_never_called, test_export_model_leaves_the_model_trainable
# Appended to solutions/e06_savedmodel.py. Its export_model writes nothing, and from inside
# the worker it replaces the probes of the never-called and stays-trainable checks with
# forgeries that report a perfect export: a signature of [None, *input_shape] float32 and
# served outputs equal to the model's. Both checks passed while the probe in the
# submission's process served the folder and reported the model's outputs (before a clean
# worker read the folder, and the weights SGD reached after the export, itself).
import autograder.probes.e06_savedmodel as probes


def export_model(model, export_dir, input_shape):
    return None


def _perfect(input_shape, outputs, xs):
    values = [np.zeros((len(x), outputs)) for x in xs]
    return {"input_shape": [None, *input_shape], "input_dtype": "float32", "outputs": values,
            "errors": [None] * len(xs), "expected": values}


def _never_called(sub, export_dir, input_shape, hidden=1, outputs=1, xs=(), **rest):
    return _perfect(input_shape, outputs, xs)


def _then_train(sub, export_dir, input_shape, hidden=1, outputs=1, xs=(), **rest):
    return {"variables": 4, "none_gradients": [0] * len(xs) or 0, "call_is_tf_function": False,
            "served": _perfect(input_shape, outputs, xs)}


probes.export_never_called, probes.export_then_train = _never_called, _then_train
