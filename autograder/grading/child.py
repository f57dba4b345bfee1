"""Grades one submission in a process of its own (started by batch.py):

    python -m autograder.grading.child --submission FILES --json OUT.json --seed N e01 e02 ...
    AUTOGRADER_JOB='{"topics": [...], "submission": ..., "json": ..., "seed": N}' python -m autograder.grading.child --from-env

`batch.py` uses the second form: the paths stay out of /proc/PID/cmdline, which every
user (so a worker without bubblewrap) can read; the environment is readable by us only.

The checks (public and hidden) run here, trusted, scoring on the held-out files the job
names (autograder/heldout.py); the submission runs in sandboxed
workers under the policy in the environment (engine/sandbox.py), read once here and
passed down. With a `zygote` in the job (an inherited socket of the grading slot's warm
parent, grading/executor.py), every worker is forked from it with every layer of the
policy; without one, workers are cold. The JSON appears only when complete (written to a
temporary name, then renamed).
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from autograder import heldout
from autograder.course import load_course
from autograder.engine import sandbox
from autograder.engine.client import Submission
from autograder.grading.executor import JOB_ENV
from autograder.i18n import _
from autograder.run import run_checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("topics", nargs="*")
    parser.add_argument("--submission", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--timeout-scale", type=float, default=1.0)
    parser.add_argument("--from-env", action="store_true", help=_("read the job from ${variable}", variable=JOB_ENV))
    args = parser.parse_args(argv)
    policy = sandbox.Policy.from_env()
    os.environ.pop(sandbox.ENV_VAR, None)
    spec = {}
    if args.from_env:
        spec = json.loads(os.environ.pop(JOB_ENV))
        args.topics, args.submission, args.json = spec["topics"], Path(spec["submission"]), Path(spec["json"])
        args.seed, args.timeout_scale = int(spec["seed"]), float(spec["timeout_scale"])
    if not (args.topics and args.submission and args.json and args.seed is not None):
        parser.error("topics, --submission, --json and --seed are needed (or --from-env)")
    course = load_course()
    if spec.get("heldout"):  # the checks score on the grader's held-out files, not the public split
        heldout.grade_on(heldout.HeldOut.from_spec(spec["heldout"]))
    zygote = None
    if spec.get("zygote"):
        from autograder.engine.warm import Zygote
        zygote = Zygote.attach(int(spec["zygote"]["fd"]), Path(spec["zygote"]["newroot"]))
    submission = Submission(args.submission, timeout_scale=args.timeout_scale, policy=policy,
                            worker_factory=zygote.workers(policy) if zygote is not None else None)
    try:
        run = run_checks(args.submission, [course.topic(key) for key in args.topics], seed=args.seed,
                         timeout_scale=args.timeout_scale, include_hidden=True, submission=submission)
    finally:
        submission.close()
        if zygote is not None:
            zygote.close()
    partial = args.json.with_suffix(".partial")
    partial.write_text(json.dumps(run.as_json()), encoding="utf-8")
    os.replace(partial, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
