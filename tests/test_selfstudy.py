"""The self-study pieces: saved progress, tiered hints, reset to the blank, the `progress`
command's exit code, and the warm (forked) worker behind `watch`, including a stress test
of hundreds of forked re-checks (fork after importing TensorFlow must never hang)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.course import load_course
from autograder.engine.client import Submission
from autograder.engine.warm import WarmWorker, Zygote
from autograder.outcomes import SubmissionError, SubmissionTimeout
from autograder.run import CheckResult, RunResult
from autograder.selfstudy import reset as reset_module
from autograder.selfstudy.commands import hint_view
from autograder.selfstudy.lookup import find_exercise
from autograder.selfstudy.reset import BACKUPS, is_blank_definition, locate, reset_exercise
from autograder.selfstudy.state import Progress, checkable, checks_of, exercise_status, fingerprint
from tests.conftest import EXERCISES, SOLUTIONS

E01 = "e01_tensors"


@pytest.fixture
def course():
    return load_course()


@pytest.fixture
def student(tmp_path) -> Path:
    folder = tmp_path / "exercises"
    shutil.copytree(EXERCISES, folder)
    return folder


def definition(text: str, name: str) -> str:
    start, end, _ = locate(text, name)
    return "".join(text.splitlines(keepends=True)[start - 1:end])


def put(folder: Path, name: str, code: str, module: str = E01) -> None:
    path = folder / f"{module}.py"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(definition(text, name), code), encoding="utf-8")


def solution(name: str, module: str = E01) -> str:
    return definition((SOLUTIONS / f"{module}.py").read_text(encoding="utf-8"), name)


def fake_run(folder: Path, course, statuses: dict[str, str]) -> RunResult:
    """A RunResult for e01 with the given status per check name (default: passed)."""
    run = RunResult(submission=str(folder), seed=1)
    for check in course.topic("e01").checks:
        status = statuses.get(check.name, "passed")
        run.checks.append(CheckResult(id=check.id, topic="e01", exercise=check.exercise, name=check.name,
                                      status=status, points=check.points if status == "passed" else 0,
                                      max_points=check.points, message="" if status == "passed" else "wrong",
                                      duration_s=0.1))
    return run


# -- saved progress -------------------------------------------------------------------------
def test_progress_results_hold_until_the_file_changes(student, course):
    topic = course.topic("e01")
    standardize = topic.exercises[1]
    failing = checks_of(standardize)[0].name
    progress = Progress.load(student)
    progress.record(fake_run(student, course, {failing: "failed"}), course, {"e01": fingerprint(student, topic)})
    progress.save()

    again = Progress.load(student)
    result = again.result(standardize, topic)
    assert result.status == "failed" and result.first_unpassed["name"] == failing
    assert result.points == sum(c.points for c in checks_of(standardize)[1:])
    assert again.result(topic.exercises[0], topic).status == "passed"

    put(student, "standardize", solution("standardize"))  # the student saves: the result is stale
    assert again.result(standardize, topic) is None
    assert again.result(standardize, topic, any_age=True).status == "failed"


def test_progress_ignores_a_run_stamped_before_it_started_and_partial_exercises(student, course):
    topic = course.topic("e01")
    run = fake_run(student, course, {})
    run.checks = [c for c in run.checks if c.name != checks_of(topic.exercises[1])[0].name]  # one check missing
    progress = Progress(student)
    progress.record(run, course, {"e01": "an old fingerprint"})
    assert progress.result(topic.exercises[0], topic) is None  # stamped for other content
    progress.record(run, course, {"e01": fingerprint(student, topic)})
    assert progress.result(topic.exercises[0], topic).status == "passed"
    assert progress.result(topic.exercises[1], topic) is None  # not every check of it ran


def test_exercise_status_words():
    assert exercise_status(["passed", "passed"]) == "passed"
    assert exercise_status(["not_attempted", "not_attempted"]) == "not_attempted"
    assert exercise_status(["passed", "not_attempted", "failed"]) == "failed"
    assert exercise_status(["timeout", "error"]) == "timeout"


# -- hints ------------------------------------------------------------------------------------
def test_hints_come_tier_by_tier_for_the_first_failing_check(student, course):
    topic = course.topic("e01")
    standardize = topic.exercises[1]
    second = checks_of(standardize)[1]
    progress = Progress(student)
    progress.record(fake_run(student, course, {second.name: "failed"}), course, {"e01": fingerprint(student, topic)})
    tiers = second.hints["zh"]
    shown = [hint_view(course, progress, standardize, "zh", advance=True).tiers for _ in range(len(tiers) + 1)]
    assert shown[0] == tiers[:1] and shown[len(tiers) - 1] == tiers
    assert shown[-1] == tiers  # no tier past the last
    assert hint_view(course, progress, standardize, "zh", advance=False).check == second
    # Nothing known yet: the exercise's first check.
    fresh = Progress(student)
    assert hint_view(course, fresh, standardize, "en", advance=True).check == checks_of(standardize)[0]


def test_exercise_names_resolve_with_or_without_topic(course):
    assert find_exercise(course, "standardize")[1].name == "standardize"
    assert find_exercise(course, "e01.standardize")[0].id == "e01"
    assert find_exercise(course, "tensors::one_hot")[1].name == "one_hot"
    assert find_exercise(course, "e01_tensors/DESCRIBE")[1].name == "describe"
    with pytest.raises(LookupError, match="No exercise"):
        find_exercise(course, "standardise")
    with pytest.raises(LookupError, match="No exercise"):
        find_exercise(course, "e02.standardize")


def test_hint_command_advances_and_is_saved(student):
    command = [sys.executable, "-m", "autograder", "hint", "e01.standardize", "--submission", str(student),
               "--lang", "en"]
    first = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"})
    second = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"})
    hints = load_course().topic("e01").exercises[1].checks[0].hints["en"]
    assert first.returncode == 0 and "Hint 1/" in first.stdout and hints[0] in first.stdout
    assert hints[1] not in first.stdout
    assert "Hint 2/" in second.stdout and hints[1] in second.stdout


# -- reset ------------------------------------------------------------------------------------
def test_reset_restores_only_that_exercise_and_keeps_a_backup(student, course):
    topic = course.topic("e01")
    blank = (EXERCISES / topic.file).read_text(encoding="utf-8")
    put(student, "describe", solution("describe"))
    put(student, "standardize", "def standardize(x):\n    return x * 2  # my try\n")
    result = reset_exercise(student, topic, "standardize")
    text = (student / topic.file).read_text(encoding="utf-8")
    assert definition(text, "standardize") == definition(blank, "standardize")
    assert definition(text, "describe") == solution("describe")  # the other exercise is untouched
    assert not result.whole_file and "solutions" in result.source
    assert result.backup.parent == student / BACKUPS and "my try" in result.backup.read_text(encoding="utf-8")
    # Resetting every exercise gives back exactly the generated blank.
    reset_exercise(student, topic, "describe")
    assert (student / topic.file).read_text(encoding="utf-8") == blank
    assert len(list((student / BACKUPS).iterdir())) == 2


def test_reset_without_solutions_uses_the_course_exercises(student, course, tmp_path):
    topic = course.topic("e01")
    put(student, "one_hot", solution("one_hot"))
    result = reset_exercise(student, topic, "one_hot", solutions=tmp_path / "no-solutions")
    assert "exercises" in result.source
    text = (student / topic.file).read_text(encoding="utf-8")
    assert is_blank_definition(locate(text, "one_hot")[2])


def test_reset_without_solutions_finds_the_blank_in_git_history(tmp_path, monkeypatch, course):
    """The student release: no solutions/, the student works in exercises/ and has
    committed their answer: the blank comes from the commit before."""
    topic = course.topic("e01")
    repo = tmp_path / "release"
    (repo / "exercises").mkdir(parents=True)
    shutil.copy(EXERCISES / topic.file, repo / "exercises" / topic.file)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "release"], check=True)
    put(repo / "exercises", "standardize", solution("standardize"))
    subprocess.run(git + ["commit", "-qam", "my answer"], check=True)
    monkeypatch.setattr(reset_module, "COURSE_ROOT", repo)

    result = reset_exercise(repo / "exercises", topic, "standardize", solutions=repo / "solutions",
                            exercises=repo / "exercises")
    assert "git history" in result.source
    text = (repo / "exercises" / topic.file).read_text(encoding="utf-8")
    assert definition(text, "standardize") == definition((EXERCISES / topic.file).read_text(), "standardize")


def test_reset_without_solutions_or_git_uses_the_notebook(tmp_path, monkeypatch, course):
    topic = course.topic("e01")
    if not (EXERCISES.parent / "notebooks" / f"{topic.module}.ipynb").exists():
        pytest.skip("notebooks/ is not generated")
    release = tmp_path / "release"  # a download: exercises/ and notebooks/, no git, no solutions/
    shutil.copytree(EXERCISES, release / "exercises")
    shutil.copytree(EXERCISES.parent / "notebooks", release / "notebooks")
    monkeypatch.setattr(reset_module, "COURSE_ROOT", release)
    put(release / "exercises", "one_hot", solution("one_hot"))
    result = reset_exercise(release / "exercises", topic, "one_hot", solutions=release / "solutions",
                            exercises=release / "exercises")
    assert "notebooks" in result.source
    text = (release / "exercises" / topic.file).read_text(encoding="utf-8")
    assert text == (EXERCISES / topic.file).read_text(encoding="utf-8")


def test_reset_copes_with_a_syntax_error_and_a_deleted_exercise(student, course):
    topic = course.topic("e01")
    blank = (EXERCISES / topic.file).read_text(encoding="utf-8")
    put(student, "describe", solution("describe"))
    put(student, "standardize", "def standardize(x):\n    return (x -\n")  # does not parse
    reset_exercise(student, topic, "standardize")
    text = (student / topic.file).read_text(encoding="utf-8")
    assert definition(text, "standardize") == definition(blank, "standardize")
    assert definition(text, "describe") == solution("describe")

    put(student, "one_hot", "")  # deleted: the whole file comes back, the backup keeps the rest
    result = reset_exercise(student, topic, "one_hot")
    assert result.whole_file and (student / topic.file).read_text(encoding="utf-8") == blank
    assert solution("describe") in result.backup.read_text(encoding="utf-8")


# -- the progress command --------------------------------------------------------------------
def all_passed(folder: Path, course) -> Progress:
    """Saved progress of `folder` in which every exercise passes (fresh for today's files)."""
    progress = Progress(folder)
    for topic in course.topics:
        if not checkable(topic):
            continue
        run = RunResult(submission=str(folder), seed=1)
        run.checks = [CheckResult(id=c.id, topic=topic.id, exercise=c.exercise, name=c.name, status="passed",
                                  points=c.points, max_points=c.points, message="", duration_s=0.0)
                      for e in topic.exercises for c in checks_of(e)]
        progress.record(run, course, {topic.id: fingerprint(folder, topic)})
    progress.save()
    return progress


def test_progress_exits_zero_only_when_every_exercise_passes(tmp_path, course):
    """With fresh saved results nothing is re-run: all passing gives 0, one failing 1."""
    folder = tmp_path / "done"
    shutil.copytree(SOLUTIONS, folder)
    progress = all_passed(folder, course)
    command = [sys.executable, "-m", "autograder", "progress", "--submission", str(folder), "--lang", "en"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Every exercise passes" in done.stdout and "Checking" not in done.stdout

    key = "e01::standardize"
    progress.results[key]["status"] = "failed"
    progress.save()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 1 and "failed" in done.stdout and "Next: standardize" in done.stdout


# -- the warm worker ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def zygote():
    with Zygote() as zygote:
        assert zygote.ready(), zygote.unavailable
        yield zygote


def _standardize(submission: Submission, seconds: float = 30.0):
    x = np.random.default_rng().normal(size=(5, 3))
    submission.begin_check(seconds)
    out = submission.probe(load_course().topic(E01), "standardize", x=x, dtype="float64")
    expected = (x - x.mean(axis=0)) / x.std(axis=0)
    np.testing.assert_allclose(np.asarray(out["value"], dtype=float), expected, rtol=1e-6)


def test_zygote_is_single_threaded_and_forks_working_workers(zygote):
    assert zygote._ready["threads"] == 1  # fork is safe only from a single-threaded process
    with Submission(SOLUTIONS, worker_factory=zygote.worker) as submission:
        _standardize(submission)
        worker = submission._worker
        assert isinstance(worker, WarmWorker) and worker.alive
    assert not worker.alive


def test_a_crash_or_hang_fails_only_its_own_recheck(zygote, student):
    put(student, "standardize", "def standardize(x):\n    import os\n    os._exit(3)\n")
    with Submission(student, worker_factory=zygote.worker) as submission:
        with pytest.raises(SubmissionError, match="exited with code 3"):
            _standardize(submission)
    put(student, "standardize", "def standardize(x):\n    while True:\n        pass\n")
    with Submission(student, timeout_scale=0.05, worker_factory=zygote.worker) as submission:
        started = time.monotonic()
        with pytest.raises(SubmissionTimeout):
            _standardize(submission, seconds=20)  # 1 s after scaling
        assert time.monotonic() - started < 10
    put(student, "standardize", solution("standardize"))
    with Submission(student, worker_factory=zygote.worker) as submission:
        _standardize(submission)


def test_a_running_check_can_be_cancelled_from_another_thread(student, course):
    from autograder.selfstudy.checker import Checker

    put(student, "standardize", "def standardize(x):\n    while True:\n        pass\n")
    topic = course.topic("e01")
    checker = Checker(student, course, Progress(student))
    try:
        assert checker.zygote.ready()
        threading.Timer(3.0, checker.cancel).start()
        started = time.monotonic()
        assert checker.run(topic, [topic.exercises[1]]) is None
        assert time.monotonic() - started < 20  # not the check's 30 s limit, three times
        put(student, "standardize", solution("standardize"))
        run = checker.run(topic, [topic.exercises[1]])
        assert run is not None and run.all_passed
    finally:
        checker.close()


def test_a_submission_that_kills_the_zygote_does_not_end_the_session(student, course):
    from autograder.selfstudy.checker import Checker

    topic = course.topic("e01")
    put(student, "standardize", "def standardize(x):\n    import os, signal\n"
                                "    os.kill(os.getppid(), signal.SIGKILL)\n    return x\n")
    checker = Checker(student, course, Progress(student))
    try:
        first = checker.zygote
        run = checker.run(topic, [topic.exercises[1]])
        assert run is not None and not run.all_passed
        put(student, "standardize", solution("standardize"))
        run = checker.run(topic, [topic.exercises[1]])
        assert run is not None and run.all_passed, [(c.name, c.status, c.message) for c in run.checks]
        assert checker.zygote is not first and checker.warm_problem is None  # a new zygote, warm again
    finally:
        checker.close()


def _stress(zygote, count: int) -> list[float]:
    durations = []
    for _ in range(count):
        started = time.monotonic()
        with Submission(SOLUTIONS, worker_factory=zygote.worker) as submission:
            _standardize(submission, seconds=30)  # a hang fails here after 30 s
        durations.append(time.monotonic() - started)
    return durations


def test_forked_rechecks_do_not_hang(zygote):
    durations = _stress(zygote, 20)
    assert max(durations) < 30


@pytest.mark.slow
@pytest.mark.quiet  # times each re-check against its 30 s limit
def test_hundreds_of_forked_rechecks_do_not_hang(zygote):
    durations = _stress(zygote, 300)
    print(f"300 forked re-checks: median {np.median(durations):.3f} s, max {max(durations):.3f} s")
    assert max(durations) < 30


# -- issue 13: import-time errors, as `check` and `watch` both show them ---------------------------
GOOD_LINES = b"import math\n" + b"".join(b"# line %d\n" % n for n in range(2, 12))  # 11 lines


def import_message(tmp_path, monkeypatch, source: bytes, lang: str = "en") -> str:
    """What the worker says about importing `source` as e01_tensors.py, from a working
    folder that no longer exists (as after `watch` copied a save over the last one)."""
    from autograder.engine import worker

    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    (folder / f"{E01}.py").write_bytes(source)
    gone = tmp_path / "replaced"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    monkeypatch.setenv("AUTOGRADER_LANG", lang)
    return worker._import(worker._SubmissionFiles(folder), E01)["message"]


def test_import_errors_name_the_students_file_line_and_source_only(tmp_path, monkeypatch):
    syntax = import_message(tmp_path, monkeypatch, GOOD_LINES + b"x = (1,\n")
    assert syntax == ("e01_tensors.py could not be imported: SyntaxError: '(' was never closed "
                      "(e01_tensors.py, line 12: `x = (1,`)")
    typo = import_message(tmp_path, monkeypatch, GOOD_LINES + b"x = math.constnat(1)\n")
    assert typo == ("e01_tensors.py could not be imported: AttributeError: module 'math' has no attribute "
                    "'constnat' (e01_tensors.py, line 12: `x = math.constnat(1)`)")
    assert "frozen" not in syntax + typo


def test_a_file_that_is_not_utf8_is_named_so_in_both_languages(tmp_path, monkeypatch):
    latin1 = GOOD_LINES + "s = 'ü¶'\n".encode("latin-1")
    assert import_message(tmp_path, monkeypatch, latin1) == \
        "e01_tensors.py is not saved as UTF-8 (byte 0xfc at line 12): save it as UTF-8"
    assert import_message(tmp_path, monkeypatch, latin1, "zh") == \
        "e01_tensors.py 没有以 UTF-8 编码保存（第 12 行的字节 0xfc）：请以 UTF-8 编码保存"
    # A file that declares its encoding is read in it: no complaint about UTF-8.
    declared = b"# -*- coding: latin-1 -*-\ns = '\xb6'\nx = (\n"
    assert "SyntaxError: '(' was never closed" in import_message(tmp_path, monkeypatch, declared)


def test_a_warm_recheck_reports_an_import_error_exactly_as_check_does(student, course):
    """`watch` copies each save over the folder its waiting worker runs in: the worker's
    report of a broken import must not depend on that folder (it once crashed there)."""
    from autograder.run import run_checks
    from autograder.selfstudy.checker import Checker

    topic = course.topic("e01")
    describe = topic.exercises[0]
    checker = Checker(student, course, Progress(student))
    try:
        assert checker.zygote.ready(), checker.zygote.unavailable
        checker.run(topic, [describe])
        checker.prepare()
        time.sleep(3)  # the waiting worker has settled in its folder, as while a student types
        path = student / topic.file
        path.write_text(path.read_text(encoding="utf-8") + "\nbroken = (1,\n", encoding="utf-8")
        warm = checker.run(topic, [describe])
    finally:
        checker.close()
    only = [check.name for check in checks_of(describe)]
    cold = run_checks(student, [topic], only=only)
    assert [r.message for r in warm.checks] == [r.message for r in cold.checks]
    message = warm.checks[0].message
    assert message.startswith("e01_tensors.py could not be imported: SyntaxError: '(' was never closed")
    assert "`broken = (1,`)" in message and "exited with code" not in message and "frozen" not in message


def test_check_shows_no_exercise_hints_under_an_import_error(course):
    from rich.console import Console

    from autograder.report import print_report

    check = checks_of(course.topic("e01").exercises[0])[0]
    run = RunResult(submission="exercises", seed=1)
    broken = "e01_tensors.py could not be imported: NameError: name 'tf' is not defined (e01_tensors.py, line 3: `tf`)"
    for message in (broken, "e01_tensors.py 没有以 UTF-8 编码保存（第 3 行的字节 0xb6）：请以 UTF-8 编码保存",
                    "describe returned the wrong shape"):
        run.checks = [CheckResult(id=check.id, topic="e01", exercise=check.exercise, name=check.name, status="error",
                                  points=0, max_points=check.points, message=message, duration_s=0.1)]
        console = Console(record=True, width=300)
        print_report(run, course, "en", console)
        shown = check.hints["en"][0][:40] in console.export_text()
        assert shown == (message == "describe returned the wrong shape"), message


def test_hint_checks_a_changed_file_again_before_answering(tmp_path, course):
    folder = tmp_path / "done"
    shutil.copytree(SOLUTIONS, folder)
    all_passed(folder, course)  # saved: everything passes
    put(folder, "one_hot", "def one_hot(labels, depth):\n    return tf.zeros([depth])\n")
    done = subprocess.run([sys.executable, "-m", "autograder", "hint", "one_hot", "--submission", str(folder),
                           "--lang", "en"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"},
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert "All checks of one_hot pass" not in done.stdout and "Hint 1/" in done.stdout, done.stdout
    assert Progress.load(folder).result(course.topic("e01").exercises[3], course.topic("e01")).status == "failed"


# -- names as a student types them, and the folder they point at -----------------------------------
def test_unknown_names_get_the_closest_ones_in_the_chosen_language(course):
    from autograder.selfstudy.lookup import find_target, find_topics

    with pytest.raises(LookupError, match="Did you mean `e01 tensors`"):
        find_topics(course, ["tensor"], "en")
    with pytest.raises(LookupError, match="没有名为 'tensor' 的主题。你是不是想输入 `e01 tensors`"):
        find_topics(course, ["tensor"], "zh")
    with pytest.raises(LookupError, match="Did you mean `e01.standardize`"):
        find_target(course, "standardise", "en")
    with pytest.raises(LookupError, match="你是不是想输入 `e01.one_hot`"):
        find_target(course, "onehot", "zh")
    assert [t.id for t in find_topics(course, ["tensors", "e01", "E02"], "en")] == ["e01", "e02"]
    assert find_target(course, "e01", "en") == (course.topic("e01"), None)
    with pytest.raises(LookupError, match="is a topic; name one of its exercises: e01.describe"):
        find_exercise(course, "tensors", "en")


def test_progress_takes_topics(tmp_path, course):
    folder = tmp_path / "done"
    shutil.copytree(SOLUTIONS, folder)
    all_passed(folder, course)
    done = subprocess.run([sys.executable, "-m", "autograder", "progress", "e01", "--submission", str(folder),
                           "--lang", "en"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "describe" in done.stdout and "MNISTLoader" not in done.stdout and "4/4 exercises pass" in done.stdout
    done = subprocess.run([sys.executable, "-m", "autograder", "progress", "tensor", "--submission", str(folder),
                           "--lang", "zh"], capture_output=True, text=True)
    assert done.returncode == 2 and "你是不是想输入 `e01 tensors`" in done.stderr


def test_a_folder_without_exercise_files_gets_a_warning_naming_what_is_expected(tmp_path, course):
    from autograder.selfstudy.lookup import folder_problem

    empty = tmp_path / "my work"
    empty.mkdir()
    (empty / "notes.py").write_text("x = 1\n")
    message, fatal = folder_problem(empty, [course.topic("e01"), course.topic("e02")], "en")
    assert not fatal and str(empty) in message and "e01_tensors.py, e02_autodiff.py" in message
    assert folder_problem(tmp_path / "nowhere", course.topics, "zh") == (f"提交文件夹 {tmp_path / 'nowhere'} 不存在", True)
    assert folder_problem(EXERCISES, course.topics, "en") is None
    done = subprocess.run([sys.executable, "-m", "autograder", "progress", "e01", "--submission", str(empty),
                           "--lang", "en"], capture_output=True, text=True, timeout=600)
    assert f"{empty} holds none of the exercise files (e01_tensors.py)" in done.stderr


def test_reset_of_an_untouched_blank_writes_nothing_and_keeps_no_backup(student, course):
    from autograder.selfstudy.commands import describe_reset

    topic = course.topic("e01")
    before = (student / topic.file).stat().st_mtime_ns
    result = reset_exercise(student, topic, "standardize")
    assert not result.changed and result.backup is None
    assert not (student / BACKUPS).exists() and (student / topic.file).stat().st_mtime_ns == before
    assert "still its blank" in describe_reset(result, topic.exercises[1], "en")
    put(student, "standardize", "def standardize(x):\n    return x\n")
    assert reset_exercise(student, topic, "standardize").backup is not None


def test_reset_keeps_the_bytes_of_a_file_that_is_not_utf8(student, course):
    topic = course.topic("e01")
    path = student / topic.file
    put(student, "standardize", "def standardize(x):\n    return x\n")
    path.write_bytes(path.read_bytes() + b"\nlabel = '\xb6'\n")
    result = reset_exercise(student, topic, "standardize")
    assert result.backup.read_bytes().endswith(b"\nlabel = '\xb6'\n")
    blank = definition((EXERCISES / topic.file).read_text(encoding="utf-8"), "standardize")
    assert path.read_bytes().endswith(b"\nlabel = '\xb6'\n") and blank.encode() in path.read_bytes()
