"""The student release (autograder/grading/release.py): its own README (English and
Chinese) and Makefile, and every `make` target the released README names works in a
released copy."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from autograder import COURSE_ROOT
from autograder.grading.release import release


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A released copy with a set-up .venv: a venv that sees the course's packages (as
    `make setup` would leave it, without installing TensorFlow again)."""
    target = tmp_path_factory.mktemp("release") / "course"
    release(target)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target / ".venv")], check=True)
    site = next((target / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "course-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (target / ".venv" / ".installed").touch()
    return target


def _targets(readme: str) -> set[str]:
    return set(re.findall(r"\bmake (\w+)", readme))


def test_the_release_has_a_student_readme_and_makefile(released):
    readme = (released / "README.md").read_text()
    chinese = (released / "README.zh.md").read_text()
    assert "make check" in readme and "make watch" in readme and "notebooks" in readme and "COURSE_LANG=zh" in readme
    assert "make test" not in readme and "autograder grade" not in readme and "nbgrader" not in readme  # not the instructor's
    assert _targets(readme) == _targets(chinese)
    assert "| e09 | `e09_checkpoint.py` |" in readme and "检查点" in chinese                # from the course map
    assert (released / "Makefile").read_text() != (COURSE_ROOT / "Makefile").read_text()


def make(released: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(released), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})


def _starts(released: Path, target: str, marker: str, timeout: float = 240) -> str:
    """Start a long-running target, wait for `marker` in its output, then stop it."""
    log = released / f".{target}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(["make", "-C", str(released), target], stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while marker not in log.read_text(errors="replace") and time.monotonic() < deadline \
                and process.poll() is None:
            time.sleep(0.5)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    return log.read_text(errors="replace")


@pytest.mark.slow
def test_every_target_the_released_readme_names_works(released):
    named = _targets((released / "README.md").read_text())
    assert named == {"check", "watch", "progress", "hint", "reset", "lab"}
    done = make(released, "check", "TOPICS=e01")
    assert done.returncode != 0 and "not attempted" in done.stdout, done.stdout + done.stderr
    done = make(released, "progress")
    assert done.returncode != 0 and "e09" in done.stdout, done.stdout + done.stderr
    done = make(released, "hint", "EXERCISE=standardize", "COURSE_LANG=zh")
    assert done.returncode == 0 and "提示" in done.stdout, done.stdout + done.stderr
    exercise = released / "exercises" / "e01_tensors.py"
    blank = exercise.read_text()
    exercise.write_text((COURSE_ROOT / "solutions" / "e01_tensors.py").read_text())   # a student's finished work
    done = make(released, "reset", "EXERCISE=e01.standardize")
    assert done.returncode == 0 and (released / "exercises" / ".course-backups").is_dir(), done.stdout + done.stderr
    assert exercise.read_text() != blank and "NotImplementedError" in exercise.read_text()   # that blank only
    assert make(released, "hint").returncode != 0                        # says how to use it instead
    assert "describe" in _starts(released, "watch", "describe")
    assert "http://" in _starts(released, "lab", "http://")
