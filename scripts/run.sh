#!/usr/bin/env bash
# Installs what is missing and runs the dashboard on http://localhost:8501
# (the demo ledger is created on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh runtime
.venv/bin/python -m analytics info
exec .venv/bin/python -m streamlit run dashboard.py "$@"
