"""The sandbox (autograder/engine/sandbox.py) against hostile and broken submissions.

One batch grades the reference twice, a blank and every submission of tests/adversarial/
(`grade --jobs 2`, all layers the machine allows); each attack must score 0 on the checks
it attacks while everything else is graded as if it were not there. A second run reports
from inside a sandboxed worker which layers hold. Layers this machine lacks are skipped
with the reason (the batch output and `-rs` show which were on). To see the batch hold
without bubblewrap on a machine that has it: SANDBOX_TEST_WITHOUT_BWRAP=1.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.engine import sandbox
from autograder.grading.gradebook import Gradebook
from tests.conftest import EXERCISES, SOLUTIONS, run_check

ADVERSARIAL = Path(__file__).parent / "adversarial"
MODULE = "e01_tensors"
LAYERS = sandbox.describe(sandbox.Policy.for_grading(0, memory_bytes=3 * sandbox.GiB))


def _layer_on(name: str) -> bool:
    return LAYERS[name].startswith("on")


def _attacks() -> dict[str, set[str] | str]:
    """{submission name: attacked exercises, or "*"} for every entry of tests/adversarial/."""
    attacks: dict[str, set[str] | str] = {"library_named": set(), "broken_notebook": "*", "non_utf8": "*"}
    for path in sorted(ADVERSARIAL.glob("*.py")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# attacks:"), f"{path.name} must start with '# attacks: ...'"
        names = {name.strip() for name in first.removeprefix("# attacks:").split(",")}
        attacks[path.stem] = "*" if names == {"*"} else names
    return attacks


ATTACKS = _attacks()


def _fill(text: str, paths: dict[str, str]) -> str:
    for key, value in paths.items():
        text = text.replace(key, value)
    return text


# Cold workers (each imports TensorFlow itself) are the fallback: their class takes twice
# the warm one's time, so it runs with the slow tests.
@pytest.fixture(scope="module", params=["warm", pytest.param("cold", marks=pytest.mark.slow)])
def graded_class(request, tmp_path_factory):
    """The batch runs once per session and kind of worker (forked from the slot's warm
    parent, or cold), even when pytest-xdist spreads these tests over workers: the first
    one grades (under a lock), the others read its gradebook."""
    workers = request.param
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None:
        return _grade_the_class(workers)
    shared = tmp_path_factory.getbasetemp().parent / f"adversarial-{workers}-{run_id}"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        summary = shared / "summary.json"
        if not summary.exists():
            result = _grade_the_class(workers)
            summary.write_text(json.dumps({**result, "out": str(result["out"]),
                                           "submissions": str(result["submissions"])}))
    result = json.loads(summary.read_text())
    return {**result, "out": Path(result["out"]), "submissions": Path(result["submissions"])}


def _grade_the_class(workers: str) -> dict:
    # Somewhere every sandbox uid may enter (pytest's basetemp is root's alone): their
    # scratch folders live under OUT/.work.
    root = Path(tempfile.mkdtemp(prefix="adversarial-class-"))
    root.chmod(0o711)
    submissions, out = root / "submissions", root / "out"
    token = secrets.token_hex(6)
    canary = root / "canary.txt"  # the one file an attack may try to harm
    canary.write_text(f"canary {token}\n")
    paths = {"__OUT__": str(out), "__SUBMISSIONS__": str(submissions), "__COURSE__": str(COURSE_ROOT),
             "__TOKEN__": token, "__CANARY__": str(canary)}
    reference = (SOLUTIONS / f"{MODULE}.py").read_text(encoding="utf-8")
    for name in ("ref_a", "ref_b"):
        (submissions / name).mkdir(parents=True)
        shutil.copy(SOLUTIONS / f"{MODULE}.py", submissions / name)
    (submissions / "blank").mkdir()
    shutil.copy(EXERCISES / f"{MODULE}.py", submissions / "blank")
    for path in ADVERSARIAL.glob("*.py"):
        folder = submissions / path.stem
        folder.mkdir()
        attack = _fill(path.read_text(encoding="utf-8"), paths)
        (folder / f"{MODULE}.py").write_text(reference + "\n\n# --- attack ---\n" + attack, encoding="utf-8")
    shutil.copytree(ADVERSARIAL / "library_named", submissions / "library_named")
    shutil.copy(SOLUTIONS / f"{MODULE}.py", submissions / "library_named")
    shutil.copytree(ADVERSARIAL / "broken_notebook", submissions / "broken_notebook")
    (submissions / "non_utf8").mkdir()
    (submissions / "non_utf8" / f"{MODULE}.py").write_bytes(
        reference.encode("utf-8") + b"\nGREETING = '\xff\xfe caf\xe9 in Latin-1'\n")
    command = [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out), "--jobs", "2",
               "--topics", "e01", "--timeout-scale", "0.5", "--memory-gb", "3", "--workers", workers]
    if os.environ.get("SANDBOX_TEST_WITHOUT_BWRAP"):  # as on a machine without bubblewrap
        command.append("--no-bwrap")
    elif not _layer_on("bubblewrap"):
        command.append("--weak-sandbox")  # else grade refuses to start (tests/test_adversarial.py)
    done = subprocess.run(command, cwd=COURSE_ROOT, capture_output=True, text=True, timeout=1500,
                          env={**os.environ, "COLUMNS": "120"})
    print(done.stdout[-4000:], done.stderr[-4000:])
    book = Gradebook(f"sqlite:///{out / 'gradebook.db'}")
    graded = {g.student: {r["name"]: r for r in g.results} for g in book.graded()}
    book.close()
    return {"graded": graded, "output": done.stdout + done.stderr, "code": done.returncode, "out": out,
            "submissions": submissions, "token": token, "canary": canary.read_text(),
            "submission_count": len(list(submissions.iterdir()))}


def _checks():
    return load_course().topic("e01").checks


def test_the_batch_reports_its_sandbox_layers(graded_class):
    assert graded_class["code"] == 0, graded_class["output"][-3000:]
    for layer in LAYERS:
        assert layer in graded_class["output"], f"the sandbox report does not mention {layer}"
    print("\n".join(f"{layer}: {state}" for layer, state in LAYERS.items()))


@pytest.mark.parametrize("name", ["ref_a", "ref_b"])
def test_reference_copies_graded_beside_attacks_get_full_marks(graded_class, name):
    results = graded_class["graded"][name]
    assert {check.name for check in _checks()} <= set(results)
    assert {r["name"]: r["status"] for r in results.values() if r["status"] != "passed"} == {}


def test_a_blank_graded_beside_attacks_is_not_attempted(graded_class):
    statuses = {r["status"] for r in graded_class["graded"]["blank"].values()}
    assert statuses == {"not_attempted"}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_zero_on_what_it_attacks_and_nothing_else_changes(graded_class, name):
    attacked = ATTACKS[name]
    results = graded_class["graded"][name]
    assert {check.name for check in _checks()} <= set(results), "a check is missing from the gradebook"
    for check in _checks():
        result = results[check.name]
        if attacked == "*" or check.exercise in attacked:
            assert result["points"] == 0 and result["status"] != "passed", (check.name, result)
        else:
            assert result["status"] == "passed", (check.name, result["status"], result["message"])


def test_writes_outside_the_scratch_copy_do_not_land(graded_class):
    marker = f"adversarial-marker-{graded_class['token']}"
    places = [COURSE_ROOT, COURSE_ROOT / "solutions", graded_class["submissions"],
              graded_class["submissions"] / "ref_a", graded_class["out"]]
    if _layer_on("bubblewrap") and not os.environ.get("SANDBOX_TEST_WITHOUT_BWRAP"):
        places.append(Path("/tmp"))  # its own /tmp is a private tmpfs; without it /tmp is everyone's
    assert [str(place) for place in places if (place / marker).exists()] == []


def test_fake_result_files_are_not_taken_for_results(graded_class):
    out = graded_class["out"]
    assert not (out / "result.json").exists() and not (out / ".work" / "result.json").exists()
    gradescope = json.loads((out / "gradescope" / "fake_results" / "results.json").read_text())
    assert gradescope["score"] < 11 and len(gradescope["tests"]) == len(_checks())
    grades = (out / "grades.csv").read_text().splitlines()
    row = next(line for line in grades if line.startswith("fake_results,"))
    assert row.split(",")[1] != "11"


def test_no_process_of_a_sandbox_user_survives_the_batch(graded_class):
    if not _layer_on("unprivileged user"):
        pytest.skip(f"unprivileged user layer: {LAYERS['unprivileged user']}")
    first = int(graded_class["output"].split("on: uid ", 1)[1].split()[0])  # from the batch's sandbox report
    uids = range(first, first + 2 * (graded_class["submission_count"] + 1))  # two per submission
    # A killed process can take a moment to leave /proc (a zombie until it is reaped), so
    # "survives" means: still running a few seconds after the batch ended (setsid_escape's
    # grandchild would live 90 s).
    deadline = time.monotonic() + 10
    while (survivors := _running_processes_of_uids(uids)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert survivors == []


def test_the_canary_is_untouched_and_every_output_is_the_instructors_alone(graded_class):
    assert graded_class["canary"] == f"canary {graded_class['token']}\n"
    out = graded_class["out"]
    for path in [out / "grades.csv", out / "gradebook.db", out / "summary.html", *out.glob("feedback/*.html")]:
        assert path.stat().st_mode & 0o077 == 0, f"{path.name} is readable by others"
    assert (out / "feedback").stat().st_mode & 0o077 == 0


def test_a_lone_surrogate_is_recorded_escaped_and_the_batch_goes_on(graded_class):
    results = graded_class["graded"]["surrogate_message"]
    message = next(r["message"] for r in results.values() if r["exercise"] == "describe")
    assert "\\ud800" in message and "\x1b" not in message and len(message) <= 4000


def test_tampering_is_flagged_in_grades_csv(graded_class):
    rows = {line.split(",")[0]: line for line in (graded_class["out"] / "grades.csv").read_text().splitlines()}
    assert "autograder" in rows["patch_autograder"].split(",")[-1]
    assert rows["ref_a"].split(",")[-1] == ""


def _running_processes_of_uids(uids: range) -> list[str]:
    running = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid in uids:
                state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    running.append(pid)
        except OSError:
            pass
    return running


# -- from inside a sandboxed worker -----------------------------------------------------
REPORTER = '''
import numpy as np


def one_hot(labels, depth):
    """Report what this worker can reach, as the message of an error."""
    import json, os, resource, socket
    report = {"uid": os.getuid(), "numpy": np.__file__,
              "limits": {name: resource.getrlimit(getattr(resource, name))[0]
                         for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NPROC")},
              "solutions": os.path.exists("__COURSE__/solutions/e01_tensors.py"),
              "heldout": os.path.exists("__COURSE__/data/heldout/mnist_test.npz"),
              "git": os.path.exists("__COURSE__/.git/HEAD"),
              "alternatives": os.path.exists("__COURSE__/tests/alternatives/e01_tensors.py"),
              "checks": os.path.exists("__COURSE__/autograder/checks/test_e01_tensors.py"),
              "pids": len([p for p in os.listdir("/proc") if p.isdigit()])}
    try:
        socket.create_connection(("127.0.0.1", __PORT__), timeout=3).close()
        report["network"] = "connected"
    except OSError as error:
        report["network"] = type(error).__name__
    raise RuntimeError("REPORT" + json.dumps(report) + "END")
'''


@pytest.fixture(scope="module", params=[("bubblewrap", "warm"), ("bubblewrap", "cold"),
                                        ("without bubblewrap", "warm"), ("without bubblewrap", "cold")])
def worker_report(request, tmp_path_factory):
    """What a sandboxed worker can reach, with every layer and with all but bubblewrap,
    forked from a warm parent (bubblewrap's view built by engine/jail.py) or cold."""
    with_bwrap, workers = request.param[0] == "bubblewrap", request.param[1]
    if with_bwrap and not _layer_on("bubblewrap"):
        pytest.skip(f"bubblewrap layer: {LAYERS['bubblewrap']}")
    folder = tmp_path_factory.mktemp("reporter") / "submission"
    folder.mkdir()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    code = _fill(REPORTER, {"__COURSE__": str(COURSE_ROOT), "__PORT__": str(listener.getsockname()[1])})
    (folder / f"{MODULE}.py").write_text((SOLUTIONS / f"{MODULE}.py").read_text(encoding="utf-8") + code)
    shutil.copy(ADVERSARIAL / "library_named" / "numpy.py", folder)  # imported instead of NumPy? it must not be
    policy = sandbox.Policy.for_grading(0, memory_bytes=3 * sandbox.GiB, use_bwrap=with_bwrap)
    old = os.environ.get(sandbox.ENV_VAR)
    os.environ[sandbox.ENV_VAR] = policy.to_env()
    try:
        _, data, output = run_check(folder, "e01", extra=["--workers", workers],
                                    only=["test_one_hot_is_float32", "test_describe_shape_is_a_tuple_of_ints"])
    finally:
        listener.close()
        if old is None:
            os.environ.pop(sandbox.ENV_VAR)
        else:
            os.environ[sandbox.ENV_VAR] = old
    results = {r["name"]: r for r in data.get("checks", [])}
    assert results["test_describe_shape_is_a_tuple_of_ints"]["status"] == "passed", output
    message = results["test_one_hot_is_float32"]["message"]
    assert "REPORT" in message, output
    return {**json.loads(message.split("REPORT", 1)[1].split("END", 1)[0]), "bwrap": with_bwrap}


def test_the_worker_imports_numpy_not_a_submitted_numpy_py(worker_report):
    assert "site-packages" in worker_report["numpy"]


def test_the_worker_runs_under_resource_limits(worker_report):
    limits = worker_report["limits"]
    assert limits["RLIMIT_AS"] == 3 * sandbox.GiB
    assert limits["RLIMIT_CPU"] == sandbox.Policy.cpu_seconds
    assert limits["RLIMIT_FSIZE"] == sandbox.Policy.file_bytes
    if _layer_on("unprivileged user"):
        assert limits["RLIMIT_NPROC"] == sandbox.Policy.processes


def test_the_worker_runs_as_an_unprivileged_user(worker_report):
    if not _layer_on("unprivileged user"):
        pytest.skip(f"unprivileged user layer: {LAYERS['unprivileged user']}")
    assert worker_report["uid"] == sandbox.Policy.for_grading(0).uid != os.getuid()


def test_the_worker_cannot_see_solutions_or_checks(worker_report):
    if not worker_report["bwrap"]:
        if not _layer_on("unprivileged user"):
            pytest.skip("neither bubblewrap nor a user switch: a worker sees what its user sees")
        # What this test looks for must be closed to others; a cache or build folder made
        # after `make grading-setup` (.pytest_cache, build/) is not, and does not matter here.
        exposed = set(sandbox.exposed_to_workers()) & {"solutions", "data", ".git", "tests"}
        if exposed:
            pytest.skip(f"without bubblewrap, {', '.join(sorted(exposed))} must be chmod o-rwx first (make grading-setup)")
    assert worker_report["solutions"] is False and worker_report["heldout"] is False
    assert worker_report["git"] is False and worker_report["alternatives"] is False  # an allow-list, not a deny-list
    if worker_report["bwrap"]:
        assert worker_report["checks"] is False  # without bwrap, the public checks are readable, and public
        assert worker_report["pids"] <= 3  # its own PID namespace: bwrap's init and the worker


def test_the_worker_has_no_network(worker_report):
    layer = sandbox.describe(sandbox.Policy.for_grading(0, use_bwrap=worker_report["bwrap"]))["no network"]
    if not layer.startswith("on"):
        pytest.skip(f"no-network layer: {layer}")
    assert worker_report["network"] != "connected"


def test_the_report_says_why_a_missing_layer_is_off(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox.bwrap_works.cache_clear()
    try:
        layers = sandbox.describe(sandbox.Policy.for_grading(0))
    finally:
        monkeypatch.undo()
        sandbox.bwrap_works.cache_clear()
    assert layers["bubblewrap"] == "off: not installed (Debian package bubblewrap)"
    assert not layers["no network"].startswith("on: bubblewrap")
    assert sandbox.wrap(sandbox.Policy(), ["python"], Path("/tmp")) == ["python"]


def test_a_policy_travels_through_the_environment():
    policy = sandbox.Policy.for_grading(3, memory_bytes=2 * sandbox.GiB)
    assert sandbox.Policy.from_env({sandbox.ENV_VAR: policy.to_env()}) == policy
    assert sandbox.Policy.from_env({}) == sandbox.Policy()
