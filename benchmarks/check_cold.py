"""Cold `check e01` against the TensorFlow import it cannot avoid (issue 2's target: at
most 1.5x). Prints medians over several runs and their ratio, in one run.

    .venv/bin/python benchmarks/check_cold.py [--runs 5]
"""
import argparse
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from interleaved import median_times

ROOT = Path(__file__).resolve().parent.parent


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1", "PATH": "/usr/bin:/bin"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    commands = {
        "import tensorflow": [sys.executable, "-c", "import tensorflow"],
        "check e01 (solutions)": [sys.executable, "-m", "autograder", "check", "e01", "--submission", "solutions"],
    }
    medians = median_times({name: partial(wall_time, command) for name, command in commands.items()},
                           runs, digits=2)
    ratio = medians["check e01 (solutions)"] / medians["import tensorflow"]
    print(f"{'ratio check / import':<24} {ratio:6.2f}x   (target <= 1.5x)")


if __name__ == "__main__":
    main()
