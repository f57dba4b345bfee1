"""Bubblewrap's allow-list for a worker forked from the warm parent (engine/warm.py).

A cold worker gets its private view of the machine from bubblewrap at exec. A warm child
is forked from a process that imported TensorFlow once, so there is no exec to wrap: it
builds the same view itself, as root, before it switches to the submission's uid and
runs any submission code:

    jail.enter(policy, scratch, newroot)   # in the forked child; returns in the jailed process
    sandbox.preexec(policy, layers)()      # then the limits and the uid, as for a cold worker

Layer for layer what `sandbox.wrap` asks of bubblewrap: the submission's cgroups, new
mount, PID, IPC, UTS and cgroup namespaces and (when asked) a new, empty network
namespace; a root of its own on a tmpfs holding read-only binds of the allow-list
(`sandbox.worker_paths`: /usr, /etc, the venv, engine, probes, i18n), the scratch folder
as the only writable place, a minimal /dev, size-limited /tmp and /dev/shm, and a /proc
of its own PID namespace, in which the worker is process 1 (its death ends every process
of the namespace, as bubblewrap's init does). The old root is detached, never reachable.
"""
from __future__ import annotations

import ctypes
import os
import platform
import signal
from functools import lru_cache
from pathlib import Path

from autograder.engine import sandbox

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS = 38
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}  # syscall numbers (glibc has no wrapper)
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
STATIC_LINKS = {"dev/fd": "/proc/self/fd", "dev/stdin": "/proc/self/fd/0", "dev/stdout": "/proc/self/fd/1",
                "dev/stderr": "/proc/self/fd/2"}


@lru_cache(maxsize=None)
def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    encode = (lambda text: text.encode() if text is not None else None)
    _check(_libc().mount(encode(source), encode(target), encode(kind), flags, encode(data)), f"mount {target}")


def available() -> bool:
    """Can a forked child build the jail here? (As root, on a machine whose pivot_root we know.)"""
    return os.geteuid() == 0 and platform.machine() in PIVOT_ROOT


def _inside(newroot: Path, path: Path) -> Path:
    return newroot / str(path).lstrip("/")


def _bind(newroot: Path, source: Path, writable: bool = False, device: bool = False, at: Path | None = None) -> None:
    target = _inside(newroot, at or source)
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    _mount(str(source), str(target), None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if device else MS_NODEV) | (0 if writable else MS_RDONLY)
    _mount(None, str(target), None, flags)


def _tmpfs(target: Path, size: int | None, mode: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    options = f"mode={mode}" + (f",size={size}" if size else "")
    _mount("tmpfs", str(target), "tmpfs", MS_NOSUID | MS_NODEV, options)


def _build_root(policy: sandbox.Policy, scratch: Path, newroot: Path, home: Path | None) -> None:
    umask = os.umask(0o022)  # the folders leading to each bind stay traversable (grade runs with 077)
    try:
        _fill_root(policy, scratch, newroot, home)
    finally:
        os.umask(umask)


def _fill_root(policy: sandbox.Policy, scratch: Path, newroot: Path, home: Path | None) -> None:
    _mount("tmpfs", str(newroot), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m")
    for name in ("usr", "etc"):
        _bind(newroot, Path("/") / name)
    for name in ("bin", "sbin", "lib", "lib64", "lib32"):
        target = Path("/") / name
        if target.is_symlink():
            os.symlink(os.readlink(target), _inside(newroot, target))
        elif target.is_dir():
            _bind(newroot, target)
    _tmpfs(newroot / "dev", None, "0755")
    for name in DEVICES:
        if Path(f"/dev/{name}").exists():
            _bind(newroot, Path(f"/dev/{name}"), writable=True, device=True)
    for link, target in STATIC_LINKS.items():
        os.symlink(target, newroot / link)
    _tmpfs(newroot / "dev" / "shm", policy.tmpfs_bytes, "1777")
    _tmpfs(newroot / "tmp", policy.tmpfs_bytes, "1777")
    # After the tmpfs mounts, so that a course or venv under /tmp is not hidden by them.
    for path in sandbox.worker_paths():
        _bind(newroot, path)
    if policy.clean_view and home is not None:  # a clean worker: the read-only copy in the scratch's place
        _bind(newroot, Path(policy.clean_view), at=scratch)
        for path in sandbox.writable_in_view(home):
            _bind(newroot, path, writable=True)
    else:
        _bind(newroot, scratch, writable=True)
    (newroot / "proc").mkdir()
    _mount("proc", str(newroot / "proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _pivot(newroot: Path) -> None:
    """Make `newroot` the root and detach the old one (the `pivot_root(".", ".")` idiom)."""
    os.chdir(newroot)
    _check(_libc().syscall(PIVOT_ROOT[platform.machine()], b".", b"."), "pivot_root")
    _check(_libc().umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _wait_and_mirror(pid: int) -> None:
    """The process outside the new PID namespace: it holds nothing of the worker's (every
    descriptor closed) and ends as the worker ended, so the trusted side sees its code."""
    os.closerange(0, os.sysconf("SC_OPEN_MAX"))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code & 0xFF)


def enter(policy: sandbox.Policy, scratch: Path, newroot: Path, home: Path | None = None) -> None:
    """Jail the calling process (root, single-threaded, just forked). Returns in the jailed
    worker (process 1 of a new PID namespace); the caller's own process only waits for it."""
    for folder in (policy.cgroups or {}).values():  # the submission's bounds, before anything else
        with open(os.path.join(folder, "cgroup.procs"), "w") as procs:
            procs.write("0")
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
    if policy.isolate_network:
        flags |= CLONE_NEWNET
    _check(_libc().unshare(flags), "unshare")
    _libc().prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
    pid = os.fork()
    if pid != 0:
        _wait_and_mirror(pid)
    _libc().prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the waiting process
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates back to the machine
    _build_root(policy, scratch, newroot, home)
    _pivot(newroot)
    _check(_libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
