"""The course map (`course.toml` at the top of the course): the one place that lists the
topics in order, their exercises, and each check's points, time limit and hints.

    course = load_course()
    topic = course.topic("autodiff")        # by id ("e02") or slug
    check = course.check("e02", "test_linreg_grads_match_finite_differences")
    check.hints["zh"][0]
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from autograder import COURSE_ROOT
from autograder.i18n import LANGUAGES, raw

COURSE_MAP = COURSE_ROOT / "course.toml"


@dataclass(frozen=True)
class Check:
    name: str            # the pytest function name, e.g. "test_standardize_matches_numpy"
    topic: str           # topic id, e.g. "e01"
    exercise: str        # the syllabus name it checks, e.g. "standardize"
    points: int
    timeout: float       # seconds for all of the check's probes
    hidden: bool         # run by `grade`, left out of the student release (code in checks/hidden/)
    hints: dict[str, list[str]]

    @property
    def id(self) -> str:
        return f"{self.topic}::{self.name}"


@dataclass(frozen=True)
class Exercise:
    name: str
    topic: str
    summary: dict[str, str]
    checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class Topic:
    """A topic, and the one place that knows where each of its files lives: every runner,
    test and tool asks the topic rather than building a path from its names."""
    id: str              # "e01"
    slug: str            # "tensors"
    title: dict[str, str]
    notes_section: str
    # Seconds its checks take on the reference solution in a parallel `check`, TensorFlow
    # already imported (benchmarks/class_scale.py prints them): `check` starts the longest first.
    check_seconds: float = 1.0
    # Grader-only files its checks score on under `grade` (in data/heldout/; autograder/heldout.py).
    heldout: tuple[str, ...] = ()
    exercises: list[Exercise] = field(default_factory=list)
    root: Path = COURSE_ROOT  # the course checkout whose map this topic is in

    @property
    def module(self) -> str:
        """The submission module and file stem, e.g. "e01_tensors"."""
        return f"{self.id}_{self.slug}"

    # -- in any submission or notebook folder ---------------------------------------------
    @property
    def file(self) -> str:
        """The exercise file's name in a submission folder: "e01_tensors.py"."""
        return f"{self.module}.py"

    @property
    def notebook_file(self) -> str:
        """The notebook's name in a notebook folder: "e01_tensors.ipynb"."""
        return f"{self.module}.ipynb"

    # -- in the course checkout -----------------------------------------------------------
    @property
    def solution(self) -> Path:
        return self.root / "solutions" / self.file

    @property
    def exercise_file(self) -> Path:
        """The generated blank the course ships in exercises/."""
        return self.root / "exercises" / self.file

    @property
    def notebook(self) -> Path:
        return self.root / "notebooks" / self.notebook_file

    @property
    def check_module(self) -> Path:
        """The pytest module of the topic's checks."""
        return self.root / "autograder" / "checks" / f"test_{self.module}.py"

    @property
    def hidden_check_module(self) -> Path:
        """The pytest module of its hidden checks (left out of the student release)."""
        return self.root / "autograder" / "checks" / "hidden" / f"test_{self.module}.py"

    @property
    def probe_module(self) -> str:
        """The module a worker imports for the probes the checks call."""
        return f"autograder.probes.{self.module}"

    @property
    def probe_file(self) -> Path:
        return self.root / "autograder" / "probes" / self.file

    @property
    def mistakes_file(self) -> Path:
        """The catalogue of typical mistakes the checks must catch (tests/test_mistakes.py)."""
        return self.root / "tests" / "mistakes" / f"{self.module}.toml"

    @property
    def alternatives_file(self) -> Path:
        """A correct submission written differently that must pass (tests/test_alternatives.py)."""
        return self.root / "tests" / "alternatives" / self.file

    @property
    def alternatives_files(self) -> list[Path]:
        """Its alternatives file, and the one in the style of the notes' handbook."""
        return [self.alternatives_file, self.root / "tests" / "alternatives" / "handbook" / self.file]

    def check_modules(self, include_hidden: bool = False) -> list[Path]:
        """The topic's check modules that exist here (hidden ones only when asked)."""
        paths = [self.check_module, self.hidden_check_module] if include_hidden else [self.check_module]
        return [path for path in paths if path.is_file()]

    @property
    def checks(self) -> list[Check]:
        return [check for exercise in self.exercises for check in exercise.checks]

    @property
    def max_points(self) -> int:
        return sum(check.points for check in self.checks)


@dataclass(frozen=True)
class Course:
    topics: list[Topic]

    def topic(self, key: str) -> Topic:
        for topic in self.topics:
            if key in (topic.id, topic.slug, topic.module):
                return topic
        known = ", ".join(f"{t.id} ({t.slug})" for t in self.topics)
        raise KeyError(f"no topic {key!r}; the topics are {known}")

    def topic_of_check_module(self, path: Path) -> Topic:
        """The topic whose check module (public or hidden) is `path`."""
        path = Path(path).resolve()
        for topic in self.topics:
            if path in (topic.check_module.resolve(), topic.hidden_check_module.resolve()):
                return topic
        raise KeyError(f"{path} is no topic's check module in {COURSE_MAP.name}")

    def check(self, topic_id: str, name: str) -> Check:
        for check in self.topic(topic_id).checks:
            if check.name == name:
                return check
        raise KeyError(f"check {name!r} of topic {topic_id} is not in {COURSE_MAP.name}")

    @property
    def checks(self) -> list[Check]:
        return [check for topic in self.topics for check in topic.checks]


def _english(table: dict, key: str, where: str):
    """The English source of `key = { en = ... }`: course.toml holds English only, and
    every translation lives in the catalogue (one way for each text, not two)."""
    value = table.get(key, {})
    if not isinstance(value, dict) or not value.get("en"):
        raise ValueError(f"{where}: {key} lacks en")
    if set(value) != {"en"}:
        raise ValueError(f"{where}: {key} has {', '.join(sorted(set(value) - {'en'}))}: course.toml holds English "
                         "only; translations go into the catalogue (autograder/locale, `make catalogues`)")
    return value["en"]


def _text(table: dict, key: str, where: str) -> dict[str, str]:
    """A title or summary in every language, from its English through the catalogue."""
    english = _english(table, key, where)
    return {lang: raw(lang, english) for lang in LANGUAGES}


def parse_course(data: dict, root: Path = COURSE_ROOT) -> Course:
    topics = []
    for raw_topic in data["topic"]:
        topic = Topic(id=raw_topic["id"], slug=raw_topic["slug"], notes_section=raw_topic.get("notes_section", ""),
                      check_seconds=float(raw_topic.get("check_seconds", 1.0)), title=_text(raw_topic, "title", raw_topic["id"]),
                      heldout=tuple(raw_topic.get("heldout", ())), root=root)
        for raw_exercise in raw_topic.get("exercise", []):
            where = f"{topic.id}.{raw_exercise['name']}"
            exercise = Exercise(name=raw_exercise["name"], topic=topic.id,
                                summary=_text(raw_exercise, "summary", where))
            for raw_check in raw_exercise.get("check", []):
                hints = _english(raw_check, "hints", f"{where}.{raw_check['name']}")
                exercise.checks.append(Check(
                    name=raw_check["name"], topic=topic.id, exercise=exercise.name,
                    points=int(raw_check.get("points", 1)), timeout=float(raw_check.get("timeout", 30)),
                    hidden=bool(raw_check.get("hidden", False)),
                    hints={lang: [raw(lang, hint) for hint in hints] for lang in LANGUAGES}))
            topic.exercises.append(exercise)
        topics.append(topic)
    return Course(topics)


@lru_cache(maxsize=None)
def load_course(path: Path = COURSE_MAP) -> Course:
    with open(path, "rb") as file:
        course = parse_course(tomllib.load(file), Path(path).resolve().parent)
    _drop_absent_hidden(course)
    return course


def _drop_absent_hidden(course: Course) -> None:
    """A hidden check's code lives in the topic's hidden check module, which the student
    release leaves out; there (or wherever it is absent) the check does not exist."""
    for topic in course.topics:
        path = topic.hidden_check_module
        source = path.read_text(encoding="utf-8") if path.is_file() else ""
        for exercise in topic.exercises:
            exercise.checks[:] = [check for check in exercise.checks
                                  if not check.hidden or f"def {check.name}(" in source]

