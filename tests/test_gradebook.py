"""The gradebook (autograder/grading/gradebook.py) on SQLite and on a real PostgreSQL server.

The server is the Debian `postgresql` package's (`make system-deps`), started by these
tests in a temporary folder on 127.0.0.1 (initdb + pg_ctl, run as the unprivileged
`postgres` user when we are root) and stopped at the end; without the package, the
PostgreSQL half is skipped with the reason. Two grading clients race on one class:
nothing is counted twice, and the schema is created once, whoever comes first.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import pwd
import queue
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from autograder.grading.gradebook import Gradebook, engine_url

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PostgresServer:
    """A throwaway PostgreSQL cluster: `with PostgresServer() as server: server.url("db")`."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="tf-course-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return subprocess.run(prefix + list(command), capture_output=True, text=True, timeout=120, check=True)

    def __enter__(self) -> "PostgresServer":
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chmod(self.folder, 0o755)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "grader", "-E", "UTF8")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.folder / "log"),
                  "-o", f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder}",
                  "start")
        return self

    def url(self, database: str) -> str:
        """`postgresql://grader@127.0.0.1:PORT/DATABASE`, created now."""
        admin = create_engine(engine_url(f"postgresql://grader@127.0.0.1:{self.port}/postgres"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
        return f"postgresql://grader@127.0.0.1:{self.port}/{database}"

    def __exit__(self, *exc) -> None:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 is not installed (Debian package postgresql: make system-deps)")
    with PostgresServer() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def book_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gradebook.db'}"
    return request.getfixturevalue("postgres").url(f"book_{os.urandom(4).hex()}")


def _results(points: int) -> list[dict]:
    return [{"id": f"e01::check_{n}", "topic": "e01", "exercise": "x", "name": f"check_{n}",
             "status": "passed" if n < points else "failed", "points": int(n < points), "max_points": 1,
             "message": "", "duration_s": 0.1} for n in range(4)]


def _grade_class(url: str, students: int, start, errors) -> None:
    """One grading client: opens the gradebook (creating the schema if it is first) and
    records every student of the class, as fast as it can."""
    try:
        book = Gradebook(url)
        run = book.start_run(seed=os.getpid(), topics=["e01"], jobs=1, sandbox={})
        start.wait()  # then both record the same submissions at the same moments
        for student in range(students):
            book.record(run, f"student{student:03d}", "hash", _results(student % 5), duration_s=1.0)
        book.close()
    except BaseException as error:  # reported to the test, not lost in a child process
        errors.put(f"{type(error).__name__}: {error}")


def test_a_submission_recorded_twice_counts_once_and_new_files_replace_old_results(book_url):
    book = Gradebook(book_url)
    run = book.start_run(seed=1, topics=["e01"], jobs=1, sandbox={"bubblewrap": "on"})
    book.record(run, "alice", "h1", _results(2), duration_s=1.0)
    book.record(run, "alice", "h1", _results(2), duration_s=1.0)
    assert [len(g.results) for g in book.graded()] == [4]
    assert book.graded_checks("alice", "h1") == {f"e01::check_{n}" for n in range(4)}
    book.record(run, "alice", "h2", _results(3)[:1], duration_s=1.0)  # changed files: the old results go
    graded = book.graded()[0]
    assert graded.files_hash == "h2" and len(graded.results) == 1 and book.graded_checks("alice", "h1") == set()
    assert graded.sandbox == {"bubblewrap": "on"}
    book.close()


def test_a_result_scored_on_another_held_out_split_is_graded_again(book_url):
    book = Gradebook(book_url)
    split = {"folder": "/grader/heldout", "sha256": {"mnist_test.npz": "aa"}}
    run = book.start_run(seed=1, topics=["e01", "e04"], jobs=1, sandbox={}, heldout=split)
    results = _results(2) + [{**_results(1)[0], "id": "e04::accuracy", "topic": "e04"}]
    book.record(run, "alice", "h1", results, duration_s=1.0, scored_on={"e04": "mnist_test.npz:aa"})
    every = {result["id"] for result in results}
    assert book.graded_checks("alice", "h1", {"e01": "", "e04": "mnist_test.npz:aa"}) == every
    assert book.graded_checks("alice", "h1", {"e04": "mnist_test.npz:bb"}) == every - {"e04::accuracy"}
    graded = {result["check_id"]: result["scored_on"] for result in book.graded()[0].results}
    assert graded["e04::accuracy"] == "mnist_test.npz:aa" and graded["e01::check_0"] == ""
    assert json.loads(book.runs()[0]["heldout"]) == split
    book.close()


def test_two_clients_racing_on_one_class_count_each_submission_once(book_url):
    students = 150
    context = multiprocessing.get_context("spawn")
    start, errors = context.Barrier(2), context.Queue()
    clients = [context.Process(target=_grade_class, args=(book_url, students, start, errors)) for _ in range(2)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(300)
    problems = []
    while True:
        try:
            problems.append(errors.get(timeout=1))
        except queue.Empty:
            break
    assert problems == [] and [client.exitcode for client in clients] == [0, 0], problems
    book = Gradebook(book_url)
    graded = book.graded()
    assert len(graded) == students and len(book.runs()) == 2
    for row in graded:
        assert len(row.results) == 4, f"{row.student} counted {len(row.results)} results, not 4"
        assert sum(r["points"] for r in row.results) == int(row.student[-3:]) % 5
    book.close()


def test_the_schema_is_migrated_on_first_use(book_url):
    """A gradebook from before the `flags` column: opening it adds the column, keeps the rows."""
    book = Gradebook(book_url)
    book.record(book.start_run(seed=7, topics=[], jobs=1, sandbox={}), "old", "h", [], duration_s=2.0)
    book.close()
    engine = create_engine(engine_url(book_url))
    with engine.begin() as connection:  # as a gradebook written before the column existed
        connection.execute(text("ALTER TABLE submissions DROP COLUMN flags"))
        connection.execute(text("ALTER TABLE results DROP COLUMN scored_on"))
        connection.execute(text("ALTER TABLE runs DROP COLUMN heldout"))
    engine.dispose()
    book = Gradebook(book_url)
    assert [g.student for g in book.graded()] == ["old"] and book.graded()[0].flags == []
    run = book.start_run(seed=2, topics=["e01"], jobs=1, sandbox={})
    book.record(run, "new", "h", _results(1), duration_s=1.0, flags=["e01_tensors.py:1 imports autograder"])
    assert {g.student: g.flags for g in book.graded()}["new"] == ["e01_tensors.py:1 imports autograder"]
    assert book.graded_checks("new", "h") == {f"e01::check_{n}" for n in range(4)}
    book.close()


def test_a_plain_postgresql_url_uses_psycopg_3():
    assert engine_url("postgresql://grader@db/class") == "postgresql+psycopg://grader@db/class"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"
