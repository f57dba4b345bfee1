"""Probes: functions that run inside a worker, call into one submission module and return
plain data. `autograder/probes/<module>.py` serves `autograder/checks/test_<module>.py`.
Each probe is `name(sub, **inputs)`, where `sub` is the imported submission file.
"""
