"""`python -m autograder watch`: save the file, see the result (rustlings for TensorFlow).

It opens on the first exercise that does not pass yet, re-checks it on every save of its
topic's file (with the exercises after it in that file that passed before: they may build
on it), and shows each check's targeted message. Keys: h next hint tier, n next exercise
(once this one passes), l list of every exercise (↑ ↓ PgUp PgDn scroll it when it is
taller than the terminal), r twice within a few seconds: reset this exercise to its blank
(a backup is kept unless it is still the blank), q quit; with --manual, Enter re-checks.
Results and hint tiers are saved in the submission folder, so the next `watch` resumes
where this one stopped. A file of an earlier topic that changes is checked again, and
if it no longer passes, `watch` goes back to it (also once every exercise passes).

Re-checks are warm: TensorFlow is imported once per session (engine/warm.py). A submission
that hangs or crashes its worker fails its checks, and the session goes on; a save while a
check runs stops that check and starts again on the new file.
"""
from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.segment import Segment
from rich.text import Text

from autograder.course import Exercise, Topic, load_course
from autograder.selfstudy.checker import Checker
from autograder.i18n import N_, Texts
from autograder.selfstudy.commands import (UI as COMMAND_UI, describe_reset, hint_view, import_failure,
                                           print_hints, progress_table)
from autograder.selfstudy.lookup import find_target, folder_problem
from autograder.selfstudy.reset import reset_exercise
from autograder.selfstudy.state import Progress, checkable, checks_of, exercises_of, fingerprint, key_of
from autograder.report import hanging
from autograder.texts import check_title, labelled, rich_mark, verdict

UI = Texts(
    title=N_("TensorFlow course · watch"), file=N_("File"), of=N_("exercise {index} of {total}"),
    all_pass=N_("All checks of {exercise} pass! Press n for the next exercise."),
    course_done=N_("Every exercise passes. Well done! (l: list, q: quit)"),
    checking=N_("Checking {exercise}…"), starting=N_("Starting: importing TensorFlow once for the session…"),
    checked=N_("Re-check #{count} took {seconds:.2f} s"), warm=N_("TensorFlow stays loaded between checks"),
    cold=N_("TensorFlow is loaded for every check: {why}"),
    save=N_("Save {file} to re-check."), enter=N_("Press Enter to re-check."),
    keys=N_("h hint · n next · l list · r reset · q quit"), keys_list=N_("l or Esc: back · q quit"),
    scroll=N_("lines {first}–{last} of {total} · ↑ ↓ PgUp PgDn: scroll"),
    confirm_reset=N_("Press r again within {seconds} s to reset {exercise} to its blank "
                     "(your version is backed up first)."),
    not_yet=N_("n moves on once every check of {exercise} passes."),
    stale=N_("* checked before the file last changed"),
    crashed=N_("Something went wrong: {error}"),
    resumed=N_("Resumed with the results saved last time."),
    no_exercises=N_("There are no exercises with checks yet."),
    cancelled=N_("Stopped: the file changed while it was being checked; checking again…"),
)


RESET_CONFIRM_SECONDS = 3
# Escape sequences of the keys that scroll the list (normal and application cursor mode).
_SEQUENCES = {"\x1b[A": "up", "\x1bOA": "up", "\x1b[B": "down", "\x1bOB": "down",
              "\x1b[5~": "pgup", "\x1b[6~": "pgdn", "\x1b[H": "home", "\x1bOH": "home", "\x1b[1~": "home",
              "\x1b[F": "end", "\x1bOF": "end", "\x1b[4~": "end"}


def split_keys(text: str) -> list[str]:
    """Key presses in what the terminal sent: characters, and named keys for the escape
    sequences above ("up", "pgdn", ...); other sequences are dropped; Esc alone stays."""
    keys, index = [], 0
    while index < len(text):
        if text[index] == "\x1b" and index + 1 < len(text) and text[index + 1] in "[O":
            end = index + 2
            while end < len(text) and not (text[end].isalpha() or text[end] == "~"):
                end += 1
            sequence = text[index:end + 1]
            if sequence in _SEQUENCES:
                keys.append(_SEQUENCES[sequence])
            index = end + 1
        else:
            keys.append(text[index])
            index += 1
    return keys


@dataclass
class Event:
    kind: str            # "key", "change" (value: file name), "quit", "error" (from an input thread)
    value: str = ""


_SCROLL = ("up", "down", "pgup", "pgdn", "home", "end", "j", "k", " ")


class Watch:
    def __init__(self, folder: Path, lang: str = "en", manual: bool = False, seed: int | None = None,
                 console: Console | None = None, start: Exercise | Topic | None = None, notice: str = ""):
        self.folder = Path(folder)
        self.lang, self.manual, self.start = lang, manual, start
        self.ui = UI[lang]
        self.console = console or Console(highlight=False)
        self.course = load_course()
        self.progress = Progress.load(self.folder)
        self.checker = Checker(self.folder, self.course, self.progress, seed=seed)
        self.events: queue.Queue[Event] = queue.Queue()
        self.current: Exercise | None = None
        self.listing = False
        self.list_offset = 0          # first line of the list shown (it scrolls)
        self.notice = notice          # one line under the results (reset done, errors, ...)
        self._keep_notice = bool(notice)
        self._reset_deadline = 0.0    # a second r before this (monotonic) resets
        self.status = self.ui["starting"]
        self.checking = False
        self.rechecks = 0
        self.started = False          # the first exercise is found
        self._checked_stamp: str | None = None  # fingerprint of the last completed re-check
        self._running_stamp: str | None = None  # ... and of the one in progress
        self._stop = threading.Event()

    # -- the session ----------------------------------------------------------------------
    def run(self) -> int:
        with self._terminal():
            threading.Thread(target=self._guarded(self._read_keys), daemon=True).start()
            if not self.manual:
                threading.Thread(target=self._guarded(self._watch_files), daemon=True).start()
            try:
                self.render()
                if isinstance(self.start, Topic):  # its first exercise that does not pass
                    self._move_to(self._first_unpassed(within=self.start))
                elif self.start is not None:  # asked for: check it now unless its saved result holds
                    self._move_to(self.start)
                    if self.progress.result(self.start, self._topic()) is None:
                        self.recheck(force=True)
                else:
                    self._move_to(self._first_unpassed())
                if not self.rechecks:
                    self.status = self.ui["resumed"]
                    self.render()
                while True:
                    try:
                        event = self.events.get(timeout=0.05)
                    except queue.Empty:
                        self.checker.prepare()  # idle: fork the next re-check's worker
                        self._expire_reset()
                        continue
                    if not self._handle(event):
                        break
            except KeyboardInterrupt:
                pass
            finally:
                self._stop.set()
                self.progress.save()
                self.checker.close()
        return 0

    def _handle(self, event: Event) -> bool:
        """One event; False ends the session."""
        if event.kind == "quit" or (event.kind == "key" and event.value in ("q", "Q")):
            return False
        if event.kind == "error":
            self.notice = self.ui["crashed"].format(error=event.value)
            self.render()
            return True
        if event.kind == "change":
            topic = self._topic()
            if topic is not None and event.value == topic.file:
                self._drain_changes(topic.file)
                self.recheck()
            elif self._is_earlier_file(event.value):
                self._drain_changes(event.value)
                self.notice = ""
                self._checked_stamp = None
                self._move_to(self._first_unpassed())  # re-checks it: did it break?
            return True
        key = event.value
        if key not in ("r", "R"):
            self._reset_deadline = 0.0
        if self.listing:
            if key in ("l", "L", "\x1b"):
                self.listing = False
                self.render()
            elif key in _SCROLL:
                self._scroll(key)
            return True
        if key in ("\r", "\n") and self.manual:
            self.recheck(force=True)
        elif key in ("h", "H"):
            self.hint()
        elif key in ("n", "N"):
            self.next()
        elif key in ("l", "L"):
            self.listing = True
            self.render()
        elif key in ("r", "R"):
            self.reset()
        return True

    def _drain_changes(self, file: str) -> None:
        """Saves come in bursts (editors write twice): one re-check for all of them."""
        kept = []
        with contextlib.suppress(queue.Empty):
            while True:
                event = self.events.get_nowait()
                if not (event.kind == "change" and event.value == file):
                    kept.append(event)
        for event in kept:
            self.events.put(event)

    # -- actions ----------------------------------------------------------------------------
    def _topic(self, exercise: Exercise | None = None) -> Topic | None:
        exercise = exercise or self.current
        return None if exercise is None else self.course.topic(exercise.topic)

    def _first_unpassed(self, after: Exercise | None = None, within: Topic | None = None) -> Exercise | None:
        """The first exercise (after `after`, wrapping around; of `within` only, or its first
        when all of them pass) that does not pass, checking topics whose saved results are
        missing or stale on the way."""
        order = exercises_of(self.course)
        if within is not None:
            order = [exercise for exercise in order if exercise.topic == within.id]
            found = self._first_unpassed_in(order)
            return found or (order[0] if order else None)
        if after is not None and after in order:
            start = order.index(after) + 1
            order = order[start:] + order[:start]
        return self._first_unpassed_in(order)

    def _first_unpassed_in(self, order: list[Exercise]) -> Exercise | None:
        for exercise in order:
            topic = self._topic(exercise)
            result = self.progress.result(exercise, topic)
            if result is None:
                stale = [other for other in topic.exercises if checks_of(other)
                         and self.progress.result(other, topic) is None]
                self._run(topic, stale, exercise)
                result = self.progress.result(exercise, topic, any_age=True)
            if result is None or result.status != "passed":
                return exercise
        return None

    def _is_earlier_file(self, file: str) -> bool:
        """A checkable topic's file that comes before the current exercise's (any, once
        every exercise passes): a change there may break what passed."""
        order = [topic.file for topic in self.course.topics if checkable(topic)]
        if file not in order or not self.started:
            return False
        return self.current is None or order.index(file) < order.index(self._topic().file)

    def _move_to(self, exercise: Exercise | None) -> None:
        self.current, self.started = exercise, True
        self.progress.current = key_of(exercise) if exercise else None
        self.progress.save()
        self.render()

    def _run(self, topic: Topic, exercises: list[Exercise], shown: Exercise) -> bool:
        """Run checks with the screen saying so; False when cancelled or broken."""
        self.checking = True
        self.status = self.ui["checking"].format(exercise=shown.name)
        self.render()
        started = time.monotonic()
        try:
            run = self.checker.run(topic, exercises)
        except Exception as error:  # a broken check module must not end the session
            self.notice = self.ui["crashed"].format(error=f"{type(error).__name__}: {error}")
            self.status = ""
            return False
        finally:
            self.checking = False
        seconds = time.monotonic() - started
        if run is None:
            self.status = self.ui["cancelled"]
            return False
        self.rechecks += 1
        how = self.ui["warm"] if self.checker.warm_problem is None else \
            self.ui["cold"].format(why=self.checker.warm_problem)
        self.status = f"{self.ui['checked'].format(count=self.rechecks, seconds=seconds)} · {how}"
        return True

    def recheck(self, force: bool = False) -> None:
        """Re-check the current exercise and the exercises after it in its file that passed."""
        if self.current is None:
            return
        topic = self._topic()
        stamp = fingerprint(self.folder, topic)
        if stamp == self._checked_stamp and not force:
            return  # the same file as last time (an editor's second write)
        later = topic.exercises[topic.exercises.index(self.current) + 1:]
        dependents = [exercise for exercise in later if checks_of(exercise)
                      and (result := self.progress.result(exercise, topic, any_age=True)) and result.status == "passed"]
        if not self._keep_notice:
            self.notice = ""
        self._running_stamp = stamp
        if self._run(topic, [self.current, *dependents], self.current):
            self._checked_stamp = stamp
            self._keep_notice = False
        self.render()

    def hint(self) -> None:
        if self.current is not None:
            result = self.progress.result(self.current, self._topic(), any_age=True)
            if import_failure(result) is not None:
                self.notice = COMMAND_UI[self.lang]["fix_import"].format(file=self._topic().file,
                                                                         exercise=self.current.name)
                self.render()
                return
            if result is not None and result.status == "passed":
                self.notice = COMMAND_UI[self.lang]["passes"].format(exercise=self.current.name)
                self.render()
                return
            hint_view(self.course, self.progress, self.current, self.lang, advance=True)
            self.progress.save()
            self.render()

    def next(self) -> None:
        if self.current is None:
            return
        result = self.progress.result(self.current, self._topic(), any_age=True)
        if result is None or result.status != "passed":
            self.notice = self.ui["not_yet"].format(exercise=self.current.name)
            self.render()
            return
        self.notice = ""
        self._checked_stamp = None
        self._move_to(self._first_unpassed(after=self.current))

    def reset(self) -> None:
        """The first r asks for a second one within a few seconds; the second resets."""
        if self.current is None:
            return
        if time.monotonic() > self._reset_deadline:
            self._reset_deadline = time.monotonic() + RESET_CONFIRM_SECONDS
            self.notice = self.ui["confirm_reset"].format(seconds=RESET_CONFIRM_SECONDS, exercise=self.current.name)
            self.render()
            return
        self._reset_deadline = 0.0
        try:
            result = reset_exercise(self.folder, self._topic(), self.current.name)
        except FileNotFoundError as error:
            self.notice = str(error)
            self.render()
            return
        for check in self.current.checks:
            self.progress.hints.pop(check.id, None)
        self.notice = describe_reset(result, self.current, self.lang)
        if not result.changed:  # still the blank: nothing was written, nothing to re-check
            self.render()
            return
        self._keep_notice = True  # through the re-check of the reset file
        if self.manual:
            self.recheck(force=True)
        else:
            self.render()  # the file watcher sees the write and re-checks

    def _expire_reset(self) -> None:
        """The time for the second r is over: the question leaves the screen."""
        if self._reset_deadline and time.monotonic() > self._reset_deadline:
            self._reset_deadline = 0.0
            self.notice = ""
            self.render()

    def _scroll(self, key: str) -> None:
        page = max(1, self._list_rows() - 1)
        step = {"up": -1, "k": -1, "down": 1, "j": 1, "pgup": -page, "pgdn": page, " ": page,
                "home": -10**6, "end": 10**6}[key]
        self.list_offset += step
        self.render()  # clamps the offset

    # -- the screen -------------------------------------------------------------------------
    def render(self) -> None:
        console = self.console
        console.clear()
        console.print(Rule(f"[bold]{self.ui['title']}[/]", align="left"))
        if self.listing:
            self._render_list()
        elif self.current is None and self.started:
            console.print(self.ui["course_done"] if exercises_of(self.course) else self.ui["no_exercises"],
                          style="bold green")
        elif self.current is not None:
            self._render_exercise()
        for line in self._footer():
            console.print(line)

    def _footer(self) -> list[Text]:
        """The lines under the screen's content: notice, status, what to do, the keys."""
        lines = []
        if self.notice:
            lines.append(Text(self.notice, style="yellow"))
        if self.status:
            lines.append(Text(self.status, style="dim"))
        if self.current is not None and not self.listing:
            topic = self._topic()
            lines.append(Text(self.ui["enter"] if self.manual else self.ui["save"].format(file=topic.file), style="dim"))
        lines.append(Text(self.ui["keys_list"] if self.listing else self.ui["keys"], style="bold"))
        return lines

    def _render_exercise(self) -> None:
        console, lang = self.console, self.lang
        exercise, topic = self.current, self._topic()
        order = exercises_of(self.course)
        index = order.index(exercise) + 1 if exercise in order else 0
        console.print(f"[bold]{escape(exercise.name)}[/] · {topic.id} {escape(topic.title[lang])} · "
                      f"{self.ui['of'].format(index=index, total=len(order))}")
        console.print(escape(exercise.summary[lang]))
        console.print(labelled(self.ui["file"], escape(str(self.folder / topic.file)), lang))
        console.print()
        result = self.progress.result(exercise, topic, any_age=True)
        if result is not None:
            for check in result.checks:
                points = f"{check['points']}/{check['max_points']}"
                console.print(f"{rich_mark(check['status'])} {escape(check_title(check['name'], exercise.name, lang))}"
                              f"[dim]{verdict(check['status'], points, lang)}[/]")
                if check["status"] != "passed" and check["message"]:
                    style = "yellow" if check["status"] == "not_attempted" else "red"
                    console.print(hanging("    ", check["message"], style))
            if result.status == "passed":
                console.print(self.ui["all_pass"].format(exercise=exercise.name), style="bold green")
        view = hint_view(self.course, self.progress, exercise, lang, advance=False)
        if view is not None and view.tiers:
            console.print()
            print_hints(console, view, lang)
        console.print()

    def _list_lines(self) -> list[list[Segment]]:
        table, counts = progress_table(self.course, self.progress, self.lang, any_age=True)
        parts = [table, Text(COMMAND_UI[self.lang]["summary"].format(**counts), style="bold"),
                 Text(self.ui["stale"], style="dim")]
        options = self.console.options
        return [line for part in parts for line in self.console.render_lines(part, options, pad=False)]

    def _list_rows(self) -> int:
        """Terminal rows left for the list: all but the title, the footer, and the last row
        (printing into it would scroll the title away)."""
        options = self.console.options
        footer = sum(len(self.console.render_lines(line, options, pad=False)) for line in self._footer())
        return max(3, self.console.size.height - 2 - footer)

    def _render_list(self) -> None:
        """The list of every exercise; when it is taller than the terminal, a window of it
        that ↑ ↓ PgUp PgDn move, with a line saying which part is shown."""
        lines, rows = self._list_lines(), self._list_rows()
        if len(lines) > rows:
            rows -= 1  # for the line saying where we are
        self.list_offset = max(0, min(self.list_offset, len(lines) - rows))
        window = lines[self.list_offset:self.list_offset + rows]
        for line in window:
            self.console.print(Text.assemble(*((segment.text, segment.style) for segment in line)), no_wrap=True)
        if len(window) < len(lines):
            self.console.print(self.ui["scroll"].format(first=self.list_offset + 1, last=self.list_offset + len(window),
                                                        total=len(lines)), style="dim")

    # -- input --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _terminal(self):
        """Single key presses without Enter (cbreak), restored on the way out."""
        fd = sys.stdin.fileno() if sys.stdin is not None else -1
        if fd < 0 or not os.isatty(fd):
            yield
            return
        import termios
        import tty
        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        try:
            yield
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def _put(self, event: Event) -> None:
        """From the input threads: a quit or a save of the current file stops a running check."""
        topic = self._topic()
        quit = event.kind == "quit" or (event.kind == "key" and event.value in ("q", "Q"))
        changed = event.kind == "change" and topic is not None and event.value == topic.file \
            and fingerprint(self.folder, topic) != self._running_stamp  # not the content being checked
        if self.checking and (quit or changed):
            self.checker.cancel()
        self.events.put(event)

    def _guarded(self, body):
        """Runs an input thread; an error ends up on the screen, not in a silent thread death."""
        def run():
            try:
                body()
            except Exception as error:
                self.events.put(Event("error", f"{body.__name__}: {type(error).__name__}: {error}"))
        return run

    def _read_keys(self) -> None:
        if sys.stdin is None:
            return
        # A copy of the terminal's descriptor: pytest points fd 0 at /dev/null while checks run.
        fd = os.dup(sys.stdin.fileno())
        while not self._stop.is_set():
            try:
                data = os.read(fd, 64)
            except OSError:
                break
            if not data:
                if not self.manual:
                    break  # no keyboard (stdin closed): keep watching files
                self._put(Event("quit"))
                break
            for key in split_keys(data.decode(errors="replace")):
                self._put(Event("key", key))

    def _watch_files(self) -> None:
        import watchfiles

        folder = self.folder.resolve()

        def wanted(change, path: str) -> bool:
            return path.endswith(".py") and Path(path).parent == folder

        for changes in watchfiles.watch(folder, watch_filter=wanted, stop_event=self._stop, step=30,
                                        rust_timeout=500, raise_interrupt=False):
            for name in sorted({Path(path).name for _, path in changes}):
                self._put(Event("change", name))


def _lean_pytest() -> None:
    """Every re-check is one in-process pytest run: skip what the checks don't use (plugins
    from entry points: xdist, anyio, ...; the unraisable-exception hook's gc.collect() runs),
    about a tenth of a second each time. Only this process is affected."""
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    os.environ["PYTEST_ADDOPTS"] = (os.environ.get("PYTEST_ADDOPTS", "") + " -p no:unraisableexception").strip()


def cmd_watch(args) -> int:
    course = load_course()
    start = None
    if args.exercise:
        try:
            topic, exercise = find_target(course, args.exercise, args.lang)
        except LookupError as error:
            print(error.args[0], file=sys.stderr)
            return 2
        start = exercise or topic
    problem = folder_problem(args.submission, [t for t in course.topics if checkable(t)], args.lang)
    if problem is not None and problem[1]:
        print(problem[0], file=sys.stderr)
        return 2
    _lean_pytest()
    return Watch(args.submission, args.lang, manual=args.manual, seed=args.seed, start=start,
                 notice=problem[0] if problem else "").run()
