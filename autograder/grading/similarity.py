"""Which submissions look copied: every pair compared with copydetect, topic by topic.

copydetect (fingerprints of normalised tokens: names, comments, strings and layout do
not count) fingerprints each student's file of a topic, minus the fingerprints
of the topic's blank (`exercises/`: the given code never counts), and measures for each
pair the share of the code the two have in common. Short exercises have few ways to be
right, so independent correct work shares code too: a pair is flagged only above its
topic's threshold, calibrated on independent correct solutions (`THRESHOLDS_FILE`,
written by benchmarks/similarity_calibration.py). A flagged pair is a reason to look,
never a penalty.

    pairs = compare_class({"alice": {"e01": source, ...}, ...}, course)
    [pair for pair in pairs if pair.flagged]
"""
from __future__ import annotations

import io
import itertools
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from copydetect import CodeFingerprint, compare_files

from autograder import COURSE_ROOT
from autograder.course import Course, Topic

NOISE_TOKENS = 25     # copydetect's k: matches shorter than this many filtered characters are noise
WINDOW = 1            # no winnowing: every k-gram (winnowing picks by Python's hash, which changes per process)
THRESHOLDS_FILE = Path(__file__).with_name("similarity_thresholds.json")
# Independent correct solutions of every topic, each written apart from the others.
INDEPENDENT = ("solutions", "tests/alternatives", "tests/alternatives/handbook")
FLOOR = 0.5           # a pair sharing less than half its code is never flagged
MAX_SOURCE = 200_000  # characters of one file compared (a longer file is cut)


@dataclass
class Pair:
    topic: str
    a: str
    b: str
    similarity: float                 # the larger of the two shares of code in common (0..1)
    flagged: bool
    slices: tuple = field(default=(), repr=False)   # copydetect's matching regions in a and b (flagged only)


def _fingerprint(source: str, boilerplate=None, window: int = WINDOW) -> CodeFingerprint:
    return CodeFingerprint("submission.py", NOISE_TOKENS, window, boilerplate=boilerplate,
                           fp=io.StringIO(source[:MAX_SOURCE]))


def boilerplate(topic: Topic) -> np.ndarray:
    """Every fingerprint of the topic's blank (window 1, as copydetect takes boilerplate)."""
    return _boilerplate_of(topic.file)


@lru_cache(maxsize=None)
def _boilerplate_of(file: str) -> np.ndarray:
    blank = (COURSE_ROOT / "exercises" / file).read_text(encoding="utf-8")
    return np.unique(np.array(list(_fingerprint(blank, window=1).hashes)))


def calibration() -> dict[str, dict]:
    """Per topic: the threshold and what independent solutions share (`calibrate`)."""
    return json.loads(THRESHOLDS_FILE.read_text(encoding="utf-8"))["topics"]


def thresholds() -> dict[str, float]:
    """The flagging threshold of each topic."""
    return {topic: entry["threshold"] for topic, entry in calibration().items()}


def similarity(first: CodeFingerprint, second: CodeFingerprint) -> tuple[float, tuple]:
    """The larger share of either file's code found in the other, and the matching regions."""
    overlap, shares, slices = compare_files(first, second)
    return (float(max(shares)) if overlap else 0.0), slices


def fingerprints(sources: dict[str, str], topic: Topic) -> dict[str, CodeFingerprint]:
    """The students' fingerprints of one topic (a file without code of its own has none)."""
    printed = {student: _fingerprint(source, boilerplate(topic)) for student, source in sources.items()}
    return {student: fp for student, fp in printed.items() if fp.hashes}


def compare_topic(sources: dict[str, str], topic: Topic, threshold: float) -> list[Pair]:
    """Every pair of students who wrote code of their own for `topic`."""
    if len(sources) < 2:   # no pair (a Gradescope package grades one, and has no blanks to read)
        return []
    printed = fingerprints(sources, topic)
    pairs = []
    for a, b in itertools.combinations(sorted(printed), 2):
        value, slices = similarity(printed[a], printed[b])
        flagged = value >= threshold
        pairs.append(Pair(topic.id, a, b, round(value, 4), flagged, slices if flagged else ()))
    return pairs


def compare_class(sources: dict[str, dict[str, str]], course: Course, topics: list[Topic] | None = None,
                  limits: dict[str, float] | None = None) -> list[Pair]:
    """Every pair of every topic: `sources` maps each student to their file of each topic."""
    limits = limits or thresholds()
    pairs = []
    for topic in topics or course.topics:
        of_topic = {student: files[topic.id] for student, files in sources.items() if topic.id in files}
        pairs += compare_topic(of_topic, topic, limits.get(topic.id, 1.0))
    return pairs


def calibrate(course: Course) -> dict:
    """How similar independent correct solutions are, topic by topic, and the threshold
    that stands clearly above them: halfway from the most similar independent pair to an
    exact copy (1.0), and at least FLOOR. `python -m autograder.grading.similarity` writes
    it to THRESHOLDS_FILE; tests/test_class_report.py checks that the file is up to date."""
    topics = {}
    for topic in course.topics:
        sources = {folder: (COURSE_ROOT / folder / topic.file).read_text(encoding="utf-8") for folder in INDEPENDENT}
        pairs = {f"{pair.a} ~ {pair.b}": pair.similarity for pair in compare_topic(sources, topic, threshold=1.0)}
        highest = max(pairs.values(), default=0.0)
        topics[topic.id] = {"independent_pairs": pairs, "independent_max": highest,
                            "threshold": round(max(FLOOR, (highest + 1.0) / 2), 2)}
    return {"rule": "threshold = max(FLOOR, (independent_max + 1) / 2)", "floor": FLOOR, "noise_tokens": NOISE_TOKENS,
            "window": WINDOW, "independent": list(INDEPENDENT), "topics": topics}


if __name__ == "__main__":
    from autograder.course import load_course

    THRESHOLDS_FILE.write_text(json.dumps(calibrate(load_course()), indent=1) + "\n", encoding="utf-8")
    print(THRESHOLDS_FILE.read_text())
