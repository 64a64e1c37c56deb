"""The page furniture every page shares: the header (title, demo badge, URL and ``eras.csv``
warnings, the one-line summary of the filters), the empty state, the percent format and the
ledger-row tables shown on screen (column headers, codes as labels, countries and regions named
in the current language). Every word comes from the catalogue (``pages.po``).

Pages call ``page_header`` first and draw with the rest; the numbers come from ``pages.cache``
and the filters from ``pages.filter_state``.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from analytics import charts, dimensions, explore, i18n
from analytics.filters import Filters
from analytics.i18n import t, vocabulary_label
from analytics.untrusted import markdown_literal
from pages import cache, filter_state
from pages.entry import ensure_entry
from pages.filter_state import URL_WARNINGS_KEY, country_name, current_filters, language_warning


def demo_badge() -> None:
    """A visible mark that the numbers are synthetic, on every page that shows demo data."""
    ensure_entry()
    if cache.info().is_demo:
        st.warning(t("furniture.demo_badge"), icon="⚠️")


def page_header(title: str, intro: str = "", *, summary: bool = True) -> Filters:
    """Title, demo badge, the one-line summary of the active filters (``summary=False``: the
    page writes its own with ``filters_summary``) and any URL warnings; returns the filters.

    ``title`` and ``intro`` are catalogue keys (``"nav.trends"``), looked up once the run's
    language is set (a text that is not a key is shown as it is)."""
    ensure_entry()
    st.title(t(title))
    if intro:
        st.caption(t(intro))
    demo_badge()
    current = current_filters()
    warnings, parsed = st.session_state.get(URL_WARNINGS_KEY) or ([], None)
    if parsed is not None and parsed != current:
        st.session_state.pop(URL_WARNINGS_KEY, None)
        warnings = []
    language = language_warning()
    for warning in [*([language] if language else []), *warnings]:
        st.warning(warning, icon=":material/link_off:")
    problem = cache.eras_problem()
    if problem:
        st.warning(t("furniture.eras_problem", reason=markdown_literal(problem)), icon=":material/edit_note:")
    if summary:
        filters_summary(current)
    return current


def filters_summary(filters: Filters, note: str = "") -> None:
    """The one line saying what the page shows: the year window and the filters, countries,
    regions and sub-regions by name in the current language (``note``: Markdown after it)."""
    first, last = cache.window(filters)
    named = dataclasses.replace(
        filters,
        countries=tuple(country_name(code) for code in filters.countries),
        regions=tuple(i18n.region_name(name) for name in filters.regions),
        subregions=tuple(i18n.region_name(name) for name in filters.subregions),
    )
    words = markdown_literal(named.with_years(first, last).describe())
    st.markdown(":material/filter_alt: " + t("furniture.showing", filters=words) + note)


def empty_state(message: str | None = None) -> None:
    """A clear message instead of charts, with the way out (``message`` is Markdown, by default
    'No exchanges match these filters.': escape any untrusted text in it with ``analytics.untrusted``)."""
    st.info(
        t("furniture.empty", message=message or charts.empty_message()),
        icon=":material/search_off:",
    )


def has_rows(current: Filters | None = None) -> bool:
    """Whether any exchange matches the filters (within their years)."""
    return cache.ledger_rows_count(current or current_filters()) > 0


def percent(value: float) -> str:
    """A percent change as the metrics give it (12.34 -> '+12%', 0.4 -> '+0.4%'), in the
    language's number format."""
    if value is None or pd.isna(value):
        return "–"
    sign = "+" if value >= 0 else "-"
    return sign + i18n.percent(abs(value) / 100, digits=1 if abs(value) < 1 else 0)


def signed(value: int) -> str:
    """A whole change with its sign and the language's grouping (+1,234, -5, +0)."""
    return ("+" if value >= 0 else "-") + i18n.number(abs(value))


def ledger_column_config() -> dict:
    """Column headers of ledger rows in tables, in the current language (the date as the ledger
    writes it; the codes are shown as labels by ``labelled``, downloads keep them)."""
    column = st.column_config
    return {
        "date": column.DateColumn(t("pages.table.date"), format="YYYY-MM-DD"),
        "date_precision": column.TextColumn(t("pages.table.date_precision"), help=t("pages.table.date_precision.help")),
        "party": column.TextColumn(t("pages.table.party"), width="medium"),
        "party_zh": column.TextColumn(t("pages.table.party_zh"), width="medium"),
        "country": column.TextColumn(t("pages.table.country")),
        "country_iso3": column.TextColumn(t("pages.table.iso3")),
        "region": column.TextColumn(t("pages.table.region")),
        "subregion": column.TextColumn(t("pages.table.subregion")),
        "party_family": column.TextColumn(t("pages.table.party_family")),
        "party_status": column.TextColumn(t("pages.table.party_status")),
        "form": column.TextColumn(t("pages.table.form")),
        "direction": column.TextColumn(t("pages.table.direction")),
        "level": column.TextColumn(t("pages.table.level")),
        "event_id": column.TextColumn(t("pages.table.event")),
        "delegation_size": column.NumberColumn(t("pages.table.delegation"), format="%d"),
        "topic": column.TextColumn(t("pages.table.topic"), width="medium"),
        "source": column.TextColumn(t("pages.table.source")),
        "exchange_id": column.NumberColumn(t("pages.table.id"), format="%d"),
    }


# Ledger columns holding codes: the coded dimensions, and the date precision.
CODE_COLUMNS = (*(d.column for d in dimensions.CODED), "date_precision")
# Date precisions: the ledger's codes, labelled here (the vocabulary does not hold them).
PRECISION_KEYS = {
    "day": "pages.table.precision.day",
    "month": "pages.table.precision.month",
    "year": "pages.table.precision.year",
}


def _code_label(code: object) -> object:
    if not isinstance(code, str):
        return code
    return t(PRECISION_KEYS[code]) if code in PRECISION_KEYS else vocabulary_label(code)


def labelled(rows: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows for reading on screen: codes shown as their labels ('high_level_visit' ->
    'High-level visit'), countries, regions and sub-regions named in the current language.
    Downloads keep the codes and the recorded names, which the import format reads back."""
    shown = rows.copy()
    for column in CODE_COLUMNS:
        if column in shown:
            shown[column] = shown[column].map(_code_label)
    if i18n.current() != "en":
        if "country" in shown and "country_iso3" in shown:
            shown["country"] = [
                country_name(iso3, name) if isinstance(iso3, str) and iso3 else name
                for iso3, name in zip(shown["country_iso3"], shown["country"], strict=True)
            ]
        for column in ("region", "subregion"):
            if column in shown:
                shown[column] = shown[column].map(
                    lambda name: i18n.region_name(name) if isinstance(name, str) else name
                )
    return shown


# Columns of a chart's data named by the catalogue on screen (the downloads keep the column names).
MEASURE_COLUMNS = {
    **explore.MEASURE_KEYS,
    "year": "dimension.year",
    "decade": "dimension.decade",
    "party": "pages.table.party",
    "country": "pages.table.country",
    "country_iso3": "pages.table.iso3",
}


def screen_table(data: pd.DataFrame) -> pd.DataFrame:
    """The data behind a chart for reading on screen: values as ``labelled``; outside English
    the columns that are dimensions or measures are named too (English keeps the data's own
    column names, as the downloads)."""
    shown = labelled(data)
    if i18n.current() == "en":
        return shown
    names = {}
    for column in shown.columns:
        if column in MEASURE_COLUMNS:
            names[column] = t(MEASURE_COLUMNS[column])
        elif isinstance(column, str) and dimensions.BY_NAME.get(column) is not None:
            names[column] = dimensions.label(column)
    return shown.rename(columns=names)


# The columns of a party's names over time (``analytics.parties.party_names``) and their headers.
PARTY_NAMES_HEADERS = {
    "name": "page.parties.names.column.name",
    "kind": "page.parties.names.column.kind",
    "first_date": "page.parties.names.column.first",
    "last_date": "page.parties.names.column.last",
    "recorded_at": "page.parties.names.column.recorded",
    "batch_id": "page.parties.names.column.batch",
}


def party_names_table(frame: pd.DataFrame, *, key: str) -> None:
    """A party's names over time (the Parties page, a party's profile): the kind of each name in
    the language; the current name's change time and batch are empty cells."""
    shown = frame.assign(
        kind=frame["kind"].map(lambda kind: t(f"page.parties.names.kind.{kind}")),
        recorded_at=[f"{at:%Y-%m-%d %H:%M}" if pd.notna(at) else "" for at in frame["recorded_at"]],
        batch_id=[str(int(batch)) if pd.notna(batch) else "" for batch in frame["batch_id"]],
    )[list(PARTY_NAMES_HEADERS)]
    column = st.column_config
    st.dataframe(
        shown,
        hide_index=True,
        key=key,
        column_config={
            "name": column.TextColumn(t(PARTY_NAMES_HEADERS["name"]), width="medium"),
            "kind": column.TextColumn(t(PARTY_NAMES_HEADERS["kind"])),
            "first_date": column.DateColumn(t(PARTY_NAMES_HEADERS["first_date"]), format="YYYY-MM-DD"),
            "last_date": column.DateColumn(t(PARTY_NAMES_HEADERS["last_date"]), format="YYYY-MM-DD"),
            "recorded_at": column.TextColumn(t(PARTY_NAMES_HEADERS["recorded_at"])),
            "batch_id": column.TextColumn(t(PARTY_NAMES_HEADERS["batch_id"])),
        },
    )


def flash(key: str, kind: str, message: str) -> None:
    """A message (``kind`` success or error, already escaped) to show once, after the rerun that
    follows a write, by ``show_flash(key)``."""
    st.session_state[key] = (kind, message)


def show_flash(key: str) -> None:
    """The message ``flash`` kept under ``key``, once."""
    kind, message = st.session_state.pop(key, (None, None))
    if kind == "success":
        st.success(message, icon=":material/check_circle:")
    elif kind == "error":
        st.error(message, icon=":material/error:")


# The page where a record is corrected or deleted, opened on one exchange by ``?exchange=N``.
RECORDS_PAGE = "pages/records.py"


def selected_exchanges(selection: object, rows: pd.DataFrame) -> list[int]:
    """The exchange ids of the selected rows of a ledger table (``selection``: the dataframe's
    state, ``{"selection": {"rows": [positions]}}``, as a click leaves it)."""
    try:
        positions = selection["selection"]["rows"]  # type: ignore[index]
    except (KeyError, TypeError):
        return []
    ids = rows["exchange_id"].tolist()
    return [int(ids[n]) for n in positions if isinstance(n, int) and 0 <= n < len(ids)]


def record_link(exchange_id: int, filters: Filters) -> None:
    """A link to one exchange on the Records page, keeping the filters and the language."""
    st.page_link(
        RECORDS_PAGE,
        label=t("page.explorer.edit.open", exchange=exchange_id),
        icon=":material/edit:",
        query_params={**filter_state.link_params(filters), "exchange": str(exchange_id)},
    )
