"""The page furniture every page shares: the header (title, demo badge, URL and ``eras.csv``
warnings, the one-line summary of the filters), the empty state, the percent format and the
ledger-row tables shown on screen (column headers, codes as labels).

Pages call ``page_header`` first and draw with the rest; the numbers come from ``pages.cache``
and the filters from ``pages.filter_state``.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from analytics import dimensions
from analytics.filters import Filters
from analytics.i18n import vocabulary_label
from analytics.untrusted import markdown_literal
from pages import cache
from pages.entry import ensure_entry
from pages.filter_state import URL_WARNINGS_KEY, country_name, current_filters


def demo_badge() -> None:
    """A visible mark that the numbers are synthetic, on every page that shows demo data."""
    ensure_entry()
    if cache.info().is_demo:
        st.warning(
            "**Demo data.** Synthetic ledger with invented parties, shaped by public facts; "
            "no meeting shown here happened. Import your own ledger on the Data page.",
            icon="⚠️",
        )


def page_header(title: str, intro: str = "", *, summary: bool = True) -> Filters:
    """Title, demo badge, the one-line summary of the active filters (``summary=False``: the
    page writes its own with ``filters_summary``) and any URL warnings; returns the filters."""
    ensure_entry()
    st.title(title)
    if intro:
        st.caption(intro)
    demo_badge()
    current = current_filters()
    warnings, parsed = st.session_state.get(URL_WARNINGS_KEY) or ([], None)
    if parsed is not None and parsed != current:
        st.session_state.pop(URL_WARNINGS_KEY, None)
        warnings = []
    for warning in warnings:
        st.warning(warning, icon=":material/link_off:")
    problem = cache.eras_problem()
    if problem:
        st.warning(
            f"Era markers are left out of the time charts until `data/eras.csv` is fixed: {markdown_literal(problem)}",
            icon=":material/edit_note:",
        )
    if summary:
        filters_summary(current)
    return current


def filters_summary(filters: Filters, note: str = "") -> None:
    """The one line saying what the page shows: the year window and the filters, countries by name."""
    first, last = cache.window(filters)
    named = dataclasses.replace(filters, countries=tuple(country_name(code) for code in filters.countries))
    words = markdown_literal(named.with_years(first, last).describe())
    st.markdown(f":material/filter_alt: **Showing:** {words}{note}")


def empty_state(message: str = "No exchanges match these filters.") -> None:
    """A clear message instead of charts, with the way out (``message`` is Markdown: escape any
    untrusted text in it with ``analytics.untrusted``)."""
    st.info(f"{message} Widen the filters in the sidebar or press **Reset filters**.", icon=":material/search_off:")


def has_rows(current: Filters | None = None) -> bool:
    """Whether any exchange matches the filters (within their years)."""
    return cache.ledger_rows_count(current or current_filters()) > 0


def percent(value: float) -> str:
    """A percent change as the metrics give it (12.34 -> '+12%', 0.4 -> '+0.4%')."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:+.1f}%" if abs(value) < 1 else f"{value:+.0f}%"


# Column headers of ledger rows in tables (the codes stay as stored, as in the import format).
LEDGER_COLUMN_CONFIG = {
    "date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
    "date_precision": st.column_config.TextColumn("Precision", help="day, month or year"),
    "party": st.column_config.TextColumn("Party", width="medium"),
    "country": st.column_config.TextColumn("Country"),
    "country_iso3": st.column_config.TextColumn("ISO3"),
    "region": st.column_config.TextColumn("Region"),
    "subregion": st.column_config.TextColumn("Sub-region"),
    "party_family": st.column_config.TextColumn("Family"),
    "party_status": st.column_config.TextColumn("Status"),
    "form": st.column_config.TextColumn("Form"),
    "direction": st.column_config.TextColumn("Direction"),
    "level": st.column_config.TextColumn("Level"),
    "event_id": st.column_config.TextColumn("Event"),
    "delegation_size": st.column_config.NumberColumn("Delegation", format="%d"),
    "topic": st.column_config.TextColumn("Topic", width="medium"),
    "source": st.column_config.TextColumn("Source"),
    "exchange_id": st.column_config.NumberColumn("Id", format="%d"),
}

# Ledger columns holding codes: the coded dimensions, and the date precision.
CODE_COLUMNS = (*(d.column for d in dimensions.CODED), "date_precision")


def labelled(rows: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows for reading on screen: codes shown as their labels ('high_level_visit' ->
    'High-level visit'). Downloads keep the codes, which the import format reads back."""
    shown = rows.copy()
    for column in CODE_COLUMNS:
        if column in shown:
            shown[column] = shown[column].map(lambda code: vocabulary_label(code) if isinstance(code, str) else code)
    return shown
