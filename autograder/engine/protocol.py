"""Plain-data messages between the trusted process and a worker.

A message is one JSON line. NumPy arrays never travel inside the JSON: they are saved as
`.npy` files in an exchange folder and referenced as {"__npy__": "name.npy"}. Both sides
load arrays with `allow_pickle=False`, so nothing a worker sends is ever unpickled.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

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


def decode(tree, folder: Path):
    """Inverse of `encode`: arrays are read back with `allow_pickle=False`."""
    if isinstance(tree, list):
        return [decode(item, folder) for item in tree]
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY_KEY}:
            name = tree[_ARRAY_KEY]
            path = (folder / name).resolve()
            if not isinstance(name, str) or path.parent != folder.resolve():
                raise ValueError(f"array reference outside the exchange folder: {name!r}")
            return np.load(path, allow_pickle=False)
        return {key: decode(item, folder) for key, item in tree.items()}
    return tree


def dumps(message: dict) -> bytes:
    return (json.dumps(message, allow_nan=True) + "\n").encode()


def loads(line: bytes) -> dict:
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message
