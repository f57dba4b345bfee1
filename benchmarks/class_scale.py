"""Issue 15's targets, ratios measured in one run (a script, not a timed test):

    .venv/bin/python benchmarks/class_scale.py [--copies 20] [--topics e01 e02 ...]

1. `import tensorflow` in a fresh process (the unit of cost);
2. `check` of the chosen topics on solutions/ (warm parent: target <= 3.5x the import
   for the whole course);
3. `grade --jobs 2` of N reference copies with warm workers, then with cold ones
   (target: warm >= 2x faster per submission);
4. `grade --cluster local:2` of the same class (target: within 10% of --jobs 2, warm).
nbgrader's autograde of the same class as notebooks: `benchmarks/grading.py`.
Every `grade` starts from an empty output folder, with every sandbox layer the machine has.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def timed(command: list[str]) -> float:
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--topics", nargs="+", default=None, help="default: the whole course")
    args = parser.parse_args()
    topics = args.topics or []
    root = Path(tempfile.mkdtemp(prefix="class-scale-"))
    root.chmod(0o711)
    subs = root / "subs"
    for n in range(args.copies):
        shutil.copytree(ROOT / "solutions", subs / f"student{n:03d}", ignore=shutil.ignore_patterns("__pycache__"))
    topic_args = ["--topics", *topics] if topics else []
    figures = {"import tensorflow": timed([PY, "-c", "import tensorflow"])}
    figures["check (warm)"] = timed([PY, "-m", "autograder", "check", *topics, "--submission", "solutions"])
    for name, extra in (("grade --jobs 2 warm", ["--jobs", "2"]),
                        ("grade --jobs 2 cold", ["--jobs", "2", "--workers", "cold"]),
                        ("grade --cluster local:2 warm", ["--cluster", "local:2"])):
        out = root / name.replace(" ", "_").replace(":", "")
        figures[name] = timed([PY, "-m", "autograder", "grade", str(subs), "--out", str(out), *topic_args, *extra])
    for name, seconds in figures.items():
        per = f" ({seconds / args.copies:.1f} s per submission)" if name.startswith("grade") else ""
        print(f"{name:32s} {seconds:8.1f} s{per}")
    print(f"check / import tensorflow:       {figures['check (warm)'] / figures['import tensorflow']:.2f}x (target <= 3.5)")
    print(f"cold / warm per submission:      "
          f"{figures['grade --jobs 2 cold'] / figures['grade --jobs 2 warm']:.2f}x (target >= 2)")
    print(f"local:2 / --jobs 2:              "
          f"{figures['grade --cluster local:2 warm'] / figures['grade --jobs 2 warm']:.2f} (target within 1.10)")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
