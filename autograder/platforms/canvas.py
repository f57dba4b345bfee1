"""Canvas: `grade` writes canvas.csv in the format of Canvas's gradebook import.

    grade SUBMISSIONS --out OUT [--roster roster.csv]

The columns are Canvas's own, as its gradebook export writes them (Student, ID, SIS User ID,
SIS Login ID, Section), then one column per topic, named "e01 Tensors and eager execution":
Canvas matches a column to the assignment of that name (create the assignments with these
names, or let the import create them). A "Points Possible" row follows the header.

The roster maps student folder names to Canvas: a CSV with a `folder` column and any of
Canvas's identity columns; the simplest is Canvas's own gradebook export with a `folder`
column added. Its students come first, in its order (with empty cells where nothing was
graded, which Canvas leaves untouched); graded folders the roster does not know are listed
after them with their folder name as Student and no ID, never dropped. No cell can become
a spreadsheet formula (grading/spreadsheet.py).

Canvas's importer matches a column by "Title (id)" first, then by exact title, and creates a
new assignment otherwise. So when the roster is Canvas's own export, whose assignment
columns read like "e01 Tensors and eager execution (4321)", each topic's column carries that
assignment's id over (a column titled with the topic's name, or starting with its id).
"""
from __future__ import annotations

import contextlib
import csv
import io
import re
from pathlib import Path

from autograder.grading import spreadsheet

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]  # Canvas's own text: its column names
FOLDER = "folder"
ASSIGNMENT_ID = re.compile(r"^(?P<title>.*\S)\s*\((?P<id>\d+)\)$")   # "e01 Tensors ... (4321)"


class Roster(dict):
    """{folder name: Canvas identity columns}, and the roster's assignment columns that carry
    a Canvas id: {title without the id: title with it}."""

    def __init__(self, students: dict, assignments: dict[str, str] | None = None):
        super().__init__(students)
        self.assignments = assignments or {}


class RosterError(ValueError):
    """A roster that cannot be used; the message says why."""


def column(topic, roster: dict | None = None) -> str:
    """The topic's column title: with the Canvas assignment id when the roster has one."""
    title = f"{topic.id} {topic.title['en']}"
    assignments = getattr(roster, "assignments", {})
    if title in assignments:
        return assignments[title]
    return next((full for base, full in assignments.items() if base.split()[0] == topic.id), title)


def read_roster(path: Path) -> Roster:
    """{folder name: Canvas identity columns} from a roster CSV (a BOM from Excel is fine)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            fields = {name.strip() for name in reader.fieldnames or ()}
            if FOLDER not in fields:
                raise RosterError(f"{path} has no '{FOLDER}' column (the student folder names); "
                                  f"its columns are: {', '.join(sorted(fields)) or 'none'}")
            assignments = {match["title"]: name for name in fields if (match := ASSIGNMENT_ID.match(name))}
            roster = Roster({}, assignments)
            for line, row in enumerate(reader, 2):
                row = {(key or "").strip(): (value or "").strip() for key, value in row.items()
                       if isinstance(value, str)}
                folder = row.get(FOLDER, "")
                if not folder:
                    continue
                if folder in roster:
                    raise RosterError(f"{path}, line {line}: folder {folder!r} appears twice")
                roster[folder] = {name: row.get(name, "") for name in IDENTITY}
                roster[folder]["Student"] = roster[folder]["Student"] or folder
            return roster
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RosterError(f"cannot read the roster {path}: {error}") from None


def write_canvas(class_, topics, path: Path, roster: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Write canvas.csv; returns the graded folders the roster does not know (all of them
    without a roster)."""
    roster = roster or {}
    scores = {graded.student: {topic.id: sum(r["points"] for r in graded.results if r["topic"] == topic.id)
                               for topic in topics if any(r["topic"] == topic.id for r in graded.results)}
              for graded in class_}
    unknown = [student for student in scores if student not in roster]
    with (contextlib.nullcontext(path) if hasattr(path, "write") else open(path, "w", newline="", encoding="utf-8")) \
            as file:  # a file already open: a trial write in memory (outputs.write_all)
        writer = spreadsheet.writer(file)
        writer.writerow(IDENTITY + [column(topic, roster) for topic in topics])
        writer.writerow(["Points Possible", "", "", "", ""] + [topic.max_points for topic in topics])
        rows = [(identity, scores.get(folder, {})) for folder, identity in roster.items()]
        rows += [({**dict.fromkeys(IDENTITY, ""), "Student": student}, scores[student]) for student in unknown]
        for identity, points in rows:
            writer.writerow([identity[name] for name in IDENTITY] + [points.get(topic.id, "") for topic in topics])
    return unknown


def writer(roster: dict[str, dict[str, str]] | None = None):
    """canvas.csv as one of `grade`'s outputs (grading/outputs.py), each student tried alone."""
    def write(outputs) -> list[str]:
        fine = outputs.alone("canvas.csv", outputs.class_, lambda graded: write_canvas(
            [graded], outputs.topics, io.StringIO(), roster))
        unknown = write_canvas(fine, outputs.topics, outputs.out / "canvas.csv", roster)
        return [f"canvas.csv ({len(unknown)} not in the roster: {', '.join(unknown)})" if roster and unknown
                else "canvas.csv"]
    return write
