"""GitHub Classroom: the autograding workflow of the student repository.

    python -m autograder release DIR --github-classroom

writes DIR/.github/workflows/classroom.yml in the form GitHub Classroom's autograding
reads: one `classroom-resources/autograding-command-grader` step per topic, worth the
topic's points, running `python -m autograder check TOPIC --json ...` on the student's
`exercises/`, then `autograding-grading-reporter` over all of them. A command grader gives
its points when the command exits 0, so a topic scores when every check of it passes (the
log shows each check, its message and hints). The workflow sets up Python, caches pip's
downloads and installs only what checking needs, pinned as in pyproject.toml.
"""
from __future__ import annotations

import json
import math
import re
import shlex
import tomllib
from pathlib import Path

from autograder.course import Course

WORKFLOW = Path(".github") / "workflows" / "classroom.yml"
PYTHON_VERSION = "3.11"
# What `check` imports: the checks (pytest, rich, numpy) and the workers (TensorFlow).
CHECK_PACKAGES = ("tensorflow", "numpy", "pytest", "rich")
RESULTS_DIR = "classroom-results"
STARTUP_MINUTES = 5     # installing nothing, importing TensorFlow, a slow runner


def requirements(pyproject: Path) -> list[str]:
    """The pinned requirements of CHECK_PACKAGES, as pyproject.toml states them."""
    with open(pyproject, "rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    pinned = {re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower(): spec for spec in dependencies}
    missing = [name for name in CHECK_PACKAGES if name not in pinned]
    if missing:
        raise RuntimeError(f"pyproject.toml does not list {', '.join(missing)}")
    return [pinned[name] for name in CHECK_PACKAGES]


def check_command(topic_id: str) -> str:
    return (f"python -m autograder check {topic_id} --submission exercises --lang en "
            f"--json {RESULTS_DIR}/{topic_id}.json")


def workflow(course: Course, pyproject: Path) -> str:
    """The workflow's text. Strings are written as JSON strings, which YAML reads as is."""
    q = json.dumps
    install = "python -m pip install " + " ".join(shlex.quote(spec) for spec in requirements(pyproject))
    lines = [
        "# GitHub Classroom autograding: one test per topic, worth the topic's points.",
        "# Written by `python -m autograder release --github-classroom`; a topic scores when",
        "# every one of its checks passes (the log shows each check and its hints).",
        "name: Autograding Tests",
        '"on":',
        "  - push",
        "  - workflow_dispatch",
        "  - repository_dispatch",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        "    steps:",
        "      - name: Checkout code",
        "        uses: actions/checkout@v4",
        "      - name: Set up Python",
        "        uses: actions/setup-python@v5",
        "        with:",
        f"          python-version: {q(PYTHON_VERSION)}",
        "          cache: pip",
        "          cache-dependency-path: pyproject.toml",
        "      - name: Install what checking needs",
        f"        run: {q(install)}",
    ]
    runners = []
    for topic in course.topics:
        if not topic.checks:
            continue
        step, title = topic.id, f"{topic.id} {topic.title['en']}"   # the reporter reads env STEP_RESULTS
        runners.append(step)
        minutes = STARTUP_MINUTES + math.ceil(sum(check.timeout for check in topic.checks) / 60)
        lines += [
            f"      - name: {q(title)}",
            f"        id: {step}",
            "        uses: classroom-resources/autograding-command-grader@v1",
            "        with:",
            f"          test-name: {q(title)}",
            f"          setup-command: {q(f'mkdir -p {RESULTS_DIR}')}",
            f"          command: {q(check_command(topic.id))}",
            f"          timeout: {minutes}",
            f"          max-score: {topic.max_points}",
        ]
    lines += [
        "      - name: Autograding Reporter",
        "        uses: classroom-resources/autograding-grading-reporter@v1",
        "        env:",
        *[f"          {runner.upper()}_RESULTS: {q('${{steps.' + runner + '.outputs.result}}')}"
          for runner in runners],
        "        with:",
        f"          runners: {q(','.join(runners))}",
        "      - name: Keep the checks' results",
        "        if: always()",
        "        uses: actions/upload-artifact@v4",
        "        with:",
        "          name: check-results",
        f"          path: {RESULTS_DIR}/",
        "          if-no-files-found: ignore",
    ]
    return "\n".join(lines) + "\n"


def write_workflow(target: Path, course: Course) -> Path:
    path = Path(target) / WORKFLOW
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow(course, Path(target) / "pyproject.toml"), encoding="utf-8")
    return path
