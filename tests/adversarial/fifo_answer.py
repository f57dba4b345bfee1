# attacks: one_hot
import os

import numpy as np


def one_hot(labels, depth):
    """Answer with a FIFO where the grader expects an array file, by patching the worker's
    own encoder (bounded: only this worker's answer folder)."""
    from autograder.engine import protocol

    protocol.np = type("FakeNumpy", (), {"save": staticmethod(lambda path, *a, **k: os.mkfifo(path)),
                                         "ndarray": np.ndarray, "generic": np.generic})
    return np.zeros(np.shape(labels) + (depth,), dtype=np.float32)
