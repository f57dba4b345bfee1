"""The course's autograder: checks, the engine that runs submission code, and the runners.

Layout:
    course.py      the course map (course.toml): topics, exercises, checks, points, hints
    engine/        runs submission code in worker processes and returns plain data
    probes/        small functions that run inside a worker and call into a submission
    checks/        pytest modules, one per topic: the checks themselves (trusted side)
    expect.py      comparison helpers the checks use to fail with targeted messages
    plugin.py      the pytest plugin: --submission, fixtures, statuses, course-map lookups
    run.py         runs the checks in-process and collects one result per check
    report.py      terminal and JSON reports
    cli.py         `python -m autograder ...`
    installer.py   installs the course's packages from requirements.lock (a script: it runs
                   before anything it installs exists)
"""
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent.parent
