"""Every data file ships with its SHA-256 in data/SHA256SUMS (`sha256sum -c` format) and
a document naming its source and licence."""
import hashlib

from autograder import COURSE_ROOT

DATA = COURSE_ROOT / "data"
NOT_DATA = {".md", ".py", ""}


def _listed():
    lines = (DATA / "SHA256SUMS").read_text().split("\n")
    return dict(reversed(line.split(maxsplit=1)) for line in lines if line.strip())


def test_every_data_file_is_listed_with_its_checksum():
    listed = _listed()
    shipped = {path.name for path in DATA.iterdir() if path.is_file() and path.suffix not in NOT_DATA}
    assert shipped == set(listed), "add data files to data/SHA256SUMS (and only data files)"
    for name, digest in listed.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, f"{name} changed"


def test_every_data_file_names_its_source_and_licence():
    docs = "\n".join(path.read_text() for path in DATA.glob("*.md")).lower()
    for name in _listed():
        assert name.lower() in docs, f"no document in data/ mentions {name}"
    if _listed():
        assert "licen" in docs and "source" in docs
