"""The open-address rule (analytics/serving.py): which address ``streamlit run`` binds to, when
the dashboard refuses to serve without sign-in, and the real server refusing to start on an
open address with ``LEDGER_AUTH=off`` and starting with the explicit ``LEDGER_ALLOW_OPEN=1``."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from analytics import serving
from analytics.settings import load_settings
from tests.servers import ROOT, free_port, wait_until_healthy


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("dashboard.example.org", False),
    ],
)
def test_is_loopback(address, loopback):
    assert serving.is_loopback(address) is loopback


@pytest.mark.parametrize(
    ("address", "environ", "refused"),
    [
        ("127.0.0.1", {}, False),
        ("0.0.0.0", {}, True),
        ("", {}, True),
        ("0.0.0.0", {"LEDGER_ALLOW_OPEN": "1"}, False),
        ("0.0.0.0", {"LEDGER_ALLOW_OPEN": "0"}, True),
        ("0.0.0.0", {"LEDGER_AUTH": "local"}, False),
        ("0.0.0.0", {"LEDGER_AUTH": "oidc"}, False),
    ],
)
def test_open_refusal(address, environ, refused):
    message = serving.open_refusal(address, load_settings(environ))
    assert (message is not None) is refused
    if message:
        assert "\n" not in message and "LEDGER_ALLOW_OPEN=1" in message


def test_server_address_precedence(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[server]\naddress = "10.0.0.5"\n')
    files = [tmp_path / "missing.toml", config]
    assert serving.server_address([], {}, files) == "10.0.0.5"
    assert serving.server_address([], {"STREAMLIT_SERVER_ADDRESS": "10.0.0.6"}, files) == "10.0.0.6"
    assert (
        serving.server_address(["--server.address", "0.0.0.0"], {"STREAMLIT_SERVER_ADDRESS": "x"}, files) == "0.0.0.0"
    )
    assert serving.server_address(["--server.address=::"], {}, files) == "::"
    assert serving.server_address([], {}, [tmp_path / "missing.toml"]) == ""


def test_the_project_config_binds_to_loopback_and_hides_error_details():
    assert serving.server_address([], {}, [ROOT / ".streamlit" / "config.toml"]) == "127.0.0.1"
    assert 'showErrorDetails = "none"' in (ROOT / ".streamlit" / "config.toml").read_text()


def _serve(port: int, environ: dict[str, str]) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_AUTH", "LEDGER_ALLOW_OPEN"))}
    return subprocess.Popen(
        [sys.executable, "-m", "analytics", "serve", "--", "--server.address", "0.0.0.0", "--server.port", str(port)],
        cwd=ROOT,
        env={**env, **environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow  # starts the real server
def test_the_real_server_refuses_an_open_address_without_sign_in_and_starts_with_the_override(
    make_ledger, tmp_path: Path
):
    ledger = make_ledger([{"date": "2001", "party": "Invented Party"}])
    port = free_port()
    refused = _serve(port, {"LEDGER_DB": str(ledger), "LEDGER_AUTH": "off"})
    output, _ = refused.communicate(timeout=60)
    assert refused.returncode == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: Refusing to serve the ledger on 0.0.0.0"), output

    started = _serve(port, {"LEDGER_DB": str(ledger), "LEDGER_AUTH": "off", "LEDGER_ALLOW_OPEN": "1"})
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", started)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
            assert response.status == 200
    finally:
        started.terminate()
        started.wait(timeout=10)
