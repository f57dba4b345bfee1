"""The check engine: submission code runs in a worker; whatever it does, the check it was
running fails with a message saying why, and the run goes on."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.engine import protocol
from tests.conftest import run_check, submission_with

HOSTILE = textwrap.dedent('''
    import os, sys, ctypes

    def describe(t):
        sys.exit(3)

    def pairwise_sq_distances(a, b):
        while True:
            pass

    def one_hot(labels, depth):
        ctypes.string_at(0)  # segmentation fault

    def standardize(x):
        os._exit(4)
''')


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = submission_with(tmp_path_factory.mktemp("hostile"), "e01_tensors", HOSTILE)
    code, report, output = run_check(folder, "e01", extra=["--timeout-scale", "0.3"])
    return code, {check["name"]: check for check in report["checks"]}, output


def test_sys_exit_fails_only_its_checks_as_error(hostile_run):
    _, checks, _ = hostile_run
    for name in ("test_describe_shape_is_a_tuple_of_ints", "test_describe_returns_dtype_and_numpy_value"):
        assert checks[name]["status"] == "error" and "sys.exit(3)" in checks[name]["message"]


def test_os_exit_is_reported_with_its_exit_code(hostile_run):
    _, checks, _ = hostile_run
    result = checks["test_standardize_matches_numpy"]
    assert result["status"] == "error" and "exited with code 4" in result["message"], result


def test_an_endless_loop_times_out_and_is_killed(hostile_run):
    _, checks, _ = hostile_run
    result = checks["test_pairwise_sq_distances_matches_numpy"]
    assert result["status"] == "timeout" and "did not finish" in result["message"], result


def test_a_segfault_is_reported_as_a_crash(hostile_run):
    _, checks, _ = hostile_run
    result = checks["test_one_hot_is_float32"]
    assert result["status"] == "error" and "SIGSEGV" in result["message"], result


def test_the_run_goes_on_and_exits_non_zero(hostile_run):
    code, checks, output = hostile_run
    assert len(checks) == len(load_course().topic("e01").checks) and code == 1, output
    assert all(check["points"] == 0 for check in checks.values())


def test_a_process_exit_at_import_fails_every_check_of_that_file_quickly(tmp_path):
    folder = submission_with(tmp_path, "e01_tensors", "import os\nos._exit(7)\n")
    code, report, output = run_check(folder, "e01")
    statuses = {check["status"] for check in report["checks"]}
    assert statuses == {"error"}, output
    assert all("import of e01_tensors.py" in check["message"] and "code 7" in check["message"]
               for check in report["checks"])
    # The file is not imported again for every check: one worker death, then a cached verdict.
    assert sum(check["duration_s"] for check in report["checks"]) < 60


def test_a_syntax_error_is_an_error_with_its_line(tmp_path):
    folder = submission_with(tmp_path, "e01_tensors", "def broken(:\n    pass\n")
    code, report, _ = run_check(folder, "e01", only=["test_one_hot_is_float32"])
    result = report["checks"][0]
    assert result["status"] == "error" and "SyntaxError" in result["message"] and "could not be imported" in result["message"]


def test_a_missing_file_is_not_attempted(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    code, report, _ = run_check(folder, "e01", only=["test_one_hot_is_float32"])
    result = report["checks"][0]
    assert result["status"] == "not_attempted" and "not in the submission" in result["message"]


def test_the_trusted_process_never_imports_tensorflow():
    script = textwrap.dedent(f'''
        import sys
        from pathlib import Path
        from autograder.course import load_course
        from autograder.run import run_checks
        run = run_checks(Path({str(COURSE_ROOT / "solutions")!r}), [load_course().topic("e01")],
                         only=["test_one_hot_is_float32"])
        print({{"passed": run.all_passed, "tensorflow": "tensorflow" in sys.modules}})
    ''')
    done = subprocess.run([sys.executable, "-c", script], cwd=COURSE_ROOT, capture_output=True, text=True, timeout=600)
    assert done.stdout.strip().splitlines()[-1] == "{'passed': True, 'tensorflow': False}", done.stdout + done.stderr


def test_arrays_round_trip_without_pickle(tmp_path):
    value = {"a": np.arange(6.0).reshape(2, 3), "b": [1, "x", np.float32(2.5)], "c": np.array(["s"])}
    back = protocol.decode(json.loads(json.dumps(protocol.encode(value, tmp_path))), tmp_path)
    assert np.array_equal(back["a"], value["a"]) and back["b"] == [1, "x", 2.5] and back["c"][0] == "s"


def test_objects_and_object_arrays_cannot_cross(tmp_path):
    with pytest.raises(protocol.UnsupportedValue):
        protocol.encode(np.array([object()]), tmp_path)
    with pytest.raises(protocol.UnsupportedValue):
        protocol.encode(object(), tmp_path)


def test_a_pickled_array_file_is_refused(tmp_path):
    np.save(tmp_path / "evil.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        protocol.decode({"__npy__": "evil.npy"}, tmp_path)


def test_array_references_cannot_leave_the_exchange_folder(tmp_path):
    (tmp_path / "inner").mkdir()
    np.save(tmp_path / "outside.npy", np.ones(2))
    with pytest.raises(ValueError):
        protocol.decode({"__npy__": "../outside.npy"}, tmp_path / "inner")
