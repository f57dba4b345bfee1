"""The glossary (autograder/locale/glossary.md) holds: no catalogue uses a rendering it
rejects, and each topic's title reads the same in its lesson and in check/watch/progress."""
import re
from pathlib import Path

import pytest

from autograder import catalogues, i18n
from autograder.course import load_course

GLOSSARY = i18n.LOCALE_DIR / "glossary.md"
CATALOGUES = sorted((i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po"))
_SET_ASIDE = re.compile(r"`[^`]*`|\{[^{}]*\}|“[^”]*”")   # code, placeholders, quotations


def rejected_renderings(glossary: str) -> list[tuple[str, list[str], list[str]]]:
    """(English, [chosen terms], [rejected variants]) of every glossary row that rejects some."""
    rows = []
    for line in glossary.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2].startswith("`"):
            chosen = [term for term in re.split(r"[/、，]| 或 ", cells[1]) if term.strip()]
            rows.append((cells[0], [re.sub(r"（.*?）|……", "", term).strip() for term in chosen],
                         re.findall(r"`([^`]+)`", cells[2])))
    return rows


def _pattern(variant: str) -> re.Pattern:
    """An ASCII variant is a whole word (not part of `ids`, `num_epoch`, `notebooks/`)."""
    if variant.isascii():
        return re.compile(rf"(?<![\w.]){re.escape(variant)}(?![\w/=])")
    return re.compile(re.escape(variant))


def glossary_violations(translations: dict[str, str], glossary: str) -> list[str]:
    """`variant` in 'msgid...' for each rejected variant found in a translation."""
    found = []
    for english, chosen, variants in rejected_renderings(glossary):
        for msgid, text in translations.items():
            prose = _SET_ASIDE.sub(" ", text)
            for variant in variants:
                rest = prose
                for term in chosen:   # the term itself, and the term glossed by the variant, are fine
                    rest = rest.replace(f"{term}（{variant}）", "")
                    if variant in term:
                        rest = rest.replace(term, "")
                if _pattern(variant).search(rest):
                    found.append(f"{variant!r} ({english}) in {msgid[:70]!r}: {text[:90]!r}")
    return found


def _translations(po: Path) -> dict[str, str]:
    return {message.id: message.string for message in catalogues.read(po)
            if message.id and isinstance(message.id, str) and message.string}


def test_the_glossary_rejects_something():
    rows = rejected_renderings(GLOSSARY.read_text("utf-8"))
    assert len(rows) >= 20 and all(chosen and variants for _english, chosen, variants in rows)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: po.stem)
def test_no_catalogue_uses_a_rendering_the_glossary_rejects(po):
    found = glossary_violations(_translations(po), GLOSSARY.read_text("utf-8"))
    assert not found, f"{po.name}:\n" + "\n".join(found[:30])


def test_a_planted_variant_of_each_kind_is_caught():
    glossary = GLOSSARY.read_text("utf-8")
    planted = {
        "a": "编号 1 是未登录词。",                       # out-of-vocabulary
        "b": "大纲要求 float32。",                        # the course asks
        "c": "以 Python 数的形式返回。",                  # a variant that is the start of the term
        "d": "Adam 的两个矩估计变量。",                   # a variant that extends the term
        "e": "每个 id 一行。",                            # an ASCII variant, as a word
        "f": "训练 5 个 epoch。",
    }
    found = "\n".join(glossary_violations(planted, glossary))
    for variant in ("未登录词", "大纲要求", "Python 数", "矩估计变量", "'id'", "'epoch'"):
        assert variant in found, variant
    fine = {"a": "编号 1 是词表外的词；`ids` 与 num_epoch={steps} 是代码。",
            "b": "把标签转换为独热（one-hot）张量，返回 Python 数值。",
            "c": "笔记说：“最大的区别是默认模式为动态模式”。", "d": "课程笔记本在 notebooks/ 中。"}
    assert not glossary_violations(fine, glossary)


def test_each_topic_title_reads_the_same_in_its_lesson_and_in_the_reports():
    """The lesson's heading `eNN · title` and the title check/watch/progress show."""
    from autograder.lessons import catalogue_entries, domain

    different = []
    for topic in load_course().topics:
        heading = f"{topic.id} · {topic.title['en']}"
        in_lesson = catalogue_entries(domain(topic)).get(heading)
        in_reports = f"{topic.id} · {topic.title['zh']}"
        if in_lesson != in_reports:
            different.append(f"{in_lesson!r} != {in_reports!r}")
    assert not different, "\n".join(different)
