"""Everything `grade` writes, all from the gradebook (so a resumed run writes the same):

    grades.csv                        one row per student: points per topic, total
    junit.xml                         one <testsuite> per student, one <testcase> per check
    feedback/<student>.html           a self-contained page: each failed check's message and hints
    summary.html                      the class: score distribution per topic, the mistakes it made
    mistakes.csv, similarity.csv/.html  named mistakes per student; look-alike pairs (class_report.py)

    write_all(book, Path("out"), load_course(), lang="en", platforms=platforms.writers(roster))

Grading knows no platform: the platforms' files (Gradescope's results.json per student,
Canvas's canvas.csv) come from writers the caller passes (autograder/platforms/), each
called as `writer(Outputs)` after grading's own and returning the names it wrote.
"""
from __future__ import annotations

import base64
import collections
import contextlib
import html
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from autograder.course import Course
from autograder.grading import spreadsheet
from autograder.grading import class_report
from autograder.grading.pages import page
from autograder.grading.gradebook import Graded, Gradebook
from autograder.i18n import N_, Texts
from autograder.mistakes import hints_from
from autograder.texts import check_title, status_label
from autograder.texts import UI as SHARED

UI = Texts(
    provenance=N_("seed {seed} · graded {when} UTC · files {files}"),
    layers=N_("Sandbox layers"), layers_for=N_("for {count} submission(s)"),
    flagged=N_("Flagged for review"), student=N_("student"), why=N_("why"),
    class_title=N_("Class summary"), class_heading=N_("Class summary: {count} submissions"),
    topic_max=N_("{topic} (max {max})"), points=N_("points"), students=N_("students"),
    distribution=N_("Score distribution per topic"), topic=N_("topic"), mean=N_("mean"), median=N_("median"),
    all_passed=N_("all checks passed"),
)


def _score(graded: Graded, topic: str | None = None) -> tuple[int, int]:
    chosen = [r for r in graded.results if topic is None or r["topic"] == topic]
    return sum(r["points"] for r in chosen), sum(r["max_points"] for r in chosen)


@dataclass
class Outputs:
    """What a platform's writer gets: the class in course order, its topics, and `alone`,
    which writes a class-wide file one student at a time (see `_one_at_a_time`)."""
    class_: list[Graded]
    topics: list
    course: Course
    lang: str
    out: Path
    alone: Callable


def write_all(book: Gradebook, out: Path, course: Course, lang: str = "en",
              platforms: tuple[Callable[[Outputs], list[str]], ...] = (),
              unwritten: list[tuple[str, str, BaseException]] | None = None) -> list[str]:
    """Write every output, then each platform's; a student whose data breaks a writer is
    left out of that output only, and listed in `unwritten` as (output, student, error)
    (raised when not given)."""
    out.mkdir(parents=True, exist_ok=True)
    class_ = book.graded()
    order = {check.id: index for index, check in enumerate(course.checks)}
    for graded in class_:  # course order, then checks no longer in the map
        graded.results.sort(key=lambda result: (order.get(result["check_id"], len(order)), result["check_id"]))
    topics = [topic for topic in course.topics if any(r["topic"] == topic.id for g in class_ for r in g.results)]
    alone = _one_at_a_time(unwritten)
    write_csv(alone("grades.csv", class_, lambda graded: write_csv([graded], topics, io.StringIO())),
              topics, out / "grades.csv")
    for graded in class_:
        alone("feedback", [graded], lambda graded: write_feedback(
            graded, course, lang, out / "feedback" / f"{graded.student}.html"))
    write_junit(alone("junit.xml", class_, lambda graded: write_junit([graded], io.BytesIO())), out / "junit.xml")
    class_parts, class_files = class_report.write(book, class_, topics, course, lang, out)   # mistakes, similarity
    write_summary(class_, topics, course, lang, out / "summary.html", class_parts)
    written = ["grades.csv", "junit.xml", "feedback/*.html", "summary.html", *class_files]
    for platform in platforms:
        written += platform(Outputs(class_, topics, course, lang, out, alone))
    return written


def _one_at_a_time(unwritten: list | None):
    """`alone(output, class_, write_one)`: the students whose `write_one(graded)` succeeds
    (each tried on its own, so one student's data cannot stop a class-wide output)."""
    def alone(output: str, class_: list[Graded], write_one) -> list[Graded]:
        kept = []
        for graded in class_:
            try:
                write_one(graded)
                kept.append(graded)
            except Exception as error:
                if unwritten is None:
                    raise
                unwritten.append((output, graded.student, error))
        return kept
    return alone


def _opened(path, mode: str, **options):
    """`path` opened, or `path` itself when it is already a file (a trial write in memory)."""
    return contextlib.nullcontext(path) if hasattr(path, "write") else open(path, mode, **options)


def write_csv(class_: list[Graded], topics, path: Path) -> None:
    with _opened(path, "w", newline="", encoding="utf-8") as file:
        writer = spreadsheet.writer(file)
        writer.writerow(["student", *(topic.id for topic in topics), "total", "max", "seed", "files_sha256",
                         "flags"])
        for graded in class_:  # flags: signs of tampering for the instructor to review (grading/tampering.py)
            writer.writerow([graded.student, *(_score(graded, topic.id)[0] for topic in topics), *_score(graded),
                             graded.seed, graded.files_hash, "; ".join(graded.flags)])


def write_junit(class_: list[Graded], path: Path) -> None:
    suites = ET.Element("testsuites", name="tf-course")
    for graded in class_:
        failures = sum(r["status"] in ("failed", "not_attempted") for r in graded.results)
        errors = sum(r["status"] in ("error", "timeout") for r in graded.results)
        suite = ET.SubElement(suites, "testsuite", name=graded.student, tests=str(len(graded.results)),
                              failures=str(failures), errors=str(errors), time=f"{graded.duration_s:.3f}",
                              timestamp=graded.graded_at.isoformat())
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="seed", value=str(graded.seed))
        ET.SubElement(properties, "property", name="files_sha256", value=graded.files_hash)
        for result in graded.results:
            case = ET.SubElement(suite, "testcase", classname=f"{graded.student}.{result['topic']}",
                                 name=result["name"], time=f"{result['duration_s']:.3f}")
            if result["status"] in ("failed", "not_attempted"):
                ET.SubElement(case, "failure", type=result["status"], message=result["message"])
            elif result["status"] in ("error", "timeout"):
                ET.SubElement(case, "error", type=result["status"], message=result["message"])
    ET.indent(suites)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _check(course: Course, result: dict):
    try:
        return course.check(result["topic"], result["name"])
    except KeyError:
        return None


def write_feedback(graded: Graded, course: Course, lang: str, path: Path) -> None:
    ui, shared = UI[lang], SHARED[lang]
    score, maximum = _score(graded)
    provenance = ui["provenance"].format(seed=graded.seed, when=f"{graded.graded_at:%Y-%m-%d %H:%M}",
                                         files=graded.files_hash[:12])
    parts = [f"<h1>{html.escape(graded.student)}: {score}/{maximum}</h1>",
             f"<p><small>{html.escape(provenance)}</small></p>"]
    if graded.notes:  # which file was graded, cells skipped: what happened, not a failure
        parts.append(f"<p class='note'>{html.escape(graded.notes)}</p>")
    for topic in course.topics:
        results = [r for r in graded.results if r["topic"] == topic.id]
        if not results:
            continue
        got, out_of = _score(graded, topic.id)
        parts.append(f"<h2>{topic.id} · {html.escape(topic.title[lang])} ({got}/{out_of})</h2><table>")
        for result in results:
            status = result["status"]
            row = (f"<tr><td class='{status}'>{html.escape(status_label(status, lang))}</td><td><b>{html.escape(result['exercise'])}"
                   f"</b>: {html.escape(check_title(result['name'], result['exercise'], lang))} <small>({result['points']}/"
                   f"{result['max_points']})</small>")
            if status != "passed":
                row += f"<div class='msg'>{html.escape(result['message'])}</div>"
                check = _check(course, {**result, "name": hints_from(result)})   # the named mistake's hints
                if check is not None and status != "not_attempted":
                    row += "".join(f"<div class='hint'>{html.escape(shared['hint_tier'].format(tier=tier))}: {html.escape(hint)}</div>"
                                   for tier, hint in enumerate(check.hints[lang], 1))
            parts.append(row + "</td></tr>")
        parts.append("</table>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(f"{graded.student}: {score}/{maximum}", "".join(parts)), encoding="utf-8")


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return f"<img alt='' src='data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}'>"


def _layers_and_flags(class_: list[Graded], ui: dict[str, str]) -> list[str]:
    """The sandbox layers the grades were made under (one table per distinct set) and the
    submissions flagged for review."""
    parts = []
    by_layers: dict[str, list[str]] = collections.defaultdict(list)
    for graded in class_:
        by_layers[json.dumps(graded.sandbox, sort_keys=True)].append(graded.student)
    for layers, students in by_layers.items():
        parts.append(f"<h2>{ui['layers']}</h2><p><small>{ui['layers_for'].format(count=len(students))}</small></p><table>")
        parts += [f"<tr><td>{html.escape(layer)}</td><td class='{'passed' if state.startswith('on') else 'failed'}'>"
                  f"{html.escape(state)}</td></tr>" for layer, state in json.loads(layers).items()]
        parts.append("</table>")
    flagged = [graded for graded in class_ if graded.flags]
    if flagged:
        parts.append(f"<h2>{ui['flagged']}</h2><table><tr><th>{ui['student']}</th><th>{ui['why']}</th></tr>")
        parts += [f"<tr><td>{html.escape(graded.student)}</td><td class='msg'>{html.escape('; '.join(graded.flags))}"
                  f"</td></tr>" for graded in flagged]
        parts.append("</table>")
    return parts


def write_summary(class_: list[Graded], topics, course: Course, lang: str, path: Path,
                  class_parts: list[str] = ()) -> None:
    """The class: scores per topic, flags, then `class_parts` (class_report.py: the mistakes
    the class made, the failures no mistake was named for, the look-alike submissions)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    ui = UI[lang]
    parts = [f"<h1>{html.escape(ui['class_heading'].format(count=len(class_)))}</h1>"]
    if topics and class_:
        figure, axes = plt.subplots(1, len(topics), figsize=(3.2 * len(topics), 2.6), squeeze=False)
        for axis, topic in zip(axes[0], topics):
            scores = [_score(graded, topic.id)[0] for graded in class_]
            maximum = max(_score(graded, topic.id)[1] for graded in class_)
            axis.hist(scores, bins=range(0, maximum + 2), align="left", rwidth=0.85, color="#0969da")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.yaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_title(ui["topic_max"].format(topic=topic.id, max=maximum))
            axis.set_xlabel(ui["points"])
        axes[0][0].set_ylabel(ui["students"])
        figure.tight_layout()
        parts += [f"<h2>{ui['distribution']}</h2>", _png(figure)]
        plt.close(figure)
    parts.append(f"<table><tr><th>{ui['topic']}</th><th>{ui['mean']}</th><th>{ui['median']}</th>"
                 f"<th>{ui['all_passed']}</th></tr>")
    for topic in topics:
        scores = sorted(_score(graded, topic.id) for graded in class_)
        points = [got for got, _ in scores]
        full = sum(got == out_of for got, out_of in scores)
        parts.append(f"<tr><td>{topic.id} · {html.escape(topic.title[lang])}</td><td>{sum(points) / len(points):.2f}"
                     f"</td><td>{points[len(points) // 2]}</td><td>{full}/{len(points)}</td></tr>")
    parts.append("</table>")
    parts += _layers_and_flags(class_, ui)
    parts += class_parts
    path.write_text(page(ui["class_title"], "".join(parts)), encoding="utf-8")
