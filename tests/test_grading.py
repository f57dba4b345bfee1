"""Batch grading (autograder/grading/): submissions, gradebook, outputs, release, and a
kill-and-resume run. The sandbox and hostile submissions are in test_sandbox.py."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course, parse_course
from autograder.grading import submissions as subs
from autograder.grading.gradebook import Gradebook
from autograder import platforms
from autograder.grading.outputs import write_all
from autograder.grading.release import release, strip_hidden
from tests.conftest import EXERCISES, SOLUTIONS

MODULE = "e01_tensors"


def _zip(path: Path, members: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, "/etc/passwd")
    return path


def _found(folder: Path) -> subs.Found:
    return subs.Found(folder.name, folder, subs.files_hash(folder))


# -- submissions ------------------------------------------------------------------------
def test_a_zip_of_a_folder_is_unpacked_and_its_exercise_found(tmp_path, course):
    student = tmp_path / "alice"
    student.mkdir()
    source = (SOLUTIONS / f"{MODULE}.py").read_bytes()
    _zip(student / "work.zip", {f"alice-work/{MODULE}.py": source, "alice-work/notes.txt": b"hi"})
    assert subs.materialize(_found(student), tmp_path / "out", course).unreadable == {}
    assert (tmp_path / "out" / f"{MODULE}.py").read_bytes() == source


@pytest.mark.parametrize("member, why", [("../../escape.py", "unsafe path"), ("/etc/escape.py", "unsafe path"),
                                         ("link", "symbolic link")])
def test_a_zip_with_an_unsafe_member_is_refused_and_nothing_escapes(tmp_path, course, member, why):
    student = tmp_path / "mallory"
    student.mkdir()
    links = (member,) if why == "symbolic link" else ()
    members = {} if links else {member: b"print('escaped')"}
    _zip(student / "work.zip", {**members, f"{MODULE}.py": b"x = 1\n"}, links)
    problems = subs.materialize(_found(student), tmp_path / "out", course).unreadable
    assert why in problems["e01"]
    assert not (tmp_path / "escape.py").exists() and not (tmp_path.parent / "escape.py").exists()
    assert not (tmp_path / "out" / f"{MODULE}.py").exists()


def test_a_zip_larger_than_the_limit_is_refused(tmp_path, course, monkeypatch):
    monkeypatch.setattr(subs, "MAX_BYTES", 1000)
    student = tmp_path / "bob"
    student.mkdir()
    _zip(student / "work.zip", {f"{MODULE}.py": b"#" * 5000})
    assert "MiB" in subs.materialize(_found(student), tmp_path / "out", course).unreadable["e01"]


def test_an_untagged_notebook_loses_the_generated_cells_and_nbgrader_tests_by_what_they_are(tmp_path, course):
    """A notebook saved before cells had roles: the course's cells are known by their exact
    text, nbgrader's test cells by their metadata; a student's own cell stays, whatever it says."""
    from autograder.classroom.frame import SETUP
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# e01"),
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell("import numpy as np\n\ndef one_hot(labels, depth):\n    return 1"),
        nbformat.v4.new_code_cell('check("e01", "one_hot")'),
        nbformat.v4.new_code_cell("mine = 'my own autograder notes'"),
        nbformat.v4.new_code_cell("assert one_hot(0, 2) == 1", metadata={"nbgrader": {"grade": True, "solution": False,
                                                                                    "grade_id": "t", "points": 1}}),
    ])
    student = tmp_path / "carol"
    student.mkdir()
    nbformat.write(notebook, student / f"{MODULE}.ipynb")
    written = subs.materialize(_found(student), tmp_path / "out", course)
    assert written.unreadable == {} and "older version of the course" in written.notes["e01"]
    module = (tmp_path / "out" / f"{MODULE}.py").read_text()
    assert "def one_hot" in module and "my own autograder notes" in module
    assert 'check("e01"' not in module and "assert one_hot" not in module and "quiet_tensorflow_start" not in module
    compile(module, MODULE, "exec")


def test_a_notebook_with_broken_json_is_reported_not_raised(tmp_path, course):
    student = tmp_path / "dave"
    student.mkdir()
    (student / f"{MODULE}.ipynb").write_text('{"cells": [', encoding="utf-8")
    assert "not a readable notebook" in subs.materialize(_found(student), tmp_path / "out", course).unreadable["e01"]


def test_the_hash_follows_the_files(tmp_path):
    student = tmp_path / "erin"
    student.mkdir()
    (student / f"{MODULE}.py").write_text("x = 1\n")
    before = subs.files_hash(student)
    (student / f"{MODULE}.py").write_text("x = 2\n")
    assert subs.files_hash(student) != before


# -- gradebook ----------------------------------------------------------------------------
def _result(name: str, status: str = "passed", points: int = 1, message: str = "") -> dict:
    return {"id": f"e01::{name}", "topic": "e01", "exercise": "standardize", "name": name, "status": status,
            "points": points if status == "passed" else 0, "max_points": points, "message": message,
            "duration_s": 0.1}


def test_a_failed_write_leaves_the_previous_results_untouched(tmp_path):
    book = Gradebook(f"sqlite:///{tmp_path / 'book.db'}")
    run = book.start_run(1, ["e01"], 1, {})
    book.record(run, "alice", "h1", [_result("test_a"), _result("test_b")], 1.0)
    broken = [_result("test_a", "failed"), {"id": "e01::test_b"}]  # the second lacks fields: fails mid-write
    with pytest.raises(KeyError):
        book.record(run, "alice", "h2", broken, 1.0)
    (graded,) = book.graded()
    assert graded.files_hash == "h1" and [r["status"] for r in graded.results] == ["passed", "passed"]


def test_changed_files_drop_stale_results_and_same_files_replace_only_what_is_regraded(tmp_path):
    book = Gradebook(f"sqlite:///{tmp_path / 'book.db'}")
    run = book.start_run(1, ["e01"], 1, {})
    book.record(run, "alice", "h1", [_result("test_a"), _result("test_b")], 1.0)
    book.record(run, "alice", "h1", [_result("test_b", "failed")], 1.0)
    assert [(r["name"], r["status"]) for r in book.graded()[0].results] == [("test_a", "passed"), ("test_b", "failed")]
    assert book.graded_checks("alice", "h1") == {"e01::test_a", "e01::test_b"}
    assert book.graded_checks("alice", "h2") == set()
    book.record(run, "alice", "h2", [_result("test_b")], 1.0)
    assert [r["name"] for r in book.graded()[0].results] == ["test_b"]


# -- outputs --------------------------------------------------------------------------------
def test_the_outputs_hold_each_result_message_hint_and_plot(tmp_path, course):
    book = Gradebook(f"sqlite:///{tmp_path / 'book.db'}")
    run = book.start_run(4242, ["e01"], 1, {})
    checks = course.topic("e01").checks
    good = [{**_result(c.name, points=c.points), "id": c.id, "exercise": c.exercise} for c in checks]
    bad = [{**_result(c.name, "failed", c.points, "it <b>uses</b> ddof=1"), "id": c.id, "exercise": c.exercise}
           for c in checks]
    book.record(run, "alice", "h1", good, 3.0)
    book.record(run, "bob", "h2", bad, 4.0)
    write_all(book, tmp_path, course, platforms=platforms.writers())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text())))
    full = course.topic("e01").max_points
    assert [(r["student"], r["e01"], r["total"], r["seed"]) for r in rows] == \
        [("alice", str(full), str(full), "4242"), ("bob", "0", "0", "4242")]
    gradescope = json.loads((tmp_path / "gradescope" / "bob" / "results.json").read_text())
    assert gradescope["score"] == 0 and len(gradescope["tests"]) == len(checks)
    assert all(t["status"] == "failed" and "ddof=1" in t["output"] for t in gradescope["tests"])
    suites = ET.parse(tmp_path / "junit.xml").getroot()
    bob = next(s for s in suites if s.get("name") == "bob")
    assert bob.get("failures") == str(len(checks)) and bob.find("testcase/failure") is not None
    page = (tmp_path / "feedback" / "bob.html").read_text()
    assert "it &lt;b&gt;uses&lt;/b&gt; ddof=1" in page and "<b>uses</b>" not in page
    assert checks[0].hints["en"][0].split("`")[0] in page
    summary = (tmp_path / "summary.html").read_text()
    assert summary.count("data:image/png;base64,") == 1 and checks[0].id in summary   # no mistake named: listed by check


# -- release and hidden checks ------------------------------------------------------------
HIDDEN_CHECK = '''
    [[topic.exercise.check]]
    name = "test_one_hot_secret_property"
    points = 1
    hidden = true
    hints.en = ["A hint."]
'''


@pytest.fixture
def course_with_a_hidden_check(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    for name in ("exercises", "solutions", "data", "autograder"):
        shutil.copytree(COURSE_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("README.md", "pyproject.toml", "Makefile"):
        shutil.copy(COURSE_ROOT / name, root / name)
    text = (COURSE_ROOT / "course.toml").read_text(encoding="utf-8")
    anchor = 'name = "test_one_hot_is_float32"'
    at = text.index(anchor)
    end = text.index("[[topic]]", at)
    (root / "course.toml").write_text(text[:end] + HIDDEN_CHECK.lstrip("\n") + "\n" + text[end:], encoding="utf-8")
    hidden = parse_course(tomllib.loads(text), root).topic(MODULE).hidden_check_module
    hidden.parent.mkdir(exist_ok=True)
    (hidden.parent / "__init__.py").write_text("")
    hidden.write_text("def test_one_hot_secret_property(probe, rng):\n    pass\n")
    return root


def test_a_hidden_check_exists_only_where_its_code_is(course_with_a_hidden_check):
    course = load_course(course_with_a_hidden_check / "course.toml")
    assert course.check("e01", "test_one_hot_secret_property").hidden
    shutil.rmtree(course_with_a_hidden_check / "autograder" / "checks" / "hidden")
    load_course.cache_clear()
    with pytest.raises(KeyError):
        load_course(course_with_a_hidden_check / "course.toml").check("e01", "test_one_hot_secret_property")


def test_the_release_has_no_solutions_and_no_hidden_checks(course_with_a_hidden_check, tmp_path):
    target = tmp_path / "release"
    release(target, root=course_with_a_hidden_check)
    assert not (target / "solutions").exists()
    assert not (target / "autograder" / "checks" / "hidden").exists()
    assert (target / "exercises" / f"{MODULE}.py").exists()
    assert load_course(target / "course.toml").topic(MODULE).check_module.exists()
    released_map = (target / "course.toml").read_text(encoding="utf-8")
    assert "test_one_hot_secret_property" not in released_map
    assert strip_hidden(released_map) == released_map
    public = [c.id for c in load_course(course_with_a_hidden_check / "course.toml").checks if not c.hidden]
    assert [c.id for c in load_course(target / "course.toml").checks] == public


# -- kill and resume ------------------------------------------------------------------------
def _grade(submissions: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out), "--jobs", str(jobs),
            "--topics", "e01"]


def _rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT s.student, s.run_id, s.graded_at, COUNT(r.id) FROM submissions s "
            "LEFT JOIN results r ON r.submission_id = s.id GROUP BY s.id ORDER BY s.student").fetchall()


def _child_graders(out: Path) -> list[int]:
    """Grader processes of `out` (its path is in their environment, not their command line)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if str(out).encode() in Path(f"/proc/{pid}/environ").read_bytes():
                pids.append(int(pid))
        except OSError:
            pass
    return pids


def test_kill_9_then_resume_loses_and_doubles_nothing_and_regrades_a_change(traversable_tmp):
    submissions, out = traversable_tmp / "submissions", traversable_tmp / "out"
    for name in ("s1", "s2", "s3"):
        (submissions / name).mkdir(parents=True)
        shutil.copy(SOLUTIONS / f"{MODULE}.py", submissions / name)
    (submissions / "s4").mkdir()
    shutil.copy(EXERCISES / f"{MODULE}.py", submissions / "s4")
    db = out / "gradebook.db"
    checks = len(load_course().topic("e01").checks)

    grader = subprocess.Popen(_grade(submissions, out, 1), cwd=COURSE_ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if db.exists() and len(_rows(db)) >= 1:
                break
        except sqlite3.OperationalError:  # the tables are being created
            pass
        time.sleep(0.05)
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    before = _rows(db)
    assert 1 <= len(before) < 4 and all(count == checks for *_, count in before)
    time.sleep(1)
    assert _child_graders(out) == [], "a grader process outlived the killed batch"

    done = subprocess.run(_grade(submissions, out, 2), cwd=COURSE_ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    after = _rows(db)
    assert [row[0] for row in after] == ["s1", "s2", "s3", "s4"]
    assert all(count == checks for *_, count in after)
    assert [row for row in after if row[0] in {b[0] for b in before}] == before, "a finished submission was regraded"
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 4 * checks
        statuses = dict(connection.execute("SELECT s.student, GROUP_CONCAT(DISTINCT r.status) FROM results r "
                                           "JOIN submissions s ON s.id = r.submission_id GROUP BY s.id"))
    assert statuses == {"s1": "passed", "s2": "passed", "s3": "passed", "s4": "not_attempted"}

    with open(submissions / "s2" / f"{MODULE}.py", "a") as file:
        file.write("\n# a late change\n")
    done = subprocess.run(_grade(submissions, out, 2), cwd=COURSE_ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    final = _rows(db)
    changed = [now[0] for now, then in zip(final, after) if now != then]
    assert changed == ["s2"] and final[1][3] == checks


def test_a_submission_past_its_whole_time_limit_is_stopped_and_recorded_as_timeout(traversable_tmp):
    submissions, out = traversable_tmp / "submissions", traversable_tmp / "out"
    (submissions / "slow").mkdir(parents=True)
    # Correct, but far slower than the limit: a warm worker no longer needs 3 s to import
    # TensorFlow, so the file itself must take the time.
    reference = (SOLUTIONS / f"{MODULE}.py").read_text(encoding="utf-8")
    (submissions / "slow" / f"{MODULE}.py").write_text("import time\ntime.sleep(60)\n" + reference, encoding="utf-8")
    command = _grade(submissions, out, 1) + ["--submission-timeout", "3"]
    done = subprocess.run(command, cwd=COURSE_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with sqlite3.connect(out / "gradebook.db") as connection:
        rows = connection.execute("SELECT status, message FROM results").fetchall()
    assert len(rows) == len(load_course().topic("e01").checks)
    assert {status for status, _ in rows} == {"timeout"} and "3 s limit" in rows[0][1]
    time.sleep(1)
    assert _child_graders(out) == []


def test_grading_knows_no_platform():
    """platforms/ is a layer above grading: grading's modules import none of it, so a new
    platform touches platforms/ and its tests only."""
    import ast

    from autograder import COURSE_ROOT

    importers = {}
    for path in sorted((COURSE_ROOT / "autograder" / "grading").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module] + \
                [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        found = [name for name in names if name.startswith("autograder.platforms")]
        if found:
            importers[path.name] = found
    assert importers == {}
