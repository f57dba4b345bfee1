# attacks: describe
import time


def describe(t):
    """Spin until stopped (bounded: gives up after 150 s on its own)."""
    end = time.monotonic() + 150
    while time.monotonic() < end:
        pass
    return None
