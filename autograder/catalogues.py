"""The Babel side of the catalogues: what gets extracted, and the checks the tests run.

`make catalogues` runs pybabel with autograder/locale/babel.cfg: Python files give the
texts of `_(...)` and `N_(...)`; course.toml gives its English titles, summaries and
hints through `extract_course_map`. The tests compare the catalogues with a fresh
extraction (`extracted`) and compile them in memory (`compiled`) to find a `.mo` file that
is older than its `.po`.
"""
from __future__ import annotations

import io
import string
import tomllib
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from autograder.texts import english_title

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "autograder" / "locale" / "babel.cfg"


def extract_course_map(fileobj, keywords, comment_tags, options):
    """Babel extraction method for course.toml: every English title (of topics and of
    checks, as `texts.check_title` shows them), summary and hint."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    for topic in data.get("topic", []):
        yield 0, None, topic["title"]["en"], [f"title of topic {topic['id']}"]
        for exercise in topic.get("exercise", []):
            where = f"{topic['id']}.{exercise['name']}"
            yield 0, None, exercise["summary"]["en"], [f"summary of {where}"]
            for check in exercise.get("check", []):
                yield 0, None, english_title(check["name"], exercise["name"]), [f"title of check {where}.{check['name']}"]
                for tier, hint in enumerate(check.get("hints", {}).get("en", []), 1):
                    yield 0, None, hint, [f"hint {tier} of {where}.{check['name']}"]


def extracted() -> dict[str, list[str]]:
    """msgid -> the files it comes from, as `make catalogues` would extract them now."""
    with open(MAPPING, encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "N_": None}):
        found.setdefault(message if isinstance(message, str) else message[0], []).append(filename)
    return found


def read(path: Path) -> Catalog:
    with open(path, "rb") as file:
        return read_po(file)


def compiled(catalog: Catalog) -> bytes:
    """The `.mo` bytes `pybabel compile` writes for `catalog` (fuzzy entries left out)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def placeholders(text: str) -> set[str]:
    """The `{names}` of a message (ValueError for a malformed one, e.g. a single brace)."""
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}


def problems(catalog: Catalog, mo: bytes | None, sources: set[str] | None = None) -> list[str]:
    """What is wrong with a catalogue: entries missing from it or stale (when `sources`, the
    msgids of a fresh extraction, is given), untranslated or fuzzy entries, placeholders
    that differ from the English, and a compiled `.mo` (`mo`) that is not this `.po`."""
    found = []
    entries = {message.id: message for message in catalog if message.id}
    if sources is not None:
        found += [f"missing from the catalogue: {msgid!r}" for msgid in sorted(sources - entries.keys())]
        found += [f"no longer in the source: {msgid!r}" for msgid in sorted(entries.keys() - sources)]
    for msgid, message in sorted(entries.items()):
        if not message.string:
            found.append(f"not translated: {msgid!r}")
            continue
        if message.fuzzy:
            found.append(f"fuzzy (check the translation, then remove the flag): {msgid!r}")
        try:
            differ = placeholders(msgid) != placeholders(message.string)
        except ValueError as error:
            found.append(f"malformed placeholder ({error}): {msgid!r}")
            continue
        if differ:
            found.append(f"placeholders differ: {msgid!r} has {sorted(placeholders(msgid))}, "
                         f"its translation {sorted(placeholders(message.string))}")
    if mo is not None and mo != compiled(catalog):
        found.append("the .mo file is out of date with its .po: run `make catalogues`")
    return found
