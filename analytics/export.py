"""Chart export: one pure module with a registry of formats, used by the pages' export menus,
the Briefing page, ``analytics.briefing`` and the ``export`` command alike.

``FORMATS`` maps each format (png, svg, pdf, html, csv, xlsx) to its extension, MIME type and
writer. Images come from Plotly's Kaleido driving a local Chromium-family browser; an
``ImageRenderer`` keeps one browser open for a whole batch (a browser start costs seconds,
a render a fraction of one), and ``shared_renderer()`` keeps one per process for the app.
Every exported chart is stamped with its title, the filters in words, the source, the
export date and, for demo data, a visible "Demo data" mark (``stamp``). HTML exports are
self-contained (plotly.js and the world outline embedded) and work with no network; CSV and
Excel exports carry the same metadata and neutralise spreadsheet formulas. Nothing here
imports streamlit.
"""

from __future__ import annotations

import asyncio
import atexit
import copy
import datetime as dt
import html
import json
import logging
import math
import os
import re
import textwrap
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from analytics import access, formats, i18n, spreadsheet, texts
from analytics.errors import DomainError
from analytics.i18n import t
from analytics.settings import PROJECT_ROOT, load_settings
from analytics.spreadsheet import safe_cell

if TYPE_CHECKING:
    from analytics.filters import Filters

TOPOJSON_DIR = PROJECT_ROOT / "static" / "topojson"


def browser_missing() -> str:
    """The sentence saying what to install for image export, in the current language."""
    return t("export.error.browser_missing")


DEFAULT_WIDTH = 1200
MIN_HEIGHT = 540
RENDER_TIMEOUT_S = 90.0
SHARED_IDLE_S = 600.0
RELOAD_EVERY = 25
MUTED = "#5b6470"
DEMO_COLOUR = "#b3261e"


class ExportError(DomainError):
    """An export failed for a reason the user can act on; the message says what to do."""


class BrowserMissingError(ExportError):
    """No Chromium-family browser to render images with."""

    def __init__(self, detail: str = ""):
        super().__init__(browser_missing() + (f" ({detail})" if detail else ""))


# ---------------------------------------------------------------------------------------------
# What an export says about itself


def _all_exchanges() -> str:
    return t("export.all_exchanges")


@dataclass(frozen=True)
class ChartMeta:
    """The labels every export carries: chart name (for the file name), title, filters in
    words, source, demo flag, export date and the language of its words (the current one when
    made, so an export rendered later, on another thread, still speaks it)."""

    name: str
    title: str
    filters: str = field(default_factory=_all_exchanges)
    source: str = field(default_factory=texts.source)
    is_demo: bool = False
    exported: dt.date = field(default_factory=dt.date.today)
    lang: str = field(default_factory=i18n.current)

    def footer(self) -> str:
        """'Source: … · Exported 2025-03-01' ('来源：… · 导出日期：2025年3月1日'); the demo mark
        is drawn separately."""
        with i18n.using(self.lang):
            return t("export.footer", source=self.source, date=i18n.date(self.exported))

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs written at the top of CSV files and on the Excel 'About' sheet."""
        with i18n.using(self.lang):
            return [
                (t("export.about.title"), self.title),
                (t("export.about.filters"), self.filters),
                (t("export.about.source"), self.source),
                (t("export.about.exported"), i18n.date(self.exported)),
                (t("export.about.data"), texts.demo_note() if self.is_demo else texts.real_data_note()),
            ]

    def demo_stamp(self) -> str:
        """The red corner mark of a demo export: 'Demo data · synthetic, invented parties'."""
        with i18n.using(self.lang):
            return f"<b>{texts.demo_mark()}</b> · {texts.demo_stamp_detail()}"

    def demo_mark(self) -> str:
        """'Demo data' in the export's language."""
        with i18n.using(self.lang):
            return texts.demo_mark()

    def file_name(self, fmt: str) -> str:
        """Safe file name: ``<chart>_<date>.<ext>``."""
        return file_name(self.name, fmt, self.exported)


def slug(text: str, *, fallback: str = "chart") -> str:
    """Lower-case ASCII letters, digits and single hyphens only: safe on every file system
    (``fallback`` when nothing is left, e.g. of a Chinese title)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    folded = "".join(c if c.isascii() else " " for c in folded)  # '2025年3月' gives '2025-3', not '20253'
    cleaned = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return cleaned[:80].strip("-") or fallback


def file_name(name: str, fmt: str, day: dt.date | None = None) -> str:
    """``exchanges-per-year_2026-11-28.png``: what the chart is and the date, only [a-z0-9_.-]."""
    day = day or dt.date.today()
    extension = FORMATS[fmt].extension if fmt in FORMATS else slug(fmt)
    return f"{slug(name)}_{day.isoformat()}.{extension}"


def plain_text(markup: str | None) -> str:
    """Plotly title markup to plain text: tags removed, entities unescaped, spaces folded."""
    if not markup:
        return ""
    text = re.sub(r"<br\s*/?>", " ", str(markup), flags=re.IGNORECASE)
    text = re.sub(r"<[^>]+>", "", text)
    return " ".join(html.unescape(text).split())


def figure_title(fig: go.Figure) -> str:
    """The first line of the figure's title, as plain text (a stamped figure's title block is
    an annotation: ``stamped_title``)."""
    text = fig.layout.title.text or stamped_title(fig)
    return plain_text(re.split(r"<br\s*/?>", text, maxsplit=1, flags=re.IGNORECASE)[0])


def figure_caption(fig: go.Figure) -> str:
    """The line under the title (the filters in words, as ``build_chart`` writes it), or ''."""
    parts = re.split(r"<br\s*/?>", fig.layout.title.text or "", maxsplit=1, flags=re.IGNORECASE)
    return plain_text(parts[1]) if len(parts) > 1 else ""


def chart_meta(
    name: str,
    fig: go.Figure,
    *,
    filters: str | None = None,
    is_demo: bool,
    source: str | None = None,
    title: str | None = None,
    exported: dt.date | None = None,
) -> ChartMeta:
    """Meta of a figure made by ``chart_catalog.build_chart``: its own title and filter line
    unless given; its words in the current language."""
    return ChartMeta(
        name=name,
        title=title or figure_title(fig) or name.replace("-", " ").capitalize(),
        filters=filters or figure_caption(fig) or _all_exchanges(),
        source=source or texts.source(),
        is_demo=is_demo,
        exported=exported or dt.date.today(),
        lang=i18n.current(),
    )


# ---------------------------------------------------------------------------------------------
# Presets: the size a picture is drawn at and the type sizes it needs where it is shown

PX_PER_IN = 96  # CSS pixels per inch: a picture drawn at its own size is shown at 0.75 pt per px
BASE_FONT_PX = 13  # the chart template's body size: every other size is scaled from it


@dataclass(frozen=True)
class Preset:
    """Where a picture goes: its size in CSS px, the PNG pixel density, how many points one CSS
    px takes where the picture is shown, and the smallest type allowed there.

    ``screen`` is today's picture (1200 wide, the chart's own height, the template's type sizes);
    ``slide`` (a 13.333 x 7.5 in 16:9 slide) and ``a4`` (an A4 landscape page) are drawn at the
    size they are shown, with no text under ``min_font_pt`` (14 pt: read from the back of a room
    and on paper). ``sized(w, h)`` is the same type in another box (a deck's picture area)."""

    name: str
    width_px: int
    height_px: int
    scale: float
    pt_per_px: float
    min_font_pt: float

    def sized(self, width_in: float, height_in: float) -> Preset:
        """The same type sizes in a box of ``width_in`` x ``height_in`` inches (96 px per inch)."""
        return replace(self, width_px=round(width_in * PX_PER_IN), height_px=round(height_in * PX_PER_IN))

    @property
    def floor_px(self) -> float:
        """The smallest font size, in CSS px, this preset allows (0: none)."""
        return math.ceil(self.min_font_pt / self.pt_per_px) if self.min_font_pt else 0.0

    @property
    def projected(self) -> bool:
        """Whether the type is sized for projection or print (slide, a4) rather than the screen."""
        return self.min_font_pt > 0

    def px(self, pt: float) -> float:
        """CSS px for a size in points where the picture is shown."""
        return pt / self.pt_per_px


PRESETS: dict[str, Preset] = {
    "screen": Preset("screen", DEFAULT_WIDTH, MIN_HEIGHT, 2.0, 0.75, 0.0),
    "slide": Preset("slide", 1280, 720, 2.5, 0.75, 14.0),
    "a4": Preset("a4", 1123, 794, 2.5, 0.75, 14.0),
}
TITLE_PT = 28  # the title of a full (non-bare) slide or page picture


def resolve_preset(value: Preset | str) -> Preset:
    """A preset by name ('screen', 'slide', 'a4') or itself; ExportError naming the known ones."""
    if isinstance(value, Preset):
        return value
    try:
        return PRESETS[str(value)]
    except KeyError:
        raise ExportError(t("export.error.unknown_preset", preset=repr(value), presets=", ".join(PRESETS))) from None


# The keys of a font (a dict with a size) in a figure's JSON; hover labels are never in a picture.
FONT_KEYS = frozenset({"font", "tickfont", "textfont", "insidetextfont", "outsidetextfont", "titlefont"})
_INLINE_SIZE = re.compile(r"font-size:\s*([0-9.]+)px")


def _fonts(node, *, path: tuple[str, ...] = ()) -> Iterator[tuple[dict, tuple[str, ...]]]:
    """Every font dict in a figure's JSON (layout, traces and template) with its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "hoverlabel":
                continue
            if key in FONT_KEYS and isinstance(value, dict):
                yield value, (*path, key)
            if isinstance(value, dict | list | tuple):
                yield from _fonts(value, path=(*path, key))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _fonts(item, path=path)


def _texts(node) -> Iterator[str]:
    """Every string under a 'text' key (titles, annotations): their inline font sizes count."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            elif isinstance(value, dict | list | tuple) and key != "hoverlabel":
                yield from _texts(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _texts(item)


def _sizes(value) -> list[float]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, list | tuple):
        return [float(v) for v in value if isinstance(v, int | float)]
    return []


def _base_font_px(spec: dict) -> float:
    layout = spec.get("layout", {})
    for source in (layout, layout.get("template", {}).get("layout", {})):
        sizes = _sizes(source.get("font", {}).get("size"))
        if sizes:
            return sizes[0]
    return 12.0  # plotly.js's own default


def smallest_font_pt(fig: go.Figure, preset: Preset | str) -> float:
    """The smallest font size anywhere in ``fig`` (layout and traces, explicit or inherited from
    ``layout.font`` / the template, and inline ``font-size`` in titles and annotations), in points
    where the picture is shown (``preset.pt_per_px``). Hover labels are left out (not drawn)."""
    spec = fig.to_plotly_json()
    shown = resolve_preset(preset)
    base = _base_font_px(spec)
    found = [base]
    for font, _ in _fonts(spec):
        found.extend(_sizes(font.get("size")) or [base])
    for text in _texts(spec):
        found.extend(float(size) for size in _INLINE_SIZE.findall(text))
    return min(found) * shown.pt_per_px


def style_for(fig: go.Figure, shown: Preset) -> go.Figure:
    """A copy of ``fig`` with its type sized for ``shown``: every font (the template's too, and
    inline sizes) scaled by the preset's body size over the template's, never under its floor.
    The one place type is sized for slides and pages; the screen preset leaves it as drawn."""
    if not shown.projected:
        return go.Figure(fig)
    spec = fig.to_plotly_json()
    floor = shown.floor_px
    factor = floor / BASE_FONT_PX

    def scaled(size: float) -> float:
        return round(max(size * factor, floor), 1)

    base = _base_font_px(spec)
    for font, _ in _fonts(spec):
        sizes = _sizes(font.get("size"))
        if isinstance(font.get("size"), list | tuple):
            font["size"] = [scaled(s) for s in sizes]
        elif sizes:
            font["size"] = scaled(sizes[0])
    layout = spec.setdefault("layout", {})
    layout.setdefault("font", {})["size"] = scaled(base)

    def inline(match: re.Match) -> str:
        return f"font-size:{scaled(float(match.group(1)))}px"

    def rewrite(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str) and "font-size" in value:
                    node[key] = _INLINE_SIZE.sub(inline, value)
                elif isinstance(value, dict | list):
                    rewrite(value)
        elif isinstance(node, list):
            for item in node:
                rewrite(item)

    rewrite(spec)
    # Bar labels keep their size (plotly shrinks text to a bar's thickness by default).
    for trace in spec.get("data", []):
        if trace.get("type") == "bar" and trace.get("text") is not None:
            trace["constraintext"] = "none"
    return go.Figure(spec, _validate=False)


# ---------------------------------------------------------------------------------------------
# Stamping a figure


TITLE_PX = 17  # the chart template's title size; the filters line under it is 12.5 px
CAPTION_PX = 12.5
FOOTER_PX = 11
MARK_PX = 13
CHAR_WIDTH_EM = 0.6  # a generous average character width of DejaVu Sans, in ems
DIGIT_WIDTH_EM = 0.64  # DejaVu Sans digits are 0.636 em wide
EDGE_PX = 12  # title, footer and demo mark stand this far in from the picture's edges
MARK_INSET_PX = 8  # the demo mark's distance from the picture's top and right edges
LEGEND_SYMBOL_PX = 40  # a legend entry's symbol and gap, before its text


def _wide(char: str) -> bool:
    """A character a CJK face draws a full em wide."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def text_width(text: str, size_px: float) -> float:
    """The estimated width in CSS px of one line of plain text at ``size_px`` (generous: a
    Latin character 0.6 em, a digit 0.64 em, a Chinese one a full em); markup is dropped and
    the longest of several lines (``<br>``) counts."""
    lines = re.split(r"<br\s*/?>", str(text), flags=re.IGNORECASE)
    widest = 0.0
    for line in lines:
        plain = plain_text(line)
        ems = sum(1.0 if _wide(c) else DIGIT_WIDTH_EM if c.isdigit() else CHAR_WIDTH_EM for c in plain)
        widest = max(widest, ems * size_px)
    return widest


def _line_count(text) -> int:
    return len(re.split(r"<br\s*/?>", str(text or ""), flags=re.IGNORECASE))


def _wrapped(text: str, size_px: float, width_px: float | None) -> list[str]:
    """``text`` in lines that fit ``width_px`` (less the title's padding) at ``size_px``; one
    line when the width is not known (HTML pages wrap nothing but fill the window). Text with
    Chinese in it breaks between any two characters, a Chinese one counting a full em."""
    if width_px is None:
        return [text]
    per_line = max(12, int((width_px - 2 * EDGE_PX) / (size_px * CHAR_WIDTH_EM)))
    if not any(_wide(c) for c in text):
        return textwrap.wrap(text, per_line) or [text]
    lines, line, used = [], "", 0.0
    for char in text:
        width = 1 / CHAR_WIDTH_EM if _wide(char) else 1.0  # in average Latin characters
        if line and used + width > per_line:
            lines.append(line.rstrip())
            line, used = "", 0.0
            if char.isspace():
                continue
        line += char
        used += width
    return [*lines, line.rstrip()] if line.strip() else lines or [text]


@dataclass(frozen=True)
class Frame:
    """The margins ``stamp`` sets (CSS px) and the picture's size: where the plot and, from them,
    the footer and the demo mark stand on the picture (``layout.meta['frame']``)."""

    width: int | None
    height: int | None
    left: int
    right: int
    top: int
    bottom: int


def _shown_legend(spec_data: list[dict], layout: dict) -> list[str]:
    """The names of the legend's entries (none when the figure shows no legend)."""
    if layout.get("showlegend") is False:
        return []
    entries = [
        t
        for t in spec_data
        if t.get("showlegend") is not False
        and t.get("type") not in ("heatmap",)
        and not (t.get("type") == "bar" and isinstance(t.get("y"), list) and not t["y"])  # all its rows left out
    ]
    named = [t for t in entries if t.get("name")]
    if len(entries) >= 2 or any(t.get("showlegend") for t in spec_data):
        return [str(t["name"]) for t in named if t.get("showlegend") is not False]
    return []


def _legend_band(names: Sequence[str], size_px: float, width_px: float) -> float:
    """The height a horizontal legend of ``names`` takes above the plot (0 without a legend)."""
    return (_legend_rows(names, size_px, width_px) * (1.3 * size_px + 8) + 8) if names else 0.0


def _legend_rows(names: Sequence[str], size_px: float, width_px: float) -> int:
    """Rows of a horizontal legend: one when every entry fits side by side, else plotly's grid
    of equal columns as wide as the widest entry."""
    items = [LEGEND_SYMBOL_PX + text_width(name, size_px) for name in names]
    if not items or sum(items) <= width_px:
        return 1 if items else 0
    columns = max(1, int(width_px // max(items)))
    return math.ceil(len(items) / columns)


def _axes(layout: dict, letter: str) -> list[tuple[str, dict]]:
    found = [(key, value) for key, value in layout.items() if re.fullmatch(f"{letter}axis[0-9]*", key)]
    return found or [(f"{letter}axis", layout.setdefault(f"{letter}axis", {}))]


def _axis_id(key: str) -> str:
    return key[0] + key[len("xaxis") :]


def _number_label(value: float, tickformat: str) -> str:
    if "%" in tickformat:
        return f"{value:.0%}"
    return f"{value:,.0f}"


def _left_room(spec: dict, size_px: float) -> float:
    """The width the y axes' tick labels and titles need at the left, estimated."""
    layout = spec["layout"]
    room = 0.0
    for key, axis in _axes(layout, "y"):
        if axis.get("visible") is False or axis.get("showticklabels") is False:
            continue
        tick_px = size_px
        tickfont = axis.get("tickfont") or {}
        if isinstance(tickfont.get("size"), int | float):
            tick_px = float(tickfont["size"])
        ident = _axis_id(key)
        labels: list[str] = []
        if axis.get("ticktext"):
            labels = [str(v) for v in axis["ticktext"]]
        else:
            values: list = []
            for trace in spec.get("data", []):
                if trace.get("yaxis", "y") == ident and trace.get("type") in ("bar", "scatter", "heatmap"):
                    values.extend(v for v in (trace.get("y") or []) if v is not None)
            if any(isinstance(v, str) for v in values):
                labels = [str(v) for v in values]
            else:
                numbers = [abs(float(v)) for v in values if isinstance(v, int | float)]
                rng = axis.get("range")
                if rng:
                    numbers.extend(abs(float(v)) for v in rng if isinstance(v, int | float))
                top = max(numbers, default=0.0)
                labels = [_number_label(top, str(axis.get("tickformat") or ""))]
        widest = max((text_width(label, tick_px) for label in labels), default=0.0)
        widest += 6 + float(axis.get("ticklabelstandoff") or 0)
        if (axis.get("title") or {}).get("text"):
            widest += 1.4 * size_px + 8
        room = max(room, widest)
    return room


def _bottom_room(spec: dict, size_px: float) -> float:
    """The height the x axes' tick labels and titles under the plot need, estimated."""
    layout = spec["layout"]
    room = 0.0
    for _, axis in _axes(layout, "x"):
        if axis.get("visible") is False or axis.get("side") == "top":
            continue
        anchor_y = layout.get("yaxis" + str(axis.get("anchor", "y"))[1:], {})
        if anchor_y.get("domain") and float(anchor_y["domain"][0]) > 0.01:
            continue  # a panel above another: its labels are inside the picture's plot area
        need = 0.0
        if axis.get("showticklabels") is not False:
            lines = max((_line_count(v) for v in (axis.get("ticktext") or [])), default=1)
            for trace in spec.get("data", []):
                if trace.get("type") == "heatmap":
                    lines = max([lines, *(_line_count(v) for v in (trace.get("x") or []) if isinstance(v, str))])
            need += lines * 1.25 * size_px + 10
        if (axis.get("title") or {}).get("text"):
            need += 1.35 * size_px + 8
        room = max(room, need)
    return room


def _extend_for_bar_text(spec: dict, plot_w: float, size_px: float) -> None:
    """Room inside the x range for the numbers written outside horizontal bars, so they never
    run into the fixed right margin."""
    layout = spec["layout"]
    bars = [
        tr
        for tr in spec.get("data", [])
        if tr.get("type") == "bar" and tr.get("orientation") == "h" and tr.get("textposition") == "outside"
    ]
    if not bars or plot_w <= 0:
        return
    xs = [float(v) for tr in bars for v in (tr.get("x") or []) if isinstance(v, int | float)]
    if not xs:
        return
    text_px = max(text_width(str(v), size_px) for tr in bars for v in (tr.get("text") or [""])) + 10
    low, high = min(0.0, min(xs)), max(0.0, max(xs))
    span = high - low or 1.0
    # Both ends grow by the text's share of the plot, so the text fits at the span's new scale.
    share = min(0.45, text_px / plot_w)
    grow = span * share / (1 - 2 * share if low < 0 else 1 - share)
    axis = layout.setdefault("xaxis", {})
    axis["range"] = [low - (grow if low < 0 else 0.0), high + (grow if high > 0 else 0.0)]
    axis["autorange"] = False


def _place_era_labels(spec: dict, plot_w: float, plot_h: float, size_px: float) -> None:
    """Era labels that would overprint each other or run off the plot: each goes on the first of
    two rows where its estimated box is clear (to the left of its line when it would leave the
    plot at the right), and is dropped when neither row has room. Its dotted line stays. The
    boxes are noted in ``layout.meta['era_labels']``."""
    layout = spec["layout"]
    notes = layout.get("annotations") or []
    eras = [n for n in notes if n.get("name") == "era"]
    if not eras or plot_w <= 0 or plot_h <= 0:
        return
    axis = layout.get("x" + "axis" + str(eras[0].get("xref", "x"))[1:], layout.get("xaxis", {}))
    rng = axis.get("range")
    if not rng:
        return
    x0, x1 = float(rng[0]), float(rng[1])
    row_h = 1.3 * size_px + 4
    rows: list[list[tuple[float, float]]] = [[], []]
    kept: list[dict] = []
    placed: list[dict] = []
    for note in sorted(eras, key=lambda n: float(n["x"])):
        at = (float(note["x"]) - x0) / (x1 - x0) * plot_w
        own = (note.get("font") or {}).get("size")
        width = text_width(note.get("text", ""), float(own) if isinstance(own, int | float) else size_px) + 6
        box = (at + 2, at + 2 + width) if at + 2 + width <= plot_w else (at - 2 - width, at - 2)
        if box[0] < 0:
            continue
        for r, row in enumerate(rows):
            if all(box[1] + 4 <= a or box[0] >= b + 4 for a, b in row):
                row.append(box)
                note.update(
                    y=1.0 - r * row_h / plot_h,
                    xanchor="left" if box[0] > at else "right",
                    xshift=2 if box[0] > at else -2,
                )
                placed.append({"x": note["x"], "row": r, "box": [round(box[0], 1), round(box[1], 1)]})
                kept.append(note)
                break
    layout["annotations"] = [n for n in notes if n.get("name") != "era"] + kept
    meta = layout.get("meta") if isinstance(layout.get("meta"), dict) else {}
    layout["meta"] = {**meta, "era_labels": placed}  # where each label stands, px across the plot


ROW_EMS = 1.5  # a bar's row at the preset's body size: the label and a gap
HEAT_ROW_EMS = 1.35
LABEL_SHARE = 0.36  # category labels take at most this share of the picture's width
MIN_HEAD_CHARS = 8  # a cut label keeps at least this much of the name before its '(Country)'
_SUFFIX = re.compile(r"^(?P<head>.*?)(?P<tail>\s?[（(][^()（）]{1,40}[)）])$")


def _shorten(label: str, size_px: float, room_px: float) -> str:
    """``label`` cut with '…' to fit ``room_px``; a trailing '(Country)' is kept whole unless that
    leaves less than ``MIN_HEAD_CHARS`` of the name (then the whole label is cut at its end)."""
    if text_width(label, size_px) <= room_px:
        return label
    plain = plain_text(label)
    found = _SUFFIX.match(plain)
    head, tail = (found["head"], found["tail"]) if found else (plain, "")
    while head and text_width(head + "…" + tail, size_px) > room_px:
        head = head[:-1]
    if len(head.strip()) < min(MIN_HEAD_CHARS, len(found["head"] if found else plain)):
        head, tail = plain, ""  # a long '(International organisations)' would leave 'G…': cut the whole
        while head and text_width(head + "…", size_px) > room_px:
            head = head[:-1]
    return html.escape(head.rstrip() + "…" + tail, quote=False)


def _category_bars(spec: dict) -> list[dict]:
    """The horizontal bar traces of a chart whose y axis lists categories (names)."""
    bars = [tr for tr in spec.get("data", []) if tr.get("type") == "bar" and tr.get("orientation") == "h"]
    if not bars or any(not all(isinstance(v, str) for v in (tr.get("y") or [])) for tr in bars):
        return []
    return bars


def _keep(trace: dict, keep: Sequence[int]) -> None:
    """Only the points at ``keep`` of a trace (its per-point arrays filtered alike)."""
    n = len(trace.get("y") or trace.get("x") or [])
    for key in ("x", "y", "customdata", "text", "hovertext"):
        if isinstance(trace.get(key), list) and len(trace[key]) == n:
            trace[key] = [trace[key][i] for i in keep]
    marker = trace.get("marker") or {}
    if isinstance(marker.get("color"), list) and len(marker["color"]) == n:
        marker["color"] = [marker["color"][i] for i in keep]


def _largest_first(values: Sequence) -> list[int]:
    """The indexes of ``values``, largest magnitude first."""
    return sorted(range(len(values)), key=lambda i: -abs(float(values[i] or 0)))


def _keep_ticks(axis: dict, chosen: set) -> None:
    """An axis's own tick labels (``tickvals``/``ticktext``) for the ``chosen`` categories only."""
    if axis.get("tickvals") and axis.get("ticktext"):
        pairs = [(v, tx) for v, tx in zip(axis["tickvals"], axis["ticktext"], strict=False) if v in chosen]
        axis["tickvals"], axis["ticktext"] = [v for v, _ in pairs], [tx for _, tx in pairs]


def _fit_rows(spec: dict, plot_h: float, size_px: float) -> tuple[int, int]:
    """Horizontal bars (or heatmap rows) that cannot all stand at the preset's type size: the
    largest are kept (round robin over the traces, so each family or group keeps its top ones)
    and the rest are left out of the picture; returns (shown, total) rows."""
    layout = spec["layout"]
    bars = _category_bars(spec)
    if bars:
        total = len({v for tr in bars for v in tr["y"]})
        room = max(3, int(plot_h // (ROW_EMS * size_px)))
        if total <= room:
            return total, total
        ranked = [_largest_first(tr["x"]) for tr in bars]
        chosen: set[str] = set()
        depth = 0
        while len(chosen) < room and any(depth < len(r) for r in ranked):
            for tr, order in zip(bars, ranked, strict=True):
                if depth < len(order) and len(chosen) < room:
                    chosen.add(tr["y"][order[depth]])
            depth += 1
        for tr in bars:
            _keep(tr, [i for i, v in enumerate(tr["y"]) if v in chosen])
        axis = layout.setdefault("yaxis", {})
        if axis.get("categoryarray"):
            axis["categoryarray"] = [v for v in axis["categoryarray"] if v in chosen]
        _keep_ticks(axis, chosen)
        return len(chosen), total
    heat = [tr for tr in spec.get("data", []) if tr.get("type") == "heatmap"]
    if len(heat) == 1 and isinstance(heat[0].get("y"), list):
        trace = heat[0]
        total = len(trace["y"])
        room = max(3, int(plot_h // (HEAT_ROW_EMS * size_px)))
        if total <= room:
            return total, total
        z = trace.get("z") or []
        sums = [sum(float(v or 0) for v in row) for row in z]
        keep = sorted(sorted(range(total), key=lambda i: -sums[i])[:room])
        for key in ("y", "z", "customdata"):
            if isinstance(trace.get(key), list) and len(trace[key]) == total:
                trace[key] = [trace[key][i] for i in keep]
        _keep_ticks(layout.setdefault("yaxis", {}), set(trace["y"]))
        return room, total
    return 0, 0


def _fit_labels(spec: dict, width: float, size_px: float) -> None:
    """Category labels of the y axis cut to ``LABEL_SHARE`` of the picture's width, and the
    column labels of a heatmap wrapped (or thinned, for years) to their columns' width."""
    layout = spec["layout"]
    axis = layout.setdefault("yaxis", {})
    categories: list[str] = []
    for tr in spec.get("data", []):
        if tr.get("type") in ("bar", "heatmap") and all(isinstance(v, str) for v in (tr.get("y") or [])):
            categories.extend(v for v in tr.get("y") or [] if v not in categories)
    room = LABEL_SHARE * width
    if categories and axis.get("visible") is not False:
        if axis.get("tickvals") and axis.get("ticktext"):
            values, texts = list(axis["tickvals"]), [str(v) for v in axis["ticktext"]]
        else:
            values, texts = categories, categories
        shown = [_shorten(text, size_px, room) for text in texts]
        if shown != texts or axis.get("ticktext"):
            axis.update(tickmode="array", tickvals=values, ticktext=shown)
    heat = [tr for tr in spec.get("data", []) if tr.get("type") == "heatmap"]
    xaxis = layout.setdefault("xaxis", {})
    if heat and isinstance(heat[0].get("x"), list) and heat[0]["x"]:
        columns = [str(v) for v in heat[0]["x"]]
        column_w = (width * (1 - LABEL_SHARE)) / len(columns)
        if all(re.fullmatch(r"\d{4}", c) for c in columns):
            step = max(1, math.ceil((text_width("2000", size_px) + 14) / column_w))
            step = next(s for s in (1, 2, 5, 10, 20, 25, 50) if s >= step)
            xaxis.update(tickmode="array", tickvals=[c for c in columns if int(c) % step == 0], tickangle=0)
        elif not xaxis.get("tickvals"):
            per_line = max(4, int((column_w - 8) / (size_px * CHAR_WIDTH_EM)))
            wrapped = [_wrap_words(plain_text(c.replace("<br>", " ")), per_line) for c in columns]
            xaxis.update(tickmode="array", tickvals=heat[0]["x"], ticktext=wrapped, tickangle=0)


def _wrap_words(text: str, per_line: int, most: int = 3) -> str:
    if any(_wide(c) for c in text):
        per = max(2, per_line // 2)
        lines = [text[i : i + per] for i in range(0, len(text), per)]
    else:
        lines = textwrap.wrap(text, per_line, break_long_words=False) or [text]
    if len(lines) > most:
        lines = [*lines[: most - 1], " ".join(lines[most - 1 :])]
    return "<br>".join(html.escape(line, quote=False) for line in lines)


def _title_lines(text: str, size_px: float, width: float | None) -> list[str]:
    return [html.escape(line, quote=False) for line in _wrapped(text, size_px, width)]


def _corner_note(text: str, name: str, corner: str, shift: tuple[float, float], font: dict, **extra) -> dict:
    """An annotation at a corner of the plot ('top left', 'bottom left', 'top right'), moved by
    ``shift`` (x, y in px) to where ``stamp`` places it on the picture."""
    vertical, horizontal = corner.split()
    return dict(
        text=text,
        name=name,
        xref="paper",
        yref="paper",
        x=1 if horizontal == "right" else 0,
        y=1 if vertical == "top" else 0,
        xanchor=horizontal,
        yanchor=vertical,
        xshift=shift[0],
        yshift=shift[1],
        align="left",
        showarrow=False,
        font=font,
        **extra,
    )


def stamp(
    fig: go.Figure,
    meta: ChartMeta,
    *,
    preset: Preset | str = "screen",
    bare: bool = False,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """A copy of ``fig`` labelled and laid out for export at ``preset``.

    Full: the title, the filters line under it, the footer (source and export date, flush left
    with the title) and, for demo data, a red "Demo data" mark at the picture's top right. Bare
    (``bare=True``, decks and packs, where the slide or page carries title, filters, source and
    date): no title, no filters line, no footer; the demo mark stays. The type is sized for the
    preset (``style_for``: no text under 14 pt on a slide or page), legends stand above the plot,
    and the margins are fixed per preset and computed here, so the plot's right edge, the footer
    and the demo mark stand at the same place on every chart (``Frame`` in ``layout.meta``).
    ``width``/``height``: the picture's size in CSS px (the preset's by default; for ``screen``,
    no width means an HTML page, where titles do not wrap).
    """
    shown = resolve_preset(preset)
    projected = shown.projected
    spec = style_for(fig, shown).to_plotly_json()
    layout = spec.setdefault("layout", {})
    drop = ("footnote", "export-footer", "export-title", "demo-mark", "rows-note")
    layout["annotations"] = [a for a in layout.get("annotations") or [] if a.get("name") not in drop]
    body = shown.floor_px if projected else float(BASE_FONT_PX)
    title_px = round(shown.px(TITLE_PT), 1) if projected else float(TITLE_PX)
    caption_px = body if projected else CAPTION_PX
    footer_px = body if projected else float(FOOTER_PX)
    mark_px = body if projected else float(MARK_PX)
    legend_px = body if projected else 12.0
    W = width or (shown.width_px if projected else None)
    H = height or (shown.height_px if projected else None)
    if W is not None and H is None:
        H = image_size(fig, W)[1]
    layout.update(paper_bgcolor="white", plot_bgcolor="white")
    data = spec.setdefault("data", [])
    is_map = any(tr.get("type") in ("choropleth", "scattergeo") for tr in data)
    for _, axis in _axes(layout, "x"):
        if axis.get("side") == "top":
            axis["side"] = "bottom"  # category labels under the plot: the top band is the title's
    mark_w = text_width(meta.demo_stamp(), mark_px) + 2 * EDGE_PX if meta.is_demo else 0.0
    right = 40 if projected else 24
    if W is not None:
        _fit_labels(spec, W, body)

    # The top band: the title and filters line (full), then the legend or colour bar, then the
    # panels' titles, then the plot.
    titles: list[str] = []
    captions: list[str] = []
    mark_row = 0.0  # a row of its own for the demo mark, above the title, on a narrow picture
    if bare:
        title_band = (mark_px * 1.4 + MARK_INSET_PX + 4) if meta.is_demo else float(EDGE_PX)
    else:
        # Beside the demo mark when that leaves the title most of the width, else under it.
        if W is not None and mark_w and W - mark_w < 0.6 * W:
            mark_row = mark_px * 1.4 + 2
        title_width = None if W is None else W - (mark_w if not mark_row else 0)
        titles = _title_lines(meta.title, title_px, title_width)
        captions = [
            f"<span style='font-size:{caption_px}px;color:{MUTED}'>{line}</span>"
            for line in _title_lines(meta.filters, caption_px, None if W is None else W)
        ]
        title_band = EDGE_PX + mark_row + len(titles) * title_px * 1.3 + len(captions) * caption_px * 1.4 + 10
    layout["title"] = {"text": ""}
    legend = _shown_legend(data, layout)
    legend_w = (W or DEFAULT_WIDTH) - EDGE_PX - right
    legend_band = _legend_band(legend, legend_px, legend_w)
    colourbars = [tr for tr in data if tr.get("type") == "heatmap" and tr.get("showscale") is not False]
    bar_band = (2.6 * body + 18) if colourbars else 0.0
    panel_titles = [
        a
        for a in layout["annotations"]
        if a.get("yref") == "paper" and float(a.get("y", 0)) >= 0.999 and a.get("yanchor") == "bottom"
    ]
    panel_band = (1.35 * body + 6) if panel_titles else 0.0
    top = math.ceil(title_band + max(legend_band, bar_band) + panel_band + 6)

    # The bottom band: the x axis labels, notes under the plot, a line on rows left out, the footer.
    below = [
        a
        for a in layout["annotations"]
        if a.get("yref") == "paper" and float(a.get("y", 1)) <= 0 and a.get("yanchor") == "top"
    ]
    footer_lines = [] if bare else _title_lines(meta.footer(), footer_px, W)
    line_px = 1.3 * body + 4
    bottom = (0.0 if is_map else _bottom_room(spec, body)) + len(below) * line_px
    bottom += len(footer_lines) * footer_px * 1.3 + EDGE_PX + (6 if footer_lines else 0)
    rows_shown = (0, 0)
    if projected and H is not None:
        # Rows left out may take their legend entries with them (a family with no party shown),
        # and a smaller legend leaves room for more rows: the most rows whose own legend's band
        # still leaves room for them are kept (tried from the most that fit without a legend).
        fit_h = H - top - bottom - line_px
        if legend:
            row_px = ROW_EMS * body
            most = int((H - math.ceil(title_band + bar_band + panel_band + 6) - bottom - line_px) // row_px)
            for rows in range(max(3, most), 2, -1):
                trial = copy.deepcopy(spec)
                _fit_rows(trial, rows * row_px + 0.5, body)
                band = _legend_band(_shown_legend(trial["data"], trial["layout"]), legend_px, legend_w)
                room_top = math.ceil(title_band + max(band, bar_band) + panel_band + 6)
                if rows <= (H - room_top - bottom - line_px) // row_px:
                    legend_band, fit_h = band, rows * row_px + 0.5
                    break
            top = math.ceil(title_band + max(legend_band, bar_band) + panel_band + 6)
        rows_shown = _fit_rows(spec, fit_h, body)
        legend = _shown_legend(data, layout)
    rows_note = ""
    if rows_shown[0] < rows_shown[1]:
        with i18n.using(meta.lang):
            rows_note = t("export.rows_shown", shown=rows_shown[0], total=rows_shown[1])
        bottom += line_px
    bottom = math.ceil(bottom)
    left = 0 if is_map else math.ceil(EDGE_PX + _left_room(spec, body))
    layout["margin"] = dict(l=left, r=right, t=top, b=bottom, pad=0, autoexpand=True)
    plot_w = (W or DEFAULT_WIDTH) - left - right
    plot_h = (H if H is not None else float(fig.layout.height or 440)) - top - bottom

    band_top = title_band + 2  # where the legend or colour bar starts, px from the picture's top
    if legend:
        old = layout.get("legend") or {}
        placed: dict[str, object] = {
            "orientation": "h",
            "xanchor": "left",
            "yanchor": "top",
            "font": {**(old.get("font") or {}), "size": legend_px},
        }
        if _legend_rows(legend, legend_px, legend_w) > 1:
            # Columns as wide as the widest entry is estimated: plotly's grid is then the one
            # whose height the band reserved.
            placed.update(entrywidth=math.ceil(max(text_width(n, legend_px) for n in legend)), entrywidthmode="pixels")
        # Paper coordinates reaching into the margins: flush left with the title, in the band
        # reserved for it (container coordinates would make plotly reserve a margin of its own).
        placed.update(
            xref="paper",
            yref="paper",
            x=(EDGE_PX - left) / max(plot_w, 1),
            y=1 + (top - band_top) / max(plot_h, 1),
        )
        layout["legend"] = {**old, **placed}
    for trace in colourbars:
        bar = trace.get("colorbar") or {}
        placed = {  # the same band as a legend: above the plot, flush left
            "orientation": "h",
            "xanchor": "left",
            "yanchor": "top",
            "len": min(460, 0.45 * (W or DEFAULT_WIDTH)),
            "lenmode": "pixels",
            "thickness": 14,
            "title": {
                **(bar.get("title") or {}),
                "side": "right",
                "font": {**((bar.get("title") or {}).get("font") or {}), "size": legend_px},
            },
        }
        placed.update(
            xref="paper",
            yref="paper",
            x=(EDGE_PX - left) / max(plot_w, 1),
            y=1 + (top - band_top) / max(plot_h, 1),
        )
        trace["colorbar"] = {**bar, **placed}
    for note in below:  # notes under the plot (the map's off-map count) flush left with the footer
        if float(note.get("x", 0)) == 0 and note.get("xanchor") == "left" and note.get("xref") == "paper":
            note["xshift"] = EDGE_PX - left
    if W is not None:
        _extend_for_bar_text(spec, plot_w, body)
        _place_era_labels(spec, plot_w, plot_h, body)
    if titles:
        layout["annotations"].append(
            _corner_note(
                "<br>".join(titles + captions),
                "export-title",
                "top left",
                (EDGE_PX - left, top - EDGE_PX - mark_row),
                dict(size=title_px, color="#1b1f24"),
            )
        )
    notes_under = [*([rows_note] if rows_note else []), *footer_lines]
    if notes_under:
        layout["annotations"].append(
            _corner_note(
                "<br>".join(html.escape(line, quote=False) if line == rows_note else line for line in notes_under),
                "export-footer" if footer_lines else "rows-note",
                "bottom left",
                (EDGE_PX - left, EDGE_PX - bottom),
                dict(size=footer_px, color=MUTED),
            )
        )
    if meta.is_demo:
        layout["annotations"].append(
            _corner_note(
                meta.demo_stamp(),
                "demo-mark",
                "top right",
                (right - MARK_INSET_PX, top - MARK_INSET_PX),
                dict(size=mark_px, color=DEMO_COLOUR),
                bgcolor="rgba(255,255,255,0.85)",
            )
        )
    frame = Frame(W, H, left, right, top, bottom)
    old_meta = layout.get("meta") if isinstance(layout.get("meta"), dict) else {}
    layout["meta"] = {**old_meta, "frame": asdict(frame), "preset": shown.name, "rows_shown": list(rows_shown)}
    if W is not None:
        layout["width"], layout["height"] = W, H
    return go.Figure(spec, _validate=False)


def stamped_title(fig: go.Figure) -> str:
    """The title block a stamped figure carries (title lines, then the filters lines), as markup."""
    return next((a.text or "" for a in fig.layout.annotations if a.name == "export-title"), "")


def frame_of(fig: go.Figure) -> Frame | None:
    """The margins ``stamp`` set on ``fig`` (None for a figure it did not stamp)."""
    meta = fig.layout.meta
    if not isinstance(meta, dict) or "frame" not in meta:
        return None
    return Frame(**meta["frame"])


def mark_offset(fig: go.Figure) -> tuple[float, float] | None:
    """Where the demo mark's top-right corner lands, in px from the picture's right and top
    edges, from the margins ``stamp`` set and the mark's own anchor and shifts (None: no mark)."""
    frame = frame_of(fig)
    mark = next((a for a in fig.layout.annotations if a.name == "demo-mark"), None)
    if frame is None or mark is None:
        return None
    from_right = frame.right - float(mark.xshift or 0) if mark.x == 1 and mark.xanchor == "right" else float("nan")
    from_top = frame.top - float(mark.yshift or 0) if mark.y == 1 and mark.yanchor == "top" else float("nan")
    return from_right, from_top


def image_size(fig: go.Figure, width: int | None = None, height: int | None = None) -> tuple[int, int]:
    """Width and height in CSS pixels: given ones, else 1200 wide and the figure's own height
    plus room for the footer (at least 540)."""
    own = fig.layout.height or 500
    return int(width or DEFAULT_WIDTH), int(height or max(MIN_HEIGHT, int(own) + 40))


# ---------------------------------------------------------------------------------------------
# The browser


def find_browser() -> str | None:
    """Path of the browser Kaleido will use: LEDGER_BROWSER if set (None when it is not an
    executable file), else what Kaleido finds on this machine."""
    configured = load_settings().browser_path
    if configured:
        path = Path(configured).expanduser()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return _found_browser()


@lru_cache(maxsize=1)
def _found_browser() -> str | None:
    from choreographer.browsers.chromium import Chromium

    try:
        found = Chromium.find_browser(skip_local=False)
    except Exception:  # best effort: any failure means "not found"
        return None
    return found if found and Path(found).is_file() else None


def browser_available() -> bool:
    """Whether PNG, SVG, PDF and slide exports can run here."""
    return find_browser() is not None


def require_browser() -> str:
    """The browser path, or BrowserMissingError with the sentence saying what to install."""
    path = find_browser()
    if path is None:
        configured = load_settings().browser_path
        raise BrowserMissingError(t("export.error.browser_not_executable", path=configured) if configured else "")
    return path


@dataclass(frozen=True)
class ImageJob:
    """One image to render: a (stamped) figure, a format and its size."""

    fig: go.Figure
    fmt: str = "png"
    width: int = DEFAULT_WIDTH
    height: int = 675
    scale: float = 1.0


@lru_cache(maxsize=1)
def _kaleido_class():
    """Kaleido, reloading its page every ``RELOAD_EVERY`` figures instead of after each one.

    Kaleido reloads its page (and parses plotly.js again) after every figure, which is about
    40% of the time of a batch; each figure is drawn in a fresh element and purged after, so
    the pictures are the same byte for byte (checked for PNG and PDF). The periodic reload
    keeps memory in check. Should a future Kaleido rename the hook, it simply reloads every
    time again.
    """
    import kaleido

    class BatchKaleido(kaleido.Kaleido):
        _since_reload = 0

        async def _return_kaleido_tab(self, tab) -> None:
            self._since_reload += 1
            if self._since_reload >= RELOAD_EVERY:
                self._since_reload = 0
                await tab.reload()
            await self.tabs_ready.put(tab)

    return BatchKaleido


class _ShutdownNoise(logging.Filter):
    """Drops choreographer's "JSONError decoding message. Ignoring" traceback while a renderer
    closes its browser: the browser's last, cut-off message on the pipe as it exits, which
    choreographer ignores anyway, printed as an ERROR with a traceback after a successful export.
    The same error during a render still shows (and a render that lost its answer times out
    with an ExportError)."""

    closing = 0  # renderers closing now
    dropped = 0  # records dropped so far (for tests)

    def filter(self, record: logging.LogRecord) -> bool:
        if _ShutdownNoise.closing and str(record.msg).startswith("JSONError decoding message"):
            _ShutdownNoise.dropped += 1
            return False
        return True


_PIPE_LOGGER = "choreographer.channels.pipe"
_shutdown_noise = _ShutdownNoise()


def _quiet_shutdown() -> None:
    logger = logging.getLogger(_PIPE_LOGGER)
    if _shutdown_noise not in logger.filters:
        logger.addFilter(_shutdown_noise)


class ImageRenderer:
    """One headless browser kept open for many renders.

    Use as a context manager (``with ImageRenderer() as r: r.render(jobs)``). Kaleido is
    asynchronous; the renderer runs its event loop on a private thread, so it can be called
    from any thread (Streamlit sessions, deferred downloads, the CLI).
    """

    def __init__(self, browser: str | None = None, *, timeout_s: float = RENDER_TIMEOUT_S, tabs: int = 1):
        self.tabs = tabs
        self.browser = browser or require_browser()
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self._warming: threading.Thread | None = None
        self.last_used = time.monotonic()

    def __enter__(self) -> ImageRenderer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._kaleido is not None

    def warm_up(self) -> None:
        """Start the browser on a background thread and return at once; ``render`` waits for it."""
        if self._kaleido is None and not (self._warming and self._warming.is_alive()):
            self._warming = threading.Thread(target=self._warm, name="kaleido-warm-up", daemon=True)
            self._warming.start()

    def _warm(self) -> None:
        try:
            self.start()
        except Exception:  # render() starts again and reports the error to its caller
            pass

    def start(self) -> None:
        """Start the browser (a few seconds); does nothing when it runs already."""
        with self._lock:
            if self._kaleido is not None:
                return
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="kaleido-renderer", daemon=True)
            thread.start()
            self._loop, self._thread = loop, thread
            try:
                self._kaleido = self._call(self._open(), self.timeout_s)
            except BaseException as error:
                self._stop_loop()
                if isinstance(error, ExportError):
                    raise
                raise ExportError(t("export.error.browser_start", browser=self.browser, error=error)) from error

    async def _open(self):
        from choreographer.errors import ChromeNotFoundError

        try:
            renderer = _kaleido_class()(n=self.tabs, timeout=self.timeout_s, mathjax=False, path=self.browser)
        except ChromeNotFoundError as error:
            raise BrowserMissingError(str(self.browser)) from error
        await renderer.open()
        return renderer

    def _call(self, coroutine, timeout: float):
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def render(self, jobs: Sequence[ImageJob]) -> list[bytes]:
        """The bytes of each job's image, in order, all through this one browser."""
        if not jobs:
            return []
        if self._kaleido is None:
            self.start()
        self.last_used = time.monotonic()
        topojson = TOPOJSON_DIR.resolve().as_uri() + "/"

        async def batch():
            return await asyncio.gather(
                *(
                    self._kaleido.calc_fig(
                        job.fig,
                        opts={"format": job.fmt, "width": job.width, "height": job.height, "scale": job.scale},
                        topojson=topojson,
                    )
                    for job in jobs
                )
            )

        try:
            result = self._call(batch(), self.timeout_s * len(jobs))
        except Exception as error:
            raise ExportError(t("export.error.render", error=error)) from error
        finally:
            self.last_used = time.monotonic()
        return list(result)

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._loop.close()
        self._loop = self._thread = self._kaleido = None

    def close(self) -> None:
        """Close the browser and its thread (the browser's last words on the pipe are not an
        error: ``_ShutdownNoise``)."""
        with self._lock:
            _quiet_shutdown()
            _ShutdownNoise.closing += 1
            try:
                if self._kaleido is not None:
                    try:
                        self._call(self._kaleido.close(), 30)
                    except Exception:  # a browser that died already: nothing left to close
                        pass
                self._stop_loop()
            finally:
                _ShutdownNoise.closing -= 1


_shared: ImageRenderer | None = None
_shared_lock = threading.Lock()


def shared_renderer() -> ImageRenderer:
    """The process-wide renderer of the app: started on first use, closed after ten idle
    minutes (and at exit), restarted when needed."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.browser != require_browser():
            if _shared is not None:
                _shared.close()
            _shared = ImageRenderer()
            _start_idle_watch()
            atexit.register(_shared.close)
        return _shared


def _start_idle_watch() -> None:
    def watch():
        while True:
            time.sleep(30)
            with _shared_lock:
                renderer = _shared
                if renderer is None:
                    return
                if renderer.running and time.monotonic() - renderer.last_used > SHARED_IDLE_S:
                    renderer.close()

    threading.Thread(target=watch, name="kaleido-idle-watch", daemon=True).start()


def render_images(jobs: Sequence[ImageJob], renderer: ImageRenderer | None = None) -> list[bytes]:
    """Render jobs through ``renderer``, or through a browser opened for this batch only."""
    if renderer is not None:
        try:
            return renderer.render(jobs)
        except ExportError:
            if renderer is _shared:  # the app's browser may have died: one fresh try
                renderer.close()
                return renderer.render(jobs)
            raise
    with ImageRenderer() as own:
        return own.render(jobs)


# ---------------------------------------------------------------------------------------------
# Documents and data


def _has_geo(fig: go.Figure) -> bool:
    return any(trace.type in ("choropleth", "scattergeo") for trace in fig.data)


@lru_cache(maxsize=4)
def _topojson_script(name: str) -> str:
    """JavaScript that puts one outline into plotly.js's topojson cache, so it is never fetched."""
    data = (TOPOJSON_DIR / f"{name}.json").read_text(encoding="utf-8")
    data = json.dumps(json.loads(data), separators=(",", ":")).replace("</", "<\\/")
    return (
        "window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};\n"
        "window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};\n"
        f"window.PlotlyGeoAssets.topojson[{json.dumps(name)}] = {data};\n"
    )


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def to_html(fig: go.Figure, meta: ChartMeta) -> bytes:
    """A self-contained interactive page: plotly.js and the world outline are embedded, so it
    opens with no network (a closed network, a file share, an e-mail attachment)."""
    stamped = stamp(fig, meta)
    stamped.update_layout(width=None, autosize=True)
    height = int(stamped.layout.height or 500) + 40
    stamped.update_layout(height=height)
    div = stamped.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id="chart",
        default_width="100%",
        default_height=f"{height}px",
        config={
            "displaylogo": False,
            "responsive": True,
            "topojsonURL": "./",
            "toImageButtonOptions": {"filename": Path(meta.file_name("png")).stem, "scale": 2},
        },
    )
    geo = ""
    if _has_geo(stamped):
        geo = "\n".join(_topojson_script(path.stem) for path in sorted(TOPOJSON_DIR.glob("*.json")))
    title = html.escape(meta.title + (f" ({meta.demo_mark()})" if meta.is_demo else ""))
    page = (
        f'<!DOCTYPE html>\n<html lang="{HTML_LANG[meta.lang]}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        f'<meta name="description" content="{html.escape(meta.filters)} · {html.escape(meta.footer())}">\n'
        f"<style>body{{margin:0;padding:12px;font-family:{PAGE_FONTS};}}</style>\n"
        f"<script>{_plotly_js()}</script>\n"
        f"<script>{geo}</script>\n"
        f"</head>\n<body>\n{div}\n</body>\n</html>\n"
    )
    return page.encode("utf-8")


# The language tag of an HTML page, a PDF and a deck, by the dashboard's language code.
HTML_LANG = {"en": "en", "zh": "zh-CN"}
# The page's own text (none today but the body's) falls back like the charts' template font.
PAGE_FONTS = (
    "'DejaVu Sans','Liberation Sans',Arial,'Noto Sans CJK SC','WenQuanYi Zen Hei',"  # i18n: not text
    "'Microsoft YaHei','Noto Color Emoji',sans-serif"  # i18n: not text
)


def column_headers(data: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``data`` with its column headers in ``lang`` (``spreadsheet.header``); values unchanged."""
    with i18n.using(lang):
        return spreadsheet.with_headers(data)


def neutralise(value):
    """A cell value safe to open in a spreadsheet (``spreadsheet.safe_cell``): text starting with
    = + - @ (or a tab or carriage return) gets a leading apostrophe so it is never run as a formula."""
    return safe_cell(value)


def to_csv(data: pd.DataFrame, meta: ChartMeta) -> bytes:
    """The data behind the chart as UTF-8 CSV (with a byte-order mark for Excel): first lines
    ``# Title: …``, ``# Filters: …``, ``# Source: …``, ``# Exported: …``, ``# Data: …``, then
    the table with its header row (formulas neutralised by ``analytics.spreadsheet``)."""
    table = column_headers(data, meta.lang)
    with i18n.using(meta.lang):
        preamble = [[t("export.about.line", label=label, value=value)] for label, value in meta.rows()]
    return spreadsheet.csv_bytes(table, preamble=preamble)


def to_xlsx(data: pd.DataFrame, meta: ChartMeta) -> bytes:
    """An Excel workbook: sheet 'Data' (the table, header on row 1, frozen) and sheet 'About'
    (title, filters, source, export date and the demo mark). Text that starts like a formula
    is stored as text, never as a formula (``analytics.spreadsheet``)."""
    with i18n.using(meta.lang):
        about_name, data_name = t("export.sheet.about"), t("export.sheet.data")
    about = spreadsheet.Sheet(
        about_name,
        rows=[[label, value] for label, value in meta.rows()],
        widths={"A": 12, "B": 80},
        fonts={"B1": {"bold": True}, **({"B5": {"bold": True, "color": "B3261E"}} if meta.is_demo else {})},
    )
    return spreadsheet.xlsx_bytes(
        column_headers(data, meta.lang),
        sheet_name=data_name,
        freeze_header=True,
        bold_header=True,
        fit_columns=True,
        extra_sheets=[about],
        properties={"title": meta.title, "subject": meta.filters, "creator": meta.source},
    )


# ---------------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its key, file extension, MIME type and whether it needs the browser;
    its menu label and help text come from the catalogue (``export.format.<key>``) in the current
    language. Document and data formats carry their writer; image formats are rendered in
    batches by Kaleido."""

    key: str
    extension: str
    mime: str
    needs_browser: bool
    write: Callable[[go.Figure, pd.DataFrame, ChartMeta], bytes] | None = None
    default_scale: float = 1.0

    @property
    def label(self) -> str:
        """'PNG image', 'PNG 图片': the export menu's button."""
        return t(f"export.format.{self.key}")

    @property
    def description(self) -> str:
        """What the format is for: the button's help."""
        return t(f"export.format.{self.key}.help")


def _format(
    key: str,
    needs_browser: bool,
    write: Callable[[go.Figure, pd.DataFrame, ChartMeta], bytes] | None = None,
    default_scale: float = 1.0,
) -> ExportFormat:
    """An export format whose extension and MIME type come from the registry (``analytics.formats``)."""
    record = formats.FORMATS[key]
    return ExportFormat(key, record.extension, record.mime, needs_browser, write, default_scale)


FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        _format("png", True, default_scale=2.0),
        _format("svg", True),
        _format("pdf", True),
        _format("html", False, write=lambda fig, data, meta: to_html(fig, meta)),
        _format("csv", False, write=lambda fig, data, meta: to_csv(data, meta)),
        _format("xlsx", False, write=lambda fig, data, meta: to_xlsx(data, meta)),
    )
}
IMAGE_FORMATS = tuple(key for key, f in FORMATS.items() if f.needs_browser)


def format_for_path(path: str | Path) -> str:
    """The format key from a file's extension; ExportError listing the known ones otherwise."""
    found = next(
        (f for kind in (formats.CHART_PICTURE, formats.CHART_DATA) if (f := formats.find_file(path, kind))), None
    )
    if found is None or found.name not in FORMATS:
        extensions = ", ".join(f".{f.extension}" for f in FORMATS.values())
        raise ExportError(t("export.error.unknown_extension", path=repr(str(path)), extensions=extensions))
    return found.name


@dataclass(frozen=True)
class ExportRequest:
    """One chart to export in one format; size and scale default per format."""

    fig: go.Figure
    data: pd.DataFrame
    meta: ChartMeta
    fmt: str
    width: int | None = None
    height: int | None = None
    scale: float | None = None
    preset: Preset | str = "screen"


def picture_size(
    fig: go.Figure, preset: Preset | str = "screen", width: int | None = None, height: int | None = None
) -> tuple[int, int]:
    """The picture's size in CSS px: given ones, else the preset's (``screen``: 1200 wide and the
    figure's own height plus the footer, ``image_size``)."""
    shown = resolve_preset(preset)
    if not shown.projected:
        return image_size(fig, width, height)
    return int(width or shown.width_px), int(height or shown.height_px)


def picture_scale(fmt: str, preset: Preset | str = "screen", scale: float | None = None) -> float:
    """The pixel density of a picture: the given one, else the preset's for PNG, else 1."""
    if scale is not None:
        return float(scale)
    shown = resolve_preset(preset)
    if fmt == "png":
        return shown.scale
    return FORMATS[fmt].default_scale


def _check(request: ExportRequest) -> ExportFormat:
    if request.fmt not in FORMATS:
        raise ExportError(t("export.error.unknown_format", fmt=repr(request.fmt), formats=", ".join(FORMATS)))
    for key, value in (("export.error.width", request.width), ("export.error.height", request.height)):
        if value is not None and not 100 <= int(value) <= 8000:
            raise ExportError(t(key, value=value))
    if request.scale is not None and not 0.25 <= float(request.scale) <= 8:
        raise ExportError(t("export.error.scale", value=request.scale))
    return FORMATS[request.fmt]


def export_many(requests: Sequence[ExportRequest], renderer: ImageRenderer | None = None) -> list[bytes]:
    """The bytes of every request, in order; all images go through one browser."""
    formats = [_check(r) for r in requests]
    results: list[bytes | None] = [None] * len(requests)
    jobs, where = [], []
    for i, (request, fmt) in enumerate(zip(requests, formats, strict=True)):
        if fmt.needs_browser:
            width, height = picture_size(request.fig, request.preset, request.width, request.height)
            scale = picture_scale(fmt.key, request.preset, request.scale)
            stamped = stamp(request.fig, request.meta, preset=request.preset, width=width, height=height)
            jobs.append(ImageJob(stamped, fmt.key, width, height, scale))
            where.append(i)
        elif fmt.write is not None:
            results[i] = fmt.write(request.fig, request.data, request.meta)
        else:
            raise ExportError(t("export.error.no_writer", fmt=repr(fmt.key)))
    if jobs:
        for i, image in zip(where, render_images(jobs, renderer), strict=True):
            results[i] = image
    return [r if r is not None else b"" for r in results]


def export_chart(
    fig: go.Figure,
    data: pd.DataFrame,
    meta: ChartMeta,
    fmt: str,
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float | None = None,
    renderer: ImageRenderer | None = None,
    preset: Preset | str = "screen",
) -> bytes:
    """One chart in one format (see ``FORMATS``) at ``preset`` (screen, slide, a4); images need a
    browser (``BrowserMissingError``)."""
    request = ExportRequest(fig, data, meta, fmt, width, height, scale, preset)
    return export_many([request], renderer)[0]


def audit_export(
    actor: access.Actor | None,
    chart: str,
    fmt: str,
    filters: Filters | str,
    *,
    action: access.Action = access.Action.EXPORT,
    details: str = "",
    db: Path | str | None = None,
) -> None:
    """Check that ``actor`` may export (or, with ``action=Action.DOWNLOAD``, download a table) and
    write the audit entry: the chart, the format and the filters in words. Called by the ``export``
    command and the pages' download buttons; a refusal is audited and raises AccessDeniedError."""
    with i18n.using("en"):  # the audit log is a record in one language
        words = filters if isinstance(filters, str) else filters.describe()
    access.require(actor, action, chart, f"{fmt}; filters: {words}", db=db)
    access.audit(actor, action, chart, "; ".join(p for p in (fmt, f"filters: {words}", details) if p), db=db)
