"""The shared filters: one set in the sidebar, used by every page and mirrored in the URL
query string, and the page options kept in the URL.

The language of the run lives here too, as the URL key ``lang`` (left out for the default,
``LEDGER_LANG``): ``dashboard.py`` calls ``start_language()`` first thing in every run, before the
sign-in form and any word, and ``language_switch()`` draws the sidebar switch; the filters carry
``lang`` into the URL with them in one write.

``dashboard.py`` calls ``filters_sidebar(page)`` once per run before the page runs; pages read
``current_filters()``, and chart clicks and the Briefing page change the filters through
``set_filter`` / ``reset_filters`` (widget keys below). The URL wins when it changed from outside
(a link, a bookmark, the back button); a bad value is dropped with a warning. Page widgets seed
themselves from the URL with ``url_option`` and write back with ``write_url_option``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st

from analytics import dimensions, i18n, reference, vocab
from analytics.filters import (
    CODE_DIMENSIONS,
    DEFAULT_FIRST_YEAR,
    DIMENSION_PARAMS,
    FilterError,
    Filters,
    region_names,
    subregion_names,
)
from analytics.i18n import t, t_in, vocabulary_label
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
LANG_PARAM = "lang"  # the URL key of the language
LANGUAGE_KEY = "ui_language"  # the sidebar switch (its value: the language of the session)
LANG_SEEN_KEY = "_lang_url_seen"  # the URL's lang value as last read or written
LANG_WARNING_KEY = "_lang_url_warning"  # a bad lang= value from a link, until the next switch
# The switch's order: the leadership's language first.
SWITCH_LANGUAGES: tuple[str, ...] = ("zh", "en")


def dimension_word(field: str) -> str:
    """What the sidebar calls a filter dimension (a Filters field): its label, in the current language."""
    return dimensions.BY_FILTER_FIELD[field].label


# ---------------------------------------------------------------------------------------------
# The language of the run


def start_language() -> str:
    """Set the language of this run (``i18n.set_language``) and return it: first thing in a run.

    A ``lang`` the URL got from outside (a link, a bookmark, a reload, the back button) wins; a bad
    one falls back to ``LEDGER_LANG`` with a warning (``language_warning``). A URL without ``lang``
    means the default, except when the query string is empty after a page change: the session's
    language then stays (``filters_sidebar`` writes it back).
    """
    default = i18n.default_language()
    raw = st.query_params.get(LANG_PARAM)
    chosen = st.session_state.get(LANGUAGE_KEY)
    if LANG_SEEN_KEY not in st.session_state or raw != st.session_state[LANG_SEEN_KEY]:
        if raw is None:
            if chosen is None or len(st.query_params) > 0:
                chosen = default  # a link that names no language
        else:
            try:
                if url_value_problem(raw):
                    raise i18n.LanguageError(raw)
                chosen = i18n.normalise(raw)
                st.session_state.pop(LANG_WARNING_KEY, None)
            except i18n.LanguageError:
                chosen = default
                st.session_state[LANG_WARNING_KEY] = raw
        st.session_state[LANG_SEEN_KEY] = raw
    if chosen not in i18n.LANGUAGES:
        chosen = default
    st.session_state[LANGUAGE_KEY] = chosen
    i18n.set_language(chosen)
    return chosen


def worded(format_func: Callable[[Any], str]) -> Callable[[Any], str]:
    """A widget's ``format_func`` fixed to the run's language: Streamlit may call it outside the
    run (AppTest formats a widget's value in its own thread), where the language is the default."""
    lang = i18n.current()

    def formatted(value: Any) -> str:
        with i18n.using(lang):
            return format_func(value)

    return formatted


def language_params() -> dict[str, list[str]]:
    """The URL's ``lang`` for the current language: none for the default (as other page options)."""
    lang = i18n.current()
    return {} if lang == i18n.default_language() else {LANG_PARAM: [lang]}


def link_params(filters: Filters) -> dict[str, list[str]]:
    """The query string of a link to another page with ``filters`` in the current language."""
    return {**filters.to_params(), **language_params()}


def _on_language_switch() -> None:
    """The switch's callback (before the next run): the new language goes into the URL at once,
    so ``start_language`` does not take the old ``lang`` for a link."""
    lang = st.session_state.get(LANGUAGE_KEY) or i18n.default_language()
    value = None if lang == i18n.default_language() else lang
    if value is None:
        if LANG_PARAM in st.query_params:
            del st.query_params[LANG_PARAM]
    else:
        st.query_params[LANG_PARAM] = value
    st.session_state[LANG_SEEN_KEY] = value
    st.session_state.pop(LANG_WARNING_KEY, None)


def language_switch() -> None:
    """The sidebar switch 简体中文 / English, each language in its own name (every page, the sign-in form)."""
    with st.sidebar:
        st.radio(
            t("language.switch"),
            SWITCH_LANGUAGES,
            key=LANGUAGE_KEY,
            format_func=lambda code: t_in(code, f"language.{code}"),
            horizontal=True,
            on_change=_on_language_switch,
        )


def language_warning() -> str | None:
    """The warning about a bad ``lang=`` of the link (Markdown, the value escaped), or None."""
    raw = st.session_state.get(LANG_WARNING_KEY)
    if raw is None:
        return None
    return t(
        "link.ignored_language",
        value=shown(f"{LANG_PARAM}={raw}"),
        choices=markdown_literal(", ".join(i18n.LANGUAGES)),
        language=t_in(i18n.current(), f"language.{i18n.current()}"),
    )


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
                warnings.append(
                    t("link.ignored_unsafe", value=shown(f"{key}={value}"), reason=markdown_literal(problem))
                )
                continue
            try:
                Filters.from_params({key: [value]})
                good.append(value)
            except FilterError as error:
                warnings.append(t("link.ignored", value=shown(f"{key}={value}"), reason=markdown_literal(error)))
        if good:
            kept[key] = good
    try:
        return Filters.from_params(kept), warnings
    except FilterError as error:
        warnings.append(t("link.ignored_years", reason=markdown_literal(error)))
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
    owned = (*FILTER_URL_KEYS, LANG_PARAM)
    wanted = {**params, **{key: values for key, values in current.items() if key not in owned}}
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
    options = sorted(table["iso3"], key=lambda iso3: i18n.sort_key(country_name(iso3)))
    return options + [code for code in chosen if code not in options]


def country_name(iso3: str, recorded: str | None = None) -> str:
    """The name of an ISO3 code in the current language (CLDR in Chinese, the reference table's
    English name in English; ``recorded`` when given); the international bucket for ''."""
    return reference.country_label(iso3, recorded, english="name")


def country_name_of(recorded: str) -> str:
    """A country named as recorded in English (a table's country column), in the current language."""
    return reference.country_label(None, recorded)


def _region_sort_key(name: str) -> tuple[str, ...]:
    return i18n.sort_key(i18n.region_name(name))


def _subregion_options(regions: list[str], chosen: list[str]) -> list[str]:
    if not regions:
        names = subregion_names()  # the international bucket last
        options = [*sorted(names[:-1], key=_region_sort_key), names[-1]]
    else:
        table = reference_countries()
        options = sorted(set(table.loc[table["region"].isin(regions), "subregion"]), key=_region_sort_key)
        if vocab.INTERNATIONAL_BUCKET in regions:
            options.append(vocab.INTERNATIONAL_BUCKET)
    return options + [s for s in chosen if s not in options]


def _code_filter(name: str) -> None:
    """The sidebar multiselect of one vocabulary dimension (a Filters field such as 'forms')."""
    st.multiselect(
        dimension_word(name),
        CODE_DIMENSIONS[name],
        key=WIDGET_KEYS[name],
        format_func=worded(vocabulary_label),
        placeholder=t("sidebar.all"),
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
        st.markdown("### " + t("sidebar.heading"))
        st.slider(
            t("sidebar.years"),
            min_value=bounds[0],
            max_value=bounds[1],
            key=YEARS_KEY,
            help=t("sidebar.years.help", year=DEFAULT_FIRST_YEAR),
        )
        regions = st.multiselect(
            dimension_word("regions"),
            region_names(),
            key=WIDGET_KEYS["regions"],
            format_func=worded(i18n.region_name),
            placeholder=t("sidebar.all_regions"),
        )
        st.multiselect(
            dimension_word("subregions"),
            _subregion_options(regions, st.session_state[WIDGET_KEYS["subregions"]]),
            key=WIDGET_KEYS["subregions"],
            format_func=worded(i18n.region_name),
            placeholder=t("sidebar.all_subregions"),
        )
        st.multiselect(
            dimension_word("countries"),
            _country_options(
                regions, st.session_state[WIDGET_KEYS["subregions"]], st.session_state[WIDGET_KEYS["countries"]]
            ),
            key=WIDGET_KEYS["countries"],
            format_func=worded(country_name),
            placeholder=t("sidebar.all_countries"),
        )
        for name in ("families", "statuses", "forms"):
            _code_filter(name)
        with st.expander(
            t("sidebar.more"),
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
                t("sidebar.party"),
                names,
                key=PARTY_KEY,
                index=None,
                placeholder=t("sidebar.any_party"),
                help=t("sidebar.party.help"),
            )
        st.button(t("sidebar.reset"), on_click=reset_filters, icon=":material/restart_alt:", width="stretch")
    filters = _filters_from_widgets(bounds)
    params = filters.to_params()
    lang = language_params()
    _write_url({**params, **lang})
    st.session_state[LANG_SEEN_KEY] = lang[LANG_PARAM][0] if lang else None
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
        st.warning(t("link.ignored_choice", value=shown(f"{key}={raw}"), choices=choices), icon=":material/link_off:")
        st.session_state[widget_key] = default


def write_url_option(key: str, value, default) -> None:
    """Keep a page option in the URL (left out when it is the default)."""
    text = None if value is None or value == default else str(value)
    if text is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != text:
        st.query_params[key] = text
