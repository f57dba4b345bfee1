"""Type-correct stubs earn nothing: every name exists with the right type, dtype and shape,
but no work is done (zeros, constants, cheap shortcuts). One stub per topic lives in
tests/stubs/<module>.py; each must score 0, and no check may end in an internal error."""
import shutil
from pathlib import Path

import pytest

from autograder.outcomes import INTERNAL_ERROR
from tests.conftest import run_check

STUBS = sorted((Path(__file__).parent / "stubs").glob("e*.py"))


@pytest.mark.parametrize("path", STUBS, ids=[path.stem for path in STUBS])
def test_a_type_correct_stub_scores_nothing(path, tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    code, report, output = run_check(folder, path.stem.split("_")[0])
    checks = report.get("checks", [])
    assert checks, output
    passed = [check["name"] for check in checks if check["status"] == "passed"]
    assert not passed and report["score"] == 0, f"{path.name} earns points in {passed}"
    internal = [(check["name"], check["message"]) for check in checks if check["message"].startswith(INTERNAL_ERROR)]
    assert not internal, internal
    assert code == 1
