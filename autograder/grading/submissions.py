"""A class's submissions: one sub-folder per student, turned into exercise files.

    for found in discover(Path("submissions"), course):
        written = materialize(found, Path("/tmp/x"), course)   # writes e01_tensors.py, ...
        written.unreadable, written.notes                         # {topic id: why}, {topic id: which file}

A student's folder may hold the exercise files (`e01_tensors.py`), the course's notebooks
(`e01_tensors.ipynb`, as JupyterLab saves them: notebook_module.py turns one into the
module it stands for), copies a browser renamed (`e01_tensors (1).ipynb`), or `.zip`
archives of either (unpacked with limits: no absolute or `..` paths, no links, at
most MAX_FILES files and MAX_BYTES bytes). Files may sit in one nested folder (as a zip
of a folder gives). What cannot be read is reported per topic, never raised.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from autograder.course import Course, Topic
from autograder.grading.notebook_module import Unreadable, notebook_to_module
from autograder.i18n import _

MAX_BYTES = 50 << 20      # per submission, unpacked
MAX_FILES = 500
MAX_DEPTH = 3             # how deep exercise files may sit in a folder or an archive
NAME_BYTES = 100          # a student's safe name, in UTF-8 (file names may have 255: room for suffixes)
HASH_CHARS = 10           # of the hash that ends a shortened name
# Unicode categories escaped in a safe name: controls, format (bidi), separators of lines
# and paragraphs, surrogates (undecodable bytes), private use, unassigned.
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


@dataclass(frozen=True)
class Found:
    student: str          # the folder's safe name (`safe_name`): the gradebook's key, every output's file name
    folder: Path
    files_hash: str       # SHA-256 of every file's relative path and bytes
    problem: str = ""     # why the folder could not be read (then it is not graded; the run says so)


def _walk(folder: Path):
    """Regular files under `folder` (links are skipped), sorted."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not any(part.startswith(".") for part in
                                                                path.relative_to(folder).parts):
            yield path


def files_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in _walk(folder):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        with open(path, "rb") as file:  # in chunks: a huge file costs time, not memory
            digest.update(hashlib.file_digest(file, "sha256").digest())
    return digest.hexdigest()


def safe_name(raw: bytes) -> str:
    """A student folder's name as the course writes it everywhere (gradebook, CSV cells,
    file names): printable UTF-8, at most NAME_BYTES bytes. A byte that is not UTF-8, a
    control or format character (a newline, an escape, a bidi override) and `%` itself
    become `%XX`, so the escaped form still tells the folder apart (`unquote` gives the
    bytes back); a longer name keeps its start and ends in `~` and a hash of the whole."""
    text = raw.decode("utf-8", errors="surrogateescape")
    escaped = "".join(quote(char.encode("utf-8", errors="surrogateescape"), safe="")
                      if char == "%" or unicodedata.category(char) in UNSAFE_CATEGORIES else char for char in text)
    if len(escaped.encode("utf-8")) <= NAME_BYTES:
        return escaped
    suffix = "~" + hashlib.sha256(raw).hexdigest()[:HASH_CHARS]
    kept = escaped.encode("utf-8")[:NAME_BYTES - len(suffix)].decode("utf-8", errors="ignore")
    return kept + suffix


def discover(root: Path, only: list[str] | None = None) -> list[Found]:
    """Each non-hidden sub-folder of `root` is one student's submission, named by its
    `safe_name` (`only`: safe names or folder names). A folder that cannot be read is
    kept with its `problem`, so that the run reports it and goes on with the others."""
    found = []
    for entry in sorted(os.scandir(os.fsencode(root)), key=lambda entry: entry.name):
        if entry.name.startswith(b".") or not entry.is_dir():  # a link to a folder too (Gradescope makes one)
            continue
        student, folder = safe_name(entry.name), Path(os.fsdecode(entry.path))
        if only is not None and student not in only and folder.name not in only:
            continue
        if any(earlier.student == student for earlier in found):  # a name made to match a shortened one
            found.append(Found(student, folder, "", _("another folder has the same name once shortened")))
            continue
        try:
            found.append(Found(student, folder, files_hash(folder)))
        except (OSError, ValueError) as error:
            found.append(Found(student, folder, "", _("its folder could not be read ({error})",
                                                        error=f"{type(error).__name__}: {error.strerror or error}"
                                                        if isinstance(error, OSError) else type(error).__name__)))
    return found


def _unzip(data: bytes, name: str) -> dict[str, bytes]:
    """The members of a zip archive, checked before anything is extracted."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise Unreadable(_("{name} is not a readable zip archive ({error})", name=name, error=error)) from None
    if len(members) > MAX_FILES:
        raise Unreadable(_("{name} holds {count} files, more than the {max_files} allowed",
                           name=name, count=len(members), max_files=MAX_FILES))
    if sum(member.file_size for member in members) > MAX_BYTES:
        raise Unreadable(_("{name} unpacks to more than {mib} MiB", name=name, mib=MAX_BYTES >> 20))
    files = {}
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if member.is_dir():
            continue
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise Unreadable(_("{name} contains an unsafe path: {filename!r}", name=name, filename=member.filename))
        if stat.S_ISLNK(member.external_attr >> 16):
            raise Unreadable(_("{name} contains a symbolic link: {filename!r}", name=name, filename=member.filename))
        with archive.open(member) as source:  # read at most the declared size, plus one byte
            content = source.read(member.file_size + 1)
        if len(content) > member.file_size:
            raise Unreadable(_("{name}: {filename!r} is larger than it claims", name=name, filename=member.filename))
        files[str(path)] = content
    return files


def _gather(folder: Path) -> tuple[dict[str, bytes], list[str]]:
    """Every file of a submission as {relative path: bytes}, zips unpacked in place."""
    files: dict[str, bytes] = {}
    problems = []
    total = 0
    for path in _walk(folder):
        relative = str(path.relative_to(folder))
        total += path.stat().st_size
        if total > MAX_BYTES:
            problems.append(_("the submission is larger than {mib} MiB; the rest was ignored", mib=MAX_BYTES >> 20))
            break
        if path.suffix == ".zip":
            try:
                for inner, content in _unzip(path.read_bytes(), path.name).items():
                    files[f"{relative}/{inner}"] = content
            except Unreadable as error:
                problems.append(str(error))
        else:
            files[relative] = path.read_bytes()
    return files, problems


def holds_notebooks(folder: Path, course: Course) -> bool:
    """`folder` holds a topic's notebook or a renamed copy of its file, which only
    `materialize` reads (`check` reads exercise files by their names)."""
    return Path(folder).is_dir() and any(
        path.suffix in (".py", ".ipynb") and any((path.suffix == ".ipynb" and path.stem == topic.module)
                                                 or renamed(path.stem, topic.module) for topic in course.topics)
        for path in Path(folder).iterdir())


def renamed(stem: str, module: str) -> bool:
    """`stem` is `module` as a browser or JupyterLab renames a copy: "e01_tensors (1)",
    "e01_tensors-Copy1", "e01_tensors copy 2"."""
    return re.fullmatch(rf"{re.escape(module)}(?: ?\(\d+\)|-Copy\d+| copy(?: \d+)?)", stem) is not None


def worked_exercises(source: str, topic: Topic) -> int:
    """How many of `topic`'s exercises the source defines other than as their blank
    (selfstudy/reset.py's blank detection, read from the source)."""
    from autograder.selfstudy.reset import is_blank_definition, locate  # here: `check` starts sooner

    return sum(1 for exercise in topic.exercises
               if (found := locate(source, exercise.name)) is not None and not is_blank_definition(found[2]))


@dataclass
class _Candidate:
    relative: str
    source: bytes | None = None     # the module's source; None when the file is unreadable
    code: str = ""                  # its code as written (a notebook's kept cells)
    problem: str = ""
    notes: list[str] = field(default_factory=list)
    worked: int = 0

    def rank(self, module: str) -> tuple:
        """Lower is better: most exercises worked on, then the shallowest, the file's own
        name before a renamed copy, .py before a notebook."""
        path = PurePosixPath(self.relative)
        return (-self.worked, self.source is None, len(path.parts), path.stem != module, path.suffix != ".py",
                self.relative)


def _read_candidate(relative: str, data: bytes, topic: Topic) -> _Candidate:
    candidate = _Candidate(relative)
    try:
        if relative.endswith(".ipynb"):
            converted = notebook_to_module(data, PurePosixPath(relative).name, topic)
            candidate.source, candidate.code, candidate.notes = (converted.source.encode("utf-8"), converted.code,
                                                                 converted.notes)
        else:
            candidate.source = data  # as submitted: a non-UTF-8 file fails at import, in the worker
            candidate.code = data.decode("utf-8", "replace")
    except Unreadable as error:
        candidate.problem = str(error)
        return candidate
    candidate.worked = worked_exercises(candidate.code, topic)
    return candidate


@dataclass
class Materialized:
    unreadable: dict[str, str] = field(default_factory=dict)   # topic id -> why its file could not be read
    notes: dict[str, str] = field(default_factory=dict)        # topic id -> which file was graded, what was left out


def materialize(found: Found, target: Path, course: Course) -> Materialized:
    """Write the submission's exercise modules into `target` (created). Of several files
    for one topic (a blank .py beside a filled notebook, a browser's renamed copy), the one
    with the most exercises worked on is graded, and the notes say which."""
    target.mkdir(parents=True, exist_ok=True)
    files, problems = _gather(found.folder)
    by_module = {topic.module: topic for topic in course.topics}
    candidates: dict[str, list[_Candidate]] = {}
    for relative in sorted(files):
        path = PurePosixPath(relative)
        if path.suffix not in (".py", ".ipynb") or len(path.parts) > MAX_DEPTH + 1:
            continue
        module = next((module for module in by_module if path.stem == module or renamed(path.stem, module)), None)
        if module is not None:
            candidates.setdefault(module, []).append(_read_candidate(relative, files[relative], by_module[module]))
    result = Materialized()
    for module, found_files in candidates.items():
        topic = by_module[module]
        chosen = min(found_files, key=lambda candidate: candidate.rank(module))
        if chosen.source is None:
            result.unreadable[topic.id] = chosen.problem
            continue
        (target / f"{module}.py").write_bytes(chosen.source)
        notes = list(chosen.notes)
        others = [candidate.relative for candidate in found_files if candidate is not chosen]
        if others:
            notes.insert(0, _("graded {file}, the file with the most exercises worked on (also handed in: {others})",
                              file=chosen.relative, others=", ".join(others)))
        elif chosen.relative != topic.file:
            notes.insert(0, _("graded {file}", file=chosen.relative))
        if notes:
            result.notes[topic.id] = "; ".join(notes)
    if problems and not candidates:
        for topic in course.topics:
            result.unreadable.setdefault(topic.id, "; ".join(problems))
    return result


@contextlib.contextmanager
def as_exercise_folder(folder: Path, course: Course):
    """(folder of exercise files, {topic id: note}) for `check --submission folder`: the
    folder itself, or, when it holds notebooks or renamed copies, a temporary folder with
    the modules `materialize` makes of them (removed afterwards)."""
    if not holds_notebooks(folder, course):
        yield Path(folder), {}
        return
    with tempfile.TemporaryDirectory(prefix="course-notebooks-") as temporary:
        written = materialize(Found(Path(folder).name, Path(folder), ""), Path(temporary) / "files", course)
        yield Path(temporary) / "files", {**written.unreadable, **written.notes}
