# One command each: `make check` (set up, then check your exercises) and `make test`
# (set up, then run the course's own tests). Both create .venv on first use.
# The venv comes from the system Python, which every user can run (the sandbox needs that).
BASE_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || command -v python3)
VENV        := .venv
PY          := $(VENV)/bin/python
INSTALLED   := $(VENV)/.installed
SUBMISSION  ?= exercises
TOPICS      ?=
# Debian packages the tests use (installed when missing and we are root).
SYSTEM_PACKAGES ?= tmux

.PHONY: setup system-deps check test test-fast test-slow benchmark generate

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

setup: $(INSTALLED)

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing (some tests are skipped without them)"; fi; \
	fi

check: setup
	$(PY) -m autograder check $(TOPICS) --submission $(SUBMISSION)

# The whole suite, as CI runs it: the default tests (about 15 minutes at most on 2 cores),
# then the slow ones (seed robustness, the browser test, stress tests).
test: test-fast test-slow

test-fast: setup system-deps
	$(PY) -m pytest -n 2 -m "not slow" tests

test-slow: setup system-deps
	$(PY) -m pytest -n 2 -m slow tests

benchmark: setup
	for script in benchmarks/*.py; do $(PY) $$script || exit 1; done

generate: setup
	$(PY) -m autograder generate
