#!/usr/bin/env bash
# Install the course into the project's virtual environment .venv and open the lectures in
# JupyterLab. Extra arguments go to `jupyter lab`; `--install-only` (first) installs and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

install_only=0
if [ "${1:-}" = --install-only ]; then
  install_only=1
  shift
fi

ensure_venv
venv_install -e .
if [ "$install_only" = 1 ]; then exit 0; fi

lab_args=()
if [ "$(id -u)" = 0 ]; then
  # JupyterLab refuses to run as root without it (containers and CI machines often are root)
  echo "Running as root: starting JupyterLab with --allow-root"
  lab_args+=(--allow-root)
fi
# (the ${a[@]+...} form: an empty array under set -u, also in bash 3.2)
exec .venv/bin/jupyter lab lectures/ ${lab_args[@]+"${lab_args[@]}"} "$@"
