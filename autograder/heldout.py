"""Which file a check scores on: the grader's held-out split under `grade`, the public test
split everywhere else.

Data a grade is measured on never ships to students (design principle 3). A topic names
its grader-only files in the course map (`heldout = ["mnist_test.npz"]`, `Topic.heldout`);
they live in `data/heldout/`, with their own `data/heldout/SHA256SUMS`. `release` leaves
the folder out, the Gradescope package keeps it for its grader only (root-readable), and no
worker sees it under `grade` (bubblewrap's allow-list holds no data/). Any file type will
do: the course's own file is the format's example.

In a check (the trusted side), one call answers "which file do I score on?":

    from autograder import heldout
    path = heldout.scoring_file("mnist_test.npz", public=heldout.DATA / "mnist.npz")

It is the held-out file when this process grades (the instructor's copy under `grade
--heldout DIR`), verified against the SHA-256 taken when grading started; otherwise (`check`,
a notebook, plain pytest) it is `public`, the test split that ships. So a held-out file
holds what the public one holds for the check (e04: `x_test` and `y_test`), and the check
reads both alike.

`grade` (grading/batch.py) chooses the folder once and sends it, as plain data, to each
submission's grader process (grading/child.py), which calls `grade_on` before its checks:

    chosen = heldout.for_grading(topics, folder=None)   # data/heldout/, or an instructor's folder
    spec = chosen.to_spec()                             # {"folder": ..., "sha256": {name: digest}}
    heldout.grade_on(heldout.HeldOut.from_spec(spec))

`for_grading` raises `HeldOutError` (its message in the process's language) when a file a
topic needs is missing, differs from data/heldout/SHA256SUMS, or, in an instructor's folder,
is not in the format of the course's own file: the same array names, dtypes and shapes past
the first axis for an `.npz`; the same keys and value types for JSON lines (`.jsonl`,
`.jsonl.gz`); the same header for a table (`.tsv`, `.csv`, optionally gzipped); integers within
the range the course's file uses (labels stay labels). The folder is read at the same path on
every machine of a Dask cluster, like the checkout; a different copy fails its digest.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder import COURSE_ROOT
from autograder.i18n import _

DATA = COURSE_ROOT / "data"
FOLDER = DATA / "heldout"
SUMS = "SHA256SUMS"


class HeldOutError(Exception):
    """A held-out folder or file the grader cannot score on; the message says why."""


@dataclass(frozen=True)
class HeldOut:
    """A folder of held-out files and the SHA-256 of each, taken when grading started."""
    folder: Path
    sha256: dict[str, str] = field(default_factory=dict)

    def file(self, name: str) -> Path:
        """The held-out file `name`, after checking it is the one grading started with."""
        if name not in self.sha256:
            raise HeldOutError(_("the grader was not given a held-out {name}: list it in its topic's `heldout` "
                                 "in course.toml", name=name))
        path = self.folder / name
        if _digest(path) != self.sha256[name]:
            raise HeldOutError(_("{path} changed since grading started (or differs on this machine): the grader "
                                 "will not score on other data", path=path))
        return path

    def to_spec(self) -> dict:
        return {"folder": str(self.folder), "sha256": dict(self.sha256)}

    def scored_on(self, topics) -> dict[str, str]:
        """{topic id: "name:sha256 ..."} of the held-out files each topic scores on ("" for
        none): what the gradebook keeps with each result, so a result scored on another
        split is graded again."""
        return {topic.id: " ".join(f"{name}:{self.sha256[name]}" for name in getattr(topic, "heldout", ())
                                   if name in self.sha256) for topic in topics}

    @classmethod
    def from_spec(cls, spec: dict) -> HeldOut:
        return cls(Path(spec["folder"]), {str(name): str(digest) for name, digest in spec["sha256"].items()})


_grading: HeldOut | None = None


def grade_on(chosen: HeldOut | None) -> None:
    """From now on this process grades: checks score on `chosen` (None: on the public split)."""
    global _grading
    _grading = chosen


def grading() -> HeldOut | None:
    """The held-out files this process grades on, or None (self-study: the public split)."""
    return _grading


def scoring_file(name: str, public: Path) -> Path:
    """The file a check scores on: held-out `name` while grading, else `public`."""
    return Path(public) if _grading is None else _grading.file(name)


def needed(topics) -> list[tuple[str, str]]:
    """(topic id, file name) of every held-out file the topics score on, in course order."""
    return [(topic.id, name) for topic in topics for name in getattr(topic, "heldout", ())]


def listed_sums(folder: Path = FOLDER) -> dict[str, str]:
    """{name: SHA-256} from `folder`/SHA256SUMS (`sha256sum` format); {} without one."""
    path = folder / SUMS
    if not path.is_file():
        return {}
    pairs = (line.split(maxsplit=1) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {name.strip().lstrip("*"): digest for digest, name in pairs}


def for_grading(topics, folder: Path | None = None) -> HeldOut:
    """The held-out files `grade` scores `topics` on: the course's data/heldout/ (each file
    as its SHA256SUMS says), or an instructor's `folder` (each file in the format of the
    course's own). Raises HeldOutError with a message for the instructor."""
    wanted = needed(topics)
    if folder is None:
        sums = listed_sums(FOLDER)
        for topic, name in wanted:
            if name not in sums or _digest(FOLDER / name) != sums[name]:
                raise HeldOutError(_("data/heldout/{name}, which topic {topic} is graded on, is missing or differs "
                                     "from data/heldout/SHA256SUMS: restore it (or pass a held-out folder with "
                                     "--heldout DIR)", name=name, topic=topic))
        return HeldOut(FOLDER.resolve(), {name: sums[name] for _topic, name in wanted})
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise HeldOutError(_("the held-out folder {folder} does not exist", folder=folder))
    digests = {}
    for topic, name in wanted:
        path = folder / name
        if not path.is_file():
            raise HeldOutError(_("{folder} has no {name}, which topic {topic} is graded on: a held-out folder holds "
                                 "the files of data/heldout/ ({names}), each in the same format",
                                 folder=folder, name=name, topic=topic,
                                 names=", ".join(name for _t, name in wanted)))
        why = format_problem(path, FOLDER / name)
        if why:
            raise HeldOutError(_("{path} is not in the format of the course's data/heldout/{name}: {why}",
                                 path=path, name=name, why=why))
        digests[name] = _digest(path)
    return HeldOut(folder, digests)


# -- formats: the course's own file is the example ---------------------------------------------

def format_problem(path: Path, example: Path) -> str | None:
    """Why `path` is not in the format of `example` (None: it is)."""
    if not example.is_file():
        raise HeldOutError(_("the course's {example} is missing: it is the example a held-out file is checked "
                             "against", example=example))
    try:
        for suffixes, problem in _FORMATS:
            if any(example.name.endswith(suffix) for suffix in suffixes):
                return problem(path, example)
        return None if path.stat().st_size else _("it is empty")
    except (OSError, ValueError, EOFError) as error:  # not a zip, not gzip, not UTF-8, not JSON
        return _("it cannot be read ({error})", error=f"{type(error).__name__}: {error}")


def _npz_problem(path: Path, example: Path) -> str | None:
    if not zipfile.is_zipfile(path):
        return _("it is not an .npz file (a zip of .npy arrays, as numpy.savez writes)")
    with np.load(example, allow_pickle=False) as data:
        expected = {name: data[name] for name in data.files}
    with np.load(path, allow_pickle=False) as data:
        given = {name: data[name] for name in data.files}
    if sorted(given) != sorted(expected):
        return _("it holds the arrays {found}, expected {expected}", found=sorted(given), expected=sorted(expected))
    for name, array in given.items():
        model = expected[name]
        if array.dtype != model.dtype:
            return _("{array} is {dtype}, expected {expected}", array=name, dtype=array.dtype, expected=model.dtype)
        if array.ndim != model.ndim or array.shape[1:] != model.shape[1:] or not len(array):
            shape = "[N" + "".join(f", {size}" for size in model.shape[1:]) + "]"
            return _("{array} has shape {shape}, expected {expected} with N > 0", array=name,
                     shape=list(array.shape), expected=shape)
        if model.dtype.kind in "iu" and (array.min() < model.min() or array.max() > model.max()):
            return _("{array} holds values from {low} to {high}, expected {min} to {max}", array=name,
                     low=array.min(), high=array.max(), min=model.min(), max=model.max())
    lengths = {name: len(array) for name, array in given.items()}
    same = [name for name in expected if len(expected[name]) == len(next(iter(expected.values())))]
    if len({lengths[name] for name in same}) > 1:
        return _("its arrays {arrays} must have the same length, not {lengths}", arrays=same,
                 lengths=[lengths[name] for name in same])
    return None


def _text_lines(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as file:
        return [line for line in file.read().splitlines() if line.strip()]


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "object",
               type(None): "null"}


def _jsonl_problem(path: Path, example: Path) -> str | None:
    model_rows = [json.loads(line) for line in _text_lines(example)]
    keys = {key: {_JSON_TYPES[type(row[key])] for row in model_rows} for key in model_rows[0]}
    ranges = {key: (min(row[key] for row in model_rows), max(row[key] for row in model_rows))
              for key, kinds in keys.items() if kinds == {"integer"}}
    lines = _text_lines(path)
    if not lines:
        return _("it is empty")
    for number, line in enumerate(lines, 1):
        row = json.loads(line)
        if not isinstance(row, dict) or sorted(row) != sorted(keys):
            return _("line {line} has the keys {found}, expected {expected}", line=number,
                     found=sorted(row) if isinstance(row, dict) else type(row).__name__, expected=sorted(keys))
        for key, kinds in keys.items():
            kind = _JSON_TYPES.get(type(row[key]), "?")
            if kind not in kinds and not (kind == "integer" and "number" in kinds):
                return _("line {line}: {key} is a {kind}, expected a {expected}", line=number, key=key, kind=kind,
                         expected=" / ".join(sorted(kinds)))
            if key in ranges and not ranges[key][0] <= row[key] <= ranges[key][1]:
                return _("line {line}: {key} is {value}, expected {min} to {max}", line=number, key=key,
                         value=row[key], min=ranges[key][0], max=ranges[key][1])
    return None


def _table_problem(path: Path, example: Path) -> str | None:
    separator = "\t" if ".tsv" in example.name else ","
    header = _text_lines(example)[0].split(separator)
    lines = _text_lines(path)
    if not lines or lines[0].split(separator) != header:
        return _("its header is {found}, expected {expected}", found=lines[0].split(separator) if lines else [],
                 expected=header)
    if len(lines) < 2:
        return _("it is empty")
    for number, line in enumerate(lines[1:], 2):
        if len(line.split(separator)) != len(header):
            return _("line {line} has {count} fields, expected {expected}", line=number,
                     count=len(line.split(separator)), expected=len(header))
    return None


_FORMATS = [((".npz",), _npz_problem), ((".jsonl", ".jsonl.gz"), _jsonl_problem),
            ((".tsv", ".tsv.gz", ".csv", ".csv.gz"), _table_problem)]


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "(unreadable)"
