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
SYSTEM_PACKAGES ?= tmux bubblewrap chromium chromium-driver postgresql

.PHONY: setup lock system-deps grading-setup catalogues check test test-fast test-slow benchmark generate lab watch progress

# Exact versions and hashes from requirements.lock, installed by uv (autograder/installer.py).
$(INSTALLED): pyproject.toml requirements.lock autograder/installer.py
	test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(BASE_PYTHON) autograder/installer.py $(PY) -e '.[dev]'
	touch $(INSTALLED)

setup: $(INSTALLED)

# The lock, for Linux (x86-64, aarch64) and every other platform uv resolves for, Python
# 3.11 to 3.13: run after changing a range in pyproject.toml (tests/test_lock.py says when).
LOCK_COMMAND := uv pip compile pyproject.toml --extra dev --extra install --universal --python-version 3.11 --generate-hashes -o requirements.lock
lock: setup
	$(PY) -m $(LOCK_COMMAND)

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing (some tests are skipped without them)"; fi; \
	fi

# Grading as root: workers run as bare uids 100000+ (no account needed, a fresh one per
# submission). Without bubblewrap they see what every user may see, so the checkout becomes
# an allow-list: only the venv and the worker's part of autograder/ (engine, probes, i18n)
# stay readable by others; the checkout and autograder/ stay listable (0755: Python's
# import system lists the folders on its path), and everything else in them (solutions/,
# .git, tests/, the checks, data/ with its held-out labels, notebooks, ...) is o-rwx.
ALLOWED_TO_WORKERS := .venv autograder autograder/__init__.py autograder/i18n.py autograder/outcomes.py autograder/locale autograder/engine autograder/probes
grading-setup:
	@if [ "$$(id -u)" = 0 ]; then \
	  for entry in .[!.]* * autograder/* autograder/.[!.]*; do \
	    [ -e "$$entry" ] || continue; \
	    case " $(ALLOWED_TO_WORKERS) " in *" $$entry "*) ;; *) chmod -R o-rwx "$$entry";; esac; \
	  done; \
	  chmod -R o+rX .venv autograder/__init__.py autograder/i18n.py autograder/outcomes.py autograder/locale autograder/engine autograder/probes; \
	  chmod 0755 . autograder; \
	fi

# The translation catalogues (autograder/locale, see its README): extract the English texts
# of the code and course.toml, merge them into each .po (a translator then fills in the new
# or fuzzy entries) and compile the .mo files, which are committed so that a fresh clone
# speaks Chinese; a test fails when a catalogue is out of date with the code or its .mo.
# The lesson text has a catalogue per topic, lesson_<module>, extracted paragraph by
# paragraph from solutions/ (autograder/locale/lessons.cfg), and lesson_notebook for the
# cells every notebook adds.
LESSONS := $(basename $(notdir $(wildcard solutions/e*.py)))
LESSON_DOMAINS := $(addprefix lesson_,$(LESSONS)) lesson_notebook
CATALOGUE_DOMAINS ?= messages $(LESSON_DOMAINS)
catalogues: setup
	mkdir -p build
	$(VENV)/bin/pybabel extract -F autograder/locale/babel.cfg --add-location=file --sort-output --no-wrap \
	  --omit-header -o build/messages.pot .
	$(VENV)/bin/pybabel update -i build/messages.pot -d autograder/locale -D messages --no-wrap --ignore-obsolete \
	  --ignore-pot-creation-date
	for domain in $(LESSON_DOMAINS); do \
	  source=solutions/$${domain#lesson_}.py; [ $$domain = lesson_notebook ] && source=autograder/classroom/frame.py; \
	  $(VENV)/bin/pybabel extract -F autograder/locale/lessons.cfg --add-location=file --no-wrap --omit-header \
	    -o build/$$domain.pot $$source || exit 1; \
	  [ -f autograder/locale/zh_CN/LC_MESSAGES/$$domain.po ] || \
	    $(VENV)/bin/pybabel init -i build/$$domain.pot -d autograder/locale -D $$domain -l zh_CN --no-wrap || exit 1; \
	  $(VENV)/bin/pybabel update -i build/$$domain.pot -d autograder/locale -D $$domain --no-wrap --ignore-obsolete \
	    --ignore-pot-creation-date || exit 1; \
	done
	for domain in $(CATALOGUE_DOMAINS); do $(VENV)/bin/pybabel compile -d autograder/locale -D $$domain --statistics || exit 1; done

check: setup
	$(PY) -m autograder check $(TOPICS) --submission $(SUBMISSION)

# Self-study: re-check the current exercise on every save (keys: h hint, n next, l list,
# r reset, q quit), and the table of every exercise.
watch: setup
	$(PY) -m autograder watch --submission $(SUBMISSION)

progress: setup
	$(PY) -m autograder progress --submission $(SUBMISSION)

# The whole suite, as CI runs it: the default tests (about 15 minutes at most on 2 cores),
# then the slow ones (seed robustness, the browser test, stress tests).
test: test-fast test-slow

test-fast: setup system-deps grading-setup
	$(PY) -m pytest -n 2 --dist loadgroup -m "not slow" tests

# The slow tests side by side, then those marked quiet (a browser, timings, races) one at a
# time: they never share the two cores with the 20-seed training. Each step fails when it
# finds no test (pytest's exit code 5).
test-slow: setup system-deps grading-setup
	$(PY) -m pytest -n 2 --dist loadgroup -m "slow and not quiet" tests
	$(PY) -m pytest -n 0 -m "slow and quiet" tests

benchmark: setup
	for script in $(filter-out benchmarks/interleaved.py,$(wildcard benchmarks/*.py)); do $(PY) $$script || exit 1; done

generate: setup
	$(PY) -m autograder generate

# The notebooks in JupyterLab (notebooks/: one per topic, with check cells).
lab: setup
	$(PY) -m jupyterlab --ServerApp.root_dir=notebooks
