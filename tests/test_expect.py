"""The comparison helpers (autograder/expect.py) on every shape a submission can return:
0-d, empty, mismatched, NaN, non-numbers. A wrong answer always ends in `Incorrect` with a
message about the answer, never in an internal error of the check."""
import numpy as np
import pytest

from autograder.expect import expect_cases_close, expect_close, expect_equal, is_close, numbers, scale_of
from autograder.outcomes import Incorrect

WRONG_PAIRS = [  # (actual, expected, a fragment of the message)
    (np.float64(2.0), 1.0, "got 2, expected 1"),
    (2.0, np.float32(1.0), "got 2, expected 1"),
    (np.array(2.0), np.array(1.0), "got 2, expected 1"),
    (float("nan"), 1.0, "NaN"),
    (np.array([1.0, 5.0]), np.array([1.0, 2.0]), "at index (1,): got 5, expected 2"),
    (np.zeros((2, 3)), np.zeros((3, 2)), "has shape (2, 3), expected (3, 2)"),
    (np.zeros(0), 1.0, "has shape (0,), expected ()"),
    (np.zeros((0, 2)), np.zeros((0, 3)), "has shape (0, 2), expected (0, 3)"),
    (1.0, np.zeros(0), "has shape (), expected (0,)"),
    (np.inf, 1.0, "got inf, expected 1"),
    ([[1.0, 2.0], [3.0, 4.5]], np.array([[1.0, 2.0], [3.0, 4.0]]), "at index (1, 1)"),
]


@pytest.mark.parametrize("actual, expected, fragment", WRONG_PAIRS)
def test_expect_close_names_the_difference_for_any_shape(actual, expected, fragment):
    with pytest.raises(Incorrect) as wrong:
        expect_close(actual, expected, "f(x)")
    assert fragment in wrong.value.message and wrong.value.message.startswith("f(x)")


@pytest.mark.parametrize("actual, expected", [
    (np.float32(1.0), 1.0), (1.0, np.array(1.0)), (np.zeros(0), np.zeros(0)), (np.zeros((2, 0)), np.zeros((2, 0))),
    (1 + 5e-5, 1.0), ([1, 2], np.array([1.0, 2.0])), (True, 1.0),
])
def test_expect_close_passes_equal_numbers_of_any_shape(actual, expected):
    expect_close(actual, expected, "f(x)")


def test_expect_close_names_a_mistake_for_0d_and_empty_results():
    with pytest.raises(Incorrect, match="the mean, not the sum"):
        expect_close(np.float32(2.0), 6.0, "loss", mistakes={"the mean, not the sum": 2.0})
    with pytest.raises(Incorrect, match="an empty result"):
        expect_close(np.zeros(0), np.ones(3), "f(x)", mistakes={"an empty result": np.zeros(0)})


def _cubic(c, x):
    return c[0] + c[1] * x + c[2] * x ** 2 + c[3] * x ** 3, c[1] + 2 * c[2] * x + 3 * c[3] * x ** 2


# A CI run's e02 inputs: the first cubic's value is within tolerance of 1.5 f'(x) + 0.25, the
# wrong derivative a catalogued mistake returns, so expect_close alone named "it is f(x)".
CUBICS = [([-1.8526, -0.9138, 1.5708, -1.9397], 0.746362), ([0.3, -1.2, 0.8, 1.1], -0.4), ([1.5, 0.2, -0.7, 0.9], 1.2)]


def test_one_coincidence_among_several_cases_names_no_mistake():
    values, slopes = zip(*(_cubic(c, x) for c, x in CUBICS))
    wrong = [1.5 * slope + 0.25 for slope in slopes]
    assert is_close(wrong[0], values[0]) and not is_close(wrong[1], values[1])
    with pytest.raises(Incorrect, match="it is f"):  # what a single comparison says
        expect_close(wrong[0], slopes[0], "f'", mistakes={"it is f(x)": values[0]})
    cases = [(w, s, f"f' at case {i}") for i, (w, s) in enumerate(zip(wrong, slopes))]
    with pytest.raises(Incorrect) as wrong_answer:
        expect_cases_close(cases, mistakes={"it is f(x)": list(values)})
    assert "it is f" not in wrong_answer.value.message and "is off: got" in wrong_answer.value.message
    with pytest.raises(Incorrect, match="case 0: it is f"):  # f(x) on every case is that mistake
        expect_cases_close([(v, s, f"f' at case {i}") for i, (v, s) in enumerate(zip(values, slopes))],
                           mistakes={"it is f(x)": list(values)})
    # Cases that are right do not count against a mistake that explains every case that is off.
    with pytest.raises(Incorrect, match="case 1: it is f"):
        expect_cases_close([(slopes[0], slopes[0], "f' at case 0"), (values[1], slopes[1], "f' at case 1")],
                           mistakes={"it is f(x)": list(values[:2])})
    expect_cases_close([(s, s, "f'") for s in slopes], mistakes={"it is f(x)": list(values)})


@pytest.mark.parametrize("actual, expected, fragment", [
    (np.int64(3), 4, "got 3, expected 4"),
    (3, 4.0, "got 3, expected 4"),
    (np.array([1, 2, 3]), [1, 2, 4], "in 1 place"),
    (np.zeros(0), [1], "has shape (0,), expected (1,)"),
    (np.zeros(0), 0, "has shape (0,), expected ()"),
    (float("nan"), 1, "got nan, expected 1"),
    (float("nan"), float("nan"), "got nan"),
])
def test_expect_equal_names_the_difference_for_any_shape(actual, expected, fragment):
    with pytest.raises(Incorrect) as wrong:
        expect_equal(actual, expected, "count")
    assert fragment in wrong.value.message


@pytest.mark.parametrize("actual, expected", [(np.int32(3), 3), (np.zeros(0), []), (np.zeros((0, 4)), np.zeros((0, 4)))])
def test_expect_equal_passes_equal_numbers_of_any_shape(actual, expected):
    expect_equal(actual, expected, "count")


@pytest.mark.parametrize("value, fragment", [
    (None, "returned None"), ("abc", "should be numbers"), ({"a": 1}, "should be numbers"),
    ([[1, 2], [3]], "should be numbers"), (1j, "should be numbers"), (object(), "should be numbers"),
])
def test_numbers_rejects_what_is_not_numbers(value, fragment):
    with pytest.raises(Incorrect, match=fragment):
        numbers(value, "f(x)")
    with pytest.raises(Incorrect, match=fragment):
        expect_close(value, 1.0, "f(x)")
    with pytest.raises(Incorrect, match=fragment):
        expect_equal(value, 1, "f(x)")


def test_is_close_and_scale_of_take_0d_and_empty_values():
    assert scale_of(np.zeros(0)) == 1.0 and scale_of(np.float64(-3.0)) == 3.0 and scale_of(float("nan")) == 1.0
    assert is_close(np.float32(2.0), 2.0) and not is_close(np.zeros(0), 0.0) and is_close(np.zeros(0), [])
    assert not is_close(float("nan"), float("nan"))


def test_off_target_marks_a_wrong_answer_that_matches_no_named_mistake_in_any_language():
    # A check that says more about an unexplained miss (e02's gradient descent) catches OffTarget,
    # never the English words of the message: in Chinese they are not there.
    from autograder.expect import OffTarget
    from autograder.i18n import using

    for lang in ("en", "zh"):
        with using(lang):
            with pytest.raises(OffTarget):
                expect_close(np.array([1.0, 5.0]), np.array([1.0, 2.0]), "f(x)", mistakes={"doubled": [2.0, 4.0]})
            with pytest.raises(OffTarget):
                expect_equal([1, 2, 3], [1, 2, 4], "ids")
            for actual in ([2.0, 4.0], np.zeros(3), [float("nan"), 2.0]):  # a named mistake, a shape, NaN
                with pytest.raises(Incorrect) as wrong:
                    expect_close(actual, np.array([1.0, 2.0]), "f(x)", mistakes={"doubled": [2.0, 4.0]})
                assert type(wrong.value) is Incorrect
