"""Attacks on the evidence of e04, e06, e07, e08 and e09 (tests/adversarial/evidence/): a submission
that forges what its own process reports, or looks the held-out answers up, scores 0 on
the checks it attacks, while its other checks are graded as usual.

Each attack is appended to the reference solution of the topic its file name ends with;
its first line, `# attacks: ...`, names the checks that must fail; `__COURSE__` is the
checkout (where a lookup finds the course's data files when no sandbox hides them).

The attacks in evidence/ are stopped by the checks themselves (`check`, no sandbox). Those
in evidence/sandboxed/ read the held-out answers from data/ in a way no check can tell
from honest work (they train on them): they succeed under `check`, and `grade` stops them
only because its bubblewrap allow-list keeps data/ from the workers.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import COURSE_ROOT
from autograder.engine import sandbox
from autograder.grading.gradebook import Gradebook
from tests.conftest import SOLUTIONS, run_check, submission_with

EVIDENCE = Path(__file__).parent / "adversarial" / "evidence"
MODULES = {"e04": "e04_training", "e06": "e06_savedmodel", "e07": "e07_embedding", "e08": "e08_tf_function", "e09": "e09_checkpoint"}


def _attacked(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# attacks:"), f"{path.name} must start with '# attacks: ...'"
    return [name.strip() for name in first.removeprefix("# attacks:").split(",")]


def _topic(path: Path) -> str:
    return path.stem.rsplit("_", 1)[-1]


def _attack(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("__COURSE__", str(COURSE_ROOT))


def _earned_under_check(path: Path, tmp_path: Path) -> dict:
    """{attacked check: (status, message)} for the attacked checks that earned points under
    `check`; every attacked check must be in the report."""
    attacked = _attacked(path)
    folder = submission_with(tmp_path, MODULES[_topic(path)], _attack(path))
    _, report, output = run_check(folder, _topic(path), only=attacked)
    results = {check["name"]: check for check in report.get("checks", [])}
    assert set(results) == set(attacked), output[-3000:]
    return {name: (check["status"], check["message"]) for name, check in results.items() if check["points"]}


ATTACKS = sorted(EVIDENCE.glob("*.py"))
SANDBOXED = sorted((EVIDENCE / "sandboxed").glob("*.py"))


@pytest.mark.parametrize("path", ATTACKS, ids=[path.stem for path in ATTACKS])
def test_a_forged_or_looked_up_answer_scores_0(path, tmp_path):
    earned = _earned_under_check(path, tmp_path)
    assert not earned, earned


def _graded(path: Path) -> dict[str, dict]:
    """{check name: result} of grading the attack (appended to the reference) with `grade`,
    every sandbox layer on."""
    root = Path(tempfile.mkdtemp(prefix="evidence-class-"))
    root.chmod(0o711)  # the sandbox users reach their scratch folders under OUT/.work
    try:
        topic, module = _topic(path), MODULES[_topic(path)]
        student = root / "submissions" / path.stem
        student.mkdir(parents=True)
        (student / f"{module}.py").write_text((SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
                                              + "\n\n# --- attack ---\n" + _attack(path), encoding="utf-8")
        out = root / "out"
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(root / "submissions"), "--out",
                               str(out), "--topics", topic], cwd=COURSE_ROOT, capture_output=True, text=True,
                              timeout=1800, env={**os.environ, "COLUMNS": "120"})
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        book = Gradebook(f"sqlite:///{out / 'gradebook.db'}")
        try:
            (graded,) = book.graded()
            return {result["name"]: result for result in graded.results}
        finally:
            book.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("path", SANDBOXED, ids=[path.stem for path in SANDBOXED])
def test_an_answer_read_from_the_course_data_scores_0_under_grade(path, tmp_path):
    if not (os.geteuid() == 0 and sandbox.bwrap_works(sandbox.Policy.for_grading(0).uid)):
        pytest.skip("grade hides data/ from workers with bubblewrap and a sandbox user, not available here")
    earned = _earned_under_check(path, tmp_path)
    assert set(earned) == set(_attacked(path)), f"the attack no longer works without a sandbox: {earned}"
    results = _graded(path)
    attacked = set(_attacked(path))
    assert attacked <= set(results), sorted(results)
    earned = {name: result["message"] for name, result in results.items() if name in attacked and result["points"]}
    # The attack replaces a whole exercise: the checks of the other exercises are graded as usual.
    exercises = {results[name]["exercise"] for name in attacked}
    others = {name: result["message"] for name, result in results.items()
              if result["exercise"] not in exercises and result["status"] != "passed"}
    assert not others, others
    assert not earned, earned
