"""Tests of ``analytics.briefing`` (the spec file, the deck and the PDF pack, opened and read
back with python-pptx and pypdf) and an AppTest of the Briefing page."""

from __future__ import annotations

import datetime as dt
import inspect
import io
import json
from dataclasses import replace
from pathlib import Path

import plotly.graph_objects as go
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from analytics import briefing, chart_catalog, export, i18n
from analytics.filters import Filters
from analytics.ledger import connect_read_only
from tests.servers import dashboard_server
from tests.test_export import ROWS, need_browser, unembedded_fonts

DAY = dt.date(2026, 11, 28)
ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "briefing.py")
APP = str(ROOT / "dashboard.py")


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
        "lang": "en",
        "title": "Monthly briefing",
        "subtitle": "November",
        "findings": True,
        "filters": {"from": ["2015"]},
        "charts": [
            {"chart": "exchanges-per-year", "filters": None, "notes": "Growth since 2015."},
            {"chart": "regions", "filters": {"region": ["Africa", "Europe"]}},
            {"chart": "top-countries", "filters": None, "options": {"top": 5}},
        ],
    }


def test_spec_round_trips():
    # A spec made without a language has the current one (en here), and its file records it.
    assert SPEC.lang == "en"
    assert briefing.BriefingSpec.from_json(SPEC.to_json(), known_charts=list(chart_catalog.CHARTS)) == SPEC


def test_spec_accepts_bare_chart_names_and_defaults():
    spec = briefing.BriefingSpec.from_json('{"charts": ["regions", "world-map"]}')
    assert spec.title == ""  # the deck says the default title in its language
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
        ('{"charts": [{"chart": "regions", "options": [5]}]}', "Chart 1 \\(regions\\): 'options' must map"),
        ('{"title": 5, "charts": ["regions"]}', "title must be text"),
        (
            '{"charts": [{"chart": "regions", "notes": "' + "x" * 2001 + '"}]}',
            "^The notes of chart 1 are 2001 characters long; the limit is 2000\\.$",
        ),
        ('{"charts": [{"chart": "regions", "notes": 5}]}', "^The notes of chart 1 must be text\\.$"),
    ],
)
def test_bad_spec_files_say_what_is_wrong(text, message):
    with pytest.raises(briefing.BriefingError, match=message):
        briefing.BriefingSpec.from_json(text, known_charts=list(chart_catalog.CHARTS))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"charts": ["regions"], "filters": {"from": 5}}', "from 5 is not a plausible year"),
        ('{"charts": ["regions"], "filters": {"region": 5}}', "'region' must be text or a list of texts"),
        ('{"charts": ["regions"], "filters": {"from": [[1990]]}}', "'from' must be text or a list of texts"),
        ('{"charts": ["regions"], "filters": {"party": [5]}}', "'party' must be text or a list of texts"),
        ('{"charts": [{"chart": "regions", "filters": {"level": {"a": 1}}}]}', "chart 1 \\(regions\\)"),
        ('{"charts": ["regions"], "filters": {"party": "a\u202eb"}}', "U\\+202E RIGHT-TO-LEFT OVERRIDE"),
        ('{"version": "1", "charts": ["regions"]}', "'version' must be a whole number"),
        ('{"charts": ["' + "x" * 5000 + '"]}', "unknown chart 'x{80}…'\\. Charts"),
    ],
)
def test_malformed_spec_files_raise_one_briefing_error(text, message):
    """Wrong types and absurd nesting are a BriefingError naming the field, never a TypeError."""
    with pytest.raises(briefing.BriefingError, match=message) as raised:
        briefing.BriefingSpec.from_json(text, known_charts=list(chart_catalog.CHARTS))
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 1000


@pytest.mark.parametrize(
    ("chart", "options", "message"),
    [
        ("top-countries", {"top": "abc"}, "option 'top' must be a whole number from 1 to 100, not \"abc\""),
        ("top-countries", {"top": True}, "option 'top' must be a whole number"),
        ("top-countries", {"top": 0}, "option 'top' must be a whole number from 1 to 100, not 0"),
        ("top-countries", {"top": {"a": 1}}, "option 'top' must be a whole number"),
        ("regions", {"top": 5}, "unknown option 'top'; it takes no options"),
        ("top-movers", {"bogus": 1}, "unknown option 'bogus'; it takes dimension, period_a, period_b, top"),
        ("change-level-map", {"baseline_years": "x"}, "option 'baseline_years' must be a whole number"),
        ("world-map", {"height": "x"}, "option 'height' must be a whole number from 200 to 2000"),
        ("compare-periods", {"dimension": 5}, "option 'dimension' must be one of region, subregion"),
        ("compare-periods", {"period_a": "abc", "period_b": [2015, 2019]}, "option 'period_a' must be a year range"),
        ("compare-periods", {"period_a": [2010, 2011, 2012], "period_b": [2015, 2019]}, "'period_a' must be a year"),
        ("compare-periods", {"period_a": [2014, 2010], "period_b": [2015, 2019]}, "'period_a' must be a year"),
        ("compare-periods", {"period_a": [2010, 2014]}, "give both 'period_a' and 'period_b', or neither"),
        ("pivot", {"rows": "nope"}, "option 'rows' must be one of year, decade, region"),
        ("pivot", {"measure": 3}, "option 'measure' must be one of exchanges"),
    ],
)
def test_chart_options_are_checked_per_chart(chart, options, message):
    text = json.dumps({"charts": ["regions", {"chart": chart, "options": options}]})
    with pytest.raises(briefing.BriefingError) as raised:
        briefing.BriefingSpec.from_json(text, known_charts=list(chart_catalog.CHARTS))
    assert str(raised.value).startswith(f"Chart 2 ({chart}): ")
    assert message in str(raised.value)


def test_options_as_the_pages_pass_them_are_accepted():
    text = json.dumps(
        {
            "charts": [
                {
                    "chart": "compare-movers",
                    "options": {
                        "dimension": "party_family",
                        "period_a": [2010, 2014],
                        "period_b": [2015, 2019],
                        "top": 12,
                    },
                },
                {"chart": "pivot", "options": {"rows": "party_family", "columns": "decade", "measure": "parties"}},
                {"chart": "change-level-map", "options": {"baseline_years": 3}},
                {"chart": "world-map", "options": {"height": 600}},
            ]
        }
    )
    spec = briefing.BriefingSpec.from_json(text, known_charts=list(chart_catalog.CHARTS))
    assert spec.items[0].options["period_a"] == [2010, 2014]
    briefing.check_spec(spec)


def test_every_option_of_every_chart_has_a_rule():
    for name, chart in chart_catalog.CHARTS.items():
        keywords = [
            p.name
            for p in inspect.signature(chart.build).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        assert briefing.chart_options(name) == tuple(keywords)
        assert set(keywords) <= set(briefing.OPTION_RULES), name


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
    assert (
        briefing.briefing_file_name("Monthly briefing: Nov/Dec", "pptx", DAY)
        == "monthly-briefing-nov-dec_2026-11-28.pptx"
    )


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
            briefing.Slide(
                "exchanges-per-year",
                "Exchanges per year",
                "2015–2021",
                "Growth since 2015.",
                picture("navy"),
                3200,
                1800,
            ),
            briefing.Slide(
                "regions", "Exchanges by region", "2015–2021; Region: Africa, Europe", "", picture("orange"), 3200, 1800
            ),
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


# Long notes: 2,000 characters (the limit) of running text, and as many short lines as fit in it.
LONG_NOTES = (
    "Exchanges with ruling parties rose after 2015, mostly through study trips and working "
    "visits; opposition parties were met less often. "
) * 16
LONG_NOTES = LONG_NOTES[: briefing.MAX_NOTES - 1] + "."
LINES_NOTES = "\n".join(f"Point {n}: more exchanges." for n in range(1, 80))[: briefing.MAX_NOTES]


def with_notes(notes: str, is_demo: bool = False) -> briefing.BriefingContent:
    made = content(is_demo)
    return replace(made, slides=(replace(made.slides[0], notes=notes), made.slides[1]))


def placed_text(page) -> list[tuple[float, float, str]]:
    """(x, baseline y, text) of every piece of text drawn on a PDF page."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], text.strip()))

    page.extract_text(visitor_text=visit)
    return found


def picture_boxes(page) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of each picture on a PDF page (reportlab: 'w 0 0 h x y cm' then 'Do')."""
    operations = page.get_contents().operations
    pairs = zip(operations, operations[1:], strict=False)
    return [
        tuple(float(v) for v in (args[4], args[5], args[0], args[3]))
        for (args, op), (_, following) in pairs
        if op == b"cm" and following == b"Do"
    ]


def words(text: str) -> str:
    return " ".join(text.split())


def assert_inside(page, footer_y: float = 20) -> list[tuple[float, float, str]]:
    """Every text but the footer line lies on the page and above the footer; returns them."""
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    body = [t for t in placed_text(page) if t[1] != footer_y]
    for x, y, text in body:
        assert footer_y + 12 <= y <= height - 30, (y, text)  # a 9 pt footer: its tops end near 27
        assert 30 <= x <= width - 30, (x, text)
    return body


def test_pdf_notes_that_fit_stay_under_the_picture_and_the_picture_keeps_the_rest():
    notes = LONG_NOTES[:700]
    made = with_notes(notes)
    reader = PdfReader(io.BytesIO(briefing.build_pdf(made)))
    assert len(reader.pages) == 3  # they fit on the chart's page
    page = reader.pages[1]
    body = assert_inside(page)
    ((_, picture_y, picture_w, picture_h),) = picture_boxes(page)
    box_w, box_h = briefing.pack_picture_box(made.slides[0])
    assert picture_h == pytest.approx(min(box_h * 72, box_w * 72 * 9 / 16), abs=0.5)  # the box, not shrunk further
    notes_lines = [(y, text) for _, y, text in body if y < picture_y]
    assert notes_lines and all(y + 10 <= picture_y for y, _ in notes_lines)  # under the picture, not over it
    assert words(" ".join(text for _, text in notes_lines)) == words(notes)  # all of them, none cut
    assert "2 / 3" in page.extract_text()


def test_pdf_long_notes_go_to_the_next_page_and_the_picture_keeps_the_page():
    made = with_notes(LONG_NOTES)
    reader = PdfReader(io.BytesIO(briefing.build_pdf(made)))
    assert len(reader.pages) == 4
    chart, notes = reader.pages[1], reader.pages[2]
    assert briefing.pack_picture_box(made.slides[0])[1] * 72 > 0.9 * briefing.PDF_AREA_H  # the picture keeps it
    assert "Notes on the next page." in chart.extract_text()
    shown = [text for _, _, text in assert_inside(notes)]
    assert shown[0] == "Exchanges per year: notes, continued"
    assert words(" ".join(shown[1:])) == words(LONG_NOTES)


def test_pdf_notes_too_long_for_the_page_continue_on_the_next():
    reader = PdfReader(io.BytesIO(briefing.build_pdf(with_notes(LINES_NOTES, is_demo=True))))
    pages = reader.pages
    assert len(pages) > 3
    assert briefing.page_count(with_notes(LINES_NOTES), "pdf") == len(pages)
    shown = []
    for page in pages[1:-1]:
        body = assert_inside(page)
        shown += [text for _, _, text in body]
        assert "Demo data" in page.extract_text()
    assert len(picture_boxes(pages[1])) == 1 and not picture_boxes(pages[2])
    assert "Notes continue on the next page." in shown
    assert "Exchanges per year: notes, continued" in shown
    notes = [t for t in shown if t.startswith("Point")]
    assert words(" ".join(notes)) == words(LINES_NOTES)
    # The title page lists where each chart starts; page numbers count the extra pages.
    listing = pages[0].extract_text()
    assert "2.  Exchanges per year" in listing or "2. Exchanges per year" in listing
    last = len(pages)
    assert f"{last}. Exchanges by region" in words(listing)
    assert f"{last} / {last}" in pages[-1].extract_text()


def test_pdf_title_page_lists_forty_charts_on_the_page():
    made = content(is_demo=True)
    many = replace(
        made,
        slides=tuple(
            replace(made.slides[1], title=f"Exchanges by region, view {n}") for n in range(briefing.MAX_CHARTS)
        ),
    )
    first = PdfReader(io.BytesIO(briefing.build_pdf(many))).pages[0]
    body = assert_inside(first)
    assert f"{briefing.MAX_CHARTS + 1}. Exchanges by region, view {briefing.MAX_CHARTS - 1}" in [
        words(text) for _, _, text in body
    ]


def notes_box(slide):
    return next(
        shape for shape in slide.shapes if shape.has_text_frame and shape.left > 9 * 914400 and shape.top < 6 * 914400
    )


def picture_shape(slide):
    return next(s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)


@pytest.mark.parametrize(("notes", "beside"), [(LONG_NOTES[:400], True), (LONG_NOTES, False), (LINES_NOTES, False)])
def test_deck_notes_beside_the_picture_at_14_pt_or_in_the_speaker_notes(notes, beside):
    deck = Presentation(io.BytesIO(briefing.build_pptx(with_notes(notes))))
    slide = deck.slides[1]
    assert slide.notes_slide.notes_text_frame.text == notes  # always whole in the speaker notes
    footer = " ".join(slide_texts(slide))
    if beside:
        box = notes_box(slide)
        sizes = {run.font.size.pt for paragraph in box.text_frame.paragraphs for run in paragraph.runs}
        assert sizes == {briefing.DECK_NOTES_PT}
        assert words(box.text_frame.text.replace("\v", " ")) == words(notes)  # whole, not cut
        assert box.top + box.height <= briefing.PPT_HEIGHT_IN * 914400 - 0.5 * 914400
        assert "speaker notes" not in footer
    else:  # no text beside the picture, a pointer in the footer
        assert not [s for s in slide.shapes if s.has_text_frame and s.left > 9 * 914400 and s.top < 6 * 914400]
        assert "Notes: see the speaker notes" in footer


def test_fit_wraps_then_shrinks_then_cuts_with_an_ellipsis():
    measure = briefing.deck_measure()
    short = briefing.fit("Exchanges per year", 300, 40, (28, 20), measure)
    assert (short.size, short.lines, short.cut) == (28, ("Exchanges per year",), False)
    text = "Exchanges with ruling parties rose after 2015, mostly through study trips"
    shrunk = briefing.fit(text, 300, 75, (28, 24, 20), measure)  # 3 lines: only 20 pt has room for them
    assert shrunk.size < 28 and not shrunk.cut
    assert " ".join(shrunk.lines) == text and all(measure(line, shrunk.size) <= 300 for line in shrunk.lines)
    cut = briefing.fit(text * 4, 300, 60, (28, 20), measure)
    assert cut.cut and cut.size == 20 and cut.lines[-1].endswith("…")
    assert len(cut.lines) * 20 * briefing.LEADING <= 60


def test_an_unbreakable_word_and_chinese_break_between_characters():
    measure = briefing.deck_measure(bold=True)
    word = "X" * 120
    lines = briefing.wrap(word, 300, 28, measure)
    assert len(lines) > 1 and "".join(lines) == word and all(measure(line, 28) <= 300 for line in lines)
    chinese = "与各国政党的交往，" * 30
    lines = briefing.wrap(chinese, 280, 20, measure)
    assert "".join(lines) == chinese.rstrip() and all(measure(line, 20) <= 280 for line in lines)
    assert not any(line.startswith("，") for line in lines)  # a comma never starts a line
    assert measure("交往", 20) == 40  # Chinese at a full em
    fitted = briefing.fit("与各国政党的交往" * 250, 200, 350, (14,), measure)
    assert fitted.cut and fitted.lines[-1].endswith("…") and len(fitted.lines) == int(350 // (14 * 1.2))


def test_calibri_is_measured_with_carlito():
    assert Path(briefing.FONT_FILES["deck-regular"][0]).is_file(), "scripts/setup.sh installs fonts-crosextra-carlito"
    from reportlab.pdfbase.pdfmetrics import stringWidth

    # Carlito's (and Calibri's) widths: 'Exchanges' is narrower than in DejaVu Sans.
    assert briefing.deck_measure()("Exchanges", 20) < stringWidth("Exchanges", "Briefing-regular", 20) * 0.9


# ---------------------------------------------------------------------------------------------
# From the ledger, through the browser


@pytest.mark.browser
def test_prepare_draws_each_chart_with_its_filters(make_ledger):
    need_browser()
    con = connect_read_only(make_ledger(ROWS, demo=True))
    try:
        built = briefing.prepare(con, SPEC, is_demo=True, current=Filters(year_from=2016), day=DAY)
    finally:
        con.close()
    assert [s.chart for s in built.slides] == ["exchanges-per-year", "regions", "top-countries"]
    assert [s.caption for s in built.slides] == [
        "2016–2021",  # follows the current filters
        "1978–2021; Region: Africa, Europe",  # its own saved filters
        "Top 5 · 2016–2021",  # options reach the chart, and its caption says them
    ]
    assert built.slides[2].title == "Top countries by exchanges"  # the catalogue's title
    for slide in built.slides:  # drawn for its box on the slide, at the preset's 2.5x
        width, height = briefing.deck_picture_box(slide.notes)
        assert Image.open(io.BytesIO(slide.image)).size == (
            round(round(width * 96) * 2.5),
            round(round(height * 96) * 2.5),
        )
    deck = Presentation(io.BytesIO(briefing.build_pptx(built)))
    assert len(deck.slides) == 5  # title, summary, three charts
    assert "Demo data" in slide_texts(deck.slides[2])
    pack = PdfReader(io.BytesIO(briefing.build_pdf(built)))
    assert len(pack.pages) == 5
    assert "Filters: 1978–2021; Region: Africa, Europe" in words(pack.pages[3].extract_text())


def test_prepare_refuses_an_empty_briefing(make_ledger):
    con = connect_read_only(make_ledger(ROWS))
    try:
        with pytest.raises(briefing.BriefingError, match="no charts"):
            briefing.prepare(con, briefing.BriefingSpec(), is_demo=False)
    finally:
        con.close()


class FakeRenderer:
    """Stands in for the browser where only the charts and the layout matter: a plain picture."""

    def warm_up(self) -> None:
        pass

    def render(self, jobs) -> list[bytes]:
        return [picture("white") for _ in jobs]


def test_prepare_refuses_bad_options_before_any_work(make_ledger):
    spec = briefing.BriefingSpec(
        items=(briefing.BriefingItem("regions"), briefing.BriefingItem("top-countries", options={"top": "abc"}))
    )
    con = connect_read_only(make_ledger(ROWS))
    try:
        with pytest.raises(briefing.BriefingError, match=r"^Chart 2 \(top-countries\): option 'top' must be"):
            briefing.prepare(con, spec, is_demo=False, renderer=FakeRenderer())
    finally:
        con.close()


def _broken_build(con, filters, *, top: int = 10, **_):
    raise TypeError("unsupported operand type(s) for -: 'int' and 'str'")


@pytest.mark.parametrize(
    ("item", "broken", "message"),
    [
        (
            briefing.BriefingItem("pivot", options={"rows": "region", "columns": "region"}),
            False,
            "Chart 2 (pivot) could not be drawn: Rows and columns must be different dimensions, not region twice.",
        ),
        (
            briefing.BriefingItem("top-countries", options={"top": 5}),
            True,
            "Chart 2 (top-countries) could not be drawn: unsupported operand type(s) for -: 'int' and 'str'",
        ),
    ],
)
def test_prepare_names_the_chart_that_cannot_be_drawn(make_ledger, monkeypatch, item, broken, message):
    if broken:  # a builder bug: a TypeError from deep inside
        monkeypatch.setitem(
            chart_catalog.CHARTS, "top-countries", replace(chart_catalog.CHARTS["top-countries"], build=_broken_build)
        )
    spec = briefing.BriefingSpec(items=(briefing.BriefingItem("regions"), item))
    con = connect_read_only(make_ledger(ROWS))
    try:
        with pytest.raises(briefing.BriefingError) as raised:
            briefing.prepare(con, spec, is_demo=False, renderer=FakeRenderer())
    finally:
        con.close()
    assert str(raised.value) == message


# ---------------------------------------------------------------------------------------------
# "Add to briefing" under a chart keeps the chart's options (periods, pivot...)


def screen_titles(at) -> list[str]:
    """The titles of the Plotly charts an AppTest run drew."""
    return [export.figure_title(go.Figure(json.loads(chart.proto.spec))) for chart in at.get("plotly_chart")]


@pytest.mark.slow  # each case runs a whole page through AppTest
@pytest.mark.parametrize(
    ("page_file", "widgets", "chart", "options", "title"),
    [
        (
            "pages/compare.py",
            {"compare_dimension": "party_family", "compare_a": (2014, 2016), "compare_b": (2019, 2021)},
            "compare-periods",
            {"dimension": "party_family", "period_a": [2014, 2016], "period_b": [2019, 2021]},
            "Exchanges in two periods",  # one title per chart, the catalogue's; the caption names the periods
        ),
        (
            "pages/explorer.py",
            {"explorer_rows": "party_family", "explorer_cols": "region", "explorer_measure": "parties"},
            "pivot",
            {"rows": "party_family", "columns": "region", "measure": "parties"},
            "Pivot of the filtered exchanges",
        ),
    ],
)
def test_add_to_briefing_keeps_the_options_of_the_chart_on_screen(
    make_ledger, monkeypatch, page_file, widgets, chart, options, title
):
    from streamlit.testing.v1 import AppTest

    ledger = make_ledger(ROWS, demo=True)
    monkeypatch.setenv("LEDGER_DB", str(ledger))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(page_file).run()
    for key, value in widgets.items():  # one at a time: a choice can change the next one's options
        (at.slider(key=key) if isinstance(value, tuple) else at.selectbox(key=key)).set_value(value).run()
    assert not at.exception
    assert title in screen_titles(at)
    at.button(key=f"chart_{chart}_export_brief").click().run()
    assert not at.exception
    (item,) = at.session_state["briefing_items"]
    assert (item["chart"], item["options"]) == (chart, options)

    # The briefing file keeps them, and the briefing draws the chart seen on screen.
    spec = briefing.BriefingSpec(
        items=(briefing.BriefingItem(chart, Filters.from_params(item["filters"]), options=item["options"]),)
    )
    loaded = briefing.BriefingSpec.from_json(spec.to_json(), known_charts=list(chart_catalog.CHARTS))
    assert loaded == spec and dict(loaded.items[0].options) == options
    con = connect_read_only(ledger)
    try:
        built = briefing.prepare(con, loaded, is_demo=True, renderer=FakeRenderer(), day=DAY)
    finally:
        con.close()
    assert [slide.title for slide in built.slides] == [title]
    if chart == "compare-periods":
        assert "2014–2016" in built.slides[0].caption and "2019–2021" in built.slides[0].caption

    # The Briefing page (same session) previews it with the same options.
    at.switch_page("pages/briefing.py").run()
    at.toggle(key="briefing_preview").set_value(True).run()
    assert not at.exception
    assert not at.error
    assert screen_titles(at) == [title]


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
    assert "**3. Exchanges by region**" in shown  # after the title and the summary of findings
    assert "**4. Exchanges by country**" in shown
    assert "**2 charts**, one per page after the title page and the summary of findings" in shown
    page.button(key=f"briefing_down_{regions}").click().run()
    assert [i["chart"] for i in page.session_state["briefing_items"]] == ["world-map", "regions"]
    page.text_area(key=f"briefing_notes_{regions}").input("Africa first.").run()
    page.button(key=f"briefing_remove_{world}").click().run()
    assert [i["chart"] for i in page.session_state["briefing_items"]] == ["regions"]
    assert not page.exception
    assert any(c.value.startswith("3 pages · charts without saved filters use: All exchanges") for c in page.caption)
    # Findings off: no summary page, so one page fewer; the briefing file records the choice.
    page.checkbox(key="briefing_findings").uncheck().run()
    assert not page.exception
    shown = [m.value for m in page.markdown]
    assert "**2. Exchanges by region**" in shown
    assert "**1 chart**, one per page after the title page" in shown
    assert any(c.value.startswith("2 pages · charts without saved filters use: All exchanges") for c in page.caption)


def test_loading_a_briefing_file_sets_the_findings_checkbox(page):
    page.run()
    text = json.dumps({"charts": ["regions"], "findings": False})
    page.file_uploader(key="briefing_upload").set_value(("brief.json", text.encode(), "application/json")).run()
    assert not page.exception
    assert page.checkbox(key="briefing_findings").value is False
    assert any(c.value.startswith("2 pages ·") for c in page.caption)  # no summary page


def test_briefing_page_without_a_browser_says_what_to_install(page, monkeypatch, tmp_path):
    monkeypatch.setenv("LEDGER_BROWSER", str(tmp_path / "no-browser"))
    page.session_state["briefing_items"] = [{"id": 1, "chart": "regions", "filters": None, "notes": "", "options": {}}]
    page.run()
    assert not page.exception
    assert any("apt-get install chromium" in w.value for w in page.warning)


def test_briefing_page_names_the_chart_it_cannot_build(page):
    page.session_state["briefing_items"] = [
        {"id": 1, "chart": "regions", "filters": None, "notes": "", "options": {}},
        {"id": 2, "chart": "top-countries", "filters": None, "notes": "", "options": {"top": "abc"}},
    ]
    page.run()
    assert not page.exception
    assert [e.value for e in page.error] == [
        "The deck and the pack cannot be built: Chart 2 (top-countries): option 'top' must be a whole number "
        'from 1 to 100, not "abc".'
    ]
    buttons = {b.proto.label: b.proto.disabled for b in page.get("download_button")}
    assert buttons == {"Download slide deck (PPTX)": True, "Download PDF pack": True, "Save briefing file (JSON)": True}
    page.toggle(key="briefing_preview").set_value(True).run()
    assert not page.exception
    assert any(
        e.value.startswith("Chart 2 (top-countries) could not be drawn: top must be a whole number") for e in page.error
    )


def _briefing_words(page) -> list[str]:
    words = [e.value for kind in ("title", "markdown", "caption", "info", "warning", "error") for e in page.get(kind)]
    kinds = (
        "button",
        "download_button",
        "toggle",
        "checkbox",
        "multiselect",
        "text_input",
        "text_area",
        "file_uploader",
    )
    for kind in kinds:
        words += [str(getattr(e.proto, name, "")) for e in page.get(kind) for name in ("label", "help", "placeholder")]
    return [word for word in words if word]


def test_briefing_page_in_chinese(page, monkeypatch):
    """The page's own words in Chinese (LEDGER_LANG, and ``?lang=zh`` once the switch reads it),
    and no English vocabulary label, region or country name anywhere on it."""
    import re

    from analytics import dimensions, i18n, reference

    monkeypatch.setenv("LEDGER_LANG", "zh")
    page.query_params["lang"] = "zh"
    page.run()
    assert not page.exception
    assert [t.value for t in page.title] == ["简报"]
    assert any(info.value == "尚无图表：请在上方添加，或在任一图表下方使用 **导出 → 加入简报**。" for info in page.info)
    title = page.text_input(key="briefing_title")
    assert title.value == "" and title.placeholder == "情况简报"  # the deck says the default title
    page.multiselect(key="briefing_choice").set_value(["regions", "world-map"]).run()
    next(b for b in page.button if b.label == "添加").click().run()
    assert not page.exception
    shown = [m.value for m in page.markdown]
    assert "**共 2 个图表**，标题页和发现摘要页之后每页一个" in shown
    labels = {b.proto.label: b.proto.help for b in page.get("download_button")}
    assert list(labels) == ["下载幻灯片（PPTX）", "下载 PDF 汇编", "保存简报文件（JSON）"]
    assert any(
        c.value.startswith("共 4 页 · 未保存筛选条件的图表采用：") and c.value.endswith("已标注**演示数据**")
        for c in page.caption
    )
    assert [t.proto.help for t in page.get("text_area")] == ["", ""]
    assert [t.proto.placeholder for t in page.get("text_area")] == ["选填：显示在图表旁及演讲者备注中"] * 2
    table = reference.countries()
    english = {i18n.t_in("en", f"vocab.{code}") for d in dimensions.ALL for code in d.vocabulary}
    english |= {*table["region"], *table["subregion"], *table["name"], *table["common_name"]}
    words = _briefing_words(page)
    assert sorted({name for name in english for text in words if re.search(rf"\b{re.escape(name)}\b", text)}) == []


# ---------------------------------------------------------------------------------------------
# The real app in a real browser: charts picked on the page, deck and pack downloaded


@pytest.fixture
def app_url(make_ledger, tmp_path):
    need_browser()
    with dashboard_server(make_ledger(ROWS, demo=True), tmp_path / "streamlit.log") as base:
        yield base


@pytest.mark.browser
def test_chart_png_and_briefing_downloads_from_the_app(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
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
        page.wait_for_selector("text=3. Exchanges per year", timeout=60_000)  # after the title and the summary
        page.locator('[data-testid="stMultiSelect"]').filter(has_text="Charts").click()
        page.get_by_role("option", name="Overview · Exchanges by country").click()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Add", exact=True).click()
        page.wait_for_selector("text=4. Exchanges by country", timeout=30_000)
        title = page.get_by_label("Title", exact=True)
        title.fill("Monthly briefing")
        title.press("Enter")
        page.wait_for_timeout(500)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)
        page.wait_for_selector(
            '[data-testid="stDownloadButton"] button:has-text("Download slide deck")', timeout=30_000
        )
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
    assert [s.shapes.title.text for s in deck.slides][:2] == ["Monthly briefing", "Key findings"]
    assert len(deck.slides) == 4
    # Headed by its finding (else its title), the chart's title heads the line under it.
    assert "Exchanges by country" in " ".join(slide_texts(deck.slides[3]))
    assert "Demo data" in slide_texts(deck.slides[3])
    pack = PdfReader(pack_path)
    assert len(pack.pages) == 4
    assert "Exchanges by country" in pack.pages[3].extract_text()


def test_a_value_nested_just_short_of_the_parser_limit_is_still_a_briefing_error(monkeypatch):
    """Echoing a deeply nested value in a message must not raise RecursionError either."""
    text = '{"charts": [{"chart": "top-countries", "options": {"top": ' + "[" * 400 + "]" * 400 + "}}]}"

    def shallow_dumps(value, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")  # as on a deeper stack (a page's thread)

    monkeypatch.setattr(briefing.json, "dumps", shallow_dumps)
    with pytest.raises(briefing.BriefingError, match="nested too deeply"):
        briefing.BriefingSpec.from_json(text, known_charts=list(chart_catalog.CHARTS))


# ---------------------------------------------------------------------------------------------
# Briefings in Chinese

ZH_SLIDE_TITLES = ["各年度交往次数", "各地区交往次数"]


def zh_content(is_demo: bool = True, notes: str = "2015年以来交往明显增多。") -> briefing.BriefingContent:
    made = content(is_demo)
    slides = (
        replace(made.slides[0], title=ZH_SLIDE_TITLES[0], caption="2015–2021", notes=notes),
        replace(made.slides[1], title=ZH_SLIDE_TITLES[1], caption="2015–2021；地区：非洲、欧洲"),
    )
    return replace(made, title="对外交往月度简报", subtitle="十一月", slides=slides, lang="zh")


def every_run(deck):
    for slide in deck.slides:
        for shape in [*slide.shapes, *(slide.notes_slide.shapes if slide.has_notes_slide else ())]:
            if shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    yield from paragraph.runs


def test_chinese_deck_has_chinese_words_and_an_east_asian_face_on_every_run():
    deck = Presentation(io.BytesIO(briefing.build_pptx(zh_content())))
    slides = list(deck.slides)
    assert slides[0].shapes.title.text == "对外交往月度简报"
    assert [s.shapes.title.text for s in slides[1:]] == ZH_SLIDE_TITLES
    second = slide_texts(slides[1])
    assert "筛选条件：2015–2021" in second
    assert "来源：Test ledger · 2026年11月28日" in second
    assert "第2页 / 共3页" in second
    assert "演示数据" in second
    assert "Filters" not in " ".join(second)
    assert deck.core_properties.language == "zh-CN"
    runs = list(every_run(deck))
    assert len(runs) > 15
    for run in runs:
        properties = run._r.rPr
        assert properties.get("lang") == "zh-CN", run.text
        east_asian = properties.find("{http://schemas.openxmlformats.org/drawingml/2006/main}ea")
        assert east_asian is not None and east_asian.get("typeface") == briefing.EAST_ASIAN_FACE, run.text
        assert properties.find("{http://schemas.openxmlformats.org/drawingml/2006/main}latin") is not None


def test_english_deck_records_its_language_and_sets_the_faces_too():
    deck = Presentation(io.BytesIO(briefing.build_pptx(content(is_demo=False))))
    assert deck.core_properties.language == "en-US"
    assert {run._r.rPr.get("lang") for run in every_run(deck)} == {"en-US"}


def test_chinese_pdf_pack_has_chinese_text_its_language_and_embedded_fonts():
    reader = PdfReader(io.BytesIO(briefing.build_pdf(zh_content())))
    first = "".join(reader.pages[0].extract_text().split())
    assert "对外交往月度简报" in first
    assert "图表目录（页码及标题）：" in first
    assert f"2．{ZH_SLIDE_TITLES[0]}" in first
    assert "演示数据" in first and "第1页/共3页" in first
    second = "".join(reader.pages[1].extract_text().split())
    assert ZH_SLIDE_TITLES[0] in second and "筛选条件：2015–2021" in second
    assert "2015年以来交往明显增多。" in second
    assert "来源：Testledger·2026年11月28日" in second
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"
    assert unembedded_fonts(reader) == []
    faces = {
        str(f.get_object()["/BaseFont"]).split("+")[-1] for p in reader.pages for f in p["/Resources"]["/Font"].values()
    }
    # Latin in DejaVu Sans, Chinese (the bold headings too: the face has no bold) in WenQuanYi Zen Hei.
    assert "DejaVuSans" in faces and any(f.startswith("WenQuanYiZenHei") for f in faces)


def test_english_pdf_pack_embeds_its_fonts_and_names_no_helvetica():
    reader = PdfReader(io.BytesIO(briefing.build_pdf(content(is_demo=True))))
    assert unembedded_fonts(reader) == []
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    fonts = {str(f.get_object()["/BaseFont"]) for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert not any("Helvetica" in f for f in fonts)


def test_long_chinese_notes_break_between_characters_and_continue_on_the_next_page():
    notes = "\n".join(f"第{n}点：与执政党的交往明显增多，以考察和工作访问为主。" for n in range(1, 80))
    notes = notes[: briefing.MAX_NOTES]
    reader = PdfReader(io.BytesIO(briefing.build_pdf(zh_content(notes=notes))))
    assert len(reader.pages) >= 4  # the notes continue on pages of their own
    pages = ["".join(p.extract_text().split()) for p in reader.pages]
    assert "说明见下页。" in pages[1]
    assert f"{ZH_SLIDE_TITLES[0]}：说明（续）" in pages[2] and "说明文字转下页。" in pages[2]
    last_line = "".join(notes.split("\n")[-1].split())
    assert last_line in "".join(pages[2:-1])  # nothing lost
    assert ZH_SLIDE_TITLES[1] in pages[-1]
    for page in reader.pages[1:]:
        assert_inside(page)


@pytest.mark.parametrize(
    ("text", "font", "runs"),
    [
        ("Exchanges 2025", "Briefing-regular", [("Briefing-regular", "Exchanges 2025")]),
        ("来源：Test · 2025年", "Briefing-regular", None),
    ],
)
def test_text_is_cut_into_runs_by_the_face_that_has_each_character(text, font, runs):
    briefing._pdf_fonts()
    found = briefing.font_runs(text, font)
    assert "".join(run for _, run in found) == text
    if runs is not None:
        assert found == runs
    else:
        assert found == [
            ("Briefing-cjk", "来源："),
            ("Briefing-regular", "Test · 2025"),
            ("Briefing-cjk", "年"),
        ]


def test_spec_records_its_language_and_a_bad_one_is_refused():
    spec = replace(SPEC, lang="zh")
    saved = json.loads(spec.to_json())
    assert saved["lang"] == "zh"
    assert briefing.BriefingSpec.from_json(spec.to_json()).lang == "zh"
    with i18n.using("zh"):  # made on a Chinese page
        made = briefing.BriefingSpec(items=SPEC.items)
        assert json.loads(made.to_json())["lang"] == "zh"
        # A file saved before briefings had a language is built in the current one.
        assert briefing.BriefingSpec.from_json('{"charts": ["regions"]}').lang == "zh"
    with pytest.raises(briefing.BriefingError, match="'lang'.*Unknown language 'fr'"):
        briefing.BriefingSpec.from_json('{"charts": ["regions"], "lang": "fr"}')
    with pytest.raises(briefing.BriefingError, match="'lang' must be text"):
        briefing.BriefingSpec.from_json('{"charts": ["regions"], "lang": 7}')


def test_prepare_speaks_the_spec_language_unless_told_otherwise(make_ledger):
    spec = briefing.BriefingSpec(items=(briefing.BriefingItem("regions"),), lang="zh")
    con = connect_read_only(make_ledger(ROWS))
    try:
        zh = briefing.prepare(con, spec, is_demo=False, renderer=FakeRenderer(), day=DAY)
        en = briefing.prepare(con, spec, is_demo=False, renderer=FakeRenderer(), day=DAY, lang="en")
    finally:
        con.close()
    assert (zh.lang, zh.title, zh.footer()) == ("zh", "情况简报", "来源：政党交往台账 · 2026年11月28日")
    assert (en.lang, en.title, en.footer()) == (
        "en",
        "Briefing",
        "Source: Party-to-party exchange ledger · 28 November 2026",
    )
    assert i18n.current() == "en"  # the run's language is left as it was


def test_a_chinese_title_gives_an_ascii_file_name():
    assert briefing.briefing_file_name("对外交往月度简报", "pptx", DAY) == "briefing_2026-11-28.pptx"
    assert briefing.briefing_file_name("2025年3月简报", "pdf", DAY) == "2025-3_2026-11-28.pdf"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"charts": ["top-countries"], "version": 7}', "简报文件版本 7 高于本程序可读取的版本（1）。"),
        (
            '{"charts": [{"chart": "top-countries", "options": {"top": "abc"}}]}',
            "第 1 张图表（top-countries）：选项 'top' 必须是介于 1 与 100 之间的整数",
        ),
        (
            '{"charts": [{"chart": "regions", "options": {"top": 5}}]}',
            "第 1 张图表（regions）：未知选项 'top'；该图表不接受任何选项。",
        ),
        ('{"charts": ["regions"], "title": 5}', "标题必须是文本。"),
        (
            '{"charts": [{"chart": "regions", "notes": "' + "x" * 2001 + '"}]}',
            "第 1 张图表的说明长 2001 个字符，上限为 2000 个。",
        ),
    ],
)
def test_briefing_file_errors_in_chinese(text, message):
    with i18n.using("zh"), pytest.raises(briefing.BriefingError) as raised:
        briefing.BriefingSpec.from_json(text)
    assert message in str(raised.value)
    with pytest.raises(briefing.BriefingError) as english:  # the same file, in English
        briefing.BriefingSpec.from_json(text)
    assert not any("\u4e00" <= c <= "\u9fff" for c in str(english.value))


# ---------------------------------------------------------------------------------------------
# Findings as headlines (the worked example of docs/findings.md: 2023 against 2024)


class SizedRenderer(FakeRenderer):
    """A plain picture of each job's own pixel size, as the browser would give."""

    def __init__(self) -> None:
        self.jobs: list = []

    def render(self, jobs) -> list[bytes]:
        self.jobs += jobs
        made = []
        for job in jobs:
            buffer = io.BytesIO()
            Image.new("RGB", (round(job.width * job.scale), round(job.height * job.scale)), "white").save(buffer, "PNG")
            made.append(buffer.getvalue())
        return made


FINDINGS_SPEC = briefing.BriefingSpec(
    title="Findings",
    items=(
        briefing.BriefingItem("exchanges-per-year"),
        briefing.BriefingItem("top-countries", notes="Kenya doubled."),
        briefing.BriefingItem("regions"),
    ),
)
TOTAL_RISE = "Exchanges rose by 277.1% in 2024: 44, against a yearly mean of 11.7 in 2021–2023."
KENYA_RISE = "Exchanges with Kenya rose by 100% in 2024: 8, against 4 in 2023."


def prepared(make_ledger, spec=FINDINGS_SPEC, fmt="pptx", renderer=None):
    from tests.test_findings import EXAMPLE

    con = connect_read_only(make_ledger(EXAMPLE))
    try:
        return briefing.prepare(con, spec, is_demo=False, renderer=renderer or SizedRenderer(), day=DAY, fmt=fmt)
    finally:
        con.close()


def test_headlines_are_the_findings_and_the_summary_lists_them(make_ledger):
    made = prepared(make_ledger)
    # The best finding whose chart is the slide's chart; none for 'regions': its plain title heads it.
    assert [s.headline for s in made.slides] == [TOTAL_RISE, KENYA_RISE, ""]
    assert made.summary[0] == TOTAL_RISE and len(made.summary) == briefing.SUMMARY_FINDINGS
    deck = Presentation(io.BytesIO(briefing.build_pptx(made)))
    slides = list(deck.slides)
    assert len(slides) == 5 == made.pages
    assert slides[1].shapes.title.text == "Key findings"
    listed = [p.text.replace("\v", " ") for s in slides[1].shapes if s.has_text_frame for p in s.text_frame.paragraphs]
    assert all(words(sentence) in map(words, listed) for sentence in made.summary)  # one paragraph each
    assert [words(s.shapes.title.text.replace("\v", " ")) for s in slides[2:]] == [
        TOTAL_RISE,
        KENYA_RISE,
        "Exchanges by region",
    ]
    under = [t.replace("\v", " ") for t in slide_texts(slides[2])]
    assert any(words(t).startswith("Exchanges per year · Filters: 1978–2024") for t in under)
    assert "Filters: 1978–2024" in slide_texts(slides[4])  # the plain title heads it: the filters alone under it
    pack = PdfReader(io.BytesIO(briefing.build_pdf(made)))
    assert len(pack.pages) == 5
    assert "Key findings" in pack.pages[1].extract_text()
    assert words(TOTAL_RISE) in words(pack.pages[1].extract_text())
    assert words(KENYA_RISE) in words(pack.pages[3].extract_text())
    assert "3. Exchanges per year" in words(pack.pages[0].extract_text())


def test_headlines_in_chinese(make_ledger):
    made = prepared(make_ledger, replace(FINDINGS_SPEC, lang="zh"))
    assert made.slides[0].headline == "2024年交往次数为44，比2021—2023年的年均值11.7增长277.1%。"
    deck = Presentation(io.BytesIO(briefing.build_pptx(made)))
    assert deck.slides[1].shapes.title.text == "主要发现"


def test_findings_switched_off_in_the_file_or_the_spec(make_ledger):
    made = prepared(make_ledger, replace(FINDINGS_SPEC, findings=False))
    assert [s.headline for s in made.slides] == ["", "", ""] and made.summary == () and made.pages == 4
    deck = Presentation(io.BytesIO(briefing.build_pptx(made)))
    assert [s.shapes.title.text for s in deck.slides][1:] == [
        "Exchanges per year",
        "Top countries by exchanges",
        "Exchanges by region",
    ]
    assert briefing.BriefingSpec.from_json('{"charts": ["regions"]}').findings is True  # files from before
    assert briefing.BriefingSpec.from_json('{"charts": ["regions"], "findings": false}').findings is False
    assert json.loads(replace(SPEC, findings=False).to_json())["findings"] is False
    with pytest.raises(briefing.BriefingError, match="'findings' must be true or false, not 'no'"):
        briefing.BriefingSpec.from_json('{"charts": ["regions"], "findings": "no"}')


def test_no_findings_flag_of_the_command():
    from analytics.cli import build_parser
    from analytics.commands.export_commands import _briefing_spec

    args = build_parser().parse_args(["briefing", "--charts", "regions", "--out", "d.pptx", "--no-findings"])
    assert _briefing_spec(args).findings is False
    args = build_parser().parse_args(["briefing", "--charts", "regions", "--out", "d.pptx"])
    assert _briefing_spec(args).findings is True


def test_a_summary_with_no_finding_says_so():
    made = replace(content(is_demo=False), findings=True)
    deck = Presentation(io.BytesIO(briefing.build_pptx(made)))
    assert any("No change stands out" in text for text in slide_texts(deck.slides[1]))


@pytest.mark.parametrize("fmt", ["pptx", "pdf"])
def test_each_picture_is_drawn_at_the_size_of_its_box_and_shown_at_it(make_ledger, fmt):
    renderer = SizedRenderer()
    made = prepared(make_ledger, fmt=fmt, renderer=renderer)
    preset = export.PRESETS[briefing.PRESET_OF[fmt]]
    for job, slide in zip(renderer.jobs, made.slides, strict=True):
        expected = briefing.BOXES[fmt](slide)
        assert slide.box == expected
        assert (job.width, job.height) == (round(expected[0] * 96), round(expected[1] * 96))
        assert job.scale == preset.scale
    if fmt == "pptx":
        deck = Presentation(io.BytesIO(briefing.build_pptx(made)))
        # Notes that fit beside the picture narrow its box; none: the slide's width.
        assert made.slides[1].box[0] < made.slides[0].box[0] == pytest.approx(briefing.DECK_WIDTH_IN)
        for slide, shown in zip(made.slides, list(deck.slides)[2:], strict=True):
            shape = picture_shape(shown)
            assert (shape.width / 914400, shape.height / 914400) == pytest.approx(slide.box, abs=0.002)
    else:
        pack = PdfReader(io.BytesIO(briefing.build_pdf(made)))
        for slide, page in zip(made.slides, pack.pages[2:], strict=True):
            ((_, _, width, height),) = picture_boxes(page)
            assert (width / 72, height / 72) == pytest.approx(slide.box, abs=0.01)


def test_a_headline_too_long_for_its_band_is_cut_and_given_whole_in_the_notes():
    headline = "Exchanges with ruling parties rose in every region the briefing covers this year. " * 6
    made = content(is_demo=False)
    made = replace(made, slides=(replace(made.slides[0], headline=headline.strip()), made.slides[1]))
    deck = Presentation(io.BytesIO(briefing.build_pptx(made)))
    shown = deck.slides[1].shapes.title.text
    assert shown.endswith("…") and len(shown) < len(headline)
    assert headline.strip() in deck.slides[1].notes_slide.notes_text_frame.text
    assert "Growth since 2015." in deck.slides[1].notes_slide.notes_text_frame.text
    pack = PdfReader(io.BytesIO(briefing.build_pdf(made)))
    text = words(" ".join(page.extract_text() for page in pack.pages[1:]))
    assert "In full: " + words(headline) in text


def test_build_briefing_draws_the_pictures_for_its_format(make_ledger, tmp_path):
    from tests.test_findings import EXAMPLE

    con = connect_read_only(make_ledger(EXAMPLE))
    try:
        pack = briefing.build_briefing(
            con, FINDINGS_SPEC, "pdf", is_demo=False, renderer=SizedRenderer(), day=DAY, access_db=tmp_path / "a.db"
        )
    finally:
        con.close()
    page = PdfReader(io.BytesIO(pack)).pages[2]
    ((_, _, width, height),) = picture_boxes(page)
    box = briefing.pack_picture_box(briefing.Slide("exchanges-per-year", "", "", "", b"", 1, 1, headline=TOTAL_RISE))
    # The pack's box (a deck picture, 12.33 x 4.8 in, would be 4.2 in tall here)
    assert (width / 72, height / 72) == pytest.approx(box, abs=0.01)


def test_a_hostile_party_name_in_the_findings_is_text_in_the_deck_and_the_pack(make_ledger):
    """A finding names a party as the ledger holds it: markup in the name (reportlab's <font>,
    HTML) is drawn as its characters, not obeyed, on the summary page of the deck and the pack."""
    from tests.test_findings import repeat

    hostile = '<b>Bold</b> & <font name="Courier">Front</font>'
    rows = [  # the party rises 4 -> 12 beside another Kenyan party (so it is not its country's only one)
        *repeat(hostile, "KEN", 2023, 4),
        *repeat(hostile, "KEN", 2024, 12),
        *repeat("Kenya Union", "KEN", 2023, 5),
        *repeat("Kenya Union", "KEN", 2024, 5),
    ]
    spec = briefing.BriefingSpec(title="Hostile", items=(briefing.BriefingItem("top-parties"),))
    con = connect_read_only(make_ledger(rows, name="hostile.duckdb"))
    try:
        made = briefing.prepare(con, spec, is_demo=False, renderer=SizedRenderer(), day=DAY, fmt="pdf")
    finally:
        con.close()
    said = [line for line in made.summary if hostile in line]
    assert said == [f"Exchanges with {hostile} (Kenya) rose by 200% in 2024: 12, against 4 in 2023."]
    pack = PdfReader(io.BytesIO(briefing.build_pdf(made)))
    assert words(said[0]) in words(pack.pages[1].extract_text())  # the characters, markup and all
    deck = Presentation(io.BytesIO(briefing.build_pptx(made)))
    listed = " ".join(t.replace("\v", " ") for t in slide_texts(deck.slides[1]))
    assert words(said[0]) in words(listed)


def test_a_party_s_finding_does_not_head_the_slice_s_total_chart(make_ledger):
    """Parti A rises 20 -> 40 and Deutsche Partei falls 40 -> 21, Parti B stays at 10: the
    total (70 -> 71, and 70 a year in 2021-2023) does not move. The parties' findings are drawn
    by exchanges-per-year only under each party's filters, so they do not head that chart's
    page, which draws the whole slice (its plain title does); the summary lists them, and the
    countries' page is headed by a finding about France or Germany."""
    from tests.test_findings import repeat

    def years(party, country, count):
        return [row for year in (2021, 2022, 2023) for row in repeat(party, country, year, count)]

    rows = [
        *years("Parti A", "FRA", 20),
        *repeat("Parti A", "FRA", 2024, 40),
        *years("Parti B", "FRA", 10),
        *repeat("Parti B", "FRA", 2024, 10),
        *years("Deutsche Partei", "DEU", 40),
        *repeat("Deutsche Partei", "DEU", 2024, 21),
    ]
    spec = briefing.BriefingSpec(
        items=(briefing.BriefingItem("exchanges-per-year"), briefing.BriefingItem("top-countries"))
    )
    con = connect_read_only(make_ledger(rows, name="parties.duckdb"))
    try:
        made = briefing.prepare(con, spec, is_demo=False, renderer=SizedRenderer(), day=DAY)
    finally:
        con.close()
    party_rise = "Exchanges with Parti A (France) rose by 100% in 2024: 40, against 20 in 2023."
    assert party_rise in made.summary  # a finding of the briefing, said on the summary page
    total, countries = (s.headline for s in made.slides)
    assert total == ""
    assert "France" in countries or "Germany" in countries
