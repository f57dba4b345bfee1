"""The classroom path: notebooks for JupyterLab and an nbgrader course, with the same checks.

    notebooks.py        notebooks/<topic>.ipynb generated from solutions/ (blanks as in exercises/)
    notebook_check.py   `check("e01")` in a notebook; `grade(...)` in nbgrader's test cells
    nbgrader_course.py  `python -m autograder nbgrader-course DIR`: a complete nbgrader course
"""
from autograder.classroom.notebook_check import check, grade, quiet_tensorflow_start, set_language

__all__ = ["check", "grade", "quiet_tensorflow_start", "set_language"]
