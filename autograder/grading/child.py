"""Grades one submission in a process of its own (started by batch.py):

    python -m autograder.grading.child --submission FILES --json OUT.json --seed N e01 e02 ...

The checks (public and hidden) run here, trusted; the submission runs in sandboxed
workers under the policy in the environment (engine/sandbox.py). The JSON appears only
when complete (written to a temporary name, then renamed).
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from autograder.course import load_course
from autograder.run import run_checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("topics", nargs="+")
    parser.add_argument("--submission", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--timeout-scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    course = load_course()
    run = run_checks(args.submission, [course.topic(key) for key in args.topics], seed=args.seed,
                     timeout_scale=args.timeout_scale, include_hidden=True)
    partial = args.json.with_suffix(".partial")
    partial.write_text(json.dumps(run.as_json()), encoding="utf-8")
    os.replace(partial, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
