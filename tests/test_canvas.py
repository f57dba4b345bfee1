"""canvas.csv (autograder/platforms/canvas.py): Canvas's gradebook import format, the
roster that maps student folders to Canvas IDs, and students the roster does not know."""
from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.platforms import canvas
from tests.conftest import EXERCISES, SOLUTIONS
from tests.test_gradescope import fake_graded


def _graded(student: str, points: dict[str, int]):
    course = load_course()
    results = [{"check_id": check.id, "topic": check.topic, "exercise": check.exercise, "name": check.name,
                "status": "passed", "points": check.points if check.topic in points else 0,
                "max_points": check.points, "message": "", "duration_s": 0.0}
               for check in course.checks if check.topic in ("e01", "e02")]
    return fake_graded(student, results)


def _rows(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_canvas_csv_has_canvas_columns_points_possible_and_keeps_unknown_students(tmp_path):
    course = load_course()
    topics = [course.topic("e01"), course.topic("e02")]
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("\ufefffolder,Student,ID,SIS User ID,SIS Login ID,Section\n"
                           "alice,\"Liddell, Alice\",101,S1,alice@x,Sec A\nbob,\"Builder, Bob\",102,S2,bob@x,Sec A\n",
                           encoding="utf-8")
    roster = canvas.read_roster(roster_file)
    unknown = canvas.write_canvas([_graded("alice", {"e01": 1}), _graded("zed", {"e02": 1})], topics,
                                  tmp_path / "canvas.csv", roster)
    rows = _rows(tmp_path / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "e01 Tensors and eager execution", f"e02 {course.topic('e02').title['en']}"]
    assert rows[1][0] == "Points Possible" and rows[1][5:] == [str(t.max_points) for t in topics]
    by_name = {row[0]: row for row in rows[2:]}
    assert by_name["Liddell, Alice"][1:5] == ["101", "S1", "alice@x", "Sec A"]
    assert by_name["Liddell, Alice"][5:] == [str(course.topic("e01").max_points), "0"]
    assert by_name["Builder, Bob"][5:] == ["", ""]               # not graded: Canvas leaves the cell alone
    assert unknown == ["zed"] and by_name["zed"][1:5] == ["", "", "", ""]   # listed, not dropped
    assert by_name["zed"][5:] == ["0", str(course.topic("e02").max_points)]


def test_canvas_assignment_ids_survive_a_round_trip_through_a_canvas_roster(tmp_path):
    """Canvas's export names its assignment columns "Title (id)"; its importer matches that
    first, so the ids come back in canvas.csv, and reading canvas.csv as a roster again keeps them."""
    course = load_course()
    topics = [course.topic("e01"), course.topic("e02"), course.topic("e03")]
    e01, e02 = canvas.column(topics[0]), canvas.column(topics[1])
    roster_file = tmp_path / "export.csv"
    roster_file.write_text(f'Student,ID,SIS User ID,SIS Login ID,Section,"{e01} (4321)",e02 (77),Notes (5),folder\n'
                           'Points Possible,,,,,12,10,,\n'
                           '"Liddell, Alice",101,S1,alice@x,Sec A,,,,alice\n"Builder, Bob",102,S2,bob@x,Sec A,,,,bob\n',
                           encoding="utf-8")
    roster = canvas.read_roster(roster_file)
    canvas.write_canvas([_graded("alice", {"e01": 1, "e02": 1})], topics, tmp_path / "canvas.csv", roster)
    rows = _rows(tmp_path / "canvas.csv")
    assert rows[0][5:] == [f"{e01} (4321)", "e02 (77)", canvas.column(topics[2])]   # e03: no id in the roster
    by_name = {row[0]: row for row in rows[2:]}
    assert by_name["Builder, Bob"][5:] == ["", "", ""]                               # no submission: left alone
    again = tmp_path / "again.csv"
    again.write_text("\n".join(",".join(f'"{cell}"' for cell in row + [name]) for name, row in
                               (("folder", rows[0]), ("", rows[1]), ("alice", by_name["Liddell, Alice"]))) + "\n")
    assert canvas.read_roster(again).assignments == {e01: f"{e01} (4321)", "e02": "e02 (77)"}


@pytest.mark.parametrize("text, why", [("name,ID\nalice,1\n", "no 'folder' column"),
                                       ("folder,ID\nalice,1\nalice,2\n", "appears twice")])
def test_a_bad_roster_is_refused_with_the_reason(tmp_path, text, why):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(canvas.RosterError, match=why):
        canvas.read_roster(path)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path), "--out", str(tmp_path / "o"),
                           "--roster", str(path)], cwd=COURSE_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and why in done.stderr and not (tmp_path / "o").exists()   # before any grading


def test_grade_writes_canvas_csv_with_the_roster(traversable_tmp):
    tmp_path = traversable_tmp
    submissions = tmp_path / "submissions"
    for student, source in (("alice", SOLUTIONS), ("zed", EXERCISES)):
        (submissions / student).mkdir(parents=True)
        (submissions / student / "e01_tensors.py").write_bytes((source / "e01_tensors.py").read_bytes())
    roster = tmp_path / "roster.csv"
    roster.write_text("folder,Student,ID,SIS User ID,SIS Login ID,Section\nalice,Alice,101,,,\n")
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(tmp_path / "out"),
                           "--topics", "e01", "--roster", str(roster), "--jobs", "2"],
                          cwd=COURSE_ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 not in the roster: zed" in " ".join(done.stdout.split())
    rows = {row[0]: row for row in _rows(tmp_path / "out" / "canvas.csv")[2:]}
    maximum = str(load_course().topic("e01").max_points)
    assert rows["Alice"][1] == "101" and rows["Alice"][5] == maximum
    assert rows["zed"][1] == "" and rows["zed"][5] == "0"
