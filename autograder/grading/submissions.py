"""A class's submissions: one sub-folder per student, turned into exercise files.

    for found in discover(Path("submissions"), course):
        problems = materialize(found, Path("/tmp/x"), course)   # writes e01_tensors.py, ...

A student's folder may hold the exercise files (`e01_tensors.py`), the course's notebooks
(`e01_tensors.ipynb`, converted to a module with jupytext, without their check cells), or
`.zip` archives of either (unpacked with limits: no absolute or `..` paths, no links, at
most MAX_FILES files and MAX_BYTES bytes). Files may sit in one nested folder (as a zip
of a folder gives). What cannot be read is reported per topic, never raised.
"""
from __future__ import annotations

import hashlib
import io
import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from autograder.i18n import _
from autograder.course import Course

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


class Unreadable(Exception):
    """A submitted file that cannot become an exercise module; the message says why."""


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


def notebook_to_module(data: bytes, name: str) -> str:
    """A course notebook as Python source: its code cells, without the cells that run
    checks (nbgrader's test cells, or any cell calling the autograder)."""
    import jupytext
    import nbformat

    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # broken JSON, not UTF-8, not a notebook
        raise Unreadable(_("{name} is not a readable notebook ({error_type}: {detail})", name=name,
                           error_type=type(error).__name__, detail=str(error).splitlines()[0] if str(error) else "")) from None
    kept = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            kept.append(cell)
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if (meta.get("grade") and not meta.get("solution")) or "autograder" in cell.source:
            continue
        kept.append(cell)
    notebook.cells = kept
    return jupytext.writes(notebook, fmt="py:percent")


def materialize(found: Found, target: Path, course: Course) -> dict[str, str]:
    """Write the submission's exercise modules into `target` (created); returns
    {topic id: why its file could not be read} for the topics that failed."""
    target.mkdir(parents=True, exist_ok=True)
    files, problems = _gather(found.folder)
    modules = {topic.module: topic for topic in course.topics}
    chosen: dict[str, tuple[int, str]] = {}  # module -> (depth, relative path); shallowest wins, .py first
    for relative in sorted(files):
        path = PurePosixPath(relative)
        if path.suffix not in (".py", ".ipynb") or path.stem not in modules or len(path.parts) > MAX_DEPTH + 1:
            continue
        rank = (len(path.parts), path.suffix != ".py")
        if path.stem not in chosen or rank < chosen[path.stem][0]:
            chosen[path.stem] = (rank, relative)
    unreadable = {}
    for module, (_, relative) in chosen.items():
        try:
            if relative.endswith(".ipynb"):
                source = notebook_to_module(files[relative], PurePosixPath(relative).name).encode("utf-8")
            else:
                source = files[relative]  # as submitted: a non-UTF-8 file fails at import, in the worker
            (target / f"{module}.py").write_bytes(source)
        except Unreadable as error:
            unreadable[modules[module].id] = str(error)
    if problems and not chosen:
        for topic in course.topics:
            unreadable.setdefault(topic.id, "; ".join(problems))
    return unreadable
