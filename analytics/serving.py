"""Where the dashboard server listens, and whether it may listen there without sign-in.

``python -m analytics serve`` (what ``scripts/run.sh`` starts) asks ``start_refusal`` before it
hands over to ``streamlit run``, and ``dashboard.py`` asks ``open_refusal`` again on every run
with the address Streamlit really uses, so ``streamlit run dashboard.py`` started by hand is
covered too. The rule: a server that answers on any address but the loopback one, with
``LEDGER_AUTH=off``, refuses unless the administrator set ``LEDGER_ALLOW_OPEN=1``.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from analytics.errors import DomainError
from analytics.i18n import t
from analytics.settings import PROJECT_ROOT, Settings

# Streamlit's own config files, weakest first: the user's, then the project's (which wins).
CONFIG_FILES: tuple[Path, ...] = (
    Path.home() / ".streamlit" / "config.toml",
    PROJECT_ROOT / ".streamlit" / "config.toml",
)
ADDRESS_ENV = "STREAMLIT_SERVER_ADDRESS"


class OpenServerError(DomainError):
    """The server would serve the ledger to the network without sign-in."""


def is_loopback(address: str) -> bool:
    """Whether ``address`` only answers this machine ('' is every interface, so not)."""
    host = address.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_refusal(address: str, settings: Settings) -> str | None:
    """The one line saying why the dashboard must not serve on ``address``, or None when it may."""
    if is_loopback(address) or settings.auth != "off" or settings.allow_open:
        return None
    where = address or t("error.serving.every_interface")
    return t("error.serving.open", where=where)


def server_address(args: Sequence[str], environ: Mapping[str, str], config_files: Iterable[Path] = CONFIG_FILES) -> str:
    """The address ``streamlit run`` will bind to with these options: ``--server.address`` on
    the command line, else ``STREAMLIT_SERVER_ADDRESS``, else ``server.address`` of the config
    files (the last one that sets it), else '' (Streamlit's default: every interface)."""
    for index, arg in enumerate(args):
        if arg.startswith("--server.address="):
            return arg.split("=", 1)[1]
        if arg == "--server.address" and index + 1 < len(args):
            return args[index + 1]
    if environ.get(ADDRESS_ENV):
        return environ[ADDRESS_ENV]
    address = ""
    for path in config_files:
        try:
            server = tomllib.loads(path.read_text(encoding="utf-8")).get("server", {})
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if isinstance(server, dict) and server.get("address") is not None:
            address = str(server["address"])
    return address


def start_refusal(args: Sequence[str], environ: Mapping[str, str], settings: Settings) -> str | None:
    """``open_refusal`` for a server about to start with these ``streamlit run`` options."""
    return open_refusal(server_address(args, environ), settings)
