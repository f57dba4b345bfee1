"""Probes for e08_tf_function (run in the worker).

Evidence about tracing is not taken from the submission's process, which can patch this
module or TensorFlow: the probes that run the submission save the tf.function they called
with `tf.saved_model.save` (`_export`), and `saved_function`, run in a clean worker that
never imports the submission, reads what was traced from that folder (one concrete
function per trace, the graph's op types) and runs the saved graph on inputs that the
submission's process never saw. The truth of the notes' sequence is computed there too.
"""
import contextlib
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from autograder.i18n import _
from autograder.probes.kit import ProbeFailure, as_array, dtype_name, type_name

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
        raise ProbeFailure(_("{name} is not a tf.function ({type_name}): {advice}",
                             name=name, type_name=type_name(value), advice=advice))
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


def traced_and_executed(sub, calls, export_dir):
    """Runs `calls` ([kind, value] pairs) on a fresh tf.function made from the submission's
    Python body (so earlier calls in this process do not count), capturing the output; then
    saves that function's traces into `export_dir`."""
    fn = _tf_function(sub.traced_and_executed, "traced_and_executed", _("decorate it with @tf.function"))
    fresh = tf.function(fn.python_function)
    traced, results, output = [], [], {}
    with _captured(output):
        for kind, value in calls:
            before = fresh.experimental_get_tracing_count()
            result = fresh(_tensor(kind, value))
            traced.append(fresh.experimental_get_tracing_count() > before)
            results.append(as_array(result, "traced_and_executed(x)"))
    count = fresh.experimental_get_tracing_count()
    with _captured({}):  # saving may trace the body again: its print is not the submission's output
        _export(export_dir, fresh)
    return {"traced": traced, "count": count, "results": results, **output}


def predicted_traces(sub):
    """The submission's PREDICTED_TRACES (the truth comes from `notes_truth`)."""
    predicted = _answer(sub, "PREDICTED_TRACES")
    if not isinstance(predicted, (list, tuple)) or not all(isinstance(item, (bool, np.bool_)) for item in predicted):
        raise ProbeFailure(_("PREDICTED_TRACES must be a list of True/False, one per call; it is {predicted!r:.200}",
                             predicted=predicted))
    return {"predicted": [bool(item) for item in predicted]}


def notes_truth(sub):
    """Run in a clean worker (sub is None): the notes' sequence on a fresh tf.function."""

    @tf.function
    def f(x):
        return x

    truth = []
    for kind, value in NOTES_SEQUENCE:
        before = f.experimental_get_tracing_count()
        f(_tensor(kind, value))
        truth.append(f.experimental_get_tracing_count() > before)
    return {"truth": truth}


def call_without_retracing(sub, values, slope, intercept, export_dir):
    """Calls the submission with a fresh tf.function that records what each trace saw."""
    seen = []

    def affine(x):
        seen.append(dtype_name(x) + str(list(x.shape)) if isinstance(x, tf.Tensor) else f"Python {type_name(x)}")
        return tf.cast(x, tf.float32) * slope + intercept

    fn = tf.function(affine)
    results = sub.call_without_retracing(fn, list(values))
    if not isinstance(results, (list, tuple)):
        raise ProbeFailure(_("call_without_retracing must return a list, not {type_name}",
                             type_name=type_name(results)))
    _export(export_dir, fn)
    return {"results": [as_array(item, _("each result")) for item in results], "traces": seen,
            "count": fn.experimental_get_tracing_count()}


def mean_any_length(sub, vectors, export_dir):
    fn = _tf_function(_answer(sub, "mean_any_length"), "mean_any_length",
                      _("decorate it with @tf.function and an input_signature"))
    outputs, dtypes = [], []
    for vector in vectors:
        out = fn(tf.constant(vector, tf.float32))
        outputs.append(as_array(out, "mean_any_length(x)"))
        dtypes.append(dtype_name(out))
    _export(export_dir, fn)
    return {"outputs": outputs, "dtypes": dtypes, "count": fn.experimental_get_tracing_count()}


def collatz_steps(sub, ns, export_dir):
    fn = _tf_function(sub.collatz_steps, "collatz_steps",
                      _("decorate it with @tf.function so that AutoGraph turns the while loop into a graph loop"))
    results = []
    for n in ns:
        try:
            results.append(as_array(fn(tf.constant(n, tf.int32)), f"collatz_steps({n})"))
        except (ProbeFailure, NotImplementedError):
            raise  # a named mistake, or a blank still empty
        except Exception as error:
            lines = str(error).strip().splitlines()
            raise ProbeFailure(
                _("collatz_steps fails on an int32 tensor inside tf.function ({error_type}: "
                  "{value}). A graph has no Python values: keep n a tensor (no int(n), "
                  "no .numpy()), and let AutoGraph convert the while loop (it is off with autograph=False)",
                  error_type=type(error).__name__, value=lines[-1].strip() if lines else '')) from None
    _export(export_dir, fn)
    return {"results": results, "count": fn.experimental_get_tracing_count()}


# --- evidence recomputed in a clean worker ----------------------------------------------

def _export(export_dir, fn):
    """Saves every trace of the tf.function `fn` (one concrete function each) as `fn`."""
    holder = tf.Module()
    holder.fn = fn
    try:
        tf.saved_model.save(holder, export_dir)
    except Exception as error:
        lines = str(error).strip().splitlines()
        raise ProbeFailure(_("the traces of your tf.function could not be saved for the grader to inspect "
                             "({error_type}: {value})", error_type=type(error).__name__, value=lines[0] if lines else '')) from None


# Op types a saved graph of this topic never needs and the clean worker refuses to run:
# files, readers and data pipelines, Python callbacks, checkpoint I/O, summaries.
_REFUSED_OP_PARTS = ("File", "Reader", "Dataset", "Iterator", "Py", "Save", "Restore", "Summary", "Writer",
                     "Checkpoint", "Shard")


def _saved_graph(export_dir):
    """(number of concrete functions of `fn`, op types of every graph they reach)."""
    with open(os.path.join(export_dir, "saved_model.pb"), "rb") as file:
        saved = saved_model_pb2.SavedModel.FromString(file.read(64 << 20))
    meta = saved.meta_graphs[0]
    nodes = meta.object_graph_def.nodes
    names = [nodes[child.node_id].function.concrete_functions for child in nodes[0].children
             if child.local_name == "fn" and nodes[child.node_id].WhichOneof("kind") == "function"]
    if len(names) != 1:
        raise ProbeFailure(_("the saved folder holds no traced function"))
    library = {function.signature.name: function for function in meta.graph_def.library.function}
    reached, todo, op_types, print_streams = set(), list(names[0]), set(), set()
    while todo:
        name = todo.pop()
        if name in reached or name not in library:
            continue
        reached.add(name)
        for node in library[name].node_def:
            op_types.add(node.op)
            if node.op == "PrintV2":
                print_streams.add(node.attr["output_stream"].s.decode(errors="replace"))
            for value in node.attr.values():
                todo += [value.func.name] if value.func.name else [f.name for f in value.list.func]
    return len(names[0]), op_types, print_streams


def _refused(op_types, print_streams):
    refused = sorted(op for op in op_types if any(part in op for part in _REFUSED_OP_PARTS))
    refused += [f"PrintV2 to {stream!r}" for stream in sorted(print_streams) if stream not in ("stdout", "stderr")]
    return refused


def saved_function(sub, export_dir, inputs):
    """Run in a clean worker (sub is None): what the submission's process traced, read
    from `export_dir`, and the saved graph run on `inputs` ([dtype, value] pairs, the value
    a number or a list) with its standard output captured."""
    count, op_types, print_streams = _saved_graph(export_dir)
    refused = _refused(op_types, print_streams)
    if refused:
        raise ProbeFailure(_("the traced graph holds operations the grader does not run: {refused}",
                             refused=', '.join(refused)))
    fn = tf.saved_model.load(export_dir).fn
    outputs, dtypes, errors, output = [], [], [], {}
    with _captured(output):
        for dtype, value in inputs:
            try:
                out = fn(tf.constant(value, dtype))
                outputs.append(np.asarray(out.numpy(), dtype=np.float64))
                dtypes.append(dtype_name(out))
                errors.append(None)
            except Exception as error:  # no saved trace accepts this input
                outputs.append(None)
                dtypes.append(None)
                errors.append(type(error).__name__)
    return {"count": count, "op_types": sorted(op_types), "outputs": outputs, "dtypes": dtypes, "errors": errors,
            **output}
