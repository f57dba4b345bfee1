"""Each submission's scratch storage: a size-limited tmpfs of its own (design principle 4).

    bound = storage.mount(work / "tmp", 1 << 30, 32768)   # as root; None where it cannot be had
    ...                                                   # the submission's workers write only there
    storage.unmount(work / "tmp")

Every file a submission's workers write (their homes, the checks' scratch folders, the
exchange of answers, their logs) lives on it, so a submission that fills its disk fills
its own bound: not the file system of the outputs and the gradebook, nor a classmate's.
Its bytes are memory, charged to the memory bound of the submission's cgroup where
there is one. `exhausted(folder, bound)` tells a failure caused by reaching the bound
(the submission's own) from one of the grader's (the trusted side's, graded again).
"""
from __future__ import annotations

import ctypes
import os
from functools import lru_cache
from pathlib import Path

from autograder.i18n import _

DISK_BYTES = 1 << 30       # per submission: its exports, checkpoints, logs and temporary files together
DISK_INODES = 32768        # files and folders, per submission
MNT_DETACH = 2
SLACK_BYTES = 256 << 10    # "full": less than this left (a write of that size would fail)
SLACK_INODES = 16


@lru_cache(maxsize=None)
def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def mount(folder: Path, size: int = DISK_BYTES, inodes: int = DISK_INODES) -> dict | None:
    """A tmpfs of `size` bytes and `inodes` files on `folder` (an empty folder of ours),
    or None when this process may not mount one (not root)."""
    if os.geteuid() != 0:
        return None
    options = f"size={size},nr_inodes={inodes},mode=0711".encode()
    flags = 2 | 4  # MS_NOSUID | MS_NODEV
    if _libc().mount(b"tmpfs", os.fsencode(folder), b"tmpfs", flags, options) != 0:
        return None
    return {"bytes": size, "inodes": inodes}


def unmount(folder: Path) -> None:
    """Detach the tmpfs on `folder` if there is one (its memory is freed once unused)."""
    if os.path.ismount(folder):
        _libc().umount2(os.fsencode(folder), MNT_DETACH)


def exhausted(folder: Path | str | None, bound: dict | None) -> bool:
    """Has the storage holding `folder`, the submission's bounded one, (almost) no room left?"""
    if not bound or folder is None:
        return False
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < SLACK_BYTES or stats.f_favail < SLACK_INODES


def message(bound: dict) -> str:
    """What a check says when the submission filled its storage: the bound, by name."""
    return _("the submission filled its scratch storage: it reached its bound of {mib} MiB and {files} files "
             "on disk (your code wrote too much, or too many files)", mib=bound["bytes"] >> 20, files=bound["inodes"])
