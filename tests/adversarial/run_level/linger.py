# attacks: (none: it leaves a process behind, for tests/test_batch_attacks.py's clean worker test)
# Appended to the reference e01_tensors.py: at import, leave a setsid grandchild running
# (bounded: it sleeps 60 s), one that could rewrite an artefact while a clean worker reads it.
import os as _os
import time as _time

if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _time.sleep(60)
    _os._exit(0)
_os.wait()
