"""The cache at the UI edge: the one ``st.cache_resource`` ledger reader and the typed
``st.cache_data`` wrappers around the ``analytics`` functions the pages call.

Every wrapper is keyed on the ledger path and the ledger file's signature (which changes on
every write, so an import shows at once and never mixes with stale numbers), plus its filters
and options; a wrapper whose result holds words (a chart, a pivot's labels, an error message)
also takes the language of the run, so a switch never shows a cached figure in the other
language. The ``analytics`` functions stay plain. Only this module holds
``st.cache_resource`` / ``st.cache_data``. Pages, the filters sidebar and the page furniture
read the ledger through here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import chart_catalog, charts, explore, findings, i18n, metrics, profiles
from analytics.filters import Filters
from analytics.ledger import LedgerInfo, LedgerReader, ledger_info, prepare_ledger
from analytics.reference import ERAS_CSV, ReferenceDataError
from analytics.reference import eras as reference_eras
from analytics.settings import DEFAULT_DB_PATH, load_settings

Version = tuple[int, int, int]
PeriodPair = tuple[tuple[int, int], tuple[int, int]]


@st.cache_resource(show_spinner=False)
def _reader(path: str) -> LedgerReader:
    settings = load_settings()
    prepare_ledger(path, is_default=Path(path).resolve() == DEFAULT_DB_PATH.resolve(), seed=settings.demo_seed)
    return LedgerReader(path)


# Ledger files this process has opened: the first opening shows a spinner in the run's language.
_opened: set[str] = set()


def ledger_path() -> str:
    """The ledger file the app serves (LEDGER_DB or the default)."""
    return str(load_settings().db_path)


def reader() -> LedgerReader:
    """The process-wide reader of the ledger."""
    path = ledger_path()
    if path in _opened:
        return _reader(path)
    with st.spinner(i18n.t("cache.opening_ledger")):
        opened = _reader(path)
    _opened.add(path)
    return opened


def ledger_version() -> Version:
    """Cache key part that changes whenever the ledger file is rewritten."""
    return reader().signature()


@st.cache_data(show_spinner=False, max_entries=8)
def _info(path: str, version: Version) -> LedgerInfo:
    return ledger_info(_reader(path).connection().cursor(), path)


def info() -> LedgerInfo:
    """Totals and metadata of the current ledger."""
    return _info(ledger_path(), ledger_version())


def eras_version() -> tuple[int, int] | None:
    """Signature of ``data/eras.csv`` (users edit it): a change redraws the time charts."""
    try:
        stat = ERAS_CSV.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@st.cache_data(show_spinner=False, max_entries=4)
def _eras_problem(version: tuple[int, int] | None, lang: str) -> str | None:
    try:
        reference_eras()
    except ReferenceDataError as error:
        return str(error)
    return None


def eras_problem() -> str | None:
    """Why ``data/eras.csv`` cannot be read, or None; read again only when the file changes."""
    return _eras_problem(eras_version(), i18n.current())


# ---------------------------------------------------------------------------------------------
# One cached wrapper per analytics function the pages call


@st.cache_data(show_spinner=False, max_entries=256)
def _window(path: str, version: Version, filters: Filters | None) -> tuple[int, int]:
    return metrics.window(_reader(path).connection(), filters)


def window(filters: Filters | None) -> tuple[int, int]:
    """``metrics.window``: the (first, last) year the filters cover."""
    return _window(ledger_path(), ledger_version(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _kpis(path: str, version: Version, filters: Filters | None) -> pd.DataFrame:
    return metrics.kpis(_reader(path).connection(), filters)


def kpis(filters: Filters | None) -> pd.DataFrame:
    """``metrics.kpis``: exchanges, events, parties and countries in the window and the one before."""
    return _kpis(ledger_path(), ledger_version(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _default_periods(path: str, version: Version, filters: Filters) -> PeriodPair | None:
    return chart_catalog.default_periods(_reader(path).connection(), filters)


def default_periods(filters: Filters) -> PeriodPair | None:
    """``chart_catalog.default_periods``: the latest years of the window and the years before them."""
    return _default_periods(ledger_path(), ledger_version(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _pivot_table(
    path: str, version: Version, filters: Filters | None, rows: str, columns: str | None, measure: str, lang: str
) -> pd.DataFrame:
    return explore.pivot_table(_reader(path).connection(), filters, rows=rows, columns=columns, measure=measure)


def pivot_table(
    filters: Filters | None, *, rows: str, columns: str | None = None, measure: str = "exchanges"
) -> pd.DataFrame:
    """``explore.pivot_table``: ``measure`` by ``rows`` (and ``columns``) under the filters."""
    return _pivot_table(ledger_path(), ledger_version(), filters, rows, columns, measure, i18n.current())


@st.cache_data(show_spinner=False, max_entries=128)
def _ledger_rows(
    path: str,
    version: Version,
    filters: Filters | None,
    search: str | None,
    limit: int | None,
    order_by: str,
    descending: bool,
) -> pd.DataFrame:
    return explore.ledger_rows(
        _reader(path).connection(), filters, search=search, limit=limit, order_by=order_by, descending=descending
    )


def ledger_rows(
    filters: Filters | None,
    *,
    search: str | None = None,
    limit: int | None = explore.DEFAULT_LIMIT,
    order_by: str = "date",
    descending: bool = True,
) -> pd.DataFrame:
    """``explore.ledger_rows``: the ledger rows under the filters, searched and sorted."""
    return _ledger_rows(ledger_path(), ledger_version(), filters, search, limit, order_by, descending)


@st.cache_data(show_spinner=False, max_entries=256)
def _ledger_rows_count(path: str, version: Version, filters: Filters | None, search: str | None) -> int:
    return explore.ledger_rows_count(_reader(path).connection(), filters, search=search)


def ledger_rows_count(filters: Filters | None, *, search: str | None = None) -> int:
    """``explore.ledger_rows_count``: how many ledger rows match the filters (and the search)."""
    return _ledger_rows_count(ledger_path(), ledger_version(), filters, search)


@st.cache_data(show_spinner=False, max_entries=128)
def _profile_summary(path: str, version: Version, filters: Filters) -> dict:
    return profiles.summary(_reader(path).connection(), filters)


def profile_summary(filters: Filters) -> dict:
    """``profiles.summary``: the totals of a profile's filters."""
    return _profile_summary(ledger_path(), ledger_version(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _findings(path: str, version: Version, filters: Filters, top: int, lang: str) -> pd.DataFrame:
    return findings.findings(_reader(path).connection(), filters, top=top, lang=lang)


def findings_of(filters: Filters, *, top: int) -> pd.DataFrame:
    """``findings.findings``: the ``top`` findings of the filters, their sentences in the run's language."""
    return _findings(ledger_path(), ledger_version(), filters, top, i18n.current())


@st.cache_data(show_spinner=False, max_entries=8)
def _country_choices(path: str, version: Version) -> pd.DataFrame:
    return profiles.country_choices(_reader(path).connection())


def country_choices() -> pd.DataFrame:
    """``profiles.country_choices``: every country with an exchange, most exchanges first."""
    return _country_choices(ledger_path(), ledger_version())


@st.cache_data(show_spinner=False, max_entries=64)
def _party_choices(path: str, version: Version, iso3: str | None) -> pd.DataFrame:
    return profiles.party_choices(_reader(path).connection(), iso3)


def party_choices(iso3: str | None = None) -> pd.DataFrame:
    """``profiles.party_choices``: every party with an exchange (of one country), most first."""
    return _party_choices(ledger_path(), ledger_version(), iso3)


def party_names() -> list[str]:
    """Distinct party names in the ledger, A to Z (for the party filter)."""
    return sorted(set(party_choices()["party"]), key=str.casefold)


@st.cache_data(show_spinner=False, max_entries=1024)
def _chart(
    path: str,
    version: Version,
    name: str,
    filters: Filters,
    options: tuple,
    is_demo: bool,
    lang: str,
    eras: tuple[int, int] | None = None,
) -> tuple[dict, pd.DataFrame]:
    known = _window(path, version, filters)  # the page header asked for it already
    fig, data = chart_catalog.build_chart(
        _reader(path).connection(), name, filters, is_demo=is_demo, window=known, **dict(options)
    )
    # Cached as a plain dict: unpickling a dict is fast, a validated Figure is not.
    return fig.to_dict(), data


def _options_key(options: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))


def chart(name: str, filters: Filters, **options) -> tuple[go.Figure, pd.DataFrame]:
    """``chart_catalog.build_chart``: the catalog chart ``name`` for the filters and the data behind it."""
    figure, data = _chart(
        ledger_path(),
        ledger_version(),
        name,
        filters,
        _options_key(options),
        info().is_demo,
        i18n.current(),
        eras_version(),
    )
    # The dict came from a validated Figure: rebuilding it needs no second validation.
    return go.Figure(figure, _validate=False), data


@st.cache_data(show_spinner=False, max_entries=64)
def _relationships(path: str, version: Version, filters: Filters) -> pd.DataFrame:
    return metrics.relationships(_reader(path).connection(), filters)


def relationships(filters: Filters) -> pd.DataFrame:
    """``metrics.relationships``: one row per party met up to the window's end."""
    return _relationships(ledger_path(), ledger_version(), filters)


@st.cache_data(show_spinner=False, max_entries=64)
def _co_attendance(path: str, version: Version, filters: Filters, min_events: int) -> pd.DataFrame:
    return metrics.co_attendance(_reader(path).connection(), filters, min_events=min_events)


def co_attendance(filters: Filters, min_events: int) -> pd.DataFrame:
    """``metrics.co_attendance``: pairs of parties met at the same multilateral events."""
    return _co_attendance(ledger_path(), ledger_version(), filters, min_events)


@st.cache_data(show_spinner=False, max_entries=64)
def _co_attendance_chart(path: str, version: Version, filters: Filters, min_events: int, top: int, lang: str) -> dict:
    pairs = _co_attendance(path, version, filters, min_events)  # the table's pairs, cached once
    return charts.co_attendance_chart(pairs, top=top).to_dict()


def co_attendance_chart(filters: Filters, min_events: int, top: int) -> go.Figure:
    """``charts.co_attendance_chart`` of ``co_attendance(filters, min_events)``, its ``top`` pairs."""
    figure = _co_attendance_chart(ledger_path(), ledger_version(), filters, min_events, top, i18n.current())
    return go.Figure(figure, _validate=False)
