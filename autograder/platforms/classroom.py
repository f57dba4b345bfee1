"""GitHub Classroom's autograding workflow, as its successors still use it.

    python -m autograder release DIR --github-classroom

writes DIR/.github/workflows/classroom.yml for the open-source `classroom-resources`
autograding actions (GitHub Classroom retired on 28 August 2026; Classmoji and others
generate the same workflow). One step checks every topic once (one TensorFlow import),
writing `check --json`; then one step per topic turns that file into the result the
`autograding-grading-reporter` reads (`python -m autograder.platforms.classroom TOPIC
FILE`), with one test per check worth the check's points, so a topic earns partial
credit. What checking needs is installed at the versions of requirements.lock by
autograder/installer.py (uv); uv's cache is restored before installing and saved right
after, so it is kept whatever the checks say (setup-python's own cache is saved only
when the whole job succeeds, and the reporter fails the job whenever a check fails).
"""
from __future__ import annotations

import base64
import json
import math
import os
import re
import shlex
import sys
import tomllib
from pathlib import Path

from autograder.course import Course, Topic, load_course
from autograder.i18n import _
from autograder.texts import check_title

WORKFLOW = Path(".github") / "workflows" / "classroom.yml"
PYTHON_VERSION = "3.11"
# What `check` imports: the checks (pytest, rich, numpy) and the workers (TensorFlow).
CHECK_PACKAGES = ("tensorflow", "numpy", "pytest", "rich")
RESULTS_DIR = "classroom-results"
RESULTS_FILE = f"{RESULTS_DIR}/checks.json"
STARTUP_MINUTES = 5     # importing TensorFlow, a slow runner
INSTALLER_CACHE = "~/.cache/uv"  # uv's cache on Linux runners
# A reporter test's status for each of ours: a blank is a failed test to the reporter.
REPORTER_STATUS = {"passed": "pass", "failed": "fail", "not_attempted": "fail", "error": "error", "timeout": "error"}
MESSAGE_LIMIT = 2000


def requirements(pyproject: Path) -> list[str]:
    """CHECK_PACKAGES, checked against pyproject.toml's dependencies; their versions and
    those of what they need come from requirements.lock (the installer's constraints)."""
    with open(pyproject, "rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    listed = {re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower() for spec in dependencies}
    missing = [name for name in CHECK_PACKAGES if name not in listed]
    if missing:
        raise RuntimeError(f"pyproject.toml does not list {', '.join(missing)}")
    return list(CHECK_PACKAGES)


def check_command() -> str:
    return f"python -m autograder check --submission exercises --lang en --json {RESULTS_FILE}"


def result_command(topic_id: str) -> str:
    return f"python -m autograder.platforms.classroom {topic_id} {RESULTS_FILE}"


def graded_topics(course: Course) -> list[Topic]:
    return [topic for topic in course.topics if topic.checks]


def workflow(course: Course, pyproject: Path) -> str:
    """The workflow's text. Strings are written as JSON strings, which YAML reads as is."""
    q = json.dumps
    install = "python autograder/installer.py python " + " ".join(shlex.quote(name) for name in requirements(pyproject))
    key = "uv-${{ runner.os }}-py" + PYTHON_VERSION + "-${{ hashFiles('requirements.lock') }}"
    cache = [f"          path: {INSTALLER_CACHE}", f"          key: {q(key)}"]
    topics = graded_topics(course)
    minutes = STARTUP_MINUTES + math.ceil(sum(check.timeout for topic in topics for check in topic.checks) / 60)
    lines = [
        "# Autograding for GitHub Classroom's successors (the classroom-resources actions):",
        "# written by `python -m autograder release --github-classroom`. One check run for all",
        "# topics, then one reporter test per topic with a score per check (partial credit).",
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
        "      - name: Restore the installer's cache",
        "        id: installer-cache",
        "        uses: actions/cache/restore@v4",
        "        with:",
        *cache,
        "      - name: Install what checking needs",
        f"        run: {q(install)}",
        "      - name: Save the installer's cache (before any check can fail the job)",
        "        if: steps.installer-cache.outputs.cache-hit != 'true'",
        "        uses: actions/cache/save@v4",
        "        with:",
        *cache,
        "      - name: Check every topic",
        "        continue-on-error: true",
        f"        timeout-minutes: {minutes}",
        f"        run: {q(f'mkdir -p {RESULTS_DIR} && {check_command()}')}",
    ]
    for topic in topics:
        lines += [
            f"      - name: {q(topic.id + ' ' + topic.title['en'])}",
            f"        id: {topic.id}",     # the reporter reads env <ID>_RESULTS
            "        if: always()",
            f"        run: {q(result_command(topic.id))}",
        ]
    runners = [topic.id for topic in topics]
    lines += [
        "      - name: Autograding Reporter",
        "        if: always()",
        "        uses: classroom-resources/autograding-grading-reporter@v1",
        "        env:",
        *[f"          {runner.upper()}_RESULTS: {q('${{ steps.' + runner + '.outputs.result }}')}" for runner in runners],
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


def _clip(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


def results_by_check(run: dict) -> dict[str, dict]:
    """`check --json`'s entries by check id (anything that is not an entry left out)."""
    return {entry.get("id"): entry for entry in run.get("checks", []) if isinstance(entry, dict)}


def reported_name(check) -> str:
    """A check as a platform's test is named: its exercise and its English title."""
    return f"{check.exercise}: {check_title(check.name, check.exercise, 'en')}"


def runner_result(topic: Topic, run: dict | None) -> dict:
    """The reporter's result for one topic: a test per check, scored with the check's points.
    `run` is `check --json`'s file, or None when the check step left none."""
    if run is None:
        return {"version": 1, "status": "error", "max_score": topic.max_points,
                "tests": [{"name": topic.id, "status": "error", "score": 0,
                           "message": _("the check step wrote no results: see its log")}]}
    by_id = results_by_check(run)
    tests = []
    for check in topic.checks:
        entry = by_id.get(check.id)
        status = entry.get("status") if entry else None
        points = int(entry.get("points", 0)) if status == "passed" else 0
        tests.append({"name": reported_name(check),
                      "status": REPORTER_STATUS.get(status, "error"),
                      "score": max(0, min(points, check.points)),
                      "message": _clip(str(entry.get("message", ""))) if entry else _("not run"),
                      "line_no": 0, "execution_time": f"{float(entry.get('duration_s', 0)) if entry else 0:.2f}s"})
    statuses = {test["status"] for test in tests}
    status = "error" if "error" in statuses else "fail" if "fail" in statuses else "pass"
    return {"version": 1, "status": status, "max_score": topic.max_points, "tests": tests}


def encoded(result: dict) -> str:
    return base64.b64encode(json.dumps(result).encode("utf-8")).decode("ascii")


def main(argv: list[str]) -> int:
    """`python -m autograder.platforms.classroom TOPIC RESULTS.json`: the topic's reporter
    result as the step output `result` (base64 JSON); always exits 0, the reporter decides."""
    topic_id, results = argv
    topic = load_course().topic(topic_id)
    try:
        run = json.loads(Path(results).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        run = None
    result = runner_result(topic, run)
    earned = sum(test["score"] for test in result["tests"])
    print(f"{topic.id}: {earned}/{result['max_score']}")
    for test in result["tests"]:
        print(f"  {'✔' if test['status'] == 'pass' else '✘'} {test['name']} ({test['score']})")
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as file:
            file.write(f"result={encoded(result)}\n")
    else:
        print(f"result={encoded(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
