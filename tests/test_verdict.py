"""One submission interface and one set of verdict rules (engine/interface.py,
engine/verdict.py): every runner hands its submission to run_checks the same way, and an
exception means the same status in a worker and in a notebook's kernel."""
import traceback

import pytest

from autograder.course import load_course
from autograder.engine import verdict
from autograder.engine.probing import ProbeFailure
from autograder.outcomes import Incorrect, NotAttempted, SubmissionError
from autograder.run import run_checks


class _FakeSubmission:
    """A ProbedSubmission whose every probe is an untouched blank."""
    label = "a fake submission"
    scratch = None

    def __init__(self):
        self.calls, self.closed, self.started = [], False, False

    def start(self):
        self.started = True

    def begin_check(self, seconds):
        pass

    def probe(self, target, name, *, with_submission=True, fresh=False, **inputs):
        self.calls.append((target.module, target.probe_module, name))
        raise NotAttempted("fake blank")

    def close(self):
        self.closed = True


def test_run_checks_probes_a_given_submission_and_leaves_closing_it_to_the_caller():
    topic = load_course().topic("e01")
    fake = _FakeSubmission()
    run = run_checks(None, [topic], submission=fake)
    assert fake.started and not fake.closed
    assert run.submission == "a fake submission" and isinstance(run.seed, int)
    assert [r.name for r in run.checks] == [check.name for check in topic.checks]
    assert {(r.status, r.message) for r in run.checks} == {("not_attempted", "fake blank")}
    assert {call[:2] for call in fake.calls} == {(topic.module, topic.probe_module)}


def _raised(code: str, filename: str) -> BaseException:
    try:
        exec(compile(code, filename, "exec"), {})
    except BaseException as error:  # noqa: BLE001 (any exception is what we want)
        return error
    raise AssertionError("nothing raised")


def _frames_in(error, filename):
    return [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == filename]


BLANK_CODE = "def f():\n    raise NotImplementedError()\nf()\n"


def test_a_blank_is_a_raise_notimplementederror_line_in_the_submission():
    import linecache
    linecache.cache["/sub/e01_tensors.py"] = (len(BLANK_CODE), None, BLANK_CODE.splitlines(True), "/sub/e01_tensors.py")
    error = _raised(BLANK_CODE, "/sub/e01_tensors.py")
    frames = _frames_in(error, "/sub/e01_tensors.py")
    assert verdict.is_blank(error, frames, "/sub")
    assert verdict.judge(error, frames=frames, sub=None, file="e01_tensors.py", origin="/sub") == \
        ("not_attempted", verdict.MESSAGES["blank"])


def test_a_notimplementederror_that_is_no_blank_of_the_submission_is_not_blank():
    library = NotImplementedError("this operation is not supported on a RaggedTensor")
    assert not verdict.is_blank(library, [], "/sub")
    assert not verdict.is_blank(library, [], "")
    # TensorFlow's "in user code" text quoting a blank of some other folder
    elsewhere = NotImplementedError('File "/other/e01.py", line 2, in f\n    raise NotImplementedError()')
    assert not verdict.is_blank(elsewhere, [], "/sub")
    assert not verdict.is_blank(elsewhere, [], None)  # no submission code ran
    assert verdict.is_blank(elsewhere, [], "/other")
    # not a NotImplementedError at all, even when its text says so
    assert not verdict.is_blank(ValueError("raise NotImplementedError"), [], "")


def test_judge_names_who_is_to_blame():
    module = type(pytest)("e01_tensors")
    try:
        module.standardize
    except AttributeError as missing:
        assert verdict.judge(missing, frames=[], sub=module, file="e01_tensors.py", origin="/sub")[0] == \
            "not_attempted"
    assert verdict.judge(ProbeFailure("the gradient is None"), frames=[], sub=module, file="x.py",
                         origin="/sub") == ("failed", "the gradient is None")
    assert verdict.judge(SystemExit(3), frames=[], sub=module, file="x.py", origin="/sub")[0] == "error"
    assert verdict.judge(ValueError("bug"), frames=[], sub=module, file="x.py", origin="/sub")[0] == "probe_error"


@pytest.mark.parametrize("status, kind", [("failed", Incorrect), ("not_attempted", NotAttempted),
                                          ("missing", NotAttempted), ("error", SubmissionError),
                                          ("import_error", SubmissionError), ("probe_error", SubmissionError),
                                          ("anything else", SubmissionError)])
def test_every_answer_status_ends_the_check_as_its_outcome(status, kind):
    outcome = verdict.outcome(status, "why")
    assert type(outcome) is kind
    assert ("grader's probe failed" in outcome.message) == (status in ("probe_error", "anything else"))


def test_a_checks_end_is_reported_by_one_rule():
    assert verdict.ending(None) == ("passed", "")
    assert verdict.ending(Incorrect("wrong")) == ("failed", "wrong")
    assert verdict.ending(AssertionError()) == ("failed", "assertion failed")
    status, message = verdict.ending(KeyError("k"))
    assert status == "error" and message.startswith("internal error in the check")
