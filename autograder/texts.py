"""The interface text every report shares: status words, marks, check titles.

One place for each: the terminal report, `progress`/`watch`, the notebook's `check()`, the
HTML feedback and Gradescope's results all name a status, mark it and title a check the
same way, in the chosen language (autograder/i18n.py).

    status_label("not_attempted", "zh")                      # "未作答"
    check_title("test_standardize_matches_numpy", "standardize", "en")  # "matches numpy"
    labelled("提示", "……", "zh")                                # "提示：……" (full-width in Chinese)
    verdict("failed", "0/1", "zh")                              # "（未通过，0/1）" (" (failed, 0/1)")
"""
from __future__ import annotations

from autograder.i18n import N_, Texts, raw

STATUS = Texts(passed=N_("passed"), failed=N_("failed"), not_attempted=N_("not attempted"), error=N_("error"),
               timeout=N_("timeout"), unchecked=N_("not checked"))
UI = Texts(hint=N_("Hint"), hint_tier=N_("Hint {tier}"), more_hints=N_("More hints"),
           # punctuation is the language's own: "Hint: ..." but "提示：……"
           labelled=N_("{label}: {text}"), verdict=N_(" ({status}, {points})"))
# A symbol and a colour per status (rich markup and HTML both take the colour).
MARKS = {"passed": ("✔", "#1a7f37"), "failed": ("✘", "#cf222e"), "not_attempted": ("…", "#9a6700"),
         "error": ("!", "#cf222e"), "timeout": ("⏱", "#cf222e")}
UNCHECKED_MARK = ("·", "#6e7781")


def status_label(status: str | None, lang: str) -> str:
    return STATUS[lang]["unchecked" if status is None else status]


def rich_mark(status: str | None) -> str:
    symbol, colour = MARKS.get(status, UNCHECKED_MARK)
    return f"[{colour}]{symbol}[/]"


def english_title(check_name: str, exercise: str = "") -> str:
    """(`test_standardize_matches_numpy`, `standardize`) -> `matches numpy`: the check's name
    as a phrase (the msgid of its title; course.toml's extraction yields the same)."""
    name = check_name.removeprefix("test_")
    prefix = exercise.lower() + "_"
    return (name[len(prefix):] if exercise and name.lower().startswith(prefix) else name).replace("_", " ")


def labelled(label: str, text: str, lang: str) -> str:
    """`label: text` with the colon of `lang`."""
    return UI[lang]["labelled"].format(label=label, text=text)


def verdict(status: str | None, points: str, lang: str) -> str:
    """` (failed, 0/1)`: a check's status and points after its title, in `lang`'s
    brackets and comma (English puts a space before them, Chinese none)."""
    return UI[lang]["verdict"].format(status=status_label(status, lang), points=points)


def check_title(check_name: str, exercise: str, lang: str) -> str:
    """A check's title as students read it, in `lang`."""
    return raw(lang, english_title(check_name, exercise))
