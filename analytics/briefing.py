"""Briefing packs: a list of catalog charts with their filters and notes, built into a 16:9
PowerPoint deck (python-pptx) or a PDF pack (reportlab) with the same content.

A ``BriefingSpec`` (title, subtitle, the briefing's current filters and the charts, each with
its own saved filters or none, notes and build options) is saved and loaded as a small JSON
file (format in ``docs/export.md``), so a monthly briefing is rebuilt in one click or one
command. Options are checked per chart against what its builder takes (``check_options``).
``prepare`` draws every chart through ``chart_catalog.build_chart`` (a chart that cannot be
drawn is a ``BriefingError`` naming it) and renders all pictures through one browser;
``build_pptx`` and ``build_pdf`` lay them out: a title page, then one chart per page with its
title, the filters in words, the notes (fitted to the page), the source, the date and the
page number, and the "Demo data" mark when the ledger is synthetic. Called by the Briefing
page and the ``briefing`` command; nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import json
import textwrap
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from analytics import access, chart_catalog, explore, export, formats, i18n, texts
from analytics.errors import DomainError, InvalidInputError
from analytics.filters import FilterError, Filters
from analytics.i18n import t
from analytics.untrusted import capped

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
# The briefing formats of the registry (``analytics.formats``, kind briefing); ``format_label``
# names each in the current language.
FORMATS = ("pptx", "pdf")


def format_label(fmt: str) -> str:
    """'PowerPoint deck' or 'PDF pack' in the current language."""
    return t(f"briefing.format.{fmt}")


class BriefingError(InvalidInputError):
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
    """A whole briefing; ``to_json`` / ``from_json`` are the saved file. ``title`` empty: the
    default title in the briefing's language. ``lang``: the language the briefing is built in
    and its file records (by default the current one when the spec is made: the page's
    language, the command's ``--lang``)."""

    title: str = ""
    subtitle: str = ""
    filters: Filters = field(default_factory=Filters)
    items: tuple[BriefingItem, ...] = ()
    lang: str = field(default_factory=i18n.current)

    def to_dict(self) -> dict:
        return {
            "format": SPEC_FORMAT,
            "version": SPEC_VERSION,
            "lang": self.lang,
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
            raise BriefingError(t("briefing.error.not_object"))
        if raw.get("format", SPEC_FORMAT) != SPEC_FORMAT:
            found = capped(repr(raw.get("format")))
            raise BriefingError(t("briefing.error.not_briefing", found=found, expected=repr(SPEC_FORMAT)))
        version = raw.get("version", SPEC_VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            raise BriefingError(t("briefing.error.version_type", found=capped(repr(version))))
        if version > SPEC_VERSION:
            raise BriefingError(t("briefing.error.version_new", version=version, supported=SPEC_VERSION))
        lang = _language(raw.get("lang"))
        title = _text(raw.get("title", ""), t("briefing.what.title"), MAX_TITLE)
        subtitle = _text(raw.get("subtitle", ""), t("briefing.what.subtitle"), MAX_TITLE)
        filters = _filters(raw.get("filters"), t("briefing.where.briefing")) or Filters()
        charts = raw.get("charts")
        if not isinstance(charts, list) or not charts:
            raise BriefingError(t("briefing.error.no_charts_list"))
        if len(charts) > MAX_CHARTS:
            raise BriefingError(t("briefing.error.too_many", limit=MAX_CHARTS, count=len(charts)))
        items = []
        for number, entry in enumerate(charts, start=1):
            if isinstance(entry, str):
                entry = {"chart": entry}
            if not isinstance(entry, dict) or not isinstance(entry.get("chart"), str):
                raise BriefingError(t("briefing.error.chart_entry", number=number))
            name = entry["chart"].strip()
            if known_charts is not None and name not in known_charts:
                charts_list = ", ".join(known_charts)
                raise BriefingError(
                    t("briefing.error.unknown_chart", number=number, name=repr(capped(name)), charts=charts_list)
                )
            options = entry.get("options") or {}
            if not isinstance(options, dict):
                raise BriefingError(t("briefing.error.options_type", number=number, name=capped(name)))
            if name in chart_catalog.CHARTS:  # other names are refused above or by prepare()
                check_options(number, name, options)
            items.append(
                BriefingItem(
                    chart=name,
                    filters=_filters(entry.get("filters"), t("briefing.where.chart", number=number, name=capped(name))),
                    notes=_text(entry.get("notes", ""), t("briefing.what.notes", number=number), MAX_NOTES),
                    options=options,
                )
            )
        made = cls(title=title, subtitle=subtitle, filters=filters, items=tuple(items))
        return made if lang is None else replace(made, lang=lang)

    @classmethod
    def from_json(cls, text: str | bytes, *, known_charts: Sequence[str] | None = None) -> BriefingSpec:
        """Parse and validate the saved JSON text."""
        try:
            raw = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise BriefingError(t("briefing.error.json", error=error)) from None
        except RecursionError:
            raise BriefingError(t("briefing.error.nested")) from None
        try:
            return cls.from_dict(raw, known_charts=known_charts)
        except RecursionError:  # a value nested just short of the parser's limit, echoed in a message
            raise BriefingError(t("briefing.error.nested")) from None


def _language(value: object) -> str | None:
    """The saved 'lang' ('en', 'zh'; None when the file has none: the current language)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BriefingError(t("briefing.error.lang_type", found=capped(repr(value))))
    try:
        return i18n.normalise(value)
    except i18n.LanguageError as error:
        raise BriefingError(t("briefing.error.lang", error=capped(str(error)))) from None


def _text(value: object, what: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BriefingError(t("briefing.error.text_type", what=what))
    if len(value) > limit:
        raise BriefingError(t("briefing.error.text_long", what=what, length=len(value), limit=limit))
    return value.strip()


def _filters(value: object, where: str) -> Filters | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BriefingError(t("briefing.error.filters_type", where=where))
    try:
        return Filters.from_params(value)
    except FilterError as error:
        raise BriefingError(t("briefing.error.filters", where=where, error=error)) from None


# ---------------------------------------------------------------------------------------------
# Chart options: the names a chart's builder takes, and what each value may be


@cache
def chart_options(name: str) -> tuple[str, ...]:
    """The build options of a catalog chart: the keyword-only parameters of its builder, so the
    check follows the catalog (``OPTION_RULES`` must know each one; a test checks it)."""
    parameters = inspect.signature(chart_catalog.CHARTS[name].build).parameters.values()
    return tuple(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)


@dataclass(frozen=True)
class OptionRule:
    """What an option's value may be: ``what`` in words (the catalogue's ``key`` with its
    ``fields``, in the current language), ``valid`` checks a value read from JSON."""

    key: str
    fields: Mapping[str, object] = field(hash=False)
    valid: Callable[[object], bool] = field(hash=False)

    @property
    def what(self) -> str:
        return t(self.key, **self.fields)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole_in(low: int, high: int) -> OptionRule:
    return OptionRule(
        "briefing.rule.whole",
        {"low": low, "high": high},
        lambda v: isinstance(v, int) and _whole(v) and low <= v <= high,
    )


def _one_of(values: Sequence[str]) -> OptionRule:
    return OptionRule(
        "briefing.rule.one_of", {"values": ", ".join(values)}, lambda v: isinstance(v, str) and v in values
    )


def _period(example: str) -> OptionRule:
    return OptionRule(
        "briefing.rule.period",
        {"example": example},
        lambda v: (
            isinstance(v, list | tuple)
            and len(v) == 2
            and all(_whole(y) and 1900 <= y <= 2200 for y in v)
            and v[0] <= v[1]
        ),
    )


OPTION_RULES: dict[str, OptionRule] = {
    "top": _whole_in(1, 100),
    "height": _whole_in(200, 2000),
    "baseline_years": _whole_in(1, 50),
    "dimension": _one_of(chart_catalog.COMPARE_DIMENSIONS),
    "period_a": _period("[2010, 2014]"),
    "period_b": _period("[2015, 2019]"),
    "rows": _one_of(list(explore.PIVOT_DIMENSIONS)),
    "columns": _one_of(list(explore.PIVOT_DIMENSIONS)),
    "measure": _one_of(explore.PIVOT_MEASURES),
}


def check_options(number: int, name: str, options: Mapping[str, object]) -> None:
    """BriefingError naming chart ``number`` (``name``, a catalog chart) and the first option it
    does not take or whose value is of the wrong kind."""
    where = t("briefing.error.chart", number=number, name=name)
    accepted = chart_options(name)
    for key, value in options.items():
        if key not in accepted:
            takes = (
                t("briefing.error.takes", options=", ".join(accepted)) if accepted else t("briefing.error.takes_none")
            )
            raise BriefingError(t("briefing.error.unknown_option", where=where, option=capped(repr(key)), takes=takes))
        rule = OPTION_RULES.get(key)  # every option has a rule (a test checks); none: the build decides
        if rule is not None and not rule.valid(value):
            shown = capped(json.dumps(value, default=str))
            raise BriefingError(
                t("briefing.error.option_value", where=where, option=repr(key), what=rule.what, found=shown)
            )
    if ("period_a" in options) != ("period_b" in options):
        raise BriefingError(t("briefing.error.periods", where=where))


def check_spec(spec: BriefingSpec) -> None:
    """BriefingError for the first chart of ``spec`` that cannot be built: a name the catalog does
    not know, or options it does not take (checked before any query or browser work)."""
    if not spec.items:
        raise BriefingError(t("briefing.error.empty"))
    charts = chart_catalog.CHARTS
    unknown = [item.chart for item in spec.items if item.chart not in charts]
    if unknown:
        raise BriefingError(
            t("briefing.error.unknown_charts", names=capped(", ".join(unknown)), charts=", ".join(charts))
        )
    for number, item in enumerate(spec.items, start=1):
        check_options(number, item.chart, item.options)


def load_spec(path: str | Path, *, known_charts: Sequence[str] | None = None) -> BriefingSpec:
    """Read a saved briefing file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise BriefingError(t("briefing.error.read", path=path, error=error.strerror or error)) from None
    return BriefingSpec.from_json(text, known_charts=known_charts)


def spec_for_charts(
    names: Sequence[str],
    *,
    title: str = "",
    subtitle: str = "",
    filters: Filters | None = None,
    lang: str | None = None,
) -> BriefingSpec:
    """A spec of the named charts, all with the briefing's filters, in ``lang`` (else the current language)."""
    return BriefingSpec(
        title=title,
        subtitle=subtitle,
        filters=filters or Filters(),
        items=tuple(BriefingItem(name) for name in names),
        lang=i18n.normalise(lang) if lang else i18n.current(),
    )


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
    """Everything a deck or a PDF pack shows, ready to lay out, and the language of its words
    (``build_pptx`` and ``build_pdf`` speak it, and record it in the file)."""

    title: str
    subtitle: str
    caption: str
    source: str
    is_demo: bool
    day: dt.date
    slides: tuple[Slide, ...]
    lang: str = field(default_factory=i18n.current)

    @property
    def pages(self) -> int:
        """Title page plus one page per chart."""
        return 1 + len(self.slides)

    def date_text(self) -> str:
        """'28 November 2026' in English, '2026年11月28日' in Chinese."""
        if self.lang == "en":
            return f"{self.day.day} {self.day:%B %Y}"
        with i18n.using(self.lang):
            return i18n.date(self.day)

    def footer(self) -> str:
        with i18n.using(self.lang):
            return t("briefing.footer", source=self.source, date=self.date_text())


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
    lang: str | None = None,
) -> BriefingContent:
    """Build every chart of ``spec`` (items without saved filters take ``current``, else the
    spec's filters) and render all pictures through one browser, in ``lang`` (else the spec's
    language, else the current one)."""
    check_spec(spec)
    with i18n.using(lang or spec.lang) as code:
        return _prepare(
            con, spec, is_demo=is_demo, current=current, source=source, renderer=renderer, day=day, lang=code
        )


def _prepare(
    con: duckdb.DuckDBPyConnection,
    spec: BriefingSpec,
    *,
    is_demo: bool,
    current: Filters | None,
    source: str | None,
    renderer: export.ImageRenderer | None,
    day: dt.date | None,
    lang: str,
) -> BriefingContent:
    source = source or texts.source()
    day = day or dt.date.today()
    current = current if current is not None else spec.filters
    if renderer is None:
        with export.ImageRenderer() as own:
            own.warm_up()
            return _prepare(
                con, spec, is_demo=is_demo, current=current, source=source, renderer=own, day=day, lang=lang
            )
    renderer.warm_up()  # the browser starts while the charts are computed
    jobs, drafts = [], []
    for number, item in enumerate(spec.items, start=1):
        filters = item.effective_filters(current)
        options: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in item.options.items()}
        try:
            fig, _ = chart_catalog.build_chart(
                con.cursor(), item.chart, filters, is_demo=is_demo, source=source, **options
            )
        except (TypeError, DomainError) as error:  # an option of the wrong type, or a value a metric refuses
            detail = " ".join(str(error).split())  # one line (Plotly's messages span several)
            raise BriefingError(t("briefing.error.draw", number=number, name=item.chart, detail=detail)) from error
        meta = export.chart_meta(
            item.chart,
            fig,
            filters=chart_catalog.filters_caption(con.cursor(), filters),
            is_demo=is_demo,
            source=source,
            exported=day,
        )
        width, height = slide_size(fig)
        jobs.append(export.ImageJob(export.stamp(fig, meta, slide=True), "png", width, height, SLIDE_SCALE))
        drafts.append((item, meta, width, height))
    images = export.render_images(jobs, renderer)
    slides = tuple(
        Slide(item.chart, meta.title, meta.filters, item.notes, image, int(w * SLIDE_SCALE), int(h * SLIDE_SCALE))
        for (item, meta, w, h), image in zip(drafts, images, strict=True)
    )
    return BriefingContent(
        title=spec.title or t("briefing.default_title"),
        subtitle=spec.subtitle,
        caption=chart_catalog.filters_caption(con.cursor(), current),
        source=source,
        is_demo=is_demo,
        day=day,
        slides=slides,
        lang=lang,
    )


# ---------------------------------------------------------------------------------------------
# PowerPoint


PPT_WIDTH_IN = 13.333
PPT_HEIGHT_IN = 7.5
DARK = (0x1B, 0x1F, 0x24)
GREY = (0x5B, 0x64, 0x70)
ACCENT = (0x1F, 0x4E, 0x79)
RED = (0xB3, 0x26, 0x1E)
NOTES_BOX_IN = (9.75, 1.5, 3.05, 5.15)  # left, top, width, height of the notes beside the picture
TEXT_INSET_IN = (0.1, 0.05)  # python-pptx's default inner margins of a text box: left/right, top/bottom
NOTES_SIZES_PT = (14, 13, 12, 11, 10)  # the largest whose estimated lines fit is used; 10 pt is the floor
CHAR_WIDTH_EM = 0.5  # average width of a character of running text in Calibri (the deck's font), in ems
LINE_SPACING = 1.2
# The deck's faces, set on every text run: Latin text in Calibri (the default theme's face; Carlito
# or DejaVu Sans stand in where it is missing), East Asian text in Microsoft YaHei, which every
# Windows and Office for Mac has; LibreOffice, which lacks it here, draws those characters with the
# system's CJK face (Noto Sans CJK SC). The GB2312 charset lets PowerPoint substitute a Simplified
# Chinese face should YaHei be missing too.
LATIN_FACE = "Calibri"
EAST_ASIAN_FACE = "Microsoft YaHei"
EAST_ASIAN_CHARSET = "-122"  # GB2312 (134) as the signed byte OOXML stores
DECK_LANG = {"en": "en-US", "zh": "zh-CN"}


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _estimated_lines(text: str, width_pt: float, size: float) -> int:
    """Lines ``text`` takes in a box ``width_pt`` wide at ``size`` pt (an estimate from the average
    character width, a CJK character counting as two; each line break starts a new line)."""
    per_line = max(1, int(width_pt / (size * CHAR_WIDTH_EM)))
    lines = 0
    for line in text.split("\n"):
        if any(_wide(c) for c in line):  # Chinese breaks between any two characters
            lines += max(1, -(-sum(2 if _wide(c) else 1 for c in line) // per_line))
        else:
            lines += max(1, len(textwrap.wrap(line, per_line)))
    return lines


def fit_notes(text: str, width_pt: float, height_pt: float) -> tuple[float, str]:
    """(font size, text to show) for notes in a box of ``width_pt`` x ``height_pt`` (inside its
    margins): the largest size of ``NOTES_SIZES_PT`` at which the estimated lines fit; past the
    floor, the text is cut at a word and ends with ``NOTES_CUT`` (the speaker notes hold it all)."""

    def fits(shown: str, size: float) -> bool:
        return _estimated_lines(shown, width_pt, size) * size * LINE_SPACING <= height_pt

    for size in NOTES_SIZES_PT:
        if fits(text, size):
            return size, text
    size = NOTES_SIZES_PT[-1]
    cut = t("briefing.notes_cut")
    if any(_wide(c) for c in text):  # cut Chinese between characters, not at spaces
        low, high = 0, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if fits(text[:middle].rstrip() + cut, size):
                low = middle
            else:
                high = middle - 1
        return size, text[:low].rstrip() + cut
    words = text.split(" ")
    low, high = 0, len(words) - 1  # the most words that fit with the cut mark after them
    while low < high:
        middle = (low + high + 1) // 2
        if fits(" ".join(words[:middle]).rstrip() + " " + cut, size):
            low = middle
        else:
            high = middle - 1
    return size, (" ".join(words[:low]).rstrip() + " " + cut).lstrip()


def set_run_faces(run, lang: str) -> None:
    """Give a text run its Latin and East Asian faces (``a:latin``, ``a:ea``) and its language,
    so PowerPoint and LibreOffice draw Chinese characters with a CJK face."""
    from pptx.oxml.ns import qn

    properties = run._r.get_or_add_rPr()
    properties.set("lang", DECK_LANG[lang])
    latin = properties.get_or_add_latin()
    latin.set("typeface", LATIN_FACE)
    east_asian = properties.find(qn("a:ea"))
    if east_asian is None:
        east_asian = latin.makeelement(qn("a:ea"), {})
        latin.addnext(east_asian)  # a:ea follows a:latin in the schema's order
    east_asian.set("typeface", EAST_ASIAN_FACE)
    east_asian.set("charset", EAST_ASIAN_CHARSET)


def _text_frames(deck):
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                yield shape.text_frame
        if slide.has_notes_slide:
            for shape in slide.notes_slide.shapes:
                if shape.has_text_frame:
                    yield shape.text_frame


def _set_faces(deck, lang: str) -> None:
    """Every run of the deck (slides and speaker notes) with its faces and language."""
    for frame in _text_frames(deck):
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                set_run_faces(run, lang)


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
    source and date, and the page number. Notes go to the speaker notes whole; beside the
    picture, long ones get a smaller font and, past the floor, are cut (``fit_notes``). Its words
    are in the content's language, which the core properties record; every run has a Latin and
    an East Asian face (``set_run_faces``)."""
    with i18n.using(content.lang):
        return _build_pptx(content)


def _build_pptx(content: BriefingContent) -> bytes:
    from pptx import Presentation
    from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(PPT_WIDTH_IN), Inches(PPT_HEIGHT_IN)
    deck.core_properties.title = content.title
    deck.core_properties.subject = content.subtitle or content.caption
    deck.core_properties.author = content.source
    deck.core_properties.language = DECK_LANG[content.lang]
    total = content.pages

    first = deck.slides.add_slide(deck.slide_layouts[0])
    _style_title(first.shapes.title, content.title, size=40, left=0.8, top=1.6, width=11.7, height=1.6, colour=ACCENT)
    subtitle = first.placeholders[1]
    if content.subtitle:
        subtitle.left, subtitle.top = Inches(0.8), Inches(3.35)
        subtitle.width, subtitle.height = Inches(11.7), Inches(0.8)
        subtitle.text = content.subtitle
        for paragraph in subtitle.text_frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
    else:  # an empty placeholder would show "Click to add subtitle" while editing
        subtitle.element.getparent().remove(subtitle.element)
    filters = t("briefing.filters", filters=content.caption)
    _textbox(first, 0.8, 4.3, 11.7, 1.0, f"{content.date_text()}\n{filters}", size=16, colour=GREY)
    if content.is_demo:
        _textbox(
            first,
            0.8,
            5.5,
            11.7,
            0.5,
            texts.demo_warning(),
            size=16,
            bold=True,
            colour=RED,
        )
    _textbox(first, 0.8, 6.75, 11.7, 0.4, t("briefing.source", source=content.source), size=11, colour=GREY)

    for number, page in enumerate(content.slides, start=2):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        _style_title(slide.shapes.title, page.title, size=26, left=0.5, top=0.2, width=12.3, height=0.8)
        _textbox(slide, 0.5, 1.0, 12.3, 0.4, t("briefing.filters", filters=page.caption), size=14, colour=GREY)
        box_left, box_top, box_height = 0.5, 1.5, 5.15
        box_width = 9.0 if page.notes else 12.3
        ratio = page.width_px / page.height_px
        width = min(box_width, box_height * ratio)
        height = width / ratio
        left = box_left + (box_width - width) / 2 if not page.notes else box_left
        slide.shapes.add_picture(io.BytesIO(page.image), Inches(left), Inches(box_top), Inches(width), Inches(height))
        if page.notes:
            left, top, width, height = NOTES_BOX_IN
            inset_x, inset_y = TEXT_INSET_IN
            size, shown = fit_notes(page.notes, (width - 2 * inset_x) * 72, (height - 2 * inset_y) * 72)
            box = _textbox(slide, left, top, width, height, shown, size=size)
            # Should the estimate be short for another font, the viewer shrinks the text to the box.
            box.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
            slide.notes_slide.notes_text_frame.text = page.notes
        _textbox(slide, 0.5, 6.85, 8.0, 0.4, content.footer(), size=11, colour=GREY)
        if content.is_demo:
            _textbox(
                slide, 7.0, 6.85, 3.6, 0.4, texts.demo_mark(), size=12, bold=True, colour=RED, align=PP_ALIGN.CENTER
            )
        page_number = t("briefing.page_number", page=number, total=total)
        _textbox(slide, 10.8, 6.85, 2.0, 0.4, page_number, size=11, colour=GREY, align=PP_ALIGN.RIGHT)
    _set_faces(deck, content.lang)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# PDF


# The pack embeds every face it uses (ReportLab embeds TrueType outlines only): DejaVu Sans for
# Latin text (Liberation Sans where it is missing), WenQuanYi Zen Hei (TrueType, unlike the CFF
# Noto Sans CJK) for the Chinese characters the Latin face lacks. Text is split into runs by the
# face that has each character, so Latin looks the same in both languages and DejaVu Bold stays
# bold; WenQuanYi has no bold, so Chinese headings are drawn in its regular weight.
FONT_FILES = {
    "regular": (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    ),
    "bold": (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    ),
    "cjk": (
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    ),
}
PDF_LANG = {"en": "en-GB", "zh": "zh-CN"}


def _register(style: str) -> str | None:
    """The registered name of one face (registered on first use), None when no file is installed."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = f"Briefing-{style}"
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    path = next((p for p in FONT_FILES[style] if Path(p).is_file()), None)
    if path is None:
        return None
    pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(name, path))
    return name


def _pdf_fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu/Liberation when installed (any script), else Helvetica."""
    return _register("regular") or "Helvetica", _register("bold") or "Helvetica-Bold"


@cache
def _coverage(font: str) -> frozenset[int]:
    """The code points a registered face draws (Latin-1 for a standard PDF face)."""
    from reportlab.pdfbase import pdfmetrics

    face = getattr(pdfmetrics.getFont(font), "face", None)
    if face is None:
        return frozenset(range(0x20, 0x100))
    return frozenset(face.charToGlyph)


def font_runs(text: str, font: str) -> list[tuple[str, str]]:
    """``text`` cut into (face, run) pieces: each character in ``font`` if it has the character,
    else in the CJK face if that has it, else in ``font`` (a missing glyph either way). Spaces
    and line breaks stay with the run they are in."""
    cjk = _register("cjk")
    latin_chars = _coverage(font)
    cjk_chars = _coverage(cjk) if cjk else frozenset()
    runs: list[tuple[str, str]] = []
    for char in text:
        code = ord(char)
        if char.isspace() and runs:
            face = runs[-1][0]
        elif code in latin_chars or code not in cjk_chars or cjk is None:
            face = font
        else:
            face = cjk
        if runs and runs[-1][0] == face:
            runs[-1] = (face, runs[-1][1] + char)
        else:
            runs.append((face, char))
    return runs


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


def _draw_string(pdf, x: float, y: float, text: str, font: str, size: float, *, align: str = "left") -> None:
    """Draw one line of ``text`` at ``y``, left-aligned at ``x``, centred on it or right-aligned to
    it, each run in the face that has its characters."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    runs = font_runs(text, font)
    width = sum(stringWidth(run, face, size) for face, run in runs)
    line = pdf.beginText(x - {"left": 0, "centre": width / 2, "right": width}[align], y)
    for face, run in runs:  # one text object, so a reader extracts the line as one
        line.setFont(face, size)
        line.textOut(run)
    pdf.drawText(line)


PDF_MARGIN = 36
PDF_CONTENT_BOTTOM = 40  # everything but the footer (drawn at 20 pt from the edge) stays above this
PDF_GAP = 10
PDF_NOTES_SIZES = (11, 10, 9, 8)  # notes shrink down to the 8 pt floor, then continue on a page of their own
MIN_PICTURE_SHARE = 0.55  # the picture's least share of the height under a chart page's heading


def _pdf_paragraph(
    text: str, size: float, font: str, colour: tuple[int, int, int] = DARK, leading: float | None = None
):
    """A reportlab paragraph of plain ``text`` (markup escaped, line breaks kept), each run in the
    face that has its characters (``font_runs``); text with Chinese in it breaks between any two
    characters, as Chinese does."""
    from reportlab.lib.colors import Color
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    runs = font_runs(text, font)
    style = ParagraphStyle(
        "p",
        fontName=font,
        fontSize=size,
        leading=leading or size * 1.25,
        textColor=Color(*(c / 255 for c in colour)),
        wordWrap="CJK" if any(face != font for face, _ in runs) else None,
    )
    markup = "".join(
        _escape(run) if face == font else f'<font name="{face}">{_escape(run)}</font>' for face, run in runs
    )
    return Paragraph(markup, style)


def _height(paragraph, width: float) -> float:
    return paragraph.wrap(width, 10_000)[1]


@dataclass(frozen=True)
class PdfPage:
    """One page of a PDF pack after the title page: a chart (heading, picture and the notes that
    fit under it) or, when long notes do not fit even at the floor size, a page continuing them."""

    slide: Slide
    heading: tuple  # paragraphs: the title (and, on a chart page, the filters)
    notes: Any = None  # the paragraph of the notes on this page
    more: bool = False  # the notes continue on the next page
    picture: bool = True


def plan_pdf(content: BriefingContent) -> list[PdfPage]:
    """The pages after the title page, laid out from measured heights: the notes get the room
    the picture leaves (never less than ``MIN_PICTURE_SHARE`` for the picture), in the largest of
    ``PDF_NOTES_SIZES`` that fits; notes still too long continue on pages of their own."""
    with i18n.using(content.lang):
        return _plan_pdf(content)


def _plan_pdf(content: BriefingContent) -> list[PdfPage]:
    from reportlab.lib.pagesizes import A4, landscape

    regular, bold = _pdf_fonts()
    page_w, page_h = landscape(A4)
    width = page_w - 2 * PDF_MARGIN
    full = page_h - PDF_MARGIN - PDF_CONTENT_BOTTOM  # height between the top margin and the footer
    pages: list[PdfPage] = []
    for slide in content.slides:
        heading: tuple = (
            _pdf_paragraph(slide.title, 20, bold),
            _pdf_paragraph(t("briefing.filters", filters=slide.caption), 11, regular, GREY),
        )
        free = full - sum(_height(p, width) for p in heading) - 4 - PDF_GAP
        if not slide.notes:
            pages.append(PdfPage(slide, heading))
            continue
        room = free * (1 - MIN_PICTURE_SHARE) - PDF_GAP
        for size in PDF_NOTES_SIZES:
            notes = _pdf_paragraph(slide.notes, size, regular)
            if _height(notes, width) <= room:
                break
        marker = _pdf_paragraph(t("briefing.notes_continue"), size, regular, GREY)
        room_with_marker = room - _height(marker, width) - 4
        picture, rest = True, notes
        while _height(rest, width) > room:
            parts = rest.split(width, room_with_marker)
            if len(parts) < 2:  # not one line fits here: all of it goes to the next page
                parts = [None, rest]
            pages.append(PdfPage(slide, heading, parts[0], more=True, picture=picture))
            heading = (_pdf_paragraph(t("briefing.notes_continued", title=slide.title), 16, bold),)
            room = full - _height(heading[0], width) - PDF_GAP
            room_with_marker = room - _height(marker, width) - 4
            picture, rest = False, parts[1]
        pages.append(PdfPage(slide, heading, rest, picture=picture))
    return pages


def build_pdf(content: BriefingContent) -> bytes:
    """A PDF pack on A4 landscape pages: a title page with the list of charts and their pages,
    then one page per chart with title, filters, picture, notes, source, date and page number
    (notes too long for the page continue on the next; see ``plan_pdf``). Its words are in the
    content's language, which the catalogue's /Lang records; every font is embedded."""
    with i18n.using(content.lang):
        return _build_pdf(content)


def _build_pdf(content: BriefingContent) -> bytes:
    from PIL import Image as PILImage
    from reportlab import rl_config
    from reportlab.lib.colors import Color
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rl_config.useA85 = 0  # binary streams: reportlab's ASCII85 encoder is pure Python and slow
    regular, bold = _pdf_fonts()
    page_w, page_h = landscape(A4)
    margin = PDF_MARGIN
    width = page_w - 2 * margin
    grey, red = (Color(*(c / 255 for c in rgb)) for rgb in (GREY, RED))
    plan = plan_pdf(content)
    total = 1 + len(plan)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(
        buffer,
        pagesize=(page_w, page_h),
        pageCompression=1,
        initialFontName=regular,  # else every page starts by naming Helvetica, a face not embedded
        lang=PDF_LANG[content.lang],
    )
    pdf.setTitle(content.title)
    pdf.setSubject(content.subtitle or content.caption)
    pdf.setAuthor(content.source)
    pdf.setCreator("python -m analytics briefing")

    def draw(par, x, top, box_width):
        height = _height(par, box_width)
        par.drawOn(pdf, x, top - height)
        return height

    def footer(number):
        pdf.setFillColor(grey)
        _draw_string(pdf, margin, 20, content.footer(), regular, 9)
        _draw_string(
            pdf, page_w - margin, 20, t("briefing.page_number", page=number, total=total), regular, 9, align="right"
        )
        if content.is_demo:
            pdf.setFillColor(red)
            _draw_string(pdf, page_w / 2, 20, texts.demo_mark(), bold, 10, align="centre")

    # Title page. A long list of charts (up to 40) goes in two columns and starts higher up.
    first_pages = [number for number, page in enumerate(plan, start=2) if page.picture]
    entries = [
        t("briefing.contents.entry", page=number, title=slide.title)
        for number, slide in zip(first_pages, content.slides, strict=True)
    ]
    block = [_pdf_paragraph(content.title, 30, bold, ACCENT)]
    if content.subtitle:
        block.append(_pdf_paragraph(content.subtitle, 18, regular))
    block.append(
        _pdf_paragraph(
            t("briefing.dated_filters", date=content.date_text(), filters=content.caption), 12, regular, GREY
        )
    )
    if content.is_demo:
        block.append(_pdf_paragraph(texts.demo_warning(), 13, bold, RED))
    inner = width - 40
    block_h = sum(_height(p, inner) + 10 for p in block) + 2 + 18
    heading = _pdf_paragraph(t("briefing.contents"), 11, regular, leading=16)
    for start, columns, leading in ((150, 1, 16), (150, 2, 16), (margin + 24, 2, 16), (margin + 24, 2, 12)):
        per_column = max(1, -(-len(entries) // columns))
        lists = [
            _pdf_paragraph(
                "\n".join(entries[i : i + per_column]), 11 if leading > 12 else 9.5, regular, leading=leading
            )
            for i in range(0, len(entries), per_column)
        ]
        listing_h = 16 + max((_height(p, inner / columns - 10) for p in lists), default=0)
        if page_h - start - block_h - listing_h >= PDF_CONTENT_BOTTOM:
            break
    top = page_h - start
    for number, paragraph in enumerate(block):
        top -= draw(paragraph, margin + 20, top, inner) + (12 if number == 0 else 10)
    top -= 18
    top -= draw(heading, margin + 20, top, inner)
    for column, paragraph in enumerate(lists):
        draw(paragraph, margin + 20 + column * inner / columns, top, inner / columns - 10)
    footer(1)
    pdf.showPage()

    for number, page in enumerate(plan, start=2):
        top = page_h - margin
        for paragraph, after in zip(page.heading, (4, PDF_GAP), strict=False):
            top -= draw(paragraph, margin, top, width) + after
        marker = _pdf_paragraph(
            t("briefing.notes_continue"), page.notes.style.fontSize if page.notes else 8, regular, GREY
        )
        notes_h = _height(page.notes, width) if page.notes is not None else 0
        if page.more:
            notes_h += _height(marker, width) + 4
        if page.picture:
            box_h = top - PDF_CONTENT_BOTTOM - (notes_h + PDF_GAP if notes_h else 0)
            ratio = page.slide.width_px / page.slide.height_px
            img_w = min(width, box_h * ratio)
            img_h = img_w / ratio
            picture = ImageReader(PILImage.open(io.BytesIO(page.slide.image)).convert("RGB"))
            pdf.drawImage(picture, margin + (width - img_w) / 2, top - img_h, img_w, img_h)
            top -= img_h + PDF_GAP
        if page.notes is not None:
            top -= draw(page.notes, margin, top, width)
        if page.more:
            draw(marker, margin, top - 4, width)
        footer(number)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def page_count(content: BriefingContent, fmt: str) -> int:
    """Pages of the deck ('pptx': title and one per chart) or the PDF pack (where long notes may
    take pages of their own)."""
    return 1 + len(plan_pdf(content)) if fmt == "pdf" else content.pages


BUILDERS = {"pptx": build_pptx, "pdf": build_pdf}


def briefing_format(path: str | Path) -> str:
    """'pptx' or 'pdf' from a file name; BriefingError otherwise."""
    found = formats.find_file(path, formats.BRIEFING)
    if found is None:
        raise BriefingError(t("briefing.error.file_format", path=repr(str(path))))
    return found.name


def briefing_file_name(title: str, fmt: str, day: dt.date | None = None) -> str:
    """``monthly-briefing_2026-11-28.pptx``: only [a-z0-9_.-] (a title with no Latin letters or
    digits, a Chinese one, gives ``briefing_...``)."""
    return f"{export.slug(title, fallback='briefing')}_{(day or dt.date.today()).isoformat()}.{fmt}"


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
    actor: access.Actor | None = None,
    access_db: Path | str | None = None,
    lang: str | None = None,
) -> bytes:
    """The deck ('pptx') or PDF pack ('pdf') of a spec, in ``lang`` (else the spec's language, else
    the current one): the guarded action ``save_briefing`` of ``actor`` (None: the local operator),
    audited in ``access_db`` (None: ``access.access_path()``)."""
    if fmt not in BUILDERS:
        raise BriefingError(t("briefing.error.format", fmt=repr(fmt)))
    with access.guard(
        actor, access.Action.SAVE_BRIEFING, spec.title or "briefing", briefing_details(spec, fmt), db=access_db
    ):
        content = prepare(
            con, spec, is_demo=is_demo, current=current, source=source, renderer=renderer, day=day, lang=lang
        )
        return BUILDERS[fmt](content)


def briefing_details(spec: BriefingSpec, fmt: str) -> str:
    """A briefing in words for the audit log: format, charts, filters."""
    charts = ", ".join(item.chart for item in spec.items)
    return f"{fmt}; charts: {charts}; filters: {spec.filters.describe()}"
