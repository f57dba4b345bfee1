"""Where instructors grade: the course's outputs for the platforms they already use.

    gradescope.py   `python -m autograder gradescope OUT.zip`: an autograder package, and the
                    grader its run_autograder starts (results/results.json)
    classroom.py    `release DIR --github-classroom`: .github/workflows/classroom.yml
    canvas.py       canvas.csv, written by `grade`: Canvas's gradebook import format

Every grade goes through the batch grader (grading/batch.py) and its sandbox; these modules
only package the course and translate the gradebook into each platform's format.
"""
