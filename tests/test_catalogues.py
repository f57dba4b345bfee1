"""The translation catalogues (autograder/locale): complete, current and consistent."""
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from autograder import catalogues, i18n

LOCALE = Path(i18n.LOCALE_DIR)
PO_FILES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def test_every_catalogue_is_complete_and_compiled():
    assert PO_FILES, "no catalogues found"
    for po in PO_FILES:
        sources = set(catalogues.extracted()) if po.stem == i18n.DOMAIN else None
        mo = po.with_suffix(".mo")
        found = catalogues.problems(catalogues.read(po), mo.read_bytes() if mo.exists() else b"", sources)
        assert not found, f"{po.relative_to(LOCALE)}:\n" + "\n".join(found[:40])


def _catalog(*entries, fuzzy=()):
    catalog = Catalog(locale="zh_CN")
    for msgid, string in entries:
        catalog.add(msgid, string, flags=("fuzzy",) if msgid in fuzzy else ())
    return catalog


def test_problems_names_each_kind_of_defect():
    catalog = _catalog(("got {got}, expected {expected}", "得到 {got}，应为 {expect}"),
                       ("old text", "旧文本"), ("fresh", ""), ("unsure", "也许"), ("one {brace", "一个"),
                       fuzzy={"unsure"})
    found = "\n".join(catalogues.problems(catalog, b"stale bytes", {"got {got}, expected {expected}",
                                                                     "fresh", "unsure", "one {brace", "new one"}))
    for expected in ("missing from the catalogue: 'new one'", "no longer in the source: 'old text'",
                     "not translated: 'fresh'", "fuzzy", "placeholders differ", "malformed placeholder",
                     ".mo file is out of date"):
        assert expected in found
    good = _catalog(("got {got}", "得到 {got}"))
    assert catalogues.problems(good, catalogues.compiled(good), {"got {got}"}) == []


def test_chinese_comes_from_the_compiled_catalogue_and_english_is_the_source():
    message = "Tensors and eager execution"  # e01's title in course.toml
    assert i18n.translate("messages", "en", message) == message
    assert i18n.translate("messages", "zh", message) == "张量与即时执行（Eager Execution）"
    before = i18n._chosen
    with i18n.using("zh"):
        assert i18n.language() == "zh"
        assert i18n._(message) == "张量与即时执行（Eager Execution）"
    assert i18n._chosen == before  # using() gives the language back
    with pytest.raises(ValueError, match="languages are en, zh"):
        i18n.set_language("fr")


def test_the_language_is_chosen_once_and_passed_to_workers(monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.delenv(i18n.LANGUAGE_VARIABLE, raising=False)
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert i18n.language() == "zh"  # the locale decides on first use
    assert i18n.choose(saved="en") == "en"  # a saved choice beats the locale
    assert i18n.choose(explicit="zh", saved="en") == "zh"  # --lang beats both
    assert i18n.language() == "zh" and i18n.os.environ[i18n.LANGUAGE_VARIABLE] == "zh"
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert i18n.language() == "zh"  # a worker inherits its parent's choice
