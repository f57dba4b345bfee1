"""What a class did, at a glance: the mistakes it made and the submissions that look copied.

Written from the gradebook alone (so `python -m autograder report OUT` rewrites it without
regrading), in the report's language:

    mistakes.csv      topic, exercise, mistake, students, share: one row per named mistake,
                      each student counted once (autograder/mistakes.py names them)
    similarity.csv    topic, a, b, similarity, flagged: every pair of submissions, per topic
    similarity.html   the flagged pairs side by side, matching regions highlighted
    (summary.html)    `summary_parts`: the mistakes per topic, the checks that failed without
                      a named mistake, and the link to similarity.html

    parts = write(book, class_, topics, course, "en", Path("out"))   # the summary's sections
"""
from __future__ import annotations

import collections
import html
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import Course, Topic
from autograder.grading import similarity, spreadsheet
from autograder.grading.pages import page
from autograder.grading.gradebook import Graded, Gradebook
from autograder.i18n import N_, Texts, raw
from autograder.mistakes import template

TRIED_AND_MISSED = ("failed", "error", "timeout")   # blanks (not_attempted) are not a lesson
PAIRS_SHOWN = 60   # flagged pairs shown side by side, most alike first (every pair is in similarity.csv)
UI = Texts(
    mistakes=N_("Mistakes the class made"),
    mistakes_note=N_("Each named mistake once per student, however many checks it failed; most common first."),
    mistake=N_("mistake"), exercise=N_("exercise"), students=N_("students"), share=N_("share"), who=N_("who"),
    no_mistakes=N_("No named mistakes."),
    unnamed=N_("Checks that failed without a named mistake"),
    unnamed_note=N_("Where the course's diagnosis could grow: failures that no check named."),
    check=N_("check"), failing=N_("failing"), common_message=N_("most common message"),
    similarity_link=N_("Submissions that look alike: {flagged} flagged pair(s) of {pairs} compared"),
    similarity_title=N_("Submissions that look alike"),
    similarity_note=N_("A flagged pair is a reason to look, never a penalty: short exercises have few ways to be "
                       "right, and students who follow the notes write alike. Each pair was compared with copydetect "
                       "(names, comments, strings and layout do not count; the blank's given code never counts) and "
                       "is flagged when the share of code in common reaches its topic's threshold, set clearly above "
                       "what independent correct solutions share."),
    thresholds=N_("Thresholds per topic"), topic=N_("topic"), threshold=N_("threshold"),
    independent=N_("most alike independent solutions"),
    no_flagged=N_("No pair is flagged."),
    more_pairs=N_("{count} more flagged pair(s) are listed in similarity.csv."), pair_heading=N_("{topic}: {a} and {b}, {similarity:.0%} in common"),
)


@dataclass
class ClassMistake:
    topic: str
    exercise: str
    key: str
    students: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)   # a student's text per language, when the key is not a msgid

    def label(self, lang: str) -> str:
        """The mistake's text for the whole class: its catalogue text with "…" for what
        differs between students; a text that is no msgid as a student saw it."""
        if raw("zh", self.key) != self.key:   # a msgid: the catalogue has it
            return template(self.key, lang)
        return self.texts.get(lang) or self.key


def class_mistakes(class_: list[Graded]) -> list[ClassMistake]:
    """Every named mistake of the class, per topic and exercise, most students first."""
    found: dict[tuple[str, str, str], ClassMistake] = {}
    for graded in class_:
        for result in graded.results:
            if result["status"] not in TRIED_AND_MISSED or not result.get("mistake"):
                continue
            entry = found.setdefault((result["topic"], result["exercise"], result["mistake"]),
                                     ClassMistake(result["topic"], result["exercise"], result["mistake"],
                                                  texts=dict(result.get("mistake_text") or {})))
            if graded.student not in entry.students:   # one student, however many checks it failed
                entry.students.append(graded.student)
    return sorted(found.values(), key=lambda entry: (entry.topic, -len(entry.students), entry.exercise, entry.key))


def unnamed_failures(class_: list[Graded]) -> list[tuple[str, list[str], str]]:
    """(check id, students, most common first line) of the failures no mistake was named for."""
    students: dict[str, list[str]] = collections.defaultdict(list)
    messages: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for graded in class_:
        for result in graded.results:
            if result["status"] in TRIED_AND_MISSED and not result.get("mistake"):
                students[result["check_id"]].append(graded.student)
                messages[result["check_id"]][(result["message"] or "").splitlines()[0] if result["message"] else ""] += 1
    return sorted(((check_id, who, messages[check_id].most_common(1)[0][0]) for check_id, who in students.items()),
                  key=lambda row: (-len(row[1]), row[0]))


def write_mistakes_csv(mistakes: list[ClassMistake], class_size: int, lang: str, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = spreadsheet.writer(file)
        writer.writerow(["topic", "exercise", "mistake", "students", "share"])
        for entry in mistakes:
            writer.writerow([entry.topic, entry.exercise, entry.label(lang),
                             len(entry.students), f"{len(entry.students) / max(1, class_size):.3f}"])


def write_similarity_csv(pairs: list[similarity.Pair], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = spreadsheet.writer(file)
        writer.writerow(["topic", "a", "b", "similarity", "flagged"])
        for pair in pairs:
            writer.writerow([pair.topic, pair.a, pair.b, f"{pair.similarity:.4f}", int(pair.flagged)])


def _feedback_link(student: str) -> str:
    return f"<a href='feedback/{urllib.parse.quote(student)}.html'>{html.escape(student)}</a>"


def _highlighted(code: str, slices) -> str:
    """`code` as HTML, the regions copydetect matched (starts and ends) marked."""
    parts, shown = [], 0
    for start, end in sorted(zip(*(map(int, row) for row in slices))):
        start, end = max(start, shown), min(end, len(code))
        if start >= end:
            continue
        parts += [html.escape(code[shown:start]), f"<mark>{html.escape(code[start:end])}</mark>"]
        shown = end
    return "".join(parts) + html.escape(code[shown:])


def write_similaritypage(pairs: list[similarity.Pair], sources: dict[str, dict[str, str]], course: Course,
                          lang: str, path: Path) -> None:
    ui = UI[lang]
    calibration = similarity.calibration()
    parts = [f"<h1>{html.escape(ui['similarity_title'])}</h1><p>{html.escape(ui['similarity_note'])}</p>",
             f"<h2>{html.escape(ui['thresholds'])}</h2><table><tr><th>{ui['topic']}</th><th>{ui['threshold']}</th>"
             f"<th>{ui['independent']}</th></tr>"]
    parts += [f"<tr><td>{html.escape(topic)}</td><td>{entry['threshold']:.0%}</td><td>{entry['independent_max']:.0%}"
              f"</td></tr>" for topic, entry in calibration.items()]
    parts.append("</table>")
    flagged = sorted((pair for pair in pairs if pair.flagged), key=lambda pair: -pair.similarity)
    if not flagged:
        parts.append(f"<p>{html.escape(ui['no_flagged'])}</p>")
    for pair in flagged[:PAIRS_SHOWN]:
        file = course.topic(pair.topic).file
        sides = []
        for student, slices in zip((pair.a, pair.b), pair.slices):
            sides.append(_highlighted(sources[student][file][:similarity.MAX_SOURCE], slices))
        heading = ui["pair_heading"].format(topic=pair.topic, a=pair.a, b=pair.b, similarity=pair.similarity)
        parts.append(f"<h2>{html.escape(heading)}</h2><table class='pair'><tr><th>{_feedback_link(pair.a)}</th>"
                     f"<th>{_feedback_link(pair.b)}</th></tr><tr>"
                     + "".join(f"<td><pre>{side}</pre></td>" for side in sides) + "</tr></table>")
    if len(flagged) > PAIRS_SHOWN:
        parts.append(f"<p>{html.escape(ui['more_pairs'].format(count=len(flagged) - PAIRS_SHOWN))}</p>")
    style = "<style>.pair td{width:50%;vertical-align:top}.pair pre{white-space:pre-wrap;font-size:.8em}" \
            "mark{background:#fff8c5}</style>"
    path.write_text(page(ui["similarity_title"], style + "".join(parts)), encoding="utf-8")


def summary_parts(mistakes: list[ClassMistake], class_: list[Graded], topics: list[Topic], lang: str,
                  pairs: list[similarity.Pair] | None) -> list[str]:
    """The summary's sections: the similarity link, the mistakes per topic, the unnamed failures."""
    ui = UI[lang]
    parts = []
    if pairs is not None:
        link = ui["similarity_link"].format(flagged=sum(pair.flagged for pair in pairs), pairs=len(pairs))
        parts.append(f"<p><a href='similarity.html'>{html.escape(link)}</a></p>")
    parts.append(f"<h2>{html.escape(ui['mistakes'])}</h2><p><small>{html.escape(ui['mistakes_note'])}</small></p>")
    if not mistakes:
        parts.append(f"<p>{html.escape(ui['no_mistakes'])}</p>")
    for topic in topics:
        of_topic = [entry for entry in mistakes if entry.topic == topic.id]
        if not of_topic:
            continue
        parts.append(f"<h3>{topic.id} · {html.escape(topic.title[lang])}</h3><table class='mistakes'><tr>"
                     f"<th>{ui['mistake']}</th><th>{ui['exercise']}</th><th>{ui['share']}</th><th>{ui['who']}</th></tr>")
        parts += [f"<tr><td>{html.escape(entry.label(lang))}</td><td>{html.escape(entry.exercise)}</td>"
                  f"<td>{len(entry.students)}/{len(class_)} ({len(entry.students) / len(class_):.0%})</td>"
                  f"<td>{', '.join(_feedback_link(student) for student in entry.students)}</td></tr>"
                  for entry in of_topic]
        parts.append("</table>")
    unnamed = unnamed_failures(class_)
    if unnamed:
        parts.append(f"<h2>{html.escape(ui['unnamed'])}</h2><p><small>{html.escape(ui['unnamed_note'])}</small></p>"
                     f"<table class='unnamed'><tr><th>{ui['check']}</th><th>{ui['failing']}</th>"
                     f"<th>{ui['common_message']}</th></tr>")
        for check_id, students, message in unnamed:
            parts.append(f"<tr><td>{html.escape(check_id)}</td>"
                         f"<td>{len(students)}/{len(class_)}</td><td class='msg'>{html.escape(message)}</td></tr>")
        parts.append("</table>")
    return parts


def write(book: Gradebook, class_: list[Graded], topics: list[Topic], course: Course, lang: str,
          out: Path) -> tuple[list[str], list[str]]:
    """Write mistakes.csv, similarity.csv and similarity.html; return the summary's
    sections and the names of the files written."""
    mistakes = class_mistakes(class_)
    write_mistakes_csv(mistakes, len(class_), lang, out / "mistakes.csv")
    graded = {graded.student for graded in class_}
    sources = {student: files for student, files in book.sources().items() if student in graded}
    by_topic = {student: {topic.id: files[topic.file] for topic in topics if topic.file in files}
                for student, files in sources.items()}
    pairs = similarity.compare_class(by_topic, course, topics)
    write_similarity_csv(pairs, out / "similarity.csv")
    write_similaritypage(pairs, sources, course, lang, out / "similarity.html")
    return summary_parts(mistakes, class_, topics, lang, pairs), ["mistakes.csv", "similarity.csv", "similarity.html"]
