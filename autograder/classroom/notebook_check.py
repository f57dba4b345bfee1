"""The check cell of a notebook: runs the course's checks on the notebook's own code.

    from autograder.classroom import check
    check("e01", "standardize")      # one exercise (the functions defined in this notebook)
    check("e01")                     # every exercise of the topic
    check("e01", lang="zh")          # messages and hints in Chinese

The same pytest checks as `python -m autograder check` run in this process, against the
kernel's namespace (`engine/inprocess.py`): for feedback, not for grades. The result
displays as HTML in JupyterLab (plain text elsewhere): each check's status and points, the
targeted message, and the course map's hints. `grade(...)` is the nbgrader test cells'
variant: it shows the same feedback and returns the points earned, which nbgrader reads as
the cell's (partial) credit.
"""
from __future__ import annotations

import contextlib
import html
import io
import os
import re
import sys
import tempfile
from pathlib import Path

from autograder.course import Check, Course, Topic, load_course
from autograder.engine.inprocess import InProcessSubmission
from autograder.i18n import checked_language, language, using
from autograder.mistakes import hints_from
from autograder.report import UI
from autograder.run import RunResult, run_checks
from autograder.texts import MARKS, check_title, labelled, verdict
from autograder.texts import UI as SHARED

_language: str | None = None



def set_language(lang: str) -> None:
    """Show every later check's messages and hints in `lang` ("en" or "zh")."""
    global _language
    _language = checked_language(lang)


def check_file(check: Check) -> Path:
    """The pytest module of a check: hidden checks live in the topic's hidden module (left
    out of the student release)."""
    topic = load_course().topic(check.topic)
    return topic.hidden_check_module if check.hidden else topic.check_module


def selected_checks(topic: Topic, exercise: str | None = None, include_hidden: bool = False) -> list[Check]:
    """The checks of `topic` (or of one of its exercises) whose code is present here."""
    if exercise is None:
        checks = topic.checks
    else:
        names = [e.name for e in topic.exercises]
        if exercise not in names:
            raise ValueError(f"{topic.id} has no exercise {exercise!r}; its exercises are {', '.join(names)}")
        checks = next(e for e in topic.exercises if e.name == exercise).checks
    return [check for check in checks if (include_hidden or not check.hidden) and check_file(check).exists()]


def run_in_namespace(namespace: dict, topic: str, exercise: str | None = None, *, include_hidden: bool = False,
                     seed: int | None = None) -> RunResult:
    """Run the checks of `topic` (or of one of its exercises) on the code in `namespace`."""
    course = load_course()
    topic_ = course.topic(topic)
    checks = selected_checks(topic_, exercise, include_hidden)
    submission = InProcessSubmission(namespace)
    if not checks:
        return RunResult(submission=submission.label, seed=seed)
    return run_checks(None, [topic_], submission=submission, only=[check.name for check in checks], seed=seed,
                      include_hidden=include_hidden)


@contextlib.contextmanager
def _quiet_output():
    """Keep what runs meanwhile out of the cell's output: TensorFlow's and Keras's warnings
    (nbgrader scores a test cell with any stderr output as zero) and whatever the code under
    check prints (the command line keeps that in the worker's log too). Both the file
    descriptors (C++ logging, tf.print) and the Python stream objects, which logging
    handlers hold on to, write into the returned buffer meanwhile."""
    caught = io.StringIO()
    streams = [("stdout", 1), ("stderr", 2)]
    saved, patched = {}, []
    with tempfile.TemporaryFile() as native:
        for name, fd in streams:
            stream = getattr(sys, name)
            stream.flush()
            saved[name] = (stream, os.dup(fd))
            os.dup2(native.fileno(), fd)
            try:
                if stream not in patched:
                    stream.write = caught.write  # the kernel's OutStream, patched on the instance
                    patched.append(stream)
            except (AttributeError, TypeError):
                pass  # a plain file object: replacing sys.<name> below still catches Python writes
            setattr(sys, name, caught)
        try:
            yield caught
        finally:
            for name, fd in streams:
                stream, saved_fd = saved[name]
                setattr(sys, name, stream)
                os.dup2(saved_fd, fd)
                os.close(saved_fd)
            for stream in patched:
                del stream.write
            native.seek(0)
            caught.write(native.read().decode(errors="replace"))


def quiet_tensorflow_start() -> None:
    """Import TensorFlow now, keeping its start-up log (CUDA probing, CPU features; no
    environment variable silences all of it) out of the notebook's first cells."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _quiet_output():
        import tensorflow  # noqa: F401


def _code(text: str) -> str:
    """HTML of a message or hint: escaped, with `backticks` as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


class Feedback:
    """The results of a check cell: HTML in JupyterLab, plain text anywhere else."""

    def __init__(self, run: RunResult, course: Course, lang: str, title: str, log: str = ""):
        self.run, self.course, self.lang, self.title, self.log = run, course, lang, title, log

    @property
    def passed(self) -> bool:
        return self.run.all_passed

    def _hints(self, result) -> list[str]:
        if result.status in ("passed", "not_attempted"):
            return []
        return self.course.check(result.topic, hints_from(result)).hints[self.lang]

    def _summary(self) -> str:
        passed = sum(result.status == "passed" for result in self.run.checks)
        return UI[self.lang]["summary"].format(passed=passed, total=len(self.run.checks), score=self.run.score,
                                               max=self.run.max_score)

    def __repr__(self) -> str:
        ui, shared = UI[self.lang], SHARED[self.lang]
        lines = [self.title]
        for result in self.run.checks:
            title = labelled(result.exercise, check_title(result.name, result.exercise, self.lang), self.lang)
            lines.append(f"  {MARKS[result.status][0]} {title}"
                         f"{verdict(result.status, f'{result.points}/{result.max_points}', self.lang)}")
            if result.status != "passed":
                lines.append(f"      {result.message}")
            hints = self._hints(result)
            if hints:
                lines.append("      " + labelled(shared["hint"], hints[0], self.lang))
        lines.append(self._summary() if self.run.checks else ui["no_checks"].format(topics=self.title))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        ui, shared = UI[self.lang], SHARED[self.lang]
        rows = []
        for result in self.run.checks:
            mark, colour = MARKS[result.status]
            row = (f'<li style="margin:0.3em 0"><span style="color:{colour};font-weight:bold">{mark}</span> '
                   + labelled(f"<b>{html.escape(result.exercise)}</b>",
                              html.escape(check_title(result.name, result.exercise, self.lang)), self.lang)
                   + f'<span style="color:#57606a">'
                     f"{verdict(result.status, f'{result.points}/{result.max_points}', self.lang)}</span>")
            if result.status != "passed":
                row += f'<div style="color:{colour};margin-left:1.4em">{_code(result.message)}</div>'
            hints = self._hints(result)
            if hints:
                row += f'<div style="color:#0550ae;margin-left:1.4em">{labelled(shared["hint"], _code(hints[0]), self.lang)}</div>'
                if len(hints) > 1:
                    more = "".join(f"<li>{_code(hint)}</li>" for hint in hints[1:])
                    row += (f'<details style="margin-left:1.4em;color:#0550ae"><summary>{shared["more_hints"]}'
                            f"</summary><ol start=2>{more}</ol></details>")
            rows.append(row + "</li>")
        summary = self._summary() if self.run.checks else ui["no_checks"].format(topics=self.title)
        colour = "#1a7f37" if self.passed else "#24292f"
        return (f'<div class="tf-course-feedback"><div style="font-weight:bold">{html.escape(self.title)}</div>'
                f'<ul style="list-style:none;padding-left:0.5em">{"".join(rows)}</ul>'
                f'<div class="tf-course-summary" style="font-weight:bold;color:{colour}">{html.escape(summary)}</div>'
                "</div>")


def _feedback(namespace: dict, topic: str, exercise: str | None, lang: str | None, include_hidden: bool) -> Feedback:
    course = load_course()
    lang = lang or _language or language()
    topic_ = course.topic(topic)
    title = f"{topic_.id} · {topic_.title[lang]}" + (f" · {exercise}" if exercise else "")
    with _quiet_output() as log, using(lang):  # the checks word their messages in `lang`
        run = run_in_namespace(namespace, topic_.id, exercise, include_hidden=include_hidden)
    return Feedback(run, course, lang, title, log.getvalue())


def check(topic: str, exercise: str | None = None, *, lang: str | None = None,
          namespace: dict | None = None) -> Feedback:
    """Check the code of this notebook (the caller's globals) for `topic`, or for one of its
    exercises, and return the feedback (shown as the cell's output)."""
    namespace = sys._getframe(1).f_globals if namespace is None else namespace
    return _feedback(namespace, topic, exercise, lang, include_hidden=False)


def grade(topic: str, exercise: str, *, lang: str | None = None, namespace: dict | None = None) -> float:
    """An nbgrader test cell: show the feedback of every check of `exercise` (hidden ones
    too) and return the points earned, which nbgrader takes as the cell's partial credit."""
    namespace = sys._getframe(1).f_globals if namespace is None else namespace
    feedback = _feedback(namespace, topic, exercise, lang, include_hidden=True)
    try:
        from IPython.display import display
        display(feedback)
    except ImportError:
        print(repr(feedback))
    return float(feedback.run.score)
