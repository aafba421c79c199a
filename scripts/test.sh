#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run the whole suite.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/test_mlp.py`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium drives the end-to-end widget test (Playwright never downloads a browser).
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
# pinned to the versions the stored notebook outputs were made with (nbval compares them)
python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"

# exercises/ must be what build-exercises makes from solutions/ (fails when stale)
backprop-course build-exercises --check
python -m ruff check .
python -m ruff format --check .
exec python -m pytest -n 2 --dist loadfile "$@"
