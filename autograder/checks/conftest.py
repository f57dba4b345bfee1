"""Makes `pytest autograder/checks --submission DIR` work on its own."""
pytest_plugins = ("autograder.plugin",)
