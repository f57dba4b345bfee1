"""The engine's side of a probe: what a probe raises, and how a worker finds one.

A probe is a function `probe(sub, **inputs)` in a probe module of the course (a topic
names its module: `Topic.probe_module`); it calls into the submission module `sub` and
returns plain data (numbers, strings, lists, dicts, NumPy arrays). When it can already tell
what went wrong, it raises `ProbeFailure` with a message for the student. The helpers the
probes share live beside them, in `autograder/probes/kit.py`: the engine never imports
course content, it is told which module to load.
"""
from __future__ import annotations

import importlib

from autograder.i18n import N_, _

# What a student reads when the course itself is broken (translated where it is shown).
MESSAGES = {
    "no_such_probe": N_("this is a bug in the course, not in your code: the check asked for the probe `{probe}`, "
                        "which {module} does not define. Please report it."),
}


class ProbeFailure(Exception):
    """The submission did something wrong that the probe can name."""


class CourseBug(Exception):
    """The grader itself is broken (a check asked for a probe that does not exist)."""


def find_probe(probe_module: str, name: str):
    """The probe `name` of the module `probe_module` (a dotted name), or CourseBug naming it."""
    probe = getattr(importlib.import_module(probe_module), name, None)
    if name.startswith("_") or not callable(probe):
        raise CourseBug(_(MESSAGES["no_such_probe"], probe=name, module=probe_module))
    return probe


def type_name(value) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
