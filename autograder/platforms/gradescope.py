"""Gradescope: the autograder package, the grader its run_autograder starts, results.json.

    python -m autograder gradescope OUT.zip [--topics e01 e02] [--lang zh] [--weak-sandbox]

The package follows Gradescope's documented layout: `setup.sh` and `run_autograder` at the
top of the zip, beside the course files grading needs (autograder/ with its hidden checks,
course.toml, data/ with the held-out files the accuracy checks score on, pyproject.toml),
never solutions/: the package never reaches students, and setup.sh makes the hidden checks
and data/heldout/ readable by root only, so no worker reads them.
Gradescope unpacks it into /autograder/source and runs

    python3 -m autograder.platforms.gradescope --root /autograder [--topics ...] [--lang zh]

for each submission. That grades /autograder/submission with the batch grader
(grading/batch.py: the same checks, sandbox and gradebook as `grade`) and turns the
gradebook's record into /autograder/results/results.json in Gradescope's format
(https://gradescope-autograders.readthedocs.io/en/latest/specs/). Gradescope requires that
file whatever happens, so every way the run can fail still writes one: score 0 and what the
instructor should do. setup.sh tries bubblewrap when the image is built; where the container
cannot run it, it records the fallback in source/WEAK_SANDBOX and every run grades with
--weak-sandbox and says so in its results.
"""
from __future__ import annotations

import argparse
import json
import os
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
PACKAGE_FILES = ["autograder", "data", "course.toml", "pyproject.toml", "requirements.lock", "LICENSE"]
SKIPPED = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".course-progress.json", ".course-backups"}
STUDENT = "submission"   # the one student folder of a Gradescope run
WEAK_SANDBOX = "WEAK_SANDBOX"   # in source/: setup.sh found that bubblewrap cannot run here (its reason inside)
LOG_LINES = 12           # of the grader's output, quoted in a failure's results.json

TEXT = Texts(graded=N_("Graded with seed {seed} in {seconds:.0f} s: {score}/{max_score} points."),
             notes=N_("About the files handed in: {notes}"),
             failed=N_("The autograder could not grade this submission, so it scores 0 until it is graded "
                       "again; please tell your instructor."),
             instructor=N_("For the instructor: the end of the grader's output follows; the whole of it is in "
                           "the autograder output. If bubblewrap cannot run in this container, build the "
                           "package with --weak-sandbox (setup.sh falls back by itself when its test fails)."),
             visible=N_("Graded with seed {seed} in {seconds:.0f} s: {score}/{max_score} points on the checks "
                        "shown now; more checks are shown once grades are published."),
             full_sandbox=N_("Sandbox: bubblewrap and a fresh unprivileged user for this submission."),
             weak_sandbox=N_("Sandbox: weak, without bubblewrap ({reason})."),
             wrote=N_("wrote {target}: {score} points"))


# -- results.json ------------------------------------------------------------------------
def results(graded: Graded, course: Course, lang: str = "en", seconds: float | None = None,
            weak_reason: str | None = None) -> dict:
    """One submission's gradebook record in Gradescope's results format: one test per check,
    numbered topic.exercise.check (the second check of e01's second exercise is 1.2.2);
    hidden checks, their points included, are shown only once grades are published.
    `seconds` is the whole run's time; `weak_reason` why it graded without bubblewrap."""
    number = {check.id: f"{t}.{e}.{c}" for t, topic in enumerate(course.topics, 1)
              for e, exercise in enumerate(topic.exercises, 1) for c, check in enumerate(exercise.checks, 1)}
    order = {check.id: index for index, check in enumerate(course.checks)}
    tests = []
    for result in sorted(graded.results, key=lambda r: (order.get(r["check_id"], len(order)), r["check_id"])):
        check = _check(course, result)
        hidden = check is not None and check.hidden
        test = {"name": f"{result['topic']} · {result['exercise']}: {check_title(result['name'], result['exercise'], lang)}",
                "number": number.get(result["check_id"], result["check_id"]),
                "score": result["points"], "max_score": result["max_points"],
                "status": "passed" if result["status"] == "passed" else "failed",
                "output": _output(result, _check(course, {**result, "name": hints_from(result)}), lang), "output_format": "text",
                "tags": [result["topic"], result["exercise"], result["status"]] + (["hidden"] if hidden else []),
                "visibility": "after_published" if hidden else "visible"}
        tests.append(test)
    seconds = graded.duration_s if seconds is None else seconds
    shown = [test for test in tests if test["visibility"] == "visible"]
    counts = {"seed": graded.seed, "seconds": seconds, "score": sum(t["score"] for t in shown),
              "max_score": sum(t["max_score"] for t in shown)}
    summary = TEXT[lang]["graded" if len(shown) == len(tests) else "visible"].format(**counts)
    summary += "\n" + (TEXT[lang]["weak_sandbox"].format(reason=weak_reason) if weak_reason
                       else TEXT[lang]["full_sandbox"])
    if graded.notes:
        summary += "\n" + TEXT[lang]["notes"].format(notes=graded.notes)
    report = {"execution_time": round(seconds, 1), "output": summary, "output_format": "text",
              "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}
    if len(shown) == len(tests):   # else Gradescope adds up the tests, hiding the hidden ones' points
        report = {"score": counts["score"], **report}
    return report


def failure(lang: str, log: str, seconds: float) -> dict:
    """results.json when nothing could be graded: score 0, and what the instructor should do."""
    tail = "\n".join(line for line in log.strip().splitlines()[-LOG_LINES:])
    return {"score": 0, "execution_time": round(seconds, 1), "output_format": "text", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": [],
            "output": f"{TEXT[lang]['failed']}\n\n{TEXT[lang]['instructor']}\n\n{tail}"}


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


def write_results(outputs) -> list[str]:
    """`grade`'s gradescope/<student>/results.json, one student at a time (grading/outputs.py)."""
    def write(graded: Graded) -> None:
        path = outputs.out / "gradescope" / graded.student / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results(graded, outputs.course, outputs.lang), indent=2, ensure_ascii=False),
                        encoding="utf-8")
    for graded in outputs.class_:
        outputs.alone("gradescope", [graded], write)
    return ["gradescope/*/results.json"]


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
    """Grade ROOT/submission through `grade` and write ROOT/results/results.json, also when
    grading fails (exit 1 then, with a results.json that says why)."""
    from rich.console import Console

    started = time.monotonic()
    console = Console(file=sys.stdout, highlight=False, width=120, record=True)
    weak_reason = _weak_sandbox_reason(root) if not weak_sandbox else "--weak-sandbox"
    try:
        report = _grade(root, topics, lang, weak_reason, console, started)
    except Exception as error:   # noqa: BLE001 - whatever broke, Gradescope still gets a results.json
        console.print(f"{type(error).__name__}: {error}")
        report = None
    if report is None:
        console.print(TEXT[lang]["failed"])
        report = failure(lang, console.export_text(), time.monotonic() - started)
    _write_results(root, report)
    console.print(TEXT[lang]["wrote"].format(target=root / "results" / "results.json", score=report.get("score", sum(t["score"] for t in report["tests"]))))
    return 0 if report["tests"] else 1


def _weak_sandbox_reason(root: Path) -> str | None:
    marker = root / "source" / WEAK_SANDBOX
    if not marker.is_file() or marker.is_symlink():
        return None
    return marker.read_text(encoding="utf-8", errors="replace").strip()[:300] or "setup.sh"


def _grade(root: Path, topics, lang: str, weak_reason: str | None, console, started: float) -> dict | None:
    from autograder.grading.batch import Options, grade

    # The sandbox user passes through ROOT to its scratch folder, whatever mode Gradescope gave it.
    os.chmod(root, os.stat(root).st_mode | stat.S_IXOTH)
    work = root / "grading"                      # the grader's own folder, never the submission's
    shutil.rmtree(work, ignore_errors=True)
    (work / "submissions").mkdir(parents=True)
    work.chmod(0o711)   # the sandbox user passes through to its scratch; it cannot list
    (work / "submissions" / STUDENT).symlink_to((root / "submission").resolve(), target_is_directory=True)
    options = Options(submissions=work / "submissions", out=work / "out", jobs=1, topics=topics, lang=lang,
                      bwrap=weak_reason is None, weak_sandbox=weak_reason is not None)
    code = grade(options, console)
    book = Gradebook(f"sqlite:///{(work / 'out' / 'gradebook.db').resolve()}")
    try:
        graded = [entry for entry in book.graded() if entry.student == STUDENT]
    finally:
        book.close()
    if code != 0 or not graded:
        return None
    return results(graded[0], load_course(), lang, time.monotonic() - started, weak_reason)


def _write_results(root: Path, report: dict) -> None:
    """results/results.json, replaced whole (a file the submission planted there is not followed)."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".results.{os.getpid()}.json"
    partial.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, folder / "results.json")


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
