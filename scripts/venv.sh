# Sourced by course.sh and test.sh (from the repository root): make sure the project's own
# virtual environment .venv exists and runs, creating it only when it is missing or broken.
# Everything is then installed into .venv and run as .venv/bin/..., never into the system's
# python (Debian and Ubuntu refuse that anyway: PEP 668, "externally-managed-environment"),
# and .venv never sees the system's site-packages.
#
# The interpreter is python3 from PATH, or $PYTHON when set (PYTHON=python3.12 bash scripts/...).
# Usage: ensure_venv [--apt]   (--apt: when python3 lacks venv/ensurepip and we run as root,
#                               install Debian's python3.X-venv with apt-get; test.sh, i.e. CI)

VENV=.venv

venv_fail() {
  echo "error: $*" >&2
  exit 1
}

# The Debian/Ubuntu package that gives "$1" (an interpreter) its venv module and ensurepip.
venv_package() {
  local minor
  minor=$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  echo "python$minor-venv"
}

# Stop, naming the package to install; $2 (optional) replaces the first line of the message.
venv_missing_message() {
  local py=$1 pkg
  pkg=$(venv_package "$py")
  cat >&2 <<EOF
error: ${2:-$py cannot create a virtual environment (the venv module or ensurepip is missing).}
  On Debian or Ubuntu, install it with:   sudo apt-get install $pkg
  (or python3-venv, for the distribution's default python3), then run this script again.
  Elsewhere, install a Python 3.11+ that includes venv and run: PYTHON=/path/to/python3 bash $0
EOF
  exit 1
}

# Does .venv run, with pip, and was it made here? (A venv's scripts start with its absolute
# path, so a repository moved to another folder needs a new one.)
venv_works() {
  [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null &&
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1 &&
    head -n 3 "$VENV/bin/pip" 2>/dev/null | grep -qF "$(cd "$VENV" && pwd -P)/bin/python"
}

ensure_venv() {
  local apt=0 py=${PYTHON:-python3}
  [ "${1:-}" = --apt ] && apt=1

  if [ -e "$VENV" ] && [ ! -f "$VENV/pyvenv.cfg" ]; then
    venv_fail "'$VENV' exists but is not a virtual environment (no $VENV/pyvenv.cfg)." \
      "These scripts keep the course's packages there; move it away and run again."
  fi
  if [ -f "$VENV/pyvenv.cfg" ] &&
    grep -Eiq '^include-system-site-packages *= *true' "$VENV/pyvenv.cfg"; then
    venv_fail "'$VENV' includes the system site-packages (include-system-site-packages = true" \
      "in $VENV/pyvenv.cfg); the course needs its own isolated one: delete $VENV and run again."
  fi
  if venv_works; then
    echo "Using the virtual environment $VENV ($("$VENV/bin/python" --version))"
    return 0
  fi

  command -v "$py" >/dev/null 2>&1 ||
    venv_fail "no '$py' on PATH: install Python 3.11 or newer (Debian/Ubuntu: sudo apt-get" \
      "install python3 python3-venv), or name one with PYTHON=/path/to/python3 bash $0"
  "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    venv_fail "the course needs Python 3.11 or newer; $py is $("$py" --version 2>&1)." \
      "Install a newer one and run: PYTHON=/path/to/python3.11 bash $0"
  if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
    if [ "$apt" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      local pkg
      pkg=$(venv_package "$py")
      echo "$py has no venv/ensurepip: installing Debian's $pkg with apt-get"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null ||
        venv_missing_message "$py"
    fi
    "$py" -c 'import venv, ensurepip' 2>/dev/null || venv_missing_message "$py"
  fi

  if [ -L "$VENV" ]; then
    venv_fail "'$VENV' is a link (to $(readlink "$VENV")) to no working virtual environment;" \
      "what it points to is not ours to re-create: fix it, or remove the link and run again."
  fi
  if [ -e "$VENV" ]; then
    echo "The virtual environment $VENV is broken (its python or pip does not run, or it was"
    echo "made in another folder): re-creating it"
  else
    echo "Creating the virtual environment $VENV with $py ($("$py" --version 2>&1))"
  fi
  # --clear empties a broken .venv (it was ours: it has a pyvenv.cfg) before re-creating it
  if ! "$py" -m venv --clear "$VENV"; then
    rm -rf "$VENV"
    venv_missing_message "$py" "'$py -m venv $VENV' failed (its message is above); the venv
  module or ensurepip may be missing."
  fi
  venv_works || venv_fail "the new $VENV does not work: $VENV/bin/python -m pip --version fails"
}

# pip install "$@" into .venv, with the versions pinned in constraints.txt (those CI tested and
# the stored notebook outputs were made with). Skipped when the same install already succeeded
# with the same pyproject.toml and constraints.txt (the install is editable, so changes to the
# package's code need none); .venv/.installed records those installs.
venv_install() {
  local stamp="$VENV/.installed" key
  key=$("$VENV/bin/python" - "$@" <<'PY'
import hashlib
import sys

digest = hashlib.sha256()
for name in ("pyproject.toml", "constraints.txt"):
    with open(name, "rb") as f:
        digest.update(f.read())
print(digest.hexdigest()[:16], *sys.argv[1:])
PY
)
  if [ -f "$stamp" ] && grep -qxF "$key" "$stamp"; then
    echo "Packages in $VENV are up to date (pyproject.toml and constraints.txt unchanged)"
    return 0
  fi
  echo "Installing $* into $VENV with pip, at the versions pinned in constraints.txt"
  echo "(the first time this downloads about 150 MB and takes a few minutes; pip's own lines follow)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -c constraints.txt "$@"
  echo "$key" >>"$stamp"
  echo "Installed $* into $VENV"
}
