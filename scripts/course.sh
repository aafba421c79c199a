#!/usr/bin/env bash
# Install the course into the project's virtual environment .venv and open JupyterLab on the
# course's folder with the course home (home.ipynb), which links every lecture, exercise and
# solution in order. Extra arguments go to `jupyter lab`; `--install-only` (first) installs,
# prints the command to run next, and stops.
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
if [ "$install_only" = 1 ]; then
  echo "Next, to open the course in JupyterLab: bash scripts/course.sh"
  exit 0
fi

lab_args=()
if [ "$(id -u)" = 0 ]; then
  # JupyterLab refuses to run as root without it (containers and CI machines often are root)
  echo "Running as root: starting JupyterLab with --allow-root"
  lab_args+=(--allow-root)
fi
echo "Starting JupyterLab on $PWD with the course home, home.ipynb (stop it with Ctrl-C)"
# the folder is the server's root, so lectures/, exercises/ and solutions/ are all reachable;
# naming home.ipynb opens it in the browser
# (the ${a[@]+...} form: an empty array under set -u, also in bash 3.2)
exec .venv/bin/jupyter lab --ServerApp.root_dir="$PWD" home.ipynb ${lab_args[@]+"${lab_args[@]}"} "$@"
