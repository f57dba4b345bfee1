# attacks: test_mean_any_length_matches_numpy, test_collatz_steps_counts_the_steps_to_1
# Appended to solutions/e08_tf_function.py. Its own functions are wrong (mean_any_length
# sums, collatz_steps miscounts by one), and from inside the worker it replaces the probes
# that call them with forgeries that compute the expected values from the check's inputs.
# Both value checks passed while their values came from the submission's process (before
# they came from the saved graph, run in a clean worker on inputs this process never saw).
import autograder.probes.e08_tf_function as probes


@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
def mean_any_length(x):
    return tf.reduce_sum(x)


@tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
def collatz_steps(n):
    steps = tf.constant(1)
    while n > 1:
        n = tf.where(n % 2 == 0, n // 2, 3 * n + 1)
        steps += 1
    return steps


def _collatz(n):
    steps = 0
    while n > 1:
        n, steps = (n // 2 if n % 2 == 0 else 3 * n + 1), steps + 1
    return steps


_real_mean, _real_collatz = probes.mean_any_length, probes.collatz_steps


def _forged_mean(sub, vectors, **inputs):
    result = _real_mean(sub, vectors, **inputs)  # the real traces are saved, as the real probe saves them
    result["outputs"] = [np.float32(np.mean(vector)) for vector in vectors]
    return result


def _forged_collatz(sub, ns, **inputs):
    result = _real_collatz(sub, ns, **inputs)
    result["results"] = [np.int32(_collatz(int(n))) for n in ns]
    return result


probes.mean_any_length, probes.collatz_steps = _forged_mean, _forged_collatz
