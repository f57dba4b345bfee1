"""`progress`, `hint EXERCISE` and `reset EXERCISE`: the self-study commands without the
full-screen loop, and the pieces of text `watch` shares with them.

    python -m autograder progress [e01 ...] [--recheck]  # table of every exercise; exit 0 when all pass
    python -m autograder hint standardize         # the next hint tier for that exercise (re-checked first)
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
from autograder.engine.errortext import is_import_failure
from autograder.i18n import N_, Texts
from autograder.selfstudy.lookup import exercise_label, find_exercise, find_target, find_topics, folder_problem
from autograder.selfstudy.reset import ResetResult, reset_exercise
from autograder.selfstudy.state import ExerciseResult, Progress, checkable, checks_of, fingerprint
from autograder.report import hanging
from autograder.texts import check_title, labelled, rich_mark, status_label

UI = Texts(topic=N_("Topic"), exercise=N_("Exercise"), state=N_("State"), points=N_("Points"),
          no_checks=N_("no checks yet"), summary=N_("{passed}/{total} exercises pass, {score}/{max} points"),
          all_pass=N_("Every exercise passes."), checking=N_("Checking {what}…"),
          hint_title=N_("Hint {shown}/{total} for the check “{check}”"),
          no_more_hints=N_("That was the last hint for this check."),
          passes=N_("All checks of {exercise} pass."),
          reset=N_("Reset {exercise} in {path} to its blank; your version is saved as {backup}."),
          reset_nobackup=N_("Reset {exercise}: {path} was missing and now holds the blank."),
          reset_whole=N_("(The whole file was reset: {exercise} could not be found in it.)"),
          reset_unchanged=N_("{exercise} is still its blank: nothing to reset, and no backup needed."),
          fix_import=N_("{file} does not import, so no check reached {exercise}: fix the error above first "
                        "(hints are about the exercise)."),
          next=N_("Next: {exercise} in {path}"))


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


def import_failure(result: ExerciseResult | None) -> str | None:
    """The message of `result` when its file could not be imported at all: then no check
    reached the exercise, and the exercise's hints would answer a question nobody asked."""
    unpassed = result.first_unpassed if result is not None else None
    if unpassed is not None and is_import_failure(unpassed["message"]):
        return unpassed["message"]
    return None


def hint_view(course: Course, progress: Progress, exercise: Exercise, lang: str, advance: bool) -> HintView | None:
    """The hints shown for `exercise` (one tier more when `advance`); None without checks
    or while its file does not import."""
    if not exercise.checks:
        return None
    topic = course.topic(exercise.topic)
    result = progress.result(exercise, topic, any_age=True)
    if import_failure(result) is not None:
        return None
    check = hint_target(course, exercise, result)
    hints = check.hints[lang]
    shown = progress.show_next_hint(check.id, len(hints)) if advance else progress.hint_tiers(check.id)
    return HintView(check, hints[:shown], len(hints))


def print_hints(console: Console, view: HintView, lang: str) -> None:
    ui = UI[lang]
    if not view.tiers:
        return
    title = ui["hint_title"].format(shown=len(view.tiers), total=view.total,
                                    check=check_title(view.check.name, view.check.exercise, lang))
    console.print(escape(title), style="bold cyan")
    for number, tier in enumerate(view.tiers, 1):
        console.print(hanging(f"  {number}. ", tier))
    if len(view.tiers) == view.total:
        console.print(f"  [dim]{ui['no_more_hints']}[/]")


# -- checking -----------------------------------------------------------------------------
def stale_exercises(course: Course, progress: Progress, topics: list[Topic] | None = None) -> list[Exercise]:
    """Every exercise with checks of the checkable `topics` (default: all) that has a stale
    or missing saved result, with the other exercises of its topic (one run per file)."""
    stale = []
    for topic in topics if topics is not None else course.topics:
        exercises = [exercise for exercise in topic.exercises if checks_of(exercise)]
        if checkable(topic) and any(progress.result(exercise, topic) is None for exercise in exercises):
            stale += exercises
    return stale


def check_exercises(folder: Path, course: Course, progress: Progress, exercises: list[Exercise], console: Console,
                    lang: str, seed: int | None = None) -> None:
    """Run the student checks of `exercises` in one cold run and save the results."""
    if not exercises:
        return
    from autograder.run import run_checks

    topics = [topic for topic in course.topics if any(exercise.topic == topic.id for exercise in exercises)]
    what = [topic.id if all(e in exercises for e in topic.exercises if checks_of(e))
            else ", ".join(exercise_label(e) for e in exercises if e.topic == topic.id) for topic in topics]
    console.print(UI[lang]["checking"].format(what=", ".join(what)), style="dim")
    only = [check.name for exercise in exercises for check in checks_of(exercise)]
    stamps = {topic.id: fingerprint(folder, topic) for topic in topics}
    run = run_checks(folder, topics, only=only, seed=seed)
    progress.record(run, course, stamps)
    progress.save()


def warn_about_folder(folder: Path, topics: list[Topic], lang: str) -> bool:
    """Print what is wrong with the submission folder, if anything; False when it is unusable."""
    problem = folder_problem(folder, topics, lang)
    if problem is None:
        return True
    message, fatal = problem
    print(message, file=sys.stderr)
    return not fatal


# -- progress ---------------------------------------------------------------------------
def progress_table(course: Course, progress: Progress, lang: str, any_age: bool = False,
                   topics: list[Topic] | None = None) -> tuple[Table, dict]:
    """The table of every exercise of `topics` (default: all), and the counts under it;
    with `any_age`, results checked before the file's last change count too, marked `*`."""
    ui = UI[lang]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header in (ui["topic"], ui["exercise"], ui["state"], ui["points"]):
        table.add_column(header)
    counts = {"passed": 0, "total": 0, "score": 0, "max": 0, "first": None}
    for topic in topics if topics is not None else course.topics:
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
            table.add_row(label, escape(exercise.name), f"{rich_mark(status)} {status_label(status, lang)}{stale}", points)
    return table, counts


def cmd_progress(args) -> int:
    lang = args.lang
    console = Console(highlight=False)
    folder = args.submission
    course = load_course()
    try:
        topics = find_topics(course, args.topics, lang)
    except LookupError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    if not warn_about_folder(folder, topics, lang):
        return 2
    progress = Progress.load(folder)
    stale = [exercise for topic in topics if checkable(topic) for exercise in topic.exercises
             if checks_of(exercise)] if args.recheck else stale_exercises(course, progress, topics)
    check_exercises(folder, course, progress, stale, console, lang, seed=args.seed)
    table, counts = progress_table(course, progress, lang, topics=topics)
    console.print(table)
    console.print(UI[lang]["summary"].format(**counts), style="bold")
    if counts["first"] is None and counts["total"]:
        console.print(UI[lang]["all_pass"], style="green")
        return 0
    if counts["first"] is not None:
        topic, exercise = counts["first"]
        console.print(UI[lang]["next"].format(exercise=exercise.name, path=folder / topic.file))
    return 1


# -- hint -------------------------------------------------------------------------------
def _first_unpassed_of(topic: Topic, progress: Progress) -> Exercise:
    exercises = [exercise for exercise in topic.exercises if checks_of(exercise)] or topic.exercises
    for exercise in exercises:
        result = progress.result(exercise, topic, any_age=True)
        if result is None or result.status != "passed":
            return exercise
    return exercises[0]


def cmd_hint(args) -> int:
    """The next hint for an exercise (or a topic's first exercise that does not pass),
    after checking it again if its file changed since its saved result."""
    lang = args.lang
    console = Console(highlight=False)
    course = load_course()
    try:
        topic, exercise = find_target(course, args.exercise, lang)
    except LookupError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    folder = args.submission
    progress = Progress.load(folder)
    if folder.is_dir():  # never answer from results of an older file
        stale = stale_exercises(course, progress, [topic])
        check_exercises(folder, course, progress, stale if exercise is None else
                        [e for e in stale if e is exercise], console, lang)
    if exercise is None:
        exercise = _first_unpassed_of(topic, progress)
    console.print(labelled(f"[bold]{exercise_label(exercise)}[/]", escape(exercise.summary[lang]), lang))
    result = progress.result(exercise, topic, any_age=True)
    broken = import_failure(result)
    if broken is not None:
        console.print(escape(broken), style="red")
        console.print(UI[lang]["fix_import"].format(file=topic.file, exercise=exercise.name), style="yellow")
        return 0
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
    if folder.is_dir():
        progress.save()
    return 0


# -- reset ------------------------------------------------------------------------------
def describe_reset(result: ResetResult, exercise: Exercise, lang: str) -> str:
    ui = UI[lang]
    if not result.changed:
        return ui["reset_unchanged"].format(exercise=exercise.name)
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
    try:
        topic, exercise = find_exercise(course, args.exercise, lang)
    except LookupError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    if not warn_about_folder(args.submission, [topic], lang):
        return 2
    try:
        result = reset_exercise(args.submission, topic, exercise.name)
    except FileNotFoundError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    progress = Progress.load(args.submission)
    for check in exercise.checks:  # a fresh start: the hints start again too
        progress.hints.pop(check.id, None)
    progress.save()
    Console(highlight=False).print(escape(describe_reset(result, exercise, lang)))
    return 0
