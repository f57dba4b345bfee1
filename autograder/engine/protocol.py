"""Plain-data messages between the trusted process and a worker.

A message is one JSON line. NumPy arrays never travel inside the JSON: they are saved as
`.npy` files in an exchange folder and referenced as {"__npy__": "name.npy"}. Both sides
load arrays with `allow_pickle=False`, so nothing a worker sends is ever unpickled.

The trusted side reads a worker's answer within hard bounds (`Bounds`): the length of a
response line, how many arrays it references and their total bytes (a reference counts
each time it appears), and only regular files, read through the folder's descriptor.
"""
from __future__ import annotations

import io
import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.engine.boundary import ExchangeFolder, Refused

_ARRAY_KEY = "__npy__"
_names = itertools.count()


class UnsupportedValue(TypeError):
    """A value that cannot cross the process boundary as plain data."""


def encode(value, folder: Path):
    """Turn `value` into a JSON-able tree, saving arrays under `folder`."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.generic):
        return encode(value.item(), folder) if value.dtype.kind in "biuf" else encode(np.asarray(value), folder)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufU":
            raise UnsupportedValue(f"arrays of dtype {value.dtype} cannot be sent")
        name = f"a{next(_names)}.npy"
        np.save(folder / name, value, allow_pickle=False)
        os.chmod(folder / name, 0o644)  # the other side may run as another user (umask 077 under `grade`)
        return {_ARRAY_KEY: name}
    if isinstance(value, (list, tuple)):
        return [encode(item, folder) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise UnsupportedValue("dictionary keys must be strings")
        if _ARRAY_KEY in value:
            raise UnsupportedValue(f"the key {_ARRAY_KEY!r} is reserved")
        return {key: encode(item, folder) for key, item in value.items()}
    raise UnsupportedValue(f"values of type {type(value).__name__} cannot be sent")


@dataclass(frozen=True)
class Bounds:
    """What the trusted side accepts from one answer of a worker."""
    line_bytes: int = 64 << 20        # one JSON response
    arrays: int = 4096                # array references in one answer
    array_bytes: int = 1 << 30        # their total size, counted per reference


BOUNDS = Bounds()


class TooLarge(Refused):
    """An answer past one of the `Bounds`."""


def decode(tree, folder: Path | None, bounds: Bounds = BOUNDS):
    """Inverse of `encode`: arrays are read back with `allow_pickle=False`, through the
    folder's descriptor, within `bounds` (else `Refused`, which is a ValueError)."""
    if folder is None:
        return _decode(tree, None, bounds, [0, 0])
    with ExchangeFolder(folder) as opened:
        return _decode(tree, opened, bounds, [0, 0])


def _decode(tree, folder: ExchangeFolder | None, bounds: Bounds, used: list[int]):
    if isinstance(tree, list):
        return [_decode(item, folder, bounds, used) for item in tree]
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY_KEY}:
            return _load_array(tree[_ARRAY_KEY], folder, bounds, used)
        return {key: _decode(item, folder, bounds, used) for key, item in tree.items()}
    return tree


def _load_array(name, folder: ExchangeFolder | None, bounds: Bounds, used: list[int]) -> np.ndarray:
    if folder is None:
        raise Refused("an array was sent where none can be")
    used[0] += 1
    if used[0] > bounds.arrays:
        raise TooLarge(f"the answer references more than {bounds.arrays} arrays")
    data = folder.read(name, bounds.array_bytes - used[1])  # Refused: a link, a FIFO, too big, a path
    used[1] += len(data)
    return np.load(io.BytesIO(data), allow_pickle=False)


def dumps(message: dict) -> bytes:
    return (json.dumps(message, allow_nan=True) + "\n").encode()


def loads(line: bytes) -> dict:
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, RecursionError) as error:
        raise ValueError(f"not a JSON message ({type(error).__name__})") from None
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message
