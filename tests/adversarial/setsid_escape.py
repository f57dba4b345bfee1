# attacks: one_hot
import os
import time


def one_hot(labels, depth):
    """Leave a double-forked, setsid grandchild behind (bounded: it lives at most 90 s)."""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(90)
        os._exit(0)
    os.wait()
    return None
