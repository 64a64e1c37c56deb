"""The shared filters: one set in the sidebar, used by every page and mirrored in the URL
query string, and the page options kept in the URL.

``dashboard.py`` calls ``filters_sidebar(page)`` once per run before the page runs; pages read
``current_filters()``, and chart clicks and the Briefing page change the filters through
``set_filter`` / ``reset_filters`` (widget keys below). The URL wins when it changed from outside
(a link, a bookmark, the back button); a bad value is dropped with a warning. Page widgets seed
themselves from the URL with ``url_option`` and write back with ``write_url_option``.
"""

from __future__ import annotations

import datetime as dt
import functools

import streamlit as st

from analytics import dimensions, vocab
from analytics.filters import (
    CODE_DIMENSIONS,
    DEFAULT_FIRST_YEAR,
    DIMENSION_PARAMS,
    FilterError,
    Filters,
    region_names,
    subregion_names,
)
from analytics.i18n import vocabulary_label
from analytics.reference import countries as reference_countries
from analytics.untrusted import markdown_literal, shown, url_value_problem
from pages import cache

# Widget key of each Filters field in the sidebar.
WIDGET_KEYS: dict[str, str] = {name: f"filter_{name}" for name in DIMENSION_PARAMS}
YEARS_KEY = "filter_years"
PARTY_KEY = "filter_party"
FILTERS_KEY = "filters"  # the current Filters value, for the pages
URL_WRITTEN_KEY = "_filters_url_written"  # (page, filter params) last written to the URL
URL_WARNINGS_KEY = "_filters_url_warnings"
FILTER_URL_KEYS: tuple[str, ...] = ("from", "to", *DIMENSION_PARAMS.values(), "party")
# What the sidebar calls each dimension: its label in the dimension registry.
DIMENSION_WORDS: dict[str, str] = {field: d.label for field, d in dimensions.BY_FILTER_FIELD.items()}


def parse_filter_params(params: dict[str, list[str]]) -> tuple[Filters, list[str]]:
    """Filters from URL params, keeping every valid value: (filters, warnings about dropped ones).

    Never raises: a bad year, an unknown code or an empty year range is dropped with a warning
    that says what was ignored and why.
    """
    warnings: list[str] = []
    kept: dict[str, list[str] | str] = {}  # the type Filters.from_params takes; only lists go in
    for key, values in params.items():
        if key not in FILTER_URL_KEYS or not values:
            continue
        good = []
        for value in values if key not in ("from", "to", "party") else values[:1]:
            problem = url_value_problem(value)
            if problem:
                warnings.append(f"Ignored {shown(f'{key}={value}')} from the link: {markdown_literal(problem)}.")
                continue
            try:
                Filters.from_params({key: [value]})
                good.append(value)
            except FilterError as error:
                warnings.append(f"Ignored {shown(f'{key}={value}')} from the link: {markdown_literal(error)}")
        if good:
            kept[key] = good
    try:
        return Filters.from_params(kept), warnings
    except FilterError as error:
        warnings.append(f"Ignored the years from the link: {markdown_literal(error)}")
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
    data = cache.info()
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
        DIMENSION_WORDS[name],
        CODE_DIMENSIONS[name],
        key=WIDGET_KEYS[name],
        format_func=vocabulary_label,
        placeholder="All",
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
        regions = st.multiselect(
            DIMENSION_WORDS["regions"], region_names(), key=WIDGET_KEYS["regions"], placeholder="All regions"
        )
        st.multiselect(
            DIMENSION_WORDS["subregions"],
            _subregion_options(regions, st.session_state[WIDGET_KEYS["subregions"]]),
            key=WIDGET_KEYS["subregions"],
            placeholder="All sub-regions",
        )
        st.multiselect(
            DIMENSION_WORDS["countries"],
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
            names = cache.party_names()
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
        choices = markdown_literal(", ".join(map(str, valid)))
        st.warning(f"Ignored {shown(f'{key}={raw}')} from the link: not one of {choices}.", icon=":material/link_off:")
        st.session_state[widget_key] = default


def write_url_option(key: str, value, default) -> None:
    """Keep a page option in the URL (left out when it is the default)."""
    text = None if value is None or value == default else str(value)
    if text is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != text:
        st.query_params[key] = text
