"""Issue 15's targets, ratios measured in one run (a script, not a timed test):

    .venv/bin/python benchmarks/class_scale.py [--copies 20] [--repeat 5] [--topics e01 e02 ...]

1. `import tensorflow` in a fresh process (the unit of cost) and `check` of the chosen
   topics on solutions/ (parallel lanes, one warm zygote), one after the other, `--repeat`
   times: the median ratio (target <= 3.5x for the whole course), and the seconds of each
   topic's checks in those runs (course.toml's `check_seconds`, which orders the lanes' work;
   the two topics started first also wait for TensorFlow's import);
2. `grade --jobs 2` of N reference copies with warm workers, then with cold ones
   (target: warm >= 2x faster per submission);
3. `grade --cluster local:2` of the same class (target: within 10% of --jobs 2, warm).
nbgrader's autograde of the same class as notebooks: `benchmarks/grading.py`.
Every `grade` starts from an empty output folder, with every sandbox layer the machine has.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def timed(command: list[str]) -> float:
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.monotonic() - started


def check_against_import(topics: list[str], repeat: int, scratch: Path) -> None:
    ratios, per_topic = [], defaultdict(list)
    for run in range(repeat):
        imported = timed([PY, "-c", "import tensorflow"])
        report = scratch / f"check{run}.json"
        checked = timed([PY, "-m", "autograder", "check", *topics, "--submission", "solutions", "--json", str(report)])
        ratios.append(checked / imported)
        print(f"import tensorflow {imported:5.2f} s   check {checked:5.2f} s   ratio {checked / imported:.2f}",
              flush=True)
        seconds = defaultdict(float)
        for result in json.loads(report.read_text())["checks"]:
            seconds[result["topic"]] += result["duration_s"]
        for topic, total in seconds.items():
            per_topic[topic].append(total)
    print(f"check / import tensorflow: median {statistics.median(ratios):.2f}x of {repeat} (target <= 3.5)")
    print("median seconds of each topic's checks: "
          + ", ".join(f"{topic} {statistics.median(values):.2f}" for topic, values in sorted(per_topic.items())))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5, help="import-then-check pairs (default 5)")
    parser.add_argument("--topics", nargs="+", default=None, help="default: the whole course")
    parser.add_argument("--check-only", action="store_true", help="only the check-vs-import pairs")
    args = parser.parse_args()
    topics = args.topics or []
    root = Path(tempfile.mkdtemp(prefix="class-scale-"))
    root.chmod(0o711)
    try:
        check_against_import(topics, args.repeat, root)
        if args.check_only:
            return
        subs = root / "subs"
        for n in range(args.copies):
            shutil.copytree(ROOT / "solutions", subs / f"student{n:03d}", ignore=shutil.ignore_patterns("__pycache__"))
        topic_args = ["--topics", *topics] if topics else []
        figures = {}
        for name, extra in (("grade --jobs 2 warm", ["--jobs", "2"]),
                            ("grade --jobs 2 cold", ["--jobs", "2", "--workers", "cold"]),
                            ("grade --cluster local:2 warm", ["--cluster", "local:2"])):
            out = root / name.replace(" ", "_").replace(":", "")
            figures[name] = timed([PY, "-m", "autograder", "grade", str(subs), "--out", str(out), *topic_args, *extra])
            print(f"{name:32s} {figures[name]:8.1f} s ({figures[name] / args.copies:.1f} s per submission)", flush=True)
        print(f"cold / warm per submission:      "
              f"{figures['grade --jobs 2 cold'] / figures['grade --jobs 2 warm']:.2f}x (target >= 2)")
        print(f"local:2 / --jobs 2:              "
              f"{figures['grade --cluster local:2 warm'] / figures['grade --jobs 2 warm']:.2f} (target within 1.10)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
