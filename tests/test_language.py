"""`python -m autograder language zh|en`: the lesson text switches, the student's code never
does, and the choice is every command's default (selfstudy/language.py, lessons.py)."""
import shutil

import pytest

from autograder import COURSE_ROOT, cli, i18n
from autograder.classroom import notebooks
from autograder.course import load_course
from autograder.generate import SOLUTIONS, exercise_text
from autograder.lessons import Lessons, python_units
from autograder.selfstudy import language
from autograder.selfstudy.state import Progress

TOPICS = load_course().topics
E01 = next(topic for topic in TOPICS if topic.id == "e01")


@pytest.fixture
def course(tmp_path):
    """A copy of the course's exercises/ and notebooks/."""
    shutil.copytree(COURSE_ROOT / "exercises", tmp_path / "exercises",
                    ignore=shutil.ignore_patterns(".course-*"))
    shutil.copytree(COURSE_ROOT / "notebooks", tmp_path / "notebooks")
    return tmp_path


def _snapshot(folder):
    return {path.relative_to(folder): path.read_bytes() for path in sorted(folder.rglob("*.py*"))}


def test_en_zh_en_gives_back_the_same_files_and_zh_is_the_generated_chinese_course(course):
    before = _snapshot(course)
    outcomes = language.switch_course("zh", course / "exercises", course / "notebooks")
    assert len(outcomes) == 2 * len(TOPICS) and all(outcome.changed for outcome in outcomes)
    for topic in TOPICS:  # the same as generating the Chinese course from solutions/ + catalogue
        assert (course / "exercises" / topic.file).read_text("utf-8") == exercise_text(SOLUTIONS / topic.file, "zh")
        assert (course / "notebooks" / f"{topic.module}.ipynb").read_text("utf-8") == notebooks.notebook_text(topic, "zh")
    assert notebooks.drifted(course / "notebooks", "zh") == []
    assert all(not outcome.changed for outcome in language.switch_course("zh", course / "exercises", course / "notebooks"))
    language.switch_course("en", course / "exercises", course / "notebooks")
    assert _snapshot(course) == before


STUDENT_CODE = '''\
    # my own note: reduce over axis 0
    mean = tf.reduce_mean(x, axis=0, keepdims=True)
    text = """Subtract each column's mean and divide by that column's population standard deviation"""
    return (x - mean) / tf.math.reduce_std(x, axis=0, keepdims=True)'''


def test_switching_keeps_every_line_of_code_and_every_edited_paragraph(course):
    path = course / "exercises" / E01.file
    english = path.read_text("utf-8")
    blank = "    # YOUR CODE HERE\n    raise NotImplementedError()"
    start = english.index(blank, english.index("def standardize"))
    edited = (english[:start] + STUDENT_CODE + english[start + len(blank):]).replace(
        "# `labels.shape + [depth]`.", "# `labels.shape + [depth]`. (I wrote this line myself.)")
    path.write_text(edited, encoding="utf-8")
    assert language.switch_file(path, E01, "zh").changed
    chinese = path.read_text("utf-8")
    assert STUDENT_CODE in chinese                          # code, its comment and its string kept
    assert "(I wrote this line myself.)" in chinese         # an edited paragraph stays as it is
    assert "每一列减去该列的均值" in chinese and "Column-wise" not in chinese
    language.switch_file(path, E01, "en")
    assert path.read_text("utf-8") == edited


def test_broken_files_are_left_alone_or_switched_around_their_code(course):
    folder = course / "exercises"
    broken = (folder / E01.file).read_text("utf-8").replace("def describe(t):", "def describe(t:")
    (folder / E01.file).write_text(broken, encoding="utf-8")            # a syntax error
    (folder / "e02_autodiff.py").write_bytes("# % caf\xe9\n".encode("latin-1"))   # not UTF-8
    (course / "notebooks" / "e01_tensors.ipynb").write_text("{ not json", encoding="utf-8")
    (folder / "e03_models.py").unlink()
    (folder / "e03_models.py").symlink_to(course / "notebooks" / "e03_models.ipynb")
    outcomes = {(o.path.parent.name, o.path.name): o.message
                for o in language.switch_course("zh", folder, course / "notebooks")}
    assert outcomes[("exercises", "e01_tensors.py")] == "switched"
    assert outcomes[("exercises", "e02_autodiff.py")] == "not_utf8"
    assert outcomes[("notebooks", "e01_tensors.ipynb")] == "not_notebook"
    assert outcomes[("exercises", "e03_models.py")] == "skipped_link"
    assert (folder / "e02_autodiff.py").read_bytes() == "# % caf\xe9\n".encode("latin-1")
    assert (course / "notebooks" / "e01_tensors.ipynb").read_text("utf-8") == "{ not json"
    chinese = (folder / E01.file).read_text("utf-8")
    assert "def describe(t:" in chinese and "张量的 (shape, dtype, value)。" in chinese   # docstring found without a parse
    language.switch_course("en", folder, course / "notebooks")
    assert (folder / E01.file).read_text("utf-8") == broken


def test_the_choice_is_saved_and_is_every_commands_default_and_lang_overrides(course, monkeypatch):
    folder = course / "exercises"
    assert cli.main(["language", "zh", "--submission", str(folder), "--notebooks", str(course / "notebooks")]) == 0
    assert Progress.load(folder).language == "zh"
    seen = []
    monkeypatch.setattr("autograder.selfstudy.commands.cmd_hint", lambda args: seen.append(args.lang) or 0)
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    monkeypatch.setattr(i18n, "_chosen", None)
    cli.main(["hint", "standardize", "--submission", str(folder)])
    cli.main(["hint", "standardize", "--submission", str(folder), "--lang", "en"])
    assert seen == ["zh", "en"]
    assert Progress.load(folder).language == "zh"  # --lang is for one command only


def test_the_locale_decides_on_first_use_for_the_course_exercises_only(course, tmp_path, monkeypatch):
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    other = tmp_path / "someone_else"
    shutil.copytree(course / "exercises", other)
    assert language.first_use(other, None, course_folder=course / "exercises") == "zh"
    assert Progress.load(other).language is None and _snapshot(other) == _snapshot(course / "exercises")
    folder = course / "exercises"
    assert language.first_use(folder, course / "notebooks", course_folder=folder) == "zh"
    assert Progress.load(folder).language == "zh"
    assert "检查你的答案" in (folder / E01.file).read_text("utf-8")
    assert "检查你的答案" in (course / "notebooks" / "e01_tensors.ipynb").read_text("utf-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")   # decided once: a later locale does not undo it
    assert language.first_use(folder, course / "notebooks", course_folder=folder) == "zh"


def test_units_are_lesson_paragraphs_never_code_or_doctests():
    texts = [unit.msgid for unit in python_units(exercise_text(SOLUTIONS / E01.file).split("\n"))]
    assert "(shape, dtype, value) of a tensor." in texts and "e01 · Tensors and eager execution" in texts
    assert not [text for text in texts if ">>>" in text or "NotImplementedError" in text or "import " in text]
    assert "describe" not in texts  # a heading that is only a name is not text to translate


def test_the_chinese_nbgrader_course_and_release_are_the_english_ones_in_chinese(tmp_path):
    import json

    from autograder.classroom import nbgrader_course
    from autograder.grading.release import release

    english, chinese = nbgrader_course.build(tmp_path / "en"), nbgrader_course.build(tmp_path / "zh", "zh")
    for en_path, zh_path in zip(english[1:], chinese[1:]):
        en_cells, zh_cells = (json.loads(path.read_text("utf-8"))["cells"] for path in (en_path, zh_path))
        assert [cell["metadata"] for cell in en_cells] == [cell["metadata"] for cell in zh_cells]  # same grading
        assert any("检查你的答案" in "".join(cell["source"]) for cell in zh_cells)
        tests = ["".join(cell["source"]) for cell in zh_cells if cell["metadata"].get("nbgrader", {}).get("grade")]
        assert tests and all(test.endswith('lang="zh")') for test in tests)  # feedback in Chinese too
    release(tmp_path / "release", lang="zh")
    exercises = tmp_path / "release" / "exercises"
    assert "检查你的答案" in (exercises / E01.file).read_text("utf-8")
    assert Progress.load(exercises).language == "zh"
    language.switch_course("en", exercises, tmp_path / "release" / "notebooks")
    for topic in TOPICS:
        assert (exercises / topic.file).read_bytes() == (COURSE_ROOT / "exercises" / topic.file).read_bytes()


def test_reset_in_a_chinese_course_writes_the_blank_in_chinese(course):
    from autograder.selfstudy.reset import reset_exercise

    folder = course / "exercises"
    language.switch_course("zh", folder, None)
    language.save_choice(folder, "zh")
    path = folder / E01.file
    chinese_blank = path.read_text("utf-8")
    blank = "    # YOUR CODE HERE\n    raise NotImplementedError()"
    start = chinese_blank.index(blank, chinese_blank.index("def standardize"))
    path.write_text(chinese_blank[:start] + STUDENT_CODE + chinese_blank[start + len(blank):], encoding="utf-8")
    assert reset_exercise(folder, E01, "standardize").changed
    assert path.read_text("utf-8") == chinese_blank    # the lesson around the blank stays Chinese
    path.unlink()                                       # a whole file comes back in Chinese too
    reset_exercise(folder, E01, "standardize")
    assert path.read_text("utf-8") == chinese_blank
