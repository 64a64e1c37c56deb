"""The co-attendance network (``charts.co_attendance_chart``) and its layout
(``charts.network_layout``), read through ``fig.data`` and ``fig.layout``.

The pairs below: A-B shared 4 events, B-C 2, A-C 1, C-D 1 (D a party with a hostile name).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics import charts, i18n

HOSTILE = "<b>Bold</b> & <a href=x>Party</a>"
PAIRS = pd.DataFrame(
    {
        "party_a": ["A Party", "B Party", "A Party", "C Party"],
        "country_a": ["FRA", "KEN", "FRA", "BRA"],
        "party_b": ["B Party", "C Party", "C Party", HOSTILE],
        "country_b": ["KEN", "BRA", "BRA", ""],
        "shared_events": [4, 2, 1, 1],
        "party_id_a": [1, 2, 1, 3],
        "party_id_b": [2, 3, 3, 4],
        "party_zh_a": ["甲党", None, "甲党", None],
        "party_zh_b": [None, None, None, None],
        "party_family_a": ["communist", "socialist", "communist", "green"],
        "party_family_b": ["socialist", "green", "green", "international_org"],
    }
)


def test_the_layout_is_deterministic_and_fits_the_square():
    links = [(0, 1, 4.0), (1, 2, 2.0), (0, 2, 1.0), (2, 3, 1.0)]
    first = charts.network_layout(4, links)
    assert first.shape == (4, 2)
    assert np.array_equal(first, charts.network_layout(4, links))
    assert np.abs(first).max() == pytest.approx(1.0)
    # The strongest link (0-1) ends shorter than the loosest pair (0 and 3, not linked).
    distance = np.linalg.norm(first[:, None, :] - first[None, :, :], axis=2)
    assert distance[0, 1] < distance[0, 3]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_the_layout_of_tiny_graphs(count):
    positions = charts.network_layout(count, [(0, 1, 1.0)] if count == 2 else [])
    assert positions.shape == (count, 2)
    if count:
        assert np.allclose(np.linalg.norm(positions, axis=1), 1.0)  # on the circle


def test_nodes_links_and_hover():
    fig = charts.co_attendance_chart(PAIRS)
    go.Figure(fig.to_dict())  # a valid figure
    lines = [trace for trace in fig.data if trace.mode == "lines"]
    # Four links in width classes: 4/4 the widest, 2/4 the second class, 1/4 the first.
    widths = sorted((trace.line.width, len(trace.x) // 3) for trace in lines)
    assert widths == [(1.0, 2), (2.5, 1), (7.0, 1)]
    nodes = [trace for trace in fig.data if trace.mode == "markers+text"]
    assert [trace.name for trace in nodes] == [
        "Communist",
        "Socialist and workers'",
        "Green",
        "International organisation",
    ]
    assert sum(len(trace.x) for trace in nodes) == 4
    # A: 4 + 1 shared events with the parties shown.
    communist = nodes[0]
    assert communist.customdata[0][1] == 5
    hovers = next(trace for trace in fig.data if trace.mode == "markers" and trace.customdata is not None)
    assert [row[2] for row in hovers.customdata] == [4, 2, 1, 1]
    assert list(hovers.customdata[0][:2]) == ["A Party (France)", "B Party (Kenya)"]
    assert list(hovers.customdata[3][:2]) == [
        "C Party (Brazil)",
        f"{HOSTILE} (International organisations)".replace("<", "&lt;").replace(">", "&gt;").replace(" & ", " &amp; "),
    ]


def test_a_hostile_name_is_drawn_as_text():
    fig = charts.co_attendance_chart(PAIRS)
    text = str(fig.to_dict()["data"])
    assert "<b>Bold" not in text and "<a href" not in text
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;a href=x&gt;Party&lt;/a&gt;" in text


def test_only_the_strongest_pairs_are_drawn():
    fig = charts.co_attendance_chart(PAIRS, top=1)
    nodes = [trace for trace in fig.data if trace.mode == "markers+text"]
    assert sum(len(trace.x) for trace in nodes) == 2


def test_chinese_names_and_an_empty_frame():
    with i18n.using("zh"):
        fig = charts.co_attendance_chart(PAIRS)
        names = [row[0] for trace in fig.data if trace.mode == "markers+text" for row in trace.customdata]
        assert "甲党（法国）" in names
        assert fig.layout.title.text == "在同一多边活动中会见的政党"
        empty = charts.co_attendance_chart(PAIRS.iloc[0:0])
    assert charts.is_empty(empty)
