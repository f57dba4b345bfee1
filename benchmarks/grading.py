"""Batch grading speed, measured in one run (a script, not a timed test):

    .venv/bin/python benchmarks/grading.py [--copies 20] [--topics e01] [--with-notebooks]

1. `grade` on N copies of the reference submission (.py files) with --jobs 1;
2. the same with --jobs 2;
3. the same N as nbgrader notebooks (the course's `nbgrader-course`, reference answers in
   the released notebook) through `nbgrader autograde`, which runs one notebook at a time;
4. with --with-notebooks, `grade --jobs 2` on those very notebooks too.

Prints each wall time and the ratios (target: --jobs 2 at least 1.6x faster than --jobs 1,
and faster than nbgrader). Each `grade` run starts from an empty output folder.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import load_course  # noqa: E402


def timed(command: list[str], cwd: Path, env: dict | None = None) -> float:
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed


def grade(submissions: Path, out: Path, jobs: int, topics: list[str]) -> float:
    shutil.rmtree(out, ignore_errors=True)
    return timed([sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out), "--jobs",
                  str(jobs), "--topics", *topics], ROOT)


def nbgrader_class(work: Path, modules: list[str], copies: int) -> Path | None:
    """An nbgrader course with `copies` students who handed in the reference answers."""
    course = work / "nbgrader"
    done = subprocess.run([sys.executable, "-m", "autograder", "nbgrader-course", str(course)], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"nbgrader part skipped: `nbgrader-course` failed:\n{done.stderr[-1500:]}")
        return None
    for module in modules:
        if not (course / "source" / module).is_dir():
            print(f"nbgrader part skipped: the nbgrader course has no {module} yet")
            return None
        timed([sys.executable, "-m", "nbgrader", "generate_assignment", module, "--force"], course, _nbgrader_env())
        source = nbformat.read(course / "source" / module / f"{module}.ipynb", as_version=4)
        answers = {cell.metadata.nbgrader["grade_id"]: cell.source for cell in source.cells
                   if cell.metadata.get("nbgrader", {}).get("solution")}
        released = nbformat.read(course / "release" / module / f"{module}.ipynb", as_version=4)
        for cell in released.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source = answers[grade_id]
        for index in range(copies):
            folder = course / "submitted" / f"student{index:02d}" / module
            folder.mkdir(parents=True)
            nbformat.write(released, folder / f"{module}.ipynb")
    return course


def _nbgrader_env() -> dict:
    # nbgrader runs `alembic` for its database: the venv's bin/ must be on PATH.
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--topics", nargs="+", default=["e01"])
    parser.add_argument("--with-notebooks", action="store_true", help="also grade the nbgrader notebooks with ours")
    args = parser.parse_args()
    course = load_course()
    modules = [course.topic(key).module for key in args.topics]
    topics = [course.topic(key).id for key in args.topics]
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    work.chmod(0o711)  # the sandbox users must reach their scratch folders under OUT/.work
    try:
        submissions = work / "submissions"
        for index in range(args.copies):
            folder = submissions / f"student{index:02d}"
            folder.mkdir(parents=True)
            for module in modules:
                shutil.copy(ROOT / "solutions" / f"{module}.py", folder)
        times = {}
        print(f"{args.copies} copies of the reference, topics {' '.join(topics)}, {os.cpu_count()} CPUs")
        times["grade --jobs 1"] = grade(submissions, work / "out1", 1, topics)
        print(f"grade --jobs 1: {times['grade --jobs 1']:.1f} s", flush=True)
        times["grade --jobs 2"] = grade(submissions, work / "out2", 2, topics)
        print(f"grade --jobs 2: {times['grade --jobs 2']:.1f} s", flush=True)
        nbcourse = nbgrader_class(work, modules, args.copies)
        if nbcourse is not None:
            started = time.monotonic()
            for module in modules:
                timed([sys.executable, "-m", "nbgrader", "autograde", module, "--create"], nbcourse, _nbgrader_env())
            times["nbgrader autograde"] = time.monotonic() - started
            print(f"nbgrader autograde: {times['nbgrader autograde']:.1f} s", flush=True)
            if args.with_notebooks:
                notebooks = work / "notebooks"
                for student in sorted((nbcourse / "submitted").iterdir()):
                    (notebooks / student.name).mkdir(parents=True)
                    for module in modules:
                        shutil.copy(student / module / f"{module}.ipynb", notebooks / student.name)
                times["grade --jobs 2 (notebooks)"] = grade(notebooks, work / "out3", 2, topics)
                print(f"grade --jobs 2 on the notebooks: {times['grade --jobs 2 (notebooks)']:.1f} s", flush=True)
        print()
        for name, seconds in times.items():
            print(f"{name:30s} {seconds:7.1f} s  {seconds / args.copies:5.2f} s per submission")
        print(f"speed-up of --jobs 2 over --jobs 1: {times['grade --jobs 1'] / times['grade --jobs 2']:.2f}x "
              "(target >= 1.6x)")
        if "nbgrader autograde" in times:
            for name in ("grade --jobs 1", "grade --jobs 2"):
                print(f"nbgrader autograde / {name}: {times['nbgrader autograde'] / times[name]:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
