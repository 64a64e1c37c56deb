#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian/Ubuntu machine, then the Python packages
# into .venv. Usage: bash scripts/setup.sh [runtime|dev]. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-runtime}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "Python 3.11 or newer is needed (found $(python3 --version 2>&1))." >&2; exit 1; }

# System packages: venv support, Chromium (chart export and browser tests) and fonts
# (charts must not depend on web fonts).
missing=()
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=("python3-venv")
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=("chromium")
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=("fonts-dejavu-core")
[ -d /usr/share/fonts/truetype/liberation2 ] || missing+=("fonts-liberation2")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  if ! $SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
    $SUDO apt-get update -q >/dev/null
    # Ubuntu ships Chromium as a snap; its apt name is chromium-browser.
    $SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
      alt=("${missing[@]/#chromium/chromium-browser}")
      $SUDO apt-get install -y -q "${alt[@]}"
    }
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
REQ=requirements.txt
[ "$MODE" = "dev" ] && REQ=requirements-dev.txt
STAMP=".venv/.installed-$(sha256sum "$REQ" requirements.txt | sha256sum | cut -c1-16)"
if [ ! -e "$STAMP" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQ"
  touch "$STAMP"
fi
