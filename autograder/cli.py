"""`python -m autograder COMMAND ...`: the course's command line.

    check [TOPIC ...] [--submission DIR] [--json FILE] [--lang en|zh]
    generate [--check]

Each command lives in a small function here or in its own module; add new ones to
`COMMANDS`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import COURSE_ROOT
from autograder.course import default_language, load_course

DEFAULT_SUBMISSION = COURSE_ROOT / "exercises"


def add_submission_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--submission", type=Path, default=DEFAULT_SUBMISSION,
                        help="folder with your exercise files (default: exercises/)")
    parser.add_argument("--lang", choices=("en", "zh"), default=default_language(),
                        help="language of messages and hints (default: from the locale)")


def cmd_check(args) -> int:
    from autograder.engine.client import Submission  # noqa: F401  (imported early: see below)
    from autograder.report import UI, print_report, write_json
    from autograder.run import run_checks

    course = load_course()
    try:
        topics = [course.topic(key) for key in args.topics] if args.topics else course.topics
    except KeyError as unknown:
        print(unknown.args[0], file=sys.stderr)
        return 2
    if not args.submission.is_dir():
        print(f"submission folder {args.submission} does not exist", file=sys.stderr)
        return 2
    run = run_checks(args.submission, topics, only=args.only, seed=args.seed, timeout_scale=args.timeout_scale)
    if not run.checks:
        print(UI[args.lang]["no_checks"].format(topics=", ".join(t.id for t in topics)), file=sys.stderr)
        return 1
    print_report(run, course, args.lang)
    if args.json:
        write_json(run, args.json)
    return 0 if run.all_passed else 1


def cmd_generate(args) -> int:
    from autograder.generate import drifted, generate

    if args.check:
        stale = drifted()
        for name in stale:
            print(f"exercises/{name} differs from what solutions/{name} generates", file=sys.stderr)
        return 1 if stale else 0
    for path in generate():
        print(f"wrote {path.relative_to(COURSE_ROOT)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description="A self-checking TensorFlow 2 course.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="run the checks of some topics on a submission")
    check.add_argument("topics", nargs="*", help="topic ids or names (e01, autodiff, ...); default: all")
    add_submission_options(check)
    check.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    check.add_argument("--only", action="append", help="run only this check (repeatable)")
    check.add_argument("--seed", type=int, help="seed of the random inputs, to reproduce a run")
    check.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every time limit")
    check.set_defaults(run=cmd_check)

    generate = commands.add_parser("generate", help="regenerate exercises/ from solutions/")
    generate.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    generate.set_defaults(run=cmd_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
