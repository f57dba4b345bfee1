"""Chance failures across seeds, measured: every catalogued mistake of a topic must get its
own message, and every correct submission (solutions/, tests/alternatives/, its handbook/)
must pass every check, hidden ones included, at each of several fixed seeds. Prints each
miss and a count per topic; exits 1 if there is one. Too slow for CI (15-40 min of CPU for
the whole course); run it after changing a check's random inputs or its named mistakes:

    .venv/bin/python -m tests.seed_sweep [--seeds 8] [e02_autodiff ...]
"""
from __future__ import annotations

import argparse
import sys

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.engine.client import Submission
from autograder.engine.warm import Zygote
from autograder.run import run_checks
from tests.conftest import SOLUTIONS, load_mistakes
from tests.mistake_runner import run_mistakes

CORRECT = (SOLUTIONS, COURSE_ROOT / "tests" / "alternatives", COURSE_ROOT / "tests" / "alternatives" / "handbook")


def sweep(module: str, seeds: range) -> int:
    """The misses of one topic (each printed), mistakes then correct submissions."""
    topic, misses = load_course().topic(module), 0
    mistakes = [m for m in load_mistakes() if m["module"] == module]
    for seed in seeds:
        results = run_mistakes(module, mistakes, seed)
        for mistake in mistakes:
            result = results[mistake["id"]]
            if result["status"] != mistake.get("status", "failed") or \
                    mistake["message"].lower() not in result["message"].lower():
                misses += 1
                print(f"mistake {module}:{mistake['id']} seed {seed}: {result['status']} {result['message'][:300]}",
                      flush=True)
    with Zygote([topic.probe_module]) as zygote:
        for folder in CORRECT:
            with Submission(folder, worker_factory=zygote.worker) as submission:
                for seed in seeds:
                    run = run_checks(folder, [topic], submission=submission, seed=seed, include_hidden=True)
                    for result in run.checks:
                        if result.status != "passed":
                            misses += 1
                            print(f"correct {folder.relative_to(COURSE_ROOT)} {module}::{result.name} seed {seed}: "
                                  f"{result.status} {result.message[:300]}", flush=True)
    print(f"{module}: {len(mistakes)} mistakes and {len(CORRECT)} correct submissions x {len(seeds)} seeds, "
          f"{misses} misses", flush=True)
    return misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="topics (default: all)")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=1000)
    options = parser.parse_args()
    modules = options.modules or [topic.module for topic in load_course().topics]
    seeds = range(options.first_seed, options.first_seed + options.seeds)
    return 1 if sum(sweep(module, seeds) for module in modules) else 0


if __name__ == "__main__":
    sys.exit(main())
