"""How a check ends, as exceptions the checks raise and the runners classify.

Statuses (the `status` field of every report): passed, failed, not_attempted, error,
timeout. A plain AssertionError inside a check also counts as failed; any other exception
is the check's own bug, reported with INTERNAL_ERROR (and a failing test of the course):
the rules are in `engine/verdict.py`.
"""
from autograder.i18n import N_

INTERNAL_ERROR = N_("internal error in the check")  # shown through _() where it is used


class CheckOutcome(Exception):
    status = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Incorrect(CheckOutcome, AssertionError):
    """The submission ran and gave a wrong answer; the message names the likely mistake,
    and `mistake` (a `mistakes.Mistake`), when given, names it by a stable key. `vague`:
    the message only says the answer is off (mistakes.attribute may say more)."""
    status = "failed"
    vague = False

    def __init__(self, message: str, mistake=None):
        super().__init__(message)
        self.mistake = mistake


class NotAttempted(CheckOutcome):
    """The blank is untouched (it still raises NotImplementedError) or the file is absent."""
    status = "not_attempted"


class SubmissionError(CheckOutcome):
    """The submission raised, failed to import, exited or crashed its worker."""
    status = "error"


class SubmissionTimeout(CheckOutcome):
    """The submission ran past the check's time limit; its worker was killed."""
    status = "timeout"
