"""A fresh clone's first `make check` (set up, then check the blank exercises), with the
installer's caches empty as on a new machine: uv from the lock (today's `make check`)
against pip from the same lock and pip from pyproject.toml's ranges (the setup before the
lock). Prints medians over interleaved runs and their ratios, in one run.

    .venv/bin/python benchmarks/first_check.py [--runs 3]

It clones the committed HEAD and downloads every package each time (about 1 GB).
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path

from interleaved import median_times

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else shutil.which("python3")
CHECK = ".venv/bin/python -m autograder check --submission exercises"
SETUPS = {
    "uv, lock (make check)": "make check",
    "pip, lock": f"{PYTHON} -m venv .venv && .venv/bin/python -m pip install --quiet --require-hashes "
                 f"-r requirements.lock && .venv/bin/python -m pip install --quiet --no-deps -e . && {CHECK}",
    "pip, ranges (before)": f"{PYTHON} -m venv .venv && .venv/bin/python -m pip install --quiet --upgrade pip && "
                            f".venv/bin/python -m pip install --quiet -e '.[dev]' && {CHECK}",
}


def first_check(command: str) -> float:
    with tempfile.TemporaryDirectory(prefix="first-check-") as tmp:
        clone = Path(tmp) / "course"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        env = {**os.environ, "PIP_CACHE_DIR": f"{tmp}/pip-cache", "UV_CACHE_DIR": f"{tmp}/uv-cache",
               "TF_CPP_MIN_LOG_LEVEL": "3"}
        started = time.perf_counter()
        done = subprocess.run(command, shell=True, cwd=clone, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if "pass --seed" not in done.stdout:  # check's last line: it ran (blank exercises fail)
            raise SystemExit(f"{command} did not check:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    medians = median_times({name: partial(first_check, command) for name, command in SETUPS.items()},
                           runs)
    fastest = medians["uv, lock (make check)"]
    for name, median in medians.items():
        print(f"{name + ' / uv':<32} {median / fastest:5.2f}x")


if __name__ == "__main__":
    main()
