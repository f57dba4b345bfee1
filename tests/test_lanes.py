"""`check` of several topics in parallel lanes (autograder/lanes.py) sharing one zygote
with a channel per lane (engine/warm.py): the same results as one lane, faults that stay
in their lane, and nothing left behind when the run is stopped."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.engine import client, sandbox
from autograder.engine.client import Submission
from autograder.engine.warm import Zygote
from tests.conftest import EXERCISES, SOLUTIONS, run_check, submission_with

LIGHT = ["e01", "e02", "e03", "e05"]  # checks that train nothing: a run takes seconds


def _statuses(report: dict) -> dict[str, tuple[str, str]]:
    return {check["id"]: (check["status"], check["message"]) for check in report["checks"]}


def test_lanes_give_the_results_of_one_lane_check_for_check(tmp_path):
    """A submission mixing a mistake, a blank and correct code: two lanes report what one
    does, message for message (the same seed reaches every lane)."""
    folder = submission_with(tmp_path, "e02_autodiff",
                             "def fit_linear_regression(X, y, *args, **kwargs):\n    return 0.0, 0.0\n")
    shutil.copy(EXERCISES / "e03_models.py", folder)
    for topic in ("e01", "e05"):
        shutil.copy(load_course().topic(topic).solution, folder)
    one = run_check(folder, *LIGHT, extra=["--jobs", "1", "--seed", "11"])
    two = run_check(folder, *LIGHT, extra=["--jobs", "2", "--seed", "11"])
    assert one[0] == two[0] == 1, two[2][-3000:]
    assert _statuses(one[1]) == _statuses(two[1])
    statuses = {status for status, _ in _statuses(two[1]).values()}
    assert {"passed", "failed", "not_attempted"} <= statuses  # the mistake and the blank show, in both
    assert [check["id"] for check in two[1]["checks"]] == [check.id for t in LIGHT
                                                          for check in load_course().topic(t).checks]
    assert "seed 11" in two[2]


# A run whose lane for e03 fails (`raise` or `kill`), in a process of its own: lanes fork
# the process that runs them, and a pytest-xdist worker is not one to fork (its channel to
# the controller broke once in CI).
FAULTY_RUN = """
import os, signal, sys
from autograder import lanes
from autograder.course import load_course
real = lanes.run_checks

def faulty(folder, topics, **options):
    if topics[0].id == "e03":
        if sys.argv[1] == "raise":
            raise RuntimeError("a course bug in e03's checks")
        os.kill(os.getpid(), signal.SIGKILL)
    return real(folder, topics, **options)

lanes.run_checks = faulty
try:
    lanes.run_in_lanes(sys.argv[2], [load_course().topic(t) for t in sys.argv[3:]], lanes=2)
except RuntimeError as error:
    print("RuntimeError:", error)
"""


def _faulty_run(fault: str, scratch: Path) -> str:
    done = subprocess.run([sys.executable, "-c", FAULTY_RUN, fault, str(SOLUTIONS), *LIGHT], cwd=COURSE_ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(scratch)})
    return done.stdout + done.stderr


def test_a_lane_that_fails_stops_the_run_with_its_reason_and_leaves_nothing(tmp_path):
    output = _faulty_run("raise", tmp_path)
    assert "RuntimeError: Traceback" in output and "a course bug in e03's checks" in output, output[-3000:]
    assert list(tmp_path.iterdir()) == []


def test_stopping_a_run_twice_leaves_no_process_and_no_folder(tmp_path):
    """Ctrl-C reaches every process of the terminal's group, twice if the student insists:
    the lanes stop their workers and remove their scratch folders; the command says
    nothing more and exits with 130."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "autograder", "check", "--submission", str(SOLUTIONS),
                                "--jobs", "2"], cwd=COURSE_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True, env={**os.environ, "TMPDIR": str(scratch)})
    time.sleep(5)  # the zygote is ready and both lanes are in the middle of a topic
    os.killpg(process.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 130, output[-2000:]
    assert "Traceback" not in output, output[-3000:]
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(process.pid)
    assert list(scratch.iterdir()) == []


def _group_alive(group: int) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == group:
                    return True
            except ProcessLookupError:
                pass
    return False


def test_each_lane_has_its_own_channel_and_children(tmp_path):
    """Closing one lane's channel ends that lane's workers only; the other lane goes on."""
    course = load_course()
    with Zygote([course.topic("e01").probe_module], lanes=2) as zygote:
        first, second = zygote._lanes  # what lane(0) and lane(1) would each keep in their process
        clients = [Zygote.over(channel, zygote.newroot) for channel in (first, second)]
        submissions = [Submission(SOLUTIONS, worker_factory=lane.worker) for lane in clients]
        try:
            for submission in submissions:
                _standardize(submission)
            doomed, survivor = (submission._worker for submission in submissions)
            first.close()  # as when lane 0's process ends
            deadline = time.monotonic() + 10
            while doomed.alive and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not doomed.alive and survivor.alive
            _standardize(submissions[1])
        finally:
            submissions[1].close()
            shutil.rmtree(submissions[0].scratch, ignore_errors=True)


def _standardize(submission: Submission) -> None:
    x = np.random.default_rng(0).normal(size=(4, 3))
    submission.begin_check(30)
    out = submission.probe(load_course().topic("e01"), "standardize", x=x, dtype="float64")
    np.testing.assert_allclose(np.asarray(out["value"], dtype=float), (x - x.mean(axis=0)) / x.std(axis=0),
                               rtol=1e-6)


def test_a_lane_share_of_the_cores_reaches_tensorflow():
    env = client._worker_environment(sandbox.Policy(threads=1))
    assert env["TF_NUM_INTRAOP_THREADS"] == env["TF_NUM_INTEROP_THREADS"] == "1"
    assert "TF_NUM_INTRAOP_THREADS" not in client._worker_environment(sandbox.Policy())


def test_the_longest_topics_go_first():
    topics = load_course().topics
    heaviest = max(topics, key=lambda topic: topic.check_seconds)
    assert heaviest.id == "e07"  # the text classifier's 30 epochs
    assert all(topic.check_seconds > 0 for topic in topics)


def test_a_lane_killed_outright_fails_the_run_with_a_reason_and_leaves_nothing(tmp_path):
    """The kernel's OOM killer gives no warning: the run says a process ended, and the
    lane's scratch folder goes with the run's, not with the lane."""
    output = _faulty_run("kill", tmp_path)
    assert "RuntimeError: a process checking some topics of this run ended unexpectedly (exit code -9)" in output, \
        output[-3000:]
    assert list(tmp_path.iterdir()) == []
