# attacks: *
# Appended to the reference e01_tensors.py by tests/test_batch_attacks.py: at import, fill
# the disk the worker writes to (its home) and keep it full (bounded: at most 600 MiB, in
# files of 1 MiB, and 20 s).
import os as _os
import time as _time


def _fill(limit=600 << 20, seconds=20.0):
    chunk, written, started = b"\0" * (1 << 20), 0, _time.monotonic()
    folder = _os.environ.get("HOME", ".")
    while written < limit and _time.monotonic() - started < seconds:
        try:
            with open(_os.path.join(folder, f"fill-{_os.getpid()}-{written}"), "wb") as file:
                file.write(chunk)
        except OSError:
            break
        written += len(chunk)


_fill()
