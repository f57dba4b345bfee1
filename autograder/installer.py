"""Installs the course's Python packages at the exact versions of requirements.lock, the
one lock every install path uses (`make setup`, the student release's Makefile,
Gradescope's setup.sh and the Classroom workflow):

    python3 autograder/installer.py .venv/bin/python -e '.[dev]'
    python autograder/installer.py python tensorflow numpy pytest rich

Run as a script, before anything it installs exists, so it needs only the standard
library. First uv, the installer, goes into PYTHON's environment with pip, from its own
hashed entry in the lock; then uv installs the requirements given, with the lock as
constraints: each package at its locked version, each file checked against the lock's
hashes (a file whose hash differs stops the install). uv and not pip: a fresh clone's
first `make check` takes 71 s with it, 191 s with pip from the same lock and 145 s with pip
from the ranges (benchmarks/first_check.py). The lock is written by `make lock`;
tests/test_lock.py keeps it in step with pyproject.toml.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
INSTALLER = "uv"


def entry(lock_text: str, name: str) -> str:
    """The lock's entry for `name`: its `name==version` line and the hash lines after it."""
    lines = lock_text.splitlines()
    for number, line in enumerate(lines):
        if line.split("==")[0].strip().lower() == name and "==" in line:
            block = [line]
            for following in lines[number + 1:]:
                if not following.startswith("    --hash="):
                    break
                block.append(following)
            return "\n".join(block) + "\n"
    raise SystemExit(f"{LOCK.name} has no entry for {name}: run `make lock`")


def install(python: str, requirements: list[str], lock: Path = LOCK) -> int:
    python = shutil.which(python) or python  # "python" on a runner: the one its PATH finds first, for pip and uv alike
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="installer-") as pinned:
        pinned.write(entry(lock.read_text(encoding="utf-8"), INSTALLER))
        pinned.flush()
        done = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "--require-hashes", "--no-deps", "-r", pinned.name])
    if done.returncode:
        return done.returncode
    # --compile-bytecode: sandboxed workers cannot write __pycache__ into the environment,
    # so TensorFlow's modules are compiled once here, as pip would.
    return subprocess.run([python, "-m", INSTALLER, "pip", "install", "--quiet", "--python", python,
                           "--compile-bytecode", "--constraint", str(lock), *requirements]).returncode


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    sys.exit(install(sys.argv[1], sys.argv[2:]))
