"""Chart builders: one function per figure, each ``DataFrame -> plotly Figure``, no I/O, no UI.

Every builder takes the DataFrame a metric returns (``analytics.metrics``) and draws it with
the shared template ``"ledger"`` registered here: a colour-blind-safe palette (Okabe-Ito and
Paul Tol's "muted" set), one fixed colour per party family, region and vocabulary code that
is the same on every chart, and fonts installed on the machine (DejaVu Sans, Liberation Sans;
no web fonts). Builders give the figure a title that says what is counted; ``annotate`` adds
the line saying for which filters and the footnote with the source and "Demo data".
Every word comes from the message catalogue (``analytics/locale/*/LC_MESSAGES/charts.po``) in
the current language (``analytics.i18n``): vocabulary codes through their labels, regions and
countries through their names in the language, party names as recorded (``party_zh`` in Chinese
when the frame has it). Hover numbers use Plotly's locale-neutral formats (``%{y:,}``).
The chart catalog (``analytics.chart_catalog``) pairs each builder with its metric; the
pages and the exports draw through the catalog. Tests read ``fig.data`` and ``fig.layout``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analytics import dimensions, reference, vocab
from analytics.i18n import current, number, region_name, t, vocabulary_label
from analytics.untrusted import LABEL_LIMIT, plotly_literal, short_label

TEMPLATE = "ledger"
# Latin faces first (the English charts look as before), then a CJK face for Chinese (Noto Sans CJK
# SC or WenQuanYi Zen Hei, installed by scripts/setup.sh; Microsoft YaHei and PingFang SC where a
# browser on Windows or macOS opens an HTML export), then colour emoji for party names: the browser
# (and so Kaleido) draws each character with the first face that has it.
FONT_FAMILY = (
    "DejaVu Sans, Liberation Sans, Arial, WenQuanYi Zen Hei, Noto Sans CJK SC, Microsoft YaHei, "
    "PingFang SC, Noto Color Emoji, sans-serif"
)
TEXT_COLOUR = "#1b1f24"
MUTED_TEXT = "#5b6470"
GRID_COLOUR = "#e3e6ea"
ACCENT = "#1f4e79"  # the app's primary colour (.streamlit/config.toml)
ROLLING_COLOUR = "#E69F00"
RISE_COLOUR = "#0072B2"  # Okabe-Ito blue
FALL_COLOUR = "#D55E00"  # Okabe-Ito vermillion
PERIOD_A_COLOUR = "#9aa5b1"
PERIOD_B_COLOUR = "#1f4e79"


# Sequential scale for counts (light to dark blue; readable for every colour vision).
def _scale(colours: Sequence[str]) -> list[list]:
    """A plotly colorscale [[position, colour], ...] from evenly spaced colours (written out in
    full: the figures are not validated, and plotly.js does not read a bare list of colours)."""
    return [[i / (len(colours) - 1), c] for i, c in enumerate(colours)]


SEQUENTIAL = _scale(["#f4f8fb", "#c6dbef", "#8fbbd9", "#4a8fc0", "#1f5f99", "#0b3766"])
# Maps: the lowest count is still clearly blue, so it never reads as "no exchange" (grey land).
MAP_SCALE = _scale(["#cfe1f2", "#9ec4e4", "#6aa5d2", "#3b7fb9", "#1a5590", "#0b3766"])
NO_DATA_LAND = "#e9ebee"


def empty_message() -> str:
    """'No exchanges match these filters.' in the current language."""
    return t("chart.empty")


class _Words(Mapping[str, str]):
    """A mapping whose values are read from the catalogue on each lookup, so a module-level table
    of labels follows the language of the run (``DIMENSION_NAMES["region"]`` is 'Region' or '地区')."""

    def __init__(self, labels: Mapping[str, Callable[[], str]]):
        self._labels = dict(labels)

    def __getitem__(self, key: str) -> str:
        return self._labels[key]()

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


def _dimension_label(d: dimensions.Dimension) -> Callable[[], str]:
    return lambda: d.label


def _message(key: str) -> Callable[[], str]:
    return lambda: t(key)


# Colours and category order of each dimension: views of the dimension registry, where every code
# has one fixed colour, the same on every chart.
DIMENSION_COLOURS: dict[str, Mapping[str, str]] = {d.name: d.colours for d in dimensions.ALL if d.colours}
DIMENSION_ORDER: dict[str, tuple[str, ...]] = {d.name: d.category_order for d in dimensions.ALL if d.category_order}
# What a chart calls a column: the dimension labels, and the name columns beside them.
DIMENSION_NAMES: Mapping[str, str] = _Words(
    {
        **{d.name: _dimension_label(d) for d in dimensions.ALL},
        "country": _message("chart.name.country"),
        "party": _message("chart.name.party"),
    }
)
FALLBACK_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#882255")
MEASURE_NAMES: Mapping[str, str] = _Words(
    {
        "exchanges": _message("chart.measure.exchanges"),
        "events": _message("chart.measure.events"),
        "parties": _message("chart.measure.parties"),
        "countries": _message("chart.measure.countries"),
    }
)
# How many of a measure, with a Plotly number placeholder or a number: '%{y:,} exchanges'.
COUNT_KEYS: Mapping[str, str] = {
    "exchanges": "chart.count.exchanges",
    "events": "chart.count.events",
    "parties": "chart.count.parties",
    "countries": "chart.count.countries",
}
# The measure as a noun inside a sentence: 'of all parties matching the filters'.
NOUN_KEYS: Mapping[str, str] = {
    "exchanges": "chart.noun.exchanges",
    "events": "chart.noun.events",
    "parties": "chart.noun.parties",
    "countries": "chart.noun.countries",
}


def count(measure: str, value: object) -> str:
    """'12 exchanges' / '交往12次' for a measure, ``value`` a number or a Plotly placeholder."""
    shown = number(value) if isinstance(value, int | float) else value
    return t(COUNT_KEYS[measure], count=shown) if measure in COUNT_KEYS else f"{shown} {measure}"


def _register_template() -> None:
    axis = dict(
        gridcolor=GRID_COLOUR,
        linecolor="#b8bec6",
        zerolinecolor="#b8bec6",
        ticks="outside",
        tickcolor="#b8bec6",
        title=dict(standoff=8, font=dict(size=12, color=MUTED_TEXT)),
        automargin=True,
    )
    template = go.layout.Template()
    template.layout = go.Layout(
        font=dict(family=FONT_FAMILY, size=13, color=TEXT_COLOUR),
        title=dict(x=0, xanchor="left", xref="container", pad=dict(l=12), font=dict(size=17, color=TEXT_COLOUR)),
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(FALLBACK_COLOURS),
        xaxis=dict(axis, showgrid=False),  # no thousands separator here: years are on x
        yaxis=dict(axis, showgrid=True, separatethousands=True),
        # Legends stand at the right of the plot: plotly widens the margin to fit them, where a
        # legend above the plot would collide with a two-line title when it wraps.
        legend=dict(
            orientation="v",
            x=1.01,
            xanchor="left",
            y=1.0,
            yanchor="top",
            font=dict(size=12),
            title=dict(text=""),
            traceorder="normal",
            itemclick="toggleothers",
            itemdoubleclick="toggle",
        ),
        hoverlabel=dict(font=dict(family=FONT_FAMILY, size=12), bgcolor="white", bordercolor="#8f98a3"),
        margin=dict(l=12, r=16, t=96, b=64),
        separators=".,",
        bargap=0.18,
        geo=dict(
            showframe=False,
            showcoastlines=False,
            showland=True,
            landcolor=NO_DATA_LAND,
            showcountries=True,
            countrycolor="white",
            countrywidth=0.5,
            showocean=False,
            showlakes=False,
            bgcolor="white",
            projection=dict(type="natural earth"),
        ),
        coloraxis=dict(colorbar=dict(thickness=12, outlinewidth=0, tickfont=dict(size=11))),
    )
    pio.templates[TEMPLATE] = template


_register_template()
# Every figure carries the template itself (not plotly's process-wide default, which Streamlit
# sets to its own theme when it loads).
_TEMPLATE_JSON = pio.templates[TEMPLATE].to_plotly_json()


# ---------------------------------------------------------------------------------------------
# Shared helpers


def colour(dimension: str, code: str, index: int = 0) -> str:
    """The fixed colour of a code (a family, region, status, form, direction or level)."""
    colours = DIMENSION_COLOURS.get(dimension, {})
    return colours.get(code, FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)])


def category_label(dimension: str, code: str) -> str:
    """What a category is called on a chart, in the current language: the vocabulary label, the
    region's or country's name, or the value itself."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return t("chart.none")
    if dimension == "country_iso3":
        return reference.country_label(code)
    if dimension == "country":
        return reference.country_label(None, code)
    if dimension in ("region", "subregion"):
        return region_name(str(code))
    return vocabulary_label(code) if dimensions.coded(dimension) else str(code)


def display_party(frame: pd.DataFrame) -> list[str]:
    """The party names of a frame as a chart shows them: the name recorded in Chinese
    (``party_zh``) in a Chinese chart when the frame has one, else the name as recorded."""
    names = frame["party"].fillna("").astype(str).tolist()
    if current() != "zh" or "party_zh" not in frame.columns:
        return names
    chinese = frame["party_zh"].fillna("").astype(str).str.strip().tolist()
    return [zh or name for name, zh in zip(names, chinese, strict=True)]


def display_countries(frame: pd.DataFrame) -> list[str]:
    """The country names of a frame (``country_iso3`` and ``country``) as a chart shows them."""
    codes = frame["country_iso3"] if "country_iso3" in frame else pd.Series([None] * len(frame), index=frame.index)
    return [reference.country_label(code, name) for code, name in zip(codes, frame["country"], strict=True)]


def ordered_categories(dimension: str, present: Sequence[str]) -> list[str]:
    """The codes present, in vocabulary order (unknown codes last, in their given order)."""
    order = DIMENSION_ORDER.get(dimension, ())
    present = list(dict.fromkeys(present))
    known = [code for code in order if code in present]
    return known + [code for code in present if code not in order]


def _expand(props: dict) -> dict:
    """Plotly's "magic underscore" keys as nested dicts: {'xaxis_title_text': 'E'} ->
    {'xaxis': {'title': {'text': 'E'}}} (no plotly property name has an underscore)."""
    out: dict = {}
    for key, value in props.items():
        *parents, last = key.split("_")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = _expand(value) if isinstance(value, dict) else value
    return out


def _merge(target: dict, update: dict) -> dict:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target


class _Draft:
    """A figure being drawn, as plain dicts: a plotly ``Figure`` validates and copies on every
    ``add_*``/``update_layout`` call, which cost 30 to 150 ms per chart; this costs about one.
    ``figure()`` wraps the result without validation; tests/test_charts.py validates every
    catalog chart strictly instead."""

    def __init__(self, layout: dict):
        self.data: list[dict] = []
        self.layout = {"template": _TEMPLATE_JSON, **_expand(layout)}

    def add(self, kind: str, **props) -> None:
        """One trace of type ``kind`` (bar, scatter, heatmap, choropleth); columns become lists."""
        self.data.append({"type": kind, **_expand({key: _plain(value) for key, value in props.items()})})

    def update_layout(self, update: dict | None = None, **props) -> None:
        _merge(self.layout, _expand({**(update or {}), **props}))

    def add_annotation(self, **props) -> None:
        self.layout.setdefault("annotations", []).append(_expand(props))

    def update_geos(self, **props) -> None:
        _merge(self.layout.setdefault("geo", {}), _expand(props))

    def figure(self) -> go.Figure:
        return go.Figure({"data": self.data, "layout": self.layout}, _validate=False)


def _new_figure(title: str, *, height: int = 440, layout: dict | None = None) -> _Draft:
    """A new chart with its title (what is counted); the template is the process default."""
    return _Draft(dict(height=height, title=dict(text=_escape(title)), **(layout or {})))


def _plain(value):
    """Columns and arrays as plain lists (the figure is not validated, so nothing converts them)."""
    if isinstance(value, pd.DataFrame):
        return value.to_numpy().tolist()
    if isinstance(value, pd.Series | pd.Index | np.ndarray):
        return value.tolist()
    return value


def _add(fig: _Draft, kind: str, **props) -> None:
    """Add one trace of type ``kind`` (bar, scatter, heatmap, choropleth) from plain values."""
    fig.add(kind, **props)


def plotly_text(text: str) -> str:
    """Text for a Plotly title or label, drawn as typed (never markup)."""
    return _escape(text)


def _escape(text: str) -> str:
    """Text from the ledger, a file or a user, for any Plotly text: drawn as typed, never markup."""
    return plotly_literal(text)


def _legend_name(text: str) -> str:
    """A legend entry: escaped, and cut to ``LABEL_LIMIT`` characters."""
    return _escape(short_label(text))


def _category_axis(
    fig: _Draft, labels: Sequence[str], axis: str = "yaxis", *, wrap: bool = False, shown: Sequence[str] | None = None
) -> list[str]:
    """The category values of an axis of ledger labels: each label escaped in full (so two long
    names that share a prefix stay two categories, and the hover shows the whole name), drawn as
    its first ``LABEL_LIMIT`` characters when it is longer, or as ``shown`` (already short) when given."""
    keys = [_escape(label) for label in labels]
    shown = (
        [_escape(text) for text in shown] if shown is not None else [_escape(short_label(label)) for label in labels]
    )
    if wrap:
        shown = [_wrap(text) for text in shown]
    if any(len(str(label)) > LABEL_LIMIT for label in labels):
        fig.update_layout({axis: dict(tickmode="array", tickvals=keys, ticktext=shown)})
    elif wrap:
        return shown
    return keys


def empty_figure(title: str, message: str | None = None, *, height: int = 320) -> go.Figure:
    """A figure that says there is nothing to draw (no axes, one centred message; by default
    ``empty_message()``)."""
    message = empty_message() if message is None else message
    fig = _new_figure(title, height=height)
    fig.update_layout(xaxis=dict(visible=False), yaxis=dict(visible=False))
    fig.add_annotation(
        text=_escape(message),
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font=dict(size=15, color=MUTED_TEXT),
    )
    fig.update_layout(meta={"empty": True})
    return fig.figure()


def is_empty(fig: go.Figure) -> bool:
    """True for a figure made by ``empty_figure``."""
    return isinstance(fig.layout.meta, dict) and bool(fig.layout.meta.get("empty"))


def _clickable(fig: _Draft, dimension: str, source: str, index: int = 0) -> None:
    """Record where a clicked point's key is: ``source`` is 'customdata' (item ``index``),
    'meta' (the trace's meta), 'locations' or 'y'. Read back by ``selection_key``."""
    fig.layout.setdefault("meta", {})["click"] = {"dimension": dimension, "source": source, "index": index}


def click_dimension(fig: go.Figure) -> str | None:
    """The dimension a click on this figure selects (region, party_family, country_iso3, party...)."""
    meta = fig.layout.meta
    return meta["click"]["dimension"] if isinstance(meta, dict) and "click" in meta else None


def selection_key(fig: go.Figure, point: dict) -> str | None:
    """The code of the clicked point (a region, family, ISO3 code, party key...), or None.

    ``point`` is one item of ``st.plotly_chart``'s selection: only its ``curve_number`` and
    ``point_index`` (or ``point_number``) are used, so the key comes from the figure itself.
    """
    meta = fig.layout.meta
    if not isinstance(meta, dict) or "click" not in meta:
        return None
    click = meta["click"]
    curve = point.get("curve_number", point.get("curveNumber"))
    index = point.get("point_index", point.get("point_number", point.get("pointIndex", point.get("pointNumber"))))
    if curve is None or not 0 <= int(curve) < len(fig.data):
        return None
    trace = fig.data[int(curve)]
    if click["source"] == "meta":
        return None if trace.meta is None else str(trace.meta)
    if index is None:
        return None
    index = int(index)
    source = click["source"]
    values = trace[source] if source in ("customdata", "locations", "y") and source in trace else None
    if values is None or not 0 <= index < len(values):
        return None
    value = values[index]
    if click["source"] == "customdata":
        value = value[click["index"]]
    return None if value is None else str(value)


def annotate(fig: go.Figure, *, subtitle: str = "", footnote: str = "") -> go.Figure:
    """Add the filters line under the title and the source/demo footnote under the plot."""
    title = fig.layout.title.text or ""
    title = title.split("<br>")[0]
    if subtitle:
        title += f"<br><span style='font-size:12.5px;color:{MUTED_TEXT}'>{_escape(subtitle)}</span>"
    fig.update_layout(title=dict(text=title))
    if footnote:
        # Under the plot: left-aligned when a legend stands at the right (it may run on under the
        # legend), else right-aligned (it may run left under the axis labels); never off the figure.
        is_map = any(trace.type == "choropleth" for trace in fig.data)
        titled = any(axis.title.text for axis in fig.select_xaxes())
        shift = -24 if is_map else (-50 if titled else -32)
        left = _has_legend(fig)
        lines = footnote.split("\n")
        fig.add_annotation(
            text="<br>".join(_escape(line) for line in lines),
            name="footnote",  # i18n: not text (the annotation's identifier)
            xref="paper",
            yref="paper",
            x=0 if left else 1,
            y=0,
            xanchor="left" if left else "right",
            yanchor="top",
            yshift=shift,
            showarrow=False,
            align="left" if left else "right",
            font=dict(size=11, color=MUTED_TEXT),
        )
        margin_b = fig.layout.margin.b if fig.layout.margin.b is not None else 64
        fig.update_layout(margin=dict(b=max(margin_b, -shift + 10 + 14 * len(lines))))
    return fig


def _has_legend(fig: go.Figure) -> bool:
    if fig.layout.showlegend is False:
        return False
    shown = [t for t in fig.data if t.showlegend is not False and t.type != "heatmap"]
    return len(shown) >= 2 or any(t.showlegend for t in fig.data)


def footnote_text(fig: go.Figure) -> str:
    """The footnote of an annotated figure as plain text, lines joined by ' · ' ('' when none)."""
    for note in fig.layout.annotations:
        if note.name == "footnote":
            return html.unescape(note.text.replace("<br>", " · "))
    return ""


def _year_ticks(fig: _Draft, years: int, *, axes: Sequence[str] = ("",)) -> None:
    """Whole years on the x axes: every year on a short span, else plotly's spacing for the width
    (a fixed 5-year step would crowd and tilt the labels in a half-width chart)."""
    ticks = dict(dtick=1, tickformat="d") if years <= 12 else dict(tickformat="d", nticks=8, tickangle=0)
    fig.update_layout({f"xaxis{suffix}": ticks for suffix in axes})


def add_era_markers(
    fig: _Draft, eras: pd.DataFrame | None, years: Sequence[int], *, axes: Sequence[str] = ("",), labels: bool = True
) -> None:
    """Dotted vertical lines with short labels at the eras inside the plotted years.

    ``axes``: the x-axis suffixes to mark ('' for x, '2' for x2, ...); labels go on the first.
    Shapes are added in one layout update (``add_vline`` is slow for many markers).
    """
    if eras is None or eras.empty or not len(years):
        return
    first, last = min(years), max(years)
    shown = eras[(eras["year"] >= first) & (eras["year"] <= last)].reset_index(drop=True)
    label_column, description_column = ("label_zh", "description_zh") if current() == "zh" else ("label", "description")
    shapes, notes = list(fig.layout.get("shapes", [])), list(fig.layout.get("annotations", []))
    for i, era in shown.iterrows():
        year = int(era["year"])
        for axis in axes:
            shapes.append(
                dict(
                    type="line",
                    x0=year,
                    x1=year,
                    xref=f"x{axis}",
                    y0=0,
                    y1=1,
                    yref=f"y{axis} domain",
                    line=dict(color="#7d8793", width=1, dash="dot"),
                    layer="below",
                )
            )
        if labels:
            # The language's label and description; the English ones where the file has no label
            # in this language (a row added by hand), so label and description never mix.
            columns = (label_column, description_column) if _text(era.get(label_column)) else ("label", "description")
            label = _text(era[columns[0]])
            description = _text(era.get(columns[1])) or label
            notes.append(
                dict(
                    name="era",  # i18n: not text (the annotation's identifier; export places era labels)
                    x=year,
                    y=1.0 if i % 2 == 0 else 0.935,
                    xref=f"x{axes[0]}",
                    yref=f"y{axes[0]} domain",
                    yanchor="top",
                    xanchor="left",
                    text=_escape(label),
                    showarrow=False,
                    xshift=2,
                    font=dict(size=10, color=MUTED_TEXT),
                    bgcolor="rgba(255,255,255,0.8)",
                    hovertext=_escape(t("chart.era.hover", year=year, text=description)),
                )
            )
    if shapes:
        fig.update_layout(shapes=shapes, annotations=notes)
    if labels:
        # Era labels are text on the x axis, which plotly would widen to hold them (an empty 2030):
        # the axis ends half a year after the last year with data.
        fig.update_layout({f"xaxis{axis}": dict(range=[first - 0.5, last + 0.5]) for axis in axes})


def _text(value: object) -> str:
    """A cell as text: '' for a missing value (None, NaN)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


ERA_HEADROOM = 1.18  # the y range leaves this much room above the data for the era labels


def _headroom(fig: _Draft, top: float, *, share: bool = False, fraction: bool = False) -> None:
    """Raise the y range so the era labels at the top of the plot do not cover the data
    (``fraction``: a share line, whose top is the largest share, not a count of at least 1)."""
    if share:
        fig.update_layout(yaxis=dict(range=[0, ERA_HEADROOM * top], tickvals=[0, 0.25, 0.5, 0.75, 1.0]))
    elif fraction:
        fig.update_layout(yaxis=dict(range=[0, ERA_HEADROOM * min(max(float(top), 0.05), 1.0)]))
    else:
        fig.update_layout(yaxis=dict(range=[0, ERA_HEADROOM * max(float(top), 1.0)]))


def _pct(value) -> str:
    """A percent change as the metrics give it (e.g. 12.5 for +12.5 %) in words: '+13%'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.0f}%"


def colour_ticks(low: float, high: float, steps: int = 4) -> dict:
    """A colour bar's ticks: round numbers from ``low`` and the maximum itself (a round number
    too close to it gives way), written like every other count ('1,600')."""
    low, high = float(low), float(high)
    if high <= low:
        return dict(tickmode="array", tickvals=[high], ticktext=[number(int(round(high)))])
    raw = (high - low) / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.ceil(low / step) * step
    values = [start + i * step for i in range(int((high - start) // step) + 1)]
    values = [v for v in values if high - v > 0.35 * step] + [high]
    text = [number(int(round(v))) if float(v).is_integer() or v > 10 else f"{v:g}" for v in values]
    return dict(tickmode="array", tickvals=values, ticktext=text)


def _fmt_int(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return number(int(value))


# ---------------------------------------------------------------------------------------------
# Time series


def exchanges_per_year_chart(
    df: pd.DataFrame, eras: pd.DataFrame | None = None, *, rolling: bool = True, title: str | None = None
) -> go.Figure:
    """Bars of exchanges per year, the 3-year rolling mean as a line, era markers.

    ``df``: ``metrics.exchanges_per_year`` (year, exchanges, events, parties, countries,
    exchanges_change, exchanges_change_pct, exchanges_rolling3).
    """
    title = title or t("chart.exchanges_per_year.title")
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title)
    fig = _new_figure(title)
    custom = df[["events", "parties", "countries"]].to_numpy()
    change = [_pct(v) for v in df.get("exchanges_change_pct", pd.Series([None] * len(df)))]
    custom = [[*row, ch] for row, ch in zip(custom.tolist(), change, strict=True)]
    _add(
        fig,
        "bar",
        x=df["year"],
        y=df["exchanges"],
        name=t("chart.measure.exchanges"),
        marker_color=ACCENT,
        customdata=custom,
        hovertemplate=(
            f"<b>%{{x}}</b><br>{count('exchanges', '%{y:,}')}<br>{count('events', '%{customdata[0]:,}')} · "
            f"{count('parties', '%{customdata[1]:,}')} · {count('countries', '%{customdata[2]:,}')}<br>"
            f"{t('chart.hover.change_on_previous_year', change='%{customdata[3]}')}<extra></extra>"
        ),
    )
    if rolling and "exchanges_rolling3" in df and len(df) >= 3:
        _add(
            fig,
            "scatter",
            x=df["year"],
            y=df["exchanges_rolling3"],
            name=t("chart.rolling_mean"),
            mode="lines",
            line=dict(color=ROLLING_COLOUR, width=2.5),
            hovertemplate=f"<b>%{{x}}</b><br>{_value(t('chart.rolling_mean'), '%{y:,.1f}')}<extra></extra>",
        )
    add_era_markers(fig, eras, df["year"].tolist())
    if eras is not None and not eras.empty:
        _headroom(fig, max(df["exchanges"].max(), df.get("exchanges_rolling3", df["exchanges"]).max()))
    fig.update_layout(yaxis_title_text=t("chart.measure.exchanges"), hovermode="closest")
    _year_ticks(fig, len(df))
    return fig.figure()


# The panels of the activity chart: (column, key of the panel title, key of the hover's count).
ACTIVITY_MEASURES = (
    ("exchanges", "chart.activity.exchanges", "chart.count.exchanges"),
    ("events", "chart.activity.events", "chart.count.events"),
    ("parties", "chart.activity.parties", "chart.count.distinct_parties"),
    ("countries", "chart.activity.countries", "chart.count.distinct_countries"),
)


def _value(name: str, value: str) -> str:
    """'Name: value' in the language's punctuation ('名称：数值')."""
    return t("chart.hover.value", name=name, value=value)


def _panels(
    fig: _Draft,
    rows: list[tuple[float, float]],
    cols: list[tuple[float, float]],
    titles: Sequence[str],
    *,
    share_x: bool = True,
) -> list[str]:
    """Lay out a grid of subplots by hand (``make_subplots`` is slow); returns each panel's
    axis suffix ('' , '2', ...) row by row. ``rows`` and ``cols`` are (start, end) domains."""
    layout, notes, suffixes = {}, list(fig.layout.get("annotations", [])), []
    for r, ydomain in enumerate(rows):
        for c, xdomain in enumerate(cols):
            n = r * len(cols) + c + 1
            suffix = "" if n == 1 else str(n)
            suffixes.append(suffix)
            xaxis: dict[str, object] = {"domain": list(xdomain), "anchor": f"y{suffix}"}
            if share_x and n > 1:
                xaxis["matches"] = "x"
            layout[f"xaxis{suffix}"] = xaxis
            layout[f"yaxis{suffix}"] = dict(
                domain=list(ydomain), anchor=f"x{suffix}", rangemode="tozero", separatethousands=True
            )
            if n - 1 < len(titles):
                notes.append(
                    dict(
                        text=_escape(titles[n - 1]),
                        x=xdomain[0],
                        y=ydomain[1],
                        xref="paper",
                        yref="paper",
                        xanchor="left",
                        yanchor="bottom",
                        showarrow=False,
                        font=dict(size=12, color=MUTED_TEXT),
                    )
                )
    fig.update_layout(annotations=notes, **layout)
    return suffixes


def activity_per_year_chart(df: pd.DataFrame, eras: pd.DataFrame | None = None) -> go.Figure:
    """Small multiples of exchanges, events, parties and countries per year."""
    title = t("chart.activity_per_year.title")
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title)
    fig = _new_figure(title, height=520, layout=dict(showlegend=False))
    suffixes = _panels(
        fig, [(0.58, 1.0), (0.0, 0.42)], [(0.0, 0.46), (0.54, 1.0)], [t(key) for _, key, _ in ACTIVITY_MEASURES]
    )
    for suffix, (column, label_key, count_key) in zip(suffixes, ACTIVITY_MEASURES, strict=True):
        _add(
            fig,
            "scatter",
            x=df["year"],
            y=df[column],
            mode="lines",
            name=_legend_name(t(label_key)),
            line=dict(color=ACCENT, width=2),
            fill="tozeroy",
            fillcolor="rgba(31,78,121,0.12)",
            xaxis=f"x{suffix}",
            yaxis=f"y{suffix}",
            hovertemplate=f"<b>%{{x}}</b><br>{t(count_key, count='%{y:,}')}<extra></extra>",
        )
    add_era_markers(fig, eras, df["year"].tolist(), axes=tuple(suffixes), labels=False)
    _year_ticks(fig, len(df), axes=suffixes)
    return fig.figure()


def breakdown_per_year_chart(
    df: pd.DataFrame,
    dimension: str,
    *,
    share: bool = False,
    title: str | None = None,
    eras: pd.DataFrame | None = None,
) -> go.Figure:
    """Stacked bars per year by category (counts, or 100% shares when ``share``).

    ``df``: ``metrics.breakdown(..., per_year=True)`` (year, <dimension>, exchanges, share).
    """
    name = DIMENSION_NAMES.get(dimension, dimension).lower()
    title = title or (
        t("chart.per_year.share_title", dimension=name) if share else t("chart.per_year.title", dimension=name)
    )
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title)
    fig = _new_figure(title, height=470)
    years = sorted(df["year"].unique())
    all_counts = df.pivot(index="year", columns=dimension, values="exchanges").reindex(years).fillna(0)
    all_shares = df.pivot(index="year", columns=dimension, values="share").reindex(years).fillna(0)
    for i, code in enumerate(ordered_categories(dimension, df[dimension].tolist())):
        counts, shares = all_counts[code], all_shares[code]
        label = category_label(dimension, code)
        _add(
            fig,
            "bar",
            x=years,
            y=shares if share else counts,
            name=_legend_name(label),
            marker_color=colour(dimension, code, i),
            customdata=list(zip(counts.astype(int), shares, strict=True)),
            meta=code,
            hovertemplate=(
                f"<b>%{{x}}</b> · {_escape(label)}<br>{count('exchanges', '%{customdata[0]:,}')}<br>"
                f"{t('chart.hover.share_of_year', share='%{customdata[1]:.1%}')}<extra></extra>"
            ),
        )
    fig.update_layout(
        barmode="stack",
        bargap=0.08,
        yaxis_title_text=t("chart.share_of_exchanges") if share else t("chart.measure.exchanges"),
        legend=dict(traceorder="reversed"),
    )  # the legend reads top-down like the stack
    if share:
        fig.update_layout(yaxis=dict(tickformat=".0%", range=[0, 1]))
    add_era_markers(fig, eras, years)
    if eras is not None and not eras.empty:
        _headroom(fig, 1.0 if share else df.groupby("year")["exchanges"].sum().max(), share=share)
    _year_ticks(fig, len(years))
    _clickable(fig, dimension, "meta")
    return fig.figure()


def share_lines_chart(
    df: pd.DataFrame,
    dimension: str,
    *,
    codes: Sequence[str] | None = None,
    title: str | None = None,
    eras: pd.DataFrame | None = None,
) -> go.Figure:
    """Lines of each category's share of the year's exchanges (e.g. ruling vs opposition)."""
    name = DIMENSION_NAMES.get(dimension, dimension).lower()
    title = title or t("chart.per_year.share_title", dimension=name)
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title)
    fig = _new_figure(title)
    years = sorted(df["year"].unique())
    present = ordered_categories(dimension, df[dimension].tolist())
    all_counts = df.pivot(index="year", columns=dimension, values="exchanges").reindex(years).fillna(0)
    all_shares = df.pivot(index="year", columns=dimension, values="share").reindex(years).fillna(0)
    for i, code in enumerate(c for c in present if codes is None or c in codes):
        label = category_label(dimension, code)
        _add(
            fig,
            "scatter",
            x=years,
            y=all_shares[code],
            name=_legend_name(label),
            mode="lines",
            meta=code,
            line=dict(color=colour(dimension, code, i), width=2.5),
            customdata=all_counts[code].astype(int),
            hovertemplate=(
                f"<b>%{{x}}</b> · {_escape(label)}<br>{t('chart.hover.share_of_year_exchanges', share='%{y:.1%}')}"
                f"<br>{count('exchanges', '%{customdata:,}')}<extra></extra>"
            ),
        )
    fig.update_layout(yaxis=dict(tickformat=".0%", rangemode="tozero"))
    fig.update_layout(yaxis_title_text=t("chart.share_of_exchanges"), hovermode="x unified")
    add_era_markers(fig, eras, years)
    if eras is not None and not eras.empty:
        shown = df[df[dimension].isin(codes)] if codes is not None else df
        _headroom(fig, float(shown["share"].max()), fraction=True)
    _year_ticks(fig, len(years))
    _clickable(fig, dimension, "meta")
    return fig.figure()


def first_contacts_chart(df: pd.DataFrame, eras: pd.DataFrame | None = None) -> go.Figure:
    """First contacts in two panels: distinct parties and countries met so far (lines, top) and
    those met for the first time each year (bars, bottom).

    ``df``: ``metrics.first_contacts`` (year, new_parties, new_countries, cumulative_parties,
    cumulative_countries).
    """
    title = t("chart.first_contacts.figure_title")
    if df.empty or (df["new_parties"].sum() == 0 and df["cumulative_parties"].max() == 0):
        return empty_figure(title)
    fig = _new_figure(title, height=500, layout=dict(barmode="group", bargap=0.15))
    top, bottom = _panels(
        fig,
        [(0.52, 1.0), (0.0, 0.4)],
        [(0.0, 1.0)],
        [t("chart.first_contacts.so_far_panel"), t("chart.first_contacts.new_panel")],
    )
    for column, name, shade, dash, so_far, new_name, new in (
        (
            "parties",
            t("chart.measure.parties"),
            ACCENT,
            "solid",
            "chart.first_contacts.so_far.parties",
            "chart.first_contacts.new_name.parties",
            "chart.first_contacts.new.parties",
        ),
        (
            "countries",
            t("chart.measure.countries"),
            "#999933",
            "dash",
            "chart.first_contacts.so_far.countries",
            "chart.first_contacts.new_name.countries",
            "chart.first_contacts.new.countries",
        ),
    ):
        _add(
            fig,
            "scatter",
            x=df["year"],
            y=df[f"cumulative_{column}"],
            name=name,
            legendgroup=column,
            mode="lines",
            line=dict(color=shade, width=2.5, dash=dash),
            xaxis=f"x{top}",
            yaxis=f"y{top}",
            hovertemplate=f"<b>%{{x}}</b><br>{t(so_far, count='%{y:,}')}<extra></extra>",
        )
        _add(
            fig,
            "bar",
            x=df["year"],
            y=df[f"new_{column}"],
            name=t(new_name),
            legendgroup=column,
            showlegend=False,
            marker=dict(color=shade),
            opacity=0.85 if column == "parties" else 0.7,
            xaxis=f"x{bottom}",
            yaxis=f"y{bottom}",
            hovertemplate=f"<b>%{{x}}</b><br>{t(new, count='%{y:,}')}<extra></extra>",
        )
    add_era_markers(fig, eras, df["year"].tolist(), axes=(top, bottom), labels=False)
    _year_ticks(fig, len(df), axes=(top, bottom))
    fig.update_layout({f"xaxis{top}": dict(showticklabels=False)})  # the panels share the years below
    return fig.figure()


def concentration_chart(df: pd.DataFrame) -> go.Figure:
    """Share of each year's exchanges held by the top 10 countries and top 10 parties.

    ``df``: ``metrics.concentration`` (year, exchanges, top10_country_share, top10_party_share,
    hhi_country).
    """
    title = t("chart.concentration.figure_title")
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title)
    fig = _new_figure(title, height=400)
    hhi = df["hhi_country"].fillna(0)
    _add(
        fig,
        "scatter",
        x=df["year"],
        y=df["top10_country_share"],
        name=t("chart.concentration.countries"),
        mode="lines",
        line=dict(color="#0072B2", width=2.5),
        customdata=hhi,
        hovertemplate=f"<b>%{{x}}</b><br>{_value(t('chart.concentration.countries'), '%{y:.1%}')}<br>"
        f"{_value(t('chart.concentration.hhi'), '%{customdata:.3f}')}<extra></extra>",
    )
    _add(
        fig,
        "scatter",
        x=df["year"],
        y=df["top10_party_share"],
        name=t("chart.concentration.parties"),
        mode="lines",
        line=dict(color="#CC79A7", width=2.5),
        hovertemplate=f"<b>%{{x}}</b><br>{_value(t('chart.concentration.parties'), '%{y:.1%}')}<extra></extra>",
    )
    fig.update_layout(
        yaxis=dict(tickformat=".0%", range=[0, 1.02], title=dict(text=t("chart.share_of_year_exchanges")))
    )
    _year_ticks(fig, len(df))
    return fig.figure()


# ---------------------------------------------------------------------------------------------
# Categories


def breakdown_bar_chart(
    df: pd.DataFrame, dimension: str, *, title: str | None = None, top: int | None = None
) -> go.Figure:
    """Horizontal bars of exchanges per category, largest on top, each in its fixed colour.

    ``df``: ``metrics.breakdown`` (<dimension>, exchanges, share).
    """
    name = DIMENSION_NAMES.get(dimension, dimension).lower()
    title = title or t("chart.by.title", dimension=name)
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title)
    data = df.sort_values("exchanges", ascending=False)
    if top:
        data = data.head(top)
    data = data.iloc[::-1]
    colours = [colour(dimension, code, i) for i, code in enumerate(data[dimension])]
    fig = _new_figure(title, height=max(260, 120 + 30 * len(data)))
    labels = _category_axis(fig, [category_label(dimension, code) for code in data[dimension]])
    _add(
        fig,
        "bar",
        x=data["exchanges"],
        y=labels,
        orientation="h",
        marker_color=colours,
        customdata=data[[dimension, "share"]],
        text=[number(v) for v in data["exchanges"]],
        textposition="outside",
        cliponaxis=False,
        showlegend=False,
        hovertemplate=f"<b>%{{y}}</b><br>{count('exchanges', '%{x:,}')}<br>"
        f"{t('chart.hover.share_of_total', share='%{customdata[1]:.1%}')}<extra></extra>",
    )
    fig.update_layout(xaxis=dict(visible=False), yaxis_showgrid=False, margin=dict(r=60))
    _clickable(fig, dimension, "customdata", 0)
    return fig.figure()


def subregion_bar_chart(df: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Horizontal bars per sub-region, coloured by region, grouped by region.

    ``df``: ``metrics.by_subregion`` (subregion, region, exchanges, share).
    """
    title = title or t("chart.subregions.title")
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title)
    regions = ordered_categories("region", df["region"].tolist())
    data = df.assign(_order=df["region"].map({r: i for i, r in enumerate(regions)}))
    data = data.sort_values(["_order", "exchanges"], ascending=[False, True])
    fig = _new_figure(title, height=max(300, 140 + 24 * len(data)))
    for i, region in enumerate(regions):
        part = data[data["region"] == region]
        _add(
            fig,
            "bar",
            x=part["exchanges"],
            y=[_escape(region_name(name)) for name in part["subregion"]],
            orientation="h",
            name=_legend_name(region_name(region)),
            meta=region,
            showlegend=False,
            marker_color=colour("region", region, i),
            customdata=part[["subregion", "region", "share"]],
            text=[number(v) for v in part["exchanges"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"{t('chart.hover.in_place', name='<b>%{y}</b>', place=_escape(region_name(region)))}<br>{count('exchanges', '%{x:,}')}<br>"
            f"{t('chart.hover.share_of_total', share='%{customdata[2]:.1%}')}<extra></extra>",
        )
    fig.update_layout(
        xaxis=dict(visible=False),
        yaxis=dict(categoryorder="array", categoryarray=[_escape(region_name(n)) for n in data["subregion"]]),
        margin=dict(r=60),
    )
    _region_key(fig, regions)
    _clickable(fig, "subregion", "customdata", 0)
    return fig.figure()


def leaderboard_chart(
    df: pd.DataFrame, kind: str = "country", *, title: str | None = None, previous_label: str | None = None
) -> go.Figure:
    """Horizontal bars of the top countries or parties, coloured by region, with the change on
    the previous period in the hover.

    ``df``: ``metrics.leaderboard`` (rank, country_iso3, country, [party], exchanges, share,
    last_date, previous_exchanges, change, change_pct; region when present).
    """
    title = title or (t("chart.top_countries.title") if kind == "country" else t("chart.top_parties.title"))
    previous_label = previous_label or t("chart.previous_period")
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title)
    data = df.sort_values("exchanges", ascending=True)
    labels = _entity_labels(data, kind)
    regions = data["region"] if "region" in data else pd.Series([""] * len(data), index=data.index)
    parties = (
        [party_key(c, p) for c, p in zip(data["country_iso3"].fillna(""), data["party"], strict=True)]
        if kind == "party"
        else [""] * len(data)
    )
    custom = list(
        zip(
            data["country_iso3"].fillna(""),
            data["share"],
            [_fmt_int(v) for v in data.get("previous_exchanges", [])],
            [_pct(v) for v in data.get("change_pct", [None] * len(data))],
            regions,
            parties,
            strict=False,
        )
    )
    fig = _new_figure(title, height=max(280, 130 + 30 * len(data)))
    labels = _category_axis(fig, labels, shown=_entity_labels(data, kind, short=True))
    _add(
        fig,
        "bar",
        x=data["exchanges"],
        y=labels,
        orientation="h",
        showlegend=False,
        customdata=custom,
        marker_color=[colour("region", r or vocab.INTERNATIONAL_BUCKET) for r in regions],
        text=[number(v) for v in data["exchanges"]],
        textposition="outside",
        cliponaxis=False,
        hovertemplate=f"<b>%{{y}}</b><br>{t('chart.hover.count_and_share', count='%{x:,}', share='%{customdata[1]:.1%}')}"
        f"<br>{_value(_escape(previous_label), t('chart.hover.number_and_change', value='%{customdata[2]}', change='%{customdata[3]}'))}"
        "<extra></extra>",
    )
    fig.update_layout(xaxis=dict(visible=False), margin=dict(r=60))
    _region_key(fig, list(regions))
    if kind == "party":
        _clickable(fig, "party", "customdata", 5)
    else:
        _clickable(fig, "country_iso3", "customdata", 0)
    return fig.figure()


def _region_key(fig: _Draft, regions: Sequence[str]) -> None:
    """A legend naming the region of each colour of bars coloured by region: one legend-only
    entry per region present, in the regions' order (no data of its own, so clicks and hovers
    stay on the bars)."""
    for i, region in enumerate(ordered_categories("region", [r or vocab.INTERNATIONAL_BUCKET for r in regions])):
        _add(
            fig,
            "scatter",
            x=[None],
            y=[None],
            mode="markers",
            name=_legend_name(region_name(region)),
            marker=dict(symbol="square", size=12, color=colour("region", region, i)),
            showlegend=True,
            hoverinfo="skip",
        )
    # Above the plot, in a row: a column of regions at the right would take half a narrow chart.
    fig.update_layout(legend=dict(traceorder="normal", orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"))


def party_key(iso3: str, party: str) -> str:
    """One string naming a party (name + country): 'FRA:Socialist Party', ':Name' for an organisation."""
    return f"{iso3 or ''}:{party}"


def _entity_labels(data: pd.DataFrame, kind: str, *, short: bool = False) -> list[str]:
    """'Party (Country)' or the country name, in the current language; with ``short`` a long party
    name is cut before its country, so the country still shows on the axis."""
    countries = display_countries(data)
    if kind == "party":
        return [
            t("chart.party_in_country", party=short_label(p) if short else p, country=c)
            for p, c in zip(display_party(data), countries, strict=True)
        ]
    return [short_label(c) if short else c for c in countries]


def top_parties_by_family_chart(df: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Horizontal bars of the top parties of each family, grouped and coloured by family.

    ``df``: party_family, party, country, country_iso3, exchanges, share (share of the family's
    exchanges).
    """
    title = title or t("chart.top_parties_by_family.title")
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title)
    families = ordered_categories("party_family", df["party_family"].tolist())
    fig = _new_figure(title, height=max(320, 140 + 22 * len(df)))
    parts = [df[df["party_family"] == family].sort_values("exchanges", ascending=True) for family in families]
    every = [label for part in parts for label in _entity_labels(part, "party")]
    shown = [label for part in parts for label in _entity_labels(part, "party", short=True)]
    keys = iter(_category_axis(fig, every, shown=shown))
    order: list[str] = []
    for i, (family, part) in enumerate(zip(families, parts, strict=True)):
        labels = [next(keys) for _ in range(len(part))]
        order = labels + order
        _add(
            fig,
            "bar",
            x=part["exchanges"],
            y=labels,
            orientation="h",
            name=_legend_name(category_label("party_family", family)),
            meta=family,
            marker_color=colour("party_family", family, i),
            customdata=list(
                zip(
                    [party_key(c, p) for c, p in zip(part["country_iso3"].fillna(""), part["party"], strict=True)],
                    part["country_iso3"].fillna(""),
                    part["share"],
                    strict=True,
                )
            ),
            hovertemplate=f"<b>%{{y}}</b><br>{count('exchanges', '%{x:,}')}<br>"
            f"{t('chart.hover.share_of_family', share='%{customdata[2]:.1%}')}<extra></extra>",
        )
    fig.update_layout(
        xaxis_title_text=t("chart.measure.exchanges"),
        xaxis_showgrid=True,
        xaxis_separatethousands=True,
        xaxis_nticks=5,
        # The first family on top and the legend in the same order, read top down.
        yaxis=dict(categoryorder="array", categoryarray=order, tickfont=dict(size=11)),
        legend=dict(traceorder="normal"),
    )
    _clickable(fig, "party", "customdata", 0)
    return fig.figure()


TIME_DIMENSIONS = ("year", "decade")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _heat_order(df: pd.DataFrame, dimension: str, value: str) -> list:
    """Heatmap order of one axis: time ascending, vocabularies in their order, else largest first."""
    if dimension in TIME_DIMENSIONS:
        return sorted(df[dimension].unique())
    if dimension in DIMENSION_ORDER:
        return ordered_categories(dimension, df[dimension].tolist())
    return list(df.groupby(dimension)[value].sum().sort_values(ascending=False, kind="stable").index)


def _axis_label(dimension: str, code) -> str:
    if dimension == "decade":
        return t("chart.decade", decade=code)
    return str(code) if dimension == "year" else category_label(dimension, code)


def _wrap(label: str, width: int = 14) -> str:
    """A long category label on two lines (at the space nearest the middle), for x axes."""
    if " " not in label and "&" not in label and len(label) > width // 2 and _CJK.search(label):
        # Chinese has no spaces and each character is twice as wide: cut at the middle character.
        cut = len(label) // 2
        return label[:cut] + "<br>" + label[cut:]
    if len(label) <= width or " " not in label:
        return label
    middle = len(label) / 2
    cut = min((i for i, ch in enumerate(label) if ch == " "), key=lambda i: abs(i - middle))
    return label[:cut] + "<br>" + label[cut + 1 :]


def heatmap_chart(
    df: pd.DataFrame,
    rows: str,
    columns: str,
    *,
    value: str = "exchanges",
    title: str | None = None,
) -> go.Figure:
    """A heatmap of ``value`` for each (row, column) pair, with exact counts and shares on hover
    (of all exchanges; of all distinct events, parties or countries, which may be in several cells).

    ``df``: long form (<rows>, <columns>, value[, share]) as ``metrics.cross_table`` returns.
    """
    measure = MEASURE_NAMES.get(value, value)
    title = title or t(
        "chart.heatmap.title",
        measure=measure,
        rows=DIMENSION_NAMES.get(rows, rows).lower(),
        columns=DIMENSION_NAMES.get(columns, columns).lower(),
    )
    share_line = (
        t("chart.hover.share_of_total", share="%{customdata:.1%}")
        if value == "exchanges"
        else t("chart.hover.share_of_distinct", share="%{customdata:.1%}", measure=t(NOUN_KEYS.get(value, value)))
    )
    if df.empty or df[value].sum() == 0:
        return empty_figure(title)
    row_codes, col_codes = _heat_order(df, rows, value), _heat_order(df, columns, value)
    grid = df.pivot_table(index=rows, columns=columns, values=value, aggfunc="sum", fill_value=0)
    grid = grid.reindex(index=row_codes, columns=col_codes, fill_value=0)
    if "share" in df:
        shares = df.pivot_table(index=rows, columns=columns, values="share", aggfunc="sum", fill_value=0)
        shares = shares.reindex(index=row_codes, columns=col_codes, fill_value=0).to_numpy()
    else:
        total = grid.to_numpy().sum()
        shares = grid.to_numpy() / total if total else grid.to_numpy() * 0.0
    height = max(320, 150 + 28 * len(row_codes))
    fig = _new_figure(title, height=min(height, 900))
    row_labels = _category_axis(fig, [_axis_label(rows, c) for c in row_codes])
    col_labels = _category_axis(fig, [_axis_label(columns, c) for c in col_codes], "xaxis", wrap=True)
    _add(
        fig,
        "heatmap",
        z=grid.to_numpy(),
        x=col_labels,
        y=row_labels,
        colorscale=SEQUENTIAL,
        xgap=1,
        ygap=1,
        customdata=shares,
        zmin=0,
        zmax=float(grid.to_numpy().max()),
        colorbar=dict(
            title=dict(text=measure, side="right"),
            thickness=12,
            outlinewidth=0,
            **colour_ticks(0, float(grid.to_numpy().max())),
        ),
        hovertemplate=f"<b>%{{y}}</b> · %{{x}}<br>{count(value, '%{z:,}')}<br>{share_line}<extra></extra>",
    )
    fig.update_layout(
        xaxis=dict(showgrid=False, type="category"), yaxis=dict(showgrid=False, autorange="reversed", type="category")
    )
    if columns not in TIME_DIMENSIONS:
        # Category labels above the plot, level and wrapped: the footnote keeps the space below.
        fig.update_layout(xaxis=dict(side="top", tickangle=0))
    if columns == "year" and len(col_labels) > 20:
        fig.update_layout(
            xaxis=dict(tickangle=0, tickmode="array", tickvals=[c for c in col_labels if int(c) % 5 == 0])
        )
    return fig.figure()


def compare_periods_chart(df: pd.DataFrame, dimension: str, label_a: str, label_b: str, *, top: int = 20) -> go.Figure:
    """Two periods side by side: paired horizontal bars per category (largest in either on top).

    ``df``: ``metrics.compare_periods`` (<dimension>, exchanges_a, exchanges_b, change, change_pct).
    """
    title = t("chart.compare.title", dimension=DIMENSION_NAMES.get(dimension, dimension).lower(), a=label_a, b=label_b)
    if df.empty or (df["exchanges_a"].sum() == 0 and df["exchanges_b"].sum() == 0):
        return empty_figure(title)
    data = df.assign(_size=df[["exchanges_a", "exchanges_b"]].max(axis=1))
    data = data.sort_values("_size", ascending=False).head(top).iloc[::-1]
    fig = _new_figure(title, height=max(300, 140 + 36 * len(data)))
    labels = _category_axis(fig, _category_labels(data, dimension))
    change = [_pct(v) for v in data["change_pct"]]
    for column, name, shade in (("exchanges_a", label_a, PERIOD_A_COLOUR), ("exchanges_b", label_b, PERIOD_B_COLOUR)):
        share_column = column.replace("exchanges", "share")
        shares = data[share_column] if share_column in data else data[column] / max(int(df[column].sum()), 1)
        _add(
            fig,
            "bar",
            x=data[column],
            y=labels,
            orientation="h",
            name=_legend_name(name),
            marker_color=shade,
            customdata=list(zip(data["change"], change, shares.fillna(0.0), strict=True)),
            hovertemplate=f"<b>%{{y}}</b><br>"
            f"{t('chart.hover.period_count', period=_escape(name), count='%{x:,}', share='%{customdata[2]:.1%}')}<br>"
            f"{t('chart.hover.change', change='%{customdata[0]:+,}', pct='%{customdata[1]}')}<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        bargap=0.25,
        xaxis_title_text=t("chart.measure.exchanges"),
        xaxis_showgrid=True,
        xaxis_separatethousands=True,
        xaxis_nticks=5,
        legend=dict(traceorder="reversed"),  # the second period's bar stands above the first's: read top down
    )
    return fig.figure()


def _category_labels(data: pd.DataFrame, dimension: str) -> list[str]:
    if dimension == "country_iso3" and "country" in data:
        return display_countries(data)
    if dimension == "party" and "party" in data:
        return display_party(data)
    return [category_label(dimension, code) for code in data[dimension]]


def movers_chart(
    df: pd.DataFrame, dimension: str, label_a: str, label_b: str, *, top: int = 10, title: str | None = None
) -> go.Figure:
    """The biggest rises and falls between two periods: diverging bars, sorted by change.

    ``df``: ``metrics.compare_periods`` (<dimension>, exchanges_a, exchanges_b, change, change_pct).
    """
    name = DIMENSION_NAMES.get(dimension, dimension).lower()
    title = title or t("chart.movers.title", dimension=name, a=label_a, b=label_b)
    if df.empty or (df["exchanges_a"].sum() == 0 and df["exchanges_b"].sum() == 0):
        return empty_figure(title)
    data = df[df["change"] != 0]
    if data.empty:
        return empty_figure(title, t("chart.movers.no_change"))
    rises = data[data["change"] > 0].nlargest(top, "change")
    falls = data[data["change"] < 0].nsmallest(top, "change")
    data = pd.concat([falls, rises]).sort_values("change")
    fig = _new_figure(title, height=max(300, 140 + 26 * len(data)))
    labels = _category_axis(fig, _category_labels(data, dimension))
    _add(
        fig,
        "bar",
        x=data["change"],
        y=labels,
        orientation="h",
        showlegend=False,
        marker_color=[RISE_COLOUR if v > 0 else FALL_COLOUR for v in data["change"]],
        customdata=list(
            zip(
                data["exchanges_a"],
                data["exchanges_b"],
                [_pct(v) for v in data["change_pct"]],
                data[dimension],
                strict=True,
            )
        ),
        text=[f"{v:+,}" for v in data["change"]],
        textposition="outside",
        cliponaxis=False,
        hovertemplate=f"<b>%{{y}}</b><br>{_value(_escape(label_a), '%{customdata[0]:,}')}<br>"
        f"{_value(_escape(label_b), '%{customdata[1]:,}')}<br>"
        f"{t('chart.hover.change', change='%{x:+,}', pct='%{customdata[2]}')}<extra></extra>",
    )
    fig.update_layout(
        xaxis_title_text=t("chart.movers.axis"),
        xaxis_showgrid=True,
        xaxis_separatethousands=True,
        xaxis_nticks=5,
        xaxis_zeroline=True,
        margin=dict(r=60, l=12),
    )
    if (data["change"] < 0).any():
        # Labels of falls sit left of their bars: keep them clear of the category names.
        digits = max(len(f"{v:+,}") for v in data["change"])
        fig.update_layout(yaxis=dict(ticklabelstandoff=8 + 8 * digits))
    _clickable(fig, dimension, "customdata", 3)
    return fig.figure()


# ---------------------------------------------------------------------------------------------
# Maps


def world_map_chart(df: pd.DataFrame, *, title: str | None = None, height: int = 480) -> go.Figure:
    """A choropleth of exchanges per country (ISO3); international organisations are off the map
    and their count is said in a note.

    ``df``: ``metrics.by_country`` (country_iso3, country, region, subregion, exchanges, share,
    events, parties).
    """
    title = title or t("chart.world_map.title")
    if df.empty or df["exchanges"].sum() == 0:
        return empty_figure(title, height=min(height, 360))
    on_map = df[df["country_iso3"].fillna("") != ""]
    off_map = int(df.loc[df["country_iso3"].fillna("") == "", "exchanges"].sum())
    fig = _new_figure(title, height=height)
    _add(
        fig,
        "choropleth",
        locations=on_map["country_iso3"],
        locationmode="ISO-3",
        z=on_map["exchanges"],
        text=[_escape(c) for c in display_countries(on_map)],
        colorscale=MAP_SCALE,
        marker=dict(line=dict(color="white", width=0.4)),
        customdata=[
            [*row, _escape(region_name(str(region)))]
            for row, region in zip(
                on_map[["share", "parties", "events"]].to_numpy().tolist(), on_map["region"], strict=True
            )
        ],
        # Horizontal, over the southern Pacific at the lower left: its maximum stands at its right
        # end, clear of its title above it.
        colorbar=dict(
            title=dict(text=t("chart.measure.exchanges"), side="top", font=dict(size=11)),
            orientation="h",
            thickness=10,
            len=0.2,
            x=0.0,
            xanchor="left",
            y=0.04,
            yanchor="bottom",
            outlinewidth=0,
            tickfont=dict(size=10),
            **colour_ticks(float(on_map["exchanges"].min()), float(on_map["exchanges"].max())),
        ),
        hovertemplate=f"{t('chart.hover.in_place', name='<b>%{text}</b>', place='%{customdata[3]}')}<br>{count('exchanges', '%{z:,}')} · "
        f"{t('chart.hover.share_of_total', share='%{customdata[0]:.1%}')}<br>"
        f"{count('parties', '%{customdata[1]:,}')} · {count('events', '%{customdata[2]:,}')}<extra></extra>",
    )
    fig.update_layout(margin=dict(l=0, r=0, t=88, b=48))
    if on_map["region"].nunique() == 1:  # a slice of one region (Africa, a country): the map fits it
        fig.update_geos(fitbounds="locations")
    else:
        _world_view(fig)
    if off_map:
        fig.add_annotation(
            text=t("chart.world_map.off_map", count=number(off_map)),
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            font=dict(size=11, color=MUTED_TEXT),
        )
    _clickable(fig, "country_iso3", "locations")
    return fig.figure()


def _world_view(fig: _Draft) -> None:
    """The whole inhabited world, Europe and Africa in the middle, Antarctica left out: a map as
    wide as the picture allows (fitting the view to the countries drawn shifts it and leaves
    the sides empty)."""
    fig.update_geos(
        fitbounds=False,
        projection=dict(type="natural earth", scale=1.0),
        lonaxis=dict(range=[-168, 190]),
        lataxis=dict(range=[-57, 80]),
        center=dict(lon=11, lat=11),
    )


# The levels of metrics.change_levels, from rise to fall (blue to orange, colour-blind safe).
CHANGE_LEVEL_COLOURS: dict[str, str] = {
    "large increase": "#0072B2",
    "moderate increase": "#7fb3dc",
    "little change": "#c9ced4",
    "moderate decrease": "#f0b66e",
    "large decrease": "#D55E00",
    "too small to class": "#e2d6b8",  # sand: apart from the greys of little change and of land with no data
}
TOO_SMALL_OUTLINE = "#6b7480"  # the outline that makes the white "too small to class" swatch and countries visible
# The name of each level (metrics.CHANGE_LEVELS) in the legend, capitalised; the hover lower-cases it.
CHANGE_LEVEL_KEYS: dict[str, str] = {
    "large increase": "chart.change_level.large_increase",
    "moderate increase": "chart.change_level.moderate_increase",
    "little change": "chart.change_level.little_change",
    "moderate decrease": "chart.change_level.moderate_decrease",
    "large decrease": "chart.change_level.large_decrease",
    "too small to class": "chart.change_level.too_small",
}


def change_level_name(level: str) -> str:
    """A change level as the legend names it: 'Large increase', '大幅增加'."""
    key = CHANGE_LEVEL_KEYS.get(str(level))
    return t(key) if key else str(level).capitalize()


def change_level_map_chart(
    df: pd.DataFrame, *, title: str | None = None, baseline_label: str | None = None, height: int = 480
) -> go.Figure:
    """A choropleth of each country's change level against its baseline (one colour per level).

    ``df``: ``metrics.change_levels`` (country_iso3, country, region, window_exchanges,
    window_average, baseline_average, change_pct, level).
    """
    title = title or t("chart.change_map.title", baseline=baseline_label or t("chart.change_map.baseline_word"))
    data = df[df["country_iso3"].fillna("") != ""] if not df.empty else df
    if data.empty:
        return empty_figure(title, t("chart.change_map.too_few"), height=min(height, 360))
    fig = _new_figure(title, height=height)
    present = list(dict.fromkeys(data["level"]))
    levels = [lv for lv in CHANGE_LEVEL_COLOURS if lv in present] + [
        lv for lv in present if lv not in CHANGE_LEVEL_COLOURS
    ]
    for i, level in enumerate(levels):
        part = data[data["level"] == level]
        shade = CHANGE_LEVEL_COLOURS.get(level, FALLBACK_COLOURS[i % len(FALLBACK_COLOURS)])
        _add(
            fig,
            "choropleth",
            locations=part["country_iso3"],
            locationmode="ISO-3",
            z=[1] * len(part),
            name=_legend_name(change_level_name(level)),
            text=[_escape(c) for c in display_countries(part)],
            showscale=False,
            showlegend=True,
            colorscale=[[0, shade], [1, shade]],
            marker=dict(
                line=dict(color=TOO_SMALL_OUTLINE, width=0.8)
                if level == "too small to class"
                else dict(color="white", width=0.4)
            ),
            meta=level,
            customdata=list(
                zip(
                    part["window_exchanges"],
                    part["window_average"],
                    part["baseline_average"],
                    [_pct(v) for v in part["change_pct"]],
                    strict=True,
                )
            ),
            hovertemplate=f"{_value('<b>%{text}</b>', _escape(change_level_name(level).lower()))}<br>"
            f"{t('chart.change_map.window', count='%{customdata[0]:,}', average='%{customdata[1]:,.1f}')}<br>"
            f"{t('chart.change_map.baseline', average='%{customdata[2]:,.1f}')}<br>"
            f"{t('chart.hover.change_only', change='%{customdata[3]}')}<extra></extra>",
        )
    fig.update_layout(margin=dict(l=0, r=0, t=110, b=48), legend=dict(y=1.0, yanchor="bottom"))
    _world_view(fig)
    _clickable(fig, "country_iso3", "locations")
    return fig.figure()


# ---------------------------------------------------------------------------------------------
# Co-attendance network

NETWORK_LINK_COLOUR = "#8a96a3"
NETWORK_WIDTHS = (1.0, 2.5, 4.5, 7.0)  # line widths of the four classes of links, weakest first
NETWORK_LABELS = 15  # the parties with most shared events named on the picture; the rest on hover


def network_layout(count: int, links: Sequence[tuple[int, int, float]], *, steps: int = 120) -> np.ndarray:
    """Positions (``count`` x 2, within -1..1) of the nodes of a weighted graph, for a picture.

    The nodes start evenly on a circle in the given order, then take ``steps`` Fruchterman–Reingold
    steps: every pair pushes apart, each link pulls its two ends together in proportion to its
    weight, a pull to the centre keeps loose parts in view, and the step size cools. No
    randomness: the same nodes and links always give the same picture. ``links`` are (i, j, weight).
    """
    if count == 0:
        return np.zeros((0, 2))
    angles = 2 * math.pi * np.arange(count) / count
    pos = np.column_stack([np.cos(angles), np.sin(angles)])
    if count < 3 or not links:
        return pos
    weights = np.zeros((count, count))
    for i, j, weight in links:
        weights[i, j] = weights[j, i] = max(weights[i, j], float(weight))
    weights /= weights.max() or 1.0
    ideal = 3.0 * math.sqrt(4.0 / count)  # about the distance two nodes settle at
    heat = 0.25
    for _ in range(steps):
        delta = pos[:, None, :] - pos[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=2), 1e-3)
        push = (ideal * ideal / distance**2)[..., None] * delta
        pull = (weights * distance / ideal)[..., None] * delta
        move = (push - pull).sum(axis=1) - 0.5 * count * ideal * pos
        length = np.maximum(np.linalg.norm(move, axis=1), 1e-9)
        pos = pos + move / length[:, None] * np.minimum(length, heat)[:, None]
        pos = pos - pos.mean(axis=0)
        heat *= 0.97
    return pos / (np.abs(pos).max() or 1.0)


def _network_nodes(links: pd.DataFrame) -> pd.DataFrame:
    """The parties of a co-attendance frame, one row each, with their shared events in ``links``
    (``degree``), strongest first, then by name and id."""
    ends = []
    for side in ("a", "b"):
        part = links[
            [f"party_id_{side}", f"party_{side}", f"party_zh_{side}", f"country_{side}", f"party_family_{side}"]
        ]
        part = part.assign(degree=links["shared_events"])
        part.columns = ["party_id", "party", "party_zh", "country_iso3", "party_family", "degree"]
        ends.append(part)
    both = pd.concat(ends, ignore_index=True)
    nodes = both.groupby("party_id", as_index=False).agg(
        party=("party", "first"),
        party_zh=("party_zh", "first"),
        country_iso3=("country_iso3", "first"),
        party_family=("party_family", "first"),
        degree=("degree", "sum"),
    )
    nodes["country"] = [reference.country_label(code, english="name") for code in nodes["country_iso3"]]
    return nodes.sort_values(["degree", "party", "party_id"], ascending=[False, True, True], kind="stable").reset_index(
        drop=True
    )


def co_attendance_chart(df: pd.DataFrame, *, top: int = 60, title: str | None = None) -> go.Figure:
    """The co-attendance network: parties as dots (coloured by family, larger for more shared
    events), the pairs that met at the same multilateral events as lines (wider for more); the
    ``NETWORK_LABELS`` parties with most shared events are named, the others on hover.

    ``df``: ``metrics.co_attendance`` (party_a, country_a, party_b, country_b, shared_events,
    party_id_a, party_id_b, party_zh_a, party_zh_b, party_family_a, party_family_b), strongest
    pair first; the ``top`` strongest pairs are drawn. The layout is ``network_layout``.
    """
    title = title or t("chart.co_attendance.title")
    if df.empty:
        return empty_figure(title)
    links = df.head(top).reset_index(drop=True)
    nodes = _network_nodes(links)
    index = {int(party): i for i, party in enumerate(nodes["party_id"])}
    pairs = [
        (index[int(a)], index[int(b)], float(w))
        for a, b, w in zip(links["party_id_a"], links["party_id_b"], links["shared_events"], strict=True)
    ]
    pos = network_layout(len(nodes), pairs)
    labels = _entity_labels(nodes, "party")
    short = _entity_labels(nodes, "party", short=True)
    fig = _new_figure(title, height=640)
    strongest = max(w for _, _, w in pairs)
    classes = [min(len(NETWORK_WIDTHS) - 1, int((w / strongest) * len(NETWORK_WIDTHS) - 1e-9)) for _, _, w in pairs]
    for width_class, width in enumerate(NETWORK_WIDTHS):
        xs: list = []
        ys: list = []
        for (i, j, _), shown_class in zip(pairs, classes, strict=True):
            if shown_class == width_class:
                xs += [pos[i, 0], pos[j, 0], None]
                ys += [pos[i, 1], pos[j, 1], None]
        if xs:
            _add(
                fig,
                "scatter",
                x=xs,
                y=ys,
                mode="lines",
                line=dict(width=width, color=NETWORK_LINK_COLOUR),
                opacity=0.55,
                hoverinfo="skip",
                showlegend=False,
            )
    # Invisible points halfway along each line carry its hover.
    _add(
        fig,
        "scatter",
        x=[(pos[i, 0] + pos[j, 0]) / 2 for i, j, _ in pairs],
        y=[(pos[i, 1] + pos[j, 1]) / 2 for i, j, _ in pairs],
        mode="markers",
        marker=dict(size=10, opacity=0),
        customdata=[[_escape(labels[i]), _escape(labels[j]), int(w)] for i, j, w in pairs],
        hovertemplate=t("chart.co_attendance.hover_pair", a="%{customdata[0]}", b="%{customdata[1]}")
        + "<br>"
        + t("chart.co_attendance.hover_shared", count="%{customdata[2]:,}")
        + "<extra></extra>",
        showlegend=False,
    )
    biggest = float(nodes["degree"].max())
    for n, family in enumerate(ordered_categories("party_family", nodes["party_family"].tolist())):
        rows = nodes.index[nodes["party_family"] == family].tolist()
        _add(
            fig,
            "scatter",
            x=[pos[i, 0] for i in rows],
            y=[pos[i, 1] for i in rows],
            mode="markers+text",
            name=_legend_name(category_label("party_family", family)),
            marker=dict(
                size=[10 + 22 * math.sqrt(float(nodes.at[i, "degree"]) / biggest) for i in rows],
                color=colour("party_family", family, n),
                line=dict(color="white", width=1),
            ),
            text=[_escape(short[i]) if i < NETWORK_LABELS else "" for i in rows],
            textposition="top center",
            textfont=dict(size=10, color=MUTED_TEXT),
            customdata=[[_escape(labels[i]), int(nodes.at[i, "degree"])] for i in rows],
            hovertemplate="<b>%{customdata[0]}</b><br>"
            + t("chart.co_attendance.hover_node", count="%{customdata[1]:,}")
            + "<extra></extra>",
        )
    axis = dict(visible=False, range=[-1.25, 1.25])
    fig.update_layout(
        xaxis=axis, yaxis={**axis, "scaleanchor": "x"}, hovermode="closest", legend=dict(itemsizing="constant")
    )
    return fig.figure()
