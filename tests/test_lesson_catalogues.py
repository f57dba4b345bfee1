"""The lesson catalogues (autograder/locale/zh_CN/LC_MESSAGES/lesson_*.po): one per topic,
every paragraph of solutions/ in it, translated, not fuzzy, current, with the same code."""
import re
import shutil

import pytest
from babel.messages.catalog import Catalog

from autograder import catalogues, i18n
from autograder.course import load_course
from autograder.generate import SOLUTIONS, exercise_text
from autograder.lessons import FRAME_DOMAIN, domain, frame_msgids, lesson_msgids, python_units

TOPICS = load_course().topics
MESSAGES = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def code_spans(text: str) -> list[str]:
    return sorted(re.sub(r"\s", "", span) for span in re.findall(r"`[^`]*`", text))


def lesson_problems(catalog: Catalog, mo: bytes, msgids: set[str]) -> list[str]:
    """What `make catalogues` and a translator still have to do, plus lesson rules: the
    code of a paragraph is the same in both languages, and no two paragraphs share a
    translation (switching back to English must know which paragraph it was)."""
    found = catalogues.problems(catalog, mo, msgids)
    seen: dict[str, str] = {}
    for message in catalog:
        if not message.id or not message.string:
            continue
        if code_spans(message.id) != code_spans(message.string):
            found.append(f"code differs: {message.id[:60]!r}")
        if message.string in seen:
            found.append(f"same translation for two paragraphs: {message.id[:60]!r}")
        seen[message.string] = message.id
    return found


def _catalogue(name: str):
    po = MESSAGES / f"{name}.po"
    assert po.exists(), f"no catalogue {po.name}: run `make catalogues`"
    mo = po.with_suffix(".mo")
    return catalogues.read(po), mo.read_bytes() if mo.exists() else b""


@pytest.mark.parametrize("topic", TOPICS, ids=lambda topic: topic.id)
def test_every_topic_has_a_complete_and_current_lesson_catalogue(topic):
    catalog, mo = _catalogue(domain(topic))
    found = lesson_problems(catalog, mo, {msgid for _line, msgid in lesson_msgids(topic)})
    assert not found, f"{domain(topic)}.po:\n" + "\n".join(found[:30])


def test_the_notebook_frame_catalogue_is_complete_and_current():
    catalog, mo = _catalogue(FRAME_DOMAIN)
    assert not lesson_problems(catalog, mo, {msgid for _line, msgid in frame_msgids()})


def test_a_changed_paragraph_a_fuzzy_entry_and_changed_code_are_each_caught(tmp_path):
    topic = TOPICS[0]
    shutil.copytree(SOLUTIONS, tmp_path / "solutions")
    source = tmp_path / "solutions" / topic.file
    source.write_text(source.read_text("utf-8").replace("value as a NumPy array", "value as an array"), "utf-8")
    catalog, mo = _catalogue(domain(topic))
    stale = "\n".join(lesson_problems(catalog, mo, {m for _l, m in lesson_msgids(topic, tmp_path / "solutions")}))
    assert "missing from the catalogue" in stale and "no longer in the source" in stale
    first = next(message for message in catalog if message.id and "`tf.DType`" in message.id)
    first.flags.add("fuzzy")
    first.string = first.string.replace("`tf.DType`", "tf.DType")
    wrong = "\n".join(lesson_problems(catalog, catalogues.compiled(catalog), {m for _l, m in lesson_msgids(topic)}))
    assert "fuzzy" in wrong and "code differs" in wrong


@pytest.mark.parametrize("topic", TOPICS, ids=lambda topic: topic.id)
def test_every_paragraph_of_the_chinese_exercise_is_chinese(topic):
    """Each paragraph, heading, list item and docstring summary of the Chinese rendering
    (the units extraction finds) is Chinese; only nbgrader's blank stub stays as it is."""
    units = python_units(exercise_text(SOLUTIONS / topic.file, "zh").split("\n"))
    english = [unit.msgid for unit in units if not CJK.search(unit.msgid) and unit.msgid != "YOUR CODE HERE"]
    assert units and not english, "\n".join(english)


@pytest.mark.parametrize("topic", TOPICS, ids=lambda topic: topic.id)
def test_chinese_markdown_breaks_lines_only_where_it_has_a_space(topic):
    """jupytext shows a percent file's markdown cells as Markdown, where a line break is a
    space: a break between two Chinese characters (张|量) would show a stray space."""
    from autograder.lessons import catalogue_entries, words

    chinese = {words(text): text for text in catalogue_entries(domain(topic)).values()}
    units = python_units(exercise_text(SOLUTIONS / topic.file, "zh").split("\n"))
    broken = [" | ".join(unit.body) for unit in units if unit.markdown and len(unit.body) > 1
              and chinese.get(unit.key) is not None and " ".join(unit.body) != chinese[unit.key]]
    assert not broken, "\n".join(broken)


def test_a_markdown_break_between_chinese_characters_is_caught():
    from autograder.linebreak import wrap

    text = "张量是一个数组，你会经常用到它的三样东西：`A.shape`、`A.dtype` 和 `A.numpy()`。" * 2
    assert " ".join(wrap(text, 30, anywhere=False)) == text
    assert " ".join(wrap(text, 30)) != text      # breaking anywhere puts spaces where there were none


def test_code_example_comments_and_marked_picture_texts_are_units():
    from autograder.lessons import markdown_units

    lines = ["# ```python", "#     self.layer1 = Dense(3)   # layers are made here, once", "# x = 1", "# ```",
             '    >>> f(2)  # doctest: +SKIP', '    >>> g(2)   # never called',
             'plt.xlabel(N_("batch"))', 'print("# not a comment")']
    units = python_units(["# %% [markdown]", *lines[:4], "", "# %%", "def f():", '    """Doc.', "", *lines[4:6],
                          '    """', *lines[6:]])
    inline = {unit.msgid: unit for unit in units if unit.inline}
    assert set(inline) == {"layers are made here, once", "never called", "batch"}
    assert inline["batch"].lead == 'plt.xlabel(N_("' and inline["batch"].tail == '"))'
    assert not any(unit.inline for unit in markdown_units(["x = 1  # 2"]))   # prose outside a fenced block
