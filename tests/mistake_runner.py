"""Runs one topic's catalogued mistakes (tests/mistakes/<module>.toml) against a single warm
zygote, so the whole catalogue of a topic pays for one TensorFlow import instead of one per
mistake. Each mistake still gets its own submission folder and freshly forked workers.

    python -m tests.mistake_runner e01_tensors results.json
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from autograder import i18n
from autograder.course import load_course
from autograder.engine.client import Submission
from autograder.engine.warm import Zygote
from autograder.run import run_checks
from tests.conftest import load_mistakes, submission_with


def run_catalogue(module: str) -> dict[str, dict]:
    """Each mistake's result in English, and in Chinese (`<id>:zh`) for those that give a
    `message_zh`: workers speak the language of the zygote they fork from, so the Chinese
    ones get a zygote of their own."""
    mistakes = [m for m in load_mistakes() if m["module"] == module]
    results = run_mistakes(module, mistakes)
    chinese = [m for m in mistakes if "message_zh" in m]
    if chinese:
        with i18n.using("zh"):
            results.update({f"{key}:zh": value for key, value in run_mistakes(module, chinese).items()
                            if not key.startswith("_")})
    return results


def run_mistakes(module: str, mistakes: list[dict], seed: int | None = None) -> dict[str, dict]:
    """Each mistake's status and message (id -> result) at `seed` (a fresh one if None)."""
    topic = load_course().topic(module)
    results = {}
    with Zygote([topic.probe_module]) as zygote:
        for mistake in mistakes:
            with tempfile.TemporaryDirectory(prefix="mistake-") as tmp:
                folder = submission_with(Path(tmp), module, mistake["code"])
                with Submission(folder, worker_factory=zygote.worker) as submission:
                    run = run_checks(folder, [topic], submission=submission, seed=seed,
                                     only=[mistake["check"], *mistake.get("alongside", [])])
            named = [result for result in run.checks if result.name == mistake["check"]]
            results[mistake["id"]] = {"status": named[0].status, "message": named[0].message} if named else \
                {"status": "missing", "message": f"the check did not run: {[r.name for r in run.checks]}"}
        results["_forks_were_warm"] = zygote.unavailable is None
    return results


if __name__ == "__main__":
    module, out = sys.argv[1], Path(sys.argv[2])
    out.write_text(json.dumps(run_catalogue(module), indent=1))
