"""A read-only copy of a submission's scratch folder, for the clean worker that reads its
artefacts (an export, a checkpoint, saved traces) without ever running its code.

    view = snapshot.copy(scratch, target, keep=("worker7", "worker7-exchange"))

Made by the trusted side once every process of the submission has ended (client.py), so
nothing changes it while it is copied or read; the clean worker sees it in the scratch
folder's place (bubblewrap's or the jail's bind, read-only), under a uid of its own. The
copy is root's: folders 0755, regular files 0644; links, FIFOs and devices are left out,
and nothing is opened through a link (O_NOFOLLOW, by descriptor). Its size is bounded by
the submission's storage (storage.py), where it is written.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_DEPTH = 32
CHUNK = 1 << 20


def _copy_file(source_dir: int, name: str, target_dir: int) -> None:
    source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=source_dir)
    try:
        if not stat.S_ISREG(os.fstat(source).st_mode):
            return
        target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                         dir_fd=target_dir)
        try:
            while data := os.read(source, CHUNK):
                os.write(target, data)
            os.fchmod(target, 0o644)
        finally:
            os.close(target)
    finally:
        os.close(source)


def _copy_tree(source_dir: int, target_dir: int, depth: int, skip: set[str]) -> None:
    for entry in os.scandir(source_dir):
        if entry.name in skip:
            continue
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISREG(mode):
            _copy_file(source_dir, entry.name, target_dir)
        elif stat.S_ISDIR(mode) and depth < MAX_DEPTH:
            os.mkdir(entry.name, 0o755, dir_fd=target_dir)
            inner_source = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                   dir_fd=source_dir)
            inner_target = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                   dir_fd=target_dir)
            try:
                os.fchmod(inner_target, 0o755)
                _copy_tree(inner_source, inner_target, depth + 1, set())
            finally:
                os.close(inner_source)
                os.close(inner_target)


def copy(scratch: Path, target: Path, keep: tuple[str, ...] = ()) -> Path:
    """Copy `scratch` into `target` (created now, in a folder only we can write), leaving
    out the exchange folders (ours) and `keep`: the names of folders the clean worker
    gets writable in the copy's place, which are left as empty mount points."""
    os.mkdir(target, 0o755)
    os.chmod(target, 0o755)
    skip = {entry.name for entry in os.scandir(scratch) if entry.name.endswith("-exchange")} | set(keep)
    source = os.open(scratch, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    destination = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        _copy_tree(source, destination, 0, skip)
        for name in keep:
            os.mkdir(name, 0o755, dir_fd=destination)
    finally:
        os.close(source)
        os.close(destination)
    return target
