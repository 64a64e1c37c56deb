"""Tests of ``analytics.export``: file names, stamping, the data and HTML writers, the
browser check, and (marked ``browser``) real PNG/SVG/PDF renders opened and measured, and
every catalog chart in every format."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from openpyxl import load_workbook
from PIL import Image, ImageChops
from pypdf import PdfReader

from analytics import chart_catalog, charts, export, i18n, spreadsheet
from analytics.filters import Filters
from analytics.ledger import connect_read_only

DAY = dt.date(2026, 11, 28)
# A small ledger touching every dimension: two regions and an international organisation,
# several families, statuses, forms, directions and levels over 2014-2021.
ROWS = [
    {"date": "2014-03-02", "party": "Parti A", "country": "FRA", "family": "socialist", "form": "working_visit"},
    {"date": "2015-05-10", "party": "Parti A", "country": "FRA", "family": "socialist", "form": "study_trip"},
    {
        "date": "2016-06-01",
        "party": "Party K",
        "country": "KEN",
        "family": "national_democratic",
        "status": "opposition",
        "direction": "outbound",
        "level": "leader",
    },
    {
        "date": "2017-11-30",
        "party": "Party K",
        "country": "KEN",
        "family": "national_democratic",
        "form": "multilateral_meeting",
        "event_id": "dialogue-2017",
    },
    {
        "date": "2017-11-30",
        "party": "Parti A",
        "country": "FRA",
        "family": "socialist",
        "form": "multilateral_meeting",
        "event_id": "dialogue-2017",
    },
    {
        "date": "2017-11-30",
        "party": "Int of Parties",
        "country": None,
        "family": "international_org",
        "status": "other",
        "form": "multilateral_meeting",
        "event_id": "dialogue-2017",
    },
    {"date": "2018-02", "party": "Partido B", "country": "BRA", "family": "communist", "level": "working"},
    {"date": "2019", "party": "Partido B", "country": "BRA", "family": "communist", "status": "coalition"},
    {
        "date": "2020-04-04",
        "party": "Party K",
        "country": "KEN",
        "family": "national_democratic",
        "form": "virtual_meeting",
        "direction": "virtual",
    },
    {
        "date": "2021-07-06",
        "party": "Green Party",
        "country": "DEU",
        "family": "green",
        "status": "opposition",
        "form": "virtual_meeting",
        "direction": "virtual",
    },
    {"date": "2021-08-09", "party": "Parti A", "country": "FRA", "family": "socialist", "form": "high_level_visit"},
]


def bar_figure(title: str = "Exchanges per year") -> go.Figure:
    """A small titled bar chart, as the catalog would draw it (title, filters line, footnote)."""
    fig = go.Figure(go.Bar(x=[2019, 2020, 2021], y=[3, 1, 2]))
    fig.update_layout(title=dict(text=title), height=400, template="plotly")
    return fig


def map_figure() -> go.Figure:
    fig = go.Figure(go.Choropleth(locations=["FRA", "KEN", "BRA"], z=[5, 3, 2], locationmode="ISO-3"))
    fig.update_layout(title=dict(text="Exchanges by country"), height=420, template="plotly")
    fig.update_geos(showland=True, showcountries=True)
    return fig


def meta(is_demo: bool = False, **changes) -> export.ChartMeta:
    values = dict(
        name="exchanges-per-year",
        title="Exchanges per year",
        filters="2019–2021; Region: Europe",
        source="Test ledger",
        is_demo=is_demo,
        exported=DAY,
    )
    values.update(changes)
    return export.ChartMeta(**values)


def need_browser() -> None:
    """Image tests fail, never skip, without a browser: the setup script installs Chromium, and a
    skip would let CI pass with no picture checked."""
    assert export.browser_available(), f"{export.browser_missing()} (the setup script installs it; image tests need it)"


def all_text(fig: go.Figure) -> str:
    """Every text a figure draws in its layout: title and annotations."""
    return " ".join([fig.layout.title.text or ""] + [a.text or "" for a in fig.layout.annotations])


# ---------------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        ("exchanges-per-year", "png", "exchanges-per-year_2026-11-28.png"),
        ("world-map", "html", "world-map_2026-11-28.html"),
        ("Top 10: parties/by région?", "csv", "top-10-parties-by-region_2026-11-28.csv"),
        ('CON <bad> "name" *', "xlsx", "con-bad-name_2026-11-28.xlsx"),
        ("..", "svg", "chart_2026-11-28.svg"),
        ("Über Ümlaut", "pdf", "uber-umlaut_2026-11-28.pdf"),
        ("各地区交往次数", "png", "chart_2026-11-28.png"),
        ("2025年3月 regions", "svg", "2025-3-regions_2026-11-28.svg"),
    ],
)
def test_file_names_say_what_and_when_in_safe_characters(name, fmt, expected):
    produced = export.file_name(name, fmt, DAY)
    assert produced == expected
    assert re.fullmatch(r"[a-z0-9_.-]+", produced)


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("a/b/chart.PNG", "png"),
        ("x.svg", "svg"),
        ("x.pdf", "pdf"),
        ("x.htm", "html"),
        ("x.html", "html"),
        ("x.csv", "csv"),
        ("x.xlsx", "xlsx"),
    ],
)
def test_format_follows_the_extension(path, fmt):
    assert export.format_for_path(path) == fmt


@pytest.mark.parametrize("path", ["chart.gif", "chart", "chart.docx"])
def test_unknown_extension_is_refused_with_the_known_ones(path):
    with pytest.raises(export.ExportError, match=r"\.png, \.svg, \.pdf, \.html, \.csv, \.xlsx"):
        export.format_for_path(path)


def test_registry_holds_the_six_formats_and_which_need_the_browser():
    assert list(export.FORMATS) == ["png", "svg", "pdf", "html", "csv", "xlsx"]
    assert export.IMAGE_FORMATS == ("png", "svg", "pdf")
    assert export.FORMATS["png"].default_scale == 2.0


# ---------------------------------------------------------------------------------------------
# Stamping


def test_stamp_carries_title_filters_source_and_date_and_demo_mark():
    stamped = export.stamp(bar_figure(), meta(is_demo=True))
    text = all_text(stamped)
    assert "Exchanges per year" in text
    assert "2019–2021; Region: Europe" in text
    assert "Source: Test ledger · Exported 2026-11-28" in text
    assert [a.name for a in stamped.layout.annotations if "Demo data" in (a.text or "")] == ["demo-mark"]


def test_stamp_of_real_data_has_no_demo_mark_even_if_the_figure_had_one():
    fig = bar_figure()
    chart_figure = fig.add_annotation(text="Source: X · Demo data: synthetic", name="footnote", showarrow=False)
    stamped = export.stamp(chart_figure, meta(is_demo=False))
    assert "Demo data" not in all_text(stamped)
    assert "Exported 2026-11-28" in all_text(stamped)


def test_stamp_escapes_markup_in_filters():
    stamped = export.stamp(bar_figure(), meta(filters="Party: <b>A & B</b>"))
    assert "Party: &lt;b&gt;A &amp; B&lt;/b&gt;" in export.stamped_title(stamped)


@pytest.mark.parametrize("preset", ["slide", "a4", export.PRESETS["slide"].sized(12.3, 4.6)])
def test_bare_stamp_drops_title_and_footer_but_keeps_demo_mark(preset):
    stamped = export.stamp(bar_figure(), meta(is_demo=True), preset=preset, bare=True)
    assert not stamped.layout.title.text
    assert "Exported" not in all_text(stamped)
    assert "Demo data" in all_text(stamped)
    assert stamped.layout.font.size == 19  # 14 pt at 0.75 pt per px, rounded up
    assert export.smallest_font_pt(stamped, preset) >= 14


def test_presets_sizes_and_the_deck_box():
    slide, a4 = export.PRESETS["slide"], export.PRESETS["a4"]
    assert (slide.width_px, slide.height_px, slide.min_font_pt) == (1280, 720, 14)
    assert (a4.width_px, a4.height_px) == (1123, 794)  # 297 x 210 mm at 96 px per inch
    assert export.PRESETS["screen"].width_px == 1200 and export.PRESETS["screen"].min_font_pt == 0
    box = slide.sized(12.3, 4.6)
    assert (box.width_px, box.height_px) == (1181, 442)
    assert (box.pt_per_px, box.min_font_pt, box.scale) == (slide.pt_per_px, 14, slide.scale)
    with pytest.raises(export.ExportError, match="screen, slide, a4"):
        export.resolve_preset("poster")


def test_smallest_font_reads_inherited_template_and_inline_sizes():
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]), layout=dict(template={"layout": {"font": {"size": 13}}}))
    # The template's body is 13 px, inherited by every text: 9.75 pt where shown at 0.75 pt per px.
    assert export.smallest_font_pt(fig, "screen") == pytest.approx(13 * 0.75)
    fig.add_annotation(text="tiny", font=dict(size=8), showarrow=False)
    assert export.smallest_font_pt(fig, "slide") == pytest.approx(6.0)
    fig.add_annotation(text="<span style='font-size:6px'>x</span>", showarrow=False)
    assert export.smallest_font_pt(fig, "slide") == pytest.approx(4.5)
    styled = export.style_for(fig, export.PRESETS["slide"])
    assert export.smallest_font_pt(styled, "slide") >= 14
    assert fig.layout.annotations[0].font.size == 8  # the original is untouched


def test_stamp_wraps_a_title_too_long_for_the_image_width():
    long = "Share of exchanges per year with ruling, coalition and opposition parties"
    caption = "2019–2021; Country: " + ", ".join(["Kenya", "France", "Germany", "Brazil", "Vietnam"] * 3)
    narrow = export.stamp(bar_figure(long), meta(title=long, filters=caption), width=600)
    wide = export.stamp(bar_figure(long), meta(title=long, filters=caption), width=2400)
    lines = [
        (export.plain_text(line), 12.5 if "font-size" in line else 17)
        for line in export.stamped_title(narrow).split("<br>")
    ]
    assert [size for _, size in lines][:3] == [17, 17, 12.5]  # two title lines, then the filters
    assert all(len(text) * size * 0.55 <= 600 - 24 for text, size in lines)
    assert export.plain_text(export.stamped_title(narrow)) == f"{long} {caption}"
    assert narrow.layout.margin.t > wide.layout.margin.t  # room for the extra lines
    assert len(export.stamped_title(wide).split("<br>")) == 2
    assert len(export.stamped_title(export.stamp(bar_figure(long), meta(title=long))).split("<br>")) == 2  # HTML


def test_stamp_leaves_the_original_untouched():
    fig = bar_figure()
    export.stamp(fig, meta(is_demo=True))
    assert fig.layout.title.text == "Exchanges per year"
    assert len(fig.layout.annotations) == 0


def test_meta_from_a_catalog_figure_reads_its_title_and_filter_line(make_ledger):
    con = connect_read_only(make_ledger(ROWS))
    try:
        fig, _ = chart_catalog.build_chart(con, "regions", Filters(regions=("Europe",)), is_demo=False)
    finally:
        con.close()
    found = export.chart_meta("regions", fig, is_demo=False, exported=DAY)
    assert found.title == "Exchanges by region"
    assert found.filters == "1978–2021; Region: Europe"  # the default window starts in 1978
    assert found.file_name("png") == "regions_2026-11-28.png"


def test_image_size_defaults_and_overrides():
    assert export.image_size(bar_figure()) == (1200, 540)  # 400 + 40 is below the 540 floor
    tall = bar_figure().update_layout(height=800)
    assert export.image_size(tall) == (1200, 840)
    assert export.image_size(tall, 640, 360) == (640, 360)


# ---------------------------------------------------------------------------------------------
# Data exports

DATA = pd.DataFrame(
    {
        "party": ['=HYPERLINK("http://x")', "Parti A", "+33 1 23", "@SUM(A1)", "-dash", "plain"],
        "exchanges": [3, -1, 2, 0, 5, 7],
    }
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("plain", "plain"),
        ("", ""),
        (5, 5),
        (-3, -3),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert export.neutralise(value) == expected


def test_csv_has_metadata_lines_then_the_table_with_formulas_neutralised():
    text = export.to_csv(DATA, meta(is_demo=True)).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[:5] == [
        "# Title: Exchanges per year",
        "# Filters: 2019–2021; Region: Europe",
        "# Source: Test ledger",
        "# Exported: 2026-11-28",
        "# Data: Demo data: synthetic ledger with invented parties",
    ]
    table = pd.read_csv(io.StringIO(text), skiprows=5)
    assert list(table.columns) == ["party", "exchanges"]
    assert list(table["party"]) == ['\'=HYPERLINK("http://x")', "Parti A", "'+33 1 23", "'@SUM(A1)", "'-dash", "plain"]
    assert list(table["exchanges"]) == [3, -1, 2, 0, 5, 7]


def test_csv_of_real_data_has_no_demo_mark():
    text = export.to_csv(DATA, meta(is_demo=False)).decode("utf-8-sig")
    assert "Demo data" not in text
    assert "# Data: Real ledger data" in text


def test_csv_metadata_with_commas_stays_one_cell():
    text = export.to_csv(DATA, meta(filters="Region: Africa, Asia")).decode("utf-8-sig")
    assert '"# Filters: Region: Africa, Asia"' in text


def test_xlsx_has_data_and_about_sheets_and_never_a_formula():
    book = load_workbook(io.BytesIO(export.to_xlsx(DATA, meta(is_demo=True))))
    assert book.sheetnames == ["Data", "About"]
    data = book["Data"]
    assert [c.value for c in data[1]] == ["party", "exchanges"]
    formula_cell = data["A2"]
    assert formula_cell.value == '=HYPERLINK("http://x")'
    assert formula_cell.data_type == "s"
    assert formula_cell.quotePrefix
    assert [data.cell(row=r, column=2).value for r in range(2, 8)] == [3, -1, 2, 0, 5, 7]
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert about == {
        "Title": "Exchanges per year",
        "Filters": "2019–2021; Region: Europe",
        "Source": "Test ledger",
        "Exported": "2026-11-28",
        "Data": "Demo data: synthetic ledger with invented parties",
    }


def test_xlsx_of_real_data_has_no_demo_mark():
    book = load_workbook(io.BytesIO(export.to_xlsx(DATA, meta(is_demo=False))))
    values = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row]
    assert not any("Demo data" in v for v in values)


def test_xlsx_handles_missing_values_dates_and_numpy_types():
    frame = pd.DataFrame(
        {
            "party": ["A", "B"],
            "year": pd.array([2020, None], dtype="Int64"),
            "share": [0.5, float("nan")],
            "date": pd.to_datetime(["2020-01-02", None]).tz_localize("UTC"),
        }
    )
    book = load_workbook(io.BytesIO(export.to_xlsx(frame, meta())))
    rows = [[c.value for c in row] for row in book["Data"].iter_rows(min_row=2)]
    assert rows == [["A", 2020, 0.5, dt.datetime(2020, 1, 2)], ["B", None, None, None]]


# ---------------------------------------------------------------------------------------------
# HTML (the browser test that opens it offline is in test_export_html_browser.py)


def test_html_is_self_contained_and_labelled():
    page = export.to_html(bar_figure(), meta(is_demo=True)).decode("utf-8")
    assert "<script src=" not in page  # nothing loaded from elsewhere
    assert len(page) > 3_000_000  # plotly.js itself is inside
    assert "<title>Exchanges per year (Demo data)</title>" in page
    assert "Exported 2026-11-28" in page
    assert "window.PlotlyGeoAssets.topojson[" not in page  # no map: no outline embedded


def test_html_of_a_map_embeds_the_world_outline():
    page = export.to_html(map_figure(), meta()).decode("utf-8")
    assert 'window.PlotlyGeoAssets.topojson["world_110m"] = {"type":"Topology"' in page
    assert "Demo data" not in page


# ---------------------------------------------------------------------------------------------
# No browser


@pytest.fixture
def no_browser(monkeypatch, tmp_path):
    monkeypatch.setenv("LEDGER_BROWSER", str(tmp_path / "no-such-browser"))


def test_missing_browser_is_reported_in_one_sentence(no_browser):
    assert not export.browser_available()
    with pytest.raises(export.BrowserMissingError, match="install it with `apt-get install chromium`"):
        export.export_chart(bar_figure(), DATA, meta(), "png")


def test_html_and_data_exports_work_without_a_browser(no_browser):
    assert export.export_chart(bar_figure(), DATA, meta(), "html").startswith(b"<!DOCTYPE html>")
    assert export.export_chart(bar_figure(), DATA, meta(), "csv").decode("utf-8-sig").startswith("# Title:")
    assert export.export_chart(bar_figure(), DATA, meta(), "xlsx")[:2] == b"PK"


def test_out_of_range_sizes_are_refused():
    with pytest.raises(export.ExportError, match="width 50 is out of range"):
        export.export_chart(bar_figure(), DATA, meta(), "html", width=50)
    with pytest.raises(export.ExportError, match="scale 20.0 is out of range"):
        export.export_chart(bar_figure(), DATA, meta(), "csv", scale=20.0)


# ---------------------------------------------------------------------------------------------
# Real renders (Chromium through Kaleido)


@pytest.fixture(scope="module")
def renderer():
    need_browser()
    with export.ImageRenderer() as shared:
        yield shared


@pytest.mark.browser
def test_png_svg_pdf_open_with_the_expected_size_and_text(renderer):
    fig = bar_figure()
    png, svg, pdf, big = export.export_many(
        [
            export.ExportRequest(fig, DATA, meta(is_demo=True), "png"),
            export.ExportRequest(fig, DATA, meta(is_demo=True), "svg"),
            export.ExportRequest(fig, DATA, meta(is_demo=True), "pdf", width=800, height=600),
            export.ExportRequest(fig, DATA, meta(), "png", width=640, height=360, scale=3),
        ],
        renderer,
    )
    assert Image.open(io.BytesIO(png)).size == (2400, 1080)  # 1200 x 540 at the default 2x
    assert Image.open(io.BytesIO(big)).size == (1920, 1080)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    words = " ".join(t for t in root.itertext())
    assert "Exchanges per year" in words
    assert "2019–2021; Region: Europe" in words
    assert "Exported 2026-11-28" in words
    assert "Demo data" in words
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(600, abs=1)  # 800 CSS px at 96 per inch, in points
    assert float(box.height) == pytest.approx(450, abs=1)


@pytest.mark.browser
def test_real_data_svg_has_no_demo_mark(renderer):
    svg = export.export_chart(bar_figure(), DATA, meta(is_demo=False), "svg", renderer=renderer)
    words = " ".join(ET.fromstring(svg).itertext())
    assert "Exchanges per year" in words
    assert "Demo data" not in words


@pytest.mark.browser
def test_map_renders_offline_with_the_local_outline(renderer):
    svg = export.export_chart(map_figure(), DATA, meta(), "svg", renderer=renderer)
    root = ET.fromstring(svg)
    paths = {}
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        if group.get("class") in ("layer land", "choroplethlayer"):
            paths[group.get("class")] = [p.get("d", "") for p in group.iter("{http://www.w3.org/2000/svg}path")]
    # The three countries and the land outline come from static/topojson (no network here).
    assert len(paths["choroplethlayer"]) == 3
    assert sum(len(d) for d in paths["layer land"]) > 10_000


@pytest.mark.browser
def test_every_catalog_chart_exports_in_every_format(make_ledger, renderer):
    path = make_ledger(ROWS, demo=True)
    con = connect_read_only(path)
    requests = []
    try:
        for name in chart_catalog.CHARTS:
            fig, data = chart_catalog.build_chart(con.cursor(), name, Filters(), is_demo=True)
            chart = export.chart_meta(name, fig, is_demo=True, exported=DAY)
            for fmt in export.FORMATS:
                # Small images keep the batch quick; sizes are checked in the test above.
                requests.append(export.ExportRequest(fig, data, chart, fmt, width=600, height=400, scale=1))
    finally:
        con.close()
    outputs = export.export_many(requests, renderer)
    assert len(outputs) == 6 * len(chart_catalog.CHARTS)
    for request, output in zip(requests, outputs, strict=True):
        label = f"{request.meta.name}.{request.fmt}"
        if request.fmt == "png":
            picture = Image.open(io.BytesIO(output))
            assert picture.size == (600, 400), label
            assert len(picture.convert("L").getcolors(maxcolors=600 * 400)) > 20, label  # drawn, not blank
        elif request.fmt == "svg":
            assert "Demo data" in " ".join(ET.fromstring(output).itertext()), label
        elif request.fmt == "pdf":
            reader = PdfReader(io.BytesIO(output))
            assert len(reader.pages) == 1, label
            # NFKC: the PDF draws "fi" as its ligature ("Pivot of the ﬁltered exchanges").
            text = unicodedata.normalize("NFKC", " ".join(reader.pages[0].extract_text().split()))
            assert request.meta.title in text, label
            assert "Demo data" in text, label
        elif request.fmt == "html":
            data, layout = plotly_payload(output.decode("utf-8"))
            stamped = json.loads(export.stamp(request.fig, request.meta).to_json())
            assert export.figure_title(go.Figure(layout=layout)) == request.meta.title, label
            assert data == stamped["data"], label  # every trace with its values
            assert any(trace.get(k) for trace in data for k in ("x", "y", "z", "locations")), label
        elif request.fmt == "csv":
            first = next(csv.reader(io.StringIO(output.decode("utf-8-sig"))))
            assert first == [f"# Title: {request.meta.title}"], label
        else:
            assert load_workbook(io.BytesIO(output)).sheetnames == ["Data", "About"], label


def plotly_payload(page: str) -> tuple[list, dict]:
    """The traces and the layout an exported HTML page hands to ``Plotly.newPlot``."""
    decoder = json.JSONDecoder()
    start = page.index("Plotly.newPlot(") + len("Plotly.newPlot(")
    start = page.index(",", start) + 1  # after the element id
    data, end = decoder.raw_decode(page, start + len(page[start:]) - len(page[start:].lstrip()))
    rest = page[end:].lstrip().removeprefix(",")
    layout, _ = decoder.raw_decode(rest.lstrip())
    return data, layout


def test_html_payload_holds_the_title_and_the_traces():
    fig = bar_figure()
    data, layout = plotly_payload(export.to_html(fig, meta(is_demo=True)).decode("utf-8"))
    title = export.stamped_title(go.Figure(layout=layout))
    assert export.plain_text(title.split("<br>")[0]) == "Exchanges per year"
    assert go.Figure(data=data).data[0].y == (3, 1, 2)


# ---------------------------------------------------------------------------------------------
# The export menu under a chart (pages/export_menu.py)


def _menu_script():
    from analytics.filters import Filters
    from pages import cache
    from pages.export_menu import export_menu

    fig, data = cache.chart("regions", Filters())
    export_menu("regions", fig, data, Filters())


@pytest.fixture
def menu(make_ledger, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LEDGER_DB", str(make_ledger(ROWS, demo=True)))
    return AppTest.from_function(_menu_script, default_timeout=60)


def _buttons(app) -> dict[str, bool]:
    """Download button label -> disabled."""
    return {b.proto.label: b.proto.disabled for b in app.get("download_button")}


def test_export_menu_offers_every_format_and_adds_to_the_briefing(menu):
    menu.run()
    assert not menu.exception
    assert _buttons(menu) == {f.label: False for f in export.FORMATS.values()}
    menu.button(key="export_regions_brief").click().run()
    assert [(i["chart"], i["filters"]) for i in menu.session_state["briefing_items"]] == [("regions", {})]


def test_export_menu_without_a_browser_keeps_html_and_data(menu, monkeypatch, tmp_path):
    monkeypatch.setenv("LEDGER_BROWSER", str(tmp_path / "none"))
    menu.run()
    assert not menu.exception
    assert _buttons(menu) == {
        "PNG image": True,
        "SVG vector": True,
        "PDF": True,
        "Interactive HTML": False,
        "CSV data": False,
        "Excel data": False,
    }
    assert any("apt-get install chromium" in c.value for c in menu.caption)


# ---------------------------------------------------------------------------------------------
# Exports in Chinese

ZH_TITLE = "各地区交往次数"
ZH_FILTERS = "2019–2021；地区：欧洲"


def zh_meta(is_demo: bool = False, **changes) -> export.ChartMeta:
    """Meta made while Chinese is the language of the run, as a page or ``--lang zh`` makes it."""
    with i18n.using("zh"):
        return meta(is_demo, **{"title": ZH_TITLE, "filters": ZH_FILTERS, **changes})


def ledger_figure(title: str) -> go.Figure:
    """A bar chart on the dashboard's own template (its font stack with the CJK and emoji faces)."""
    fig = go.Figure(go.Bar(x=[2019, 2020, 2021], y=[3, 1, 2]))
    fig.update_layout(title=dict(text=title), height=400, template=charts.TEMPLATE)
    return fig


def unembedded_fonts(reader: PdfReader) -> list[str]:
    """The fonts of a PDF whose outlines are not in the file: every font dictionary of every page
    (and of the forms it draws) must have /FontFile, /FontFile2 or /FontFile3 in its descriptor,
    a composite font in each descendant's; a Type 3 font carries its glyphs as /CharProcs."""
    missing: list[str] = []

    def embedded(font) -> bool:
        if font.get("/Subtype") == "/Type3":
            return "/CharProcs" in font
        if font.get("/Subtype") == "/Type0":
            return all(embedded(d.get_object()) for d in font["/DescendantFonts"])
        descriptor = font.get("/FontDescriptor")
        return descriptor is not None and any(
            k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
        )

    def walk(resources, seen: set[int]) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            if not embedded(font):
                missing.append(str(font.get("/BaseFont")))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if id(xobject) not in seen and xobject.get("/Subtype") == "/Form":
                seen.add(id(xobject))
                walk(xobject.get("/Resources"), seen)

    for page in reader.pages:
        walk(page.get("/Resources"), set())
    return missing


def test_a_chinese_export_says_its_stamp_and_about_rows_in_chinese():
    made = zh_meta(is_demo=True)
    # Made in Chinese, it stays Chinese wherever it is rendered later.
    assert made.lang == "zh"
    assert made.footer() == "来源：Test ledger · 导出日期：2026年11月28日"
    assert made.rows() == [
        ("标题", ZH_TITLE),
        ("筛选条件", ZH_FILTERS),
        ("来源", "Test ledger"),
        ("导出日期", "2026年11月28日"),
        ("数据", "演示数据：虚构政党的合成台账"),
    ]
    stamped = export.stamp(bar_figure(), made)
    words = all_text(stamped)
    assert ZH_TITLE in words and ZH_FILTERS in words and "导出日期：2026年11月28日" in words
    assert "演示数据" in words and "Demo data" not in words


def test_an_english_export_made_during_a_chinese_run_stays_english():
    made = meta()
    with i18n.using("zh"):
        assert made.footer() == "Source: Test ledger · Exported 2026-11-28"
        assert made.rows()[0] == ("Title", "Exchanges per year")


def test_a_long_chinese_title_wraps_within_the_picture():
    long_title = "二〇一五年以来与各地区执政党和参政党交往次数的变化情况" * 3
    stamped = export.stamp(bar_figure(), zh_meta(title=long_title), width=600)
    lines = [export.plain_text(line) for line in export.stamped_title(stamped).split("<br>")]
    title_lines = lines[: len(lines) - 1]
    assert len(title_lines) >= 3
    assert "".join(title_lines) == long_title  # nothing lost, nothing doubled
    # A Chinese character is a full em: 17 px each, within 600 px less the padding.
    assert all(len(line) * export.TITLE_PX <= 600 for line in title_lines)


CODES = pd.DataFrame(
    {"region": ["Africa", "Europe"], "party_family": ["socialist", "green"], "exchanges": [3, 1], "extra": [1, 2]}
)


def test_chinese_csv_has_chinese_headers_and_metadata_and_keeps_the_codes():
    rows = list(csv.reader(io.StringIO(export.to_csv(CODES, zh_meta()).decode("utf-8-sig"))))
    assert rows[:5] == [
        [f"# 标题：{ZH_TITLE}"],
        [f"# 筛选条件：{ZH_FILTERS}"],
        ["# 来源：Test ledger"],
        ["# 导出日期：2026年11月28日"],
        [f"# 数据：{i18n.t_in('zh', 'text.real_data')}"],
    ]
    assert rows[5] == ["地区", "政党类别", "交往次数", "extra"]  # a column the catalogue lacks keeps its name
    assert rows[6:] == [["Africa", "socialist", "3", "1"], ["Europe", "green", "1", "2"]]


def test_english_csv_headers_stay_the_column_names():
    rows = list(csv.reader(io.StringIO(export.to_csv(CODES, meta()).decode("utf-8-sig"))))
    assert rows[5] == ["region", "party_family", "exchanges", "extra"]


def test_chinese_xlsx_has_chinese_sheets_headers_and_about_rows_and_keeps_the_codes():
    book = load_workbook(io.BytesIO(export.to_xlsx(CODES, zh_meta(is_demo=True))))
    assert book.sheetnames == ["数据", "说明"]
    data = [[cell.value for cell in row] for row in book["数据"].iter_rows()]
    assert data == [["地区", "政党类别", "交往次数", "extra"], ["Africa", "socialist", 3, 1], ["Europe", "green", 1, 2]]
    about = [[cell.value for cell in row] for row in book["说明"].iter_rows()]
    assert about[0] == ["标题", ZH_TITLE]
    assert about[3] == ["导出日期", "2026年11月28日"]
    assert about[4] == ["数据", "演示数据：虚构政党的合成台账"]


def test_every_chart_data_column_has_a_header_in_both_languages(make_ledger):
    con = connect_read_only(make_ledger(ROWS))
    try:
        columns = {
            str(c)
            for name in chart_catalog.CHARTS
            for c in chart_catalog.build_chart(con, name, Filters(), is_demo=False)[1]
        }
    finally:
        con.close()
    with i18n.using("en"):
        assert {c: spreadsheet.header(c) for c in columns} == {c: c for c in columns}
    with i18n.using("zh"):
        chinese = {c: spreadsheet.header(c) for c in columns}
    assert [c for c, shown in chinese.items() if shown == c] == []
    assert len(set(chinese.values())) == len(chinese)  # no two columns share a header


def test_chinese_html_page_says_its_language_and_title():
    page = export.to_html(bar_figure(), zh_meta(is_demo=True)).decode("utf-8")
    assert '<html lang="zh-CN">' in page
    assert f"<title>{ZH_TITLE} (演示数据)</title>" in page
    assert "WenQuanYi Zen Hei" in page


@pytest.mark.parametrize(("lang", "png", "xlsx"), [("en", "PNG image", "Excel data"), ("zh", "PNG 图片", "Excel 数据")])
def test_format_labels_follow_the_language(lang, png, xlsx):
    with i18n.using(lang):
        assert (export.FORMATS["png"].label, export.FORMATS["xlsx"].label) == (png, xlsx)
        assert all(f.description for f in export.FORMATS.values())


def test_the_chart_template_has_a_cjk_face_and_colour_emoji():
    family = pio.templates[charts.TEMPLATE].layout.font.family
    faces = [face.strip() for face in family.split(",")]
    assert faces[0] == "DejaVu Sans"  # English charts look as before
    assert {"WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Color Emoji"} <= set(faces)


TITLE_BOX = (0, 0, 1100, 150)  # the title and filters lines of a 1200 x 540 picture at 2x


def ink(picture: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels in ``box`` darker than the white background."""
    grey = picture.convert("L").crop(box)
    return sum(count for count, level in grey.getcolors(maxcolors=box[2] * box[3]) if level < 200)


@pytest.mark.browser
def test_chinese_svg_pdf_and_png_draw_the_chinese_title(renderer):
    fig = ledger_figure(ZH_TITLE)
    svg, pdf, png_zh, png_en = export.export_many(
        [
            export.ExportRequest(fig, DATA, zh_meta(is_demo=True), "svg"),
            export.ExportRequest(fig, DATA, zh_meta(is_demo=True), "pdf"),
            export.ExportRequest(fig, DATA, zh_meta(), "png"),
            export.ExportRequest(fig, DATA, meta(), "png"),
        ],
        renderer,
    )
    words = " ".join(ET.fromstring(svg).itertext())
    assert ZH_TITLE in words and ZH_FILTERS in words
    assert "导出日期：2026年11月28日" in words and "演示数据" in words
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(reader.pages[0].extract_text().split())
    assert ZH_TITLE in text and "地区：欧洲" in text and "演示数据" in text
    assert unembedded_fonts(reader) == []
    zh_picture, en_picture = Image.open(io.BytesIO(png_zh)), Image.open(io.BytesIO(png_en))
    assert ink(zh_picture, TITLE_BOX) > 2000  # the title is drawn, not blank
    difference = ImageChops.difference(zh_picture.convert("L"), en_picture.convert("L")).crop(TITLE_BOX)
    assert difference.getbbox() is not None
    assert sum(count for count, level in difference.getcolors(maxcolors=1100 * 150) if level > 60) > 2000


@pytest.mark.browser
def test_emoji_in_a_party_name_is_drawn_in_colour(renderer):
    fig = ledger_figure("Partido 🌹 Verde")
    png = export.export_chart(fig, DATA, meta(title="Partido 🌹 Verde"), "png", renderer=renderer)
    picture = Image.open(io.BytesIO(png)).convert("HSV").crop(TITLE_BOX)
    saturation = picture.getchannel("S")  # the text is grey; the rose is red and green
    assert sum(count for count, level in saturation.getcolors(maxcolors=1100 * 150) if level > 100) > 100


@pytest.mark.browser
@pytest.mark.slow
def test_every_catalog_chart_exports_to_pdf_in_chinese_with_embedded_fonts(make_ledger, renderer):
    path = make_ledger(ROWS, demo=True)
    con = connect_read_only(path)
    requests = []
    try:
        with i18n.using("zh"):
            for name in chart_catalog.CHARTS:
                fig, data = chart_catalog.build_chart(con.cursor(), name, Filters(), is_demo=True)
                chart = export.chart_meta(name, fig, is_demo=True, exported=DAY)
                requests.append(export.ExportRequest(fig, data, chart, "pdf", width=600, height=400))
    finally:
        con.close()
    for request, output in zip(requests, export.export_many(requests, renderer), strict=True):
        reader = PdfReader(io.BytesIO(output))
        text = "".join(reader.pages[0].extract_text().split())
        assert "".join(request.meta.title.split()) in text, request.meta.name
        assert "导出日期" in text and "演示数据" in text, request.meta.name
        assert unembedded_fonts(reader) == [], request.meta.name
