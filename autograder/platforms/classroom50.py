"""Classroom 50 (open source, `gh student` / `gh teacher`): the autograder entry point.

    python -m autograder release DIR --classroom50

writes DIR/classroom50/autograder.py. The instructor puts it in the classroom's config
repository, as the classroom's default (`gh teacher autograder set-default ORG CLASSROOM
--from autograder.py`) or for one assignment (`CLASSROOM/autograders/SLUG/autograder.py`).
Classroom 50's runner runs it with the student's checkout as its working folder and the
submission's identity in the environment (CLASSROOM, ASSIGNMENT, USERNAME, SUBMISSION_TAG,
COMMIT_URL, RELEASE_URL, REVIEW_URL, GITHUB_OUTPUT). It installs the course's packages when
they are missing, then runs `python -m autograder.platforms.classroom50`, which checks the
topics the assignment names (an ASSIGNMENT slug that starts with a topic id, `e01` or
`e01-tensors`, grades that topic; any other slug, every topic) and writes what the runner
reads: `result.json` (schema classroom50/result/v1: one test per check, worth its points),
`release-body.md`, and `status` / `summary` lines in $GITHUB_OUTPUT. It exits 0 whenever
grading ran, whatever the score; non-zero only when it could not grade (the runner then
records an error).

The checks run from the student's own checkout, so a student can edit them: this is
feedback, not a grade to stand behind (`grade` is).
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.course import Course, Topic, load_course
from autograder.i18n import _
from autograder.platforms.classroom import graded_topics, results_by_check, reported_name

ENTRY_POINT = Path("classroom50") / "autograder.py"
TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "classroom50" / "autograder.py"
SCHEMA = "classroom50/result/v1"
MESSAGE_LIMIT = 2000


def write_entry_point(target: Path) -> Path:
    path = Path(target) / ENTRY_POINT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    path.chmod(0o755)
    return path


def topics_for(course: Course, assignment: str) -> list[Topic]:
    """The topic an assignment slug starts with (`e01`, `e01-tensors`), else every topic."""
    slug = assignment.strip().lower()
    for topic in graded_topics(course):
        if slug == topic.id or slug.startswith(f"{topic.id}-") or slug.startswith(f"{topic.id}_"):
            return [topic]
    return graded_topics(course)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tests_of(topics: list[Topic], run: dict) -> list[dict]:
    """One Classroom 50 test per check, scored with the points the check earned."""
    by_id = results_by_check(run)
    tests = []
    for topic in topics:
        for check in topic.checks:
            entry = by_id.get(check.id) or {}
            passed = entry.get("status") == "passed"
            message = str(entry.get("message", "")) if entry else _("not run")
            tests.append({"test-name": f"{topic.id} {reported_name(check)}",
                          "passed": passed, "score": min(int(entry.get("points", 0)), check.points) if passed else 0,
                          "max-score": check.points, "status": entry.get("status", "error"),
                          "message": message[:MESSAGE_LIMIT]})
    return tests


def committed_at(folder: Path) -> datetime.datetime | None:
    """The graded commit's committer date: the submission's instant, the same on a regrade."""
    done = subprocess.run(["git", "-C", str(folder), "log", "-1", "--format=%cI"], capture_output=True, text=True)
    try:
        return datetime.datetime.fromisoformat(done.stdout.strip()) if done.returncode == 0 else None
    except ValueError:
        return None


def result_of(topics: list[Topic], run: dict, environ=os.environ,
              submitted: datetime.datetime | None = None) -> dict:
    tests = tests_of(topics, run)
    commit = environ.get("COMMIT_URL", "") or "unknown"
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"schema": SCHEMA, "classroom": environ.get("CLASSROOM", ""), "assignment": environ.get("ASSIGNMENT", ""),
            "assignment_type": environ.get("ASSIGNMENT_TYPE", "") or "individual",
            "owner": environ.get("OWNER", "") or environ.get("USERNAME", ""),
            "submission": environ.get("SUBMISSION_TAG", ""), "commit": commit,
            "release": environ.get("RELEASE_URL", "") or commit, "review": environ.get("REVIEW_URL", "") or commit,
            "datetime": _utc(submitted or now), "graded_at": _utc(now),
            "score": sum(test["score"] for test in tests), "max-score": sum(test["max-score"] for test in tests),
            "tests": tests}


def release_body(result: dict) -> str:
    lines = [f"### {result['assignment'] or 'autograder'}: {result['score']}/{result['max-score']}", ""]
    for test in result["tests"]:
        mark = "✔" if test["passed"] else "✘"
        lines.append(f"- {mark} {test['test-name']} ({test['score']}/{test['max-score']})")
        if not test["passed"] and test["message"]:
            lines.append(f"  - {test['message'].splitlines()[0][:300]}")
    return "\n".join(lines) + "\n"


def grade_checkout(folder: Path, environ=os.environ) -> dict | None:
    """Check the checkout's exercises/ on the assignment's topics; None when `check` left no results."""
    course = load_course(folder / "course.toml")
    topics = topics_for(course, environ.get("ASSIGNMENT", ""))
    with tempfile.TemporaryDirectory(prefix="classroom50-") as scratch:
        report = Path(scratch) / "checks.json"
        subprocess.run([sys.executable, "-m", "autograder", "check", *[t.id for t in topics],
                        "--submission", str(folder / "exercises"), "--lang", "en", "--json", str(report)],
                       cwd=folder, check=False)
        try:
            run = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    return result_of(topics, run, environ, committed_at(folder))


def main() -> int:
    folder = Path.cwd()
    result = grade_checkout(folder)
    if result is None:
        print(_("autograder: the checks did not run to the end (see the log above)"), file=sys.stderr)
        return 1
    (folder / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "release-body.md").write_text(release_body(result), encoding="utf-8")
    summary = f"{result['score']}/{result['max-score']} points"
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as file:
            status = "success" if result["score"] == result["max-score"] else "failure"
            file.write(f"status={status}\nsummary={summary}\n")
    print(f"autograder: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
