"""Issue 22: a batch that nothing stops. The real `grade` command on a small e01 class that
mixes correct submissions with a folder name that is not UTF-8, one of 252 bytes, one that
is a spreadsheet formula, a submission that fills its disk, and processes already running
under the uids a grader would once have borrowed. Every student gets the grade they get
alone and every output; the squatters live on. Bounded: one class, e01 only; the disk
shared by outputs, gradebook and (before issue 22) every scratch folder is a 300 MiB
tmpfs; the filler writes at most 600 MiB.
"""
from __future__ import annotations

import csv
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.engine import seccomp, sandbox, uids
from autograder.grading.gradebook import Gradebook
from autograder.grading.submissions import safe_name
from tests.conftest import SOLUTIONS

RUN_LEVEL = Path(__file__).parent / "adversarial" / "run_level"
MODULE = "e01_tensors"
AS_ROOT = os.geteuid() == 0
NAMES = {b"caf\xe9-student": "caf%E9-student", b"=HYPERLINK(\"evil.example\";\"x\")": None,
         b"x" * 252: None, b"zz-after-the-long-one": None, b"ref": None}
# What the old grader computed (BASE_UID + 4096 * (pid % 1024) + number): squatted there, and in the range given.
OLD_BASE, OLD_PER_BATCH = 100000, 4096


def _squat(uid: int) -> subprocess.Popen:
    """A process of someone else's running as `uid` (bounded: it sleeps 30 min, and the test kills it)."""
    def become():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return subprocess.Popen(["sleep", "1800"], preexec_fn=become, start_new_session=True)


def _small_disk(size: str) -> Path:
    """A folder every sandbox uid may enter, on a file system of `size` of its own."""
    root = Path(tempfile.mkdtemp(prefix="batch-attacks-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0711", "tmpfs", str(root)], check=True)
    return root


@pytest.fixture(scope="module")
def graded():
    if not AS_ROOT:
        pytest.skip("the per-submission storage, the uid switch and the squatters need root")
    root = _small_disk("300m")
    submissions, out = root / "submissions", root / "out"
    submissions.mkdir()
    reference = (SOLUTIONS / f"{MODULE}.py").read_bytes()
    for raw in NAMES:
        folder = os.path.join(os.fsencode(submissions), raw)
        os.mkdir(folder)
        Path(os.fsdecode(folder), f"{MODULE}.py").write_bytes(reference)
    (submissions / "fill_disk").mkdir()
    (submissions / "fill_disk" / f"{MODULE}.py").write_bytes(
        reference + b"\n\n# --- attack ---\n" + (RUN_LEVEL / "fill_disk.py").read_bytes())
    block = uids.BLOCK
    # The range given to grade: its first block has a user's process in it, so the grader must take the next.
    first = uids.parse_range(uids.DEFAULT_RANGE).stop + block * (1 + os.getpid() % 8)
    squatters = [_squat(first + 5)]
    # The grader execs in place of this launcher, keeping its pid: squat what the old formula would pick.
    launcher = ("import os, subprocess, sys\n"
                f"base = {OLD_BASE} + {OLD_PER_BATCH} * (os.getpid() % 1024)\n"
                "def become(uid):\n    return lambda: (os.setgroups([]), os.setgid(uid), os.setuid(uid))\n"
                "kids = [subprocess.Popen(['sleep', '1800'], preexec_fn=become(base + n), start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
                " for n in range(0, 12)]\n"
                "print('squatted', base, flush=True)\n"
                "os.execv(sys.executable, [sys.executable, '-m', 'autograder', *sys.argv[1:]])\n")
    command = [sys.executable, "-c", launcher, "grade", str(submissions), "--out", str(out), "--jobs", "2",
               "--topics", "e01", "--memory-gb", "3", "--disk-mb", "64", "--uids", f"{first}-{first + 2 * block - 1}"]
    try:
        done = subprocess.run(command, cwd=COURSE_ROOT, capture_output=True, text=True, timeout=900,
                              env={**os.environ, "COLUMNS": "200"})
        old_base = int(done.stdout.split("squatted ", 1)[1].split()[0])
        alive = {uid: _alive_as(uid) for uid in [first + 5, *range(old_base, old_base + 12)]}
        book = Gradebook(f"sqlite:///{out / 'gradebook.db'}")
        results = {g.student: {r["name"]: r for r in g.results} for g in book.graded()}
        book.close()
        copied = Path(tempfile.mkdtemp(prefix="batch-attacks-out-"))
        shutil.copytree(out, copied / "out", ignore=shutil.ignore_patterns(".work"))
        yield {"results": results, "output": done.stdout + done.stderr, "code": done.returncode,
               "out": copied / "out", "alive": alive, "first": first}
        shutil.rmtree(copied, ignore_errors=True)
    finally:
        for uid in [first + 5]:
            subprocess.run(["pkill", "-KILL", "-U", str(uid)], check=False)  # our own squatters, by uid
        for squatter in squatters:
            squatter.kill()
        if "old_base" in locals():
            for uid in range(old_base, old_base + 12):
                subprocess.run(["pkill", "-KILL", "-U", str(uid)], check=False)
        subprocess.run(["umount", "-l", str(root)], check=False)
        shutil.rmtree(root, ignore_errors=True)


def _alive_as(uid: int) -> bool:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z"):
            return True
    return False


def _full_marks() -> int:
    return sum(check.points for check in load_course().topic("e01").checks)


def test_every_correct_submission_gets_full_marks_whatever_its_folder_is_called(graded):
    for raw in NAMES:
        results = graded["results"].get(safe_name(raw))
        assert results is not None, f"{raw[:40]!r} was not graded:\n{graded['output'][-3000:]}"
        assert sum(r["points"] for r in results.values()) == _full_marks(), (raw[:40], graded["output"][-3000:])
    assert "caf%E9-student" in graded["results"]


def test_every_student_gets_every_output(graded):
    out = graded["out"]
    for raw in [*NAMES, b"fill_disk"]:
        name = safe_name(raw)
        assert (out / "feedback" / f"{name}.html").is_file(), name
        assert (out / "gradescope" / name / "results.json").is_file(), name
    for output in ("grades.csv", "canvas.csv", "junit.xml", "summary.html"):
        assert (out / output).is_file(), output


def test_no_csv_cell_is_a_formula(graded):
    for output in ("grades.csv", "canvas.csv"):
        with open(graded["out"] / output, newline="", encoding="utf-8") as file:
            cells = [cell for row in csv.reader(file) for cell in row]
        assert any("HYPERLINK" in cell for cell in cells), output
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], output


def test_a_submission_that_fills_its_disk_fails_alone_naming_its_bound(graded):
    results = graded["results"]["fill_disk"]
    assert sum(r["points"] for r in results.values()) == 0, results
    assert all("64 MiB" in r["message"] for r in results.values()), [r["message"][:200] for r in results.values()]


def test_processes_already_running_as_other_uids_live_on(graded):
    assert all(graded["alive"].values()), graded["alive"]
    assert f"on: uid {graded['first'] + uids.BLOCK}" in graded["output"], graded["output"][:3000]


def test_grade_refuses_to_start_when_no_uid_can_be_reserved(tmp_path):
    if not AS_ROOT:
        pytest.skip("the uid switch needs root")
    first = uids.parse_range(uids.DEFAULT_RANGE).stop + uids.BLOCK * 10 + 2 * (os.getpid() % 1000)
    squatter = _squat(first + 1)
    try:
        (tmp_path / "subs" / "ref").mkdir(parents=True)
        shutil.copy(SOLUTIONS / f"{MODULE}.py", tmp_path / "subs" / "ref")
        for lang, words in (("en", "cannot reserve uids"), ("zh", "无法")):
            done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "subs"), "--out",
                                   str(tmp_path / f"out-{lang}"), "--topics", "e01", "--uids", f"{first}-{first + 1}",
                                   "--lang", lang],
                                  cwd=COURSE_ROOT, capture_output=True, text=True, timeout=300)
            assert done.returncode == 2 and words in done.stdout and str(first + 1) in done.stdout, done.stdout
        assert _alive_as(first + 1)
    finally:
        squatter.kill()


def test_no_worker_can_create_a_namespace():
    """The filter a worker installs (cold and warm alike, engine/worker.py): unshare of a
    user namespace works before it and fails after it, in a child that exits at once."""
    libc = ctypes.CDLL(None, use_errno=True)
    for install in (False, True):
        pid = os.fork()
        if pid == 0:
            if install:
                seccomp.forbid_namespaces()
            os._exit(0 if libc.unshare(0x10000000) == 0 else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == (1 if install else 0)


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_clean_worker_starts_after_the_submission_ended_under_its_own_uid_on_a_read_only_copy(
        warm, traversable_tmp, monkeypatch):
    """A submission that leaves a process running (linger.py), then a clean probe: when the
    clean worker is made, no process of the submission's uid is left, and the worker gets
    a uid of its own and a root-owned copy of the scratch folder in the folder's place."""
    if not (AS_ROOT and sandbox.bwrap_works(sandbox.Policy.for_grading(0).uid)):
        pytest.skip("the clean worker's uid and view need root and bubblewrap")
    from autograder.engine.client import Submission
    from autograder.engine.containment import kill_uid, processes_of
    from autograder.engine.warm import Zygote
    from autograder.outcomes import CheckOutcome

    monkeypatch.setattr(tempfile, "tempdir", str(traversable_tmp))
    policy = sandbox.Policy.for_grading(21 + warm, memory_bytes=3 * sandbox.GiB)
    folder = traversable_tmp / "linger"
    folder.mkdir()
    (folder / f"{MODULE}.py").write_bytes((SOLUTIONS / f"{MODULE}.py").read_bytes() + b"\n\n"
                                          + (RUN_LEVEL / "linger.py").read_bytes())
    topic = load_course().topic("e01")
    zygote = Zygote(preload=[topic.probe_module], environment=policy) if warm else None
    seen = []
    submission = Submission(folder, policy=policy, worker_factory=zygote.workers(policy) if warm else None)
    make = submission._make_worker

    def watched(home, files, chosen=None):
        seen.append({"policy": chosen or policy, "running": processes_of(policy.uid), "clean": files is None})
        return make(home, files) if chosen is None else make(home, files, chosen)

    submission._make_worker = watched
    try:
        submission.begin_check(120)
        submission.probe(topic, "describe", value=[[1.0, 2.0]], dtype="float32")
        assert processes_of(policy.uid), "the attack left nothing running: it proves nothing"
        try:
            submission.probe(topic, "describe", with_submission=False, fresh=True, value=[[1.0, 2.0]], dtype="float32")
        except CheckOutcome:
            pass  # a probe of the submission run without it: what matters is who ran it, and where
        clean = next(entry for entry in seen if entry["clean"])
        assert clean["running"] == [], "the submission's processes were still running"
        assert clean["policy"].uid not in (policy.uid, None)
        view = Path(clean["policy"].clean_view)
        assert view.stat().st_uid == 0 and view.stat().st_mode & 0o777 == 0o755
        copied = view / "submission" / f"{MODULE}.py"
        assert copied.stat().st_uid == 0 and copied.stat().st_mode & 0o777 == 0o644
    finally:
        submission.close()
        if zygote is not None:
            zygote.close()
        kill_uid(policy.uid)


def test_an_error_of_the_grader_itself_is_no_grade_and_is_graded_again(tmp_path):
    """A check that failed on the trusted side (its report lists it in internal_errors):
    the submission is marked, not graded, and named at the end of the run."""
    from autograder.grading import batch as batch_module
    from autograder.grading.executor import Outcome

    options = batch_module.Options(submissions=tmp_path / "subs", out=tmp_path / "out", topics=["e01"],
                                   weak_sandbox=True)
    (tmp_path / "subs").mkdir()
    grader = batch_module.Batch(options)
    run = grader.book.start_run(1, ["e01"], 1, {})
    checks = [{"id": c.id, "status": "passed" if index else "error", "duration_s": 0.1,
               "message": "" if index else "internal error in the check: OSError: [Errno 28] No space left on device"}
              for index, c in enumerate(grader.checks)]
    report = {"checks": checks, "internal_errors": [grader.checks[0].id]}
    found = batch_module.Found("unlucky", grader.out, "hash-unlucky")
    job = batch_module._Job(found=found, unreadable={}, topics=["e01"], missing={"e01"})
    grader._finish(job, run, Outcome(report=report, timed_out=False, duration_s=1.0))
    assert grader.failed == ["unlucky"]
    assert grader.book.graded_checks("unlucky", "hash-unlucky") == set(), "it was recorded as a grade"
    (row,) = grader.book.graded()
    assert "graded again" in row.notes and "No space left" in row.notes
    grader.book.close()
