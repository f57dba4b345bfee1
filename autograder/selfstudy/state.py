"""Saved progress of one submission folder, in `<folder>/.course-progress.json`.

Each exercise's result is stored with the fingerprint of what it was checked against (the
topic's file in the submission plus the grader's check, probe and course-map files), so a
result counts only while neither has changed:

    progress = Progress.load(Path("exercises"))
    progress.result(exercise)           # None when never checked or stale
    progress.record(run)                # after run_checks
    progress.save()
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.course import COURSE_MAP, Course, Exercise, Topic
from autograder.i18n import LANGUAGES
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.run import RunResult

STATE_FILE = ".course-progress.json"
_VERSION = 1


def checks_of(exercise: Exercise):
    """The checks a student runs (hidden ones are for grading only)."""
    return [check for check in exercise.checks if not check.hidden]


def checkable(topic: Topic) -> bool:
    """A topic whose checks exist yet (others are still being written)."""
    return topic.check_module.exists() and any(checks_of(exercise) for exercise in topic.exercises)


def exercises_of(course: Course) -> list[Exercise]:
    """Every exercise a student can work on, in course order."""
    return [exercise for topic in course.topics if checkable(topic)
            for exercise in topic.exercises if checks_of(exercise)]


def fingerprint(folder: Path, topic: Topic) -> str:
    """What a result of `topic` depends on: the student's file and the grader's files."""
    digest = hashlib.sha256()
    for path in (folder / topic.file, topic.check_module, topic.probe_file, COURSE_MAP):
        digest.update(path.name.encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


@dataclass
class ExerciseResult:
    status: str                  # passed, failed, not_attempted, error, timeout
    points: int
    max_points: int
    checks: list[dict]           # {"name", "status", "message", "points", "max_points"} in course order
    fingerprint: str
    checked_at: float

    @property
    def first_unpassed(self) -> dict | None:
        return next((check for check in self.checks if check["status"] != "passed"), None)


def exercise_status(statuses: list[str]) -> str:
    """One word for an exercise from its checks' statuses."""
    if statuses and all(status == "passed" for status in statuses):
        return "passed"
    if all(status == "not_attempted" for status in statuses):
        return "not_attempted"
    return next(status for status in statuses if status not in ("passed", "not_attempted"))


def key_of(exercise: Exercise) -> str:
    return f"{exercise.topic}::{exercise.name}"


class Progress:
    def __init__(self, folder: Path, data: dict | None = None):
        self.folder = Path(folder)
        self.path = self.folder / STATE_FILE
        data = data if data and data.get("version") == _VERSION else {}
        self.results: dict[str, dict] = data.get("results", {})
        self.hints: dict[str, int] = data.get("hints", {})   # check id -> tiers shown
        self.current: str | None = data.get("current")
        # the learner's language (`python -m autograder language`), None until chosen
        self.language: str | None = data.get("language") if data.get("language") in LANGUAGES else None

    @classmethod
    def load(cls, folder: Path) -> "Progress":
        try:
            return cls(folder, json.loads((Path(folder) / STATE_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return cls(folder)

    def save(self) -> None:
        data = {"version": _VERSION, "current": self.current, "results": self.results, "hints": self.hints,
                "language": self.language}
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)  # never a half-written file

    def result(self, exercise: Exercise, topic: Topic, any_age: bool = False) -> ExerciseResult | None:
        """The saved result, if it was checked against today's files (or `any_age`)."""
        raw = self.results.get(key_of(exercise))
        if raw is None:
            return None
        result = ExerciseResult(**raw)
        if not any_age and result.fingerprint != fingerprint(self.folder, topic):
            return None
        return result

    def record(self, run: RunResult, course: Course, stamps: dict[str, str]) -> None:
        """Store the results of `run` per exercise (only exercises whose checks all ran);
        `stamps` maps topic ids to their fingerprint taken before the run started."""
        by_exercise: dict[str, list] = {}
        for check in run.checks:
            by_exercise.setdefault(f"{check.topic}::{check.exercise}", []).append(check)
        for topic in course.topics:
            stamp = stamps.get(topic.id)
            for exercise in topic.exercises:
                ran = {check.name: check for check in by_exercise.get(key_of(exercise), [])}
                expected = [check.name for check in checks_of(exercise)]
                if stamp is None or not expected or any(name not in ran for name in expected):
                    continue
                checks = [{"name": name, "status": ran[name].status, "message": ran[name].message,
                           "points": ran[name].points, "max_points": ran[name].max_points} for name in expected]
                self.results[key_of(exercise)] = {
                    "status": exercise_status([check["status"] for check in checks]),
                    "points": sum(check["points"] for check in checks),
                    "max_points": sum(check["max_points"] for check in checks),
                    "checks": checks, "fingerprint": stamp, "checked_at": round(time.time(), 1)}

    def hint_tiers(self, check_id: str) -> int:
        return self.hints.get(check_id, 0)

    def show_next_hint(self, check_id: str, available: int) -> int:
        """One more tier of `check_id`'s hints (up to `available`); returns how many are shown."""
        self.hints[check_id] = min(self.hints.get(check_id, 0) + 1, available)
        return self.hints[check_id]
