"""A real dashboard server for browser tests: ``streamlit run dashboard.py`` on a free local port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60


class ServerStartError(RuntimeError):
    """The dashboard server did not come up."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dashboard_server(
    ledger: Path,
    log_path: Path,
    script: str = "dashboard.py",
    *,
    env: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
    port: int | None = None,
) -> Iterator[str]:
    """Serve ``script`` (the dashboard by default) on ``ledger``; yields its base URL and stops
    it afterwards. Used by the browser tests and ``scripts/bench_browser.py``. ``env`` adds
    environment variables (``LEDGER_AUTH``...), ``options`` more ``streamlit run`` options
    (``--secrets.files``...), ``port`` a port chosen beforehand (an OIDC redirect URI names it).

    Raises ServerStartError with the end of the server's log when it does not answer its health
    check within a minute.
    """
    port = port or free_port()
    env = {**os.environ, **(env or {}), "LEDGER_DB": str(ledger)}
    with open(log_path, "w+") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                script,
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                *options,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base, process, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_healthy(base: str, process: subprocess.Popen, log=None) -> None:
    """Return when ``base`` answers its health check; ServerStartError (with the end of the log)
    when the process ends or a minute passes first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            text = ""
            if log is not None:
                log.seek(0)
                text = log.read()[-3000:]
            raise ServerStartError(f"streamlit did not start:\n{text}")
        time.sleep(0.3)
