#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian/Ubuntu machine, then the Python packages
# into .venv. Usage: bash scripts/setup.sh [runtime|dev]. Safe to run again: it skips what is there.
#
# runtime: only venv support is required; Chromium (picture export) and the fonts are installed
#          when possible, else a warning says what is missing and the dashboard still runs.
# dev:     everything the tests need is required (the browser tests must not be skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-runtime}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

# The newest Python 3.11+ on the PATH (Ubuntu 22.04 may have python3.11 beside an older python3).
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 \
    && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    PYTHON="$candidate"
    break
  fi
done
if [ -z "$PYTHON" ]; then
  echo "Python 3.11 or newer is needed (found $(python3 --version 2>&1))." >&2
  exit 1
fi
PY_VERSION="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"

apt_install() {
  # Quiet and non-interactive (a debconf question must not wait on a hidden prompt).
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    return 1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 && return 0
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# Required: venv support (Debian and Ubuntu ship it as python3-venv / python3.X-venv).
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  echo "Installing venv support for Python $PY_VERSION"
  apt_install "python$PY_VERSION-venv" || apt_install python3-venv || {
    echo "Cannot install python3-venv: run 'sudo apt-get install python3-venv' and start again." >&2
    exit 1
  }
fi

# Chromium (chart pictures, browser tests) and local fonts (charts use no web fonts): Latin faces,
# Chinese faces (Noto Sans CJK for the browser; WenQuanYi Zen Hei, TrueType, which the PDF pack
# embeds: ReportLab cannot embed Noto's CFF outlines) and colour emoji for party names.
optional=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || optional+=("chromium")
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || optional+=("fonts-dejavu-core")
[ -d /usr/share/fonts/truetype/liberation2 ] || optional+=("fonts-liberation2")
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || optional+=("fonts-noto-cjk")
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || optional+=("fonts-wqy-zenhei")
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || optional+=("fonts-noto-color-emoji")
# Carlito: Calibri's widths, which the deck measures its titles with (DejaVu Sans, wider, stands
# in without it) and which LibreOffice draws Calibri with.
[ -e /usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf ] || optional+=("fonts-crosextra-carlito")
# Dev only: LibreOffice Impress and poppler, required: the render tests convert every deck they
# build to PDF and check its text positions (tests/test_briefing_render.py).
if [ "$MODE" = "dev" ]; then
  command -v soffice >/dev/null 2>&1 || optional+=("libreoffice-impress")
  command -v pdftoppm >/dev/null 2>&1 || optional+=("poppler-utils")
fi
if [ "${#optional[@]}" -gt 0 ]; then
  echo "Installing system packages: ${optional[*]}"
  # Ubuntu names the package chromium-browser (a snap wrapper).
  if ! apt_install "${optional[@]}" && ! apt_install "${optional[@]/#chromium/chromium-browser}"; then
    if [ "$MODE" = "dev" ]; then
      echo "Cannot install ${optional[*]}: the tests need them (sudo apt-get install ${optional[*]})." >&2
      exit 1
    fi
    echo "Warning: could not install ${optional[*]}. The dashboard runs; PNG/SVG/PDF export needs" \
      "Chromium (sudo apt-get install chromium), and Chinese text and emoji in exports need" \
      "fonts-noto-cjk, fonts-wqy-zenhei and fonts-noto-color-emoji." >&2
  fi
fi

# A venv without pip (an interrupted first run) is rebuilt.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  rm -rf .venv
  "$PYTHON" -m venv .venv
fi
REQ=requirements.txt
[ "$MODE" = "dev" ] && REQ=requirements-dev.txt
# constraints.txt pins every transitive package to the versions tested together.
STAMP=".venv/.installed-$(cat "$REQ" requirements.txt constraints.txt | sha256sum | cut -c1-16)"
if [ ! -e "$STAMP" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQ" -c constraints.txt
  touch "$STAMP"
fi
