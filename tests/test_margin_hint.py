"""The left-margin hint of charts on screen (``pages.margin_hint``), worked out by hand from the
advance widths of DejaVu Sans (units of 1/2048 em): every digit 1303, the comma 651, '%' 1946.
At the template's tick font of 13 px a digit is 8.2705 px, a comma 4.1323 px, '%' 12.3525 px.
The pads (20 px around labels, 17 px more for an axis title) were measured in Chromium; the
hint is the need rounded up plus 2 px."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from pages import margin_hint

pytestmark = pytest.mark.skipif(margin_hint._font(13) is None, reason="DejaVu Sans (or Pillow) is not installed")


def _figure(data: list[dict], **layout) -> dict:
    return {"data": data, "layout": layout}


def test_numeric_axis_with_title_leaves_room_for_the_padded_top_tick():
    # Highest bar 980, padded 6% to 1,038.8: the top tick has four digits and a comma ('1,000').
    # 4 x 8.2705 + 4.1323 = 37.21; + 20 + 17 = 74.21 -> 75 + 2 = 77.
    fig = _figure([{"type": "bar", "x": [2020, 2021], "y": [400, 980]}], yaxis={"title": {"text": "Exchanges"}})
    assert margin_hint.left_margin(fig) == 77


def test_stacked_bars_count_the_stack():
    # Stacks 50 + 40 = 90 and 60 + 45 = 105, padded to 111.3: three digits, 24.81; no title:
    # + 20 = 44.81 -> 45 + 2 = 47. (The tallest single bar, 60, would give two digits.)
    fig = _figure(
        [
            {"type": "bar", "x": [2020, 2021], "y": [50, 60]},
            {"type": "bar", "x": [2020, 2021], "y": [40, 45]},
        ],
        barmode="stack",
    )
    assert margin_hint.left_margin(fig) == 47


def test_a_share_axis_reads_100_percent():
    # '100%': 3 x 8.2705 + 12.3525 = 37.16; + 20 + 17 = 74.16 -> 75 + 2 = 77.
    fig = _figure(
        [{"type": "scatter", "x": [2020], "y": [0.4]}],
        yaxis={"tickformat": ".0%", "title": {"text": "Share"}},
    )
    assert margin_hint.left_margin(fig) == 77


def test_category_labels_in_their_own_font_size_and_standoff():
    # Horizontal bars labelled '00' and '0000' in 11 px: 4 x 1303 / 2048 x 11 = 27.99; the label
    # standoff 32 and the pad 20 make 79.99 -> 80 + 2 = 82.
    fig = _figure(
        [{"type": "bar", "orientation": "h", "x": [3, 5], "y": ["00", "0000"]}],
        yaxis={"tickfont": {"size": 11}, "ticklabelstandoff": 32},
    )
    assert margin_hint.left_margin(fig) == 82


def test_the_shown_tick_text_counts_its_widest_line_and_entities_as_drawn():
    # ticktext wins over the category values; '0&amp;0<br>0000' draws '0&0' and '0000'. The
    # widest line is '0000', 33.08 px; + 20 = 53.08 -> 54 + 2 = 56.
    fig = _figure(
        [{"type": "heatmap", "z": [[1]], "x": [2020], "y": ["A very long category value"]}],
        yaxis={"tickmode": "array", "tickvals": ["A very long category value"], "ticktext": ["0&amp;0<br>0000"]},
    )
    assert margin_hint.left_margin(fig) == 56


def test_a_panel_of_the_right_column_does_not_widen_the_margin():
    # yaxis2 sits on x2, which starts at 55% of the width: its long labels stay inside the plot.
    fig = _figure(
        [
            {"type": "scatter", "x": [1], "y": [5], "xaxis": "x", "yaxis": "y"},
            {
                "type": "bar",
                "orientation": "h",
                "x": [1],
                "y": ["A rather long party name"],
                "xaxis": "x2",
                "yaxis": "y2",
            },
        ],
        xaxis={"domain": [0, 0.45]},
        xaxis2={"domain": [0.55, 1]},
        yaxis2={"anchor": "x2"},
    )
    # Only yaxis: top 5.3 -> '5', 8.27 + 20 = 28.27 -> 29 + 2 = 31.
    assert margin_hint.left_margin(fig) == 31


def test_no_hint_for_a_map_or_an_empty_chart():
    assert margin_hint.left_margin(_figure([{"type": "choropleth", "locations": ["FRA"], "z": [1]}])) is None
    assert margin_hint.left_margin(_figure([])) is None


def test_the_hinted_figure_is_a_copy_with_only_the_left_margin_changed():
    fig = go.Figure(
        _figure([{"type": "bar", "x": [2020], "y": [980]}], yaxis={"title": {"text": "Exchanges"}}, margin={"b": 70}),
        _validate=False,
    )
    hinted = margin_hint.with_margin_hint(fig)
    assert hinted is not fig
    assert hinted.to_plotly_json()["layout"]["margin"] == {"b": 70, "l": 77}
    assert hinted.to_plotly_json()["data"] == fig.to_plotly_json()["data"]
    assert fig.to_plotly_json()["layout"]["margin"] == {"b": 70}  # the exported figure keeps its margin


def test_a_margin_already_wide_enough_is_left_alone():
    fig = go.Figure(_figure([{"type": "bar", "x": [2020], "y": [980]}], margin={"l": 300}), _validate=False)
    assert margin_hint.with_margin_hint(fig) is fig
