"""The sandbox's uids: a block of a configured range, checked unused and reserved on this host.

    block = uids.reserve("1879048192-1880096767")   # raises Unavailable, saying why
    block.uid(7), block.uid(7, clean=True)          # submission 7's worker uid, its clean worker's

A grading process reserves one block of BLOCK uids for its lifetime: it holds an fcntl
lock on LOCKS/<first uid>.lock (the kernel drops it when the process ends, even on kill
-9), and takes a block only when no uid or gid in it belongs to anyone: no entry in the
user or group database (NSS: /etc/passwd, LDAP, ... through pwd and grp: every entry it
lists, and a sample of the block's numbers asked one by one), no overlap with
a subordinate range of /etc/subuid or /etc/subgid (rootless containers), and no live
process running as one of them. So the uid a submission gets, and kills every process of
when it ends, is nobody else's: not a user's, not a container's, not another grader's.
"""
from __future__ import annotations

import fcntl
import grp
import os
import pwd
import threading
from dataclasses import dataclass
from pathlib import Path

from autograder.i18n import _

# After systemd's container range (524288-1879048191: systemd-nspawn, systemd-homed) and
# below 2^31 (some tools take a uid for a signed number): 16 blocks by default.
DEFAULT_RANGE = "1879048192-1880096767"
BLOCK = 65536                # uids of one grading process: two per submission (its worker's, its clean worker's)
SAMPLE = 1024               # every how many uids of a block NSS is asked by number
LOCKS = Path("/run/lock/tf-course-uids")
SUBORDINATE = (Path("/etc/subuid"), Path("/etc/subgid"))


class Unavailable(Exception):
    """No block of the range can be reserved; the message says why."""


@dataclass(frozen=True)
class Block:
    first: int
    size: int
    lock: int          # the descriptor holding the reservation (held until the process ends)

    def uid(self, number: int, clean: bool = False) -> int:
        """Submission `number`'s uid (its clean worker's with `clean`): a pair per submission,
        reused only after BLOCK / 2 submissions of this process (all of its processes ended long before)."""
        return self.first + 2 * (number % (self.size // 2)) + int(clean)


def parse_range(text: str) -> range:
    try:
        first, last = (int(part) for part in text.split("-"))
    except ValueError:
        raise Unavailable(_("the uid range {range} is not FIRST-LAST", range=text)) from None
    if not (0 < first <= last < 2**32 - 2) or first < 1000:
        raise Unavailable(_("the uid range {range} is not FIRST-LAST", range=text))
    return range(first, last + 1)


def _subordinate_ranges() -> list[range]:
    ranges = []
    for path in SUBORDINATE:
        try:
            lines = path.read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                ranges.append(range(int(parts[1]), int(parts[1]) + int(parts[2])))
    return ranges


def _process_ids() -> set[int]:
    """Every uid and gid (real, effective, saved, filesystem) of a live process."""
    ids = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as status:
                for line in status:
                    if line.startswith(("Uid:", "Gid:")):
                        ids.update(int(value) for value in line.split()[1:])
        except (OSError, ValueError):
            continue
    return ids


def _database_ids() -> set[int]:
    """Uids and gids of the user and group databases, as far as NSS lists them."""
    return {entry.pw_uid for entry in pwd.getpwall()} | {entry.gr_gid for entry in grp.getgrall()}


def _named(candidates: range) -> int | None:
    """A uid or gid of `candidates` that NSS knows by number: a directory that does not
    list its users (LDAP without enumeration) still answers these. One lookup costs about
    0.1 ms, so a block is sampled (its ends and every SAMPLE-th number), not read whole."""
    for number in sorted({*candidates[::SAMPLE], candidates[-1]}):
        for lookup in (pwd.getpwuid, grp.getgrgid):
            try:
                lookup(number)
                return number
            except KeyError:
                pass
    return None


def why_taken(block: range, listed: set[int], subordinate: list[range]) -> str:
    """Why `block` cannot be ours ("" if it can)."""
    used = next((number for number in listed if number in block), None)
    if used is not None:
        return _("uid {uid} is in use (a user, a group or a running process)", uid=used)
    clash = next((sub for sub in subordinate if sub.start < block.stop and block.start < sub.stop), None)
    if clash is not None:
        return _("uids {first}-{last} are subordinate ids of /etc/subuid or /etc/subgid",
                 first=clash.start, last=clash.stop - 1)
    named = _named(block)
    if named is not None:
        return _("uid {uid} is in the user or group database", uid=named)
    return ""


def _lock(first: int) -> int | None:
    LOCKS.mkdir(mode=0o755, parents=True, exist_ok=True)
    fd = os.open(LOCKS / f"{first}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def reserve(text: str = DEFAULT_RANGE) -> Block:
    """Reserve a free block of the range `text` ("FIRST-LAST") for this process."""
    whole = parse_range(text)
    size = min(BLOCK, len(whole)) & ~1
    if size < 2:
        raise Unavailable(_("the uid range {range} is too small", range=text))
    listed, subordinate = _database_ids() | _process_ids(), _subordinate_ranges()
    reasons = []
    for first in range(whole.start, whole.stop - size + 1, size):
        block = range(first, first + size)
        fd = _lock(first)
        if fd is None:
            reasons.append(_("uids {first}-{last} are reserved by another grader", first=first, last=first + size - 1))
            continue
        why = why_taken(block, listed, subordinate)
        if not why:
            return Block(first, size, fd)
        os.close(fd)
        reasons.append(why)
    raise Unavailable(_("no free block of {size} uids in {range}: {reasons}", size=size, range=text,
                        reasons="; ".join(reasons[:4]) or _("the range is empty")))


_reserved: dict[str, Block] = {}
_lock_reserved = threading.Lock()


def reserved(text: str | None = None) -> Block:
    """This process's block of the range `text` (default DEFAULT_RANGE), reserved on first use."""
    text = text or DEFAULT_RANGE
    with _lock_reserved:
        if text not in _reserved:
            _reserved[text] = reserve(text)
        return _reserved[text]
