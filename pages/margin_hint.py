"""A left-margin hint for a chart drawn on screen, so Plotly draws it once instead of twice.

Every axis of the chart template has ``automargin``: Plotly draws the chart, finds that the
y-axis tick labels need more room than the margin, widens the margin and draws the whole chart a
second time. Streamlit mounts a new chart whenever its figure changes (a filter change changes
them all), so on every page run each chart paid that second draw: about half its drawing time in
the browser (docs/bench-browser.md, "Where the time goes").

``with_margin_hint(fig)`` returns the figure with ``layout.margin.l`` set to the room the left
axes' labels will take, measured with the chart's first font (DejaVu Sans, as the template names
it). Automargin stays on: where the hint falls short (another font, Chinese labels) Plotly still
widens the margin, as before; where it is a few pixels over, the plot starts that much further
right. Nothing else in the figure changes, and exports keep the figure as built.
"""

from __future__ import annotations

import functools
import html
import math

import plotly.graph_objects as go

# The template's tick font (analytics.charts: font size 13) and the room Plotly adds around the
# labels (tick mark, padding), and for an axis title (standoff 8, title font 12), measured in
# Chromium on the demo charts.
TICK_FONT_SIZE = 13
LABEL_PAD = 20
TITLE_PAD = 17
SAFETY = 2
# Plotly pads an axis range of bars and lines by about 5% above the highest value.
RANGE_PAD = 1.06


@functools.lru_cache(maxsize=8)
def _font(size: float):
    try:
        from PIL import ImageFont

        return ImageFont.truetype("DejaVuSans.ttf", size)
    except (ImportError, OSError):  # no Pillow or no DejaVu Sans here: no hint
        return None


@functools.lru_cache(maxsize=4096)
def text_width(text: str, size: float = TICK_FONT_SIZE) -> float:
    """The width in pixels of a label in the template's tick font at ``size`` (the widest line
    of a label broken with <br>)."""
    font = _font(size)
    if font is None:
        return math.nan
    lines = html.unescape(text).replace("<br />", "<br>").split("<br>")
    return max(font.getlength(line) for line in lines)


def _axis_ref(name: str) -> str:
    """'yaxis2' -> 'y2', 'yaxis' -> 'y'."""
    return "y" + name[len("yaxis") :]


def _numeric_label(layout: dict, axis: dict, traces: list[dict]) -> str | None:
    """The widest tick label a numeric axis will show, with its digits as '0'."""
    fmt = str(axis.get("tickformat") or "")
    if "%" in fmt:
        return "100%"
    if axis.get("range"):
        top = max(abs(float(v)) for v in axis["range"] if v is not None)
    else:
        tops = []
        stacked: dict = {}
        for trace in traces:
            ys = [v for v in (trace.get("y") or []) if isinstance(v, int | float) and not isinstance(v, bool)]
            if not ys:
                continue
            if trace.get("type") == "bar" and layout.get("barmode") in ("stack", "relative"):
                for x, y in zip(trace.get("x") or [], trace.get("y") or [], strict=False):
                    if isinstance(y, int | float):
                        stacked[x] = stacked.get(x, 0) + y
            else:
                tops.append(max(abs(v) for v in ys))
        if stacked:
            tops.append(max(stacked.values()))
        if not tops:
            return None
        top = max(tops) * RANGE_PAD
    digits = f"{int(top):,}" if top >= 1 else "0.0"
    return "".join("0" if c.isdigit() else c for c in digits)


def _category_labels(axis: dict, traces: list[dict]) -> list[str] | None:
    if axis.get("ticktext"):
        return [str(v) for v in axis["ticktext"]]
    labels = [str(v) for trace in traces for v in (trace.get("y") or []) if isinstance(v, str)]
    return labels or None


def left_margin(figure: dict) -> int | None:
    """The left margin the y axes at the left edge of ``figure`` (a figure dict) will need, or
    None when it cannot be told (no such axis, a map, no font)."""
    layout = figure.get("layout") or {}
    data = figure.get("data") or []
    widths = []
    names = {name for name in layout if name.startswith("yaxis")}
    names |= {"yaxis" + str(trace.get("yaxis") or "y")[1:] for trace in data}
    for name in sorted(names):
        axis = layout.get(name) or {}
        if not isinstance(axis, dict) or axis.get("side") == "right":
            continue
        if axis.get("visible") is False or axis.get("overlaying"):
            continue
        ref = _axis_ref(name)
        traces = [trace for trace in data if (trace.get("yaxis") or "y") == ref]
        x_name = "xaxis" + str(axis.get("anchor", "x"))[1:]
        domain = (layout.get(x_name) or {}).get("domain") or [0, 1]
        if domain[0] > 0.05 or not traces:  # a panel of the right column: its labels stay inside
            continue
        if any(t.get("type") not in ("bar", "scatter", "heatmap") for t in traces):
            return None
        categorical = (
            axis.get("type") == "category"
            or axis.get("ticktext")
            or any(t.get("orientation") == "h" or t.get("type") == "heatmap" for t in traces)
        )
        size = (axis.get("tickfont") or {}).get("size") or TICK_FONT_SIZE
        if categorical:
            labels = _category_labels(axis, traces)
            if not labels:
                return None
            width = max(text_width(label, size) for label in labels)
        else:
            label = _numeric_label(layout, axis, traces)
            if label is None:
                return None
            width = text_width(label, size)
        title = axis.get("title") or {}
        titled = bool(title.get("text") if isinstance(title, dict) else title)
        standoff = axis.get("ticklabelstandoff") or 0
        widths.append(width + standoff + LABEL_PAD + (TITLE_PAD if titled else 0))
    if not widths or any(math.isnan(w) for w in widths):
        return None
    return math.ceil(max(widths)) + SAFETY


def with_margin_hint(fig: go.Figure) -> go.Figure:
    """``fig`` with its left margin set to what its left axes' labels need (see the module), or
    ``fig`` itself when no hint can be told or the margin is already wider."""
    figure = fig.to_plotly_json()
    hint = left_margin(figure)
    layout = figure.get("layout") or {}
    margin = dict(layout.get("margin") or {})
    if hint is None or hint <= (margin.get("l") or 0):
        return fig
    margin["l"] = hint
    return go.Figure({**figure, "layout": {**layout, "margin": margin}}, _validate=False)
