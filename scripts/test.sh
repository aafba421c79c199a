#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine (into the project's virtual
# environment .venv), then run the whole suite. Extra arguments go to pytest (e.g.
# `bash scripts/test.sh tests/test_mlp.py`); `--install-only` (first) installs and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

install_only=0
if [ "${1:-}" = --install-only ]; then
  install_only=1
  shift
fi

# Debian's Chromium drives the end-to-end widget test (Playwright never downloads a browser).
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing Debian's chromium with apt-get (the browser tests drive it)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
# --apt: as root (CI), a Debian python3 without venv gets python3.X-venv from apt-get
ensure_venv --apt
# pinned to the versions the stored notebook outputs were made with (nbval compares them)
venv_install -e ".[dev]"
if [ "$install_only" = 1 ]; then
  echo "Next, to run every test: bash scripts/test.sh"
  exit 0
fi

# exercises/ must be what build-exercises makes from solutions/ (fails when stale)
.venv/bin/backprop-course build-exercises --check
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
