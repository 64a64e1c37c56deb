"""Tests of ``analytics.briefing`` (the spec file, the deck and the PDF pack, opened and read
back with python-pptx and pypdf) and an AppTest of the Briefing page."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from analytics import briefing, chart_catalog, export
from analytics.filters import Filters
from analytics.ledger import connect_read_only
from tests.servers import dashboard_server
from tests.test_export import ROWS

DAY = dt.date(2026, 11, 28)
PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "briefing.py")


# ---------------------------------------------------------------------------------------------
# The spec file

SPEC = briefing.BriefingSpec(
    title="Monthly briefing",
    subtitle="November",
    filters=Filters(year_from=2015),
    items=(
        briefing.BriefingItem("exchanges-per-year", notes="Growth since 2015."),
        briefing.BriefingItem("regions", filters=Filters(regions=("Africa", "Europe"))),
        briefing.BriefingItem("top-countries", options={"top": 5}),
    ),
)


def test_spec_json_is_the_documented_format():
    assert json.loads(SPEC.to_json()) == {
        "format": "ledger-briefing",
        "version": 1,
        "title": "Monthly briefing",
        "subtitle": "November",
        "filters": {"from": ["2015"]},
        "charts": [
            {"chart": "exchanges-per-year", "filters": None, "notes": "Growth since 2015."},
            {"chart": "regions", "filters": {"region": ["Africa", "Europe"]}},
            {"chart": "top-countries", "filters": None, "options": {"top": 5}},
        ],
    }


def test_spec_round_trips():
    assert briefing.BriefingSpec.from_json(SPEC.to_json(), known_charts=list(chart_catalog.CHARTS)) == SPEC


def test_spec_accepts_bare_chart_names_and_defaults():
    spec = briefing.BriefingSpec.from_json('{"charts": ["regions", "world-map"]}')
    assert spec.title == "Briefing"
    assert spec.filters == Filters()
    assert [(i.chart, i.filters, i.notes) for i in spec.items] == [("regions", None, ""), ("world-map", None, "")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "one JSON object"),
        ('{"format": "other", "charts": ["regions"]}', "Not a briefing file"),
        ('{"version": 9, "charts": ["regions"]}', "newer than this program"),
        ('{"charts": []}', "non-empty 'charts'"),
        ('{"charts": ["no-such-chart"]}', "unknown chart 'no-such-chart'"),
        ('{"charts": [{"notes": "x"}]}', "Chart 1: give an object with a 'chart' name"),
        ('{"charts": [{"chart": "regions", "filters": {"region": ["Atlantis"]}}]}', "Unknown region"),
        ('{"charts": ["regions"], "filters": {"from": ["soon"]}}', "must be a year"),
        ('{"charts": [{"chart": "regions", "options": {"top": {"a": 1}}}]}', "'options' must map"),
        ('{"title": 5, "charts": ["regions"]}', "title must be text"),
    ],
)
def test_bad_spec_files_say_what_is_wrong(text, message):
    with pytest.raises(briefing.BriefingError, match=message):
        briefing.BriefingSpec.from_json(text, known_charts=list(chart_catalog.CHARTS))


def test_load_spec_reports_a_missing_file(tmp_path):
    with pytest.raises(briefing.BriefingError, match="Cannot read the briefing file"):
        briefing.load_spec(tmp_path / "missing.json")


@pytest.mark.parametrize(("path", "fmt"), [("deck.pptx", "pptx"), ("Pack.PDF", "pdf")])
def test_briefing_format_from_extension(path, fmt):
    assert briefing.briefing_format(path) == fmt


def test_briefing_format_refuses_other_files():
    with pytest.raises(briefing.BriefingError, match=r"\.pptx \(slide deck\) or \.pdf"):
        briefing.briefing_format("deck.key")


def test_briefing_file_name_is_safe():
    assert briefing.briefing_file_name("Monthly briefing: Nov/Dec", "pptx", DAY) == \
        "monthly-briefing-nov-dec_2026-11-28.pptx"


# ---------------------------------------------------------------------------------------------
# Deck and pack, laid out from pictures made here (no browser needed)


def picture(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), colour).save(buffer, "PNG")
    return buffer.getvalue()


def content(is_demo: bool) -> briefing.BriefingContent:
    return briefing.BriefingContent(
        title="Monthly briefing",
        subtitle="November",
        caption="2015–2021",
        source="Test ledger",
        is_demo=is_demo,
        day=DAY,
        slides=(
            briefing.Slide("exchanges-per-year", "Exchanges per year", "2015–2021", "Growth since 2015.",
                           picture("navy"), 3200, 1800),
            briefing.Slide("regions", "Exchanges by region", "2015–2021; Region: Africa, Europe", "",
                           picture("orange"), 3200, 1800),
        ),
    )


def slide_texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def test_deck_has_title_slide_and_one_slide_per_chart():
    deck = Presentation(io.BytesIO(briefing.build_pptx(content(is_demo=False))))
    assert (deck.slide_width, deck.slide_height) == (12191695, 6858000)  # 13.333 x 7.5 inches: 16:9
    slides = list(deck.slides)
    assert len(slides) == 3
    assert slides[0].shapes.title.text == "Monthly briefing"
    assert "November" in slide_texts(slides[0])
    assert [s.shapes.title.text for s in slides[1:]] == ["Exchanges per year", "Exchanges by region"]
    for number, slide in enumerate(slides[1:], start=2):
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        assert f"{number} / 3" in slide_texts(slide)
        assert "Source: Test ledger · 28 November 2026" in slide_texts(slide)
    assert "Filters: 2015–2021; Region: Africa, Europe" in slide_texts(slides[2])
    assert "Growth since 2015." in slide_texts(slides[1])
    assert slides[1].notes_slide.notes_text_frame.text == "Growth since 2015."
    assert not any("Demo data" in text for slide in slides for text in slide_texts(slide))


def test_demo_deck_is_marked_on_every_slide():
    deck = Presentation(io.BytesIO(briefing.build_pptx(content(is_demo=True))))
    for slide in deck.slides:
        assert any("Demo data" in text for text in slide_texts(slide))


def test_deck_picture_keeps_its_shape():
    deck = Presentation(io.BytesIO(briefing.build_pptx(content(is_demo=False))))
    # The chart without notes spans the slide; its 16:9 shape is kept.
    shape = next(s for s in deck.slides[2].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
    assert shape.width / shape.height == pytest.approx(16 / 9, rel=0.01)


def test_pdf_pack_has_the_same_pages_and_text():
    reader = PdfReader(io.BytesIO(briefing.build_pdf(content(is_demo=False))))
    assert len(reader.pages) == 3
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
    first = reader.pages[0].extract_text()
    assert "Monthly briefing" in first
    assert "2. Exchanges per year" in first
    second, third = reader.pages[1].extract_text(), reader.pages[2].extract_text()
    assert "Exchanges per year" in second and "Filters: 2015–2021" in second
    assert "Growth since 2015." in second
    assert "Filters: 2015–2021; Region: Africa, Europe" in third
    assert "3 / 3" in third
    assert len(reader.pages[1].images) == 1
    assert "Demo data" not in "".join(page.extract_text() for page in reader.pages)
    assert reader.metadata.title == "Monthly briefing"


def test_demo_pdf_pack_is_marked_on_every_page():
    reader = PdfReader(io.BytesIO(briefing.build_pdf(content(is_demo=True))))
    assert all("Demo data" in page.extract_text() for page in reader.pages)


# ---------------------------------------------------------------------------------------------
# From the ledger, through the browser


@pytest.mark.browser
def test_prepare_draws_each_chart_with_its_filters(make_ledger):
    if not export.browser_available():
        pytest.skip(export.BROWSER_MISSING)
    con = connect_read_only(make_ledger(ROWS, demo=True))
    try:
        built = briefing.prepare(con, SPEC, is_demo=True, current=Filters(year_from=2016), day=DAY)
    finally:
        con.close()
    assert [s.chart for s in built.slides] == ["exchanges-per-year", "regions", "top-countries"]
    assert [s.caption for s in built.slides] == [
        "2016–2021",  # follows the current filters
        "1978–2021; Region: Africa, Europe",  # its own saved filters
        "2016–2021",
    ]
    assert built.slides[2].title == "Top 5 countries by exchanges"  # options reach the chart
    for slide in built.slides:
        assert Image.open(io.BytesIO(slide.image)).size == (3200, 1800)
    deck = Presentation(io.BytesIO(briefing.build_pptx(built)))
    assert len(deck.slides) == 4
    assert "Demo data" in slide_texts(deck.slides[1])
    pack = PdfReader(io.BytesIO(briefing.build_pdf(built)))
    assert len(pack.pages) == 4
    assert "Filters: 1978–2021; Region: Africa, Europe" in pack.pages[2].extract_text()


def test_prepare_refuses_an_empty_briefing(make_ledger):
    con = connect_read_only(make_ledger(ROWS))
    try:
        with pytest.raises(briefing.BriefingError, match="no charts"):
            briefing.prepare(con, briefing.BriefingSpec(), is_demo=False)
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# The Briefing page


@pytest.fixture
def page(make_ledger, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LEDGER_DB", str(make_ledger(ROWS, demo=True)))
    return AppTest.from_file(PAGE, default_timeout=60)


def test_briefing_page_renders_and_adds_charts(page):
    page.run()
    assert not page.exception
    assert any("No charts yet" in info.value for info in page.info)
    page.multiselect(key="briefing_choice").set_value(["regions", "world-map"]).run()
    page.toggle(key="briefing_save_filters").set_value(True).run()
    next(b for b in page.button if b.label == "Add").click().run()
    assert not page.exception
    items = page.session_state["briefing_items"]
    assert [i["chart"] for i in items] == ["regions", "world-map"]
    assert all(i["filters"] == {} for i in items)  # today's (empty) filters, saved
    regions, world = (i["id"] for i in items)
    shown = [m.value for m in page.markdown]
    assert "**2. Exchanges by region**" in shown
    assert "**3. Exchanges by country**" in shown
    page.button(key=f"briefing_down_{regions}").click().run()
    assert [i["chart"] for i in page.session_state["briefing_items"]] == ["world-map", "regions"]
    page.text_area(key=f"briefing_notes_{regions}").input("Africa first.").run()
    page.button(key=f"briefing_remove_{world}").click().run()
    assert [i["chart"] for i in page.session_state["briefing_items"]] == ["regions"]
    assert not page.exception
    assert any(c.value.startswith("2 pages · charts without saved filters use: All exchanges") for c in page.caption)


def test_briefing_page_without_a_browser_says_what_to_install(page, monkeypatch, tmp_path):
    monkeypatch.setenv("LEDGER_BROWSER", str(tmp_path / "no-browser"))
    page.session_state["briefing_items"] = [{"id": 1, "chart": "regions", "filters": None, "notes": "",
                                             "options": {}}]
    page.run()
    assert not page.exception
    assert any("apt-get install chromium" in w.value for w in page.warning)


# ---------------------------------------------------------------------------------------------
# The real app in a real browser: charts picked on the page, deck and pack downloaded


@pytest.fixture
def app_url(make_ledger, tmp_path):
    if not export.browser_available():
        pytest.skip(export.BROWSER_MISSING)
    with dashboard_server(make_ledger(ROWS, demo=True), tmp_path / "streamlit.log") as base:
        yield base


@pytest.mark.browser
def test_chart_png_and_briefing_downloads_from_the_app(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True).new_page()
        # Overview: the Export menu under the first chart downloads a PNG and adds it to the briefing.
        page.goto(app_url, timeout=60_000)
        menu = page.locator('[data-testid="stPopover"] button:has-text("Export")').first
        menu.wait_for(timeout=60_000)
        menu.click()
        body = page.locator('[data-testid="stPopoverBody"]')
        with page.expect_download(timeout=120_000) as download:
            body.get_by_role("button", name="PNG image").click()
        png = tmp_path / download.value.suggested_filename
        download.value.save_as(png)
        body.get_by_role("button", name="Add to briefing").click()
        # Briefing (same session): one more chart from the list, a title, then both downloads.
        page.get_by_role("link", name="Briefing").click()
        page.wait_for_selector("text=2. Exchanges per year", timeout=60_000)
        page.locator('[data-testid="stMultiSelect"]').filter(has_text="Charts").click()
        page.get_by_role("option", name="Overview · Exchanges by country").click()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Add", exact=True).click()
        page.wait_for_selector("text=3. Exchanges by country", timeout=30_000)
        title = page.get_by_label("Title", exact=True)
        title.fill("Monthly briefing")
        title.press("Enter")
        page.wait_for_timeout(500)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                               timeout=30_000)
        page.wait_for_selector('[data-testid="stDownloadButton"] button:has-text("Download slide deck")',
                               timeout=30_000)
        page.wait_for_selector('button:has-text("Download slide deck (PPTX)"):not([disabled])', timeout=30_000)
        downloads = {}
        for label in ("Download slide deck (PPTX)", "Download PDF pack"):
            with page.expect_download(timeout=120_000) as download:
                page.get_by_role("button", name=label).click()
            downloads[label] = tmp_path / download.value.suggested_filename
            download.value.save_as(downloads[label])
        chromium.close()
    assert png.name == f"exchanges-per-year_{dt.date.today().isoformat()}.png"
    assert Image.open(png).size == (2400, 1080)  # 1200 x 540 at 2x
    deck_path, pack_path = downloads.values()
    assert deck_path.name.startswith("monthly-briefing_") and deck_path.suffix == ".pptx"
    deck = Presentation(deck_path)
    assert [s.shapes.title.text for s in deck.slides] == ["Monthly briefing", "Exchanges per year",
                                                          "Exchanges by country"]
    assert "Demo data" in slide_texts(deck.slides[2])
    pack = PdfReader(pack_path)
    assert len(pack.pages) == 3
    assert "Exchanges by country" in pack.pages[2].extract_text()
