# attacks: describe
import ctypes as _ctypes
import os as _os

_reference_describe = describe


def describe(t):
    """Create a user namespace, then a mount namespace inside it (only a child does it,
    bounded: it exits at once). Answers correctly only when that worked."""
    libc = _ctypes.CDLL(None, use_errno=True)
    pid = _os.fork()
    if pid == 0:
        worked = libc.unshare(0x10000000) == 0 and libc.unshare(0x00020000) == 0  # CLONE_NEWUSER, CLONE_NEWNS
        _os._exit(0 if worked else 1)
    _, status = _os.waitpid(pid, 0)
    if _os.waitstatus_to_exitcode(status) != 0:
        raise PermissionError("no new namespaces here")
    return _reference_describe(t)
