"""Issue 11's attacks on the grading path, one test each, every one bounded to a canary in
the test's own temporary folder (the attacks themselves live in tests/adversarial/).

The attacks that need a worker run `check` under the grading policy without bubblewrap
(the weakest sandbox `grade --weak-sandbox` allows), so that the path rules themselves,
not bubblewrap's private view, are what stops them. The batch-wide ones (no process
survives, outputs are private, a mixed class grades as each alone) are in test_sandbox.py.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.engine import boundary, protocol, sandbox, uids
from autograder.grading import batch as batch_module
from autograder.grading import executor as executor_module
from autograder.grading.executor import Outcome
from autograder.grading.gradebook import Gradebook
from tests.conftest import SOLUTIONS, run_check

ADVERSARIAL = Path(__file__).parent / "adversarial"
MODULE = "e01_tensors"
AS_ROOT = os.geteuid() == 0


def _attack(folder: Path, name: str, canary: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    code = (ADVERSARIAL / f"{name}.py").read_text(encoding="utf-8").replace("__CANARY__", str(canary))
    reference = (SOLUTIONS / f"{MODULE}.py").read_text(encoding="utf-8")
    (folder / f"{MODULE}.py").write_text(reference + "\n\n# --- attack ---\n" + code, encoding="utf-8")
    return folder


@pytest.fixture
def weak_grading_policy(monkeypatch, traversable_tmp):
    """`check` runs its workers as `grade --weak-sandbox` would: another uid, no bubblewrap."""
    if not AS_ROOT:
        pytest.skip("the uid switch needs root: without it a worker may write whatever the grader can")
    policy = sandbox.Policy.for_grading(7, memory_bytes=3 * sandbox.GiB, use_bwrap=False)
    monkeypatch.setenv(sandbox.ENV_VAR, policy.to_env())
    monkeypatch.setenv("TMPDIR", str(traversable_tmp))  # scratch folders the sandbox uid can reach
    return policy


# -- item 1: root follows no path a worker planted -------------------------------------------
def test_links_planted_for_the_next_worker_and_its_own_log_are_never_followed(tmp_path, weak_grading_policy):
    canary = tmp_path / "canary.txt"
    canary.write_text("SECRET-CANARY-1\n")
    folder = _attack(tmp_path / "plant", "plant_links", canary)
    _, data, output = run_check(folder, "e01", only=["test_describe_shape_is_a_tuple_of_ints",
                                                     "test_standardize_matches_numpy"])
    results = {r["name"]: r for r in data.get("checks", [])}
    assert canary.read_text() == "SECRET-CANARY-1\n", "root wrote through a planted link"
    assert canary.stat().st_uid == 0 and tmp_path.stat().st_uid == 0, "root handed a planted tree over"
    assert results["test_describe_shape_is_a_tuple_of_ints"]["status"] == "error", output
    assert "SECRET-CANARY" not in json.dumps(data), "a planted log link brought a file into the feedback"
    assert results["test_standardize_matches_numpy"]["status"] == "passed", output


# -- item 2: what a submission writes is cleaned at the boundary --------------------------------
@pytest.mark.parametrize("text, expected", [
    ("bad \ud800 x", "bad \\ud800 x"), ("esc \x1b[2J\x00", "esc \\x1b[2J\\x00"), ("ok\nline\ttab é 中", "ok\nline\ttab é 中")])
def test_clean_text_escapes_what_no_file_or_terminal_should_hold(text, expected):
    assert boundary.clean_text(text) == expected
    assert len(boundary.clean_text("x" * 10_000, limit=100)) == 100


def _batch(tmp_path: Path) -> batch_module.Batch:
    options = batch_module.Options(submissions=tmp_path / "subs", out=tmp_path / "out", topics=["e01"],
                                   weak_sandbox=True)
    (tmp_path / "subs").mkdir()
    return batch_module.Batch(options)


def _job(grader: batch_module.Batch, student: str, messages: dict[str, str]):
    checks = [{"id": c.id, "topic": c.topic, "exercise": c.exercise, "name": c.name, "status": "error",
               "points": 0, "max_points": c.points, "message": messages.get(c.name, "boom"), "duration_s": 0.1}
              for c in grader.checks]
    report = json.loads(json.dumps({"checks": checks}))  # as the child writes it (ASCII escapes) and it is read
    found = batch_module.Found(student, grader.out, "hash-" + student)
    job = batch_module._Job(found=found, unreadable={}, topics=["e01"], missing={"e01"})
    return job, Outcome(report=report, timed_out=False, duration_s=1.0)


def test_a_lone_surrogate_in_a_message_fails_nothing_and_is_stored_escaped(tmp_path):
    grader = _batch(tmp_path)
    run = grader.book.start_run(1, ["e01"], 1, {})
    name = grader.checks[0].name
    for student, messages in (("hostile", {name: "\ud800 broken \x1b[2J"}), ("honest", {})):
        job, outcome = _job(grader, student, messages)
        grader._finish(job, run, outcome)
    graded = {g.student: g for g in grader.book.graded()}
    assert set(graded) == {"hostile", "honest"} and grader.failed == []
    message = next(r["message"] for r in graded["hostile"].results if r["name"] == name)
    assert message == "\\ud800 broken \\x1b[2J"
    grader.book.close()


def test_a_submission_whose_record_fails_is_marked_and_regraded_next_run(tmp_path, monkeypatch):
    grader = _batch(tmp_path)
    run = grader.book.start_run(1, ["e01"], 1, {})
    real = Gradebook.record
    calls = []

    def failing_once(self, *args, **kwargs):
        calls.append(args[1])
        if len(calls) == 1:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Gradebook, "record", failing_once)
    job, outcome = _job(grader, "unlucky", {})
    grader._finish(job, run, outcome)
    assert grader.failed == ["unlucky"]
    row = grader.book.graded()[0]
    assert row.student == "unlucky" and {r["status"] for r in row.results} == {"error"}
    assert "graded again" in row.notes
    assert grader.book.graded_checks("unlucky", "hash-unlucky") == set(), "it would not be regraded"
    grader.book.close()


# -- item 4: answers are read within bounds, regular files only ----------------------------------
def _decode_in_thread(tree, folder: Path) -> tuple[bool, BaseException | None]:
    outcome: list = []

    def run():
        try:
            protocol.decode(tree, folder)
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001  (reported to the test)
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    return bool(outcome), (outcome[0] if outcome else None)


def test_a_fifo_in_place_of_an_array_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "a0.npy")
    try:
        finished, error = _decode_in_thread({"__npy__": "a0.npy"}, tmp_path)
    finally:  # unblock a reader stuck on the FIFO (the code before the fix); fails when there is none
        try:
            os.close(os.open(tmp_path / "a0.npy", os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert finished, "the grader hung on a FIFO"
    assert isinstance(error, ValueError) and "regular file" in str(error)


def test_one_array_referenced_thousands_of_times_counts_each_time(tmp_path):
    np.save(tmp_path / "a0.npy", np.zeros(16))
    finished, error = _decode_in_thread({"many": [{"__npy__": "a0.npy"}] * (protocol.BOUNDS.arrays + 1)}, tmp_path)
    assert finished and isinstance(error, protocol.TooLarge), error


def test_a_link_in_the_answer_folder_is_refused(tmp_path):
    outside = tmp_path / "outside.npy"
    np.save(outside, np.ones(2))
    (tmp_path / "out").mkdir()
    os.symlink(outside, tmp_path / "out" / "a0.npy")
    with pytest.raises(ValueError, match="plain file"):
        protocol.decode({"__npy__": "a0.npy"}, tmp_path / "out")


def test_a_fifo_answer_from_a_patched_encoder_fails_only_its_check(tmp_path, weak_grading_policy):
    folder = _attack(tmp_path / "fifo", "fifo_answer", tmp_path / "canary.txt")
    _, data, output = run_check(folder, "e01", only=["test_one_hot_is_float32", "test_describe_shape_is_a_tuple_of_ints"],
                                timeout=300)
    results = {r["name"]: r for r in data.get("checks", [])}
    assert results["test_one_hot_is_float32"]["status"] == "error", output
    assert "regular file" in results["test_one_hot_is_float32"]["message"]
    assert results["test_describe_shape_is_a_tuple_of_ints"]["status"] == "passed", output


# -- item 6: no silently weaker sandbox ---------------------------------------------------------
@pytest.mark.parametrize("lang, words", [("en", ["bubblewrap", "make system-deps", "--weak-sandbox"]),
                                         ("zh", ["bubblewrap", "make system-deps", "--weak-sandbox", "拒绝"])])
def test_grade_refuses_to_start_without_bubblewrap_unless_told_weak_sandbox(tmp_path, lang, words):
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{MODULE}.py", tmp_path / "subs" / "alice")
    command = [sys.executable, "-m", "autograder", "grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
               "--topics", "e01", "--lang", lang]
    env = {**os.environ, "PATH": str(tmp_path / "no-such-bin"), "COLUMNS": "200"}  # no bwrap on the PATH
    done = subprocess.run(command, cwd=COURSE_ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    for word in words:
        assert word in done.stdout, done.stdout
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_the_layers_of_each_grade_reach_the_summary(tmp_path):
    grader = _batch(tmp_path)
    run = grader.book.start_run(1, ["e01"], 1, {"bubblewrap": "off: not installed", "unprivileged user": "on: uid 5"})
    job, outcome = _job(grader, "alice", {})
    grader._finish(job, run, outcome)
    from autograder.grading import outputs

    outputs.write_all(grader.book, grader.out, load_course())
    summary = (grader.out / "summary.html").read_text(encoding="utf-8")
    assert "bubblewrap" in summary and "off: not installed" in summary
    grader.book.close()


# -- item 8: tampering flagged for the instructor -----------------------------------------------
def test_a_submission_that_patches_the_grader_is_flagged_in_grades_csv(tmp_path):
    grader = _batch(tmp_path)
    run = grader.book.start_run(1, ["e01"], 1, {})
    job, outcome = _job(grader, "patcher", {})
    job.flags = batch_module.scan_sources({"e01_tensors.py": (ADVERSARIAL / "patch_autograder.py").read_bytes()})
    assert job.flags, "the scan found nothing in patch_autograder.py"
    grader._finish(job, run, outcome)
    honest, honest_outcome = _job(grader, "honest", {})
    grader._finish(honest, run, honest_outcome)
    from autograder.grading import outputs

    outputs.write_all(grader.book, grader.out, load_course())
    rows = {row.split(",")[0]: row for row in (grader.out / "grades.csv").read_text().splitlines()}
    header = rows["student"].split(",")
    assert "flags" in header
    assert "autograder" in rows["patcher"] and rows["honest"].endswith(",")
    grader.book.close()


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("e*.py")) + sorted((Path(__file__).parent / "alternatives")
                                                                           .glob("e*.py")), ids=lambda p: p.name)
def test_correct_code_in_any_style_is_not_flagged(path):
    assert batch_module.scan_sources({path.name: path.read_bytes()}) == []


# -- item 9: every temporary folder of a grade is the run's own -----------------------------------
@pytest.mark.parametrize("workers", ["warm", "cold"])
def test_the_grader_child_gets_a_tmpdir_of_its_own_inside_the_output_folder(tmp_path, monkeypatch, workers):
    grader = _batch(tmp_path)
    grader.options.warm = workers == "warm"
    started = {}

    def popen(command, **kwargs):
        started.update(kwargs, args=command)
        raise RuntimeError("not started in this test")

    monkeypatch.setattr(executor_module.subprocess, "Popen", popen)
    monkeypatch.setattr(executor_module._SLOTS, "take", lambda: _FakeZygote())
    monkeypatch.setattr(executor_module._SLOTS, "give_back", lambda zygote: None)
    (tmp_path / "subs" / "alice").mkdir()
    found = batch_module.discover(tmp_path / "subs")[0]
    job = grader._prepare(found, {"e01"})
    job.topics = ["e01"]
    with pytest.raises(RuntimeError, match="not started"):
        executor_module.grade_here(grader._task(job))
    tmpdir = Path(started["env"]["TMPDIR"])
    assert tmpdir.is_relative_to(grader.out) and tmpdir.stat().st_uid == os.geteuid()
    assert str(grader.out) not in " ".join(started.get("args", [])), "a path of the output folder in a command line"
    assert bool(started["pass_fds"]) == grader.options.warm  # the warm parent's socket, and nothing else
    grader.book.close()


class _FakeZygote:
    newroot = Path("/nonexistent")

    def share(self) -> int:
        return os.open(os.devnull, os.O_RDONLY)


# -- item 3: nothing of a submission outlives it ---------------------------------------------------
def _escaped_grandchild(uid: int) -> subprocess.Popen:
    """A process of `uid` that double-forks a `setsid` grandchild (bounded: it sleeps 60 s)."""
    def become():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)

    script = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n    os._exit(0)\n"
    child = subprocess.Popen([sys.executable, "-c", script], preexec_fn=become)
    child.wait(30)
    return child


def test_ending_a_submission_kills_a_setsid_grandchild_of_its_uid():
    if not AS_ROOT:
        pytest.skip("switching to a sandbox uid needs root")
    from autograder.engine.containment import Containment, processes_of

    uid = uids.reserved().first + 60000 + os.getpid() % 90  # of this process's block: nobody else's
    box = Containment.create(f"{os.getpid()}-test", uid, 1 << 30, 64)
    try:
        _escaped_grandchild(uid)
        assert processes_of(uid), "the attack left nothing running: it proves nothing"
        assert box.end() and processes_of(uid) == []
    finally:
        from autograder.engine.containment import kill_uid
        kill_uid(uid)


def test_a_cgroup_left_by_a_batch_killed_with_minus_9_is_ended_by_the_next_run():
    if not AS_ROOT:
        pytest.skip("cgroups need root")
    from autograder.engine.containment import PREFIX, Containment, _parents, kill_uid, processes_of

    if not _parents():
        pytest.skip("no cgroup hierarchy is writable here")
    dead = next(pid for pid in range(4_000_000, 4_100_000) if not Path(f"/proc/{pid}").exists())
    uid = uids.reserved().first + 60200 + os.getpid() % 90
    box = Containment.create(f"{dead}-1", None, 1 << 30, 64)  # no uid: only the cgroup can end it
    key, folder = next(iter(box.cgroups.items()))
    try:
        def join_then_become():
            Path(folder, "cgroup.procs").write_text("0")
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

        script = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n    os._exit(0)\n"
        subprocess.Popen([sys.executable, "-c", script], preexec_fn=join_then_become).wait(30)
        assert processes_of(uid)
        assert Containment.sweep() >= 1
        assert processes_of(uid) == [] and not Path(folder).exists()
        assert Path(folder).name.startswith(PREFIX)
    finally:
        kill_uid(uid)
        for leftover in box.cgroups.values():
            Containment._end_cgroup(key, Path(leftover))
