"""Checks for e02_autodiff: derivative, second_derivative, linreg_loss, linreg_grads,
fit_linear_regression."""
import numpy as np

from autograder.expect import OffTarget, expect_cases_close, expect_close, numbers
from autograder.i18n import _
from autograder.mistakes import Mistake
from autograder.outcomes import Incorrect

# ---------------------------------------------------------------- grader's functions
# The probe module holds each f in float32 TensorFlow ops under the same name; here are
# the values and the analytic first and second derivatives, in float64.


def _cubic(c, x):
    return (c[0] + c[1] * x + c[2] * x ** 2 + c[3] * x ** 3,
            c[1] + 2 * c[2] * x + 3 * c[3] * x ** 2,
            2 * c[2] + 6 * c[3] * x)


def _sin_exp(c, x):
    s, k, e = np.sin(c[0] * x), np.cos(c[0] * x), np.exp(c[1] * x)
    return (s * e,
            e * (c[0] * k + c[1] * s),
            e * ((c[1] ** 2 - c[0] ** 2) * s + 2 * c[0] * c[1] * k))


def _tanh(c, x):
    t = np.tanh(c[1] * x + c[2])
    return (c[0] * t,
            c[0] * c[1] * (1 - t ** 2),
            -2 * c[0] * c[1] ** 2 * t * (1 - t ** 2))


def _rational(c, x):
    q = 1 + c[1] * x ** 2
    return (c[0] / q,
            -2 * c[0] * c[1] * x / q ** 2,
            c[0] * (6 * c[1] ** 2 * x ** 2 - 2 * c[1]) / q ** 3)


def _linear(c, x):
    return c[0] + c[1] * x, c[1], 0.0


REFERENCES = {"cubic": _cubic, "sin_exp": _sin_exp, "tanh": _tanh, "rational": _rational, "linear": _linear}


def _sign(rng):
    return float(rng.choice([-1.0, 1.0]))


def _draw(rng, name):
    """Coefficients and an x on which float32 arithmetic is accurate."""
    if name == "cubic":
        coefficients = rng.uniform(-2, 2, size=4)
    elif name == "sin_exp":
        coefficients = [_sign(rng) * rng.uniform(0.5, 2.5), rng.uniform(-1, 1)]
    elif name == "tanh":
        coefficients = [_sign(rng) * rng.uniform(0.5, 3), _sign(rng) * rng.uniform(0.5, 2), rng.uniform(-1, 1)]
    elif name == "rational":
        coefficients = [_sign(rng) * rng.uniform(0.5, 3), rng.uniform(0.2, 2)]
    else:
        coefficients = [rng.uniform(-2, 2), _sign(rng) * rng.uniform(0.5, 3)]
    coefficients = [float(np.float32(value)) for value in coefficients]  # what the float32 f holds
    return [name, coefficients, float(np.float32(rng.uniform(-1.5, 1.5)))]


def _cases(rng, count):
    names = rng.choice(["cubic", "sin_exp", "tanh", "rational"], size=count, replace=False)
    return [_draw(rng, str(name)) for name in names]


def _describe(name, coefficients, x):
    return _("f = {name} with coefficients {coefficients} at x = {x:.6g}",
             name=name, coefficients=np.round(coefficients, 4).tolist(), x=x)


def test_derivative_matches_analytic_derivatives(probe, rng):
    cases = _cases(rng, 3)
    references = [REFERENCES[name](coefficients, x) for name, coefficients, x in cases]
    expect_cases_close(
        [(result["value"], first, _("derivative for {describe}", describe=_describe(*case)))
         for case, result, (value, first, second) in zip(cases, probe.derivative(cases=cases), references)],
        mistakes={
            _("it is f(x) itself, not its derivative: return tape.gradient(y, x)"): [r[0] for r in references],
            _("it is the second derivative; one tape gives the first"): [r[2] for r in references],
        })


def test_derivative_is_taken_on_a_float32_constant(probe, rng):
    case = _cases(rng, 1)[0]
    result = probe.derivative(cases=[case])[0]
    if not result["calls"]:
        raise Incorrect(_("derivative never called f: evaluate y = f(x) inside the tape, then take tape.gradient(y, x)"))
    for call in result["calls"]:
        if call["kind"] == "variable":
            raise Incorrect(
                _("x reached f as a tf.Variable. The syllabus asks for a float32 constant, "
                  "x = tf.constant(x, dtype=tf.float32), watched with tape.watch(x): a tape watches Variables by "
                  "itself, but a constant only when told to"))
    name, coefficients, x = case
    expect_close(result["value"], REFERENCES[name](coefficients, x)[1],
                 _("derivative for {describe}", describe=_describe(name, coefficients, x)))


def test_second_derivative_matches_analytic_second_derivatives(probe, rng):
    cases = _cases(rng, 3)
    references = [REFERENCES[name](coefficients, x) for name, coefficients, x in cases]
    expect_cases_close(
        [(result["value"], second, _("second_derivative for {describe}", describe=_describe(*case)))
         for case, result, (value, first, second) in zip(cases, probe.second_derivative(cases=cases), references)],
        mistakes={
            _("it is the first derivative: differentiate the inner tape's gradient again with an outer tape"):
                [r[1] for r in references],
            _("it is 0 where the second derivative is not: was the inner tape.gradient(...) called inside the "
              "outer tape's `with` block (and did the outer tape watch x)? Otherwise the outer tape sees nothing "
              "and returns None"): [0.0] * len(cases),
            _("it is f(x) itself"): [r[0] for r in references],
        })


def test_second_derivative_is_zero_for_a_linear_function(probe, rng):
    # With a curved f beside it, so that `return 0.0` earns nothing.
    cases = [_draw(rng, "linear"), _cases(rng, 1)[0]]
    (line, curve) = probe.second_derivative(cases=cases)
    expect_close(line["value"], 0.0, _("second_derivative for {describe}", describe=_describe(*cases[0])), mistakes={
        _("it is the first derivative (the slope); the second derivative of a line is 0"): cases[0][1][1],
    })
    name, coefficients, x = cases[1]
    expect_close(curve["value"], REFERENCES[name](coefficients, x)[2],
                 _("second_derivative for {describe} (beside the line)", describe=_describe(name, coefficients, x)))


# ---------------------------------------------------------------- linear regression

def _line(rng, n):
    """Data as in the notes: X scaled to [0, 1], y roughly a line. Rounded to float32,
    the values the submission sees, so the float64 references are exact for them."""
    X = np.sort(rng.uniform(0, 1, size=n))
    y = rng.uniform(-2, 2) * X + rng.uniform(-1, 1) + rng.normal(0, 0.1, size=n)
    return X.astype(np.float32).astype(float), y.astype(np.float32).astype(float)


def _point(rng):
    return [float(np.float32(value)) for value in rng.uniform(-2, 2, size=2)]


def _loss(a, b, X, y):
    return 0.5 * np.sum((a * X + b - y) ** 2)


def _grads(a, b, X, y):
    residual = a * X + b - y
    return np.array([np.sum(residual * X), np.sum(residual)])


def _finite_differences(a, b, X, y, h=1e-3):
    return np.array([(_loss(a + h, b, X, y) - _loss(a - h, b, X, y)) / (2 * h),
                     (_loss(a, b + h, X, y) - _loss(a, b - h, X, y)) / (2 * h)])


def test_linreg_loss_matches_numpy(probe, rng):
    X, y = _line(rng, int(rng.integers(10, 40)))
    a, b = _point(rng)
    residual = a * X + b - y
    whats = (_("linreg_loss with a, b as float32 Variables and {count} points", count=len(X)),
             _("linreg_loss with a, b as float32 constants and {count} points", count=len(X)))
    for out, what in zip(probe.linreg_loss(a=a, b=b, X=X, y=y), whats):
        expect_close(out, _loss(a, b, X, y), what,
                     mistakes={
                         _("it is the mean (reduce_mean); the notes' loss is 0.5 * tf.reduce_sum(...)"):
                             np.mean(residual ** 2),
                         _("it is half the mean (0.5 * reduce_mean); the notes' loss is 0.5 * tf.reduce_sum(...)"):
                             0.5 * np.mean(residual ** 2),
                         _("the factor 0.5 is missing: 0.5 * tf.reduce_sum(tf.square(a * X + b - y))"):
                             np.sum(residual ** 2),
                         _("it is a vector of {count} values, not a scalar: sum them with tf.reduce_sum",
                           count=len(X)):
                             0.5 * residual ** 2,
                         _("it sums absolute errors; square them with tf.square"): 0.5 * np.sum(np.abs(residual)),
                     })


def test_linreg_loss_is_differentiable_with_tensorflow_ops(probe, rng):
    X, y = _line(rng, int(rng.integers(10, 40)))
    a, b = _point(rng)
    grads = probe.linreg_loss_gradients(a=a, b=b, X=X, y=y)
    expected = _grads(a, b, X, y)
    expect_close(np.stack(grads), expected, _("the tape's gradient of your linreg_loss with respect to (a, b)"),
                 mistakes={_("it is the gradient of a mean; the notes' loss is 0.5 * tf.reduce_sum(...)"):
                           expected * 2 / len(X)})


def _grads_mistakes(expected, n):
    return {
        _("it is (d/db, d/da): return d(loss)/da first, then d(loss)/db"): expected[::-1],
        _("the sign is wrong: return tape.gradient(loss, [a, b]) as it is (the optimizer subtracts it)"): -expected,
        _("it is twice the gradient: the loss has a factor 0.5"): 2 * expected,
        _("it is {n} times too small: the loss is a sum (0.5 * tf.reduce_sum), not a mean", n=n): expected / n,
        _("it is {factor:g} times too small: the loss is 0.5 * tf.reduce_sum, not a mean", factor=n / 2): 2 * expected / n,
    }


def test_linreg_grads_match_finite_differences(probe, rng):
    X, y = _line(rng, int(rng.integers(10, 40)))
    a, b = _point(rng)
    out = probe.linreg_grads(points=[[a, b]], X=X, y=y)[0]
    expected = _finite_differences(a, b, X, y)
    expect_close(np.stack(numbers(out, "linreg_grads")), expected,
                 _("linreg_grads at a = {a:.4g}, b = {b:.4g} against central finite differences of the loss",
                   a=a, b=b),
                 mistakes=_grads_mistakes(expected, len(X)))


def test_linreg_grads_match_the_analytic_gradient(probe, rng):
    X, y = _line(rng, int(rng.integers(10, 40)))
    slope, intercept = np.linalg.lstsq(np.stack([X, np.ones_like(X)], axis=1), y, rcond=None)[0]
    points = [_point(rng), _point(rng), [float(np.float32(slope)), float(np.float32(intercept))]]
    results = probe.linreg_grads(points=points, X=X, y=y)
    for (a, b), out in zip(points, results):
        expected = _grads(a, b, X, y)
        # Near the least-squares line the gradient is ~0: measure errors on the scale of X·y.
        scale = max(1.0, float(np.sum(np.abs(X * y))))
        expect_close(np.stack(numbers(out, "linreg_grads")), expected,
                     _("linreg_grads at a = {a:.4g}, b = {b:.4g} against sum((aX + b - y) X), sum(aX + b - y)",
                       a=a, b=b),
                     scale=scale, mistakes=_grads_mistakes(expected, len(X)))


# ---------------------------------------------------------------- fitting

def _hessian(X):
    return np.array([[np.sum(X * X), np.sum(X)], [np.sum(X), float(len(X))]])


def _learning_rate(rng, X):
    """A fraction of 1/λmax of the loss' Hessian: plain gradient descent converges."""
    return float(np.float32(rng.uniform(0.6, 1.0) / np.linalg.eigvalsh(_hessian(X)).max()))


def _descent(X, y, learning_rate, steps, *, grad_scale=1.0, swap=False, update_b=True):
    """Plain gradient descent on the notes' loss from a = b = 0, in float64."""
    a = b = 0.0
    for __ in range(steps):
        grad_a, grad_b = grad_scale * _grads(a, b, X, y)
        if swap:
            grad_a, grad_b = grad_b, grad_a
        a, b = a - learning_rate * grad_a, (b - learning_rate * grad_b) if update_b else b
    return np.array([a, b])


def _expect_rate_as_passed(result, learning_rate, n, what):
    """The SGD that applied the gradients used `learning_rate` as passed; otherwise say
    how it differs (so that no later message blames a loss that is right)."""
    rates = [opt["learning_rate"] for opt in result["optimizers"] if opt["learning_rate"] is not None]
    wrong = [rate for rate in rates if not np.isclose(rate, learning_rate, rtol=1e-5)]
    if not wrong:
        return
    rate = wrong[0]
    if np.isclose(rate, learning_rate / n, rtol=1e-4):
        raise Incorrect(_("{what}: the optimizer's learning rate is learning_rate / N = {rate:.4g} for N = {n} points. "
                          "Use the rate exactly as passed, SGD(learning_rate=learning_rate): the caller chooses it "
                          "(and scales it for the size of the data when needed)", what=what, rate=rate, n=n))
    if np.isclose(rate, 0.01, rtol=1e-5):
        raise Incorrect(_("{what}: it looks like SGD's default learning rate 0.01: pass learning_rate to the "
                          "optimizer, SGD(learning_rate=learning_rate)", what=what))
    raise Incorrect(_("{what}: the optimizer's learning rate is {rate:.6g}, but learning_rate={learning_rate:.6g} "
                      "was passed: use it exactly as given, SGD(learning_rate=learning_rate)",
                      what=what, rate=rate, learning_rate=learning_rate))


def _fit_result(result):
    pair = [numbers(result[name], "fit_linear_regression") for name in ("a", "b")]
    if any(value.size != 1 for value in pair):
        raise Incorrect(_("fit_linear_regression should return two numbers (a, b); got arrays of shapes "
                          "{shape_a} and {shape_b}", shape_a=pair[0].shape, shape_b=pair[1].shape))
    return np.array([float(value.reshape(-1)[0]) for value in pair])


def test_fit_linear_regression_reaches_the_least_squares_line(probe, rng):
    while True:
        X, y = _line(rng, int(rng.integers(20, 60)))
        learning_rate = _learning_rate(rng, X)
        line = np.linalg.lstsq(np.stack([X, np.ones_like(X)], axis=1), y, rcond=None)[0]
        # The first step count at which gradient descent is within 1e-5 of the line.
        a = b = 0.0
        for needed in range(1, 1201):
            grad_a, grad_b = _grads(a, b, X, y)
            a, b = a - learning_rate * grad_a, b - learning_rate * grad_b
            if max(abs(a - line[0]), abs(b - line[1])) < 1e-5:
                break
        else:
            continue  # an unusually ill-conditioned draw: draw again
        break
    num_epoch = int(min(2000, needed * rng.uniform(1.3, 1.8)))
    result = probe.fit_linear_regression(X=X, y=y, learning_rate=learning_rate, num_epoch=num_epoch)
    out = _fit_result(result)
    what = (_("fit_linear_regression on {count} points with learning_rate={learning_rate:.4g}, "
              "num_epoch={num_epoch}", count=len(X), learning_rate=learning_rate, num_epoch=num_epoch))
    _expect_rate_as_passed(result, learning_rate, len(X), what)
    swapped = _descent(X, y, learning_rate, num_epoch, swap=True)  # this pairing diverges
    if np.all(np.isfinite(out)) and np.allclose(out, swapped, rtol=1e-2, atol=1e-3):
        raise Incorrect(_("{what} gave (a, b) = ({a:.4g}, {b:.4g}): the steps diverged, as they do when "
                          "d(loss)/da is applied to b and d(loss)/db to a. Pair each gradient with its own variable: "
                          "zip(grads, variables) with the list given to tape.gradient(loss, variables)",
                          what=what, a=out[0], b=out[1]))
    if not np.all(np.isfinite(out)) or np.max(np.abs(out)) > 1e3:
        raise Incorrect(_("{what} gave (a, b) = ({a:.4g}, {b:.4g}): the steps diverged. Is each gradient "
                          "applied to its own variable, zip(grads, [a, b]) in the same order as tape.gradient(loss, "
                          "[a, b])? Is the learning rate used as given?", what=what, a=out[0], b=out[1]))
    if np.allclose(out, line, rtol=0, atol=1e-3):
        return
    guesses = {
        _("b never moved from 0: apply the gradients to both variables, [a, b]"):
            np.array([np.sum(X * y) / np.sum(X * X), 0.0]),
        _("it stopped far from the line, where gradient descent on a mean loss would be (with the learning rate as "
          "passed): the notes' loss is 0.5 * tf.reduce_sum(...), whose steps are N times larger"):
            _descent(X, y, learning_rate, num_epoch, grad_scale=2.0 / len(X)),
        _("(a, b) are still 0: the optimizer never changed the variables"): np.zeros(2),
    }
    for message, predicted in guesses.items():
        if np.allclose(out, predicted, rtol=0, atol=1e-3):
            raise Incorrect(_("{what}: {mistake}", what=what, mistake=message), mistake=Mistake.of(message))
    raise Incorrect(_("{what} gave (a, b) = ({a:.6g}, {b:.6g}); the least-squares line is "
                      "({line_a:.6g}, {line_b:.6g}), and plain gradient descent from a = b = 0 gets within 1e-5 of "
                      "it in {needed} steps",
                      what=what, a=out[0], b=out[1], line_a=line[0], line_b=line[1], needed=needed))


def _expect_descent(result, X, y, learning_rate, steps):
    """(a, b) of a fit are those of `steps` steps of plain gradient descent from a = b = 0."""
    n = len(X)
    what = _("(a, b) after num_epoch={steps} with learning_rate={learning_rate:.4g} on {n} points",
             steps=steps, learning_rate=learning_rate, n=n)
    _expect_rate_as_passed(result, learning_rate, n, what)
    out = _fit_result(result)
    with_the_rate = _("with the learning rate as passed, the gradients are those of a mean")
    mistakes = {
        _("it took {taken} steps; take exactly num_epoch ({steps})", taken=steps - 1, steps=steps): _descent(X, y, learning_rate, steps - 1),
        _("it took {taken} steps; take exactly num_epoch ({steps})", taken=steps + 1, steps=steps): _descent(X, y, learning_rate, steps + 1),
        _("the gradients went to the wrong variables: zip(grads, variables) must pair each gradient with its own "
          "variable, in the order of tape.gradient(loss, variables)"): _descent(X, y, learning_rate, steps, swap=True),
        _("b never moved from 0: apply the gradients to both variables, [a, b]"):
            _descent(X, y, learning_rate, steps, update_b=False),
        _("the steps are {n} times too small: {with_the_rate}; the notes' loss is 0.5 * tf.reduce_sum(...)",
          n=n, with_the_rate=with_the_rate):
            _descent(X, y, learning_rate, steps, grad_scale=1.0 / n),
        _("the steps are {factor:g} times too small: {with_the_rate}; the notes' loss is 0.5 * tf.reduce_sum(...)",
          factor=n / 2, with_the_rate=with_the_rate):
            _descent(X, y, learning_rate, steps, grad_scale=2.0 / n),
        _("the steps are twice too large: the notes' loss has a factor 0.5"):
            _descent(X, y, learning_rate, steps, grad_scale=2.0),
        _("it looks like SGD's default learning rate 0.01: pass learning_rate to the optimizer"):
            _descent(X, y, 0.01, steps),
    }
    expected = _descent(X, y, learning_rate, steps)
    try:
        expect_close(out, expected, what, mistakes=mistakes)
    except OffTarget:  # matches no named mistake: say what plain gradient descent gives
        raise Incorrect(
            _("{what} is ({a:.6g}, {b:.6g}); {steps} step(s) of plain gradient descent from a = b = 0 "
              "give ({want_a:.6g}, {want_b:.6g}). Start from a = b = 0 and take exactly num_epoch "
              "steps of tf.keras.optimizers.SGD(learning_rate) on linreg_loss",
              what=what, a=out[0], b=out[1], steps=steps, want_a=expected[0], want_b=expected[1])) from None


def test_fit_linear_regression_follows_gradient_descent_from_zero(probe, rng):
    while True:  # a learning rate that SGD's default (0.01) cannot pass for
        X, y = _line(rng, int(rng.integers(20, 60)))
        learning_rate = _learning_rate(rng, X)
        if abs(learning_rate - 0.01) > 0.003:
            break
    for steps in (1, int(rng.integers(3, 9))):
        result = probe.fit_linear_regression(X=X, y=y, learning_rate=learning_rate, num_epoch=steps)
        _expect_descent(result, X, y, learning_rate, steps)


def test_fit_linear_regression_uses_sgd_apply_gradients(probe, rng):
    X, y = _line(rng, int(rng.integers(20, 60)))
    learning_rate = _learning_rate(rng, X)
    steps = int(rng.integers(5, 16))
    result = probe.fit_linear_regression(X=X, y=y, learning_rate=learning_rate, num_epoch=steps)
    if result["apply_gradients_calls"] == 0:
        raise Incorrect(_("fit_linear_regression never called optimizer.apply_gradients: update a and b with "
                          "tf.keras.optimizers.SGD(learning_rate).apply_gradients(zip(grads, variables)), "
                          "not by hand"))
    optimizers = result["optimizers"]
    others = [opt["class"] for opt in optimizers if not opt["is_sgd"]]
    if others:
        raise Incorrect(_("the gradients were applied by {others}; the syllabus asks for "
                          "tf.keras.optimizers.SGD", others=', '.join(others)))
    if len(optimizers) != 1:
        raise Incorrect(_("{count} SGD optimizers applied gradients in one fit; make one before the loop",
                          count=len(optimizers)))
    (optimizer,) = optimizers
    if optimizer["momentum"]:
        raise Incorrect(_("the SGD optimizer has momentum={momentum:g}; plain gradient descent uses "
                          "the default, 0", momentum=optimizer['momentum']))
    if optimizer["steps"] is not None and optimizer["steps"] != steps:
        raise Incorrect(_("the SGD optimizer took {steps} steps; num_epoch={steps2} asks for one "
                          "apply_gradients per epoch", steps=optimizer['steps'], steps2=steps))
    # The right optimizer calls earn nothing unless they also moved (a, b) the right way.
    _expect_descent(result, X, y, learning_rate, steps)
