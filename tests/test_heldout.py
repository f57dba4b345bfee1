"""The held-out files (data/heldout/, autograder/heldout.py): listed with their checksums,
named by the topics that score on them, chosen only when grading, and an instructor's own
folder accepted only in the course's formats, with a message that says what is wrong."""
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from autograder import heldout
from autograder.course import load_course
from autograder.grading.gradebook import Gradebook
from autograder.grading.release import release
from autograder.i18n import using
from autograder.platforms import gradescope
from tests.conftest import SOLUTIONS

NOT_DATA = {".md", ".py", ""}


def test_every_held_out_file_is_listed_with_its_checksum():
    listed = heldout.listed_sums()
    present = {path.name for path in heldout.FOLDER.iterdir() if path.is_file() and path.suffix not in NOT_DATA
               and path.name != heldout.SUMS}
    assert present == set(listed), "add held-out files to data/heldout/SHA256SUMS (and only those)"
    for name, digest in listed.items():
        assert hashlib.sha256((heldout.FOLDER / name).read_bytes()).hexdigest() == digest, f"{name} changed"


def test_every_file_a_topic_scores_on_is_held_out_and_documented():
    docs = "\n".join(path.read_text(encoding="utf-8") for path in heldout.DATA.glob("*.md"))
    for topic, name in heldout.needed(load_course().topics):
        assert name in heldout.listed_sums(), f"{topic}: {name} is not in data/heldout/SHA256SUMS"
        assert name in docs, f"no document in data/ mentions the held-out {name} of {topic}"


def test_checks_score_on_the_public_split_unless_grading():
    public = heldout.DATA / "mnist.npz"
    assert heldout.grading() is None and heldout.scoring_file("mnist_test.npz", public) == public
    chosen = heldout.for_grading(load_course().topics)
    try:
        heldout.grade_on(heldout.HeldOut.from_spec(json.loads(json.dumps(chosen.to_spec()))))
        assert heldout.scoring_file("mnist_test.npz", public) == heldout.FOLDER.resolve() / "mnist_test.npz"
        with pytest.raises(heldout.HeldOutError, match="not given a held-out"):
            heldout.scoring_file("unknown.npz", public)
    finally:
        heldout.grade_on(None)


def _mnist(folder, **arrays):
    arrays = {"x_test": np.zeros((6, 28, 28), np.uint8), "y_test": np.arange(6, dtype=np.uint8), **arrays}
    np.savez(folder / "mnist_test.npz", **{name: array for name, array in arrays.items() if array is not None})
    return folder


E04 = [load_course().topic("e04")]


def test_an_instructors_folder_in_the_course_format_is_taken_and_its_file_pinned(tmp_path):
    chosen = heldout.for_grading(E04, _mnist(tmp_path))
    assert chosen.folder == tmp_path.resolve() and set(chosen.sha256) == {"mnist_test.npz"}
    _mnist(tmp_path, y_test=np.arange(1, 7, dtype=np.uint8))  # changed after grading started
    with pytest.raises(heldout.HeldOutError, match="changed since grading started"):
        chosen.file("mnist_test.npz")


@pytest.mark.parametrize("arrays, words", [
    ({"y_test": np.arange(6, dtype=np.int64)}, ["y_test is int64, expected uint8"]),
    ({"y_test": np.arange(5, 11, dtype=np.uint8)}, ["from 5 to 10, expected 0 to 9"]),
    ({"x_test": np.zeros((6, 28), np.uint8)}, ["x_test has shape [6, 28], expected [N, 28, 28]"]),
    ({"y_test": None}, ["holds the arrays ['x_test'], expected ['x_test', 'y_test']"]),
    ({"y_test": np.arange(4, dtype=np.uint8)}, ["same length"]),
])
def test_a_wrong_npz_is_refused_naming_what_is_wrong(tmp_path, arrays, words):
    with pytest.raises(heldout.HeldOutError) as error:
        heldout.for_grading(E04, _mnist(tmp_path, **arrays))
    assert "is not in the format of the course's data/heldout/mnist_test.npz" in str(error.value)
    for word in words:
        assert word in str(error.value)


def test_a_missing_folder_file_or_non_npz_is_refused_in_english_and_chinese(tmp_path):
    for lang, words in (("en", ["does not exist"]), ("zh", ["不存在"])):
        with using(lang), pytest.raises(heldout.HeldOutError) as error:
            heldout.for_grading(E04, tmp_path / "nowhere")
        assert all(word in str(error.value) for word in words), str(error.value)
    with using("zh"), pytest.raises(heldout.HeldOutError) as error:
        heldout.for_grading(E04, tmp_path)
    assert "mnist_test.npz" in str(error.value) and "e04" in str(error.value) and "缺少" in str(error.value)
    (tmp_path / "mnist_test.npz").write_text("x_test,y_test\n")
    with pytest.raises(heldout.HeldOutError, match="not an .npz"):
        heldout.for_grading(E04, tmp_path)


def test_text_sets_are_checked_against_the_courses_own_file(tmp_path):
    """Any topic's files: JSON lines (gzipped or not) and tables, by the course's example."""
    example = tmp_path / "course"
    example.mkdir()
    with gzip.open(example / "texts.jsonl.gz", "wt", encoding="utf-8") as file:
        file.write("\n".join(json.dumps({"text": t, "label": label}) for t, label in (("good", 1), ("bad", 0))))
    (example / "table.tsv").write_text("text\tlabel\nfine\t1\n", encoding="utf-8")
    given = tmp_path / "given.jsonl.gz"

    def problem(rows):
        with gzip.open(given, "wt", encoding="utf-8") as file:
            file.write("\n".join(json.dumps(row) for row in rows))
        return heldout.format_problem(given, example / "texts.jsonl.gz")

    assert problem([{"text": "new", "label": 1}, {"label": 0, "text": "other"}]) is None
    assert "keys ['label', 'txt']" in problem([{"txt": "new", "label": 1}])
    assert "label is a string" in problem([{"text": "new", "label": "1"}])
    assert "label is 3, expected 0 to 1" in problem([{"text": "new", "label": 3}])
    table = tmp_path / "given.tsv"
    table.write_text("text\tlabel\nok\t1\nbroken\n", encoding="utf-8")
    assert "line 3 has 1 fields, expected 2" in heldout.format_problem(table, example / "table.tsv")
    table.write_text("sentence\tlabel\nok\t1\n", encoding="utf-8")
    assert "header" in heldout.format_problem(table, example / "table.tsv")


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_no_release_holds_a_held_out_file_and_gradescope_keeps_them_for_root(tmp_path):
    """The students' repository has no data/heldout/ and no file with a held-out file's
    bytes; the Gradescope package carries them for its grader, readable by root only."""
    held_out = set(heldout.listed_sums().values())
    assert held_out
    release(tmp_path / "course")
    leaked = [str(path) for path in (tmp_path / "course").rglob("*") if path.is_file() and _sha256(path) in held_out]
    assert not leaked and not (tmp_path / "course" / "data" / "heldout").exists(), leaked
    names = gradescope.build_package(tmp_path / "autograder.zip", ["e04"])
    assert {f"data/heldout/{name}" for name in heldout.listed_sums()} <= set(names)
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        setup = archive.read("setup.sh").decode()
    assert "chmod -R o-rwx /autograder/source/data/heldout" in setup


def test_a_release_refuses_a_held_out_file_copied_anywhere(tmp_path, monkeypatch):
    from autograder.grading import release as release_module

    monkeypatch.setattr(release_module, "INCLUDE", release_module.INCLUDE + ["stray"])
    root = tmp_path / "course"
    root.mkdir()
    for name in ("autograder", "data", "exercises", "course.toml"):
        (root / name).symlink_to(heldout.COURSE_ROOT / name)
    (root / "stray").mkdir()
    (root / "stray" / "copy.npz").write_bytes((heldout.FOLDER / "mnist_test.npz").read_bytes())
    with pytest.raises(RuntimeError, match=r"stray/copy.npz is a held-out file"):
        release(tmp_path / "out", root=root)


# -- grade --heldout DIR ------------------------------------------------------------------------
def _grade(root, *extra: str, lang: str = "en") -> tuple[subprocess.CompletedProcess, dict]:
    """`grade` the reference e04 in `root` (a folder the sandbox users can enter)."""
    student = root / "submissions" / "reference"
    student.mkdir(parents=True, exist_ok=True)
    shutil.copy(SOLUTIONS / "e04_training.py", student)
    out = root / "out"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(root / "submissions"), "--out", str(out),
                           "--topics", "e04", "--lang", lang, *extra], cwd=heldout.COURSE_ROOT, capture_output=True,
                          text=True, timeout=1200, env={**os.environ, "COLUMNS": "200"})
    if not (out / "gradebook.db").exists() or done.returncode:
        return done, {}
    book = Gradebook(f"sqlite:///{out / 'gradebook.db'}")
    try:
        (graded,) = book.graded()
        return done, {result["name"]: result for result in graded.results}
    finally:
        book.close()


@pytest.mark.parametrize("lang, words", [("en", ["grade refuses to start", "does not exist"]),
                                         ("zh", ["grade 拒绝启动", "不存在"])])
def test_grade_refuses_a_held_out_folder_that_is_not_there(traversable_tmp, lang, words):
    done, _ = _grade(traversable_tmp, "--heldout", str(traversable_tmp / "nowhere"), lang=lang)
    assert done.returncode == 2, done.stdout + done.stderr
    assert all(word in done.stdout for word in words), done.stdout
    assert not (traversable_tmp / "out" / "grades.csv").exists()


def test_grade_refuses_a_held_out_file_in_another_format_in_chinese(traversable_tmp):
    (traversable_tmp / "fresh").mkdir()
    folder = _mnist(traversable_tmp / "fresh", y_test=np.arange(6, dtype=np.int64))
    done, _ = _grade(traversable_tmp, "--heldout", str(folder), lang="zh")
    assert done.returncode == 2 and "y_test 的类型是 int64，应为 uint8" in done.stdout, done.stdout


def test_grade_scores_e04_on_the_held_out_folder_it_is_given(traversable_tmp):
    """The reference scores on a fresh folder whose labels are all wrong: the accuracy check
    fails there, so it was scored on that folder; the other checks do not read it."""
    with np.load(heldout.FOLDER / "mnist_test.npz") as data:
        images, labels = data["x_test"], data["y_test"]
    fresh = traversable_tmp / "fresh"
    fresh.mkdir()
    np.savez(fresh / "mnist_test.npz", x_test=images, y_test=((labels + 1) % 10).astype(labels.dtype))
    done, results = _grade(traversable_tmp, "--heldout", str(fresh))
    assert done.returncode == 0, done.stdout + done.stderr
    accuracy = results.pop("test_train_reaches_88_percent_test_accuracy_on_mnist")
    assert accuracy["status"] == "failed" and "test accuracy" in accuracy["message"], accuracy
    assert {result["status"] for result in results.values()} == {"passed"}, results
    digest = hashlib.sha256((fresh / "mnist_test.npz").read_bytes()).hexdigest()
    assert {result["scored_on"] for result in [accuracy, *results.values()]} == {f"mnist_test.npz:{digest}"}
    # The same files graded again on the course's own split: e04's results, scored on
    # another split, are graded again (a topic's held-out files are pinned per topic).
    done, again = _grade(traversable_tmp)
    assert done.returncode == 0, done.stdout + done.stderr
    accuracy = again.pop("test_train_reaches_88_percent_test_accuracy_on_mnist")
    assert accuracy["status"] == "passed" and accuracy["scored_on"] == f"mnist_test.npz:{heldout.listed_sums()['mnist_test.npz']}"
    assert "1 to grade" in " ".join(done.stdout.split()), done.stdout
