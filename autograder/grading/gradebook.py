"""The gradebook: every grading run, submission and check result, in a SQL database.

    book = Gradebook("sqlite:///out/gradebook.db")      # any SQLAlchemy URL
    run = book.start_run(seed=1234, topics=["e01"], jobs=2, sandbox={...})
    book.record(run, "alice", files_hash, results, duration_s=12.3)   # one transaction

SQLite by default; PostgreSQL (`postgresql://USER@HOST/DB`, through psycopg 3) for one
shared by several grading clients; any SQLAlchemy URL. A submission's results are written
in one transaction together with the hash of its files and the run (and so the seed) that
produced them: a grader killed at any moment leaves each submission either fully graded
or untouched. Two clients grading the same class at once serialise on the submission's
row (created if missing without a race, then locked `FOR UPDATE`), so a submission is
never counted twice; the schema is created, or migrated, on first use under a lock.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import (JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint, create_engine, delete,
                        event, inspect, select, text)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Run(Base):
    """One invocation of `grade`: its seed reproduces the random inputs of the checks."""
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=_now)
    seed: Mapped[int] = mapped_column(Integer)
    topics: Mapped[list] = mapped_column(JSON)
    jobs: Mapped[int] = mapped_column(Integer)
    sandbox: Mapped[dict] = mapped_column(JSON)
    # The held-out files its checks scored on: {"folder": ..., "sha256": {name: digest}}.
    heldout: Mapped[dict | None] = mapped_column(JSON, default=dict)


class Student(Base):
    """One submission (a student's folder) and the hash of the files last graded."""
    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student: Mapped[str] = mapped_column(String(255), unique=True)
    files_hash: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    graded_at: Mapped[dt.datetime] = mapped_column(default=_now)
    duration_s: Mapped[float] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")
    flags: Mapped[list] = mapped_column(JSON, default=list)   # tampering signs for the instructor (tampering.py)
    results: Mapped[list["Result"]] = relationship(back_populates="submission", cascade="all, delete-orphan")
    sources: Mapped[list["Source"]] = relationship(cascade="all, delete-orphan")
    run: Mapped[Run] = relationship()


class Result(Base):
    """One check of one submission."""
    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("submission_id", "check_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    check_id: Mapped[str] = mapped_column(String(255))   # "e01::test_..."
    topic: Mapped[str] = mapped_column(String(16))
    exercise: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    max_points: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    duration_s: Mapped[float] = mapped_column(Float)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    # The named mistake behind a failure (autograder/mistakes.py): its key, its text per
    # language, and the check that named it when another check of the exercise did.
    mistake: Mapped[str | None] = mapped_column(Text, default="")
    mistake_text: Mapped[dict | None] = mapped_column(JSON, default=dict)
    named_by: Mapped[str | None] = mapped_column(String(255), default="")
    # The held-out files the check's topic scored on ("mnist_test.npz:<sha256> ..."; empty
    # for a topic that reads none): a result scored on another split is graded again.
    scored_on: Mapped[str | None] = mapped_column(Text, default="")
    submission: Mapped[Student] = relationship(back_populates="results")


class Source(Base):
    """The text of one exercise file as graded (the class report compares them: similarity.py)."""
    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("submission_id", "file"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    file: Mapped[str] = mapped_column(String(255))   # "e01_tensors.py"
    text: Mapped[str] = mapped_column(Text)


SOURCE_CHARS = 200_000   # of one file kept: more than any exercise needs


RESULT_FIELDS = ("check_id", "topic", "exercise", "name", "status", "points", "max_points", "message",
                 "duration_s", "mistake", "mistake_text", "named_by", "scored_on")
# Columns added after the first gradebooks were written: (table, column, its SQL type).
ADDED_COLUMNS = (("submissions", "flags", "JSON"), ("results", "mistake", "TEXT"), ("results", "mistake_text", "JSON"),
                 ("results", "named_by", "VARCHAR(255)"), ("runs", "heldout", "JSON"), ("results", "scored_on", "TEXT"))


@dataclass
class Graded:
    """A submission as the outputs read it."""
    student: str
    files_hash: str
    seed: int
    graded_at: dt.datetime
    duration_s: float
    notes: str
    results: list[dict]   # RESULT_FIELDS of each check
    flags: list[str] = field(default_factory=list)   # for the instructor to review; grades are unchanged by them
    sandbox: dict = field(default_factory=dict)      # the layers the grade was made under (its run's)


SCHEMA_LOCK = 0x7466636F  # a PostgreSQL advisory lock id: one client creates or migrates the schema at a time


def engine_url(url: str) -> str:
    """`postgresql://...` means psycopg 3 (SQLAlchemy would pick psycopg2, not installed)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _or_empty(value, column: str):
    """A column added later is NULL in the rows written before it: read as empty."""
    if value is None and column in ("mistake", "named_by", "scored_on"):
        return ""
    return {} if value is None and column == "mistake_text" else value


class Gradebook:
    def __init__(self, url: str):
        self.url = url
        sqlite_wait = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}  # another client writing
        self.engine = create_engine(engine_url(url), **sqlite_wait)
        if self.engine.dialect.name == "sqlite":
            @event.listens_for(self.engine, "connect")
            def _pragmas(connection, _):
                cursor = connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")     # readers never block the writer
                cursor.execute("PRAGMA synchronous=FULL")     # a commit survives a power cut
                cursor.close()
        for attempt in range(3):
            try:
                with self.engine.begin() as connection:
                    if self.engine.dialect.name == "postgresql":  # two clients starting at once: one creates
                        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": SCHEMA_LOCK})
                    Base.metadata.create_all(connection)
                    self._add_missing_columns(connection)
                break
            except OperationalError as error:
                # SQLite has no schema lock: another client created a table (or column) between
                # our look and our CREATE. Look again; what it made is what we wanted.
                if attempt == 2 or not any(why in str(error) for why in ("already exists", "duplicate column")):
                    raise

    @staticmethod
    def _add_missing_columns(connection) -> None:
        """A gradebook written before a column existed gets it (empty), so a rerun resumes it."""
        inspector = inspect(connection)
        present = {table: {column["name"] for column in inspector.get_columns(table)}
                   for table in {added[0] for added in ADDED_COLUMNS}}
        for table, column, kind in ADDED_COLUMNS:
            if column not in present[table]:
                connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))

    def start_run(self, seed: int, topics: list[str], jobs: int, sandbox: dict, heldout: dict | None = None) -> int:
        with Session(self.engine) as session, session.begin():
            run = Run(seed=seed, topics=topics, jobs=jobs, sandbox=sandbox, heldout=heldout or {})
            session.add(run)
            session.flush()
            return run.id

    def graded_checks(self, student: str, files_hash: str, scored_on: dict[str, str] | None = None) -> set[str]:
        """The checks already graded from these very files (none if the files changed), on
        the held-out files `scored_on` names for their topic ({topic: "name:sha256 ..."})."""
        scored_on = scored_on or {}
        with Session(self.engine) as session:
            row = session.scalar(select(Student).where(Student.student == student))
            if row is None or row.files_hash != files_hash:
                return set()
            return {result.check_id for result in row.results
                    if (result.scored_on or "") == scored_on.get(result.topic, "")}

    def record(self, run_id: int, student: str, files_hash: str, results: list[dict], duration_s: float,
               notes: str = "", flags: list[str] = (), sources: dict[str, bytes] | None = None,
               scored_on: dict[str, str] | None = None) -> None:
        """Store a submission's results in one transaction. Results of other checks stay
        unless the files changed (then the old ones are stale and go). `sources`, when
        given, replace the exercise files kept for it ({file name: bytes}); `scored_on`
        names the held-out files each topic scored on ({topic: "name:sha256 ..."})."""
        scored_on = scored_on or {}
        with Session(self.engine) as session, session.begin():
            row, created = self._locked_row(session, student, files_hash, run_id, duration_s)
            if not created and row.files_hash != files_hash:
                session.execute(delete(Result).where(Result.submission_id == row.id))
            elif not created:
                replaced = [result["id"] for result in results]
                session.execute(delete(Result).where(Result.submission_id == row.id, Result.check_id.in_(replaced)))
            row.files_hash, row.run_id, row.graded_at = files_hash, run_id, _now()
            row.duration_s, row.notes, row.flags = duration_s, notes, list(flags)
            session.add_all(Result(
                submission_id=row.id, check_id=result["id"], topic=result["topic"], exercise=result["exercise"],
                name=result["name"], status=result["status"], points=int(result["points"]),
                max_points=int(result["max_points"]), message=result["message"],
                duration_s=float(result["duration_s"]), run_id=run_id, mistake=result.get("mistake", ""),
                mistake_text=dict(result.get("mistake_text") or {}), named_by=result.get("named_by", ""),
                scored_on=scored_on.get(result["topic"], ""))
                for result in results)
            if sources is not None:
                session.execute(delete(Source).where(Source.submission_id == row.id))
                session.add_all(Source(submission_id=row.id, file=name[:255],
                                       text=data.decode("utf-8", errors="replace")[:SOURCE_CHARS].replace("\0", ""))
                                for name, data in sorted(sources.items()))

    def _locked_row(self, session: Session, student: str, files_hash: str, run_id: int,
                    duration_s: float) -> tuple[Student, bool]:
        """The submission's row, created if missing (an insert that cannot race another
        client's) and locked until the transaction ends; True if this call created it."""
        insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(self.engine.dialect.name)
        if insert is not None:
            values = {"student": student, "files_hash": files_hash, "run_id": run_id, "duration_s": duration_s,
                      "graded_at": _now(), "notes": "", "flags": []}
            created = session.execute(insert(Student).values(**values).on_conflict_do_nothing(
                index_elements=["student"]).returning(Student.id)).first() is not None
        else:  # another database: the unique constraint still refuses a second row
            created = session.scalar(select(Student.id).where(Student.student == student)) is None
            if created:
                session.add(Student(student=student, files_hash=files_hash, run_id=run_id, duration_s=duration_s))
                session.flush()
        row = session.scalar(select(Student).where(Student.student == student).with_for_update()
                             .execution_options(populate_existing=True))
        return row, created

    def graded(self) -> list[Graded]:
        """Every graded submission with its results (plain dicts, ordered by check id)."""
        with Session(self.engine) as session:
            return [Graded(student=row.student, files_hash=row.files_hash, seed=row.run.seed,
                           graded_at=row.graded_at, duration_s=row.duration_s, notes=row.notes,
                           flags=list(row.flags or []), sandbox=dict(row.run.sandbox or {}),
                           results=[{column: _or_empty(getattr(result, column), column) for column in RESULT_FIELDS}
                                    for result in sorted(row.results, key=lambda r: r.check_id)])
                    for row in session.scalars(select(Student).order_by(Student.student))]

    def sources(self) -> dict[str, dict[str, str]]:
        """The exercise files kept for each submission: {student: {file name: text}}."""
        with Session(self.engine) as session:
            rows = session.execute(select(Student.student, Source.file, Source.text).join(
                Source, Source.submission_id == Student.id).order_by(Student.student, Source.file))
            kept: dict[str, dict[str, str]] = {}
            for student, file, text_ in rows:
                kept.setdefault(student, {})[file] = text_
            return kept

    def runs(self) -> list[dict]:
        with Session(self.engine) as session:
            return [{"id": run.id, "started_at": run.started_at.isoformat(), "seed": run.seed, "topics": run.topics,
                     "jobs": run.jobs, "sandbox": json.dumps(run.sandbox), "heldout": json.dumps(run.heldout or {})}
                    for run in session.scalars(select(Run).order_by(Run.id))]

    def close(self) -> None:
        self.engine.dispose()
