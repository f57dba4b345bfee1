"""`python -m autograder COMMAND ...`: the course's command line.

    check [TOPIC ...] [--submission DIR] [--json FILE] [--lang en|zh]
    generate [--check]            exercises/ and notebooks/ from solutions/
    nbgrader-course DIR [--lang zh]   an nbgrader course (config, source/<topic>/<topic>.ipynb)
    grade SUBMISSIONS --out OUT [--jobs N] [--topics ...] [--heldout DIR]   grade a class (grading/batch.py)
    release DIR [--github-classroom] [--classroom50] [--lang zh]   the student repository, without solutions or hidden checks
    gradescope OUT.zip [--topics ...] [--lang zh]   a Gradescope autograder package (platforms/)
    watch [--manual]              self-study loop: re-check on save; keys h n l r q (selfstudy/)
    progress | hint EXERCISE | reset EXERCISE    the same without the full-screen loop
    language zh|en                lesson text of exercises/ and notebooks/; the default language

Each command lives in a small function here or in its own module; add new ones to
`COMMANDS`.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.engine import sandbox, storage, uids
from autograder.i18n import LANGUAGES, _, locale_language, set_language
from autograder.selfstudy.lookup import find_topics

DEFAULT_SUBMISSION = COURSE_ROOT / "exercises"


def add_submission_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--submission", type=Path, default=DEFAULT_SUBMISSION,
                        help=_("folder with your exercise files (default: exercises/)"))
    parser.add_argument("--lang", choices=("en", "zh"),
                        help=_("language of messages and hints (default: your choice made with `language`, "
                             "else the locale)"))


def cmd_check(args) -> int:
    from autograder.grading.submissions import as_exercise_folder
    from autograder.selfstudy.commands import warn_about_folder
    course = load_course()
    try:
        topics = find_topics(course, args.topics, args.lang)
    except LookupError as unknown:
        print(unknown.args[0], file=sys.stderr)
        return 2
    with as_exercise_folder(args.submission, course) as (folder, notes):
        for topic in topics:  # notebooks or renamed copies: which file each topic was checked from
            if topic.id in notes:
                print(f"{topic.id}: {notes[topic.id]}", file=sys.stderr)
        if folder == args.submission and not warn_about_folder(args.submission, topics, args.lang):
            return 2
        return _check_folder(args, folder, topics, course)


def _check_folder(args, folder: Path, topics, course) -> int:
    from autograder.lanes import default_lanes, run_in_lanes

    policy = sandbox.Policy.from_env()  # read once, here: the process boundary `grade` and tests cross
    run = run_in_lanes(folder, topics, lanes=args.jobs or default_lanes(topics), only=args.only,
                       seed=args.seed, timeout_scale=args.timeout_scale, warm=args.workers == "warm", policy=policy)
    run.submission = str(args.submission)
    from autograder.report import UI, print_report, write_json  # after the run: TensorFlow's import starts sooner

    if not run.checks:
        print(UI[args.lang]["no_checks"].format(topics=", ".join(t.id for t in topics)), file=sys.stderr)
        return 1
    print_report(run, course, args.lang)
    if args.json:
        write_json(run, args.json)
    return 0 if run.all_passed else 1


def cmd_generate(args) -> int:
    from autograder.classroom import notebooks
    from autograder.generate import drifted, generate

    if args.check:
        stale = [f"exercises/{name}" for name in drifted()] + [f"notebooks/{name}" for name in notebooks.drifted()]
        for name in stale:
            print(_("{name} differs from what solutions/ generates", name=name), file=sys.stderr)
        return 1 if stale else 0
    for path in generate() + notebooks.generate():
        print(_("wrote {path}", path=path.relative_to(COURSE_ROOT)))
    return 0


def cmd_nbgrader_course(args) -> int:
    from autograder.classroom.nbgrader_course import main as build_course

    return build_course(args.directory, args.lang)


def _platform_writers(roster_file: Path | None) -> tuple | None:
    """The platforms' outputs of `grade` and `report` (None, said why, when the roster is unusable)."""
    from autograder import platforms
    from autograder.platforms.canvas import RosterError, read_roster

    try:
        return platforms.writers(read_roster(roster_file) if roster_file else None)
    except RosterError as error:
        print(error, file=sys.stderr)
        return None


def cmd_grade(args) -> int:
    from autograder.grading.batch import Options, grade

    if not args.submissions.is_dir():
        print(_("submissions folder {folder} does not exist", folder=args.submissions), file=sys.stderr)
        return 2
    try:
        topics = [topic.id for topic in find_topics(load_course(), args.topics, args.lang)] if args.topics else None
    except LookupError as unknown:
        print(unknown.args[0], file=sys.stderr)
        return 2
    platforms = _platform_writers(args.roster)
    if platforms is None:
        return 2
    return grade(Options(submissions=args.submissions, out=args.out, jobs=min(max(1, args.jobs), 64), topics=topics,
                         students=args.student, db=args.db, timeout_scale=args.timeout_scale,
                         submission_timeout=args.submission_timeout, sandbox=not args.no_sandbox,
                         bwrap=not args.no_bwrap, weak_sandbox=args.weak_sandbox or args.no_bwrap,
                         memory_gb=args.memory_gb, cpu_seconds=args.cpu_seconds, lang=args.lang, platforms=platforms,
                         cluster=args.cluster, warm=args.workers == "warm", uids=args.uids, disk_mb=args.disk_mb,
                         heldout=args.heldout))


def cmd_report(args) -> int:
    """Rewrite a graded class's outputs from its gradebook, without grading again."""
    from autograder.grading import outputs
    from autograder.grading.gradebook import Gradebook

    database = args.out / "gradebook.db"
    if args.db is None and not database.is_file():
        print(_("no gradebook in {folder}: grade the class first, or give --db", folder=args.out), file=sys.stderr)
        return 2
    platforms = _platform_writers(args.roster)
    if platforms is None:
        return 2
    os.umask(0o077)  # as `grade`: grades and feedback are the instructor's eyes only
    book = Gradebook(args.db or f"sqlite:///{database.resolve()}")
    try:
        written = outputs.write_all(book, args.out, load_course(), args.lang, platforms)
    finally:
        book.close()
    print(_("wrote {written} in {folder}", written=", ".join(written), folder=args.out))
    return 0


def _cluster_address(text: str) -> str:
    local = text.removeprefix("local:")
    if (text.startswith("local:") and local.isdigit() and int(local) > 0) or \
            text.startswith(("tcp://", "tls://", "ucx://")):
        return text
    raise argparse.ArgumentTypeError(_("expected tcp://HOST:PORT (a Dask scheduler) or local:N"))


def cmd_release(args) -> int:
    from autograder import platforms
    from autograder.grading.release import release

    extras = platforms.release_files(args.github_classroom, args.classroom50)
    for path in release(args.directory, lang=args.lang, extras=extras):
        print(_("wrote {path}", path=path))
    return 0


def cmd_language(args) -> int:
    from autograder.selfstudy.language import cmd_language as switch

    return switch(args)


def cmd_gradescope(args) -> int:
    from autograder.platforms.gradescope import build_package

    try:
        if args.topics:
            find_topics(load_course(), args.topics, args.lang)  # an unknown name: a kind error, not a KeyError
        members = build_package(args.zip, args.topics, args.lang, args.weak_sandbox)
    except LookupError as unknown:
        print(unknown.args[0], file=sys.stderr)
        return 2
    print(_("wrote {zip} ({count} files): upload it as the assignment's autograder", zip=args.zip, count=len(members)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=_("A self-checking TensorFlow 2 course."))
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help=_("run the checks of some topics on a submission"))
    check.add_argument("topics", nargs="*", help=_("topic ids or names (e01, autodiff, ...); default: all"))
    add_submission_options(check)
    check.add_argument("--json", type=Path, help=_("also write the results as JSON to this file"))
    check.add_argument("--only", action="append", help=_("run only this check (repeatable)"))
    check.add_argument("--seed", type=int, help=_("seed of the random inputs, to reproduce a run"))
    check.add_argument("--timeout-scale", type=float, default=1.0, help=_("multiply every time limit"))
    check.add_argument("--workers", choices=("warm", "cold"), default="warm",
                       help=_("warm (default): every worker forked from one parent that imported TensorFlow once; "
                            "cold: a new process per worker"))
    check.add_argument("--jobs", "-j", type=int, default=None,
                       help=_("topics checked at once, each with its own worker (default: one per core, at most 4)"))
    check.set_defaults(run=cmd_check)

    generate = commands.add_parser("generate", help=_("regenerate exercises/ and notebooks/ from solutions/"))
    generate.add_argument("--check", action="store_true", help=_("only report drift; exit 1 if any"))
    generate.set_defaults(run=cmd_generate)

    nbgrader = commands.add_parser("nbgrader-course", help=_("write an nbgrader course directory (config and source/)"))
    nbgrader.add_argument("directory", type=Path, help=_("the course directory to write (created if needed)"))
    nbgrader.add_argument("--lang", choices=("en", "zh"), default="en",
                          help=_("language of the lesson text and feedback (default en)"))
    nbgrader.set_defaults(run=cmd_nbgrader_course)

    grade = commands.add_parser("grade", help=_("grade a class: one sub-folder per student (instructors)"))
    grade.add_argument("submissions", type=Path, help=_("folder with one sub-folder per student"))
    grade.add_argument("--out", type=Path, required=True, help=_("where the gradebook and reports go"))
    grade.add_argument("--jobs", "-j", type=int, default=1, help=_("submissions graded at once (default 1)"))
    grade.add_argument("--cluster", type=_cluster_address,
                       help=_("grade on a Dask cluster: tcp://HOST:8786 (a running scheduler) or local:N "
                            "(N single-threaded worker processes here); instead of --jobs"))
    grade.add_argument("--workers", choices=("warm", "cold"), default="warm",
                       help=_("warm (default): forked from a parent that imported TensorFlow once; "
                            "cold: a new process per worker (for comparison)"))
    grade.add_argument("--topics", nargs="+", help=_("topic ids or names (default: all)"))
    grade.add_argument("--student", action="append", help=_("grade only this student's folder (repeatable)"))
    grade.add_argument("--db", help=_("SQLAlchemy URL of the gradebook (default: sqlite:///OUT/gradebook.db)"))
    grade.add_argument("--timeout-scale", type=float, default=1.0, help=_("multiply every check's time limit"))
    grade.add_argument("--submission-timeout", type=float, help=_("seconds for one whole submission"))
    grade.add_argument("--memory-gb", type=float, help=_("address-space limit of a worker in GiB (default {gib})",
                                                         gib=f"{sandbox.Policy.memory_bytes / sandbox.GiB:g}"))
    grade.add_argument("--cpu-seconds", type=int, help=_("CPU-time limit of a worker (default 1800)"))
    grade.add_argument("--disk-mb", type=int, help=_("scratch storage of a submission in MiB (default {mib})",
                                                     mib=storage.DISK_BYTES >> 20))
    grade.add_argument("--uids", metavar="FIRST-LAST",
                       help=_("uids for the sandbox, checked unused and reserved (default {range})",
                              range=uids.DEFAULT_RANGE))
    grade.add_argument("--no-sandbox", action="store_true", help=_("only limits and timeouts (trusted code)"))
    grade.add_argument("--no-bwrap", action="store_true",
                       help=_("every other layer, without bubblewrap even where it works (implies --weak-sandbox)"))
    grade.add_argument("--weak-sandbox", action="store_true",
                       help=_("grade with the layers this machine has (else grade refuses to start without "
                            "bubblewrap and the user switch)"))
    grade.add_argument("--lang", choices=("en", "zh"), default="en", help=_("language of the feedback pages"))
    grade.add_argument("--roster", type=Path, help=_("CSV mapping student folders to Canvas IDs (column 'folder')"))
    grade.add_argument("--heldout", type=Path, metavar="DIR",
                       help=_("score the accuracy checks on this folder's held-out files (the same names and formats "
                            "as data/heldout/) instead of the course's own"))
    grade.set_defaults(run=cmd_grade)

    report = commands.add_parser("report", help=_("rewrite a graded class's grades, feedback and class report from "
                                                   "its gradebook, without grading again (instructors)"))
    report.add_argument("out", type=Path, help=_("the --out folder of `grade`"))
    report.add_argument("--db", help=_("SQLAlchemy URL of the gradebook (default: sqlite:///OUT/gradebook.db)"))
    report.add_argument("--lang", choices=("en", "zh"), default="en", help=_("language of the feedback pages"))
    report.add_argument("--roster", type=Path, help=_("CSV mapping student folders to Canvas IDs (column 'folder')"))
    report.set_defaults(run=cmd_report)

    release = commands.add_parser("release", help=_("write the student repository (no solutions, no hidden checks)"))
    release.add_argument("directory", type=Path, help=_("where to write it (must not exist or be empty)"))
    release.add_argument("--github-classroom", action="store_true",
                         help=_("also write .github/workflows/classroom.yml for the classroom-resources "
                              "autograding actions: one test per topic, partial credit per check"))
    release.add_argument("--classroom50", action="store_true",
                         help=_("also write classroom50/autograder.py, the entry point of a Classroom 50 classroom"))
    release.add_argument("--lang", choices=("en", "zh"), default="en",
                         help=_("language of the lesson text in exercises/ and notebooks/ (default en)"))
    release.set_defaults(run=cmd_release)

    gradescope = commands.add_parser("gradescope", help=_("write a Gradescope autograder package (instructors)"))
    gradescope.add_argument("zip", type=Path, help=_("the .zip to write"))
    gradescope.add_argument("--topics", nargs="+", help=_("topic ids or names (default: all)"))
    gradescope.add_argument("--lang", choices=("en", "zh"), default="en", help=_("language of the results"))
    gradescope.add_argument("--weak-sandbox", action="store_true",
                            help=_("grade without bubblewrap, where the container cannot run it"))
    gradescope.set_defaults(run=cmd_gradescope)

    language = commands.add_parser("language", help=_("lesson text of exercises/ and notebooks/ in English or "
                                                      "Chinese (your code is kept); the default of every command"))
    language.add_argument("language", choices=("en", "zh"), help=_("en: English, zh: 简体中文"))
    language.add_argument("--submission", type=Path, default=DEFAULT_SUBMISSION,
                          help=_("folder with your exercise files (default: exercises/)"))
    language.add_argument("--notebooks", type=Path, default=COURSE_ROOT / "notebooks",
                          help=_("folder with the course's notebooks (default: notebooks/)"))
    language.set_defaults(run=cmd_language)

    from autograder.selfstudy import add_commands  # watch, progress, hint, reset (self-study)
    add_commands(commands, add_submission_options)
    from autograder import scaffold  # new-exercise, new-topic, todo (for the course's authors)
    scaffold.add_commands(commands)
    return parser


def _language_of(argv: list[str]) -> str:
    """The language of this command's own text (--help included), before the parser exists:
    --lang, else the choice saved for --submission (or exercises/), else the locale."""
    from autograder.selfstudy.language import saved_choice

    for index, word in enumerate(argv):
        value = word.removeprefix("--lang=") if word.startswith("--lang=") else (
            argv[index + 1] if word == "--lang" and index + 1 < len(argv) else None)
        if value in LANGUAGES:
            return value
    folder = DEFAULT_SUBMISSION
    for index, word in enumerate(argv):
        if word.startswith("--submission="):
            folder = Path(word.removeprefix("--submission="))
        elif word == "--submission" and index + 1 < len(argv):
            folder = Path(argv[index + 1])
    try:
        return saved_choice(folder) or locale_language()
    except (OSError, ValueError):
        return locale_language()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    set_language(_language_of(argv))  # the parser's help and errors speak it too
    args = build_parser().parse_args(argv)
    if "submission" in args and "lang" in args and args.lang is None:  # a learner's command: their saved choice, else the locale
        from autograder.selfstudy.language import first_use
        args.lang = first_use(args.submission)
    if getattr(args, "lang", None):  # this process and its workers speak the student's language
        set_language(args.lang)
    try:
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C: every command has cleaned up on its way out; no traceback
        return 130
