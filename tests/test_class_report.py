"""What a class did (autograder/mistakes.py, grading/class_report.py, grading/similarity.py):
one named mistake per failure, attributed across an exercise's checks and counted once
per student; look-alike submissions flagged above thresholds calibrated on independent
correct solutions; all of it rewritten from the gradebook by `report`, in both languages."""
from __future__ import annotations

import csv
import io
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.grading import similarity
from autograder.grading.class_report import write_similarity_csv
from autograder.grading.gradebook import Gradebook, engine_url
from autograder.i18n import _, in_language, using
from autograder.mistakes import Mistake, attribute, from_report
from autograder.run import CheckResult
from tests.disguise import disguise
from tests.test_gradebook import book_url, postgres  # noqa: F401 (fixtures: SQLite and a real PostgreSQL)

ROWS = "it standardizes each row (axis=1); the course asks for each column (axis=0)"
ROW_WISE = '''

def standardize(x):
    return (x - tf.reduce_mean(x, axis=1, keepdims=True)) / tf.math.reduce_std(x, axis=1, keepdims=True)
'''
NO_HALF = "the factor 0.5 is missing: 0.5 * tf.reduce_sum(tf.square(a * X + b - y))"
WITHOUT_ONE_HALF = '''

def linreg_loss(a, b, X, y):
    return tf.reduce_sum(tf.square(a * X + b - y))
'''
INDEPENDENT = {"ref": "solutions", "alt": "tests/alternatives", "handbook": "tests/alternatives/handbook"}


# -- one mistake, one name ----------------------------------------------------------------
def _result(name: str, exercise: str = "standardize", status: str = "failed", message: str = "off", **mistake):
    return CheckResult(id=f"e01::{name}", topic="e01", exercise=exercise, name=name, status=status, points=0,
                       max_points=1, message=message, duration_s=0.0, **mistake)


def test_a_named_mistake_has_one_key_in_every_language_and_crosses_processes_as_text():
    with using("zh"):
        said = _(ROWS)
    assert said.msgid == ROWS and in_language(said, "en") == ROWS and in_language(said, "zh") == str(said) != ROWS
    assert Mistake.of(said) == Mistake.of(_(ROWS))   # the key does not depend on the run's language
    assert type(pickle.loads(pickle.dumps(said))) is str
    assert Mistake.of("made without _()").key == "made without _()"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_exercises_vague_failures_take_the_mistake_another_check_named(lang):
    with using(lang):
        named = Mistake.of(_(ROWS))
        results = [_result("test_standardize_matches_numpy", message=f"standardize(x): {named.text[lang]}",
                           mistake=named.key, mistake_text=named.text),
                   _result("test_standardize_keeps_the_input_dtype", message="standardize(x) is off at index (9, 0)"),
                   _result("test_standardize_works_in_tf_function", message="standardize(x) has shape (2,)"),
                   _result("test_one_hot_matches_numpy", exercise="one_hot", message="one_hot(x) is off")]
        vague = {"e01::test_standardize_keeps_the_input_dtype", "e01::test_one_hot_matches_numpy"}
        attribute(results, vague)
    dtype, shape, other = results[1:]
    assert (dtype.mistake, dtype.named_by) == (ROWS, "test_standardize_matches_numpy")
    assert named.text[lang] in dtype.message and "index" not in dtype.message
    assert shape.mistake == "" and shape.message == "standardize(x) has shape (2,)"   # a message of its own stays
    assert other.mistake == "" and other.message == "one_hot(x) is off"                # another exercise
    if lang == "zh":
        assert "同一个错误" in dtype.message


def test_a_grading_childs_mistake_fields_are_checked_and_bounded():
    course = load_course()
    check = course.check("e01", "test_standardize_keeps_the_input_dtype")
    siblings = {c.name for c in course.checks if (c.topic, c.exercise) == ("e01", "standardize")}
    reported = {"status": "failed", "mistake": "k" * 5000, "mistake_text": {"en": "x\x1b[2J", "zh": 3, "fr": "y"},
                "named_by": "test_one_hot_matches_numpy"}
    fields = from_report(reported, check, siblings)
    assert len(fields["mistake"]) <= 2001 and fields["mistake_text"] == {"en": "x\\x1b[2J"} and fields["named_by"] == ""
    assert from_report({**reported, "status": "passed"}, check, siblings)["mistake"] == ""
    assert from_report({**reported, "named_by": "test_standardize_matches_numpy"}, check, siblings)["named_by"] == \
        "test_standardize_matches_numpy"


def test_the_gradebook_keeps_mistakes_and_sources_and_migrates_an_older_one(book_url):  # noqa: F811
    book = Gradebook(book_url)
    book.record(book.start_run(seed=7, topics=[], jobs=1, sandbox={}), "old", "h", [], duration_s=2.0)
    book.close()
    engine = create_engine(engine_url(book_url))
    with engine.begin() as connection:  # as a gradebook written before mistakes and sources were kept
        for column in ("mistake", "mistake_text", "named_by"):
            connection.execute(text(f"ALTER TABLE results DROP COLUMN {column}"))
        connection.execute(text("DROP TABLE sources"))
    engine.dispose()
    book = Gradebook(book_url)
    run = book.start_run(seed=2, topics=["e01"], jobs=1, sandbox={})
    failing = {"id": "e01::c", "topic": "e01", "exercise": "x", "name": "c", "status": "failed", "points": 0,
               "max_points": 1, "message": "m", "duration_s": 0.1, "mistake": ROWS, "mistake_text": {"en": ROWS},
               "named_by": "b"}
    book.record(run, "new", "h", [failing], duration_s=1.0, sources={"e01_tensors.py": b"x = 1\0\n\xff"})
    graded = {g.student: g for g in book.graded()}
    assert graded["new"].results[0]["mistake"] == ROWS and graded["new"].results[0]["named_by"] == "b"
    assert book.sources() == {"new": {"e01_tensors.py": "x = 1\n\ufffd"}}
    book.close()


def test_a_csv_cell_never_starts_a_formula(tmp_path):
    pairs = [similarity.Pair("e01", "=HYPERLINK(1)", "+A1", 0.9, True), similarity.Pair("e01", "@SUM(A1)", "ok", 0.1, False)]
    write_similarity_csv(pairs, tmp_path / "similarity.csv")
    rows = [line.split(",") for line in (tmp_path / "similarity.csv").read_text().splitlines()[1:]]
    assert [row[1:3] for row in rows] == [["'=HYPERLINK(1)", "'+A1"], ["'@SUM(A1)", "ok"]]


# -- similarity ---------------------------------------------------------------------------
def test_the_stored_thresholds_are_the_calibration_on_independent_solutions():
    stored = similarity.calibration()
    measured = similarity.calibrate(load_course())["topics"]
    assert stored == measured, "run `python -m autograder.grading.similarity` and commit the thresholds"
    for topic, entry in measured.items():
        assert entry["threshold"] >= max(similarity.FLOOR, entry["independent_max"] + 0.1), topic   # clearly above


def test_a_disguised_copy_stands_above_every_topics_threshold():
    """Every independent solution, disguised, against itself: flagged in every topic; and
    the blank has no code of its own to compare."""
    course = load_course()
    for topic in course.topics:
        for name, folder in INDEPENDENT.items():
            source = (COURSE_ROOT / folder / topic.file).read_text(encoding="utf-8")
            pairs = similarity.compare_topic({name: source, "copy": disguise(source)}, topic,
                                             similarity.thresholds()[topic.id])
            assert [pair.flagged for pair in pairs] == [True], (topic.id, name, pairs)
        blank = (COURSE_ROOT / "exercises" / topic.file).read_text(encoding="utf-8")
        assert similarity.fingerprints({"blank": blank}, topic) == {}


# -- a class, graded ----------------------------------------------------------------------
def _class(root: Path) -> Path:
    """Three independent correct solutions, a disguised copy of one, the blank, and two
    students making the same named mistakes in two topics (each from another solution)."""
    submissions = root / "class"
    files = ("e01_tensors.py", "e02_autodiff.py")
    students = {name: {file: (COURSE_ROOT / folder / file).read_text(encoding="utf-8") for file in files}
                for name, folder in INDEPENDENT.items()}
    students["copier"] = {file: disguise(source) for file, source in students["alt"].items()}
    students["blank"] = {file: (COURSE_ROOT / "exercises" / file).read_text(encoding="utf-8") for file in files}
    for student, base in (("slip1", "alt"), ("slip2", "handbook")):
        students[student] = {"e01_tensors.py": students[base]["e01_tensors.py"] + ROW_WISE,
                             "e02_autodiff.py": students[base]["e02_autodiff.py"] + WITHOUT_ONE_HALF}
    for student, sources in students.items():
        (submissions / student).mkdir(parents=True)
        for file, source in sources.items():
            (submissions / student / file).write_text(source, encoding="utf-8")
    return submissions


def _csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def graded_class():
    """The class of `_class`, graded on e01 and e02 (a folder every user may enter: the
    sandbox's own user reads the course files and scratch there)."""
    root = Path(tempfile.mkdtemp(prefix="course-class-"))
    root.chmod(0o755)
    submissions, out = _class(root), root / "out"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out),
                           "--jobs", "2", "--topics", "e01", "e02"], cwd=COURSE_ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield out
    shutil.rmtree(root, ignore_errors=True)


def test_a_graded_class_shows_its_mistakes_once_per_student_and_flags_only_the_copy(graded_class):
    out = graded_class
    pairs = _csv(out / "similarity.csv")
    flagged = {(row["topic"], row["a"], row["b"]) for row in pairs if row["flagged"] == "1"}
    assert {("e01", "alt", "copier"), ("e02", "alt", "copier")} <= flagged
    independent = set(INDEPENDENT) | {"blank"}
    assert not [pair for pair in flagged if {pair[1], pair[2]} <= independent], flagged
    assert not [row for row in pairs if "blank" in (row["a"], row["b"])]   # no code of its own: nothing to compare

    book = Gradebook(f"sqlite:///{out / 'gradebook.db'}")
    slip = {graded.student: graded for graded in book.graded()}["slip1"]
    book.close()
    rows_wise = [r for r in slip.results if r["mistake"] == ROWS]
    assert len(rows_wise) == 3 and sum(bool(r["named_by"]) for r in rows_wise) == 2   # one named it, two took it
    mistakes = {(row["topic"], row["exercise"], row["mistake"]): row for row in _csv(out / "mistakes.csv")}
    for key in (("e01", "standardize", ROWS), ("e02", "linreg_loss", NO_HALF)):
        assert (mistakes[key]["students"], mistakes[key]["share"]) == ("2", f"{2 / 7:.3f}"), mistakes[key]
    assert all(row["students"] == "2" for row in mistakes.values()), mistakes   # slip1 and slip2, once each

    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "href='similarity.html'" in summary and "Mistakes the class made" in summary
    assert "href='feedback/slip1.html'" in summary and ROWS.split(";")[0] in summary
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "never a penalty" in page and "<mark>" in page and "copier" in page


def test_report_rewrites_the_class_report_from_the_gradebook_in_chinese(graded_class, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded_class, out)
    before = _csv(out / "mistakes.csv")
    (out / "mistakes.csv").unlink()
    again = subprocess.run([sys.executable, "-m", "autograder", "report", str(out), "--lang", "zh"], cwd=COURSE_ROOT,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    chinese = _csv(out / "mistakes.csv")
    assert [row["students"] for row in chinese] == [row["students"] for row in before]
    with using("zh"):
        assert _(ROWS) in {row["mistake"] for row in chinese}
    assert "全班出现的错误" in (out / "summary.html").read_text(encoding="utf-8")
    assert "绝不能作为扣分的依据" in (out / "similarity.html").read_text(encoding="utf-8")
    assert _csv(out / "similarity.csv") == _csv(graded_class / "similarity.csv")


def test_the_summary_in_a_browser_shows_the_mistakes_and_links_the_look_alikes(graded_class):
    """Headless Chromium (as tests/test_browser.py): the mistakes table is on the page, the
    link opens the side-by-side page; screenshots land in build/artifacts/."""
    from tests.test_browser import ARTIFACTS, CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS   # skips without selenium

    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip("needs Debian's chromium and chromium-driver (make system-deps)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.get((graded_class / "summary.html").as_uri())
        table = browser.find_element(By.CSS_SELECTOR, "table.mistakes")
        assert ROWS.split(";")[0] in table.text and "slip1" in table.text
        browser.save_screenshot(str(ARTIFACTS / "class-summary.png"))
        browser.find_element(By.CSS_SELECTOR, "a[href='similarity.html']").click()
        assert browser.find_elements(By.CSS_SELECTOR, "table.pair mark")
        browser.save_screenshot(str(ARTIFACTS / "class-similarity.png"))
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
