"""Grading on a Dask cluster (grading/executor.py): a scheduler and two workers as real
processes on 127.0.0.1, a worker killed with -9 in the middle of a submission, a second
client racing the first on a PostgreSQL gradebook, and a task that kills its worker
twice. The long runs are in the slow suite.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder import COURSE_ROOT
from autograder.grading import batch as batch_module
from autograder.grading.executor import ALLOWED_FAILURES, DaskExecutor, killed_worker
from autograder.grading.gradebook import Gradebook
from tests.conftest import EXERCISES, SOLUTIONS
from tests.test_gradebook import postgres  # noqa: F401  (the PostgreSQL server fixture)

TOPICS = ["e01"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _class(root: Path, references: int = 3) -> Path:
    subs = root / "subs"
    for n in range(references):
        (subs / f"ref{n}").mkdir(parents=True)
        shutil.copy(SOLUTIONS / "e01_tensors.py", subs / f"ref{n}")
    (subs / "blank").mkdir()
    shutil.copy(EXERCISES / "e01_tensors.py", subs / "blank")
    return subs


class Cluster:
    """`dask scheduler` and two `dask worker`s (one thread each, no nanny: a killed worker stays dead)."""

    def __init__(self, folder: Path):
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(COURSE_ROOT),
               "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(ALLOWED_FAILURES)}
        self.log = open(folder / "cluster.log", "wb")
        self.scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                           "127.0.0.1", "--port", str(self.port), "--dashboard-address", ":0"],
                                          env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=folder)
        self.workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", self.address,
                                          "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                                          "--no-dashboard", "--memory-limit", "0"],
                                         env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=folder)
                        for _ in range(2)]
        from distributed import Client
        with Client(self.address, timeout=120) as client:
            client.wait_for_workers(2, timeout=180)

    def close(self) -> None:
        for process in self.workers + [self.scheduler]:
            if process.poll() is None:
                process.kill()
            process.wait()
        self.log.close()


def _grade(subs: Path, out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--topics", *TOPICS,
               "--weak-sandbox", *extra]
    return subprocess.Popen(command, cwd=COURSE_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "120"})


def _statuses(url: str) -> dict[str, list[str]]:
    book = Gradebook(url)
    try:
        return {g.student: [r["status"] for r in g.results] for g in book.graded()}
    finally:
        book.close()


def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="cluster-test-"))
    root.chmod(0o711)  # the sandbox uids reach their scratch under OUT/.work
    return root


@pytest.mark.slow
@pytest.mark.quiet  # kills a worker 2 s into a grading that two clients race for
def test_a_worker_killed_mid_submission_loses_nothing_and_a_second_client_counts_nothing_twice(postgres):  # noqa: F811
    root = _root()
    subs = _class(root)
    cluster = Cluster(root)
    url = postgres.url("cluster_class")
    try:
        first = _grade(subs, root / "out1", "--cluster", cluster.address, "--db", url)
        second = _grade(subs, root / "out2", "--cluster", cluster.address, "--db", url)  # races the first
        deadline = time.monotonic() + 300
        while not list((root / "out1" / ".work").glob("*/grader.log")) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # a submission is being graded on some worker: kill one worker now
        victim = cluster.workers[0]
        os.kill(victim.pid, signal.SIGKILL)
        outputs = [process.communicate(timeout=900)[0] for process in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], outputs
    finally:
        cluster.close()
    graded = _statuses(url)
    assert sorted(graded) == ["blank", "ref0", "ref1", "ref2"]
    checks = len(graded["ref0"])
    for name in ("ref0", "ref1", "ref2"):  # each counted once, and as it is graded alone
        assert graded[name] == ["passed"] * checks, graded[name]
    assert set(graded["blank"]) == {"not_attempted"} and len(graded["blank"]) == checks
    alone = _grade(subs, root / "alone", "--jobs", "1", "--student", "ref0")
    alone.communicate(timeout=600)
    assert _statuses(f"sqlite:///{root / 'alone' / 'gradebook.db'}")["ref0"] == graded["ref0"]
    shutil.rmtree(root, ignore_errors=True)


def _die() -> None:
    os._exit(1)  # what a task that takes its worker down looks like to the scheduler


@pytest.mark.slow
def test_a_task_that_kills_its_worker_twice_is_not_retried_forever():
    executor = DaskExecutor("local:2")
    try:
        future = executor.client.submit(_die, pure=False)
        with pytest.raises(Exception) as raised:
            future.result(timeout=300)
        assert killed_worker(raised.value), raised.value
    finally:
        executor.close()


def test_a_submission_that_killed_its_worker_is_recorded_as_an_error_with_a_message(tmp_path):
    options = batch_module.Options(submissions=tmp_path / "subs", out=tmp_path / "out", topics=["e01"],
                                   weak_sandbox=True)
    grader = batch_module.Batch(options)
    run = grader.book.start_run(1, ["e01"], 1, {})
    job = batch_module._Job(found=batch_module.Found("crasher", tmp_path, "hash-c"), unreadable={}, topics=["e01"],
                            missing={"e01"})
    killed = type("KilledWorker", (Exception,), {})("grade-crasher", "tcp://127.0.0.1:1")
    grader._finish(job, run, killed)
    row = grader.book.graded()[0]
    assert {r["status"] for r in row.results} == {"error"} and "2 times" in row.results[0]["message"]
    assert grader.book.graded_checks("crasher", "hash-c"), "recorded under its files: not retried next run"
    assert grader.failed == []
    grader.book.close()


def test_local_cluster_and_local_jobs_grade_alike(tmp_path):
    root = _root()
    subs = _class(root, references=1)
    for out, extra in (("jobs", ("--jobs", "2")), ("local", ("--cluster", "local:2"))):
        done = _grade(subs, root / out, *extra)
        output = done.communicate(timeout=900)[0]
        assert done.returncode == 0, output
        assert "Sandbox layers" in output and "grading" in output
    assert _statuses(f"sqlite:///{root / 'jobs' / 'gradebook.db'}") == \
        _statuses(f"sqlite:///{root / 'local' / 'gradebook.db'}")
    shutil.rmtree(root, ignore_errors=True)


def test_each_local_slot_gives_its_workers_a_share_of_the_cores(monkeypatch):
    """Two slots on two cores: a worker's TensorFlow pools get one thread each, not two
    that take turns with the other slot's (a remote cluster's hosts keep their own)."""
    from autograder.engine import client
    from autograder.grading import executor as executor_module

    monkeypatch.setattr(executor_module.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    seen = []
    monkeypatch.setattr(executor_module, "grade_here", lambda task: seen.append(task) or None)
    task = executor_module.Task(student="s", files={}, topics=TOPICS, seed=1, timeout_scale=1.0, limit_s=60,
                                work_root="/nonexistent")
    with executor_module.LocalExecutor(2) as executor:
        list(executor.run([task]))
    policy = seen[0].settings.policy(0)
    assert policy.threads == 2
    assert client._worker_environment(policy)["TF_NUM_INTRAOP_THREADS"] == "2"
    assert task.settings.threads is None  # the batch's own task is not changed
