"""The UI edge shared by every page: the ledger connection, the cached wrappers keyed on the
ledger version, the demo badge, the shared filters in the sidebar (kept in the URL query
string), and the page furniture (header with the filters in words, empty state, chart with
click-to-filter and its data, download buttons).

Only this module holds ``st.cache_resource`` / ``st.cache_data``; the ``analytics`` functions
stay plain. The cache key of every result includes the ledger file's signature, which changes
on every write, so an import shows at once and never mixes with stale numbers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import io
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from analytics import chart_catalog, charts, explore, metrics, profiles, vocab
from analytics.filters import (
    CODE_DIMENSIONS,
    DEFAULT_FIRST_YEAR,
    DIMENSION_PARAMS,
    FilterError,
    Filters,
    region_names,
    subregion_names,
)
from analytics.importer import safe_frame, write_xlsx
from analytics.ledger import LedgerReader, ledger_info, prepare_ledger
from analytics.reference import ERAS_CSV, ReferenceDataError
from analytics.reference import countries as reference_countries
from analytics.reference import eras as reference_eras
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


_run = threading.local()


@contextlib.contextmanager
def entry_run():
    """Marks a script run that went through ``dashboard.py`` (see ``ensure_entry``)."""
    _run.active = True
    try:
        yield
    finally:
        _run.active = False


def ensure_entry() -> None:
    """Rerun through ``dashboard.py`` when a page script was started on its own.

    Streamlit keeps the old "pages/ folder" multipage mode for an app that has a ``pages/``
    folder until the first run reaches ``st.navigation``: the first visit of a fresh server on
    a deep link (``/trends``), and every AppTest rerun, would run the page file alone, without
    the sidebar filters and with every file of ``pages/`` in the menu. This switches that
    mode off (Streamlit's own flag, the one ``st.navigation`` sets) and reruns, so the entry
    script runs and routes to the same page with the same URL.
    """
    if getattr(_run, "active", False) or not PagesManager.uses_pages_directory:
        return  # came through dashboard.py, or a page script run on its own on purpose (a test)
    PagesManager.uses_pages_directory = False
    st.rerun()


def demo_badge() -> None:
    """A visible mark that the numbers are synthetic, on every page that shows demo data."""
    ensure_entry()
    if info().is_demo:
        st.warning(
            "**Demo data.** Synthetic ledger with invented parties, shaped by public facts; "
            "no meeting shown here happened. Import your own ledger on the Data page.",
            icon="⚠️",
        )


# =============================================================================================
# Filters: one set in the sidebar, shared by every page, mirrored in the URL query string.

# Widget key of each Filters field in the sidebar.
WIDGET_KEYS: dict[str, str] = {name: f"filter_{name}" for name in DIMENSION_PARAMS}
YEARS_KEY = "filter_years"
PARTY_KEY = "filter_party"
FILTERS_KEY = "filters"  # the current Filters value, for the pages
URL_WRITTEN_KEY = "_filters_url_written"  # (page, filter params) last written to the URL
URL_WARNINGS_KEY = "_filters_url_warnings"
FILTER_URL_KEYS: tuple[str, ...] = ("from", "to", *DIMENSION_PARAMS.values(), "party")
DIMENSION_WORDS: dict[str, str] = {
    "regions": "Region",
    "subregions": "Sub-region",
    "countries": "Country",
    "families": "Party family",
    "statuses": "Party status",
    "forms": "Form",
    "directions": "Direction",
    "levels": "Level",
}
# Chart click dimension -> Filters field.
CLICK_FIELDS: dict[str, str] = {
    "region": "regions",
    "subregion": "subregions",
    "party_family": "families",
    "party_status": "statuses",
    "form": "forms",
    "direction": "directions",
    "level": "levels",
}


def parse_filter_params(params: dict[str, list[str]]) -> tuple[Filters, list[str]]:
    """Filters from URL params, keeping every valid value: (filters, warnings about dropped ones).

    Never raises: a bad year, an unknown code or an empty year range is dropped with a warning
    that says what was ignored and why.
    """
    warnings: list[str] = []
    kept: dict[str, list[str]] = {}
    for key, values in params.items():
        if key not in FILTER_URL_KEYS or not values:
            continue
        good = []
        for value in values if key not in ("from", "to", "party") else values[:1]:
            try:
                Filters.from_params({key: [value]})
                good.append(value)
            except FilterError as error:
                warnings.append(f"Ignored `{key}={value}` from the link: {error}")
        if good:
            kept[key] = good
    try:
        return Filters.from_params(kept), warnings
    except FilterError as error:
        warnings.append(f"Ignored the years from the link: {error}")
        kept.pop("from", None)
        kept.pop("to", None)
        return Filters.from_params(kept), warnings


def _url_filter_params() -> dict[str, list[str]]:
    params = {}
    for key in FILTER_URL_KEYS:
        values = [v for v in st.query_params.get_all(key) if v != ""]
        if values:
            params[key] = values
    return params


def _write_url(params: dict[str, list[str]]) -> None:
    """Put the filter params in the URL, leaving page options (profile, pivot...) alone.

    Written in one step: each separate change of ``st.query_params`` becomes its own entry in
    the browser's history, and the back button must undo a filter change in one press.
    """
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    wanted = {**params, **{key: values for key, values in current.items() if key not in FILTER_URL_KEYS}}
    if wanted != current:
        st.query_params.from_dict({key: values if len(values) > 1 else values[0] for key, values in wanted.items()})


def year_bounds() -> tuple[int, int]:
    """(first, last) year the years slider offers: the ledger's span (at least two years)."""
    data = info()
    last = data.last_year or dt.date.today().year
    first = min(data.first_year or DEFAULT_FIRST_YEAR, DEFAULT_FIRST_YEAR, last)
    return first, max(last, first + 1)


def _slider_value(filters: Filters, bounds: tuple[int, int]) -> tuple[int, int]:
    first = filters.year_from if filters.year_from is not None else max(DEFAULT_FIRST_YEAR, bounds[0])
    last = filters.year_to if filters.year_to is not None else bounds[1]
    return first, max(first, last)


def _set_widgets(filters: Filters) -> None:
    """Put a Filters value into the sidebar widgets' state (before they are drawn)."""
    st.session_state[YEARS_KEY] = _slider_value(filters, year_bounds())
    for name, key in WIDGET_KEYS.items():
        st.session_state[key] = list(getattr(filters, name))
    st.session_state[PARTY_KEY] = filters.party


def _filters_from_widgets(bounds: tuple[int, int]) -> Filters:
    first, last = st.session_state.get(YEARS_KEY, _slider_value(Filters(), bounds))
    values = {name: tuple(st.session_state.get(key) or ()) for name, key in WIDGET_KEYS.items()}
    return Filters(
        year_from=None if first == DEFAULT_FIRST_YEAR else int(first),
        year_to=None if last == bounds[1] else int(last),
        party=st.session_state.get(PARTY_KEY) or None,
        **values,
    ).validated()


def reset_filters() -> None:
    """Callback of the reset button: every filter back to its default."""
    _set_widgets(Filters())


def set_filter(field: str, values: tuple[str, ...] | list[str]) -> None:
    """Set one filter dimension (a Filters field such as 'regions'); for chart-click callbacks."""
    if field == "party":
        st.session_state[PARTY_KEY] = values[0] if values else None
    else:
        st.session_state[WIDGET_KEYS[field]] = list(values)


def _sync_from_url(page: str) -> None:
    url = _url_filter_params()
    written = st.session_state.get(URL_WRITTEN_KEY)
    if written is not None:
        written_page, written_params = written
        if url == written_params:
            return  # our own write
        if not url and page != written_page:
            return  # a page change cleared the query string: the widgets hold the filters
    # A link, a bookmark, or the back button (to a view with other filters, or with none).
    filters, warnings = parse_filter_params(url)
    # Shown until the user changes the filters (a rerun alone must not hide them).
    st.session_state[URL_WARNINGS_KEY] = (warnings, filters)
    _set_widgets(filters)


def _country_options(regions: list[str], subregions: list[str], chosen: list[str]) -> list[str]:
    table = reference_countries()
    if regions:
        table = table[table["region"].isin(regions)]
    if subregions:
        table = table[table["subregion"].isin(subregions)]
    options = sorted(table["iso3"], key=lambda code: _country_names().get(code, code))
    return options + [code for code in chosen if code not in options]


@functools.lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    table = reference_countries()
    return dict(zip(table["iso3"], table["name"], strict=True))


def country_name(iso3: str) -> str:
    """English short name of an ISO3 code ('International organisations' for '')."""
    return _country_names().get(iso3, iso3) if iso3 else vocab.INTERNATIONAL_BUCKET


def _subregion_options(regions: list[str], chosen: list[str]) -> list[str]:
    if not regions:
        options = list(subregion_names())
    else:
        table = reference_countries()
        options = sorted(set(table.loc[table["region"].isin(regions), "subregion"]))
        if vocab.INTERNATIONAL_BUCKET in regions:
            options.append(vocab.INTERNATIONAL_BUCKET)
    return options + [s for s in chosen if s not in options]


def _code_filter(name: str) -> None:
    """The sidebar multiselect of one vocabulary dimension (a Filters field such as 'forms')."""
    st.multiselect(
        DIMENSION_WORDS[name], CODE_DIMENSIONS[name], key=WIDGET_KEYS[name], format_func=vocab.label, placeholder="All"
    )


def filters_sidebar(page: str = "") -> Filters:
    """Draw the shared filters in the sidebar, keep them in sync with the URL, return them.

    Called once per run by ``dashboard.py`` before ``page`` (its URL path) runs. The URL wins
    when it changed from outside (a link, a bookmark, the back button); a page change that
    clears the query string keeps the filters and writes them back.
    """
    bounds = year_bounds()
    for key in (*WIDGET_KEYS.values(), PARTY_KEY):
        st.session_state.setdefault(key, [] if key != PARTY_KEY else None)
    _sync_from_url(page)
    slider = st.session_state.get(YEARS_KEY)
    if slider is None or not (bounds[0] <= slider[0] <= slider[1] <= bounds[1]):
        wanted = slider or _slider_value(Filters(), bounds)
        bounds = (min(bounds[0], wanted[0]), max(bounds[1], wanted[1]))
        st.session_state[YEARS_KEY] = (max(bounds[0], wanted[0]), min(bounds[1], wanted[1]))
    with st.sidebar:
        st.markdown("### Filters")
        st.slider(
            "Years",
            min_value=bounds[0],
            max_value=bounds[1],
            key=YEARS_KEY,
            help=f"Without a choice the charts start in {DEFAULT_FIRST_YEAR} (reform and opening).",
        )
        regions = st.multiselect("Region", region_names(), key=WIDGET_KEYS["regions"], placeholder="All regions")
        st.multiselect(
            "Sub-region",
            _subregion_options(regions, st.session_state[WIDGET_KEYS["subregions"]]),
            key=WIDGET_KEYS["subregions"],
            placeholder="All sub-regions",
        )
        st.multiselect(
            "Country",
            _country_options(
                regions, st.session_state[WIDGET_KEYS["subregions"]], st.session_state[WIDGET_KEYS["countries"]]
            ),
            key=WIDGET_KEYS["countries"],
            format_func=country_name,
            placeholder="All countries",
        )
        for name in ("families", "statuses", "forms"):
            _code_filter(name)
        with st.expander(
            "Direction, level, party",
            expanded=bool(
                st.session_state[WIDGET_KEYS["directions"]]
                or st.session_state[WIDGET_KEYS["levels"]]
                or st.session_state[PARTY_KEY]
            ),
        ):
            for name in ("directions", "levels"):
                _code_filter(name)
            names = party_names()
            if st.session_state[PARTY_KEY] and st.session_state[PARTY_KEY] not in names:
                names = [st.session_state[PARTY_KEY], *names]
            st.selectbox(
                "Party",
                names,
                key=PARTY_KEY,
                index=None,
                placeholder="Any party",
                help="Parties with the same name in several countries are all counted; add a country to pick one.",
            )
        st.button("Reset filters", on_click=reset_filters, icon=":material/restart_alt:", width="stretch")
    filters = _filters_from_widgets(bounds)
    params = filters.to_params()
    _write_url(params)
    st.session_state[URL_WRITTEN_KEY] = (page, params)
    st.session_state[FILTERS_KEY] = filters
    return filters


def current_filters() -> Filters:
    """The filters the user chose in the sidebar (shared by every page)."""
    return st.session_state.get(FILTERS_KEY) or Filters()


# =============================================================================================
# Cached calls into analytics (keyed on the ledger version, the function, the filters, options).

_FUNCTIONS: dict[str, Callable] = {
    "window": metrics.window,
    "kpis": metrics.kpis,
    "compare_periods": metrics.compare_periods,
    "change_levels": metrics.change_levels,
    "leaderboard": metrics.leaderboard,
    "default_periods": chart_catalog.default_periods,
    "pivot_table": explore.pivot_table,
    "ledger_rows": explore.ledger_rows,
    "ledger_rows_count": explore.ledger_rows_count,
    "profile_summary": profiles.summary,
    "country_choices": lambda con, _filters: profiles.country_choices(con),
    "party_choices": lambda con, _filters, iso3=None: profiles.party_choices(con, iso3),
}


def _options_key(options: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_call(
    path: str, version: tuple[int, int, int], function: str, filters: Filters | None, options: tuple
) -> object:
    return _FUNCTIONS[function](_reader(path).connection(), filters, **dict(options))


def call(function: str, filters: Filters | None = None, **options):
    """``function(con, filters, **options)`` from the allow-list above, cached per ledger version."""
    return _cached_call(ledger_path(), ledger_version(), function, filters, _options_key(options))


def eras_version() -> tuple[int, int] | None:
    """Signature of ``data/eras.csv`` (users edit it): a change redraws the time charts."""
    try:
        stat = ERAS_CSV.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@st.cache_data(show_spinner=False, max_entries=4)
def _eras_problem(version: tuple[int, int] | None) -> str | None:
    """Why ``data/eras.csv`` cannot be read, or None; read again only when the file changes."""
    try:
        reference_eras()
    except ReferenceDataError as error:
        return str(error)
    return None


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_chart(
    path: str,
    version: tuple[int, int, int],
    name: str,
    filters: Filters,
    options: tuple,
    is_demo: bool,
    eras: tuple[int, int] | None = None,
) -> tuple[dict, pd.DataFrame]:
    window = _cached_call(path, version, "window", filters, ())  # the page header asked for it already
    fig, data = chart_catalog.build_chart(
        _reader(path).connection(), name, filters, is_demo=is_demo, window=window, **dict(options)
    )
    # Cached as a plain dict: unpickling a dict is fast, a validated Figure is not.
    return fig.to_dict(), data


def chart(name: str, filters: Filters | None = None, **options) -> tuple[go.Figure, pd.DataFrame]:
    """The catalog chart ``name`` for the filters (default: the sidebar's) and the data behind it."""
    figure, data = _cached_chart(
        ledger_path(),
        ledger_version(),
        name,
        filters or current_filters(),
        _options_key(options),
        info().is_demo,
        eras_version(),
    )
    # The dict came from a validated Figure: rebuilding it needs no second validation.
    return go.Figure(figure, _validate=False), data


def party_names() -> list[str]:
    """Distinct party names in the ledger, A to Z (for the party filter)."""
    choices = call("party_choices")
    return sorted(set(choices["party"]), key=str.casefold)


# =============================================================================================
# Page furniture


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
    problem = _eras_problem(eras_version())
    if problem:
        st.warning(
            f"Era markers are left out of the time charts until `data/eras.csv` is fixed: {problem}",
            icon=":material/edit_note:",
        )
    if summary:
        filters_summary(current)
    return current


def filters_summary(filters: Filters, note: str = "") -> None:
    """The one line saying what the page shows: the year window and the filters, countries by name."""
    first, last = call("window", filters)
    named = dataclasses.replace(filters, countries=tuple(country_name(code) for code in filters.countries))
    st.markdown(f":material/filter_alt: **Showing:** {named.with_years(first, last).describe()}{note}")


def empty_state(message: str = "No exchanges match these filters.") -> None:
    """A clear message instead of charts, with the way out."""
    st.info(f"{message} Widen the filters in the sidebar or press **Reset filters**.", icon=":material/search_off:")


def has_rows(current: Filters | None = None) -> bool:
    """Whether any exchange matches the filters (within their years)."""
    return call("ledger_rows_count", current or current_filters()) > 0


Table = pd.DataFrame | Callable[[], pd.DataFrame]


def _table(data: Table) -> pd.DataFrame:
    return data() if callable(data) else data


def download_csv(data: Table, file_stem: str, *, key: str, label: str = "CSV") -> None:
    """A download button for a table or a function making one, run only when clicked
    (formulas neutralised, UTF-8 with BOM so Excel reads the accents)."""
    st.download_button(
        label,
        data=lambda: safe_frame(_table(data)).to_csv(index=False).encode("utf-8-sig"),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def download_xlsx(data: Table, file_stem: str, *, key: str, label: str = "Excel") -> None:
    """A download button writing the table to .xlsx when clicked (text cells never evaluated)."""

    def build() -> bytes:
        buffer = io.BytesIO()
        write_xlsx(_table(data), buffer)
        return buffer.getvalue()

    st.download_button(
        label,
        data=build,
        file_name=f"{file_stem}.xlsx",
        key=key,
        on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )


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

CODE_COLUMNS = ("party_family", "party_status", "form", "direction", "level", "date_precision")


def labelled(rows: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows for reading on screen: codes shown as their labels ('high_level_visit' ->
    'High-level visit'). Downloads keep the codes, which the import format reads back."""
    shown = rows.copy()
    for column in CODE_COLUMNS:
        if column in shown:
            shown[column] = shown[column].map(lambda code: vocab.label(code) if isinstance(code, str) else code)
    return shown


PLOTLY_CONFIG = {
    "topojsonURL": "app/static/topojson/",  # world outline served by this server, never a CDN
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def _on_chart_click(key: str, figure: dict, action: str) -> None:
    """Selection callback: filter to the clicked category, or remember a profile to open."""
    state = st.session_state.get(key)
    points = state.selection.points if state is not None and state.selection else []
    if not points:
        return
    fig = go.Figure(figure, _validate=False)
    value = charts.selection_key(fig, points[0])
    dimension = charts.click_dimension(fig)
    if value is None or dimension is None:
        return
    if action == "profile" or dimension in ("country_iso3", "party"):
        if dimension == "country_iso3" and value:
            st.session_state["_open_profile"] = profiles.Profile("country", iso3=value).to_param()
        elif dimension == "party":
            iso3, _, party = value.partition(":")
            st.session_state["_open_profile"] = profiles.Profile("party", iso3=iso3, party=party).to_param()
    elif dimension in CLICK_FIELDS:
        set_filter(CLICK_FIELDS[dimension], [value])


def show_chart(
    name: str,
    filters: Filters | None = None,
    *,
    key: str | None = None,
    clickable: bool = True,
    data_table: bool = True,
    **options,
) -> tuple[go.Figure, pd.DataFrame]:
    """Draw a catalog chart with the local map outline; a click on a bar filters to it, on a
    country or party opens its profile. Below it: the export menu (images, HTML, CSV, Excel,
    add to briefing) and the data behind the chart."""
    fig, data = chart(name, filters, **options)
    key = key or f"chart_{name}"
    dimension = charts.click_dimension(fig)
    if clickable and dimension and not charts.is_empty(fig):
        st.plotly_chart(
            fig,
            config=PLOTLY_CONFIG,
            key=key,
            theme=None,
            on_select=functools.partial(
                _on_chart_click, key, fig.to_dict(), "profile" if dimension in ("country_iso3", "party") else "filter"
            ),
            selection_mode="points",
        )
        _open_profile_if_clicked()
    else:
        st.plotly_chart(fig, config=PLOTLY_CONFIG, key=key, theme=None)
    if charts.is_empty(fig):
        return fig, data
    from pages.export_menu import export_menu  # here: export_menu imports this module

    with st.container(horizontal=True, gap="small"):
        export_menu(name, fig, data, filters or current_filters(), key=f"{key}_export", options=options)
        if data_table and not data.empty:
            with st.popover("Data", icon=":material/table:", key=f"{key}_data"):
                st.dataframe(data, hide_index=True, width=720, height=min(38 + 35 * len(data), 360))
    return fig, data


PROFILES_PAGE = "pages/profiles.py"


def open_profile(profile: profiles.Profile) -> None:
    """Go to the Profiles page showing ``profile``, keeping the filters in the URL."""
    st.switch_page(PROFILES_PAGE, query_params={**current_filters().to_params(), "profile": profile.to_param()})


def _open_profile_if_clicked() -> None:
    target = st.session_state.pop("_open_profile", None)
    if target:
        open_profile(profiles.Profile.from_param(target))


def url_option(key: str, widget_key: str, valid: list | tuple, default) -> None:
    """Seed a page widget from the URL parameter ``key`` on the page's first draw (a bad value
    falls back to ``default`` with a warning); ``write_url_option`` mirrors it back."""
    if widget_key in st.session_state:
        return
    raw = st.query_params.get(key)
    if raw is None:
        st.session_state[widget_key] = default
    elif raw in valid:
        st.session_state[widget_key] = raw
    else:
        st.warning(
            f"Ignored `{key}={raw}` from the link: not one of {', '.join(map(str, valid))}.", icon=":material/link_off:"
        )
        st.session_state[widget_key] = default


def write_url_option(key: str, value, default) -> None:
    """Keep a page option in the URL (left out when it is the default)."""
    text = None if value is None or value == default else str(value)
    if text is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != text:
        st.query_params[key] = text
