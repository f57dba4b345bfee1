"""Correct submissions written differently from ours pass every check (tests/alternatives/)."""
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_check

FOLDER = Path(__file__).parent / "alternatives"
# Top level: other formulas and APIs; handbook/: the style of the TensorFlow 2 handbook.
ALTERNATIVES = sorted(FOLDER.glob("e*.py")) + sorted((FOLDER / "handbook").glob("e*.py"))


@pytest.mark.parametrize("path", ALTERNATIVES, ids=[path.relative_to(FOLDER).with_suffix("").as_posix()
                                                    for path in ALTERNATIVES])
def test_an_alternative_correct_submission_passes_every_check(path, tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    code, report, output = run_check(folder, path.stem.split("_")[0])
    failing = [(check["name"], check["message"]) for check in report.get("checks", []) if check["status"] != "passed"]
    assert report.get("checks") and not failing, output
    assert code == 0
