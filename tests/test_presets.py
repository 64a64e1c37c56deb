"""Picture presets (``export.PRESETS``): every catalogue chart drawn for a slide, an A4 page and
a deck's picture box keeps its type at 14 pt or more where shown, in both languages and for
empty charts; the demo mark stands at the same place on every picture; period charts' captions
name their periods; every colour has a key; the pictures' titles are `export --list`'s; narrow
exports place their era labels without overprinting. Figures are built in-process once per
module; a few pictures are rendered through one browser and kept in test-output/ to look at."""

from __future__ import annotations

import io
from dataclasses import replace

import plotly.graph_objects as go
import pytest
from PIL import Image

from analytics import briefing, chart_catalog, charts, export, i18n
from analytics.filters import Filters
from analytics.ledger import connect_read_only

# The boxes the briefing shows pictures in: a deck's chart slide with and without notes beside the
# picture, and a pack's page at its shortest (notes under the picture take their most).
DECK_BOX = export.PRESETS["slide"].sized(*briefing.deck_picture_box(""))
DECK_NOTES_BOX = export.PRESETS["slide"].sized(
    briefing.DECK_WIDTH_IN - briefing.DECK_NOTES_W_IN - briefing.DECK_NOTES_GAP_IN, briefing.PICTURE_H_IN
)
PACK_SHORT_BOX = export.PRESETS["a4"].sized(
    briefing.PDF_WIDTH / 72, (briefing.PDF_AREA_H * (1 - briefing.PDF_NOTES_SHARE) - briefing.PDF_GAP) / 72
)
PRESETS = {
    "slide": export.PRESETS["slide"],
    "a4": export.PRESETS["a4"],
    "deck-box": DECK_BOX,
    "deck-notes-box": DECK_NOTES_BOX,
    "pack-short-box": PACK_SHORT_BOX,
}
NOTHING = Filters(year_from=1940, year_to=1950)  # before the demo ledger's first exchange (1951)
PERIOD_CHARTS = ("top-movers", "compare-periods", "compare-movers", "change-level-map")


@pytest.fixture(scope="module")
def figures(demo_ledger):
    """(lang, chart, empty) -> (figure, meta), built once for the module."""
    con = connect_read_only(demo_ledger)
    built = {}
    try:
        for lang in ("en", "zh"):
            with i18n.using(lang):
                for name in chart_catalog.CHARTS:
                    for empty, filters in ((False, Filters()), (True, NOTHING)):
                        fig, _ = chart_catalog.build_chart(con.cursor(), name, filters, is_demo=True)
                        built[lang, name, empty] = (fig, export.chart_meta(name, fig, is_demo=True))
    finally:
        con.close()
    assert all(charts.is_empty(fig) for (_, _, empty), (fig, _) in built.items() if empty)
    return built


@pytest.fixture(scope="module")
def stamped(figures):
    """(lang, chart, empty, preset, bare) -> the stamped figure."""
    return {
        (lang, name, empty, key, bare): export.stamp(fig, meta, preset=preset, bare=bare)
        for (lang, name, empty), (fig, meta) in figures.items()
        for key, preset in PRESETS.items()
        for bare in (False, True)
    }


def test_no_text_under_14_pt_on_slides_pages_and_the_briefing_boxes(stamped):
    small = {
        key: round(export.smallest_font_pt(fig, PRESETS[key[3]]), 2)
        for key, fig in stamped.items()
        if export.smallest_font_pt(fig, PRESETS[key[3]]) < 14
    }
    assert small == {}
    assert len(stamped) == 2 * len(chart_catalog.CHARTS) * 2 * len(PRESETS) * 2


def test_full_slide_titles_are_about_28_pt(stamped):
    fig = stamped["en", "exchanges-per-year", False, "slide", False]
    title = next(a for a in fig.layout.annotations if a.name == "export-title")
    assert title.font.size * 0.75 == pytest.approx(28, abs=0.1)


def test_the_screen_preset_keeps_the_chart_s_own_type(figures):
    fig, meta = figures["en", "regions", False]
    screen = export.stamp(fig, meta, width=1200)
    assert screen.layout.font.size is None or screen.layout.font.size == 13
    assert export.smallest_font_pt(screen, "screen") < 14  # screen sizes are not projection sizes


def test_the_demo_mark_stands_at_the_same_place_on_every_picture(stamped):
    offsets = {key: export.mark_offset(fig) for key, fig in stamped.items()}
    assert set(offsets.values()) == {(export.MARK_INSET_PX, export.MARK_INSET_PX)}


def test_the_plot_s_right_edge_and_the_footer_do_not_move_with_the_legend(stamped):
    for preset in PRESETS:
        frames = {export.frame_of(fig).right for key, fig in stamped.items() if key[3] == preset}
        assert len(frames) == 1
    for key, fig in stamped.items():
        frame = export.frame_of(fig)
        footer = next((a for a in fig.layout.annotations if a.name == "export-footer"), None)
        assert (footer is None) == key[4]  # a bare picture has no footer
        if footer is not None:
            assert frame.left + footer.xshift == export.EDGE_PX  # flush left with the title
            assert frame.bottom + footer.yshift == export.EDGE_PX  # off the bottom edge


def test_period_charts_captions_name_their_periods(figures):
    for name in PERIOD_CHARTS:
        fig, meta = figures["en", name, False]
        assert "2016–2020" in meta.filters and "2021–2025" in meta.filters, name
        assert "1978" not in meta.filters, name
        assert meta.filters == export.figure_caption(fig)
    _, change = figures["en", "change-level-map", False]
    assert change.filters == "2021–2025 against the baseline 2016–2020"
    _, compare = figures["zh", "compare-periods", False]
    assert compare.filters == "按地区：2016—2020年与2021—2025年对比"


def test_export_list_titles_are_the_pictures_titles(figures):
    for lang in ("en", "zh"):
        with i18n.using(lang):
            for name, spec in chart_catalog.CHARTS.items():
                for empty in (False, True):
                    fig, meta = figures[lang, name, empty]
                    assert export.figure_title(fig) == spec.title == meta.title, (lang, name, empty)


COLOURED_BY = {  # charts whose bars, lines or areas are coloured by a dimension
    "forms-per-year",
    "directions-per-year",
    "levels-per-year",
    "families-per-year",
    "families-share-per-year",
    "status-share-per-year",
    "top-parties-by-family",
    "subregions",
    "top-countries",
    "top-parties",
    "compare-periods",
    "change-level-map",
    "exchanges-per-year",
    "first-contacts",
    "concentration",
}


def test_every_colour_scale_and_coloured_series_has_a_key(stamped):
    for lang in ("en", "zh"):
        for name in chart_catalog.CHARTS:
            fig = stamped[lang, name, False, "slide", False]
            scales = [tr for tr in fig.data if tr.type in ("heatmap", "choropleth") and tr.showscale is not False]
            for trace in scales:
                assert trace.colorbar is not None, name
                assert max(trace.colorbar.tickvals) == pytest.approx(
                    max(max(row) for row in trace.z) if trace.type == "heatmap" else max(trace.z)
                ), name
                assert all(
                    "," in text
                    for text, value in zip(trace.colorbar.ticktext, trace.colorbar.tickvals, strict=True)
                    if value >= 1000
                ), name
            if name in COLOURED_BY:
                names = [tr.name for tr in fig.data if tr.showlegend is not False and tr.name]
                assert fig.layout.showlegend is not False and len(names) >= 2, (lang, name)
                assert fig.layout.legend.orientation == "h", name  # above the plot, not at its right


def test_legend_order_matches_the_bars(figures):
    fig, _ = figures["en", "top-parties-by-family", False]
    families = [tr.name for tr in fig.data if tr.type == "bar"]
    assert families[0] == "Communist"
    top_bar = fig.layout.yaxis.categoryarray[-1]  # the last category stands on top
    assert top_bar in fig.data[0].y  # the first legend entry's bars are on top
    compare, _ = figures["en", "compare-periods", False]
    assert compare.layout.legend.traceorder == "reversed"  # the later period's bar stands above


LONG_FILTERS = (
    "1978–2025; Region: Africa, Asia, Europe; Party family: Communist, Socialist and workers', "
    "Social democratic and labour; Form: High-level visit, Working visit, Delegation"
)
ERA_CHARTS = ("exchanges-per-year", "forms-per-year", "families-share-per-year", "status-share-per-year")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_narrow_export_era_labels_do_not_overprint_and_the_axis_ends_with_the_data(figures, lang):
    for name in ERA_CHARTS:
        fig, meta = figures[lang, name, False]
        narrow = export.stamp(fig, replace(meta, filters=LONG_FILTERS), width=600)
        eras = [a for a in narrow.layout.annotations if a.name == "era"]
        assert eras, name
        rows: dict[int, list] = {}
        placed = narrow.layout.meta["era_labels"]
        assert len(placed) == len(eras)
        for era in placed:
            rows.setdefault(era["row"], []).append(era["box"])
        for boxes in rows.values():
            boxes.sort()
            assert all(a[1] <= b[0] for a, b in zip(boxes, boxes[1:], strict=False)), (name, boxes)
        frame = export.frame_of(narrow)
        plot_w = 600 - frame.left - frame.right
        assert all(0 <= box[0] and box[1] <= plot_w for boxes in rows.values() for box in boxes)
        last = max(max(tr.x) for tr in fig.data if tr.x is not None and len(tr.x))
        assert narrow.layout.xaxis.range[1] == last + 0.5, name
        lines = export.stamped_title(narrow).split("<br>")
        captions = [line for line in lines if "font-size" in line]
        assert len(captions) >= 3  # the long caption wrapped into three lines or more...
        # ... and the top margin holds every line: the plot (and its era labels) starts below them.
        assert frame.top >= export.EDGE_PX + 17 * 1.3 * (len(lines) - len(captions)) + 12.5 * 1.4 * len(captions)


def test_many_rows_are_cut_to_what_fits_and_the_picture_says_so(stamped):
    fig = stamped["en", "top-parties-by-family", False, "slide", False]
    shown, total = fig.layout.meta["rows_shown"]
    assert 0 < shown < total
    bars = {y for tr in fig.data if tr.type == "bar" for y in tr.y}
    assert len(bars) == shown
    assert f"The largest {shown} of {total} are shown" in next(
        a.text for a in fig.layout.annotations if a.name == "export-footer"
    )
    families = {tr.name for tr in fig.data if tr.type == "bar" and len(tr.y)}
    assert len(families) == len([tr for tr in fig.data if tr.type == "bar"])  # every family keeps its top party


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_legend_band_is_that_of_the_rows_shown(figures, stamped, lang):
    """Parties left out of the deck's box take their families out of the legend, and the band
    above the plot is that of the families still shown: no room kept for the others (once, a
    band for all 9 families left 4 rows under a one-line legend)."""
    fig = stamped[lang, "top-parties-by-family", False, "deck-box", True]
    shown, total = fig.layout.meta["rows_shown"]
    assert 6 <= shown < total
    families = [tr.name for tr in fig.data if tr.type == "bar" and len(tr.y)]
    assert len(families) == shown  # one party from each of the families shown, at this size
    plain, meta = figures[lang, "top-parties-by-family", False]
    without_legend = export.stamp(go.Figure(plain).update_layout(showlegend=False), meta, preset=DECK_BOX, bare=True)
    band = fig.layout.margin.t - without_legend.layout.margin.t
    assert band == pytest.approx(
        export._legend_band(families, DECK_BOX.floor_px, DECK_BOX.width_px - export.EDGE_PX - fig.layout.margin.r),
        abs=1,
    )


# ---------------------------------------------------------------------------------------------
# A few real pictures, one browser


RENDERED = [  # (language, chart, preset, bare, width): a few charts per preset
    ("en", "exchanges-per-year", "slide", False, None),
    ("zh", "top-parties-by-family", "slide", False, None),
    ("en", "change-level-map", "a4", False, None),
    ("zh", "status-share-per-year", "a4", False, None),
    ("zh", "family-by-region", "deck-box", True, None),
    ("en", "top-parties-by-family", "deck-box", True, None),
    ("en", "families-per-year", "screen", False, 600),
    ("zh", "exchanges-per-year", "screen", False, 600),
]


def _mark_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box of the demo mark's red pixels (#b3261e, with anti-aliasing)."""
    rgb = image.convert("RGB")
    mask = Image.eval(rgb.split()[0], lambda v: 255 if v > 140 else 0)
    green = Image.eval(rgb.split()[1], lambda v: 255 if v < 90 else 0)
    blue = Image.eval(rgb.split()[2], lambda v: 255 if v < 90 else 0)
    from PIL import ImageChops

    red = ImageChops.multiply(ImageChops.multiply(mask, green), blue)
    return red.getbbox()


@pytest.mark.browser
def test_rendered_pictures_carry_the_mark_at_the_same_place(figures, output_dir):
    from tests.test_export import need_browser

    need_browser()
    requests, names = [], []
    for lang, name, key, bare, width in RENDERED:
        fig, meta = figures[lang, name, False]
        preset = PRESETS.get(key, export.PRESETS["screen"])
        size = export.picture_size(fig, preset, width)
        stamped = export.stamp(fig, meta, preset=preset, bare=bare, width=size[0], height=size[1])
        requests.append(export.ImageJob(stamped, "png", size[0], size[1], 1.0))
        names.append(f"preset_{key}{width or ''}_{'bare' if bare else 'full'}_{name}_{lang}.png")
    with export.ImageRenderer() as renderer:
        images = renderer.render(requests)
    for job, image, file in zip(requests, images, names, strict=True):
        (output_dir / file).write_bytes(image)
        picture = Image.open(io.BytesIO(image))
        assert picture.size == (job.width, job.height)
        box = _mark_box(picture)
        assert box is not None, file
        right, top = job.width - box[2], box[1]
        # The mark's text ends 8 px (plus the annotation's own 1 px border and 3 px padding) from
        # the right edge and its top as far from the top.
        assert 8 <= right <= 8 + 14 and 8 <= top <= 8 + 14, (file, right, top)
        assert picture.convert("RGB").getpixel((2, job.height - 2)) == (255, 255, 255)  # white, not 254 grey


def test_choreographer_s_shutdown_noise_is_dropped_only_while_closing():
    import logging

    logger = logging.getLogger("choreographer.channels.pipe")
    export._quiet_shutdown()
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    try:
        logger.error("JSONError decoding message. Ignoring")  # during a render: a real problem, shown
        export._ShutdownNoise.closing += 1
        try:
            logger.error("JSONError decoding message. Ignoring")  # the browser exiting: dropped
            logger.error("Error in trying to decode JSON off our read.")  # anything else still shows
        finally:
            export._ShutdownNoise.closing -= 1
    finally:
        logger.removeHandler(handler)
    assert seen == ["JSONError decoding message. Ignoring", "Error in trying to decode JSON off our read."]


def test_map_notes_stand_flush_left_with_the_footer_not_at_the_edge(stamped):
    for key in (("en", "world-map", False, "slide", False), ("zh", "world-map", False, "a4", True)):
        fig = stamped[key]
        frame = export.frame_of(fig)
        note = next(a for a in fig.layout.annotations if "map" in (a.text or "") or "地图" in (a.text or ""))
        assert frame.left + note.xshift == export.EDGE_PX, key


def test_a_cut_label_keeps_its_country_unless_the_name_would_all_but_vanish():
    size = 19.0
    room = export.text_width("Democratic Labour Fr… (Colombia)", size) + 1
    assert export._shorten("Democratic Labour Frontier of the Andes (Colombia)", size, room) == (
        "Democratic Labour Fr… (Colombia)"
    )
    # '(International organisations)' is as wide as the room: keeping it would leave 'G…'
    room = export.text_width("Green… (International organisations)", size)
    cut = export._shorten("Green Planet Forum (International organisations)", size, room)
    assert cut.startswith("Green Planet Forum") and cut.endswith("…")  # the whole cut at its end
    assert export.text_width(cut, size) <= room
