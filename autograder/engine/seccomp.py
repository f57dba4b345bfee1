"""No new namespaces for submission code: a seccomp filter, set before it runs.

    seccomp.forbid_namespaces()   # in a worker, before it imports anything of the submission

A worker needs no namespace of its own making, but an unprivileged process may create a
user namespace and, inside it, mount, network and PID namespaces and mounts: kernel attack
surface the sandbox does not need (bubblewrap's --disable-userns closes the same door,
but only for what bubblewrap starts, and the warm jail is not started by it). The filter
answers EPERM to unshare() and clone() asking for any new namespace, to setns(), to the
mount system calls (mount, umount2, pivot_root, open_tree, move_mount, fsopen, fsconfig,
fsmount, fspick, mount_setattr), and ENOSYS to clone3() (whose flags a filter cannot
read: the C library then falls back to clone(), whose flags it can). Everything else is
allowed. It is a classic BPF program built here with ctypes (no libseccomp needed), for
x86_64 and aarch64; it is inherited by every child and cannot be removed.
"""
from __future__ import annotations

import ctypes
import errno
import platform
import struct
from functools import lru_cache

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
NEW_NAMESPACES = 0x00000080 | 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
# (time, mount, cgroup, UTS, IPC, user, PID, network)
CALLS = {  # name: (x86_64, aarch64)
    "unshare": (272, 97), "clone": (56, 220), "clone3": (435, 435), "setns": (308, 268),
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "open_tree": (428, 428),
    "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431), "fsmount": (432, 432),
    "fspick": (433, 433), "mount_setattr": (442, 442),
}
X32_BIT = 0x40000000
# Classic BPF
LD_W_ABS, JEQ_K, JSET_K, JGE_K, RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
ALLOW, KILL = 0x7FFF0000, 0x80000000
NR, ARCH, ARG0 = 0, 4, 16  # offsets in struct seccomp_data (arg0's low 32 bits: little-endian)


def _errno(number: int) -> int:
    return 0x00050000 | number


def _program(machine: str) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jump if true, jump if false, k) instructions."""
    column = 0 if machine == "x86_64" else 1
    number = {name: numbers[column] for name, numbers in CALLS.items()}
    denied = [number[name] for name in CALLS if name not in ("unshare", "clone", "clone3")]
    program = [(LD_W_ABS, 0, 0, ARCH), (JEQ_K, 1, 0, AUDIT_ARCH[machine]), (RET_K, 0, 0, KILL),
               (LD_W_ABS, 0, 0, NR)]
    if machine == "x86_64":  # the x32 ABI's numbers: nothing a worker uses
        program += [(JGE_K, 0, 1, X32_BIT), (RET_K, 0, 0, _errno(errno.ENOSYS))]
    program += [(JEQ_K, 0, 1, number["clone3"]), (RET_K, 0, 0, _errno(errno.ENOSYS))]
    for call in denied:
        program += [(JEQ_K, 0, 1, call), (RET_K, 0, 0, _errno(errno.EPERM))]
    # unshare(flags) and clone(flags, ...): flags are the first argument on both machines
    program += [(JEQ_K, 1, 0, number["unshare"]), (JEQ_K, 0, 3, number["clone"]),
                (LD_W_ABS, 0, 0, ARG0), (JSET_K, 0, 1, NEW_NAMESPACES), (RET_K, 0, 0, _errno(errno.EPERM)),
                (RET_K, 0, 0, ALLOW)]
    return program


def available() -> bool:
    return platform.machine() in AUDIT_ARCH


@lru_cache(maxsize=None)
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def forbid_namespaces() -> bool:
    """Install the filter in this process (and its future children). False where this
    machine is not one the filter knows; raises OSError when the kernel refuses it."""
    if not available():
        return False
    program = _program(platform.machine())
    code = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    filters = ctypes.create_string_buffer(code, len(code))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Program(len(program), ctypes.addressof(filters))
    libc = _libc()
    for args in ((PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)):
        if libc.prctl(*args) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"prctl: {ctypes.cast(libc.strerror(error), ctypes.c_char_p).value}")
    return True
