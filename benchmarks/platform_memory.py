"""Peak memory of a Gradescope run, per topic and for the whole course (a script, not a test):

    .venv/bin/python benchmarks/platform_memory.py [--topics e01 e04] [--no-full]

Builds the Gradescope package of each topic (and of the whole course), lays it out as
Gradescope does (source/, submission/ with the reference files, results/), runs
`run_autograder` and samples, every 0.1 s, the proportional set size (PSS: shared pages
split between the processes that share them) summed over the run's whole process tree,
sandboxed workers included. Prints the peak per package and the largest, against the
target (a full-course package under 1.5 GiB) and Gradescope's default container (768 MB).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import load_course  # noqa: E402
from autograder.platforms import gradescope  # noqa: E402

MiB = 1 << 20
TARGET_FULL = 1.5 * 1024 * MiB
GRADESCOPE_DEFAULT = 768 * 1000 * 1000


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as file:
                    parent = int(file.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def tree_pss(pid: int) -> int:
    """PSS in bytes of `pid` and every process below it."""
    tree, total, todo = _children(), 0, [pid]
    while todo:
        current = todo.pop()
        todo += tree.get(current, [])
        try:
            with open(f"/proc/{current}/smaps_rollup") as file:
                total += next(int(line.split()[1]) * 1024 for line in file if line.startswith("Pss:"))
        except (OSError, StopIteration, ValueError):
            pass
    return total


def peak_of(command: list[str], env: dict, cwd: Path) -> tuple[int, float, int]:
    """(peak PSS, seconds, exit code) of `command`."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_pss(process.pid))
        time.sleep(0.1)
    return peak, time.monotonic() - started, process.returncode


def run_package(topics: list[str] | None, scratch: Path) -> tuple[int, float, int]:
    label = "-".join(topics) if topics else "all"
    root = scratch / label
    package = scratch / f"{label}.zip"
    gradescope.build_package(package, topics)
    root.mkdir(mode=0o755)
    with zipfile.ZipFile(package) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    course = load_course()
    for topic in (course.topics if topics is None else [course.topic(t) for t in topics]):
        shutil.copy(ROOT / "solutions" / topic.file, root / "submission" / topic.file)
    (root / "results").mkdir()
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return peak_of([str(root / "run_autograder")], env, root)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topics", nargs="+", help="topic ids to measure alone (default: every topic)")
    parser.add_argument("--no-full", action="store_true", help="skip the whole-course package")
    args = parser.parse_args()
    topics = args.topics or [topic.id for topic in load_course().topics if topic.checks]
    scratch = Path(tempfile.mkdtemp(prefix="gradescope-memory-"))
    scratch.chmod(0o755)
    rows = []
    try:
        for topic in topics:
            rows.append((topic, *run_package([topic], scratch)))
        if not args.no_full:
            rows.append(("all topics", *run_package(None, scratch)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'package':<12} {'peak PSS':>10} {'seconds':>8} exit")
    for label, peak, seconds, code in rows:
        print(f"{label:<12} {peak / MiB:>7.0f} MiB {seconds:>8.1f} {code}")
    largest = max(peak for _, peak, _, _ in rows)
    print(f"largest peak {largest / MiB:.0f} MiB; Gradescope's default container {GRADESCOPE_DEFAULT / MiB:.0f} MiB")
    full = [peak for label, peak, _, _ in rows if label == "all topics"]
    if full:
        verdict = "met" if full[0] < TARGET_FULL else "NOT met"
        print(f"whole course {full[0] / MiB:.0f} MiB, target < {TARGET_FULL / MiB:.0f} MiB: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
