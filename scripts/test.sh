#!/usr/bin/env bash
# Installs what the tests need (Python packages, Chromium, fonts), lints, and runs every test,
# browser tests included. Test artefacts (screenshots, exports) land in test-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
