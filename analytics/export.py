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
import datetime as dt
import html
import json
import os
import re
import textwrap
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    """The first line of the figure's title, as plain text."""
    text = fig.layout.title.text or ""
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
# Stamping a figure


def _margin(fig: go.Figure, side: str, default: int) -> int:
    value = getattr(fig.layout.margin, side)
    if value is None and fig.layout.template is not None and fig.layout.template.layout is not None:
        value = getattr(fig.layout.template.layout.margin, side)
    return int(value) if value is not None else default


def _has_x_title(fig: go.Figure) -> bool:
    return any(axis.title is not None and axis.title.text for axis in fig.select_xaxes() if axis.side != "top")


TITLE_PX = 17  # the chart template's title size; the filters line under it is 12.5 px
CAPTION_PX = 12.5
CHAR_WIDTH_EM = 0.6  # a generous average character width of DejaVu Sans, in ems


def _wide(char: str) -> bool:
    """A character a CJK face draws a full em wide."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def _wrapped(text: str, size_px: float, width_px: int | None) -> list[str]:
    """``text`` in lines that fit ``width_px`` (less the title's padding) at ``size_px``; one
    line when the width is not known (HTML pages wrap nothing but fill the window). Text with
    Chinese in it breaks between any two characters, a Chinese one counting a full em."""
    if width_px is None:
        return [text]
    per_line = max(20, int((width_px - 24) / (size_px * CHAR_WIDTH_EM)))
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


def stamp(fig: go.Figure, meta: ChartMeta, *, slide: bool = False, width: int | None = None) -> go.Figure:
    """A copy of ``fig`` labelled for export.

    Full mode: the title, the filters line under it, the footer (source and export date) and,
    for demo data, a red "Demo data" mark at the top right; with the image ``width`` (CSS px),
    a title or filters line too long for it wraps instead of running off the picture. Slide
    mode (decks and PDF packs, where the slide itself carries title, filters, source and date):
    no title and no footer, tighter margins and a larger font, but the demo mark stays on the
    picture.
    """
    out = go.Figure(fig)
    kept = [a for a in out.layout.annotations if a.name not in ("footnote", "export-footer", "demo-mark")]
    out.layout.annotations = kept
    top = _margin(out, "t", 96)
    bottom = _margin(out, "b", 64)
    if slide:
        top = 56
        out.update_layout(title=dict(text=""), margin=dict(t=top), font=dict(size=16))
    else:
        titles = [html.escape(line, quote=False) for line in _wrapped(meta.title, TITLE_PX, width)]
        captions = [
            f"<span style='font-size:{CAPTION_PX}px;color:{MUTED}'>{html.escape(line, quote=False)}</span>"
            for line in _wrapped(meta.filters, CAPTION_PX, width)
        ]
        top = max(top, 88) + 22 * (len(titles) - 1) + 16 * (len(captions) - 1)
        out.update_layout(title=dict(text="<br>".join(titles + captions)), margin=dict(t=top))
        shift = 58 if _has_x_title(out) else 40
        bottom = max(bottom, shift + 30)
        out.update_layout(margin=dict(b=bottom))
        out.add_annotation(
            text=html.escape(meta.footer(), quote=False),
            name="export-footer",
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            xanchor="left",
            yanchor="top",
            yshift=-shift,
            showarrow=False,
            align="left",
            font=dict(size=11, color=MUTED),
        )
    if meta.is_demo:
        out.add_annotation(
            text=meta.demo_stamp(),
            name="demo-mark",
            xref="paper",
            yref="paper",
            x=1,
            y=1,
            xanchor="right",
            yanchor="top",
            yshift=top - 8,
            showarrow=False,
            font=dict(size=13, color=DEMO_COLOUR),
            bgcolor="rgba(255,255,255,0.85)",
        )
    return out


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
        """Close the browser and its thread."""
        with self._lock:
            if self._kaleido is not None:
                try:
                    self._call(self._kaleido.close(), 30)
                except Exception:  # a browser that died already: nothing left to close
                    pass
            self._stop_loop()


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
            width, height = image_size(request.fig, request.width, request.height)
            scale = float(request.scale) if request.scale is not None else fmt.default_scale
            jobs.append(ImageJob(stamp(request.fig, request.meta, width=width), fmt.key, width, height, scale))
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
) -> bytes:
    """One chart in one format (see ``FORMATS``); images need a browser (``BrowserMissingError``)."""
    request = ExportRequest(fig, data, meta, fmt, width, height, scale)
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
