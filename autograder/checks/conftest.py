"""Makes `pytest autograder/checks --submission DIR` work on its own."""
from autograder.plugin import *  # noqa: F401,F403  (pytest hooks and fixtures)
