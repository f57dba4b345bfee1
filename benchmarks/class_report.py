"""The class report's cost (mistakes.csv, similarity.csv/.html and the summary's sections,
grading/class_report.py) for a class of N submissions, against the cost of grading them:

    .venv/bin/python benchmarks/class_report.py [--students 200] [--seconds-per-submission 7]

The class is made without grading it: each student's file of every topic is one of the
independent correct solutions (solutions/, tests/alternatives/, the handbook ones),
disguised as its own copy (locals renamed, comments dropped, re-formatted: tests/disguise.py),
so a third of all pairs are look-alikes and the similarity page has the most work to do;
each check's result is drawn at random (most pass; failures name one of a few real
mistakes or none). Prints the median of the report's CPU time and wall time over --repeats
runs, and its share of the class's grading cost (the README's Benchmarks: a full-course
submission costs about 14 CPU-seconds, 7 s of wall time with `grade --jobs 2`). The report
runs on one core, so on a machine shared with other work its CPU time is the figure to
trust. Target: under 10%.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import load_course  # noqa: E402
from autograder.grading import class_report, outputs  # noqa: E402
from autograder.grading.gradebook import Gradebook  # noqa: E402
from autograder.grading.similarity import INDEPENDENT  # noqa: E402
from tests.disguise import disguise  # noqa: E402

MISTAKES = ("it standardizes each row (axis=1); the course asks for each column (axis=0)",
            "the factor 0.5 is missing: 0.5 * tf.reduce_sum(tf.square(a * X + b - y))",
            "it is the sum over the batch; take the mean (tf.reduce_mean), so that the loss does not grow with "
            "the batch size")


def make_class(book: Gradebook, students: int, seed: int) -> None:
    course = load_course()
    chance = random.Random(seed)
    solutions = {topic.file: [(ROOT / folder / topic.file).read_text(encoding="utf-8") for folder in INDEPENDENT]
                 for topic in course.topics}
    run = book.start_run(seed, [topic.id for topic in course.topics], 2, {})
    for number in range(students):
        sources = {file: disguise(chance.choice(options), salt=f"s{number}").encode() for file, options in
                   solutions.items()}
        results = []
        for check in course.checks:
            passed = chance.random() < 0.8
            key = chance.choice(MISTAKES + ("",)) if not passed else ""
            results.append({"id": check.id, "topic": check.topic, "exercise": check.exercise, "name": check.name,
                            "status": "passed" if passed else "failed", "points": check.points if passed else 0,
                            "max_points": check.points, "message": "" if passed else f"{check.name} is off",
                            "duration_s": 0.1, "mistake": key, "mistake_text": {"en": key} if key else {}})
        book.record(run, f"student{number:03d}", f"h{number}", results, 7.0, sources=sources)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--cpu-seconds-per-submission", type=float, default=14.0)
    args = parser.parse_args()
    course = load_course()
    with tempfile.TemporaryDirectory(prefix="class-report-") as tmp:
        out = Path(tmp)
        book = Gradebook(f"sqlite:///{out / 'gradebook.db'}")
        make_class(book, args.students, seed=1)
        print(f"made a class of {args.students} in the gradebook", flush=True)
        class_ = book.graded()
        topics = list(course.topics)
        report, wall, everything = [], [], []
        for _repeat in range(args.repeats):
            started, cpu = time.monotonic(), time.process_time()
            class_report.write(book, class_, topics, course, "en", out)
            report.append(round(time.process_time() - cpu, 1))
            wall.append(round(time.monotonic() - started, 1))
            print(f"class report: {report[-1]} CPU-s, {wall[-1]} s", flush=True)
            cpu = time.process_time()
            outputs.write_all(book, out, course, "en")
            everything.append(round(time.process_time() - cpu, 1))
        grading = args.students * args.cpu_seconds_per_submission
        flagged = sum(line.endswith(",1") for line in (out / "similarity.csv").read_text().splitlines())
        print(f"{args.students} submissions, {len(topics)} topics, {flagged} flagged pairs")
        print(f"class report (mistakes + similarity): median {statistics.median(report):.1f} CPU-s {report}, "
              f"wall {statistics.median(wall):.1f} s {wall}")
        print(f"all of grade's outputs, the report included: median {statistics.median(everything):.1f} CPU-s")
        print(f"grading them: {grading:.0f} CPU-s at {args.cpu_seconds_per_submission} each; the report adds "
              f"{statistics.median(report) / grading:.1%} (target < 10%)")
        book.close()


if __name__ == "__main__":
    main()
