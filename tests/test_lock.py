"""requirements.lock: in step with pyproject.toml, hashed, written by `make lock`, and the
one source of versions for every install path (autograder/installer.py)."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from autograder import COURSE_ROOT, installer
from autograder.platforms import classroom

LOCK = COURSE_ROOT / "requirements.lock"
PYPROJECT = COURSE_ROOT / "pyproject.toml"


def locked(lock_text: str) -> dict[str, list[tuple[Version, str, int]]]:
    """{package: [(version, its marker, number of hashes)]} (a package may have one entry
    per Python version)."""
    found = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", lock_text):
        first = entry.splitlines()[0]
        if first.startswith("#") or "==" not in first:
            continue
        requirement = Requirement(first.rstrip(" \\"))
        (specifier,) = requirement.specifier
        found.setdefault(canonicalize_name(requirement.name), []).append(
            (Version(specifier.version), str(requirement.marker or ""), entry.count("--hash=sha256:")))
    return found


def out_of_step(pyproject_text: str, lock_text: str) -> list[str]:
    """Each requirement of pyproject.toml (its dependencies and every extra) that the lock
    does not pin, or pins at a version outside the requirement's range."""
    project = tomllib.loads(pyproject_text)["project"]
    wanted = project["dependencies"] + [spec for extra in project["optional-dependencies"].values() for spec in extra]
    pins, problems = locked(lock_text), []
    for spec in wanted:
        requirement = Requirement(spec)
        versions = [version for version, __, __ in pins.get(canonicalize_name(requirement.name), [])]
        if not versions:
            problems.append(f"{spec}: not in the lock")
        problems += [f"{spec}: locked at {version}" for version in versions
                     if not requirement.specifier.contains(version, prereleases=True)]
    return problems


def test_the_lock_pins_every_requirement_of_pyproject_within_its_range():
    assert out_of_step(PYPROJECT.read_text(), LOCK.read_text()) == [], "run `make lock`"


def test_a_lock_out_of_step_is_named():
    lock = LOCK.read_text()
    pyproject = PYPROJECT.read_text()
    newer = pyproject.replace('"tensorflow>=2.21,<2.22"', '"tensorflow>=2.22,<2.23"')
    assert out_of_step(newer, lock) == ["tensorflow>=2.22,<2.23: locked at 2.21.0"]
    added = pyproject.replace('"numpy>=2.0,<3",', '"numpy>=2.0,<3",\n    "polars>=1",')
    assert out_of_step(added, lock) == ["polars>=1: not in the lock"]


def test_every_locked_package_has_hashes_and_tensorflow_one_entry():
    pins = locked(LOCK.read_text())
    assert len(pins) > 100
    assert not [name for name, entries in pins.items() if any(hashes == 0 for __, __, hashes in entries)]
    (tensorflow,) = pins["tensorflow"]
    assert tensorflow[2] >= 6   # wheels for Linux x86-64 and aarch64, Python 3.11 to 3.13 (and others)


def test_the_lock_was_written_by_make_lock():
    command = re.search(r"^LOCK_COMMAND := (.+)$", (COURSE_ROOT / "Makefile").read_text(), re.M).group(1)
    header = LOCK.read_text().splitlines()[1].strip("# ")
    assert header == command


def test_every_install_path_uses_the_installer_and_the_lock(tmp_path):
    paths = {
        "Makefile": (COURSE_ROOT / "Makefile").read_text(),
        "the student release's Makefile": (COURSE_ROOT / "autograder/templates/student/Makefile").read_text(),
        "Gradescope's setup.sh": (COURSE_ROOT / "autograder/templates/gradescope/setup.sh").read_text(),
        "Classroom 50's autograder.py": (COURSE_ROOT / "autograder/templates/classroom50/autograder.py").read_text(),
        "the Classroom workflow": classroom.workflow(classroom.load_course(), PYPROJECT),
    }
    for where, text in paths.items():
        assert "autograder/installer.py" in text, where
        assert not re.search(r"pip install(?! uv)", text), f"{where} installs with pip, outside the lock"


def test_the_installer_takes_uv_from_its_hashed_entry():
    entry = installer.entry(LOCK.read_text(), "uv")
    lines = entry.splitlines()
    assert re.fullmatch(r"uv==[\d.]+ \\", lines[0]) and all(line.startswith("    --hash=sha256:") for line in lines[1:])
    with pytest.raises(SystemExit, match="has no entry for nothing-here: run `make lock`"):
        installer.entry(LOCK.read_text(), "nothing-here")


@pytest.fixture(scope="module")
def empty_venv(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("installer") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return venv / "bin" / "python"


def _versions(python: Path) -> dict[str, str]:
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True)
    return dict(line.split("==") for line in listed.stdout.split())


def test_the_installer_installs_the_locked_versions(empty_venv):
    assert installer.install(str(empty_venv), ["rich"]) == 0
    pins = locked(LOCK.read_text())
    versions = _versions(empty_venv)
    for name in ("rich", "pygments", "uv"):
        assert versions[name if name != "pygments" else "Pygments"] == str(pins[name][0][0])


def test_a_file_whose_hash_differs_from_the_lock_stops_the_install(empty_venv, tmp_path):
    lock = LOCK.read_text()
    entry = installer.entry(lock, "mdurl")
    forged = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, entry)
    (tmp_path / "requirements.lock").write_text(lock.replace(entry, forged))
    subprocess.run([str(empty_venv), "-m", "pip", "uninstall", "--yes", "--quiet", "mdurl"], check=True)
    assert installer.install(str(empty_venv), ["mdurl"], lock=tmp_path / "requirements.lock") != 0
    assert "mdurl" not in _versions(empty_venv)
