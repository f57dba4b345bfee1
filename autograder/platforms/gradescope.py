"""Gradescope: the autograder package, the grader its run_autograder starts, results.json.

    python -m autograder gradescope OUT.zip [--topics e01 e02] [--lang zh] [--weak-sandbox]

The package follows Gradescope's documented layout: `setup.sh` and `run_autograder` at the
top of the zip, beside the course files grading needs (autograder/ with its hidden checks,
course.toml, data/, pyproject.toml), never solutions/: the package never reaches students.
Gradescope unpacks it into /autograder/source and runs

    python3 -m autograder.platforms.gradescope --root /autograder [--topics ...] [--lang zh]

for each submission. That grades /autograder/submission with the batch grader
(grading/batch.py: the same checks, sandbox and gradebook as `grade`) and turns the
gradebook's record into /autograder/results/results.json in Gradescope's format
(https://gradescope-autograders.readthedocs.io/en/latest/specs/).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import stat
import sys
import time
import zipfile
from pathlib import Path

from autograder import COURSE_ROOT
from autograder.course import Course, load_course
from autograder.grading.gradebook import Graded, Gradebook
from autograder.i18n import N_, Texts, _
from autograder.mistakes import hints_from
from autograder.texts import UI, check_title, status_label

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "gradescope"
# What grading needs from the course, relative to its root; solutions/ never goes in.
PACKAGE_FILES = ["autograder", "data", "course.toml", "pyproject.toml", "LICENSE"]
SKIPPED = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".course-progress.json", ".course-backups"}
STUDENT = "submission"   # the one student folder of a Gradescope run

TEXT = Texts(graded=N_("Graded with seed {seed} in {seconds:.0f} s: {score}/{max_score} points."),
             notes=N_("Some files could not be read: {notes}"),
             failed=N_("The autograder could not grade this submission; its log is in the autograder output."),
             wrote=N_("wrote {target}: {score} points"))


# -- results.json ------------------------------------------------------------------------
def results(graded: Graded, course: Course, lang: str = "en") -> dict:
    """One submission's gradebook record in Gradescope's results format: one test per check,
    numbered topic.exercise (e01's second exercise is 1.2); hidden checks are shown only
    once grades are published."""
    number = {(topic.id, exercise.name): f"{t}.{e}" for t, topic in enumerate(course.topics, 1)
              for e, exercise in enumerate(topic.exercises, 1)}
    order = {check.id: index for index, check in enumerate(course.checks)}
    tests = []
    for result in sorted(graded.results, key=lambda r: (order.get(r["check_id"], len(order)), r["check_id"])):
        check = _check(course, result)
        hidden = check is not None and check.hidden
        test = {"name": f"{result['topic']} · {result['exercise']}: {check_title(result['name'], result['exercise'], lang)}",
                "number": number.get((result["topic"], result["exercise"]), result["topic"]),
                "score": result["points"], "max_score": result["max_points"],
                "status": "passed" if result["status"] == "passed" else "failed",
                "output": _output(result, _check(course, {**result, "name": hints_from(result)}), lang), "output_format": "text",
                "tags": [result["topic"], result["exercise"], result["status"]] + (["hidden"] if hidden else []),
                "visibility": "after_published" if hidden else "visible"}
        tests.append(test)
    score = sum(r["points"] for r in graded.results)
    summary = TEXT[lang]["graded"].format(seed=graded.seed, seconds=graded.duration_s, score=score,
                                          max_score=sum(r["max_points"] for r in graded.results))
    if graded.notes:
        summary += "\n" + TEXT[lang]["notes"].format(notes=graded.notes)
    return {"score": score, "execution_time": round(graded.duration_s, 1), "output": summary,
            "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def _check(course: Course, result: dict):
    try:
        return course.check(result["topic"], result["name"])
    except KeyError:
        return None


def _output(result: dict, check, lang: str) -> str:
    """The status, the message and (for a tried answer) the tiered hints."""
    if result["status"] == "passed":
        return status_label("passed", lang)
    lines = [f"[{status_label(result['status'], lang)}] {result['message']}"]
    if check is not None and result["status"] != "not_attempted":
        lines += [f"{UI[lang]['hint_tier'].format(tier=tier)}: {hint}" for tier, hint in enumerate(check.hints[lang], 1)]
    return "\n".join(lines)


# -- the package -------------------------------------------------------------------------
def run_options(topics: list[str] | None, lang: str, weak_sandbox: bool) -> list[str]:
    """The arguments run_autograder passes to the grader (topic ids are checked names)."""
    options = ["--lang", lang] + (["--topics", *topics] if topics else [])
    return options + (["--weak-sandbox"] if weak_sandbox else [])


def build_package(out: Path, topics: list[str] | None = None, lang: str = "en", weak_sandbox: bool = False,
                  root: Path = COURSE_ROOT) -> list[str]:
    """Write the autograder zip; returns its member names."""
    course = load_course(root / "course.toml")
    topics = [course.topic(key).id for key in topics] if topics else None   # KeyError names an unknown topic
    run_autograder = (TEMPLATES / "run_autograder").read_text(encoding="utf-8").replace(
        "@OPTIONS@", " ".join(run_options(topics, lang, weak_sandbox)))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_text(archive, "setup.sh", (TEMPLATES / "setup.sh").read_text(encoding="utf-8"), 0o755)
        _add_text(archive, "run_autograder", run_autograder, 0o755)
        for name in PACKAGE_FILES:
            source = root / name
            for path in ([source] if source.is_file() else sorted(source.rglob("*")) if source.is_dir() else []):
                relative = path.relative_to(root)
                if path.is_file() and not path.is_symlink() and not SKIPPED & set(relative.parts) \
                        and path.suffix != ".pyc":
                    archive.write(path, relative.as_posix())
        names = archive.namelist()
    if any(name.split("/")[0] == "solutions" for name in names):
        partial.unlink()
        raise RuntimeError("solutions/ must never be packaged")
    partial.replace(out)
    return names


def _add_text(archive: zipfile.ZipFile, name: str, text: str, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


# -- run_autograder ----------------------------------------------------------------------
def run(root: Path, topics: list[str] | None = None, lang: str = "en", weak_sandbox: bool = False) -> int:
    """Grade ROOT/submission through `grade` and write ROOT/results/results.json."""
    from rich.console import Console

    from autograder.grading.batch import Options, grade

    console = Console(file=sys.stdout, highlight=False, width=120)
    work = root / "grading"                      # the grader's own folder, never the submission's
    shutil.rmtree(work, ignore_errors=True)
    (work / "submissions").mkdir(parents=True)
    work.chmod(0o711)   # the sandbox user passes through to its scratch; it cannot list
    (work / "submissions" / STUDENT).symlink_to((root / "submission").resolve(), target_is_directory=True)
    options = Options(submissions=work / "submissions", out=work / "out", jobs=1, topics=topics, lang=lang,
                      bwrap=not weak_sandbox)
    code = grade(options, console)
    book = Gradebook(f"sqlite:///{(work / 'out' / 'gradebook.db').resolve()}")
    try:
        graded = [entry for entry in book.graded() if entry.student == STUDENT]
    finally:
        book.close()
    if code != 0 or not graded:
        console.print(TEXT[lang]["failed"])
        return 1
    course = load_course()
    report = results(graded[0], course, lang)
    target = root / "results" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    console.print(TEXT[lang]["wrote"].format(target=target, score=report["score"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.platforms.gradescope",
                                     description=_("Grade a Gradescope submission (run by run_autograder)."))
    parser.add_argument("--root", type=Path, default=Path("/autograder"), help=_("Gradescope's /autograder"))
    parser.add_argument("--topics", nargs="+", help=_("topic ids (default: all)"))
    parser.add_argument("--lang", choices=tuple(TEXT), default="en")
    parser.add_argument("--weak-sandbox", action="store_true", help=_("grade without bubblewrap"))
    args = parser.parse_args(argv)
    if args.topics and not all(re.fullmatch(r"[a-z0-9_]+", topic) for topic in args.topics):
        parser.error("topic ids are letters, digits and underscores")
    return run(args.root.resolve(), args.topics, args.lang, args.weak_sandbox)


if __name__ == "__main__":
    raise SystemExit(main())
