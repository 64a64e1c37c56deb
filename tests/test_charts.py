"""Chart builders and the chart catalog, read through ``fig.data`` and ``fig.layout``.

Builders get small DataFrames written here (the shape each metric returns); the catalog
builds every chart from a tiny ledger whose numbers are worked out by hand:

    row  date        party / country        family               region / sub-region          form
    1    2020-03-01  Red Party / FRA         communist            Europe / Western Europe      working_visit
    2    2020-05-01  Red Party / FRA         communist            Europe / Western Europe      study_trip
    3    2021-01-10  Sun Party / KEN         national_democratic  Africa / Eastern Africa      working_visit
    4    2021-02-10  Red Party / FRA         communist            Europe / Western Europe      working_visit
    5    2021-06-01  Blue League / (none)    international_org    International organisations  multilateral_meeting

Window with ``Filters(year_from=2020)``: 2020-2021. Exchanges: 2 in 2020, 3 in 2021; Europe 3,
Africa 1, international organisations 1.
"""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from analytics import chart_catalog, charts, export, i18n, vocab
from analytics.filters import Filters
from analytics.ledger import connect_read_only

ROWS = [
    {"date": "2020-03-01", "party": "Red Party", "family": "communist"},
    {"date": "2020-05-01", "party": "Red Party", "family": "communist", "form": "study_trip"},
    {"date": "2021-01-10", "party": "Sun Party", "country": "KEN", "family": "national_democratic"},
    {"date": "2021-02-10", "party": "Red Party", "family": "communist"},
    {
        "date": "2021-06-01",
        "party": "Blue League",
        "country": None,
        "family": "international_org",
        "status": "other",
        "form": "multilateral_meeting",
    },
]
SINCE_2020 = Filters(year_from=2020)
ERAS = pd.DataFrame(
    {"year": [1978, 2012, 2017], "label": ["Reform", "18th Congress", "Dialogue"], "description": ["", "", ""]}
)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    from tests.ledgers import build_ledger

    path = build_ledger(tmp_path_factory.mktemp("charts") / "tiny.duckdb", ROWS)
    connection = connect_read_only(path)
    yield connection
    connection.close()


def per_year(years, exchanges):
    frame = pd.DataFrame(
        {
            "year": years,
            "exchanges": exchanges,
            "events": exchanges,
            "parties": [1] * len(years),
            "countries": [1] * len(years),
        }
    )
    frame["exchanges_change"] = frame["exchanges"].diff().fillna(0).astype(int)
    frame["exchanges_change_pct"] = [float("nan")] + [10.0] * (len(years) - 1)
    frame["exchanges_rolling3"] = frame["exchanges"].rolling(3, min_periods=1).mean()
    return frame


# ---------------------------------------------------------------------------------------------
# The template and the colours


def test_template_is_registered_with_local_fonts_and_on_every_figure():
    assert charts.TEMPLATE in pio.templates
    family = pio.templates[charts.TEMPLATE].layout.font.family
    assert family.startswith("DejaVu Sans") and "Liberation Sans" in family
    assert "http" not in family
    before = pio.templates.default
    pio.templates.default = "plotly"  # Streamlit sets its own default theme: it must not matter
    try:
        fig = charts.breakdown_bar_chart(pd.DataFrame({"form": ["other"], "exchanges": [1], "share": [1.0]}), "form")
        empty = charts.empty_figure("Nothing")
    finally:
        pio.templates.default = before
    for figure in (fig, empty):
        assert figure.layout.template.layout.font.family == family
        assert figure.layout.template.layout.legend.x == 1.01


@pytest.mark.parametrize(
    ("dimension", "codes"),
    [
        ("party_family", vocab.PARTY_FAMILIES),
        ("party_status", vocab.PARTY_STATUSES),
        ("form", vocab.FORMS),
        ("direction", vocab.DIRECTIONS),
        ("level", vocab.LEVELS),
        ("region", vocab.REGIONS + (vocab.INTERNATIONAL_BUCKET,)),
    ],
)
def test_every_code_has_its_own_fixed_colour(dimension, codes):
    colours = [charts.colour(dimension, code) for code in codes]
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in colours)
    assert len(set(colours)) == len(codes)
    assert set(charts.DIMENSION_COLOURS[dimension]) == set(codes)


def test_family_colours_are_the_same_on_every_chart():
    over_time = charts.breakdown_per_year_chart(
        pd.DataFrame(
            {
                "year": [2000, 2000],
                "party_family": ["liberal", "communist"],
                "exchanges": [3, 1],
                "share": [0.75, 0.25],
            }
        ),
        "party_family",
    )
    bars = charts.breakdown_bar_chart(
        pd.DataFrame(
            {
                "party_family": ["liberal", "communist"],
                "exchanges": [3, 1],
                "share": [0.75, 0.25],
            }
        ),
        "party_family",
    )
    stacked = {trace.name: trace.marker.color for trace in over_time.data}
    assert stacked == {"Communist": "#882255", "Liberal": "#DDCC77"}
    assert dict(zip(bars.data[0].y, bars.data[0].marker.color, strict=True)) == stacked


# ---------------------------------------------------------------------------------------------
# Builders


def test_exchanges_per_year_bars_rolling_mean_and_eras_in_range():
    fig = charts.exchanges_per_year_chart(per_year([2010, 2011, 2012, 2013], [4, 6, 8, 2]), ERAS)
    bars, line = fig.data
    assert list(bars.x) == [2010, 2011, 2012, 2013] and list(bars.y) == [4, 6, 8, 2]
    assert line.name == "3-year rolling mean" and list(line.y)[2] == pytest.approx(6.0)
    assert "%{y:,} exchanges" in bars.hovertemplate
    # Only the 2012 era is inside 2010-2013: one dotted line and one label.
    assert [shape.x0 for shape in fig.layout.shapes] == [2012]
    assert [note.text for note in fig.layout.annotations] == ["18th Congress"]
    assert fig.layout.yaxis.range[1] == pytest.approx(8 * charts.ERA_HEADROOM)
    assert fig.layout.title.text == "Exchanges per year"


def test_stacked_per_year_counts_and_shares():
    df = pd.DataFrame(
        {
            "year": [2000, 2000, 2001, 2001],
            "region": ["Europe", "Africa", "Europe", "Africa"],
            "exchanges": [3, 1, 0, 2],
            "share": [0.75, 0.25, 0.0, 1.0],
        }
    )
    counts = charts.breakdown_per_year_chart(df, "region")
    assert [t.name for t in counts.data] == ["Africa", "Europe"]  # vocabulary order
    assert list(counts.data[1].y) == [3, 0]
    assert counts.layout.barmode == "stack"
    shares = charts.breakdown_per_year_chart(df, "region", share=True)
    assert list(shares.data[0].y) == [0.25, 1.0]
    assert shares.layout.yaxis.tickformat == ".0%"
    assert charts.selection_key(counts, {"curve_number": 1, "point_index": 0}) == "Europe"


def test_breakdown_bars_sorted_labelled_and_clickable():
    df = pd.DataFrame(
        {"form": ["study_trip", "working_visit", "other"], "exchanges": [2, 5, 1], "share": [0.25, 0.625, 0.125]}
    )
    fig = charts.breakdown_bar_chart(df, "form")
    bar = fig.data[0]
    assert list(bar.y) == ["Other", "Study trip", "Working visit"]  # largest on top
    assert list(bar.x) == [1, 2, 5]
    assert list(bar.text) == ["1", "2", "5"]
    assert "%{customdata[1]:.1%}" in bar.hovertemplate
    assert charts.click_dimension(fig) == "form"
    assert charts.selection_key(fig, {"curve_number": 0, "point_index": 2}) == "working_visit"
    assert charts.selection_key(fig, {"curve_number": 3, "point_index": 0}) is None


def test_world_map_iso3_locations_and_off_map_note():
    df = pd.DataFrame(
        {
            "country_iso3": ["FRA", "", "KEN"],
            "country": ["France", "International organisations", "Kenya"],
            "region": ["Europe", "International organisations", "Africa"],
            "subregion": ["", "", ""],
            "exchanges": [3, 1, 1],
            "share": [0.6, 0.2, 0.2],
            "events": [3, 1, 1],
            "parties": [1, 1, 1],
        }
    )
    fig = charts.world_map_chart(df)
    trace = fig.data[0]
    assert trace.type == "choropleth" and trace.locationmode == "ISO-3"
    assert list(trace.locations) == ["FRA", "KEN"] and list(trace.z) == [3, 1]
    assert "%{z:,} exchanges" in trace.hovertemplate
    assert any("1 exchanges with international organisations" in a.text for a in fig.layout.annotations)
    assert charts.selection_key(fig, {"curve_number": 0, "point_index": 1}) == "KEN"
    # Two regions: the whole inhabited world; one region (Africa alone): the map fits its countries
    assert fig.layout.geo.fitbounds is False and list(fig.layout.geo.lataxis.range) == [-57, 80]
    africa = charts.world_map_chart(df[df["region"] == "Africa"])
    assert africa.layout.geo.fitbounds == "locations"


def test_change_level_map_one_trace_per_level():
    df = pd.DataFrame(
        {
            "country_iso3": ["FRA", "KEN", "BRA"],
            "country": ["France", "Kenya", "Brazil"],
            "region": ["", "", ""],
            "window_exchanges": [10, 2, 6],
            "window_average": [2.0, 0.4, 1.2],
            "baseline_average": [1.0, 1.0, 1.2],
            "change_pct": [100.0, -60.0, 0.0],
            "level": ["large increase", "large decrease", "little change"],
        }
    )
    fig = charts.change_level_map_chart(df)
    assert [t.name for t in fig.data] == ["Large increase", "Little change", "Large decrease"]
    assert fig.data[0].colorscale[0][1] == charts.CHANGE_LEVEL_COLOURS["large increase"]
    assert list(fig.data[2].locations) == ["KEN"]


def test_movers_rises_blue_falls_orange_sorted():
    df = pd.DataFrame(
        {
            "region": ["Africa", "Europe", "Asia", "Oceania"],
            "exchanges_a": [1, 9, 4, 3],
            "exchanges_b": [6, 2, 4, 4],
            "change": [5, -7, 0, 1],
            "change_pct": [500.0, -77.8, 0.0, 33.3],
        }
    )
    fig = charts.movers_chart(df, "region", "2000", "2001")
    bar = fig.data[0]
    assert list(bar.y) == ["Europe", "Oceania", "Africa"]  # no change left out; falls first
    assert list(bar.marker.color) == [charts.FALL_COLOUR, charts.RISE_COLOUR, charts.RISE_COLOUR]
    assert list(bar.text) == ["-7", "+1", "+5"]
    assert charts.selection_key(fig, {"curve_number": 0, "point_index": 2}) == "Africa"


def test_heatmap_orders_years_and_vocabulary():
    df = pd.DataFrame(
        {
            "party_family": ["liberal", "communist", "liberal", "communist"],
            "year": [2001, 2001, 2000, 2000],
            "exchanges": [1, 2, 3, 4],
            "share": [0.1, 0.2, 0.3, 0.4],
        }
    )
    fig = charts.heatmap_chart(df, "party_family", "year")
    heat = fig.data[0]
    assert list(heat.y) == ["Communist", "Liberal"] and list(heat.x) == ["2000", "2001"]
    assert [list(row) for row in heat.z] == [[4, 2], [3, 1]]
    decades = charts.heatmap_chart(
        pd.DataFrame({"region": ["Asia", "Asia"], "decade": [1990, 1980], "parties": [2, 5]}),
        "region",
        "decade",
        value="parties",
    )
    assert list(decades.data[0].x) == ["1980s", "1990s"]


def test_first_contacts_two_panels():
    df = pd.DataFrame(
        {
            "year": [2000, 2001],
            "new_parties": [3, 1],
            "new_countries": [2, 0],
            "cumulative_parties": [3, 4],
            "cumulative_countries": [2, 2],
        }
    )
    fig = charts.first_contacts_chart(df)
    names = [t.name for t in fig.data]
    assert names == ["Parties", "New parties", "Countries", "New countries"]
    assert list(fig.data[0].y) == [3, 4] and list(fig.data[1].y) == [3, 1]


def test_leaderboard_party_clicks_give_name_and_country():
    df = pd.DataFrame(
        {
            "rank": [1, 2],
            "country_iso3": ["FRA", ""],
            "country": ["France", "International organisations"],
            "party": ["Red Party", "Blue League"],
            "exchanges": [3, 1],
            "share": [0.75, 0.25],
            "previous_exchanges": [1, 0],
            "change": [2, 1],
            "change_pct": [200.0, float("nan")],
        }
    )
    fig = charts.leaderboard_chart(df, "party")
    bar = fig.data[0]
    assert list(bar.y) == ["Blue League (International organisations)", "Red Party (France)"]
    assert charts.selection_key(fig, {"curve_number": 0, "point_index": 1}) == "FRA:Red Party"
    assert charts.selection_key(fig, {"curve_number": 0, "point_index": 0}) == ":Blue League"


EMPTY_CASES = [
    (charts.exchanges_per_year_chart, per_year([], [])),
    (charts.activity_per_year_chart, per_year([2000], [0])),
    (
        lambda df: charts.breakdown_per_year_chart(df, "form"),
        pd.DataFrame(columns=["year", "form", "exchanges", "share"]),
    ),
    (lambda df: charts.breakdown_bar_chart(df, "form"), pd.DataFrame(columns=["form", "exchanges", "share"])),
    (charts.world_map_chart, pd.DataFrame(columns=["country_iso3", "country", "exchanges", "share"])),
    (
        lambda df: charts.movers_chart(df, "region", "a", "b"),
        pd.DataFrame(columns=["region", "exchanges_a", "exchanges_b", "change", "change_pct"]),
    ),
    (lambda df: charts.heatmap_chart(df, "region", "year"), pd.DataFrame(columns=["region", "year", "exchanges"])),
]


@pytest.mark.parametrize(("build", "df"), EMPTY_CASES)
def test_empty_data_gives_a_clear_empty_figure(build, df):
    fig = build(df)
    assert charts.is_empty(fig)
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == charts.empty_message() == "No exchanges match these filters."


def test_annotate_adds_filters_line_and_demo_footnote():
    fig = charts.exchanges_per_year_chart(per_year([2000, 2001], [1, 2]))
    charts.annotate(fig, subtitle="2000–2001; Region: Africa", footnote="Source: X\nDemo data (synthetic)")
    title = fig.layout.title.text
    assert title.startswith("Exchanges per year<br>") and "Region: Africa" in title
    assert charts.footnote_text(fig) == "Source: X · Demo data (synthetic)"


# ---------------------------------------------------------------------------------------------
# The catalog


def test_catalog_names_pages_and_contract():
    pages = {"Overview", "Trends", "Party types", "Regions", "Compare", "Explorer", "Profiles"}
    assert len(chart_catalog.CHARTS) >= 25
    for name, spec in chart_catalog.CHARTS.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) and spec.name == name
        assert spec.page in pages and spec.title and callable(spec.build)
    assert {spec.page for spec in chart_catalog.CHARTS.values()} == pages


def _string_titles(value, path="") -> list[str]:
    """Paths of ``title`` given as a bare string: plotly.js 3 ignores those (it wants {text: ...})."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "title" and isinstance(item, str):
                found.append(f"{path}.{key}")
            elif key != "template":
                found += _string_titles(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found += _string_titles(item, f"{path}[{i}]")
    return found


@pytest.mark.parametrize("name", list(chart_catalog.CHARTS))
def test_every_catalog_chart_builds_valid_and_labelled(con, name):
    fig, data = chart_catalog.build_chart(con, name, SINCE_2020, is_demo=True)
    assert isinstance(fig, go.Figure) and isinstance(data, pd.DataFrame)
    # The builders skip plotly's validation for speed: validate strictly here instead, and check
    # that what goes to plotly.js is exactly what validation would have made of it (a bare list
    # of colours as a colorscale, or a title given as a string, would be drawn wrong).
    validated = go.Figure(fig.to_dict())
    assert json.loads(pio.to_json(fig, validate=False)) == json.loads(pio.to_json(validated, validate=False))
    assert _string_titles(fig.to_dict()) == []
    assert "<br>" in fig.layout.title.text
    assert "Demo data" in charts.footnote_text(fig)
    assert not charts.is_empty(fig), name


@pytest.mark.parametrize("name", list(chart_catalog.CHARTS))
def test_every_catalog_chart_has_an_empty_state(con, name):
    nothing = Filters(year_from=2020, regions=("Oceania",))
    fig, data = chart_catalog.build_chart(con, name, nothing, is_demo=False)
    assert charts.is_empty(fig), name
    assert json.loads(pio.to_json(fig, validate=False)) == json.loads(
        pio.to_json(go.Figure(fig.to_dict()), validate=False)
    )
    assert "Demo data" not in charts.footnote_text(fig)


def test_catalog_numbers_and_caption(con):
    fig, data = chart_catalog.build_chart(con, "regions", SINCE_2020, is_demo=False, source="Test ledger")
    assert dict(zip(data["region"], data["exchanges"], strict=True)) == {
        "Europe": 3,
        "Africa": 1,
        "International organisations": 1,
    }
    assert list(fig.data[0].x) == [1, 1, 3]
    assert "2020–2021" in fig.layout.title.text
    assert charts.footnote_text(fig) == "Source: Test ledger"
    per_year_fig, per_year_data = chart_catalog.build_chart(con, "exchanges-per-year", SINCE_2020, is_demo=False)
    assert list(per_year_data["exchanges"]) == [2, 3]
    kenya, _ = chart_catalog.build_chart(con, "by-form", Filters(year_from=2020, countries=("KEN",)), is_demo=False)
    assert "Country: Kenya" in kenya.layout.title.text  # names, not codes


def test_catalog_compare_uses_its_periods(con):
    fig, data = chart_catalog.build_chart(
        con,
        "compare-periods",
        Filters(),
        is_demo=False,
        dimension="region",
        period_a=(2020, 2020),
        period_b=(2021, 2021),
    )
    rows = data.set_index("region")[["exchanges_a", "exchanges_b"]].to_dict("index")
    assert rows["Europe"] == {"exchanges_a": 2, "exchanges_b": 1}
    assert rows["Africa"] == {"exchanges_a": 0, "exchanges_b": 1}
    assert export.figure_caption(fig) == "By region: 2020 against 2021"  # the caption names the periods
    assert "1978" not in fig.layout.title.text  # the periods replace the filters' years
    with pytest.raises(ValueError, match="Cannot compare by"):
        chart_catalog.build_chart(
            con,
            "compare-periods",
            Filters(),
            is_demo=False,
            dimension="topic",
            period_a=(2020, 2020),
            period_b=(2021, 2021),
        )


def test_top_countries_leave_international_organisations_out(con):
    _, data = chart_catalog.build_chart(con, "top-countries", SINCE_2020, is_demo=False)
    assert list(data["country_iso3"]) == ["FRA", "KEN"]


def test_unknown_chart_lists_the_names(con):
    with pytest.raises(chart_catalog.ChartNotFoundError, match="exchanges-per-year"):
        chart_catalog.build_chart(con, "pie-of-everything", Filters(), is_demo=False)


def test_default_periods_latest_years_against_the_ones_before(con):
    assert chart_catalog.default_periods(con, Filters(year_from=2012, year_to=2021)) == ((2012, 2016), (2017, 2021))
    assert chart_catalog.default_periods(con, SINCE_2020) == ((2020, 2020), (2021, 2021))


def test_known_window_gives_the_same_caption(con):
    computed, _ = chart_catalog.build_chart(con, "regions", SINCE_2020, is_demo=False)
    given, _ = chart_catalog.build_chart(con, "regions", SINCE_2020, is_demo=False, window=(2020, 2021))
    assert computed.layout.title.text == given.layout.title.text


# ---------------------------------------------------------------------------------------------
# Hostile labels: party names are drawn as typed, cut on the axis, whole in the hover

HOSTILE_PARTY = '<a href="http://example.invalid/a">x</a><b>bold</b><br><img src=x>'


def _leaderboard(parties: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": range(1, len(parties) + 1),
            "country_iso3": ["FRA"] * len(parties),
            "country": ["France"] * len(parties),
            "party": parties,
            "exchanges": range(len(parties), 0, -1),
            "share": [1 / len(parties)] * len(parties),
            "previous_exchanges": [1] * len(parties),
            "change": [0] * len(parties),
            "change_pct": [0.0] * len(parties),
            "region": ["Europe"] * len(parties),
        }
    )


def _markup_free(text: str) -> bool:
    return re.search(r"<(?!extra>|/extra>|br>|b>|/b>)", text.replace("<br>", "")) is None


def test_party_names_with_markup_are_escaped_in_the_figure():
    fig = charts.leaderboard_chart(_leaderboard([HOSTILE_PARTY, "Red Party"]), "party")
    labels = list(fig.data[0].y)
    assert all("<a" not in label and "<img" not in label for label in labels)
    assert "&lt;a href=" in labels[-1]
    hover = fig.data[0].hovertemplate
    assert "example.invalid" not in hover


def test_long_party_names_are_cut_on_the_axis_and_stay_distinct():
    stem = "Very Long Party Name " * 250  # 5,250 characters
    fig = charts.leaderboard_chart(_leaderboard([stem + "A", stem + "B", "Red Party"]), "party")
    keys = list(fig.data[0].y)
    assert len(set(keys)) == 3  # two long names sharing a prefix stay two bars
    axis = fig.layout.yaxis
    assert list(axis.tickvals) == keys
    # The party name is cut, its country still shows: 'Very Long Party Name Very Long Part… (France)'.
    assert max(len(text) for text in axis.ticktext) <= 41 + len(" (France)")
    assert all(t.endswith("… (France)") for t in axis.ticktext[1:]) and axis.ticktext[0] == "Red Party (France)"
    assert any(len(key) > 5000 for key in keys)  # the hover (%{y}) shows the whole name


def test_legend_names_are_escaped_and_cut():
    df = pd.DataFrame(
        {
            "party_family": ["socialist", "socialist"],
            "party": [HOSTILE_PARTY, "x" * 5000],
            "country": ["France", "France"],
            "country_iso3": ["FRA", "FRA"],
            "exchanges": [2, 1],
            "share": [0.5, 0.5],
        }
    )
    fig = charts.top_parties_by_family_chart(df)
    assert all("<a" not in str(v) for v in fig.data[0].y)
    assert max(len(html.unescape(t)) for t in fig.layout.yaxis.ticktext) <= 41 + len(" (France)")
    assert any(html.unescape(t).endswith("… (France)") for t in fig.layout.yaxis.ticktext)


def test_exported_html_has_no_link_from_a_party_name(tmp_path):
    from analytics import export

    fig = charts.leaderboard_chart(_leaderboard([HOSTILE_PARTY, "Red Party"]), "party")
    page = export.to_html(fig, export.ChartMeta(name="top-parties", title=HOSTILE_PARTY)).decode("utf-8")
    assert '<a href=\\"http://example.invalid' not in page and '<a href="http://example.invalid' not in page
    assert "<img src=x>" not in page
    # The raw name is only the click key (customdata, never drawn): every drawn text is escaped.
    assert page.lower().count("\\u003ca href") == 1 and "fra:\\u003ca href" in page.lower()
    assert "&lt;a href=" in page


# ---------------------------------------------------------------------------------------------
# Chinese: every chart's words from the catalogue, names in Chinese, party names as recorded

PARTY_NAMES = ("Red Party", "Sun Party", "Blue League")
_PLACEHOLDER = re.compile(r"%\{[^}]*\}|<[^>]*>|&[a-z]+;|&#\d+;")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _english_names() -> set[str]:
    """Every English word a Chinese chart must not show: vocabulary labels, regions, sub-regions,
    countries (official and common names) and the international organisations' bucket."""
    from analytics import dimensions, i18n, reference

    table = reference.countries()
    labels = {i18n.t_in("en", f"vocab.{code}") for d in dimensions.ALL for code in d.vocabulary}
    return (
        labels
        | {*table["region"], *table["subregion"], *table["name"], *table["common_name"]}
        | {vocab.INTERNATIONAL_BUCKET}
    )


def _words(fig: go.Figure) -> dict[str, list[str]]:
    """The texts a reader sees, by where they are: title, axis titles and tick texts, trace names,
    category values, hover templates, colour-bar titles, annotations and their hovers."""
    layout = fig.layout
    found: dict[str, list[str]] = {"title": [layout.title.text or ""]}
    for axis in (*fig.select_xaxes(), *fig.select_yaxes()):
        found.setdefault("axis", []).extend([axis.title.text or "", *(axis.ticktext or ())])
    for trace in fig.data:
        found.setdefault("names", []).append(trace.name or "")
        found.setdefault("hover", []).append(trace.hovertemplate or "")
        for key in ("x", "y", "text"):
            values = getattr(trace, key, None)
            if values is not None:
                found.setdefault("categories", []).extend(v for v in values if isinstance(v, str))
        if trace.type in ("heatmap", "choropleth") and trace.colorbar.title.text:
            found.setdefault("colorbar", []).append(trace.colorbar.title.text)
    for note in layout.annotations:
        found.setdefault("annotations", []).extend([note.text or "", note.hovertext or ""])
    return found


def _leftover_latin(text: str) -> list[str]:
    """Latin words left in a text once markup, Plotly placeholders and party names are removed."""
    text = html.unescape(_PLACEHOLDER.sub(" ", text))
    for name in PARTY_NAMES:
        text = text.replace(name, " ")
    return re.findall(r"[A-Za-z]{2,}", text)


@pytest.mark.parametrize("name", list(chart_catalog.CHARTS))
def test_every_catalog_chart_in_chinese(con, name):
    with i18n.using("zh"):
        fig, data = chart_catalog.build_chart(con, name, SINCE_2020, is_demo=True)
        spec = chart_catalog.CHARTS[name]
        assert _HAN.search(spec.title) and not _leftover_latin(spec.title + spec.description)
    assert not charts.is_empty(fig)
    words = _words(fig)
    everything = [text for texts in words.values() for text in texts if text]
    # Chinese where there are words: the title and its filters line, axis titles, legends, hovers, notes.
    assert _HAN.search(words["title"][0]), words["title"]
    assert all(_HAN.search(text) for text in words.get("hover", []) if _leftover_latin(text) or "<br>" in text)
    assert all(_HAN.search(note) for note in words["annotations"] if note)
    assert "来源：政党交往台账" in charts.footnote_text(fig) and "演示数据" in charts.footnote_text(fig)
    # No English word at all, party names aside (they are shown as recorded).
    assert {text: _leftover_latin(text) for text in everything if _leftover_latin(text)} == {}
    english = _english_names()
    shown = " | ".join(html.unescape(_PLACEHOLDER.sub(" ", text)) for text in everything)
    assert sorted(word for word in english if re.search(rf"\b{re.escape(word)}\b", shown)) == []


@pytest.mark.parametrize("name", list(chart_catalog.CHARTS))
def test_every_empty_chart_says_so_in_chinese(con, name):
    with i18n.using("zh"):
        fig, _ = chart_catalog.build_chart(con, name, Filters(year_from=2020, regions=("Oceania",)), is_demo=False)
    assert charts.is_empty(fig)
    texts = [note.text for note in fig.layout.annotations]
    assert all(_HAN.search(text) and not _leftover_latin(text) for text in texts)
    assert "地区：大洋洲" in fig.layout.title.text


def test_chinese_chart_words_worked_out_by_hand(con):
    with i18n.using("zh"):
        regions, _ = chart_catalog.build_chart(con, "regions", SINCE_2020, is_demo=False, source="测试台账")
        parties, _ = chart_catalog.build_chart(con, "top-parties", SINCE_2020, is_demo=False)
        world, _ = chart_catalog.build_chart(con, "world-map", SINCE_2020, is_demo=False)
        kenya, _ = chart_catalog.build_chart(con, "by-form", Filters(year_from=2020, countries=("KEN",)), is_demo=False)
        compare, _ = chart_catalog.build_chart(
            con, "compare-periods", Filters(), is_demo=False, period_a=(2020, 2020), period_b=(2021, 2021)
        )
    assert (
        regions.layout.title.text.startswith("按地区分列的交往次数<br>") and "2020—2021年" in regions.layout.title.text
    )
    assert list(regions.data[0].y) == ["国际组织", "非洲", "欧洲"] and list(regions.data[0].x) == [1, 1, 3]
    assert regions.data[0].hovertemplate == "<b>%{y}</b><br>交往%{x:,}次<br>占总数的%{customdata[1]:.1%}<extra></extra>"
    assert charts.footnote_text(regions) == "来源：测试台账"
    assert parties.layout.title.text.startswith("交往次数居前的政党<br>")  # the catalogue's title, as `export --list`
    assert export.figure_caption(parties).startswith("前10名 · ")
    assert list(parties.data[0].y) == ["Blue League（国际组织）", "Sun Party（肯尼亚）", "Red Party（法国）"]
    assert list(world.data[0].text) == ["法国", "肯尼亚"]
    assert world.data[0].colorbar.title.text == "交往次数"
    assert [note.text for note in world.layout.annotations if "地图" in note.text] == [
        "未在地图上显示：与国际组织交往1次"
    ]
    assert "国家：肯尼亚" in kenya.layout.title.text
    assert compare.layout.title.text.startswith("两个时期的交往次数<br>")
    assert export.figure_caption(compare) == "按地区：2020年与2021年对比"
    assert [trace.name for trace in compare.data] == ["2020年", "2021年"]


def test_chart_titles_follow_the_language():
    spec = chart_catalog.CHARTS["exchanges-per-year"]
    assert spec.title == "Exchanges per year" and spec.description.startswith("Exchanges per year with")
    with i18n.using("zh"):
        assert spec.title == "年度交往次数" and spec.description == "年度交往次数，附三年移动平均线和时期标记。"
        assert charts.DIMENSION_NAMES["party_family"] == "政党类别" and charts.MEASURE_NAMES["events"] == "活动场次"
        assert (
            chart_catalog.period_label((2016, 2020)) == "2016—2020年"
            and chart_catalog.period_label((2020, 2020)) == "2020年"
        )
    assert chart_catalog.period_label((2016, 2020)) == "2016–2020" and charts.DIMENSION_NAMES["party"] == "Party"
    same = [
        s.name for s in chart_catalog.CHARTS.values() if i18n.t_in("en", s.title_key) == i18n.t_in("zh", s.title_key)
    ]
    assert same == []


def test_era_labels_in_chinese_on_a_trend_chart():
    from analytics import reference

    df = per_year(list(range(2000, 2022)), [3] * 22)
    with i18n.using("zh"):
        fig = charts.exchanges_per_year_chart(df, reference.eras())
    notes = {note.text: note.hovertext for note in fig.layout.annotations}
    assert notes == {
        "党的十六大": "2002年：党的第十六次全国代表大会",
        "党的十八大": "2012年：党的第十八次全国代表大会；对外交往显著加强",
        "高层对话会": "2017年：中国共产党与世界政党高层对话会（2017年底）",
        "新冠疫情": "2020年：人员往来中断，交往活动转为线上进行（2020年至2021年）",
    }
    english = charts.exchanges_per_year_chart(df, reference.eras())
    assert [note.text for note in english.layout.annotations] == [
        "16th Congress",
        "18th Congress",
        "High-level dialogue",
        "Pandemic",
    ]
    assert english.layout.annotations[1].hovertext == "2012: 18th National Congress; engagement intensifies"


def test_an_era_without_a_chinese_label_keeps_its_english_words():
    eras = pd.DataFrame(
        {
            "year": [2005, 2010],
            "label": ["Local era", "Other era"],
            "description": ["Added by hand", ""],
            "label_zh": ["", "另一时期"],
            "description_zh": ["", ""],
        }
    )
    with i18n.using("zh"):
        fig = charts.exchanges_per_year_chart(per_year(list(range(2004, 2012)), [1] * 8), eras)
    assert [(n.text, n.hovertext) for n in fig.layout.annotations] == [
        ("Local era", "2005年：Added by hand"),
        ("另一时期", "2010年：另一时期"),
    ]
    # An eras frame from older code, without the Chinese columns, still draws.
    old = charts.exchanges_per_year_chart(per_year([2004, 2005], [1, 1]), eras[["year", "label", "description"]])
    assert [n.text for n in old.layout.annotations] == ["Local era"]


def test_party_names_recorded_in_chinese_show_in_chinese_charts():
    df = _leaderboard(["Red Party", "Blue League"]).assign(party_zh=["红党", ""])
    with i18n.using("zh"):
        chinese = charts.leaderboard_chart(df, "party")
    assert set(chinese.data[0].y) == {"红党（法国）", "Blue League（法国）"}
    # The click key stays the party as recorded, whatever the language.
    keys = {charts.selection_key(chinese, {"curve_number": 0, "point_index": i}) for i in range(2)}
    assert keys == {"FRA:Red Party", "FRA:Blue League"}
    assert set(charts.leaderboard_chart(df, "party").data[0].y) == {"Red Party (France)", "Blue League (France)"}
    with i18n.using("zh"):
        assert charts.display_party(df.drop(columns="party_zh")) == ["Red Party", "Blue League"]


@pytest.mark.parametrize(
    ("dimension", "code", "english", "chinese"),
    [
        ("party_family", "communist", "Communist", "共产党"),
        ("region", "Latin America and the Caribbean", "Latin America and the Caribbean", "拉丁美洲"),
        ("subregion", "South-eastern Asia", "South-eastern Asia", "东南亚"),
        ("country_iso3", "DEU", "DEU", "德国"),
        ("country_iso3", "", "International organisations", "国际组织"),
        ("country", "Kenya", "Kenya", "肯尼亚"),
        ("region", None, "(none)", "（无）"),
        ("party", "Red Party", "Red Party", "Red Party"),
    ],
)
def test_category_labels_in_both_languages(dimension, code, english, chinese):
    assert charts.category_label(dimension, code) == english
    with i18n.using("zh"):
        assert charts.category_label(dimension, code) == chinese


def test_change_levels_named_in_chinese():
    df = pd.DataFrame(
        {
            "country_iso3": ["FRA", "KEN"],
            "country": ["France", "Kenya"],
            "region": ["Europe", "Africa"],
            "window_exchanges": [10, 2],
            "window_average": [2.0, 0.4],
            "baseline_average": [1.0, 1.0],
            "change_pct": [100.0, -60.0],
            "level": ["large increase", "large decrease"],
        }
    )
    with i18n.using("zh"):
        fig = charts.change_level_map_chart(df)
    assert [trace.name for trace in fig.data] == ["大幅增加", "大幅减少"]
    assert fig.layout.title.text == "各国交往较基准期的变化"
    assert fig.data[0].hovertemplate.startswith("<b>%{text}</b>：大幅增加<br>观察期内交往%{customdata[0]:,}次")
    assert charts.change_level_map_chart(df).data[0].hovertemplate.startswith("<b>%{text}</b>: large increase<br>")


def test_english_chart_titles_are_the_documented_ones():
    """The English titles moved into the catalogue unchanged: the chart table of docs/export.md
    names each chart's page and title."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "export.md").read_text(encoding="utf-8")
    rows = {
        cells[0].strip("` "): (cells[1].strip(), cells[2].strip())
        for line in doc.splitlines()
        if line.startswith("| `") and len(cells := line.strip("|").split("|")) >= 3
    }
    with i18n.using("en"):
        shown = {name: (spec.page, spec.title) for name, spec in chart_catalog.CHARTS.items()}
    assert {name: rows.get(name) for name in shown} == shown


def test_build_chart_takes_the_language(con):
    chinese, chinese_data = chart_catalog.build_chart(con, "regions", SINCE_2020, is_demo=True, lang="zh")
    english, english_data = chart_catalog.build_chart(con, "regions", SINCE_2020, is_demo=True)
    assert chinese.layout.title.text.startswith("按地区分列的交往次数") and list(chinese.data[0].y)[-1] == "欧洲"
    assert english.layout.title.text.startswith("Exchanges by region") and list(english.data[0].y)[-1] == "Europe"
    assert i18n.current() == "en"  # the language of the run is left as it was
    pd.testing.assert_frame_equal(chinese_data, english_data)  # the data keeps its codes
    with pytest.raises(i18n.LanguageError):
        chart_catalog.build_chart(con, "regions", SINCE_2020, is_demo=True, lang="fr")


def test_share_lines_leave_era_headroom_above_their_largest_share_not_above_100_percent():
    df = pd.DataFrame(
        {
            "year": [2020, 2020, 2021, 2021],
            "party_status": ["ruling", "opposition", "ruling", "opposition"],
            "exchanges": [11, 9, 12, 8],
            "share": [0.55, 0.45, 0.6, 0.4],
        }
    )
    eras = pd.DataFrame(
        {"year": [2020], "label": ["Pandemic"], "description": ["x"], "label_zh": [""], "description_zh": [""]}
    )
    fig = charts.share_lines_chart(df, "party_status", eras=eras)
    assert fig.layout.yaxis.range[1] == pytest.approx(0.6 * charts.ERA_HEADROOM)  # not 118 %
