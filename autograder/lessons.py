"""Lesson text in English or Chinese, paragraph by paragraph, from one source.

The lesson text of a topic is the prose of its solution file (solutions/ is the one
source): the markdown cells (comment lines in jupytext's percent format), standalone
comments and the prose of docstrings, plus the pictures the topic's notebook adds. Each
paragraph, heading or list item is one *unit*; its English lines (markers and
indentation removed, line breaks kept, so that English comes back byte for byte) are a
msgid of the topic's catalogue `lesson_<module>`, e.g.
autograder/locale/zh_CN/LC_MESSAGES/lesson_e01_tensors.po, the way Sphinx documentation
is translated. Code stays as it is; only its prose is a unit of one line (*inline*): the
comments of the code examples (a fenced code block's comments, a doctest's trailing
comment) and, in code, a string marked `N_("...")` (autograder/i18n.py's marker, e.g. a
picture's axis label).

    lesson_msgids(topic)              what `make catalogues` extracts for a topic
    Lessons.of(topic).python(text, "zh")   a percent-format file or code cell, in Chinese
    Lessons.of(topic).markdown(text, "en") a notebook's markdown cell, in English

Rendering and switching are one operation: every unit of the text whose words are the
course's (in either language, whatever the line breaks) is written in the target
language; everything else, code and any paragraph the student edited, stays byte for
byte. Chinese is wrapped to the width of the English (`WIDTH`) in files, but markdown
(a percent file's markdown cells) only at a space it already has, since Markdown shows a
line break as a space; notebook markdown keeps each unit on one line.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from autograder import i18n
from autograder.classroom.frame import CHECK_ALL, PICTURES, SETUP
from autograder.linebreak import display_width, wrap

WIDTH = 90                      # columns of a lesson line in the .py files
DOMAIN_PREFIX = "lesson_"       # lesson_e01_tensors: one catalogue per topic
FRAME_DOMAIN = "lesson_notebook"  # the cells every notebook adds (frame.SETUP, CHECK_ALL)

_MARKDOWN_CELL = re.compile(r"^# %%.*\[(markdown|md)\]")
_CELL = re.compile(r"^# %%")
_HEADING = re.compile(r"^(#{1,6} )(.*)$")
_ITEM = re.compile(r"^([-*+] |\d{1,2}[.)] )(.*)$")
_NAME = re.compile(r"^`?[A-Za-z_][\w.]*`?$")       # a heading that is only a name: nothing to translate
_DOCSTRING_OPEN = re.compile(r'^(\s*)([rRuU]?)("""|\'\'\')')
_WHITESPACE = re.compile(r"\s+")
# The comment of a line of example code: after code whose quotes are closed, or alone.
_CODE_COMMENT = re.compile(r"""^(?P<lead>(?:[^#'"]|'[^']*'|"[^"]*")*?(?:\s|^)#\s+)(?P<text>.*?)\s*$""")
_MARKED = re.compile(r'(?P<lead>\bN_\(")(?P<text>(?:[^"\\]|\\.)*)"\)')   # N_("a text") in code


def domain(topic) -> str:
    return f"{DOMAIN_PREFIX}{topic.module}"


@dataclass(frozen=True)
class Unit:
    """One paragraph, heading or list item: lines `start` to `stop` (exclusive) of a text,
    the first written `lead + body[0]`, the others `indent + body[i]`, the last followed
    by `tail` (a docstring's closing quotes)."""
    start: int
    stop: int
    lead: str
    indent: str
    body: tuple[str, ...]
    tail: str = ""
    markdown: bool = False    # shown as Markdown: Chinese may break only at its spaces
    inline: bool = False      # prose inside a line of code: one line, never wrapped

    @property
    def msgid(self) -> str:
        return "\n".join(self.body)

    @property
    def key(self) -> str:
        return words(self.msgid)


def words(text: str) -> str:
    """A text without its whitespace: the same words however they are wrapped."""
    return _WHITESPACE.sub("", text)


def _has_prose(text: str) -> bool:
    return any(ch.isalpha() for ch in text) and not _NAME.match(text.strip())


def inline_unit(line: str, index: int, prefix: str = "", pattern: re.Pattern = _CODE_COMMENT) -> Unit | None:
    """The prose inside line `index` of code (written `prefix + line`): its comment, or
    with `_MARKED` its `N_("...")` text. None when there is none, or it is a directive
    (`# doctest: +SKIP`, `# noqa`) or no prose."""
    found = pattern.search(line)
    if not found or not any(ch.isalpha() for ch in found["text"]):
        return None
    if pattern is _CODE_COMMENT and (not _has_prose(found["text"])     # a marked text is prose by its marking
                                     or re.match(r"doctest:|noqa\b|type:|pragma:", found["text"])):
        return None
    lead = prefix + line[:found.start("text")]
    return Unit(index, index + 1, lead, lead, (found["text"],), line[found.end("text"):], inline=True)


# --- finding units -------------------------------------------------------------------

def markdown_units(contents: list[str], prefix: str = "", empty: str = "", offset: int = 0,
                   markdown: bool = True) -> list[Unit]:
    """The units of markdown lines `contents` (each written `prefix + content`, or `empty`
    when blank), numbered from `offset`; the comments of its fenced code are inline units.
    `markdown`: whether the text is shown as Markdown (not a comment of a code cell)."""
    units: list[Unit] = []
    current: dict | None = None
    fenced = False

    def close():
        nonlocal current
        if current and _has_prose("\n".join(current["body"])):
            units.append(Unit(current["start"], current["stop"], current["lead"], current["indent"],
                              tuple(current["body"]), markdown=markdown))
        current = None

    for index, content in enumerate(contents, offset):
        if content.lstrip().startswith("```"):
            close()
            fenced = not fenced
            continue
        if fenced:
            comment = inline_unit(content, index, prefix)
            units += [comment] if comment else []
            continue
        if not content.strip():
            close()
            continue
        heading, item = _HEADING.match(content), _ITEM.match(content)
        if heading:
            close()
            current = {"start": index, "stop": index + 1, "lead": prefix + heading[1], "indent": prefix,
                       "body": [heading[2]]}
            close()
        elif item:
            close()
            current = {"start": index, "stop": index + 1, "lead": prefix + item[1],
                       "indent": prefix + " " * len(item[1]), "body": [item[2]]}
        elif current is not None and content.startswith(current["indent"][len(prefix):]):
            current["body"].append(content[len(current["indent"]) - len(prefix):])
            current["stop"] = index + 1
        else:  # a new paragraph (also a list item's line that lacks its indentation)
            close()
            current = {"start": index, "stop": index + 1, "lead": prefix, "indent": prefix, "body": [content]}
    close()
    return units


def _docstring_spans(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line index of every docstring: from the syntax tree, or, for a file
    that does not parse, a triple-quoted string right after a line ending with `:`."""
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        spans = []
        for index, line in enumerate(lines):
            opening = _DOCSTRING_OPEN.match(line)
            if opening and index and lines[index - 1].rstrip().endswith(":"):
                quote = opening[3]
                rest = line[opening.end():]
                last = index if quote in rest else next(
                    (later for later in range(index + 1, len(lines)) if quote in lines[later]), None)
                if last is not None:
                    spans.append((index, last))
        return spans
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                spans.append((first.lineno - 1, first.end_lineno - 1))
    return sorted(spans)


def _docstring_units(lines: list[str], first: int, last: int) -> list[Unit]:
    opening = _DOCSTRING_OPEN.match(lines[first])
    if not opening:
        return []
    quote, indent = opening[3], opening[1]
    # (line index, lead, content, tail) of every line of the docstring's text
    rows = []
    for index in range(first, last + 1):
        line = lines[index]
        lead = line[:opening.end()] if index == first else indent
        if not line.startswith(lead):   # indented less than the docstring: leave it as it is
            rows.append((index, lead, None, ""))
            continue
        content, tail = line[len(lead):], ""
        if index == last and content.rstrip().endswith(quote):
            cut = content.rstrip()
            content, tail = cut[:-3], cut[-3:] + line[len(line.rstrip()):]
        rows.append((index, lead, content, tail))
    units, block = [], []

    def close():
        prose = [row for row in block]
        if prose and not prose[0][2].lstrip().startswith(">>>") and _has_prose(" ".join(r[2] for r in prose)):
            units.append(Unit(prose[0][0], prose[-1][0] + 1, prose[0][1], indent,
                              tuple(r[2] for r in prose), prose[-1][3]))
        block.clear()

    for row in rows:
        if row[2] is None:
            close()
            continue
        if row[2].lstrip().startswith(">>>"):
            comment = inline_unit(row[2], row[0], row[1])
            if comment:
                units.append(Unit(comment.start, comment.stop, comment.lead, comment.indent, comment.body,
                                  comment.tail + row[3], inline=True))
        blank = not row[2].strip()
        if blank or (row[2].lstrip().startswith(">>>") and block and not block[0][2].lstrip().startswith(">>>")):
            close()
        if not blank:
            block.append(row)
    close()
    return units


def python_units(lines: list[str]) -> list[Unit]:
    """The units of Python source in jupytext's percent format (or one code cell)."""
    units: list[Unit] = []
    index = 0
    while index < len(lines):
        if _MARKDOWN_CELL.match(lines[index]):
            stop = index + 1
            while stop < len(lines) and (lines[stop] == "#" or lines[stop].startswith("# ")) \
                    and not _CELL.match(lines[stop]):
                stop += 1
            contents = [line[2:] for line in lines[index + 1:stop]]
            units += markdown_units(contents, "# ", "#", index + 1, markdown=True)
            index = stop
            continue
        comment = re.match(r"^(\s*)# ", lines[index])
        if comment and not _CELL.match(lines[index]):
            stop, indent = index, comment[1]
            while stop < len(lines) and (lines[stop].startswith(indent + "# ") or lines[stop] == indent + "#"):
                stop += 1
            contents = [line[len(indent) + 2:] for line in lines[index:stop]]
            units += [unit for unit in markdown_units(contents, indent + "# ", indent + "#", index, markdown=False)
                      if not unit.lead.lstrip("# ").startswith("#")]   # a `##` comment is not a heading
            index = stop
            continue
        marked = inline_unit(lines[index], index, pattern=_MARKED)
        units += [marked] if marked else []
        index += 1
    for first, last in _docstring_spans(lines):
        units += _docstring_units(lines, first, last)
    return sorted(units, key=lambda unit: unit.start)


# --- rendering in a language ---------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    english: tuple[str, ...]     # the source's lines, exactly
    chinese: str                 # the translation (line breaks are not significant)


class Lessons:
    """The lesson text of one topic in both languages: a unit of a student's file is the
    course's when its words match an entry's English or Chinese."""

    def __init__(self, entries: list[Entry]):
        self.by_key: dict[str, Entry] = {}
        for entry in entries:
            self.by_key.setdefault(words("\n".join(entry.english)), entry)
            self.by_key.setdefault(words(entry.chinese), entry)

    @staticmethod
    def of(topic) -> "Lessons":
        """The lesson text of `topic` and of the notebook frame (notebooks.py)."""
        return _lessons(domain(topic))

    def _lines(self, unit: Unit, lang: str, width: int | None) -> list[str] | None:
        entry = self.by_key.get(unit.key)
        if entry is None:
            return None
        if lang == "en":
            body = list(entry.english)
        else:
            room = None if width is None or unit.inline else \
                width - max(display_width(unit.lead), display_width(unit.indent))
            body = wrap(entry.chinese, room, anywhere=not unit.markdown)
        lines = [unit.lead + body[0]] + [unit.indent + line if line else unit.indent.rstrip() for line in body[1:]]
        lines[-1] += unit.tail
        return lines

    def _render(self, lines: list[str], units: list[Unit], lang: str, width: int | None) -> list[str]:
        out = list(lines)
        for unit in reversed(units):
            new = self._lines(unit, i18n.checked_language(lang), width)
            if new is None:
                continue
            ending = "\r" if out[unit.stop - 1].endswith("\r") else ""
            out[unit.start:unit.stop] = [line + ending for line in new]
        return out

    def python(self, text: str, lang: str, width: int | None = WIDTH) -> str:
        """A percent-format file or a code cell with its lesson text in `lang`."""
        lines = text.split("\n")
        return "\n".join(self._render(lines, python_units([line.rstrip("\r") for line in lines]), lang, width))

    def markdown(self, text: str, lang: str, width: int | None = None) -> str:
        """A notebook's markdown cell with its lesson text in `lang`."""
        lines = text.split("\n")
        return "\n".join(self._render(lines, markdown_units([line.rstrip("\r") for line in lines]), lang, width))


@lru_cache(maxsize=None)
def _lessons(name: str) -> Lessons:
    entries = {**catalogue_entries(FRAME_DOMAIN), **catalogue_entries(name)}
    return Lessons([Entry(tuple(msgid.split("\n")), chinese) for msgid, chinese in entries.items()])


def catalogue_entries(name: str) -> dict[str, str]:
    """msgid -> Chinese of every translated entry of the compiled catalogue `name` (the
    `.mo` file holds translated, non-fuzzy entries only)."""
    translations = i18n.catalogue(name, "zh")
    catalog = getattr(translations, "_catalog", {})  # gettext.GNUTranslations keeps them here
    return {msgid: text for msgid, text in catalog.items() if isinstance(msgid, str) and msgid and text}


# --- extraction ----------------------------------------------------------------------

def lesson_msgids(topic, solutions: Path | None = None) -> list[tuple[int, str]]:
    """(line, msgid) of every unit of `topic`'s lesson text: its solution file, then its
    notebook's pictures (line 0): their markdown, and the texts their code marks `N_`."""
    path = topic.solution if solutions is None else solutions / topic.file
    found = [(unit.start + 1, unit.msgid) for unit in python_units(path.read_text(encoding="utf-8").split("\n"))]
    for picture in PICTURES.get(topic.id, []):
        found += [(0, unit.msgid) for unit in markdown_units(picture.markdown.split("\n"))
                  + python_units(picture.code.split("\n"))]
    return found


def frame_msgids() -> list[tuple[int, str]]:
    """(0, msgid) of every unit of the cells the notebooks add to every topic."""
    units = python_units(SETUP.split("\n")) + markdown_units(CHECK_ALL.split("\n"))
    return [(0, unit.msgid) for unit in units]


def extract_frame(fileobj, keywords, comment_tags, options):
    """Babel extraction method for autograder/classroom/frame.py: the frame's text."""
    for line, msgid in frame_msgids():
        yield line, None, msgid, []


def extract_lesson(fileobj, keywords, comment_tags, options):
    """Babel extraction method for a solution file (autograder/locale/lessons.cfg): one
    message per paragraph, heading or list item of its lesson text."""
    from autograder.course import load_course

    name = Path(getattr(fileobj, "name", "")).name
    topic = next(topic for topic in load_course().topics if topic.file == name)
    for line, msgid in lesson_msgids(topic):
        yield line, None, msgid, []
