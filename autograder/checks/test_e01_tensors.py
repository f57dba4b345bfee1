"""Checks for e01_tensors: describe, standardize, pairwise_sq_distances, one_hot."""
import numpy as np

from autograder.expect import expect_close, expect_equal
from autograder.i18n import _
from autograder.outcomes import Incorrect


def _columns(rng, rows, cols):
    """Columns whose means sit within a few standard deviations of zero (float32-friendly)."""
    scales = rng.uniform(0.5, 5.0, size=cols)
    return rng.normal(size=(rows, cols)) * scales + rng.uniform(-2, 2, size=cols) * scales


def test_describe_shape_is_a_tuple_of_ints(probe, rng):
    for shape in ([], [int(rng.integers(1, 6))], list(rng.integers(1, 5, size=3))):
        result = probe.describe(value=rng.normal(size=shape), dtype="float32")
        if result["shape_type"] == "tensorflow.python.framework.tensor_shape.TensorShape":
            raise Incorrect(_("the shape is a TensorShape: convert it to a tuple of ints, e.g. tuple(t.shape.as_list())"))
        if result["shape_type"] != "tuple":
            raise Incorrect(_("the shape should be a tuple, got {kind}", kind=result["shape_type"]))
        if result["shape"] is None:
            raise Incorrect(_("the shape should hold Python ints, got {items}", items=", ".join(result["shape_items"])))
        expect_equal(result["shape"], shape, _("the shape of a tensor of shape {shape}", shape=tuple(shape)))


def test_describe_returns_dtype_and_numpy_value(probe, rng):
    for shape, dtype in (([], "float64"), ([int(rng.integers(2, 6)), 3], "float32"), ([4], "int32")):
        value = rng.normal(size=shape) * 10
        result = probe.describe(value=value, dtype=dtype)
        if not result["dtype_is_tf_dtype"]:
            raise Incorrect(_("the dtype should be the tensor's tf.DType (t.dtype), got {dtype}", dtype=result["dtype"]))
        if result["dtype"] != dtype:
            raise Incorrect(_("the dtype of a {dtype} tensor came back as {got}", dtype=dtype, got=result["dtype"]))
        if not result["value_is_numpy"]:
            raise Incorrect(_("the value should be a NumPy array from t.numpy(), got {kind}", kind=result["value_type"]))
        expected = value.astype(dtype)
        expect_equal(result["value"], expected, _("the value of a {dtype} tensor of shape {shape}", dtype=dtype, shape=tuple(shape)))


def test_standardize_matches_numpy(probe, rng):
    x = _columns(rng, int(rng.integers(20, 60)), int(rng.integers(2, 6)))
    out = probe.standardize(x=x, dtype="float32")["value"]
    mean, std = x.mean(axis=0), x.std(axis=0)
    expect_close(out, (x - mean) / std, "standardize(x)", mistakes={
        _("it matches the sample standard deviation (ddof=1); use the population one, tf.math.reduce_std"):
            (x - mean) / x.std(axis=0, ddof=1),
        _("it standardizes each row (axis=1); the course asks for each column (axis=0)"):
            (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True),
        _("it uses one mean and std for the whole matrix; reduce over axis=0 for one per column"):
            (x - x.mean()) / x.std(),
        _("it only subtracts the mean; divide by the standard deviation too"): x - mean,
    })


def test_standardize_keeps_the_input_dtype(probe, rng):
    x = _columns(rng, 16, 3)
    for dtype in ("float32", "float64"):
        result = probe.standardize(x=x, dtype=dtype)
        if result["dtype"] != dtype:
            raise Incorrect(_("standardize of a {dtype} tensor returned {got}: don't cast, keep x's dtype", dtype=dtype,
                               got=result["dtype"]))
        expect_close(result["value"], (x - x.mean(axis=0)) / x.std(axis=0), _("standardize(x) for {dtype}", dtype=dtype))


def test_standardize_works_in_tf_function_with_unknown_rows(probe, rng):
    cols = int(rng.integers(2, 5))
    batches = [_columns(rng, rows, cols) for rows in rng.choice(np.arange(5, 40), size=3, replace=False)]
    result = probe.standardize_in_graph(batches=batches)
    for batch, out in zip(batches, result["values"]):
        expect_close(out, (batch - batch.mean(axis=0)) / batch.std(axis=0),
                     _("standardize in tf.function for {rows} rows", rows=len(batch)))


def _pairs(rng, d):
    n, m = (int(v) for v in rng.choice(np.arange(2, 12), size=2, replace=False))
    return rng.normal(size=(n, d)) * 3, rng.normal(size=(m, d)) * 3


def _sq_distances(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)


def _distance_scale(a, b):
    return max(1.0, float((a ** 2).sum(axis=1).max() + (b ** 2).sum(axis=1).max()))


def test_pairwise_sq_distances_matches_numpy(probe, rng):
    a, b = _pairs(rng, d=int(rng.integers(2, 6)))
    out = probe.pairwise_sq_distances(a=a, b=b)
    expected = _sq_distances(a, b)
    expect_close(out, expected, _("pairwise_sq_distances of [{n}, d] and [{m}, d]", n=len(a), m=len(b)),
                 scale=_distance_scale(a, b), mistakes={
                     _("these are distances, not squared distances: don't take the square root"): np.sqrt(expected),
                     _("the result is [m, n]: rows should follow a, columns b"): expected.T,
                     _("it returns the differences' sum, not the sum of their squares"):
                         (a[:, None, :] - b[None, :, :]).sum(axis=-1),
                 })


def test_pairwise_sq_distances_works_in_tf_function_with_unknown_sizes(probe, rng):
    d = int(rng.integers(2, 6))
    pairs = [_pairs(rng, d) for _ in range(3)]
    result = probe.pairwise_in_graph(pairs=pairs)
    for (a, b), out in zip(pairs, result["values"]):
        expect_close(out, _sq_distances(a, b), _("pairwise_sq_distances in tf.function for n={n}, m={m}", n=len(a), m=len(b)),
                     scale=_distance_scale(a, b))
    if result["traces"] != 1:
        raise Incorrect(_("with an input_signature it should trace once, but traced {traces} times", traces=result["traces"]))


def _one_hot_mistakes(labels, depth):
    # The largest label stays below depth - 1, so `max(labels) + 1` as depth gets caught.
    return {_("the last axis must have `depth` ({depth}) entries, not max(labels) + 1", depth=depth):
            np.eye(int(labels.max()) + 1)[labels]}


def _label_shapes(rng):
    return [[int(rng.integers(3, 9))], [3, int(rng.integers(2, 5))], []]


def test_one_hot_matches_numpy_for_any_shape(probe, rng):
    depth = int(rng.integers(5, 10))
    for shape in _label_shapes(rng):
        labels = rng.integers(0, depth - 2, size=shape)
        out = probe.one_hot(labels=labels, depth=depth)["value"]
        expect_close(out, np.eye(depth)[labels], _("one_hot of labels with shape {shape}, depth {depth}", shape=tuple(shape), depth=depth),
                     mistakes=_one_hot_mistakes(labels, depth))


def test_one_hot_is_float32(probe, rng):
    depth = int(rng.integers(3, 8))
    labels = rng.integers(0, depth, size=6)
    result = probe.one_hot(labels=labels, depth=depth)
    if result["dtype"] != "float32":
        raise Incorrect(_("one_hot returned {dtype}; it must be float32", dtype=result["dtype"]))
    # A float32 tensor of the right shape alone earns nothing: its values must be right too.
    expect_close(result["value"], np.eye(depth)[labels], _("one_hot of {labels} with depth {depth}", labels=labels.tolist(), depth=depth))


def test_one_hot_works_in_tf_function_with_unknown_shape(probe, rng):
    depth = int(rng.integers(4, 9))
    label_sets = [rng.integers(0, depth - 2, size=shape) for shape in _label_shapes(rng)]
    result = probe.one_hot_in_graph(label_sets=label_sets, depth=depth)
    for labels, out, dtype in zip(label_sets, result["values"], result["dtypes"]):
        what = _("one_hot in tf.function for labels of shape {shape}, depth {depth}", shape=labels.shape, depth=depth)
        expect_close(out, np.eye(depth)[labels], what, mistakes=_one_hot_mistakes(labels, depth))
        if dtype != "float32":
            raise Incorrect(_("{what} returned {dtype}; it must be float32", what=what, dtype=dtype))
