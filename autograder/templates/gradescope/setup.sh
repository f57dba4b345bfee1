#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
# It installs what grading needs: bubblewrap (the sandbox), a Python of at least 3.11 and
# the course's Python dependencies at the versions of source/requirements.lock.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bubblewrap ca-certificates
python=""
for candidate in python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null; then python="$candidate"; break; fi
done
if [ -z "$python" ]; then  # Ubuntu 22.04 ships 3.10; 3.11 is in its universe component
  apt-get install -y -qq software-properties-common
  add-apt-repository -y universe
  apt-get update -qq
  apt-get install -y -qq python3.11
  python=python3.11
fi
apt-get install -y -qq "$python-venv" || apt-get install -y -qq python3-venv
# The sandbox's unprivileged user runs this venv, so it comes from the system's Python.
"$(command -v "$python")" -m venv /autograder/venv
"$(command -v "$python")" /autograder/source/autograder/installer.py /autograder/venv/bin/python -e /autograder/source
chmod -R o+rX /autograder/venv /autograder/source
# The sandbox user passes through /autograder to its scratch folder (it lists nothing there).
chmod o+x /autograder
# Can bubblewrap make its namespaces in this container? If not, every run grades with
# --weak-sandbox and its results.json says so (the reason is kept in source/WEAK_SANDBOX).
rm -f /autograder/source/WEAK_SANDBOX
if ! why=$(bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev true 2>&1); then
  echo "bubblewrap cannot run in this container: ${why:-no reason given}" | head -c 300 > /autograder/source/WEAK_SANDBOX
  echo "WARNING: $(cat /autograder/source/WEAK_SANDBOX); grading falls back to --weak-sandbox" >&2
fi
# Hidden checks and held-out data: readable by the grader (root) only, as `make grading-setup` does.
if [ -d /autograder/source/autograder/checks/hidden ]; then chmod -R o-rwx /autograder/source/autograder/checks/hidden; fi
if [ -d /autograder/source/data/heldout ]; then chmod -R o-rwx /autograder/source/data/heldout; fi
