"""Shared helpers for the course's own tests."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

from autograder import COURSE_ROOT, i18n
from autograder.course import load_course

SOLUTIONS = COURSE_ROOT / "solutions"
EXERCISES = COURSE_ROOT / "exercises"


@pytest.fixture(autouse=True)
def english_unless_a_test_chooses(monkeypatch):
    """Tests read English (whatever the machine's locale) unless they choose a language; a
    choice (`--lang zh` run in-process sets it for the process) never leaks into the next test."""
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.setenv(i18n.LANGUAGE_VARIABLE, "en")


def run_check(submission: Path, *topics: str, only: list[str] | None = None, extra: list[str] = (),
              timeout: float = 900) -> tuple[int, dict, str]:
    """Run `python -m autograder check` in a fresh process; returns (exit code, JSON, output)."""
    report = Path(tempfile.mkdtemp(prefix="check-report-")) / "report.json"  # never inside the checkout
    command = [sys.executable, "-m", "autograder", "check", *topics, "--submission", str(submission),
               "--json", str(report), "--lang", "en", *extra]
    for name in only or ():
        command += ["--only", name]
    done = subprocess.run(command, cwd=COURSE_ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})
    data = json.loads(report.read_text()) if report.exists() else {}
    shutil.rmtree(report.parent, ignore_errors=True)
    return done.returncode, data, done.stdout + done.stderr


def submission_with(tmp_path: Path, module: str, code: str, base: Path = SOLUTIONS) -> Path:
    """A submission folder holding `base`'s file for `module` with `code` appended (so its
    definitions replace the reference ones)."""
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    source = (base / f"{module}.py").read_text(encoding="utf-8")
    (folder / f"{module}.py").write_text(source + "\n\n# --- variant under test ---\n" + code, encoding="utf-8")
    return folder


def load_mistakes() -> list[dict]:
    """Every topic's catalogued mistakes, in course order, each with its topic's module."""
    mistakes = []
    for topic in load_course().topics:
        if topic.mistakes_file.is_file():
            with open(topic.mistakes_file, "rb") as file:
                for mistake in tomllib.load(file).get("mistake", []):
                    mistakes.append({**mistake, "module": topic.module})
    return mistakes


@pytest.fixture(scope="session")
def course():
    return load_course()


@pytest.fixture
def copy_of():
    def copy(folder: Path, tmp_path: Path) -> Path:
        target = tmp_path / folder.name
        shutil.copytree(folder, target)
        return target
    return copy


@pytest.fixture
def traversable_tmp():
    """A temporary folder every user may enter (pytest's tmp_path is root's alone): where a
    test grades, since the sandbox's own user must reach the course files and scratch there."""
    folder = Path(tempfile.mkdtemp(prefix="course-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
