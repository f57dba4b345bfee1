"""Named mistakes: what a failure was diagnosed as, by a stable key, in every language.

A check names the mistake behind a failure by raising `Incorrect(message,
mistake=Mistake.of(text))`; `expect_close(mistakes=...)` does so for the mistake whose
prediction the answer matches. The key is the text's English msgid (its placeholders
unfilled), so the same mistake has the same key for every student, whatever the inputs
and the language of the run; its text is kept filled in, in each language.

    Mistake.of(_("it standardizes each row (axis=1); ..."))  # key, text {"en": ..., "zh": ...}
    attribute(results, vague)   # after a run: an exercise's vague failures take its named mistake

One mistake usually fails several checks of an exercise, and only the check that can tell
names it; the others see a result that is just "off". `attribute` has those say the named
mistake instead of a guess of their own (the check-running path calls it, so `check`,
`watch`, the notebook and `grade` all show it, and the gradebook counts the mistake once).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from autograder.i18n import LANGUAGES, _, in_language, language, raw
from autograder.texts import check_title

MAX_TEXT = 2000   # a mistake's key or text, bounded like every message


@dataclass(frozen=True)
class Mistake:
    key: str                # the English msgid of its text
    text: dict[str, str]    # the text, filled in, per language

    @classmethod
    def of(cls, said: str) -> "Mistake":
        """The mistake a text made by `_()` names (any other text is its own key)."""
        key = getattr(said, "msgid", None) or str(said)
        return cls(key[:MAX_TEXT], {lang: in_language(said, lang)[:MAX_TEXT] for lang in LANGUAGES})


def template(key: str, lang: str) -> str:
    """A mistake's text for a whole class: its catalogue text in `lang`, each placeholder
    (which differs from student to student) shown as "…"."""
    return re.sub(r"\{[^{}]*\}", "…", raw(lang, key)).replace("{{", "{").replace("}}", "}")


def attribute(results: list, vague: set[str]) -> None:
    """Within each exercise, the failures whose check found the result only "off" (the ids
    in `vague`: no mistake of its own named) take the first mistake another check of the
    exercise named, in course order: their message says it, and `named_by` says which
    check named it (its hints are the ones to show). `results`: a run's CheckResults."""
    named: dict[tuple[str, str], object] = {}
    for result in results:
        if result.mistake and not result.named_by:
            named.setdefault((result.topic, result.exercise), result)
    for result in results:
        namer = named.get((result.topic, result.exercise))
        if namer is None or result.id not in vague or result.status != "failed" or result.mistake:
            continue
        text = namer.mistake_text.get(language(), namer.message)
        result.mistake, result.mistake_text, result.named_by = namer.mistake, dict(namer.mistake_text), namer.name
        result.message = _("{mistake} (the same mistake as in the check “{check}”)", mistake=text,
                           check=check_title(namer.name, namer.exercise, language()))


def hints_from(result) -> str:
    """The name of the check whose hints speak to `result` (a CheckResult or a gradebook
    row): the one that named its mistake, else its own."""
    get = result.get if isinstance(result, dict) else lambda name: getattr(result, name, "")
    return get("named_by") or get("name")


def from_report(reported: dict, check, exercise_checks: set[str]) -> dict:
    """The mistake fields of one check's result in a grading child's report, checked and
    bounded as everything from outside the grader is (`check`: the course map's; a
    `named_by` must be another check of its exercise, `exercise_checks`)."""
    from autograder.engine.boundary import clean_text

    key, text, named_by = reported.get("mistake"), reported.get("mistake_text"), reported.get("named_by")
    if reported.get("status") != "failed" or not isinstance(key, str) or not key:
        return {"mistake": "", "mistake_text": {}, "named_by": ""}
    text = text if isinstance(text, dict) else {}
    return {"mistake": clean_text(key, MAX_TEXT),
            "mistake_text": {lang: clean_text(text[lang], MAX_TEXT) for lang in LANGUAGES if isinstance(text.get(lang), str)},
            "named_by": named_by if named_by in exercise_checks and named_by != check.name else ""}
