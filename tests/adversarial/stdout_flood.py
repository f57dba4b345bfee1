# attacks: standardize
import sys


def standardize(x):
    """Flood stdout (bounded: 300 MiB, past the 256 MiB file-size limit)."""
    line = "spam " * 200 + "\n"
    for _ in range((300 << 20) // len(line)):
        sys.stdout.write(line)
    return x
