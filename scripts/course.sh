#!/usr/bin/env bash
# Install the course and open the lectures in JupyterLab.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q --disable-pip-version-check -e .
exec python -m jupyter lab lectures/ "$@"
