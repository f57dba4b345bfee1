"""Shows a run's results: a rich terminal report and the JSON file of `check --json`."""
from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from autograder.course import Course
from autograder.engine.errortext import is_import_failure
from autograder.i18n import N_, Texts
from autograder.mistakes import hints_from
from autograder.linebreak import wrap
from autograder.run import CheckResult, RunResult
from autograder.texts import check_title, labelled, rich_mark, verdict
from autograder.texts import UI as SHARED

UI = Texts(summary=N_("{passed}/{total} checks passed, {score}/{max} points"),
           next=N_("Next: {topic} · {exercise} in {path}"), done=N_("Every selected check passes."),
           seed=N_("seed {seed} (pass --seed {seed} to reproduce)"), no_checks=N_("No checks to run for {topics}."))


class Hanging:
    """`lead` (rich markup) then `body` (plain text) in the `style`, with a hanging indent:
    every line of the body after the first starts under its first, in any terminal width.
    Lines break as linebreak.py says (between Chinese characters, at English spaces)."""

    def __init__(self, lead: str, body: str, style: str | None = None):
        self.lead, self.body, self.style = Text.from_markup(lead), body, style

    def __rich_console__(self, console, options):
        indent = self.lead.cell_len
        room = max(options.max_width - indent, 20)
        lines = [line for paragraph in self.body.split("\n") for line in (wrap(paragraph, room) or [""])]
        for number, line in enumerate(lines):
            lead = self.lead if number == 0 else Text(" " * indent)
            yield Text.assemble(lead, Text(line, style=self.style or ""), end="\n")


def hanging(lead: str, body: str, style: str | None = None) -> Hanging:
    return Hanging(lead, body, style)


def next_exercise(run: RunResult) -> CheckResult | None:
    return next((result for result in run.checks if result.status != "passed"), None)


def print_report(run: RunResult, course: Course, lang: str = "en", console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    ui = UI[lang]
    topic_shown = None
    for topic_id, note in run.notes.items():  # a notebook's cells that raised at import
        console.print(f"{topic_id}: {escape(note)}", style="yellow")
    for result in run.checks:
        if result.topic != topic_shown:
            topic = course.topic(result.topic)
            console.print(f"\n[bold]{topic.id} · {escape(topic.title[lang])}[/]")
            topic_shown = result.topic
        points = f"{result.points}/{result.max_points}"
        title = check_title(result.name, result.exercise, lang)
        console.print(f"  {rich_mark(result.status)} {labelled(escape(result.exercise), escape(title), lang)}"
                      f"[dim]{verdict(result.status, points, lang)}[/]")
        if result.status != "passed":
            console.print(hanging("      ", result.message, "red" if result.status != "not_attempted" else "yellow"))
            hints = course.check(result.topic, hints_from(result)).hints[lang]
            # Hints speak to the exercise; a file that does not import never reached it.
            if hints and result.status != "not_attempted" and not is_import_failure(result.message):
                console.print(hanging("      " + labelled(f"[cyan]{SHARED[lang]['hint']}[/]", "", lang), hints[0]))
    passed = sum(result.status == "passed" for result in run.checks)
    console.print()
    console.print(ui["summary"].format(passed=passed, total=len(run.checks), score=run.score, max=run.max_score),
                  style="bold")
    upcoming = next_exercise(run)
    if upcoming is None:
        console.print(ui["done"], style="green")
    else:
        topic = course.topic(upcoming.topic)
        path = Path(run.submission) / topic.file
        console.print(ui["next"].format(topic=topic.id, exercise=upcoming.exercise, path=path))
    if run.seed is not None:
        console.print(ui["seed"].format(seed=run.seed), style="dim")


def write_json(run: RunResult, path: Path) -> None:
    path.write_text(json.dumps(run.as_json(), indent=2, ensure_ascii=False), encoding="utf-8")
