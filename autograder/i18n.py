"""Every text a person reads, in English or Simplified Chinese: one module over gettext.

English is the source: each message is written in English in the code (the msgid), and
the Chinese lives in gettext catalogues managed with Babel (`make catalogues` extracts,
updates and compiles them; see autograder/locale/README.md):

    autograder/locale/zh_CN/LC_MESSAGES/messages.po   the course's own text (this module)
    autograder/locale/zh_CN/LC_MESSAGES/<domain>.po   other catalogues (lessons, ...)

The API:

    from autograder.i18n import _, N_
    _("got {got}, expected {expected}", got=3, expected=4)  # translated, then formatted
    _("Every selected check passes.")                       # always formatted: write {{ }} for braces
    HINT = N_("Reduce over axis 0")   # marks a module-level text for extraction only;
    _(HINT)                           # ... it is translated where it is shown
    set_language("zh")                # once per process: --lang, check(lang=), a saved choice
    language()                        # "en" or "zh"
    with using("zh"): ...             # for a while (the notebook's check(lang=...))
    translate("messages", "zh", text) # one text in a given domain and language
    in_language(_("..."), "zh")        # a text _() made, said again in another language
    UI = Texts(summary=N_("{passed}/{total} checks passed"))  # a module's interface text:
    UI["zh"]["summary"].format(passed=1, total=2)             # ... looked up per language

Placeholders are named (`{name}`), never positional, so that a translation can change
the word order. The language is chosen once per process: `set_language` (which also
passes it to worker processes through AUTOGRADER_LANG), else AUTOGRADER_LANG, else the
locale (LC_ALL, LC_MESSAGES, LANG, LANGUAGE). Callers with a saved choice (the course
progress) pass it to `choose`. This module is read by workers too: it imports only the
standard library.
"""
from __future__ import annotations

import contextlib
import gettext
import locale
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "zh")
LANGUAGE_VARIABLE = "AUTOGRADER_LANG"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
# The catalogue folder of each language (English is the source and needs none).
CATALOGUE_LOCALES = {"zh": "zh_CN"}

_chosen: str | None = None


def locale_language() -> str:
    """`zh` when the user's locale is Chinese, else `en`."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    code = locale.getlocale()[0] or ""
    return "zh" if code.lower().startswith("zh") else "en"


def checked_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: the languages are {', '.join(LANGUAGES)}")
    return lang


def language() -> str:
    """The language of this process: the chosen one, else AUTOGRADER_LANG, else the locale."""
    if _chosen is not None:
        return _chosen
    inherited = os.environ.get(LANGUAGE_VARIABLE)
    return inherited if inherited in LANGUAGES else locale_language()


def set_language(lang: str) -> None:
    """Speak `lang` from now on, here and in the worker processes started from here."""
    global _chosen
    _chosen = checked_language(lang)
    os.environ[LANGUAGE_VARIABLE] = lang


def choose(explicit: str | None = None, saved: str | None = None) -> str:
    """Set and return the language: `explicit` (--lang), else `saved` (the learner's saved
    choice), else what `language()` finds (AUTOGRADER_LANG, the locale)."""
    lang = explicit or (saved if saved in LANGUAGES else None) or language()
    set_language(lang)
    return lang


@contextlib.contextmanager
def using(lang: str | None):
    """Speak `lang` inside the block (None: keep the current language)."""
    global _chosen
    before, inherited = _chosen, os.environ.get(LANGUAGE_VARIABLE)
    if lang is not None:
        set_language(lang)
    try:
        yield language()
    finally:
        _chosen = before
        if inherited is None:
            os.environ.pop(LANGUAGE_VARIABLE, None)
        else:
            os.environ[LANGUAGE_VARIABLE] = inherited


@lru_cache(maxsize=None)
def catalogue(domain: str, lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of `domain` in `lang` (English: the source text itself)."""
    code = CATALOGUE_LOCALES.get(checked_language(lang))
    if code is None:
        return gettext.NullTranslations()
    return gettext.translation(domain, LOCALE_DIR, languages=[code], fallback=True)


def raw(lang: str, message: str, domain: str = DOMAIN) -> str:
    """`message` in `lang`, its placeholders left for the caller to fill."""
    return catalogue(domain, lang).gettext(message)


def translate(domain: str, lang: str, message: str, /, **fields) -> str:
    """`message` of `domain` in `lang`, with its `{placeholders}` filled from `fields`."""
    return raw(lang, message, domain).format(**fields)


class Said(str):
    """A text `_()` returned: the text itself, remembering its English source and fields, so
    that it can be said again in another language (`in_language`) and named by a stable key
    (its msgid; autograder/mistakes.py)."""
    __slots__ = ("msgid", "fields")

    def __new__(cls, text: str, msgid: str, fields: dict):
        said = super().__new__(cls, text)
        said.msgid, said.fields = msgid, fields
        return said

    def __reduce__(self):  # across a process boundary it is plain text
        return str, (str(self),)


def in_language(text: str, lang: str) -> str:
    """`text` in `lang` when `_()` made it (its fields too); else `text` as it is."""
    if not isinstance(text, Said):
        return str(text)
    fields = {name: in_language(value, lang) if isinstance(value, str) else value
              for name, value in text.fields.items()}
    return translate(DOMAIN, lang, text.msgid, **fields)


def _(message: str, /, **fields) -> str:
    """`message` in the current language, its `{placeholders}` filled from `fields`."""
    return Said(translate(DOMAIN, language(), message, **fields), message, fields)


def N_(message: str, /) -> str:
    """Marks `message` for the catalogue without translating it (translate it with `_`
    where it is shown)."""
    return message


class Texts(Mapping):
    """A module's interface text by key, written in English with `N_` and looked up per
    language: `UI[lang][key]` is the translation, placeholders still to fill."""

    def __init__(self, **english: str):
        self.english = english

    def __getitem__(self, lang: str) -> dict[str, str]:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return {key: raw(lang, text) for key, text in self.english.items()}

    def __iter__(self):
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)
