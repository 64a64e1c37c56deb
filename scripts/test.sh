#!/usr/bin/env bash
# Installs what the tests need (Python packages, Chromium, fonts), lints, checks the layer
# contracts (import-linter, pyproject.toml) and the type hints (mypy), and runs every test,
# slow and browser tests included. Test artefacts (screenshots, exports) land in test-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-logo --no-cache
.venv/bin/mypy
# Test files are shared out between processes, one per core (at most 4); each file runs whole in
# one process, so its module fixtures are built once.
.venv/bin/python -m pytest -n auto --maxprocesses 4 --dist loadfile "$@"
