"""Shows a run's results: a rich terminal report and the JSON file of `check --json`."""
from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder.course import Course
from autograder.engine.errortext import is_import_failure
from autograder.run import CheckResult, RunResult

UI = {
    "en": {"passed": "passed", "failed": "failed", "not_attempted": "not attempted", "error": "error",
           "timeout": "timeout", "hint": "Hint", "summary": "{passed}/{total} checks passed, {score}/{max} points",
           "next": "Next: {topic} · {exercise} in {path}", "done": "Every selected check passes.",
           "seed": "seed {seed} (pass --seed {seed} to reproduce)", "no_checks": "No checks to run for {topics}."},
    "zh": {"passed": "通过", "failed": "未通过", "not_attempted": "未作答", "error": "出错", "timeout": "超时",
           "hint": "提示", "summary": "通过 {passed}/{total} 项检查，得分 {score}/{max}",
           "next": "下一步：{topic} · {exercise}（{path}）", "done": "所选检查全部通过。",
           "seed": "随机种子 {seed}（加上 --seed {seed} 可复现）", "no_checks": "{topics} 没有可运行的检查。"},
}
MARKS = {"passed": "[green]✔[/]", "failed": "[red]✘[/]", "not_attempted": "[yellow]…[/]",
         "error": "[red]![/]", "timeout": "[red]⏱[/]"}


def readable(check_name: str, exercise: str) -> str:
    """(`test_standardize_matches_numpy`, `standardize`) -> `matches numpy`."""
    name = check_name.removeprefix("test_")
    prefix = exercise.lower() + "_"
    return (name[len(prefix):] if name.lower().startswith(prefix) else name).replace("_", " ")


def next_exercise(run: RunResult) -> CheckResult | None:
    return next((result for result in run.checks if result.status != "passed"), None)


def print_report(run: RunResult, course: Course, lang: str = "en", console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    ui = UI[lang]
    topic_shown = None
    for result in run.checks:
        if result.topic != topic_shown:
            topic = course.topic(result.topic)
            console.print(f"\n[bold]{topic.id} · {escape(topic.title[lang])}[/]")
            topic_shown = result.topic
        points = f"{result.points}/{result.max_points}"
        console.print(f"  {MARKS[result.status]} {escape(result.exercise)}: {escape(readable(result.name, result.exercise))}"
                      f" [dim]({ui[result.status]}, {points})[/]")
        if result.status != "passed":
            console.print(f"      {escape(result.message)}", style="red" if result.status != "not_attempted" else "yellow")
            hints = course.check(result.topic, result.name).hints[lang]
            # Hints speak to the exercise; a file that does not import never reached it.
            if hints and result.status != "not_attempted" and not is_import_failure(result.message):
                console.print(f"      [cyan]{ui['hint']}:[/] {escape(hints[0])}")
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
