"""The catalog of every chart the dashboard shows: its name, title, page and builder.

A ``ChartSpec.build(con, filters, **options)`` runs the metric behind the chart
(``analytics.metrics``, ``analytics.explore``) and draws it with the builder from
``analytics.charts``, returning the figure and the DataFrame behind it. ``build_chart`` is
what the pages, the export module and the CLI call: it adds the line saying which filters
and years the chart covers and the footnote with the source and "Demo data". Titles,
descriptions, captions and footnotes are catalogue messages in the current language
(``analytics.i18n``); a cached chart must be keyed on the language. Nothing here imports
streamlit; the pages cache ``build_chart`` results in ``pages/cache.py``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analytics import charts, dimensions, explore, metrics, reference, texts, vocab
from analytics.errors import DomainError, InvalidInputError
from analytics.filters import Filters
from analytics.i18n import t, using
from analytics.reference import ReferenceDataError, eras
from analytics.reference import countries as reference_countries

MOVERS_SPAN = 5  # years in each period of the default comparison (latest N years against the N before)
COMPARE_DIMENSIONS: tuple[str, ...] = tuple(d.name for d in dimensions.COMPARABLE)

Build = Callable[..., tuple[go.Figure, pd.DataFrame]]


class ChartNotFoundError(DomainError, KeyError):
    """A chart name that is not in the catalog."""

    def __str__(self) -> str:
        return t("chart.error.unknown_chart", name=repr(self.args[0]), charts=", ".join(CHARTS))


@dataclass(frozen=True)
class ChartSpec:
    """One chart: a kebab-case ``name``, the catalogue key of its ``title`` (what is counted), the
    ``page`` it is shown on (the page's identifier), ``build(con, filters, **options) -> (figure,
    data)`` and the key of a longer ``description``. ``title`` and ``description`` are the
    messages in the current language."""

    name: str
    title_key: str
    page: str
    build: Build
    description_key: str = ""
    own_years: bool = False  # the chart picks its own years (periods, latest years): the caption leaves them out

    @property
    def title(self) -> str:
        """The chart's title in the current language."""
        return t(self.title_key)

    @property
    def description(self) -> str:
        """The chart's description in the current language ('' when it has none)."""
        return t(self.description_key) if self.description_key else ""

    @property
    def page_title(self) -> str:
        """The name of its page in the current language, as the page menu says it (``nav.<page>``)."""
        return t("nav." + self.page.lower().replace(" ", "_"))


# ---------------------------------------------------------------------------------------------
# Options shared by several charts


def era_markers() -> pd.DataFrame:
    """The era markers of ``data/eras.csv``; none when the file is malformed (the pages say why)."""
    try:
        return eras()
    except ReferenceDataError:
        return pd.DataFrame(
            {
                "year": pd.Series(dtype="int64"),
                "label": pd.Series(dtype="object"),
                "description": pd.Series(dtype="object"),
                "label_zh": pd.Series(dtype="object"),
                "description_zh": pd.Series(dtype="object"),
            }
        )


def period_label(period: tuple[int, int]) -> str:
    """'2016–2020' (or '2020' for a single year); '2016—2020年' ('2020年') in Chinese."""
    first, last = period
    return t("chart.period.year", year=first) if first == last else t("chart.period.range", first=first, last=last)


def default_periods(
    con: duckdb.DuckDBPyConnection, filters: Filters, span: int = MOVERS_SPAN
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The latest ``span`` years of the filters' window and the ``span`` years before them
    (shorter when the window is short); None when the window is empty."""
    first, last = metrics.window(con, filters)
    if first is None or last is None:
        return None
    span = max(1, min(span, (last - first + 1) // 2))
    period_b = (last - span + 1, last)
    period_a = (period_b[0] - span, period_b[0] - 1)
    return period_a, period_b


def _with_country_names(df: pd.DataFrame) -> pd.DataFrame:
    """Add a ``country`` name column to a frame keyed on country_iso3 (a lookup, not a group-by)."""
    names = dict(zip(reference_countries()["iso3"], reference_countries()["name"], strict=True))
    return df.assign(
        country=[
            names.get(code, vocab.INTERNATIONAL_BUCKET if not code else code) for code in df["country_iso3"].fillna("")
        ]
    )


def short_country_names(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``country`` in its common short form ('United Kingdom', 'DR Congo'), for chart
    labels; the data returned with a chart keeps the official names."""
    if "country" not in df.columns or "country_iso3" not in df.columns:
        return df
    short = dict(zip(reference_countries()["iso3"], reference_countries()["common_name"], strict=True))
    return df.assign(
        country=[short.get(code, name) for code, name in zip(df["country_iso3"].fillna(""), df["country"], strict=True)]
    )


# ---------------------------------------------------------------------------------------------
# Builders: metric -> chart


def with_detail(fig: go.Figure, detail: str) -> go.Figure:
    """Note on ``fig`` what its caption must say besides the filters (its periods, its top N,
    the pivot's rows and columns); ``build_chart`` puts it at the head of the caption."""
    meta = dict(fig.layout.meta) if isinstance(fig.layout.meta, dict) else {}
    fig.update_layout(meta={**meta, "detail": detail})
    return fig


def caption_detail(fig: go.Figure) -> str:
    """What ``with_detail`` noted on ``fig`` ('' when nothing)."""
    meta = fig.layout.meta
    return str(meta.get("detail") or "") if isinstance(meta, dict) else ""


def _exchanges_per_year(con, filters: Filters, **_):
    df = metrics.exchanges_per_year(con, filters)
    return charts.exchanges_per_year_chart(df, era_markers()), df


def _activity_per_year(con, filters: Filters, **_):
    df = metrics.exchanges_per_year(con, filters)
    return charts.activity_per_year_chart(df, era_markers()), df


def _per_year(dimension: str, *, share: bool = False) -> Build:
    def build(con, filters: Filters, **_):
        df = metrics.breakdown(con, filters, dimension, per_year=True)
        return charts.breakdown_per_year_chart(df, dimension, share=share, eras=era_markers()), df

    return build


def _status_share(con, filters: Filters, **_):
    df = metrics.breakdown(con, filters, "party_status", per_year=True)
    fig = charts.share_lines_chart(
        df,
        "party_status",
        codes=("ruling", "coalition", "opposition"),
        title=t("chart.status_share.title"),
        eras=era_markers(),
    )
    return fig, df


def _breakdown(dimension: str) -> Build:
    def build(con, filters: Filters, **_):
        df = metrics.breakdown(con, filters, dimension)
        return charts.breakdown_bar_chart(df, dimension), df

    return build


def _first_contacts(con, filters: Filters, **_):
    df = metrics.first_contacts(con, filters)
    return charts.first_contacts_chart(df, era_markers()), df


def _concentration(con, filters: Filters, **_):
    df = metrics.concentration(con, filters)
    return charts.concentration_chart(df), df


def _family_by_region(con, filters: Filters, **_):
    df = metrics.cross_table(con, filters, "party_family", "region")
    fig = charts.heatmap_chart(df, "party_family", "region", title=t("chart.family_by_region.title"))
    return fig, df


def _region_by_year(con, filters: Filters, **_):
    df = metrics.cross_table(con, filters, "region", "year")
    fig = charts.heatmap_chart(df, "region", "year", title=t("chart.region_by_year.title"))
    return fig, df


def _top_parties_by_family(con, filters: Filters, *, top: int = 5, **_):
    df = explore.top_parties_per_family(con, filters, top=top)
    return charts.top_parties_by_family_chart(short_country_names(df)), df


def _world_map(con, filters: Filters, *, height: int = 480, **_):
    df = metrics.by_country(con, filters)
    return charts.world_map_chart(short_country_names(df), height=height), df


def _regions(con, filters: Filters, **_):
    df = metrics.by_region(con, filters)
    return charts.breakdown_bar_chart(df, "region"), df


def _subregions(con, filters: Filters, **_):
    df = metrics.by_subregion(con, filters)
    return charts.subregion_bar_chart(df), df


def change_window(con: duckdb.DuckDBPyConnection, filters: Filters, years: int = MOVERS_SPAN) -> Filters:
    """The filters of a change-level map: their own years when the start is chosen, else the
    latest ``years`` years of the window (comparing 1978 to now against 1973-1977 says little)."""
    if filters.year_from is not None:
        return filters
    first, last = metrics.window(con, filters)
    return filters.with_years(max(first, last - years + 1), last)


def _change_levels(con, filters: Filters, *, baseline_years: int = MOVERS_SPAN, **_):
    filters = change_window(con, filters, baseline_years)
    first, last = metrics.window(con, filters)
    df = metrics.change_levels(con, filters, baseline_years=baseline_years)
    window_label = period_label((first, last))
    baseline_label = period_label((first - baseline_years, first - 1))
    fig = charts.change_level_map_chart(
        short_country_names(df),
        title=t("chart.change_levels.title_periods", window=window_label, baseline=baseline_label),
        baseline_label=baseline_label,
    )
    return with_detail(fig, t("chart.caption.window_baseline", window=window_label, baseline=baseline_label)), df


def _leaderboard(kind: str) -> Build:
    def build(con, filters: Filters, *, top: int = 10, **_):
        # The international organisations are not a country: they stay out of the country ranking.
        df = metrics.leaderboard(con, filters, kind=kind, top=top, international=kind == "party")
        if "region" not in df.columns and "country_iso3" in df.columns:
            regions = dict(zip(reference_countries()["iso3"], reference_countries()["region"], strict=True))
            df = df.assign(region=[regions.get(c, vocab.INTERNATIONAL_BUCKET) for c in df["country_iso3"].fillna("")])
        title = (
            t("chart.top_countries.title_top", top=top)
            if kind == "country"
            else t("chart.top_parties.title_top", top=top)
        )
        previous = metrics.previous_window(*metrics.window(con, filters))
        fig = charts.leaderboard_chart(
            short_country_names(df),
            kind,
            title=title,
            previous_label=t("chart.previous_period_named", period=period_label(previous)),
        )
        return with_detail(fig, t("chart.caption.top", top=top)), df

    return build


def _periods(con, filters, period_a, period_b):
    if period_a is None or period_b is None:
        periods = default_periods(con, filters)
        if periods is None:
            return None, None
        period_a, period_b = periods
    return tuple(period_a), tuple(period_b)


def _compare_frame(con, filters, dimension, period_a, period_b) -> pd.DataFrame:
    if dimension not in COMPARE_DIMENSIONS:
        raise InvalidInputError(
            t("chart.error.compare_dimension", dimension=repr(dimension), valid=", ".join(COMPARE_DIMENSIONS))
        )
    df = metrics.compare_periods(con, filters, dimension, period_a, period_b)
    if dimension == "country_iso3":
        df = _with_country_names(df)
    return df


def _compare(con, filters: Filters, *, dimension: str = "region", period_a=None, period_b=None, **_):
    period_a, period_b = _periods(con, filters, period_a, period_b)
    if period_a is None:
        return charts.empty_figure(t("chart.compare_periods.title")), pd.DataFrame()
    df = _compare_frame(con, filters, dimension, period_a, period_b)
    fig = charts.compare_periods_chart(
        short_country_names(df), dimension, period_label(period_a), period_label(period_b)
    )
    return with_detail(fig, _periods_detail(dimension, period_a, period_b)), df


def _periods_detail(dimension: str | None, period_a, period_b) -> str:
    """'By region: 2016–2020 against 2021–2025' (without the dimension: the periods only)."""
    a, b = period_label(period_a), period_label(period_b)
    if dimension is None:
        return t("chart.caption.periods", a=a, b=b)
    return t("chart.caption.periods_by", dimension=charts.DIMENSION_NAMES.get(dimension, dimension).lower(), a=a, b=b)


def _movers(default_dimension: str, default_top: int, title_key: str | None = None) -> Build:
    """``title_key``: a message of the title with the periods ``{a}`` and ``{b}`` (else the
    builder's title, which names the dimension)."""

    def build(
        con,
        filters: Filters,
        *,
        dimension: str = default_dimension,
        period_a=None,
        period_b=None,
        top: int = default_top,
        **_,
    ):
        period_a, period_b = _periods(con, filters, period_a, period_b)
        if period_a is None:
            return charts.empty_figure(t("chart.compare_movers.title")), pd.DataFrame()
        title = t(title_key, a=period_label(period_a), b=period_label(period_b)) if title_key else None
        df = _compare_frame(con, filters, dimension, period_a, period_b)
        fig = charts.movers_chart(
            short_country_names(df), dimension, period_label(period_a), period_label(period_b), top=top, title=title
        )
        # The top movers' title names its dimension already; the comparison's caption says it.
        return with_detail(fig, _periods_detail(None if title_key else dimension, period_a, period_b)), df

    return build


def _pivot(con, filters: Filters, *, rows: str = "region", columns: str = "year", measure: str = "exchanges", **_):
    df = explore.pivot(con, filters, rows, columns, measure)
    # Distinct counts (events, parties, countries) may count one party in several cells: the
    # heatmap's hover says so for any measure but exchanges.
    fig = charts.heatmap_chart(df, rows, columns, value=measure)
    return with_detail(fig, export_title(fig)), df


def export_title(fig: go.Figure) -> str:
    """The first line of a builder's title, as plain text (the pivot's says its rows and columns)."""
    text = re.split(r"<br\s*/?>", fig.layout.title.text or "", maxsplit=1)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


# ---------------------------------------------------------------------------------------------
# The catalog

_SPECS = [
    ChartSpec(
        "exchanges-per-year",
        "chart.exchanges_per_year.title",
        "Overview",
        _exchanges_per_year,
        "chart.exchanges_per_year.description",
    ),
    ChartSpec("world-map", "chart.world_map.title", "Overview", _world_map, "chart.world_map.description"),
    ChartSpec(
        "top-movers",
        "chart.top_movers.title",
        "Overview",
        _movers("country_iso3", 8, "chart.top_movers.title_periods"),
        "chart.top_movers.description",
        own_years=True,
    ),
    ChartSpec("activity-per-year", "chart.activity_per_year.title", "Trends", _activity_per_year),
    ChartSpec("forms-per-year", "chart.forms_per_year.title", "Trends", _per_year("form")),
    ChartSpec("directions-per-year", "chart.directions_per_year.title", "Trends", _per_year("direction")),
    ChartSpec("levels-per-year", "chart.levels_per_year.title", "Trends", _per_year("level")),
    ChartSpec("first-contacts", "chart.first_contacts.title", "Trends", _first_contacts),
    ChartSpec("concentration", "chart.concentration.title", "Trends", _concentration),
    ChartSpec("families-per-year", "chart.families_per_year.title", "Party types", _per_year("party_family")),
    ChartSpec(
        "families-share-per-year",
        "chart.families_share_per_year.title",
        "Party types",
        _per_year("party_family", share=True),
    ),
    ChartSpec("status-share-per-year", "chart.status_share_per_year.title", "Party types", _status_share),
    ChartSpec("family-by-region", "chart.family_by_region.title", "Party types", _family_by_region),
    ChartSpec("top-parties-by-family", "chart.top_parties_by_family.title", "Party types", _top_parties_by_family),
    ChartSpec("regions", "chart.regions.title", "Regions", _regions),
    ChartSpec("subregions", "chart.subregions.title", "Regions", _subregions),
    ChartSpec("region-by-year", "chart.region_by_year.title", "Regions", _region_by_year),
    ChartSpec(
        "change-level-map",
        "chart.change_level_map.title",
        "Regions",
        _change_levels,
        "chart.change_level_map.description",
        own_years=True,
    ),
    ChartSpec("top-countries", "chart.top_countries.title", "Regions", _leaderboard("country")),
    ChartSpec("compare-periods", "chart.compare_periods.title", "Compare", _compare, own_years=True),
    ChartSpec("compare-movers", "chart.compare_movers.title", "Compare", _movers("region", 15), own_years=True),
    ChartSpec("pivot", "chart.pivot.title", "Explorer", _pivot),
    ChartSpec("by-form", "chart.by_form.title", "Profiles", _breakdown("form")),
    ChartSpec("by-level", "chart.by_level.title", "Profiles", _breakdown("level")),
    ChartSpec("by-status", "chart.by_status.title", "Profiles", _breakdown("party_status")),
    ChartSpec("by-direction", "chart.by_direction.title", "Profiles", _breakdown("direction")),
    ChartSpec("by-family", "chart.by_family.title", "Profiles", _breakdown("party_family")),
    ChartSpec("top-parties", "chart.top_parties.title", "Profiles", _leaderboard("party")),
]
CHARTS: dict[str, ChartSpec] = {spec.name: spec for spec in _SPECS}


def filters_caption(con: duckdb.DuckDBPyConnection | None, filters: Filters, *, years: bool = True) -> str:
    """The filters in words with the actual year window and country names in the current language
    (e.g. '1978–2025; Region: Africa; Country: Kenya'; '1978—2025年；地区：非洲；国家：肯尼亚').
    ``years=False`` (or no connection) leaves the years as set."""
    shown = tuple(reference.country_label(code, english="common") for code in filters.countries)
    named = replace(filters, countries=shown)
    if not years:
        return named.with_years(None, None).describe()
    if con is None:
        return named.describe()
    first, last = metrics.window(con, filters)
    return named.with_years(first, last).describe()


def footnote(source: str | None = None, *, is_demo: bool) -> str:
    """'Source: …' and, for demo data, a second line 'Demo data: …', for the bottom of a chart."""
    parts = [t("chart.footnote.source", source=source or texts.source())]
    if is_demo:
        parts.append(texts.demo_note())
    return "\n".join(parts)


def build_chart(
    con: duckdb.DuckDBPyConnection,
    name: str,
    filters: Filters,
    *,
    is_demo: bool,
    source: str | None = None,
    window: tuple[int, int] | None = None,
    lang: str | None = None,
    **options,
) -> tuple[go.Figure, pd.DataFrame]:
    """The named chart for these filters, titled, captioned with the filters and footnoted with
    the source (and "Demo data" when ``is_demo``), with the DataFrame behind it.

    ``window``: the filters' (first, last) year when the caller knows it already (saves a query).
    ``lang``: the language of the chart's words (``en``, ``zh``); the current language when None.
    A cache of charts keys on it. The data keeps its codes and recorded names in every language.
    """
    try:
        spec = CHARTS[name]
    except KeyError:
        raise ChartNotFoundError(name) from None
    with using(lang):
        fig, data = spec.build(con, filters, **options)
        if window is not None and not spec.own_years:
            caption = filters_caption(None, filters.with_years(*window))
        else:
            caption = filters_caption(con, filters, years=not spec.own_years)
        detail = caption_detail(fig)
        if detail:  # a chart that picks its own years says them here ('All exchanges' goes)
            plain = spec.own_years and filters.with_years(None, None).is_empty()
            caption = detail if plain else t("chart.caption.detail", detail=detail, filters=caption)
        # One title per chart, the catalogue's: the picture says what `export --list` says.
        fig.update_layout(title=dict(text=charts.plotly_text(spec.title)))
        charts.annotate(fig, subtitle=caption, footnote=footnote(source, is_demo=is_demo))
    return fig, data


def charts_for_page(page: str) -> list[ChartSpec]:
    """The catalog entries whose home is ``page``, in catalog order."""
    return [spec for spec in _SPECS if spec.page == page]
