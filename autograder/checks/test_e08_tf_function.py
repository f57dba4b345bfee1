"""Checks for e08_tf_function: traced_and_executed, PREDICTED_TRACES, call_without_retracing,
mean_any_length, collatz_steps.

Trace counts, op types, the truth of the notes' sequence and the values of the tf.functions
(traced_and_executed, mean_any_length, collatz_steps) come from a clean worker that never
imports the submission (`probe.clean`): it reads the traces the submission's process saved
and runs them on inputs that process never saw. A check that counts traces runs the
submission in a process of its own (`probe.fresh`), so it counts only its own traces.

Two answers can only come from the submission's process, because they are plain Python
values: PREDICTED_TRACES, and the list call_without_retracing returns. A probe there is
never told the expected answer, so forging them means computing it.
"""
import numpy as np

from autograder.expect import expect_close, expect_equal, numbers
from autograder.i18n import N_, _
from autograder.outcomes import Incorrect

# The notes' call sequence; the probe runs the same calls (autograder/probes/e08_tf_function.py).
NOTES_CALLS = ["f(tf.constant(1))", "f(tf.constant(2))", "f(np.array(2, np.int32))", "f(tf.constant(0.1))",
               "f(tf.constant(0.2))", "f(1)", "f(2)", "f(1)"]
# Why each call does what it does in TensorFlow 2.21 (the check compares with a real run).
WHY = [N_("the first call always traces"),
       N_("an int32 scalar tensor again: tensors of the same dtype and shape reuse the trace whatever their value"),
       N_("a NumPy array is converted to a tensor, so np.array(2, np.int32) reuses the int32 scalar trace"),
       N_("a float32 tensor is a new dtype, so it traces"),
       N_("another float32 scalar tensor reuses the float32 trace"),
       N_("a Python number is part of the signature by value: the first f(1) traces"),
       N_("f(2) is a new Python value, so it traces again"),
       N_("f(1) was seen before, so it reuses that trace")]
MEASURED = [True, False, False, True, False, True, True, False]


# --- traced_and_executed ------------------------------------------------------------------

def _calls(rng):
    """int32, int32, float32, float32, int32: two traces, one per dtype."""
    ints = [int(v) for v in rng.choice(np.arange(-50, 50), size=3, replace=False)]
    floats = [float(v) / 4 for v in rng.choice(np.arange(-200, 200), size=2, replace=False) * 2 + 1]
    return [["int32", ints[0]], ["int32", ints[1]], ["float32", floats[0]], ["float32", floats[1]], ["int32", ints[2]]]


def _saved(probe, scratch_dir, inputs):
    """What the clean worker reads from the traces saved in scratch_dir/traces."""
    return probe.clean.saved_function(export_dir=str(scratch_dir / "traces"), inputs=inputs)


def test_traced_and_executed_traces_once_per_dtype(probe, rng, scratch_dir):
    calls = _calls(rng)
    result = probe.traced_and_executed(calls=calls, export_dir=str(scratch_dir / "traces"))
    for (kind, value), out in zip(calls, result["results"]):
        expect_close(out, value + 1, f"traced_and_executed({kind} {value})", mistakes={
            _("it returns x itself: return x + 1"): value})
    replay = [["int32", int(rng.integers(100, 200))], ["float32", float(rng.integers(100, 200)) + 0.5]]
    saved = _saved(probe, scratch_dir, replay)
    for (kind, value), out in zip(replay, saved["outputs"]):
        if out is None:
            raise Incorrect(_("the saved traces of traced_and_executed do not accept a {kind} scalar", kind=kind))
        expect_close(out, value + 1, _("the saved trace of traced_and_executed on a {kind} scalar", kind=kind))
    if saved["count"] != 2:
        traced, reused = _("traced"), _("reused")
        shown = ", ".join(f"{kind} {value}: {traced if t else reused}" for (kind, value), t in zip(calls, result["traced"]))
        raise Incorrect(_("a tf.function should trace once per dtype here (experimental_get_tracing_count() = 2), "
                          "but it traced {count} times ({shown})", count=saved['count'], shown=shown))


def _number(line):
    try:
        return float(line)
    except ValueError:
        return None


def test_traced_and_executed_prints_traced_when_tracing_and_x_on_every_call(probe, rng, scratch_dir):
    calls = _calls(rng)
    result = probe.traced_and_executed(calls=calls, export_dir=str(scratch_dir / "traces"))
    lines = [line.strip() for line in result["stdout"].splitlines() if line.strip()]
    expected = ["traced", calls[0][1], calls[1][1], "traced", calls[2][1], calls[3][1], calls[4][1]]
    traced_lines = sum(line == "traced" for line in lines)
    values = [_number(line) for line in lines if line != "traced"]
    if any("Tensor(" in line for line in lines):
        raise Incorrect(_("the value was printed with Python's print, which runs only while tracing (it shows a "
                          "symbolic Tensor, not the value): print x with tf.print(x, output_stream=sys.stdout)"))
    if traced_lines == len(calls):
        raise Incorrect(_("`traced` was printed on every call: it should be printed by Python's print, which runs "
                          "only while tracing (tf.print runs on every call)"))
    if traced_lines != 2:
        raise Incorrect(_("`traced` should be printed once per trace (2 traces here), but it was printed "
                          "{traced_lines} times on standard output", traced_lines=traced_lines))
    stderr_values = [_number(line) for line in result["stderr"].splitlines() if _number(line.strip()) is not None]
    if not values and len(stderr_values) >= len(calls):
        raise Incorrect(_("the values went to standard error: tf.print writes to stderr by default; pass "
                          "output_stream=sys.stdout"))
    if len(values) != len(calls) or None in values:
        raise Incorrect(_("x should be printed once per call ({count} calls) with tf.print; standard output "
                          "was {lines}", count=len(calls), lines=lines))
    printed = [line if line == "traced" else _number(line) for line in lines]
    plus_one = [item if item == "traced" else item + 1 for item in expected]
    if printed == plus_one:
        raise Incorrect(_("it prints x + 1: print the argument x itself"))
    if printed != expected:
        raise Incorrect(_("standard output should be {expected} for the calls {calls}, got {lines}",
                          expected=expected, calls=calls, lines=lines))
    # The values printed on every call are printed by the graph itself: replayed in a clean
    # worker, the saved traces print them again.
    replay = [["int32", int(rng.integers(100, 200))], ["float32", float(rng.integers(100, 200)) + 0.5]]
    replayed = [_number(line.strip()) for line in _saved(probe, scratch_dir, replay)["stdout"].splitlines()
                if line.strip()]
    if replayed != [value for __, value in replay]:
        raise Incorrect(_("run again from its saved graph, traced_and_executed printed {replayed} for the values "
                          "{value}: print x with tf.print(x, output_stream=sys.stdout)",
                          replayed=replayed, value=[value for __, value in replay]))


# --- PREDICTED_TRACES ---------------------------------------------------------------------

def test_predicted_traces_match_a_real_run_of_the_notes_sequence(probe):
    """PREDICTED_TRACES is a plain value of the submission's process; the truth is a clean worker's run."""
    predicted = probe.predicted_traces()["predicted"]
    truth = probe.clean.notes_truth()["truth"]  # never from the submission's process
    if len(predicted) != len(truth):
        raise Incorrect(_("PREDICTED_TRACES should hold {count} booleans, one per call of the notes' "
                          "sequence; it holds {count2}", count=len(truth), count2=len(predicted)))
    wrong = [i for i in range(len(truth)) if predicted[i] != truth[i]]
    if not wrong:
        return
    i = wrong[0]
    if truth == MEASURED:
        reason = _(WHY[i])
    else:
        reason = _("it traces in a real run") if truth[i] else _("it reuses a trace in a real run")
    raise Incorrect(_("{wrong} of {total} predictions differ from a real run; e.g. call {number}, {call}: {verdict} "
                      "({reason})", wrong=len(wrong), total=len(truth), number=i + 1, call=NOTES_CALLS[i],
                      verdict=_("traces") if truth[i] else _("does not trace"), reason=reason))


# --- call_without_retracing ---------------------------------------------------------------

def _values(rng):
    floats = [round(float(v), 3) for v in rng.normal(scale=5, size=4)]
    ints = [int(v) for v in rng.choice(np.arange(-9, 10), size=3, replace=False)]
    values = floats + ints
    return [values[i] for i in rng.permutation(len(values))]


def _affine_results(result, values, slope, intercept):
    expected = [slope * v + intercept for v in values]
    out = [numbers(item, _("each result")) for item in result["results"]]
    if len(out) != len(values):
        raise Incorrect(_("call_without_retracing should return one result per value ({count}), got {count2}",
                          count=len(values), count2=len(out)))
    if any(item.shape != () for item in out):
        raise Incorrect(_("each result should be a single number (a scalar), e.g. float(fn(...))"))
    expect_close(np.array(out), expected, _("call_without_retracing(fn, {values}) for fn(x) = {slope:.3g} x + "
                   "{intercept:.3g}", values=values, slope=slope, intercept=intercept))


def test_call_without_retracing_returns_fn_of_each_value(probe, rng, scratch_dir):
    """The list call_without_retracing returns can only come from the submission's process (a plain
    Python function's return value); the probe is sent the values, never fn's results."""
    values = _values(rng)
    slope, intercept = float(rng.uniform(0.5, 3)), float(rng.uniform(-2, 2))
    result = probe.call_without_retracing(values=values, slope=slope, intercept=intercept,
                                          export_dir=str(scratch_dir / "traces"))
    _affine_results(result, values, slope, intercept)


def test_call_without_retracing_traces_once(probe, rng, scratch_dir):
    values = _values(rng)
    slope, intercept = float(rng.uniform(0.5, 3)), float(rng.uniform(-2, 2))
    result = probe.call_without_retracing(values=values, slope=slope, intercept=intercept,
                                          export_dir=str(scratch_dir / "traces"))
    _affine_results(result, values, slope, intercept)  # one trace counts only with the right results
    traces, count = result["traces"], _saved(probe, scratch_dir, [])["count"]
    if count == 1:
        return
    if any(trace.startswith("Python") for trace in traces):
        raise Incorrect(_("Python numbers passed straight in: fn traced {count} times for {count2} "
                          "values, because each new Python number is a new signature. Pass "
                          "tf.constant(v, dtype=tf.float32)", count=count, count2=len(values)))
    if any(not trace.startswith("float32") for trace in traces):
        raise Incorrect(_("fn traced {count} times, with inputs {traces}: an int becomes an int32 tensor "
                          "(tf.constant(3) is int32) and NumPy's floats are float64. Pass dtype=tf.float32",
                          count=count, traces=traces))
    raise Incorrect(_("fn traced {count} times (inputs {traces}); it should trace once", count=count, traces=traces))


# --- mean_any_length ----------------------------------------------------------------------

def _expect_means(vectors, outputs, dtypes, where=""):
    for vector, out, dtype in zip(vectors, outputs, dtypes):
        expect_close(out, vector.mean(), _("mean_any_length of a vector of length {count}{where}",
                                           count=len(vector), where=where), mistakes={
            _("it sums: return the mean, tf.reduce_mean(x)"): vector.sum()})
        if dtype != "float32":
            raise Incorrect(_("mean_any_length returned {dtype}; it should be a float32 scalar", dtype=dtype))


def test_mean_any_length_matches_numpy(probe, rng, scratch_dir):
    lengths = rng.choice(np.arange(1, 40), 4, replace=False)
    traced = [rng.normal(loc=rng.uniform(-3, 3), size=int(n)) for n in lengths]
    probe.mean_any_length(vectors=traced, export_dir=str(scratch_dir / "traces"))
    # The values that count are the saved graph's, on new vectors of the lengths it was traced for.
    vectors = [rng.normal(loc=rng.uniform(-3, 3), size=int(n)) for n in lengths]
    saved = _saved(probe, scratch_dir, [["float32", v.tolist()] for v in vectors])
    for vector, out in zip(vectors, saved["outputs"]):
        if out is None:
            raise Incorrect(_("the saved graph of mean_any_length does not accept a float32 vector of length {count}, "
                              "a length it was called with", count=len(vector)))
    _expect_means(vectors, saved["outputs"], saved["dtypes"])


def test_mean_any_length_traces_once_for_all_lengths(probe, rng, scratch_dir):
    lengths = rng.choice(np.arange(1, 400), size=9, replace=False)
    seen, unseen = [rng.normal(size=int(n)) for n in lengths[:6]], [rng.normal(size=int(n)) for n in lengths[6:]]
    # In a process of its own, so that only this check's calls are counted.
    result = probe.fresh.mean_any_length(vectors=seen, export_dir=str(scratch_dir / "traces"))
    _expect_means(seen, result["outputs"], result["dtypes"])  # one trace counts only with the right means
    saved = _saved(probe, scratch_dir, [["float32", v.tolist()] for v in unseen])
    count = saved["count"]
    if count == 2:
        raise Incorrect(_("it traced twice: reduce_retracing=True makes the second trace generic, but one trace is "
                          "required. Give an input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float32)]"))
    if count > 2:
        raise Incorrect(_("it traced {count} times for {count2} lengths: every new shape traces a plain "
                          "tf.function again. Give an input_signature with shape [None]",
                          count=count, count2=len(seen)))
    expect_equal(count, 1, _("the number of traces of mean_any_length"))
    if None in saved["outputs"]:
        raise Incorrect(_("its one trace does not accept vectors of other lengths: give an input_signature with "
                          "shape [None]"))
    _expect_means(unseen, saved["outputs"], ["float32"] * len(unseen), _(" (its saved trace, on a new length)"))


# --- collatz_steps ------------------------------------------------------------------------

def _collatz(n):
    steps = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def _ns(rng):
    return [1, 2] + [int(n) for n in rng.choice(np.arange(3, 10_000), size=5, replace=False)]


def _expect_collatz(ns, results):
    expected = [_collatz(n) for n in ns]
    expect_close(np.array([numbers(r, "collatz_steps(n)") for r in results]), expected,
                 _("collatz_steps for n = {ns}", ns=ns), mistakes={
                     _("it counts the starting number too: count the steps (n = 1 takes 0 steps)"):
                         [s + 1 for s in expected],
                     _("it returns the final n (always 1), not the number of steps"): [1] * len(ns),
                 })


def test_collatz_steps_counts_the_steps_to_1(probe, rng, scratch_dir):
    traced = _ns(rng)
    probe.collatz_steps(ns=traced, export_dir=str(scratch_dir / "traces"))
    # The counts that count are the saved graph's, on numbers the submission's process never saw.
    ns = [1, 2] + [int(n) for n in rng.choice(np.setdiff1d(np.arange(3, 10_000), traced), size=5, replace=False)]
    ns = [ns[i] for i in rng.permutation(len(ns))]
    saved = _saved(probe, scratch_dir, [["int32", n] for n in ns])
    if None in saved["outputs"]:
        raise Incorrect(_("its one trace does not accept every int32 scalar n"))
    _expect_collatz(ns, saved["outputs"])


def test_collatz_steps_is_a_graph_loop_traced_once(probe, rng, scratch_dir):
    ns = _ns(rng)
    result = probe.fresh.collatz_steps(ns=ns, export_dir=str(scratch_dir / "traces"))
    _expect_collatz(ns, result["results"])  # a graph loop counts only when it counts the right steps
    unseen = [int(n) for n in rng.choice(np.arange(10_000, 100_000), size=3, replace=False)]
    saved = _saved(probe, scratch_dir, [["int32", n] for n in unseen])
    if not {"While", "StatelessWhile"} & set(saved["op_types"]):
        raise Incorrect(_("the traced graph has no While op ({count} op types): the loop was "
                          "unrolled while tracing (a Python loop over Python values, such as range(...), runs at trace "
                          "time). Write `while n > 1:` with n a tensor, so that AutoGraph makes it a tf.while_loop",
                          count=len(saved['op_types'])))
    if saved["count"] != 1:
        raise Incorrect(_("collatz_steps traced {count} times for int32 scalars; one trace should serve "
                          "every n", count=saved['count']))
    if None in saved["outputs"]:
        raise Incorrect(_("its one trace does not accept every int32 scalar n"))
    _expect_collatz(unseen, saved["outputs"])
