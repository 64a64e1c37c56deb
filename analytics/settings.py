"""Settings of the dashboard and the command line, declared as data.

Each setting has a default, a help text and one environment variable that overrides it;
``load_settings()`` reads them. The README lists every variable (a test checks it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from analytics.errors import InvalidInputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DB_PATH = DATA_DIR / "ledger.duckdb"


class SettingsError(InvalidInputError):
    """An environment variable holds a value the setting cannot take."""


def _setting(default, env: str, help: str):
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    """Run-time settings; see ``SETTINGS_HELP`` in the README for each variable."""

    db_path: Path = _setting(
        DEFAULT_DB_PATH,
        "LEDGER_DB",
        "Path of the DuckDB ledger file (created with demo data when the default one is missing).",
    )
    upload_limit_mb: int = _setting(
        50, "LEDGER_UPLOAD_LIMIT_MB", "Largest import file accepted by the Data page, in megabytes."
    )
    max_import_rows: int = _setting(
        2_000_000,
        "LEDGER_MAX_IMPORT_ROWS",
        "Most data rows one import file may hold; a larger file is refused before it is read in full.",
    )
    max_unpacked_mb: int = _setting(
        500,
        "LEDGER_MAX_UNPACKED_MB",
        "Most megabytes an Excel workbook may unpack to (its declared sizes are checked before it is read).",
    )
    earliest_year: int = _setting(
        1921, "LEDGER_EARLIEST_YEAR", "Imported dates before this year are rejected (default: the party's founding)."
    )
    demo_seed: int = _setting(1951, "LEDGER_DEMO_SEED", "Seed of the demo ledger created on first run.")
    browser_path: str = _setting(
        "", "LEDGER_BROWSER", "Chromium-family browser used for PNG/SVG/PDF export (empty: let Kaleido find one)."
    )
    user: str = _setting(
        "",
        "LEDGER_USER",
        "Name of the local operator: the command line acts, and is audited, as this admin (empty: the login name).",
    )
    access_db: str = _setting(
        "",
        "LEDGER_ACCESS_DB",
        "Path of the SQLite access database: users, sessions, failed sign-ins, audit log "
        "(empty: access.sqlite beside the ledger).",
    )
    auth: str = _setting(
        "off",
        "LEDGER_AUTH",
        "Sign-in of the dashboard: off (everyone is the local operator), local (users of the access "
        "database) or oidc (the identity provider's user).",
    )
    session_idle_minutes: int = _setting(
        30, "LEDGER_SESSION_IDLE_MINUTES", "A dashboard session ends after this many minutes without use."
    )
    oidc_role_claim: str = _setting(
        "",
        "LEDGER_OIDC_ROLE_CLAIM",
        "With LEDGER_AUTH=oidc, the claim naming the role (viewer, analyst, admin); when absent, the role "
        "from the user list, else viewer.",
    )
    lang: str = _setting(
        "en",
        "LEDGER_LANG",
        "Language of the dashboard when a link does not choose one, of exports without --lang and of "
        "command-line error messages: en (English) or zh (简体中文).",
    )
    allow_open: bool = _setting(
        False,
        "LEDGER_ALLOW_OPEN",
        "Set to 1 to serve the dashboard without sign-in (LEDGER_AUTH=off) on an address other than "
        "127.0.0.1; without it such a server refuses to start.",
    )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings with each environment override applied; a bad value raises SettingsError."""
    source: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in fields(Settings):
        raw = source.get(setting.metadata["env"])
        if raw is None or raw == "":
            continue
        kind: Any = type(setting.default)
        if kind is bool:
            values[setting.name] = _flag(setting.metadata["env"], raw)
            continue
        try:
            values[setting.name] = Path(raw).expanduser() if kind is not str and issubclass(kind, Path) else kind(raw)
        except ValueError:
            raise SettingsError(
                f"{setting.metadata['env']}={raw!r} is not a valid {kind.__name__}: {setting.metadata['help']}"
            ) from None
    return Settings(**values)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(env: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise SettingsError(f"{env}={raw!r} is not 1 or 0 (also true/false, yes/no, on/off)")


def settings_help() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, for docs and --help."""
    return [(f.metadata["env"], str(f.default), f.metadata["help"]) for f in fields(Settings)]
