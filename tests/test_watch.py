"""End to end: `python -m autograder watch` in a real terminal (tmux), driven like a student.

Saves a correct answer into a copy of exercises/ and sees the check pass, moves on with n,
asks for a hint with h, saves a crashing and a hanging answer (the session goes on; the
next save stops the hang), saves a wrong answer and sees the targeted message, resets with
r r and sees the blank again (with a backup of the wrong answer), quits with q, and resumes
where it stopped. A second test drives --manual (Enter re-checks). The tests of issue 13
save a syntax error, a file that is not UTF-8 and an endless loop at import, and scroll
the list in a 40-row terminal.
"""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.selfstudy.reset import BACKUPS, locate
from tests.conftest import EXERCISES, SOLUTIONS

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (make system-deps installs it)")

STARTUP = 240.0  # TensorFlow's import on a busy machine, and the first check of e01


class Terminal:
    """One tmux session running a command; `screen()` is what a person would see."""

    def __init__(self, command: list[str], width: int = 200, height: int = 60):
        self.name = f"watch-test-{uuid.uuid4().hex[:8]}"
        line = f"cd {shlex.quote(str(COURSE_ROOT))} && {shlex.join(command)}; echo WATCH-EXITED-$?; sleep 120"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        "env", "-u", "COLUMNS", "-u", "LINES", "LANG=C.UTF-8", "sh", "-c", line], check=True)

    def screen(self) -> str:
        done = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return done.stdout

    def press(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, pattern: str, seconds: float = 60.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            text = self.screen()
            if re.search(pattern, text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} did not appear within {seconds:.0f} s; the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def watch(folder: Path, *extra: str) -> Terminal:
    return Terminal([sys.executable, "-m", "autograder", "watch", "--submission", str(folder), "--lang", "en", *extra])


def put_definition(folder: Path, module: str, name: str, code: str) -> None:
    """Replace the top-level definition `name` in the student's file by `code` (one save)."""
    path = folder / f"{module}.py"
    text = path.read_text(encoding="utf-8")
    start, end, _ = locate(text, name)
    lines = text.splitlines(keepends=True)
    lines[start - 1:end] = [code if code.endswith("\n") else code + "\n"]
    path.write_text("".join(lines), encoding="utf-8")


def solution_of(module: str, name: str) -> str:
    text = (SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
    start, end, _ = locate(text, name)
    return "".join(text.splitlines(keepends=True)[start - 1:end])


@pytest.fixture
def student(tmp_path) -> Path:
    folder = tmp_path / "exercises"
    shutil.copytree(EXERCISES, folder)
    return folder


def test_watch_passes_hints_resets_and_resumes(student):
    course = load_course()
    standardize = course.topic("e01").exercises[1]
    first_hint = course.check("e01", standardize.checks[0].name).hints["en"][0]
    terminal = watch(student)
    try:
        screen = terminal.wait_for(r"Re-check #1 took", STARTUP)
        assert "describe" in screen and "not attempted" in screen and "e01_tensors.py" in screen
        assert "Return a tensor's shape" in screen  # what the exercise asks, from the course map

        put_definition(student, "e01_tensors", "describe", solution_of("e01_tensors", "describe"))
        terminal.wait_for(r"All checks of describe pass")

        terminal.press("n")
        screen = terminal.wait_for(r"standardize · e01")
        assert "not attempted" in screen

        terminal.press("h")
        screen = terminal.wait_for(r"Hint 1/2")
        assert first_hint[:40] in screen.replace("\n", " ")

        # A crash fails the checks and the session goes on; so does a hang, stopped by the next save.
        crash = "def standardize(x):\n    import os\n    os._exit(3)\n"
        put_definition(student, "e01_tensors", "standardize", crash)
        terminal.wait_for(r"matches numpy \(error[\s\S]*exited with code 3")
        hang = "def standardize(x):\n    while True:\n        pass\n"
        put_definition(student, "e01_tensors", "standardize", hang)
        terminal.wait_for(r"Checking standardize")
        time.sleep(1.0)
        wrong = "def standardize(x):\n    return x - tf.reduce_mean(x, axis=0)\n"
        put_definition(student, "e01_tensors", "standardize", wrong)
        screen = terminal.wait_for(r"matches numpy \(failed", 20)  # not the check's 30 s limit
        assert "divide" in screen or "std" in screen  # the targeted message names the mistake

        terminal.press("r", "r")  # the second r confirms
        terminal.wait_for(r"Reset standardize in .* to its blank")
        screen = terminal.wait_for(r"matches numpy \(not attempted")  # re-checked after the reset
        assert "Reset standardize in" in screen
        blank = (EXERCISES / "e01_tensors.py").read_text(encoding="utf-8")
        mine = (student / "e01_tensors.py").read_text(encoding="utf-8")
        span = locate(blank, "standardize")
        assert locate(mine, "standardize") is not None
        assert "".join(blank.splitlines(True)[span[0] - 1:span[1]]) in mine  # the blank is back
        assert solution_of("e01_tensors", "describe") in mine              # the rest is untouched
        backups = list((student / BACKUPS).glob("e01_tensors-*.py"))
        assert len(backups) == 1 and wrong in backups[0].read_text(encoding="utf-8")

        terminal.press("q")
        terminal.wait_for(r"WATCH-EXITED-0", 30)
    finally:
        terminal.close()

    # The next session resumes: describe passes, so it opens on standardize (the file is as
    # it was when describe passed, so the saved results hold and nothing needs checking).
    terminal = watch(student)
    try:
        screen = terminal.wait_for(r"Resumed with the results saved last time", STARTUP)
        assert "standardize · e01" in screen and "matches numpy (not attempted" in screen
        terminal.press("q")
        terminal.wait_for(r"WATCH-EXITED-0", 30)
    finally:
        terminal.close()


def test_watch_manual_rechecks_on_enter(student):
    terminal = watch(student, "--manual")
    try:
        terminal.wait_for(r"Re-check #1 took", STARTUP)
        assert "Press Enter to re-check" in terminal.screen()
        put_definition(student, "e01_tensors", "describe", solution_of("e01_tensors", "describe"))
        time.sleep(1.0)
        assert "All checks of describe pass" not in terminal.screen()  # nothing happens on save
        terminal.press("Enter")
        terminal.wait_for(r"All checks of describe pass")
        terminal.press("q")
        terminal.wait_for(r"WATCH-EXITED-0", 30)
    finally:
        terminal.close()


# -- issue 13: broken files, a list taller than the terminal, reset twice, regressions -----------
def test_watch_shows_import_errors_as_check_does_and_survives_an_endless_import(student):
    path = student / "e01_tensors.py"
    terminal = watch(student)
    try:
        terminal.wait_for(r"Re-check #1 took", STARTUP)
        put_definition(student, "e01_tensors", "describe", solution_of("e01_tensors", "describe"))
        terminal.wait_for(r"All checks of describe pass")
        good = path.read_bytes()
        line = good.count(b"\n") + 2

        path.write_bytes(good + b"\nbroken = (1,\n")  # a missing )
        screen = terminal.wait_for(r"SyntaxError")
        flat = screen.replace("\n", "")
        assert f"'(' was never closed (e01_tensors.py, line {line}: `broken = (1,`)" in flat, screen
        assert "exited with code" not in screen and "frozen" not in screen
        terminal.press("h")  # hints are about the exercise; this file does not even import
        assert "does not import" in terminal.wait_for(r"does not import").replace("\n", "")

        path.write_bytes(good + b"\nlabel = '\xb6'\n")  # saved in Latin-1
        screen = terminal.wait_for(r"not saved as UTF-8")
        assert f"e01_tensors.py is not saved as UTF-8 (byte 0xb6 at line {line}): save it as UTF-8" in \
            screen.replace("\n", "")

        path.write_bytes(good + b"\nwhile True:\n    pass\n")  # an endless loop at import
        terminal.wait_for(r"Checking describe")
        time.sleep(1.0)
        path.write_bytes(good)  # the next save stops it: no waiting for the check's time limit
        terminal.wait_for(r"All checks of describe pass", 20)

        # r asks first; after the time to confirm, nothing has happened.
        terminal.press("r")
        terminal.wait_for(r"Press r again within 3 s to reset describe")
        time.sleep(4.0)
        assert "Press r again" not in terminal.screen() and path.read_bytes() == good
        terminal.press("r", "r")
        terminal.wait_for(r"Reset describe in .* to its blank")
        terminal.wait_for(r"shape is a tuple of ints \(not attempted")
        terminal.press("r", "r")  # still the blank: nothing to reset, no second backup
        terminal.wait_for(r"describe is still its blank")
        assert len(list((student / BACKUPS).glob("e01_tensors-*.py"))) == 1
        terminal.press("q")
        terminal.wait_for(r"WATCH-EXITED-0", 30)
    finally:
        terminal.close()


def test_watch_list_fits_a_small_terminal_and_a_regression_after_all_pass_is_seen(tmp_path):
    from tests.test_selfstudy import all_passed

    folder = tmp_path / "done"
    shutil.copytree(SOLUTIONS, folder)
    all_passed(folder, load_course())
    terminal = Terminal([sys.executable, "-m", "autograder", "watch", "--submission", str(folder), "--lang", "en"],
                        width=100, height=40)
    try:
        terminal.wait_for(r"Every exercise passes", STARTUP)
        terminal.press("l")
        screen = terminal.wait_for(r"l or Esc: back")
        rows = screen.rstrip("\n").split("\n")
        assert "TensorFlow course · watch" in rows[0], screen  # the top has not scrolled away
        assert "e01 · Tensors" in screen and "e09" not in screen and re.search(r"lines 1–\d+ of \d+", screen)
        terminal.press("NPage")
        screen = terminal.wait_for(r"e09")
        assert "TensorFlow course · watch" in screen.split("\n")[0]
        terminal.press("PPage")
        terminal.wait_for(r"e01 · Tensors")
        terminal.press("l")

        path = folder / "e01_tensors.py"
        path.write_text(path.read_text(encoding="utf-8") + "\nbroken = (1,\n", encoding="utf-8")
        screen = terminal.wait_for(r"SyntaxError", STARTUP)  # TensorFlow starts only now
        assert "describe · e01" in screen and "Every exercise passes" not in screen
        terminal.press("q")
        terminal.wait_for(r"WATCH-EXITED-0", 30)
    finally:
        terminal.close()
