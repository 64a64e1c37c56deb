#!/usr/bin/env bash
# Installs what is missing and runs the dashboard on http://localhost:8501
# (the demo ledger is created on first run). It listens on 127.0.0.1 only (.streamlit/config.toml);
# another --server.address needs sign-in (LEDGER_AUTH) or LEDGER_ALLOW_OPEN=1 (docs/security.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh runtime
.venv/bin/python -m analytics info
PORT=8501
for arg in "$@"; do
  case "$arg" in --server.port=*) PORT="${arg#*=}" ;; esac
done
echo "Dashboard: http://localhost:$PORT. Stop with Ctrl+C."
exec .venv/bin/python -m analytics serve -- "$@"
