"""`progress`, `hint EXERCISE` and `reset EXERCISE`: the self-study commands without the
full-screen loop, and the pieces of text `watch` shares with them.

    python -m autograder progress [--recheck]     # table of every exercise; exit 0 when all pass
    python -m autograder hint standardize         # the next hint tier for that exercise
    python -m autograder reset e01.standardize    # back to the blank, with a backup
"""
from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder.course import Check, Course, Exercise, Topic, load_course
from autograder.report import MARKS, UI as REPORT_UI, readable
from autograder.selfstudy.reset import ResetResult, reset_exercise
from autograder.selfstudy.state import ExerciseResult, Progress, checkable, checks_of, fingerprint

UI = {
    "en": {"topic": "Topic", "exercise": "Exercise", "state": "State", "points": "Points",
           "unchecked": "not checked", "no_checks": "no checks yet",
           "summary": "{passed}/{total} exercises pass, {score}/{max} points",
           "all_pass": "Every exercise passes.", "checking": "Checking {what}…",
           "hint_title": "Hint {shown}/{total} for “{check}”",
           "no_more_hints": "That was the last hint for this check.",
           "passes": "All checks of {exercise} pass.",
           "reset": "Reset {exercise} in {path} to its blank; your version is saved as {backup}.",
           "reset_nobackup": "Reset {exercise}: {path} was missing and now holds the blank.",
           "reset_whole": "(The whole file was reset: {exercise} could not be found in it.)",
           "unknown": "No exercise {name!r}. The exercises are: {known}",
           "ambiguous": "{name!r} names several exercises: {matches}; add the topic, e.g. {example}",
           "no_submission": "submission folder {folder} does not exist",
           "next": "Next: {exercise} in {path}"},
    "zh": {"topic": "主题", "exercise": "练习", "state": "状态", "points": "得分",
           "unchecked": "未检查", "no_checks": "尚无检查",
           "summary": "通过 {passed}/{total} 个练习，得分 {score}/{max}",
           "all_pass": "所有练习都已通过。", "checking": "正在检查 {what}……",
           "hint_title": "“{check}”的提示 {shown}/{total}", "no_more_hints": "这是该检查的最后一条提示。",
           "passes": "{exercise} 的所有检查都已通过。",
           "reset": "已将 {path} 中的 {exercise} 重置为空白版本；你的版本已保存为 {backup}。",
           "reset_nobackup": "已重置 {exercise}：{path} 原本不存在，现在是空白版本。",
           "reset_whole": "（整个文件都被重置了：文件中找不到 {exercise}。）",
           "unknown": "没有名为 {name!r} 的练习。所有练习：{known}",
           "ambiguous": "{name!r} 对应多个练习：{matches}；请加上主题，例如 {example}",
           "no_submission": "提交目录 {folder} 不存在",
           "next": "下一步：{path} 中的 {exercise}"},
}


def status_text(status: str | None, lang: str) -> str:
    if status is None:
        return UI[lang]["unchecked"]
    return REPORT_UI[lang][status]


def mark(status: str | None) -> str:
    return MARKS.get(status, "[dim]·[/]")


def find_exercise(course: Course, name: str, lang: str = "en") -> tuple[Topic, Exercise]:
    """`standardize`, `e01.standardize`, `e01::standardize`, `tensors/standardize`, ..."""
    topic_key, exercise_name = None, name
    for separator in ("::", ".", "/", ":"):
        if separator in name:
            topic_key, exercise_name = name.split(separator, 1)
            break
    candidates = [(topic, exercise) for topic in course.topics for exercise in topic.exercises
                  if topic_key is None or topic_key in (topic.id, topic.slug, topic.module)]
    for same in (lambda a, b: a == b, lambda a, b: a.lower() == b.lower()):
        matches = [(t, e) for t, e in candidates if same(e.name, exercise_name)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(f"{t.id}.{e.name}" for t, e in matches)
            raise LookupError(UI[lang]["ambiguous"].format(name=name, matches=listed,
                                                           example=f"{matches[0][0].id}.{exercise_name}"))
    known = ", ".join(f"{t.id}.{e.name}" for t in course.topics for e in t.exercises)
    raise LookupError(UI[lang]["unknown"].format(name=name, known=known))


# -- hints ------------------------------------------------------------------------------
@dataclass
class HintView:
    check: Check
    tiers: list[str]     # the tiers shown so far
    total: int


def hint_target(course: Course, exercise: Exercise, result: ExerciseResult | None) -> Check:
    """The check a hint is about: the first one that does not pass (the first check when
    nothing is known yet)."""
    checks = checks_of(exercise) or exercise.checks
    unpassed = result.first_unpassed if result is not None else None
    if unpassed is not None:
        with contextlib.suppress(KeyError):  # a result from before the course map changed
            return course.check(exercise.topic, unpassed["name"])
    return checks[0]


def hint_view(course: Course, progress: Progress, exercise: Exercise, lang: str, advance: bool) -> HintView | None:
    """The hints shown for `exercise` (one tier more when `advance`); None without checks."""
    if not exercise.checks:
        return None
    topic = course.topic(exercise.topic)
    check = hint_target(course, exercise, progress.result(exercise, topic, any_age=True))
    hints = check.hints[lang]
    shown = progress.show_next_hint(check.id, len(hints)) if advance else progress.hint_tiers(check.id)
    return HintView(check, hints[:shown], len(hints))


def print_hints(console: Console, view: HintView, lang: str) -> None:
    ui = UI[lang]
    if not view.tiers:
        return
    title = ui["hint_title"].format(shown=len(view.tiers), total=view.total,
                                    check=readable(view.check.name, view.check.exercise))
    console.print(escape(title), style="bold cyan")
    for number, tier in enumerate(view.tiers, 1):
        console.print(f"  {number}. {escape(tier)}")
    if len(view.tiers) == view.total:
        console.print(f"  [dim]{ui['no_more_hints']}[/]")


# -- progress ---------------------------------------------------------------------------
def stale_topics(course: Course, progress: Progress) -> list[Topic]:
    """Checkable topics with an exercise whose saved result is missing or out of date."""
    return [topic for topic in course.topics if checkable(topic)
            and any(progress.result(exercise, topic) is None for exercise in topic.exercises if checks_of(exercise))]


def check_topics(folder: Path, course: Course, progress: Progress, topics: list[Topic], console: Console,
                 lang: str, seed: int | None = None) -> None:
    """Run every student check of `topics` in one cold run and save the results."""
    if not topics:
        return
    from autograder.run import run_checks

    console.print(UI[lang]["checking"].format(what=", ".join(topic.id for topic in topics)), style="dim")
    only = [check.name for topic in topics for exercise in topic.exercises for check in checks_of(exercise)]
    stamps = {topic.id: fingerprint(folder, topic) for topic in topics}
    run = run_checks(folder, topics, only=only, seed=seed)
    progress.record(run, course, stamps)
    progress.save()


def progress_table(course: Course, progress: Progress, lang: str, any_age: bool = False) -> tuple[Table, dict]:
    """The table of every exercise, and the counts under it; with `any_age`, results
    checked before the file's last change count too, marked `*`."""
    ui = UI[lang]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header in (ui["topic"], ui["exercise"], ui["state"], ui["points"]):
        table.add_column(header)
    counts = {"passed": 0, "total": 0, "score": 0, "max": 0, "first": None}
    for topic in course.topics:
        title = f"{topic.id} · {escape(topic.title[lang])}"
        for index, exercise in enumerate(topic.exercises):
            label = title if index == 0 else ""
            if not checkable(topic) or not checks_of(exercise):
                table.add_row(label, escape(exercise.name), f"[dim]{ui['no_checks']}[/]", "")
                continue
            result = progress.result(exercise, topic, any_age=any_age)
            status = result.status if result else None
            stale = " *" if any_age and result is not None and progress.result(exercise, topic) is None else ""
            counts["total"] += 1
            counts["max"] += sum(check.points for check in checks_of(exercise))
            if result is not None:
                counts["score"] += result.points
            if status == "passed":
                counts["passed"] += 1
            elif counts["first"] is None:
                counts["first"] = (topic, exercise)
            points = f"{result.points}/{result.max_points}" if result else "–"
            table.add_row(label, escape(exercise.name), f"{mark(status)} {status_text(status, lang)}{stale}", points)
    return table, counts


def cmd_progress(args) -> int:
    lang = args.lang
    console = Console(highlight=False)
    folder = args.submission
    if not folder.is_dir():
        print(UI[lang]["no_submission"].format(folder=folder), file=sys.stderr)
        return 2
    course = load_course()
    progress = Progress.load(folder)
    stale = [t for t in course.topics if checkable(t)] if args.recheck else stale_topics(course, progress)
    check_topics(folder, course, progress, stale, console, lang, seed=args.seed)
    table, counts = progress_table(course, progress, lang)
    console.print(table)
    console.print(UI[lang]["summary"].format(**counts), style="bold")
    if counts["first"] is None and counts["total"]:
        console.print(UI[lang]["all_pass"], style="green")
        return 0
    if counts["first"] is not None:
        topic, exercise = counts["first"]
        console.print(UI[lang]["next"].format(exercise=exercise.name, path=folder / topic.file))
    return 1


def cmd_hint(args) -> int:
    lang = args.lang
    console = Console(highlight=False)
    course = load_course()
    try:
        topic, exercise = find_exercise(course, args.exercise, lang)
    except LookupError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    progress = Progress.load(args.submission)
    console.print(f"[bold]{topic.id}.{escape(exercise.name)}[/]: {escape(exercise.summary[lang])}")
    result = progress.result(exercise, topic, any_age=True)
    if result is not None and result.status == "passed" and not args.all:
        console.print(UI[lang]["passes"].format(exercise=exercise.name), style="green")
        return 0
    view = hint_view(course, progress, exercise, lang, advance=not args.all)
    if view is None:
        console.print(UI[lang]["no_checks"], style="dim")
        return 0
    if args.all:
        view = HintView(view.check, view.check.hints[lang], len(view.check.hints[lang]))
    print_hints(console, view, lang)
    if args.submission.is_dir():
        progress.save()
    return 0


def describe_reset(result: ResetResult, exercise: Exercise, lang: str) -> str:
    ui = UI[lang]
    if result.backup is None:
        text = ui["reset_nobackup"].format(exercise=exercise.name, path=result.path)
    else:
        text = ui["reset"].format(exercise=exercise.name, path=result.path, backup=result.backup)
    if result.whole_file:
        text += " " + ui["reset_whole"].format(exercise=exercise.name)
    return text


def cmd_reset(args) -> int:
    lang = args.lang
    course = load_course()
    if not args.submission.is_dir():
        print(UI[lang]["no_submission"].format(folder=args.submission), file=sys.stderr)
        return 2
    try:
        topic, exercise = find_exercise(course, args.exercise, lang)
        result = reset_exercise(args.submission, topic, exercise.name)
    except (LookupError, FileNotFoundError) as error:
        print(error.args[0], file=sys.stderr)
        return 2
    progress = Progress.load(args.submission)
    for check in exercise.checks:  # a fresh start: the hints start again too
        progress.hints.pop(check.id, None)
    progress.save()
    Console(highlight=False).print(escape(describe_reset(result, exercise, lang)))
    return 0
