"""The edge between what a worker produces and what the trusted side keeps (design principle 3).

Text a worker (and so a submission) wrote is cleaned before it reaches a message, a file
or the gradebook: valid UTF-8 (a lone surrogate cannot crash an encoder later), control
characters escaped (no terminal escapes, no NUL in a CSV), length capped. Files a worker
wrote are read through a folder's file descriptor, never by following a path: no symbolic
link, only regular files, at most a given size.

    clean_text("bad \\ud800 \\x1b[2J", limit=100)   # -> 'bad \\\\ud800 \\\\x1b[2J'
    with ExchangeFolder(Path("exchange/r3/out")) as folder:
        data = folder.read("a0.npy", limit=1 << 20)
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

MESSAGE_CHARS = 4000      # one check's message, as stored
NAME_CHARS = 255          # names and ids


class Refused(ValueError):
    """What a worker left cannot be taken: the message says which bound or rule it broke."""


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def clean_text(text, limit: int = MESSAGE_CHARS) -> str:
    """`text` as safe, bounded text: surrogates and control characters (but newline and
    tab) escaped, at most `limit` characters (an ellipsis says when it was cut)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = str(text)
    out = []
    for char in text[: limit * 2]:  # escaping at most doubles what is kept
        code = ord(char)
        if char in "\n\t" or (0x20 <= code < 0x7F) or (code >= 0xA0 and not 0xD800 <= code <= 0xDFFF
                                                       and code not in (0x2028, 0x2029, 0xFEFF)):
            out.append(char)
        else:
            out.append(_escape(char))
    cleaned = "".join(out)
    if len(cleaned) > limit or len(text) > limit * 2:
        cleaned = cleaned[: max(0, limit - 1)] + "…"
    return cleaned


def clean_tree(value, limit: int = MESSAGE_CHARS):
    """Every string inside a JSON-like value (keys included) cleaned with `clean_text`."""
    if isinstance(value, str):
        return clean_text(value, limit)
    if isinstance(value, list):
        return [clean_tree(item, limit) for item in value]
    if isinstance(value, dict):
        return {clean_text(key, NAME_CHARS): clean_tree(item, limit) for key, item in value.items()}
    return value


def _plain_name(name) -> str:
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\0" in name:
        raise Refused(f"not a plain file name: {clean_text(repr(name), 80)}")
    return name


class ExchangeFolder:
    """A folder a worker writes into, opened once by descriptor (`O_NOFOLLOW`): every read
    goes through that descriptor, so a link planted anywhere cannot redirect it."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as error:
            raise Refused(f"the worker's answer folder cannot be opened safely ({error.strerror})") from None

    def read(self, name: str, limit: int) -> bytes:
        """The bytes of the regular file `name` (no link, no FIFO, no device), at most `limit`."""
        name = _plain_name(name)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self.fd)
        except OSError as error:
            raise Refused(f"{name} cannot be opened as a plain file ({error.strerror})") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise Refused(f"{name} is not a regular file")
            if info.st_size > limit:
                raise Refused(f"{name} is {info.st_size} bytes, more than the {limit} allowed")
            chunks, size = [], 0
            while size <= limit:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:
                raise Refused(f"{name} grew past the {limit} bytes allowed")
            return b"".join(chunks)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_private_folder(path: Path, mode: int = 0o700) -> Path:
    """Create `path` now (never reuse one that exists: it may have been planted) with `mode`
    exactly, whatever the umask."""
    os.mkdir(path, mode)
    os.chmod(path, mode)  # just created in a folder only we can write: not a planted link
    return path
