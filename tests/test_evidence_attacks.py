"""Attacks on the evidence of e04, e07 and e08 (tests/adversarial/evidence/): a submission
that forges what its own process reports, or looks the held-out answers up, scores 0 on
the checks it attacks, while its other checks are graded as usual.

Each attack is appended to the reference solution of the topic its file name ends with;
its first line, `# attacks: ...`, names the checks that must fail; `__COURSE__` is the
checkout (where a lookup finds the course's data files when no sandbox hides them).
"""
from pathlib import Path

import pytest

from autograder import COURSE_ROOT
from tests.conftest import run_check, submission_with

EVIDENCE = Path(__file__).parent / "adversarial" / "evidence"
MODULES = {"e04": "e04_training", "e07": "e07_embedding", "e08": "e08_tf_function"}


def _attacked(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# attacks:"), f"{path.name} must start with '# attacks: ...'"
    return [name.strip() for name in first.removeprefix("# attacks:").split(",")]


ATTACKS = sorted(EVIDENCE.glob("*.py"))


@pytest.mark.parametrize("path", ATTACKS, ids=[path.stem for path in ATTACKS])
def test_a_forged_or_looked_up_answer_scores_0(path, tmp_path):
    topic = path.stem.rsplit("_", 1)[-1]
    attacked = _attacked(path)
    attack = path.read_text(encoding="utf-8").replace("__COURSE__", str(COURSE_ROOT))
    folder = submission_with(tmp_path, MODULES[topic], attack)
    _, report, output = run_check(folder, topic, only=attacked)
    results = {check["name"]: check for check in report.get("checks", [])}
    assert set(results) == set(attacked), output[-3000:]
    earned = {name: (check["status"], check["message"]) for name, check in results.items() if check["points"]}
    assert not earned, earned
