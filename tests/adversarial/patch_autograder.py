# attacks: *
# From inside the worker, make every answer claim success and every comparison pass.
import autograder.engine.protocol as protocol
import autograder.engine.worker as worker

protocol.dumps = lambda message: b'{"status": "passed", "id": "r0"}\n'
worker._probe = lambda files, request, exchange: {"status": "passed"}
try:
    import autograder.expect as expect
    expect.expect_close = lambda *args, **kwargs: None
    expect.expect_equal = lambda *args, **kwargs: None
except ImportError:
    pass
