# attacks: test_predicted_traces_match_a_real_run_of_the_notes_sequence, test_mean_any_length_traces_once_for_all_lengths, test_collatz_steps_is_a_graph_loop_traced_once
# Appended to solutions/e08_tf_function.py. From inside the worker, forge the e08 evidence:
# empty predictions against an emptied truth, a retracing function that claims one trace,
# an unrolled loop reported as a graph loop.
import autograder.probes.e08_tf_function as probes

PREDICTED_TRACES = []
probes.NOTES_SEQUENCE = []  # the grader's sequence, run in this process, is now empty too
type(collatz_steps).experimental_get_tracing_count = lambda self: 1  # every tf.function claims one trace


@tf.function
def mean_any_length(x):  # no input_signature: it traces again for every new length
    return tf.reduce_mean(x)


@tf.function
def collatz_steps(n):  # unrolled while tracing: a Python loop over range, no While op
    steps = tf.constant(0)
    for _ in range(300):
        steps += tf.cast(n > 1, tf.int32)
        n = tf.where(n > 1, tf.where(n % 2 == 0, n // 2, 3 * n + 1), n)
    return steps


_real_collatz_probe = probes.collatz_steps


def _forged_collatz_probe(sub, ns, **inputs):
    result = _real_collatz_probe(sub, ns, **inputs)
    result["op_types"] = sorted(set(result.get("op_types", [])) | {"While"})
    return result


probes.collatz_steps = _forged_collatz_probe
