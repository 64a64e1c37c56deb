"""``serve``: start the dashboard (``streamlit run dashboard.py``) after the open-address check.

``scripts/run.sh`` runs it. The check is ``analytics.serving.start_refusal``; on a refusal the
command prints its one line and exits 2 without starting anything. Otherwise the process
becomes the Streamlit server (``os.execv``), so this module never imports Streamlit itself.
"""

from __future__ import annotations

import argparse
import os
import sys

from analytics import cli, serving
from analytics.settings import PROJECT_ROOT, load_settings


def register(subparsers, common: argparse.ArgumentParser) -> None:
    serve = subparsers.add_parser(
        "serve",
        parents=[common],
        help="start the dashboard server",
        description="Start the dashboard (streamlit run dashboard.py) with the given Streamlit options, "
        "e.g. --server.port 8502. Refuses to serve on an address other than 127.0.0.1 while "
        "LEDGER_AUTH=off, unless LEDGER_ALLOW_OPEN=1 (docs/security.md).",
    )
    serve.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="options passed to streamlit run")
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    options = [arg for arg in args.streamlit_args if arg != "--"]
    if args.db:
        os.environ["LEDGER_DB"] = str(args.db)  # the server's ledger
    refusal = serving.start_refusal(options, os.environ, load_settings())
    if refusal:
        raise cli.CommandError(refusal)
    os.chdir(PROJECT_ROOT)  # Streamlit reads .streamlit/config.toml from the working directory
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "dashboard.py"), *options]
    sys.stdout.flush()
    os.execv(sys.executable, command)
    return 0  # not reached
