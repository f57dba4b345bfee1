"""What the worker tells a student about an error of their code, in their language.

Only the student's own code is named: the file, the line and its source text, never the
importer's frames (`<frozen importlib._bootstrap>`). A file that is not UTF-8 gets one
sentence that says so and what to do. `check` and `watch` both get these words from the
worker, so they say the same. The worker runs in another process: the command line passes
its --lang on in the environment variable AUTOGRADER_LANG (autograder/i18n.py).

    describe(error, frames)              # "NameError: name 'tf' is not defined (e01_tensors.py, line 3: `x = tf.one`)"
    import_failure(path, error, frames)  # "e01_tensors.py could not be imported: SyntaxError: ..."
    cause(error)                         # "AttributeError: 'SymbolicTensor' object has no attribute 'numpy'"
    is_import_failure(message)           # True: the file as a whole, not one exercise, failed
"""
from __future__ import annotations

import io
import os
import re
import tokenize
import traceback
from pathlib import Path

from autograder.i18n import N_, Texts, language

UI = Texts(
    exit=N_("your code called sys.exit({code}); a submission must return, not exit"),
    interrupt=N_("your code raised KeyboardInterrupt"),
    where=N_(" ({file}, line {line}: `{source}`)"),
    where_no_source=N_(" ({file}, line {line})"),
    import_failed=N_("{file} could not be imported: {error}"),
    not_utf8=N_("{file} is not saved as UTF-8 (byte {byte} at line {line}): save it as UTF-8"),
    missing=N_("{file} is not in the submission"),
    blank_import=N_("{file} raises NotImplementedError when imported"),
    cell_skipped=N_("cell {cell} of your notebook raised {error} when the notebook was imported: that cell was "
                    "skipped, the exercises defined in the other cells were graded"),
)


# What the worker says when a file cannot be imported at all (in any language).
_FILE_LEVEL = ("import_failed", "not_utf8", "missing", "blank_import")


def text(key: str, **fields) -> str:
    return UI[language()][key].format(**fields)


def _where(file: str | None, line: int | None, source: str | None) -> str:
    if not file or not line:
        return ""
    source = (source or "").strip()
    key = "where" if source else "where_no_source"
    return text(key, file=Path(file).name, line=line, source=source)


# TensorFlow's and Keras's wrappers around the real error: their first line names no cause.
_IN_USER_CODE = "in user code:"  # TensorFlow's own text, raised inside a tf.function
_KERAS_CALL = re.compile(r"^Exception encountered when calling .*")  # Keras's own text, inside a layer's call
_PLACE = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
_CAUSE = re.compile(r"^\s*(?P<type>[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt)): ?(?P<text>.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _cause(error: BaseException, frames: list[traceback.FrameSummary]) -> tuple[str, str, tuple | None]:
    """(type name, first line of the real message, (file, line, source) in the student's
    code or None): through TensorFlow's "in user code:" and Keras's "Exception encountered
    when calling ...", whose first lines say where, not what."""
    kind, lines, place = type(error).__name__, _ANSI.sub("", str(error)).strip().splitlines(), None
    if lines and lines[0].strip() == _IN_USER_CODE:
        student_files = {frame.filename for frame in frames}   # whole paths: the grader's probe has the same name
        for index, line in enumerate(lines):
            found = _PLACE.match(line)
            if found and found["file"] in student_files:
                source = lines[index + 1].strip() if index + 1 < len(lines) else ""
                place = (found["file"], int(found["line"]), source)
        causes = [index for index, line in enumerate(lines) if _CAUSE.match(line)]
        if causes:
            found = _CAUSE.match(lines[causes[-1]])
            kind, lines = found["type"], [found["text"]] + lines[causes[-1] + 1:]
    lines = [line.strip() for line in lines]
    if lines and _KERAS_CALL.match(lines[0]):
        lines = [line for line in lines[1:] if line] or lines
    first = lines[0] if lines else ""
    if first.startswith(f"{kind}: "):   # a message that names its own type: say it once
        first = first[len(kind) + 2:]
    return kind, first, place


def cause(error: BaseException) -> str:
    """`Type: first line of the real message`, its type said once (for a probe's own words)."""
    kind, first, _place = _cause(error, [])
    return f"{kind}: {first}" if first else kind


def describe(error: BaseException, frames: list[traceback.FrameSummary]) -> str:
    """`Type: first line of the message (file, line N: `source`)`, where the place is the
    last of `frames` (the student's frames of the traceback), if any. An error raised
    inside a tf.function or a Keras layer's call is described by its real cause and, where
    TensorFlow quotes it, the student's line that raised it."""
    if isinstance(error, SystemExit):
        return text("exit", code=repr(error.code))
    if isinstance(error, KeyboardInterrupt):
        return text("interrupt")
    kind, first, place = _cause(error, frames)
    detail = f": {first}" if first else ""
    if place is not None:
        where = _where(*place)
    else:
        where = _where(frames[-1].filename, frames[-1].lineno, frames[-1].line) if frames else ""
    return f"{kind}{detail}{where}"


def import_failure(path: Path, error: BaseException, frames: list[traceback.FrameSummary]) -> str:
    """Why the student's file `path` could not be imported."""
    if isinstance(error, (SyntaxError, UnicodeError)):
        undecodable = _first_undecodable_byte(path)
        if undecodable is not None:
            byte, line = undecodable
            return text("not_utf8", file=path.name, byte=f"0x{byte:02x}", line=line)
    if isinstance(error, SyntaxError) and error.filename and os.path.basename(error.filename) == path.name:
        # The compiler's own place (str(error) would repeat it without the source line).
        what = f"{type(error).__name__}: {error.msg}{_where(error.filename, error.lineno, error.text)}"
    else:
        what = describe(error, frames)
    return text("import_failed", file=path.name, error=what)


def _first_undecodable_byte(path: Path) -> tuple[int, int] | None:
    """(byte, line) of the first byte that is not UTF-8 in a file Python reads as UTF-8
    (no other encoding declared), or None."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:  # no valid declaration, and the first lines are not UTF-8
        encoding = "utf-8"
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return data[bad.start], data.count(b"\n", 0, bad.start) + 1
    return None


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{\w+\}", template)
    return re.compile(".+".join(re.escape(part) for part in parts), re.DOTALL)


_FILE_LEVEL_PATTERNS = [_pattern(UI[lang][key]) for lang in UI for key in _FILE_LEVEL]


def is_import_failure(message: str) -> bool:
    """Whether a check's message says its file could not be imported (so the check never
    reached its exercise, and that exercise's hints would mislead)."""
    return any(pattern.fullmatch(message or "") for pattern in _FILE_LEVEL_PATTERNS)
