"""The UI edge shared by every page: the ledger connection, the cached wrappers keyed on the
ledger version, and the demo badge.

Only this module holds ``st.cache_resource`` / ``st.cache_data``; the ``analytics`` functions
stay plain. The cache key of every result includes the ledger file's signature, which changes
on every write, so an import shows at once and never mixes with stale numbers.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analytics.ledger import LedgerReader, ledger_info, prepare_ledger
from analytics.settings import DEFAULT_DB_PATH, load_settings


@st.cache_resource(show_spinner="Opening the ledger…")
def _reader(path: str) -> LedgerReader:
    settings = load_settings()
    prepare_ledger(path, is_default=Path(path).resolve() == DEFAULT_DB_PATH.resolve(), seed=settings.demo_seed)
    return LedgerReader(path)


def ledger_path() -> str:
    """The ledger file the app serves (LEDGER_DB or the default)."""
    return str(load_settings().db_path)


def reader() -> LedgerReader:
    """The process-wide reader of the ledger."""
    return _reader(ledger_path())


def ledger_version() -> tuple[int, int, int]:
    """Cache key part that changes whenever the ledger file is rewritten."""
    return reader().signature()


@st.cache_data(show_spinner=False, max_entries=8)
def cached_info(path: str, version: tuple[int, int, int]):
    """Ledger totals and metadata for one ledger version."""
    return ledger_info(_reader(path).connection().cursor(), path)


def info():
    """Totals and metadata of the current ledger."""
    return cached_info(ledger_path(), ledger_version())


def demo_badge() -> None:
    """A visible mark that the numbers are synthetic, on every page that shows demo data."""
    if info().is_demo:
        st.warning(
            "**Demo data.** Synthetic ledger with invented parties, shaped by public facts; "
            "no meeting shown here happened. Import your own ledger on the Data page.",
            icon="⚠️",
        )
