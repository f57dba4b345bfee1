"""The Gradescope autograder package (autograder/platforms/gradescope.py): its layout, its
results.json against a JSON Schema of Gradescope's format, and run_autograder run end to end
in a temporary GRADESCOPE_ROOT with the course's venv first on PATH."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course, parse_course
from autograder.grading.gradebook import Graded
from autograder.platforms import gradescope
from autograder.texts import english_title
from tests.conftest import EXERCISES, SOLUTIONS

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope_results.schema.json").read_text())
MODULE = "e01_tensors"


def validate(report: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(report)


def fake_graded(student: str, results: list[dict], duration_s: float = 3.0) -> Graded:
    """A gradebook record as the outputs read it (fields the gradebook may add stay empty)."""
    known = {field.name for field in dataclasses.fields(Graded)}
    extra = {name: value for name, value in (("flags", []), ("sandbox", {})) if name in known}
    return Graded(student=student, files_hash="0" * 64, seed=7, graded_at=dt.datetime(2025, 1, 1),
                  duration_s=duration_s, notes="", results=results, **extra)


def _graded(course, statuses: dict[str, str]) -> Graded:
    results = []
    for check in course.checks:
        status = statuses.get(check.name, "passed")
        results.append({"check_id": check.id, "topic": check.topic, "exercise": check.exercise, "name": check.name,
                        "status": status, "points": check.points if status == "passed" else 0,
                        "max_points": check.points, "message": "" if status == "passed" else f"{status} here",
                        "duration_s": 0.1})
    return fake_graded("s", results)


def _course_with_hidden_check():
    """The course map with e01's last check marked hidden (as an instructor would)."""
    text = (COURSE_ROOT / "course.toml").read_text(encoding="utf-8")
    last = load_course().topic("e01").checks[-1].name
    text = text.replace(f'name = "{last}"\n', f'name = "{last}"\n    hidden = true\n', 1)
    return parse_course(tomllib.loads(text)), last


# -- results.json ------------------------------------------------------------------------
def test_the_schema_refuses_what_gradescope_would_not_read():
    good = {"score": 1, "tests": [{"name": "a", "score": 1, "max_score": 1, "status": "passed"}]}
    validate(good)
    for bad in ({"tests": [{"name": "a", "max_score": 1}]},                         # no score anywhere
                {**good, "visibility": "students"},                                  # no such visibility
                {**good, "tests": [{**good["tests"][0], "status": "error"}]},        # status is passed/failed
                {**good, "tests": [{**good["tests"][0], "number": 1.2}]},            # number is a string
                {**good, "stdout_visiblity": "hidden"}):                             # misspelt field
        with pytest.raises(jsonschema.ValidationError):
            validate(bad)


def test_results_number_each_check_and_show_message_and_hints():
    course = load_course()
    graded = _graded(course, {"test_standardize_matches_numpy": "failed", "test_one_hot_is_float32": "not_attempted"})
    report = gradescope.results(graded, course, "en", seconds=9.4)
    validate(report)
    tests = {t["name"]: t for t in report["tests"]}
    assert len(tests) == len(course.checks)
    assert len({t["number"] for t in report["tests"]}) == len(report["tests"])   # topic.exercise.check: distinct
    standardize = tests["e01 · standardize: matches numpy"]
    assert standardize["number"] == "1.2.1" and standardize["status"] == "failed" and standardize["score"] == 0
    assert "failed here" in standardize["output"] and "Hint 1: Reduce over the rows" in standardize["output"]
    blank = tests["e01 · one_hot: is float32"]
    assert "Hint" not in blank["output"] and "not attempted" in blank["output"]     # no hints for a blank
    assert report["score"] == sum(t["score"] for t in report["tests"])
    assert report["execution_time"] == 9.4                                           # the run's, not the gradebook's
    assert report["stdout_visibility"] == "hidden" and "bubblewrap" in report["output"]


def test_hidden_checks_and_their_points_stay_hidden_until_published():
    course, hidden = _course_with_hidden_check()
    graded = _graded(course, {hidden: "failed"})
    report = gradescope.results(graded, course, "en")
    validate(report)
    secret = next(check for check in course.checks if check.name == hidden)
    assert [t["name"] for t in report["tests"] if t["visibility"] == "after_published"] == [
        f"e01 · {secret.exercise}: {english_title(hidden, secret.exercise)}"]
    shown = [t for t in report["tests"] if t["visibility"] == "visible"]
    visible_max = sum(t["max_score"] for t in shown)
    assert f"{visible_max}/{visible_max} points" in report["output"]   # all visible ones pass; the hidden one failed
    assert f"/{visible_max + secret.points} " not in report["output"] and "published" in report["output"]
    assert "score" not in report    # Gradescope adds up the tests, the hidden one's points unseen until published


def test_results_speak_chinese():
    course = load_course()
    report = gradescope.results(_graded(course, {"test_standardize_matches_numpy": "failed"}), course, "zh")
    validate(report)
    failed = [t for t in report["tests"] if t["status"] == "failed"][0]
    assert "提示 1" in failed["output"] and "得分" in report["output"]


# -- the package --------------------------------------------------------------------------
def _solution_bodies() -> list[str]:
    """Every reference solution block of solutions/ (the code between the markers)."""
    blocks = []
    for path in SOLUTIONS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        blocks += [b.strip() for b in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", text, re.S)
                   if len(b.strip()) > 40]
    return blocks


def test_package_has_gradescope_layout_and_no_solutions(tmp_path):
    package = tmp_path / "autograder.zip"
    gradescope.build_package(package, ["e01"], "zh")
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        text = {name: archive.read(name).decode("utf-8", "replace") for name in names}
    assert {"setup.sh", "run_autograder", "course.toml", "pyproject.toml", "autograder/__main__.py",
            "autograder/checks/test_e01_tensors.py", "data/mnist.npz"} <= set(names)
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert not [name for name in names if name.startswith(("solutions/", "tests/")) or "__pycache__" in name]
    bodies = _solution_bodies()
    assert bodies
    leaked = [(name, body[:40]) for name in names if name.endswith((".py", ".ipynb", ".md")) for body in bodies
              if body in text[name]]
    assert not leaked
    assert "--topics e01" in text["run_autograder"] and "--lang zh" in text["run_autograder"]
    assert "bubblewrap" in text["setup.sh"] and "autograder/installer.py /autograder/venv/bin/python -e /autograder/source" in text["setup.sh"]
    for script in ("setup.sh", "run_autograder"):
        (tmp_path / script).write_text(text[script])
        assert subprocess.run(["bash", "-n", str(tmp_path / script)]).returncode == 0


def test_package_includes_the_hidden_checks(tmp_path):
    root = tmp_path / "course"
    for name in ("autograder", "data"):
        shutil.copytree(COURSE_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("course.toml", "pyproject.toml"):
        shutil.copy(COURSE_ROOT / name, root / name)
    (root / "autograder" / "checks" / "hidden").mkdir(exist_ok=True)
    (root / "autograder" / "checks" / "hidden" / "test_e01_tensors.py").write_text("def test_secret(): pass\n")
    names = gradescope.build_package(tmp_path / "a.zip", None, "en", root=root)
    assert "autograder/checks/hidden/test_e01_tensors.py" in names


def test_an_unknown_topic_is_refused(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "gradescope", str(tmp_path / "a.zip"), "--topics",
                           "e99"], cwd=COURSE_ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "e99" in done.stderr and not (tmp_path / "a.zip").exists()


# -- run_autograder end to end ------------------------------------------------------------
@pytest.fixture(scope="module")
def package(tmp_path_factory):
    path = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    gradescope.build_package(path, ["e01"], "en")
    return path


@pytest.fixture
def gradescope_root(traversable_tmp):
    """A stand-in for /autograder, which every user may enter, like it."""
    return traversable_tmp


def run_autograder(package: Path, root: Path, files: dict[str, bytes], env: dict | None = None,
                   weak_reason: str | None = None, mode: int = 0o755) -> tuple[subprocess.CompletedProcess, dict]:
    """Lay out ROOT as Gradescope does (source/, run_autograder, submission/, results/) and run
    it; `weak_reason` plays setup.sh finding that bubblewrap cannot run, `mode` is ROOT's."""
    root.mkdir(mode=0o755)
    with zipfile.ZipFile(package) as archive:
        archive.extractall(root / "source")
    if weak_reason:
        (root / "source" / gradescope.WEAK_SANDBOX).write_text(weak_reason)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    for name, data in files.items():
        (root / "submission" / name).write_bytes(data)
    (root / "results").mkdir()
    root.chmod(mode)
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "COLUMNS": "200", **(env or {})}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=900)
    report = root / "results" / "results.json"
    return done, json.loads(report.read_text()) if report.exists() else {}


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_run_autograder_scores_a_correct_submission_fully(package, gradescope_root):
    solution = (SOLUTIONS / f"{MODULE}.py").read_bytes()
    done, report = run_autograder(package, gradescope_root / "autograder", {"my_work.zip": _zip({f"hw/{MODULE}.py": solution})})
    assert done.returncode == 0, done.stdout + done.stderr
    validate(report)
    maximum = load_course().topic("e01").max_points
    assert report["score"] == maximum == sum(t["max_score"] for t in report["tests"])
    assert all(t["status"] == "passed" for t in report["tests"])
    assert "Sandbox layers" in done.stdout      # the grade command's own report, for the instructor


def test_run_autograder_scores_a_blank_and_a_hostile_submission_zero(package, gradescope_root):
    done, report = run_autograder(package, gradescope_root / "blank", {f"{MODULE}.py": (EXERCISES / f"{MODULE}.py").read_bytes()})
    assert done.returncode == 0, done.stdout + done.stderr
    validate(report)
    assert report["score"] == 0 and all("not attempted" in t["output"] for t in report["tests"])
    # writes a perfect results.json at import and then breaks: its file is overwritten by the grader's
    hostile = (b"import os, json\n"
               b"for root in ('/autograder', os.environ.get('GRADESCOPE_ROOT', '/autograder')):\n"
               b"    try: open(root + '/results/results.json', 'w').write(json.dumps({'score': 999}))\n"
               b"    except OSError: pass\n"
               b"raise SystemExit(0)\n")
    done, report = run_autograder(package, gradescope_root / "hostile", {f"{MODULE}.py": hostile})
    assert done.returncode == 0, done.stdout + done.stderr
    validate(report)
    assert report["score"] == 0 and report["tests"] and all(t["status"] == "failed" for t in report["tests"])


# -- every failure still writes results.json ----------------------------------------------
def _fake_bwrap(folder: Path) -> dict:
    """PATH with a bwrap that cannot make namespaces, as in a container without the rights."""
    folder.mkdir()
    (folder / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    (folder / "bwrap").chmod(0o755)
    return {"PATH": f"{folder}:{Path(sys.executable).parent}:{os.environ['PATH']}"}


@pytest.mark.skipif(os.geteuid() != 0, reason="grade insists on bubblewrap and the user switch as root")
def test_a_container_without_bubblewrap_gets_a_results_json_that_says_what_to_do(package, gradescope_root):
    solution = (SOLUTIONS / f"{MODULE}.py").read_bytes()
    done, report = run_autograder(package, gradescope_root / "no-bwrap", {f"{MODULE}.py": solution},
                                  _fake_bwrap(gradescope_root / "bin"))
    assert done.returncode != 0
    validate(report)
    assert report["score"] == 0 and "--weak-sandbox" in report["output"] and "bubblewrap" in report["output"]


@pytest.mark.skipif(os.geteuid() != 0, reason="setup.sh's fallback is for Gradescope's root")
def test_the_fallback_setup_sh_records_grades_with_the_weak_sandbox_and_says_so(package, gradescope_root):
    solution = (SOLUTIONS / f"{MODULE}.py").read_bytes()
    done, report = run_autograder(package, gradescope_root / "weak", {f"{MODULE}.py": solution},
                                  _fake_bwrap(gradescope_root / "bin"),
                                  weak_reason="bubblewrap cannot run in this container: no namespaces")
    assert done.returncode == 0, done.stdout + done.stderr
    validate(report)
    assert report["score"] == load_course().topic("e01").max_points
    assert "Sandbox: weak, without bubblewrap (bubblewrap cannot run in this container" in report["output"]


def test_an_autograder_folder_others_cannot_enter_is_opened_for_the_sandbox_user(package, gradescope_root):
    solution = (SOLUTIONS / f"{MODULE}.py").read_bytes()
    done, report = run_autograder(package, gradescope_root / "closed", {f"{MODULE}.py": solution}, mode=0o700)
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["score"] == load_course().topic("e01").max_points


def test_a_grader_that_cannot_start_still_leaves_a_results_json(package, gradescope_root):
    broken = gradescope_root / "broken-bin"
    broken.mkdir()
    (broken / "python3").write_text("#!/bin/sh\nexit 3\n")   # setup.sh's venv went wrong, say
    (broken / "python3").chmod(0o755)
    done, report = run_autograder(package, gradescope_root / "no-python", {f"{MODULE}.py": b"x = 1\n"},
                                  {"PATH": f"{broken}:{os.environ['PATH']}"})
    assert done.returncode == 3
    validate(report)
    assert report["score"] == 0 and "could not start" in report["output"]
