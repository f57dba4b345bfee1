"""Probes for e08_tf_function (run in the worker)."""
import contextlib
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf

from autograder.engine.probing import ProbeFailure, as_array, dtype_name, type_name

# The notes' call sequence (section 9), as (kind, value); the checks describe the same calls.
NOTES_SEQUENCE = [("int32", 1), ("int32", 2), ("numpy_int32", 2), ("float32", 0.1), ("float32", 0.2),
                  ("python", 1), ("python", 2), ("python", 1)]


def _answer(sub, name):
    """A module attribute; a blank kept by the exercise's `_unless_blank` is raised again."""
    value = getattr(sub, name)
    if isinstance(value, NotImplementedError):
        raise value
    return value


def _tf_function(value, name, advice):
    if not callable(getattr(value, "experimental_get_tracing_count", None)):
        raise ProbeFailure(f"{name} is not a tf.function ({type_name(value)}): {advice}")
    return value


@contextlib.contextmanager
def _captured(output):
    """Captures what is written to the file descriptors 1 and 2 (Python's print and
    TensorFlow's C++ tf.print alike) into output["stdout"] and output["stderr"]."""
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            yield output
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            for name, file in (("stdout", out), ("stderr", err)):
                file.seek(0)
                output[name] = file.read(1 << 20).decode(errors="replace")


def _tensor(kind, value):
    if kind == "numpy_int32":
        return np.array(value, np.int32)
    if kind == "python":
        return value
    return tf.constant(value, dtype=kind)


def traced_and_executed(sub, calls):
    """Runs `calls` ([kind, value] pairs) on a fresh tf.function made from the submission's
    Python body (so earlier calls in this process do not count), capturing the output."""
    fn = _tf_function(sub.traced_and_executed, "traced_and_executed", "decorate it with @tf.function")
    fresh = tf.function(fn.python_function)
    traced, results, output = [], [], {}
    with _captured(output):
        for kind, value in calls:
            before = fresh.experimental_get_tracing_count()
            result = fresh(_tensor(kind, value))
            traced.append(fresh.experimental_get_tracing_count() > before)
            results.append(as_array(result, "traced_and_executed(x)"))
    return {"traced": traced, "count": fresh.experimental_get_tracing_count(), "results": results, **output}


def predicted_traces(sub):
    """The submission's PREDICTED_TRACES, and the truth: the notes' sequence run on a fresh
    tf.function in this process."""
    predicted = _answer(sub, "PREDICTED_TRACES")
    if not isinstance(predicted, (list, tuple)) or not all(isinstance(item, (bool, np.bool_)) for item in predicted):
        raise ProbeFailure(f"PREDICTED_TRACES must be a list of True/False, one per call; it is {predicted!r:.200}")

    @tf.function
    def f(x):
        return x

    truth = []
    for kind, value in NOTES_SEQUENCE:
        before = f.experimental_get_tracing_count()
        f(_tensor(kind, value))
        truth.append(f.experimental_get_tracing_count() > before)
    return {"predicted": [bool(item) for item in predicted], "truth": truth}


def call_without_retracing(sub, values, slope, intercept):
    """Calls the submission with a fresh tf.function that records what each trace saw."""
    seen = []

    def affine(x):
        seen.append(dtype_name(x) + str(list(x.shape)) if isinstance(x, tf.Tensor) else f"Python {type_name(x)}")
        return tf.cast(x, tf.float32) * slope + intercept

    fn = tf.function(affine)
    results = sub.call_without_retracing(fn, list(values))
    if not isinstance(results, (list, tuple)):
        raise ProbeFailure(f"call_without_retracing must return a list, not {type_name(results)}")
    return {"results": [as_array(item, "each result") for item in results], "traces": seen,
            "count": fn.experimental_get_tracing_count()}


def mean_any_length(sub, vectors):
    fn = _tf_function(_answer(sub, "mean_any_length"), "mean_any_length",
                      "decorate it with @tf.function and an input_signature")
    outputs, dtypes = [], []
    for vector in vectors:
        out = fn(tf.constant(vector, tf.float32))
        outputs.append(as_array(out, "mean_any_length(x)"))
        dtypes.append(dtype_name(out))
    return {"outputs": outputs, "dtypes": dtypes, "count": fn.experimental_get_tracing_count()}


def collatz_steps(sub, ns):
    fn = _tf_function(sub.collatz_steps, "collatz_steps",
                      "decorate it with @tf.function so that AutoGraph turns the while loop into a graph loop")
    results = []
    for n in ns:
        try:
            results.append(as_array(fn(tf.constant(n, tf.int32)), f"collatz_steps({n})"))
        except (ProbeFailure, NotImplementedError):
            raise  # a named mistake, or a blank still empty
        except Exception as error:
            lines = str(error).strip().splitlines()
            raise ProbeFailure(
                f"collatz_steps fails on an int32 tensor inside tf.function ({type(error).__name__}: "
                f"{lines[-1].strip() if lines else ''}). A graph has no Python values: keep n a tensor (no int(n), "
                "no .numpy()), and let AutoGraph convert the while loop (it is off with autograph=False)") from None
    count = fn.experimental_get_tracing_count()
    graph = fn.get_concrete_function(tf.TensorSpec([], tf.int32)).graph
    op_types = sorted({op.type for op in graph.get_operations()})
    return {"results": results, "count": count, "op_types": op_types, "num_ops": len(graph.get_operations())}
