"""Probes for e01_tensors (run in the worker)."""
import numpy as np
import tensorflow as tf

from autograder.engine.errortext import cause
from autograder.i18n import N_, _
from autograder.probes.kit import ProbeFailure, as_array, dtype_name, type_name


def describe(sub, value, dtype):
    shape, tensor_dtype, numpy_value = _three(sub.describe(tf.constant(value, dtype=dtype)))
    return {
        "shape_type": type_name(shape),
        "shape_items": [type_name(item) for item in shape] if isinstance(shape, (tuple, list)) else [],
        "shape": [int(item) for item in shape] if isinstance(shape, (tuple, list)) and all(
            isinstance(item, (int, np.integer)) for item in shape) else None,
        "dtype_is_tf_dtype": isinstance(tensor_dtype, tf.DType),
        "dtype": tensor_dtype.name if isinstance(tensor_dtype, tf.DType) else repr(tensor_dtype),
        "value_type": type_name(numpy_value),
        "value_is_numpy": isinstance(numpy_value, (np.ndarray, np.generic)),
        "value": np.asarray(numpy_value) if isinstance(numpy_value, (np.ndarray, np.generic)) else None,
    }


def _three(result):
    if not isinstance(result, tuple) or len(result) != 3:
        if isinstance(result, (tuple, list)):
            raise ProbeFailure(_("describe must return a tuple (shape, dtype, value); it returned a {kind} of length "
                                 "{length}", kind=type_name(result), length=len(result)))
        raise ProbeFailure(_("describe must return a tuple (shape, dtype, value); it returned {kind}",
                             kind=type_name(result)))
    return result


def standardize(sub, x, dtype):
    out = sub.standardize(tf.constant(x, dtype=dtype))
    return {"value": as_array(out, "standardize"), "dtype": dtype_name(out)}


def standardize_in_graph(sub, batches):
    """Runs standardize under tf.function with an unknown number of rows."""
    columns = batches[0].shape[1]
    sub.standardize(tf.constant(batches[0], tf.float32))  # a blank raises here, eagerly
    graph_fn = tf.function(sub.standardize, input_signature=[tf.TensorSpec([None, columns], tf.float32)])
    outputs = [as_array(_in_graph(graph_fn, "standardize", UNKNOWN_ROWS, batch), "standardize") for batch in batches]
    return {"values": outputs, "traces": graph_fn.experimental_get_tracing_count()}


def pairwise_sq_distances(sub, a, b):
    out = sub.pairwise_sq_distances(tf.constant(a, tf.float32), tf.constant(b, tf.float32))
    return as_array(out, "pairwise_sq_distances")


def pairwise_in_graph(sub, pairs):
    """Runs pairwise_sq_distances under tf.function with unknown n and m."""
    dim = pairs[0][0].shape[1]
    sub.pairwise_sq_distances(tf.constant(pairs[0][0], tf.float32), tf.constant(pairs[0][1], tf.float32))
    spec = tf.TensorSpec([None, dim], tf.float32)
    graph_fn = tf.function(sub.pairwise_sq_distances, input_signature=[spec, spec])
    outputs = [as_array(_in_graph(graph_fn, "pairwise_sq_distances", UNKNOWN_ROWS, a, b), "pairwise_sq_distances")
               for a, b in pairs]
    return {"values": outputs, "traces": graph_fn.experimental_get_tracing_count()}


def one_hot(sub, labels, depth):
    out = sub.one_hot(tf.constant(labels, tf.int32), int(depth))
    return {"value": as_array(out, "one_hot"), "dtype": dtype_name(out)}


def one_hot_in_graph(sub, label_sets, depth):
    """Runs one_hot under tf.function whose labels have an unknown shape (rank included)."""
    depth = int(depth)
    sub.one_hot(tf.constant(label_sets[0], tf.int32), depth)  # a blank raises here, eagerly
    graph_fn = tf.function(lambda labels: sub.one_hot(labels, depth),
                           input_signature=[tf.TensorSpec(None, tf.int32)])
    outputs = [_in_graph(graph_fn, "one_hot", UNKNOWN_SHAPE, np.asarray(labels, np.int32)) for labels in label_sets]
    return {"values": [as_array(out, "one_hot") for out in outputs], "dtypes": [dtype_name(out) for out in outputs]}


UNKNOWN_ROWS = N_("an unknown number of rows")
UNKNOWN_SHAPE = N_("labels of unknown shape")


def _in_graph(graph_fn, name, unknown, *arrays):
    """graph_fn on tensors of `arrays` (float arrays as float32, integer arrays as int32)."""
    tensors = [tf.constant(array, tf.int32 if np.asarray(array).dtype.kind in "iu" else tf.float32)
               for array in arrays]
    try:
        return graph_fn(*tensors)
    except Exception as error:
        raise ProbeFailure(_(
            "{name} works eagerly but fails inside tf.function with {unknown} ({error}). Inside a graph a tensor "
            "is symbolic: it has no value yet, so there is no .numpy(), NumPy functions and indexing cannot take "
            "it, and a Python loop over rows cannot run when their number is None. Use TensorFlow ops and "
            "broadcasting.", name=name, unknown=_(unknown),
            error=cause(error)[:300])) from None
