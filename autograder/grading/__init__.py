"""Batch grading for instructors: `python -m autograder grade SUBMISSIONS --out OUT`.

    submissions.py  finds each student's folder and turns it into exercise files
                    (.py, the course's notebooks via jupytext, or a .zip of either)
    gradebook.py    the gradebook: SQLAlchemy models, one transaction per graded submission
    batch.py        the `grade` command: parallel, sandboxed, resumable, with a progress bar
    child.py        grades one submission in its own process (started by batch.py)
    outputs.py      grades.csv, Gradescope results.json, JUnit XML, HTML pages
    release.py      `python -m autograder release DIR`: the student repository
"""
