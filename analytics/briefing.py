"""Briefing packs: a list of catalog charts with their filters and notes, built into a 16:9
PowerPoint deck (python-pptx) or a PDF pack (reportlab) with the same content.

A ``BriefingSpec`` (title, subtitle, the briefing's current filters and the charts, each with
its own saved filters or none, notes and build options) is saved and loaded as a small JSON
file (format in ``docs/export.md``), so a monthly briefing is rebuilt in one click or one
command. ``prepare`` draws every chart through ``chart_catalog.build_chart`` and renders all
pictures through one browser; ``build_pptx`` and ``build_pdf`` lay them out: a title page,
then one chart per page with its title, the filters in words, the notes, the source, the
date and the page number, and the "Demo data" mark when the ledger is synthetic. Called by
the Briefing page and the ``briefing`` command; nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analytics import export
from analytics.filters import FilterError, Filters

SPEC_FORMAT = "ledger-briefing"
SPEC_VERSION = 1
MAX_CHARTS = 40
MAX_NOTES = 2000
MAX_TITLE = 200
# Pictures are drawn at 1280 x 720 CSS pixels and rendered at 2.5x: 3200 x 1800 pixels, sharp
# on a projector and in print; the slide font is enlarged so text stays readable.
SLIDE_WIDTH_PX = 1280
SLIDE_HEIGHT_PX = 720
SLIDE_SCALE = 2.5
OPTION_TYPES = (str, int, float, bool, list)
FORMATS = {"pptx": "PowerPoint deck", "pdf": "PDF pack"}


class BriefingError(ValueError):
    """A briefing spec that cannot be read or built; the message says what to fix."""


# ---------------------------------------------------------------------------------------------
# The spec


@dataclass(frozen=True)
class BriefingItem:
    """One chart of a briefing: catalog name, its own saved filters (None: the briefing's
    current filters), notes shown with the chart, and build options (e.g. ``top``)."""

    chart: str
    filters: Filters | None = None
    notes: str = ""
    options: Mapping[str, object] = field(default_factory=dict, hash=False)

    def effective_filters(self, current: Filters) -> Filters:
        """The filters this chart is drawn with."""
        return self.filters if self.filters is not None else current

    def to_dict(self) -> dict:
        out: dict = {"chart": self.chart}
        out["filters"] = self.filters.to_params() if self.filters is not None else None
        if self.notes:
            out["notes"] = self.notes
        if self.options:
            out["options"] = dict(self.options)
        return out


@dataclass(frozen=True)
class BriefingSpec:
    """A whole briefing; ``to_json`` / ``from_json`` are the saved file."""

    title: str = "Briefing"
    subtitle: str = ""
    filters: Filters = field(default_factory=Filters)
    items: tuple[BriefingItem, ...] = ()

    def to_dict(self) -> dict:
        return {
            "format": SPEC_FORMAT,
            "version": SPEC_VERSION,
            "title": self.title,
            "subtitle": self.subtitle,
            "filters": self.filters.to_params(),
            "charts": [item.to_dict() for item in self.items],
        }

    def to_json(self) -> str:
        """The spec as pretty-printed JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, raw: object, *, known_charts: Sequence[str] | None = None) -> BriefingSpec:
        """Validate a parsed spec; BriefingError names the first problem."""
        if not isinstance(raw, dict):
            raise BriefingError("A briefing file holds one JSON object with 'title' and 'charts'.")
        if raw.get("format", SPEC_FORMAT) != SPEC_FORMAT:
            raise BriefingError(f"Not a briefing file: 'format' is {raw.get('format')!r}, expected {SPEC_FORMAT!r}.")
        version = raw.get("version", SPEC_VERSION)
        if not isinstance(version, int) or version > SPEC_VERSION:
            raise BriefingError(f"Briefing file version {version!r} is newer than this program reads ({SPEC_VERSION}).")
        title = _text(raw.get("title", "Briefing"), "title", MAX_TITLE) or "Briefing"
        subtitle = _text(raw.get("subtitle", ""), "subtitle", MAX_TITLE)
        filters = _filters(raw.get("filters"), "the briefing's 'filters'") or Filters()
        charts = raw.get("charts")
        if not isinstance(charts, list) or not charts:
            raise BriefingError("A briefing needs a non-empty 'charts' list.")
        if len(charts) > MAX_CHARTS:
            raise BriefingError(f"A briefing holds at most {MAX_CHARTS} charts; this one has {len(charts)}.")
        items = []
        for number, entry in enumerate(charts, start=1):
            if isinstance(entry, str):
                entry = {"chart": entry}
            if not isinstance(entry, dict) or not isinstance(entry.get("chart"), str):
                raise BriefingError(f"Chart {number}: give an object with a 'chart' name.")
            name = entry["chart"].strip()
            if known_charts is not None and name not in known_charts:
                raise BriefingError(f"Chart {number}: unknown chart {name!r}. Charts: {', '.join(known_charts)}")
            options = entry.get("options") or {}
            if not isinstance(options, dict) or not all(
                isinstance(k, str) and isinstance(v, OPTION_TYPES) for k, v in options.items()
            ):
                raise BriefingError(f"Chart {number} ({name}): 'options' must map names to numbers, text or lists.")
            items.append(BriefingItem(
                chart=name,
                filters=_filters(entry.get("filters"), f"chart {number} ({name})"),
                notes=_text(entry.get("notes", ""), f"chart {number} notes", MAX_NOTES),
                options=options,
            ))
        return cls(title=title, subtitle=subtitle, filters=filters, items=tuple(items))

    @classmethod
    def from_json(cls, text: str | bytes, *, known_charts: Sequence[str] | None = None) -> BriefingSpec:
        """Parse and validate the saved JSON text."""
        try:
            raw = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise BriefingError(f"The briefing file is not valid JSON: {error}") from None
        return cls.from_dict(raw, known_charts=known_charts)


def _text(value: object, what: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BriefingError(f"The {what} must be text.")
    if len(value) > limit:
        raise BriefingError(f"The {what} is {len(value)} characters long; the limit is {limit}.")
    return value.strip()


def _filters(value: object, where: str) -> Filters | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BriefingError(f"Filters of {where} must be an object such as {{\"region\": [\"Africa\"]}}.")
    try:
        return Filters.from_params(value)
    except FilterError as error:
        raise BriefingError(f"Filters of {where}: {error}") from None


def load_spec(path: str | Path, *, known_charts: Sequence[str] | None = None) -> BriefingSpec:
    """Read a saved briefing file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise BriefingError(f"Cannot read the briefing file {path}: {error.strerror or error}") from None
    return BriefingSpec.from_json(text, known_charts=known_charts)


def spec_for_charts(names: Sequence[str], *, title: str = "Briefing", subtitle: str = "",
                    filters: Filters | None = None) -> BriefingSpec:
    """A spec of the named charts, all with the briefing's filters."""
    return BriefingSpec(title=title, subtitle=subtitle, filters=filters or Filters(),
                        items=tuple(BriefingItem(name) for name in names))


# ---------------------------------------------------------------------------------------------
# Drawing the content


@dataclass(frozen=True)
class Slide:
    """One chart page: its title, filters in words, notes and the rendered picture."""

    chart: str
    title: str
    caption: str
    notes: str
    image: bytes
    width_px: int
    height_px: int


@dataclass(frozen=True)
class BriefingContent:
    """Everything a deck or a PDF pack shows, ready to lay out."""

    title: str
    subtitle: str
    caption: str
    source: str
    is_demo: bool
    day: dt.date
    slides: tuple[Slide, ...]

    @property
    def pages(self) -> int:
        """Title page plus one page per chart."""
        return 1 + len(self.slides)

    def date_text(self) -> str:
        return f"{self.day.day} {self.day:%B %Y}"

    def footer(self) -> str:
        return f"Source: {self.source} · {self.date_text()}"


def slide_size(fig) -> tuple[int, int]:
    """CSS pixel size of a chart's picture: always 16:9, the shape of the slide's picture box
    (a taller picture would shrink to a strip; the chart's own layout adapts instead)."""
    return SLIDE_WIDTH_PX, SLIDE_HEIGHT_PX


def prepare(
    con: duckdb.DuckDBPyConnection,
    spec: BriefingSpec,
    *,
    is_demo: bool,
    current: Filters | None = None,
    source: str | None = None,
    renderer: export.ImageRenderer | None = None,
    day: dt.date | None = None,
) -> BriefingContent:
    """Build every chart of ``spec`` (items without saved filters take ``current``, else the
    spec's filters) and render all pictures through one browser."""
    from analytics import chart_catalog

    if not spec.items:
        raise BriefingError("The briefing has no charts: add at least one.")
    source = source or chart_catalog.DEFAULT_SOURCE
    day = day or dt.date.today()
    current = current if current is not None else spec.filters
    unknown = [item.chart for item in spec.items if item.chart not in chart_catalog.CHARTS]
    if unknown:
        raise BriefingError(f"Unknown chart(s): {', '.join(unknown)}. Charts: {', '.join(chart_catalog.CHARTS)}")
    if renderer is None:
        with export.ImageRenderer() as own:
            own.warm_up()
            return prepare(con, spec, is_demo=is_demo, current=current, source=source, renderer=own, day=day)
    renderer.warm_up()  # the browser starts while the charts are computed
    jobs, drafts = [], []
    for item in spec.items:
        filters = item.effective_filters(current)
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in item.options.items()}
        fig, _ = chart_catalog.build_chart(con.cursor(), item.chart, filters, is_demo=is_demo, source=source,
                                           **options)
        meta = export.chart_meta(item.chart, fig, filters=chart_catalog.filters_caption(con.cursor(), filters),
                                 is_demo=is_demo, source=source, exported=day)
        width, height = slide_size(fig)
        jobs.append(export.ImageJob(export.stamp(fig, meta, slide=True), "png", width, height, SLIDE_SCALE))
        drafts.append((item, meta, width, height))
    images = export.render_images(jobs, renderer)
    slides = tuple(
        Slide(item.chart, meta.title, meta.filters, item.notes, image, int(w * SLIDE_SCALE), int(h * SLIDE_SCALE))
        for (item, meta, w, h), image in zip(drafts, images, strict=True)
    )
    return BriefingContent(
        title=spec.title or "Briefing",
        subtitle=spec.subtitle,
        caption=chart_catalog.filters_caption(con.cursor(), current),
        source=source,
        is_demo=is_demo,
        day=day,
        slides=slides,
    )


# ---------------------------------------------------------------------------------------------
# PowerPoint


PPT_WIDTH_IN = 13.333
PPT_HEIGHT_IN = 7.5
DARK = (0x1B, 0x1F, 0x24)
GREY = (0x5B, 0x64, 0x70)
ACCENT = (0x1F, 0x4E, 0x79)
RED = (0xB3, 0x26, 0x1E)


def _textbox(slide, left, top, width, height, text, *, size, bold=False, colour=DARK, align=None, wrap=True):
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = wrap
    lines = text.split("\n") if text else [""]
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor(*colour)
    return box


def _style_title(shape, text, *, size, left, top, width, height, colour=DARK):
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Inches, Pt

    shape.left, shape.top, shape.width, shape.height = Inches(left), Inches(top), Inches(width), Inches(height)
    shape.text = text
    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    for paragraph in frame.paragraphs:
        paragraph.alignment = PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = True
            run.font.color.rgb = RGBColor(*colour)


def build_pptx(content: BriefingContent) -> bytes:
    """A 16:9 deck: title slide, then one slide per chart with title, filters, picture, notes,
    source and date, and the page number (notes also go to the speaker notes)."""
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(PPT_WIDTH_IN), Inches(PPT_HEIGHT_IN)
    deck.core_properties.title = content.title
    deck.core_properties.subject = content.subtitle or content.caption
    deck.core_properties.author = content.source
    total = content.pages

    first = deck.slides.add_slide(deck.slide_layouts[0])
    _style_title(first.shapes.title, content.title, size=40, left=0.8, top=1.6, width=11.7, height=1.6,
                 colour=ACCENT)
    subtitle = first.placeholders[1]
    if content.subtitle:
        subtitle.left, subtitle.top = Inches(0.8), Inches(3.35)
        subtitle.width, subtitle.height = Inches(11.7), Inches(0.8)
        subtitle.text = content.subtitle
        for paragraph in subtitle.text_frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
    else:  # an empty placeholder would show "Click to add subtitle" while editing
        subtitle.element.getparent().remove(subtitle.element)
    _textbox(first, 0.8, 4.3, 11.7, 1.0, f"{content.date_text()}\nFilters: {content.caption}", size=16, colour=GREY)
    if content.is_demo:
        _textbox(first, 0.8, 5.5, 11.7, 0.5, export.DEMO_NOTE + ": no meeting shown here happened.", size=16,
                 bold=True, colour=RED)
    _textbox(first, 0.8, 6.75, 11.7, 0.4, f"Source: {content.source}", size=11, colour=GREY)

    for number, page in enumerate(content.slides, start=2):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        _style_title(slide.shapes.title, page.title, size=26, left=0.5, top=0.2, width=12.3, height=0.8)
        _textbox(slide, 0.5, 1.0, 12.3, 0.4, f"Filters: {page.caption}", size=14, colour=GREY)
        box_left, box_top, box_height = 0.5, 1.5, 5.15
        box_width = 9.0 if page.notes else 12.3
        ratio = page.width_px / page.height_px
        width = min(box_width, box_height * ratio)
        height = width / ratio
        left = box_left + (box_width - width) / 2 if not page.notes else box_left
        slide.shapes.add_picture(io.BytesIO(page.image), Inches(left), Inches(box_top), Inches(width), Inches(height))
        if page.notes:
            _textbox(slide, 9.75, 1.5, 3.05, 5.15, page.notes, size=14)
            slide.notes_slide.notes_text_frame.text = page.notes
        _textbox(slide, 0.5, 6.85, 8.0, 0.4, content.footer(), size=11, colour=GREY)
        if content.is_demo:
            _textbox(slide, 7.0, 6.85, 3.6, 0.4, export.DEMO_MARK, size=12, bold=True, colour=RED,
                     align=PP_ALIGN.CENTER)
        _textbox(slide, 10.8, 6.85, 2.0, 0.4, f"{number} / {total}", size=11, colour=GREY, align=PP_ALIGN.RIGHT)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# PDF


FONT_FILES = {
    "regular": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
    "bold": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
             "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
}


def _pdf_fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu/Liberation when installed (any script), else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = []
    for style, fallback in (("regular", "Helvetica"), ("bold", "Helvetica-Bold")):
        name = f"Briefing-{style}"
        if name in pdfmetrics.getRegisteredFontNames():
            names.append(name)
            continue
        path = next((p for p in FONT_FILES[style] if Path(p).is_file()), None)
        if path is None:
            names.append(fallback)
            continue
        pdfmetrics.registerFont(TTFont(name, path))
        names.append(name)
    return names[0], names[1]


def build_pdf(content: BriefingContent) -> bytes:
    """A PDF pack on A4 landscape pages: a title page with the list of charts, then one page
    per chart with title, filters, picture, notes, source, date and page number."""
    from PIL import Image as PILImage
    from reportlab import rl_config
    from reportlab.lib.colors import Color
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    from reportlab.platypus import Paragraph

    rl_config.useA85 = 0  # binary streams: reportlab's ASCII85 encoder is pure Python and slow
    regular, bold = _pdf_fonts()
    page_w, page_h = landscape(A4)
    margin = 36
    dark, grey, accent, red = (Color(*(c / 255 for c in rgb)) for rgb in (DARK, GREY, ACCENT, RED))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(page_w, page_h), pageCompression=1)
    pdf.setTitle(content.title)
    pdf.setSubject(content.subtitle or content.caption)
    pdf.setAuthor(content.source)
    pdf.setCreator("python -m analytics briefing")
    total = content.pages

    def paragraph(text, size, font=regular, colour=dark, leading=None):
        style = ParagraphStyle("p", fontName=font, fontSize=size, leading=leading or size * 1.25, textColor=colour)
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
        return Paragraph(escaped, style)

    def draw(par, x, top, width):
        _, height = par.wrap(width, page_h)
        par.drawOn(pdf, x, top - height)
        return height

    def footer(number):
        pdf.setFont(regular, 9)
        pdf.setFillColor(grey)
        pdf.drawString(margin, 20, content.footer())
        pdf.drawRightString(page_w - margin, 20, f"{number} / {total}")
        if content.is_demo:
            pdf.setFont(bold, 10)
            pdf.setFillColor(red)
            pdf.drawCentredString(page_w / 2, 20, export.DEMO_MARK)

    # Title page
    top = page_h - 150
    top -= draw(paragraph(content.title, 30, bold, accent), margin + 20, top, page_w - 2 * margin - 40) + 12
    if content.subtitle:
        top -= draw(paragraph(content.subtitle, 18), margin + 20, top, page_w - 2 * margin - 40) + 10
    top -= draw(paragraph(f"{content.date_text()} · Filters: {content.caption}", 12, colour=grey), margin + 20, top,
                page_w - 2 * margin - 40) + 10
    if content.is_demo:
        top -= draw(paragraph(export.DEMO_NOTE + ": no meeting shown here happened.", 13, bold, red), margin + 20,
                    top, page_w - 2 * margin - 40) + 10
    top -= 18
    listing = "\n".join(f"{n}.  {s.title}" for n, s in enumerate(content.slides, start=2))
    draw(paragraph("Charts (page and title):\n" + listing, 11, leading=16), margin + 20, top, page_w - 2 * margin - 40)
    footer(1)
    pdf.showPage()

    for number, page in enumerate(content.slides, start=2):
        width = page_w - 2 * margin
        top = page_h - margin
        top -= draw(paragraph(page.title, 20, bold), margin, top, width) + 4
        top -= draw(paragraph(f"Filters: {page.caption}", 11, colour=grey), margin, top, width) + 10
        notes_height = 0
        notes = None
        if page.notes:
            notes = paragraph(page.notes, 11)
            _, notes_height = notes.wrap(width, page_h)
            notes_height = min(notes_height, 160) + 10
        bottom = 40 + notes_height
        box_h = top - bottom
        ratio = page.width_px / page.height_px
        img_w = min(width, box_h * ratio)
        img_h = img_w / ratio
        x = margin + (width - img_w) / 2
        picture = ImageReader(PILImage.open(io.BytesIO(page.image)).convert("RGB"))
        pdf.drawImage(picture, x, top - img_h, img_w, img_h)
        if notes is not None:
            notes.drawOn(pdf, margin, top - img_h - 10 - notes.wrap(width, page_h)[1])
        footer(number)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


BUILDERS = {"pptx": build_pptx, "pdf": build_pdf}


def briefing_format(path: str | Path) -> str:
    """'pptx' or 'pdf' from a file name; BriefingError otherwise."""
    extension = Path(path).suffix.lower().lstrip(".")
    if extension not in BUILDERS:
        raise BriefingError(f"A briefing is written as .pptx (slide deck) or .pdf (PDF pack), not {str(path)!r}.")
    return extension


def briefing_file_name(title: str, fmt: str, day: dt.date | None = None) -> str:
    """``monthly-briefing_2026-11-28.pptx``: only [a-z0-9_.-]."""
    return f"{export.slug(title or 'briefing')}_{(day or dt.date.today()).isoformat()}.{fmt}"


def build_briefing(
    con: duckdb.DuckDBPyConnection,
    spec: BriefingSpec,
    fmt: str,
    *,
    is_demo: bool,
    current: Filters | None = None,
    source: str | None = None,
    renderer: export.ImageRenderer | None = None,
    day: dt.date | None = None,
) -> bytes:
    """The deck ('pptx') or PDF pack ('pdf') of a spec."""
    if fmt not in BUILDERS:
        raise BriefingError(f"Unknown briefing format {fmt!r}: use pptx or pdf.")
    content = prepare(con, spec, is_demo=is_demo, current=current, source=source, renderer=renderer, day=day)
    return BUILDERS[fmt](content)
