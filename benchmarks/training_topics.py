"""Wall time of `python -m autograder check e04 e05 --submission solutions`, median of 3 runs.

    .venv/bin/python benchmarks/training_topics.py [--runs N]

Each run is a fresh process, as a student's `check` is: TensorFlow's import in the worker
is included. Run it on an otherwise idle machine; it prints each run and the median.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "autograder", "check", "e04", "e05", "--submission", "solutions", "--lang", "en"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times = []
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        done = subprocess.run(COMMAND, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        status = "all passed" if done.returncode == 0 else f"exit code {done.returncode}"
        print(f"run {run}: {times[-1]:.1f} s ({status})", flush=True)
        if done.returncode != 0:
            print(done.stdout[-2000:] + done.stderr[-2000:], file=sys.stderr)
            return 1
    print(f"check e04 e05 on solutions/: median {statistics.median(times):.1f} s wall over {len(times)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
