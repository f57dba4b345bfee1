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
    submission: Mapped[Student] = relationship(back_populates="results")


RESULT_FIELDS = ("check_id", "topic", "exercise", "name", "status", "points", "max_points", "message",
                 "duration_s")


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
        present = {column["name"] for column in inspect(connection).get_columns("submissions")}
        if "flags" not in present:
            connection.execute(text("ALTER TABLE submissions ADD COLUMN flags JSON"))

    def start_run(self, seed: int, topics: list[str], jobs: int, sandbox: dict) -> int:
        with Session(self.engine) as session, session.begin():
            run = Run(seed=seed, topics=topics, jobs=jobs, sandbox=sandbox)
            session.add(run)
            session.flush()
            return run.id

    def graded_checks(self, student: str, files_hash: str) -> set[str]:
        """The checks already graded from these very files (none if the files changed)."""
        with Session(self.engine) as session:
            row = session.scalar(select(Student).where(Student.student == student))
            if row is None or row.files_hash != files_hash:
                return set()
            return {result.check_id for result in row.results}

    def up_to_date(self, student: str, files_hash: str, check_ids: set[str]) -> bool:
        """Graded already, from these very files, on every one of `check_ids`?"""
        return check_ids <= self.graded_checks(student, files_hash)

    def record(self, run_id: int, student: str, files_hash: str, results: list[dict], duration_s: float,
               notes: str = "", flags: list[str] = ()) -> None:
        """Store a submission's results in one transaction. Results of other checks stay
        unless the files changed (then the old ones are stale and go)."""
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
                duration_s=float(result["duration_s"]), run_id=run_id) for result in results)

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
                           results=[{column: getattr(result, column) for column in RESULT_FIELDS}
                                    for result in sorted(row.results, key=lambda r: r.check_id)])
                    for row in session.scalars(select(Student).order_by(Student.student))]

    def runs(self) -> list[dict]:
        with Session(self.engine) as session:
            return [{"id": run.id, "started_at": run.started_at.isoformat(), "seed": run.seed, "topics": run.topics,
                     "jobs": run.jobs, "sandbox": json.dumps(run.sandbox)}
                    for run in session.scalars(select(Run).order_by(Run.id))]

    def close(self) -> None:
        self.engine.dispose()
