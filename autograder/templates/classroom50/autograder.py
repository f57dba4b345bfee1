#!/usr/bin/env python3
"""Classroom 50 entry point of the self-checking TensorFlow 2 course.

Put this file in the classroom's config repository (`gh teacher autograder set-default ORG
CLASSROOM --from autograder.py`, or CLASSROOM/autograders/SLUG/autograder.py for one
assignment). The runner starts it in the student's checkout (a copy of the course's student
repository): it installs the course's packages there when they are missing (at the
versions of the course's requirements.lock, autograder/installer.py), then grades
with the course's own checks (autograder/platforms/classroom50.py) and writes result.json,
release-body.md and the step's status and summary. Exit 0: graded (whatever the score).
"""
import subprocess
import sys


def installed() -> bool:
    probe = "import tensorflow, numpy, pytest, rich, autograder.platforms.classroom50"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


if not installed():
    subprocess.run([sys.executable, "autograder/installer.py", sys.executable, "-e", "."], check=True)
sys.exit(subprocess.run([sys.executable, "-m", "autograder.platforms.classroom50"]).returncode)
