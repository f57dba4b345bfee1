"""The one submission interface: what the checks probe, however the code runs.

Three things implement it: `client.Submission` with cold workers (`client.Worker`), the
same with warm workers forked from a zygote (`warm.Zygote.worker`), and
`inprocess.InProcessSubmission` (a notebook's kernel). The pytest plugin makes a
`client.Submission` of --submission, or runs on the one `run.run_checks(...,
submission=...)` is given; it closes only the one it made.

    submission.start()
    submission.begin_check(seconds=20)
    submission.probe(topic, "standardize", x=x)    # topic: any ProbeTarget, e.g. a course Topic
    submission.close()
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class ProbeTarget(Protocol):
    """Which submission module a probe calls into, and which module holds the probe."""
    module: str        # the submission's module, e.g. "e01_tensors" (its file: e01_tensors.py)
    probe_module: str  # e.g. "autograder.probes.e01_tensors"


class ProbedSubmission(Protocol):
    label: str                 # what reports call it: the folder, or "this notebook"
    scratch: Path | None       # a folder every worker may write (None: pytest's tmp_path will do)

    def start(self) -> None:
        """Get ready now (a worker imports TensorFlow while pytest collects)."""

    def begin_check(self, seconds: float) -> None:
        """Start one check's clock: all its probes share `seconds`."""

    def probe(self, target: ProbeTarget, name: str, *, with_submission: bool = True, fresh: bool = False,
              **inputs) -> Any:
        """Run the probe `name` of `target` on the submission and return its plain-data
        result, or raise the `outcomes.CheckOutcome` that ends the check."""

    def close(self) -> None:
        """Release what it holds (workers, scratch folders)."""
