#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine (Python 3.11, root), then run it:
# Debian's chromium (browser tests) and postgresql (decision store tests), a virtual environment
# with eit-geo and its test extras, the linter, then pytest. Extra arguments go to pytest.
# Without arguments (the CI) everything runs. Quick run, skipping every test that starts a process
# (servers, CLI runs, Chromium, PostgreSQL, workers): bash scripts/test.sh -m "not process"
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" fonts-dejavu-core >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # type check of eit_geo, configured in pyproject.toml ([tool.mypy])
.venv/bin/python -m pytest "$@"
