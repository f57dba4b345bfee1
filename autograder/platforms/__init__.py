"""Where instructors grade: the course's outputs for the platforms they already use.

    gradescope.py   `python -m autograder gradescope OUT.zip`: an autograder package, the
                    grader its run_autograder starts, and results.json per student
    classroom.py    `release DIR --github-classroom`: the classroom-resources workflow
    classroom50.py  `release DIR --classroom50`: Classroom 50's autograder.py entry point
    canvas.py       canvas.csv: Canvas's gradebook import format

A layer above grading: every grade goes through the batch grader (grading/batch.py) and its
sandbox; these modules package the course and turn the gradebook into each platform's
format. Grading knows none of them: `grade` and `report` pass `writers(roster)` to
grading/outputs.py, so a new platform touches this folder (and its tests) only.
"""
from __future__ import annotations


def writers(roster: dict | None = None) -> tuple:
    """The platforms' output writers, for `outputs.write_all(..., platforms=...)`."""
    from autograder.platforms import canvas, gradescope

    return (gradescope.write_results, canvas.writer(roster))


def release_files(github_classroom: bool = False, classroom50: bool = False) -> tuple:
    """The platforms' files of a student release, for `release(..., extras=...)`."""
    from autograder.platforms import classroom, classroom50 as c50

    return ((classroom.write_workflow,) if github_classroom else ()) + \
        ((lambda target, course: c50.write_entry_point(target),) if classroom50 else ())
