"""The `check` command and plain pytest: JSON schema, exit codes, topics by name, languages."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from autograder import COURSE_ROOT, cli
from tests.conftest import EXERCISES, SOLUTIONS, run_check

FIELDS = {"id", "topic", "exercise", "name", "status", "points", "max_points", "message", "duration_s"}
STATUSES = {"passed", "failed", "not_attempted", "error", "timeout"}


def test_json_report_has_the_documented_fields():
    code, report, output = run_check(SOLUTIONS, "tensors", only=["test_one_hot_is_float32", "test_describe_shape_is_a_tuple_of_ints"])
    assert code == 0, output
    assert {"submission", "score", "max_score", "checks"} <= set(report)
    assert len(report["checks"]) == 2
    for check in report["checks"]:
        assert set(check) >= FIELDS and check["status"] in STATUSES and check["topic"] == "e01"
        assert isinstance(check["duration_s"], float) and check["points"] == check["max_points"]


def test_failures_show_message_hint_and_next_exercise_in_chinese():
    code, report, output = run_check(EXERCISES, "e01", only=["test_standardize_matches_numpy"], extra=["--lang", "zh"])
    assert code == 1 and report["score"] == 0
    assert "未作答" in output and "下一步" in output and "e01_tensors.py" in output


def test_an_unknown_topic_is_a_usage_error():
    done = subprocess.run([sys.executable, "-m", "autograder", "check", "e99", "--lang", "en"], cwd=COURSE_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "No topic 'e99'" in done.stderr


def test_an_unknown_topic_gets_the_closest_one_in_the_chosen_language():
    done = subprocess.run([sys.executable, "-m", "autograder", "check", "tensor", "--lang", "zh"], cwd=COURSE_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "没有名为 'tensor' 的主题。你是不是想输入 `e01 tensors`？" in done.stderr


def test_check_warns_about_a_folder_without_exercise_files(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "check", "e01", "--submission", str(tmp_path),
                           "--lang", "en", "--only", "test_one_hot_is_float32"], cwd=COURSE_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert f"{tmp_path} holds none of the exercise files (e01_tensors.py)" in done.stderr
    assert done.returncode == 1 and "not attempted" in done.stdout  # it still reports, after saying why


def test_check_reports_a_file_that_is_not_utf8_in_both_languages(tmp_path):
    source = (EXERCISES / "e01_tensors.py").read_bytes()
    (tmp_path / "e01_tensors.py").write_bytes(source + b"\nlabel = '\xb6'\n")
    line = source.count(b"\n") + 2
    for lang, expected in (("en", f"e01_tensors.py is not saved as UTF-8 (byte 0xb6 at line {line}): save it as UTF-8"),
                           ("zh", f"e01_tensors.py 没有以 UTF-8 编码保存（第 {line} 行的字节 0xb6）：请以 UTF-8 编码保存")):
        done = subprocess.run([sys.executable, "-m", "autograder", "check", "e01", "--submission", str(tmp_path),
                               "--lang", lang, "--only", "test_describe_shape_is_a_tuple_of_ints"], cwd=COURSE_ROOT,
                              capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "300"})
        assert expected in done.stdout, done.stdout
        hint = "t.shape"  # the first exercise's hint has nothing to do with an unreadable file
        assert hint not in done.stdout


def test_plain_pytest_runs_the_same_checks_with_junit_xml(tmp_path):
    junit = tmp_path / "junit.xml"
    done = subprocess.run([sys.executable, "-m", "pytest", "autograder/checks/test_e01_tensors.py", "-q",
                           "--submission", str(EXERCISES), "-k", "one_hot", f"--junitxml={junit}", "-p", "no:cacheprovider"],
                          cwd=COURSE_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout
    assert "[not_attempted] this exercise still raises NotImplementedError" in done.stdout
    cases = ET.parse(junit).getroot().iter("testcase")
    points = {case.get("name"): [p.get("value") for p in case.iter("property") if p.get("name") == "points"]
              for case in cases}
    assert points == {"test_one_hot_matches_numpy_for_any_shape": ["1"], "test_one_hot_is_float32": ["1"],
                      "test_one_hot_works_in_tf_function_with_unknown_shape": ["1"]}


def test_make_check_is_the_readmes_main_command():
    """`make check` (set up if needed, then check exercises/) as the README gives it."""
    solved = subprocess.run(["make", "check", "TOPICS=e01", "SUBMISSION=solutions"], cwd=COURSE_ROOT,
                            capture_output=True, text=True, timeout=900)
    assert solved.returncode == 0 and "Every selected check passes" in solved.stdout, solved.stdout + solved.stderr
    blank = subprocess.run(["make", "check", "TOPICS=e01"], cwd=COURSE_ROOT, capture_output=True, text=True,
                           timeout=900, env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
    assert blank.returncode != 0 and "not attempted" in blank.stdout and "exercises/e01_tensors.py" in blank.stdout


def test_self_study_commands_take_topics_and_answer_typos_in_the_chosen_language(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "autograder", *args, "--submission", str(EXERCISES)],
                              cwd=COURSE_ROOT, capture_output=True, text=True, timeout=120)

    watch = run("watch", "tensr", "--lang", "zh")
    assert watch.returncode == 2 and "你是不是想输入 `e01 tensors`" in watch.stderr
    reset = run("reset", "e01", "--lang", "en")  # a topic: which exercise? it says, and changes nothing
    assert reset.returncode == 2 and "'e01' is a topic; name one of its exercises: e01.describe" in reset.stderr
    hint = run("hint", "e01.standardise", "--lang", "en")
    assert hint.returncode == 2 and "Did you mean `e01.standardize`?" in hint.stderr


def test_the_command_lines_own_help_speaks_the_chosen_language(capsys):
    with pytest.raises(SystemExit):
        cli.main(["check", "--lang", "zh", "--help"])
    chinese = capsys.readouterr().out
    assert "随机输入的种子" in chinese and "seed of the random inputs" not in chinese
    with pytest.raises(SystemExit):
        cli.main(["check", "--lang", "en", "--help"])
    assert "seed of the random inputs" in capsys.readouterr().out
