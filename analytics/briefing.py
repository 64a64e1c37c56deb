"""Briefing packs: a list of catalog charts with their filters and notes, built into a 16:9
PowerPoint deck (python-pptx) or a PDF pack (reportlab) with the same content.

A ``BriefingSpec`` (title, subtitle, the briefing's current filters, whether findings head the
pages, and the charts, each with its own saved filters or none, notes and build options) is
saved and loaded as a small JSON file (format in ``docs/export.md``), so a monthly briefing is
rebuilt in one click or one command. Options are checked per chart against what its builder
takes (``check_options``). ``prepare`` draws every chart through ``chart_catalog.build_chart``
(a chart that cannot be drawn is a ``BriefingError`` naming it), finds each chart's headline
and the summary with ``analytics.findings`` (once per distinct filters), and renders all
pictures through one browser, each at the size of the box it is shown in (the export presets
``slide`` and ``a4``). ``build_pptx`` and ``build_pdf`` lay them out: a title page, the
summary of findings, then one chart per page headed by its finding over the plain title and
the filters, with the notes (beside or under the picture when they fit, else in the speaker
notes or on the pages after), the source, the date, the page number and the "Demo data" mark
when the ledger is synthetic. Every heading is fitted (``fit``) by measuring it in the face
that draws it. Called by the Briefing page and the ``briefing`` command; nothing here imports
streamlit.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, partial
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analytics import access, chart_catalog, explore, export, formats, i18n, texts
from analytics import findings as findings_engine
from analytics.errors import DomainError, InvalidInputError
from analytics.filters import FilterError, Filters
from analytics.i18n import t
from analytics.untrusted import capped

SPEC_FORMAT = "ledger-briefing"
SPEC_VERSION = 1
MAX_CHARTS = 40
MAX_NOTES = 2000
MAX_TITLE = 200
# Each picture is drawn at the size of the box it is shown in (96 CSS px per inch, so its type
# sizes hold where it is shown) with the preset of its format, and rendered at the preset's scale.
PRESET_OF = {"pptx": "slide", "pdf": "a4"}
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
    findings: bool = True  # headlines from the findings and a summary page (``docs/export.md``)

    def to_dict(self) -> dict:
        return {
            "format": SPEC_FORMAT,
            "version": SPEC_VERSION,
            "lang": self.lang,
            "title": self.title,
            "subtitle": self.subtitle,
            "findings": self.findings,
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
        with_findings = raw.get("findings", True)  # files saved before the switch: on
        if not isinstance(with_findings, bool):
            raise BriefingError(t("briefing.error.findings_type", found=capped(repr(with_findings))))
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
                    notes=_text(entry.get("notes", ""), t("briefing.what.notes", number=number), MAX_NOTES, number),
                    options=options,
                )
            )
        made = cls(title=title, subtitle=subtitle, filters=filters, items=tuple(items), findings=with_findings)
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


def _text(value: object, what: str, limit: int, chart: int | None = None) -> str:
    """The text of a field (``chart``: the number of the chart whose notes it is)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BriefingError(t("briefing.error.text_type", what=what))
    if len(value) > limit:
        if chart is not None:
            raise BriefingError(t("briefing.error.notes_long", number=chart, length=len(value), limit=limit))
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
    findings: bool = True,
) -> BriefingSpec:
    """A spec of the named charts, all with the briefing's filters, in ``lang`` (else the current language)."""
    return BriefingSpec(
        title=title,
        subtitle=subtitle,
        filters=filters or Filters(),
        items=tuple(BriefingItem(name) for name in names),
        lang=i18n.normalise(lang) if lang else i18n.current(),
        findings=findings,
    )


# ---------------------------------------------------------------------------------------------
# Drawing the content


@dataclass(frozen=True)
class Slide:
    """One chart page: the chart's plain title, its filters in words, the notes, the headline
    (the top finding for the chart and its filters; empty: the plain title heads the page) and
    the rendered picture, with the box in inches it was drawn for (None: fitted to the box)."""

    chart: str
    title: str
    caption: str
    notes: str
    image: bytes
    width_px: int
    height_px: int
    headline: str = ""
    box: tuple[float, float] | None = None


@dataclass(frozen=True)
class BriefingContent:
    """Everything a deck or a PDF pack shows, ready to lay out, and the language of its words
    (``build_pptx`` and ``build_pdf`` speak it, and record it in the file). ``summary``: the top
    findings of the briefing's filters; ``findings``: whether the summary page is there (it says so when
    no finding stands out)."""

    title: str
    subtitle: str
    caption: str
    source: str
    is_demo: bool
    day: dt.date
    slides: tuple[Slide, ...]
    lang: str = field(default_factory=i18n.current)
    summary: tuple[str, ...] = ()
    findings: bool = False

    @property
    def pages(self) -> int:
        """Slides of the deck: title, the summary when the findings are on, one per chart."""
        return 1 + self.findings + len(self.slides)

    def date_text(self) -> str:
        """'28 November 2026' in English, '2026年11月28日' in Chinese."""
        if self.lang == "en":
            return f"{self.day.day} {self.day:%B %Y}"
        with i18n.using(self.lang):
            return i18n.date(self.day)

    def footer(self) -> str:
        with i18n.using(self.lang):
            return t("briefing.footer", source=self.source, date=self.date_text())


SUMMARY_FINDINGS = 6  # the summary page lists at most this many findings (fewer when they do not fit)


def summary_items(content: BriefingContent) -> tuple[str, ...]:
    """What the summary page lists: the findings, else one line saying none stands out."""
    return content.summary or (t("briefing.summary.none"),)


def headline_for(found: pd.DataFrame, chart: str) -> str:
    """The headline of a chart page: the sentence of the best-ranked finding whose ``chart`` is
    this chart, under the chart's own filters; empty when there is none (the plain title heads
    the page then). A finding about one subject that the slice's total chart shows only under
    that subject's filters (a party's exchanges per year) does not head the page, whose chart
    draws the whole slice."""
    total_chart = findings_engine.CHARTS["total"]
    drawn = (found["chart"] == chart) & ((found["dimension"] == "total") | (found["chart"] != total_chart))
    rows = found[drawn]
    return str(rows["text"].iloc[0]) if len(rows) else ""


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
    fmt: str = "pptx",
) -> BriefingContent:
    """Build every chart of ``spec`` (items without saved filters take ``current``, else the
    spec's filters) and render all pictures through one browser, each at the size of the box it
    is shown in by ``fmt`` ('pptx' or 'pdf'), in ``lang`` (else the spec's language, else the
    current one). With ``spec.findings``, the headlines and the summary come from the findings
    (computed once per distinct filters)."""
    check_spec(spec)
    if fmt not in BOXES:
        raise BriefingError(t("briefing.error.format", fmt=repr(fmt)))
    with i18n.using(lang or spec.lang) as code:
        return _prepare(
            con,
            spec,
            is_demo=is_demo,
            current=current,
            source=source,
            renderer=renderer,
            day=day,
            lang=code,
            fmt=fmt,
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
    fmt: str,
) -> BriefingContent:
    source = source or texts.source()
    day = day or dt.date.today()
    current = current if current is not None else spec.filters
    if renderer is None:
        with export.ImageRenderer() as own:
            own.warm_up()
            return _prepare(
                con,
                spec,
                is_demo=is_demo,
                current=current,
                source=source,
                renderer=own,
                day=day,
                lang=lang,
                fmt=fmt,
            )
    renderer.warm_up()  # the browser starts while the charts are computed
    found: dict[Filters, pd.DataFrame] = {}

    def findings_of(filters: Filters) -> pd.DataFrame:
        if filters not in found:
            found[filters] = findings_engine.findings(con.cursor(), filters, lang=lang)
        return found[filters]

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
        # The caption build_chart wrote: the filters in words, and the periods of a period chart.
        meta = export.chart_meta(item.chart, fig, is_demo=is_demo, source=source, exported=day)
        headline = headline_for(findings_of(filters), item.chart) if spec.findings else ""
        box = BOXES[fmt](Slide(item.chart, meta.title, meta.filters, item.notes, b"", 1, 1, headline=headline))
        preset = export.PRESETS[PRESET_OF[fmt]].sized(*box)  # drawn at the size it is shown at
        stamped = export.stamp(fig, meta, preset=preset, bare=True)
        jobs.append(export.ImageJob(stamped, "png", preset.width_px, preset.height_px, preset.scale))
        drafts.append((item, meta, box, preset, headline))
    summary: tuple[str, ...] = ()
    if spec.findings:
        summary = tuple(str(text) for text in findings_of(current)["text"].head(SUMMARY_FINDINGS))
    images = export.render_images(jobs, renderer)
    slides = tuple(
        Slide(
            item.chart,
            meta.title,
            meta.filters,
            item.notes,
            image,
            round(preset.width_px * preset.scale),
            round(preset.height_px * preset.scale),
            headline=headline,
            box=box,
        )
        for (item, meta, box, preset, headline), image in zip(drafts, images, strict=True)
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
        summary=summary,
        findings=spec.findings,
    )


# ---------------------------------------------------------------------------------------------
# Fitting text: wrapped, then shrunk to a floor, then cut with an ellipsis, by measuring it with
# the face the viewer draws it in


LEADING = 1.2  # line height / font size: set exactly on every fitted paragraph of the deck
ELLIPSIS = "…"
# Chinese punctuation and closing marks never start a line; Latin ones stay with their word.
_NO_BREAK_BEFORE = frozenset("，。、；：！？）》」』】”’,.;:!?)]}%…·")
Measure = Callable[[str, float], float]  # (text, size in pt) -> width in pt


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


@dataclass(frozen=True)
class Fitted:
    """Text fitted to a box: its size, its lines as they are to be drawn, and whether it was
    cut (then the full text goes to the notes)."""

    size: float
    lines: tuple[str, ...]
    cut: bool = False

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LEADING


def _tokens(text: str) -> list[str]:
    """Pieces a line may break between: words, spaces, and each Chinese character (with the
    punctuation after it)."""
    tokens: list[str] = []
    for char in text:
        last = tokens[-1] if tokens else " "
        if char == " ":
            tokens.append(" ")
        elif last != " " and (char in _NO_BREAK_BEFORE or not (_wide(char) or _wide(last[-1]))):
            tokens[-1] = last + char
        else:
            tokens.append(char)
    return tokens


def _wrap_paragraph(text: str, width: float, size: float, measure: Measure) -> list[str]:
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        if token == " ":
            current += " " if current else ""
            continue
        if measure(current + token, size) <= width:
            current += token
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ""
        if measure(token, size) <= width:
            current = token
            continue
        for char in token:  # a word wider than the box: broken between characters
            if current and measure(current + char, size) > width:
                lines.append(current)
                current = ""
            current += char
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def wrap(text: str, width: float, size: float, measure: Measure) -> list[str]:
    """``text`` in lines no wider than ``width`` pt at ``size`` pt (line breaks kept; a word
    wider than the box breaks between characters; Chinese breaks between any two characters)."""
    return [line for paragraph in text.split("\n") for line in _wrap_paragraph(paragraph, width, size, measure)]


def fit(
    text: str,
    width: float,
    height: float,
    sizes: Sequence[float],
    measure: Measure,
    *,
    max_lines: int | None = None,
) -> Fitted:
    """``text`` in the largest of ``sizes`` whose lines fit ``width`` x ``height`` pt (and
    ``max_lines``); past the last size (the floor), the lines that fit, the last one ending
    in an ellipsis."""
    lines: list[str] = []
    allowed = 1
    for size in sizes:
        lines = wrap(text, width, size, measure)
        allowed = max(1, int(height // (size * LEADING) + 1e-9))
        if max_lines is not None:
            allowed = min(allowed, max_lines)
        if len(lines) <= allowed:
            return Fitted(size, tuple(lines))
    size = sizes[-1]
    kept = lines[:allowed]
    last = kept[-1]
    while last and measure(last.rstrip() + ELLIPSIS, size) > width:
        last = last[:-1]
    if " " in last and not any(_wide(c) for c in last) and len(last) - last.rfind(" ") < 20:
        last = last[: last.rfind(" ")]  # end on a whole word
    kept[-1] = last.rstrip() + ELLIPSIS
    return Fitted(size, tuple(kept), cut=True)


def _measure_with(font: str) -> Measure:
    """Width of text in a registered face: each character in ``font`` if it has it, else in
    the CJK face (``font_runs``), as drawn."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def measure(text: str, size: float) -> float:
        return sum(stringWidth(run, face, size) for face, run in font_runs(text, font))

    return measure


@cache
def deck_measure(bold: bool = False) -> Measure:
    """Width of text as the deck draws it: Latin in Calibri, measured with Carlito (metrically
    the same face, which LibreOffice uses for Calibri; DejaVu Sans, wider, where Carlito is not
    installed), Chinese at a full em (the width of every CJK face), anything else at 0.6 em,
    and a quarter em where Chinese meets a Latin letter or digit."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    face = _register("deck-bold" if bold else "deck-regular") or ("Helvetica-Bold" if bold else "Helvetica")
    chars = _coverage(face)

    def measure(text: str, size: float) -> float:
        plain = [c for c in text if not _wide(c) and ord(c) in chars]
        others = sum(1.0 if _wide(c) else 0.6 for c in text if _wide(c) or ord(c) not in chars)
        # Viewers space Chinese from Latin letters and digits next to it (LibreOffice's and
        # PowerPoint's autospacing): a quarter em for each such meeting.
        meetings = sum(1 for a, b in zip(text, text[1:], strict=False) if " " not in (a, b) and _wide(a) != _wide(b))
        return stringWidth("".join(plain), face, size) + (others + 0.25 * meetings) * size

    return measure


# ---------------------------------------------------------------------------------------------
# PowerPoint


PPT_WIDTH_IN = 13.333
PPT_HEIGHT_IN = 7.5
DARK = (0x1B, 0x1F, 0x24)
GREY = (0x5B, 0x64, 0x70)
ACCENT = (0x1F, 0x4E, 0x79)
RED = (0xB3, 0x26, 0x1E)
DECK_MARGIN_IN = 0.5
DECK_WIDTH_IN = PPT_WIDTH_IN - 2 * DECK_MARGIN_IN  # 12.333: the width of every band of a chart slide
DECK_SLACK = 0.96  # text is fitted to 96 % of its box: room for a viewer's rounding and kerning
HEADLINE_TOP_IN, HEADLINE_H_IN = 0.25, 1.05
HEADLINE_SIZES = (28, 26, 24, 22, 20)
SUBLINE_TOP_IN, SUBLINE_H_IN = 1.33, 0.5
SUBLINE_SIZES = (16, 15, 14)
PICTURE_TOP_IN, PICTURE_H_IN = 1.95, 4.8  # the picture box: under the sub-line, above the footer
DECK_NOTES_W_IN, DECK_NOTES_GAP_IN = 3.5, 0.25  # notes beside the picture: a column on the right
DECK_NOTES_PT = 14  # notes beside the picture at this size, else in the speaker notes
FOOTER_TOP_IN, FOOTER_H_IN = 6.95, 0.3
FOOTER_SIZES = (14, 13, 12)  # 14 pt, as the slide's other text, unless a long source name needs less
FOOTER_NUMBER_W_IN = 1.6
TITLE_LEFT_IN, TITLE_WIDTH_IN = 0.8, 11.733
TITLE_SIZES = (40, 36, 32, 28, 24)
TITLE_MAX_H_IN = 2.6
SUBTITLE_SIZES = (24, 22, 20, 18)
SUBTITLE_MAX_H_IN = 1.1
SUMMARY_SIZES = (22, 20, 18, 16)
BULLET_INDENT_IN = 0.35
# The deck's faces, set on every text run: Latin text in Calibri (the default theme's face; Carlito
# stands in where it is missing, with the same widths), East Asian text in Microsoft YaHei, which
# every Windows and Office for Mac has; LibreOffice, which lacks it here, draws those characters
# with the system's CJK face (Noto Sans CJK SC). The GB2312 charset lets PowerPoint substitute a
# Simplified Chinese face should YaHei be missing too.
LATIN_FACE = "Calibri"
EAST_ASIAN_FACE = "Microsoft YaHei"
EAST_ASIAN_CHARSET = "-122"  # GB2312 (134) as the signed byte OOXML stores
DECK_LANG = {"en": "en-US", "zh": "zh-CN"}


def _pt(inches: float) -> float:
    return inches * 72


def deck_notes(notes: str) -> Fitted | None:
    """The notes as shown beside the picture at ``DECK_NOTES_PT``, None when they do not fit
    there whole (then they are only in the speaker notes, and the picture takes the width)."""
    if not notes:
        return None
    shown = fit(notes, _pt(DECK_NOTES_W_IN) * DECK_SLACK, _pt(PICTURE_H_IN), (DECK_NOTES_PT,), deck_measure())
    return None if shown.cut else shown


def deck_picture_box(notes: str) -> tuple[float, float]:
    """Width and height in inches of a chart slide's picture: the slide's width, less the notes
    column when the notes fit beside it."""
    if deck_notes(notes) is None:
        return DECK_WIDTH_IN, PICTURE_H_IN
    return DECK_WIDTH_IN - DECK_NOTES_W_IN - DECK_NOTES_GAP_IN, PICTURE_H_IN


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


def _frame(shape, left: float, top: float, width: float, height: float):
    """The shape placed (inches) with a text frame that draws exactly the lines given: no
    inner margins, no autofit, anchored at the top."""
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
    from pptx.util import Inches

    shape.left, shape.top, shape.width, shape.height = Inches(left), Inches(top), Inches(width), Inches(height)
    frame = shape.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = MSO_ANCHOR.TOP
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    frame.text = ""
    return frame


def _lines(paragraph, fitted: Fitted, *, bold=False, colour=DARK, align=None) -> None:
    """Write the fitted lines into one paragraph, a line break between them, at exact spacing."""
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Pt

    paragraph.alignment = align if align is not None else PP_ALIGN.LEFT
    paragraph.line_spacing = Pt(fitted.size * LEADING)
    for number, line in enumerate(fitted.lines):
        if number:
            paragraph.add_line_break()
        run = paragraph.add_run()
        run.text = line
        run.font.size = Pt(fitted.size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor(*colour)


def _place(slide, left, top, width, fitted: Fitted, *, shape=None, bold=False, colour=DARK, align=None, height=None):
    """A text box (or ``shape``, a placeholder) holding ``fitted`` at ``left``, ``top``; its
    height is that of the lines unless given. Returns the bottom edge in inches."""
    from pptx.util import Inches

    if shape is None:
        shape = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(0.3))
    box_h = height if height is not None else fitted.height / 72 + 0.02
    frame = _frame(shape, left, top, width, box_h)
    _lines(frame.paragraphs[0], fitted, bold=bold, colour=colour, align=align)
    return top + box_h


def _fit_deck(text, width_in, height_in, sizes, *, bold=False, max_lines=None) -> Fitted:
    return fit(text, _pt(width_in) * DECK_SLACK, _pt(height_in), sizes, deck_measure(bold), max_lines=max_lines)


def _deck_footer(slide, content: BriefingContent, number: int, total: int, extra: str = "") -> None:
    """Source and date (and ``extra``) on the left, the demo mark in the middle, the page number
    on the right, each fitted to its own part of the line."""
    from pptx.enum.text import PP_ALIGN

    demo_w = 2.6 if content.is_demo else 0
    left_w = DECK_WIDTH_IN - FOOTER_NUMBER_W_IN - demo_w - 0.2
    text = content.footer() + (f" · {extra}" if extra else "")
    _place(
        slide, DECK_MARGIN_IN, FOOTER_TOP_IN, left_w, _fit_deck(text, left_w, FOOTER_H_IN, FOOTER_SIZES), colour=GREY
    )
    if content.is_demo:
        mark = _fit_deck(texts.demo_mark(), demo_w, FOOTER_H_IN, FOOTER_SIZES, bold=True)
        _place(
            slide,
            DECK_MARGIN_IN + left_w + 0.1,
            FOOTER_TOP_IN,
            demo_w,
            mark,
            bold=True,
            colour=RED,
            align=PP_ALIGN.CENTER,
        )
    _deck_footer_number(slide, number, total)


def _speaker_notes(slide, parts: Sequence[str]) -> None:
    shown = "\n\n".join(part for part in parts if part)
    if shown:
        slide.notes_slide.notes_text_frame.text = shown


def _fit_picture(page: Slide, box_w: float, box_h: float) -> tuple[float, float]:
    """The picture's size on the page: the box it was drawn for, else fitted into the box."""
    if page.box is not None and abs(page.box[0] - box_w) < 0.01 and abs(page.box[1] - box_h) < 0.01:
        return box_w, box_h
    ratio = page.width_px / page.height_px
    width = min(box_w, box_h * ratio)
    return width, width / ratio


def build_pptx(content: BriefingContent) -> bytes:
    """A 16:9 deck: the title slide, the summary of findings, then one slide per chart headed
    by its finding (else its plain title) over the plain title and filters, the picture at the
    size it was drawn for, the notes beside it when they fit at 14 pt (else in the speaker
    notes only, which always hold them), the source, date and page number. Every text is fitted
    (``fit``) by measuring it in the deck's face; what is cut is whole in the speaker notes.
    Its words are in the content's language, which the core properties record; every run has a
    Latin and an East Asian face (``set_run_faces``)."""
    with i18n.using(content.lang):
        return _build_pptx(content)


def _build_pptx(content: BriefingContent) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(PPT_WIDTH_IN), Inches(PPT_HEIGHT_IN)
    deck.core_properties.title = content.title
    deck.core_properties.subject = content.subtitle or content.caption
    deck.core_properties.author = content.source
    deck.core_properties.language = DECK_LANG[content.lang]
    total = content.pages

    _title_slide(deck, content, total)
    number = 1
    if content.findings:
        number += 1
        _summary_slide(deck, content, number, total)
    for page in content.slides:
        number += 1
        _chart_slide(deck, content, page, number, total)
    _set_faces(deck, content.lang)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _title_slide(deck, content: BriefingContent, total: int) -> None:
    """Title, subtitle, date and filters (and the demo warning) from the top, each fitted and
    placed under the one before; the source and the page number at the foot."""
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    subtitle_placeholder = slide.placeholders[1]  # an empty one would say "Click to add subtitle"
    subtitle_placeholder.element.getparent().remove(subtitle_placeholder.element)
    width = TITLE_WIDTH_IN
    title = _fit_deck(content.title, width, TITLE_MAX_H_IN, TITLE_SIZES, bold=True)
    blocks: list[tuple[Fitted, dict]] = [(title, {"bold": True, "colour": ACCENT, "shape": slide.shapes.title})]
    subtitle = _fit_deck(content.subtitle, width, SUBTITLE_MAX_H_IN, SUBTITLE_SIZES) if content.subtitle else None
    if subtitle is not None:
        blocks.append((subtitle, {}))
    dated = f"{content.date_text()}\n{t('briefing.filters', filters=content.caption)}"
    blocks.append((_fit_deck(dated, width, 1.0, (16, 14, 12)), {"colour": GREY}))
    if content.is_demo:
        blocks.append(
            (_fit_deck(texts.demo_warning(), width, 0.8, (16, 14, 12), bold=True), {"bold": True, "colour": RED})
        )
    gap = 0.25
    room = FOOTER_TOP_IN - 0.6  # the source line sits above the footer
    used = sum(block.height / 72 + 0.02 for block, _ in blocks) + gap * (len(blocks) - 1)
    top = max(0.5, min(1.6, room - used))  # as low as 1.6 in; higher for a long title
    for block, style in blocks:
        top = _place(slide, TITLE_LEFT_IN, top, width, block, **style) + gap
    source = _fit_deck(t("briefing.source", source=content.source), width, 0.4, FOOTER_SIZES)
    _place(slide, TITLE_LEFT_IN, room + 0.15, width, source, colour=GREY)
    _deck_footer_number(slide, 1, total)
    _speaker_notes(
        slide,
        [
            text
            for fitted, text in zip((title, subtitle), (content.title, content.subtitle), strict=True)
            if fitted and fitted.cut
        ],
    )


def _deck_footer_number(slide, number: int, total: int) -> None:
    """The page number at the right of the footer line (the title slide's too)."""
    from pptx.enum.text import PP_ALIGN

    width = FOOTER_NUMBER_W_IN
    page = _fit_deck(t("briefing.page_number", page=number, total=total), width, FOOTER_H_IN, FOOTER_SIZES)
    _place(slide, PPT_WIDTH_IN - DECK_MARGIN_IN - width, FOOTER_TOP_IN, width, page, colour=GREY, align=PP_ALIGN.RIGHT)


def _heading(slide, headline: str, subline: str) -> list[str]:
    """The headline (the slide's title) and the line under it, fitted to their bands; returns
    the texts that had to be cut, for the speaker notes."""
    heading = _fit_deck(headline, DECK_WIDTH_IN, HEADLINE_H_IN, HEADLINE_SIZES, bold=True)
    _place(slide, DECK_MARGIN_IN, HEADLINE_TOP_IN, DECK_WIDTH_IN, heading, shape=slide.shapes.title, bold=True)
    under = _fit_deck(subline, DECK_WIDTH_IN, SUBLINE_H_IN, SUBLINE_SIZES)
    _place(slide, DECK_MARGIN_IN, SUBLINE_TOP_IN, DECK_WIDTH_IN, under, colour=GREY)
    return [text for fitted, text in ((heading, headline), (under, subline)) if fitted.cut]


def subline_text(page: Slide) -> str:
    """The line under a chart page's headline: the plain title and the filters when a finding
    heads the page, the filters alone when the plain title does."""
    filters = t("briefing.filters", filters=page.caption)
    return t("briefing.subline", title=page.title, filters=filters) if page.headline else filters


def _chart_slide(deck, content: BriefingContent, page: Slide, number: int, total: int) -> None:
    from pptx.util import Inches

    slide = deck.slides.add_slide(deck.slide_layouts[5])
    cut = _heading(slide, page.headline or page.title, subline_text(page))
    notes = deck_notes(page.notes)
    box_w, box_h = deck_picture_box(page.notes)
    width, height = _fit_picture(page, box_w, box_h)
    left = DECK_MARGIN_IN if notes is not None else DECK_MARGIN_IN + (box_w - width) / 2
    slide.shapes.add_picture(
        io.BytesIO(page.image), Inches(left), Inches(PICTURE_TOP_IN), Inches(width), Inches(height)
    )
    if notes is not None:
        _place(slide, DECK_MARGIN_IN + box_w + DECK_NOTES_GAP_IN, PICTURE_TOP_IN, DECK_NOTES_W_IN, notes)
    pointer = t("briefing.notes_in_speaker_notes") if page.notes and notes is None else ""
    _deck_footer(slide, content, number, total, pointer)
    _speaker_notes(slide, [page.notes, *cut])


def _summary_slide(deck, content: BriefingContent, number: int, total: int) -> None:
    """The top findings of the briefing's filters as a list, in the largest size at which they
    all fit; past the floor, the findings that fit."""
    from pptx.oxml.ns import qn
    from pptx.util import Emu, Inches, Pt

    slide = deck.slides.add_slide(deck.slide_layouts[5])
    cut = _heading(slide, t("briefing.summary.title"), t("briefing.filters", filters=content.caption))
    text_w = DECK_WIDTH_IN - BULLET_INDENT_IN
    height = _pt(PICTURE_H_IN)
    chosen: list[Fitted] = []
    for size in SUMMARY_SIZES:
        chosen = []
        used = 0.0
        for sentence in summary_items(content):
            fitted = fit(sentence, _pt(text_w) * DECK_SLACK, height, (size,), deck_measure())
            used += fitted.height + size * 0.6
            if used > height:
                break
            chosen.append(fitted)
        if len(chosen) == len(summary_items(content)):
            break
    box = slide.shapes.add_textbox(Inches(DECK_MARGIN_IN), Inches(PICTURE_TOP_IN), Inches(DECK_WIDTH_IN), Inches(1))
    frame = _frame(box, DECK_MARGIN_IN, PICTURE_TOP_IN, DECK_WIDTH_IN, PICTURE_H_IN)
    for index, fitted in enumerate(chosen):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        _lines(paragraph, fitted)
        paragraph.space_after = Pt(fitted.size * 0.6)
        properties = paragraph._p.get_or_add_pPr()
        properties.set("marL", str(Emu(Inches(BULLET_INDENT_IN))))
        properties.set("indent", str(-Emu(Inches(BULLET_INDENT_IN))))
        bullet = properties.makeelement(qn("a:buChar"), {"char": "•"})
        properties.append(bullet)
    _deck_footer(slide, content, number, total)
    _speaker_notes(slide, ["\n".join(f"• {s}" for s in summary_items(content)), *cut])


# ---------------------------------------------------------------------------------------------
# PDF


# The pack embeds every face it uses (ReportLab embeds TrueType outlines only): DejaVu Sans for
# Latin text (Liberation Sans where it is missing), WenQuanYi Zen Hei (TrueType, unlike the CFF
# Noto Sans CJK) for the Chinese characters the Latin face lacks. Text is split into runs by the
# face that has each character, so Latin looks the same in both languages and DejaVu Bold stays
# bold; WenQuanYi has no bold, so Chinese headings are drawn in its regular weight. The deck's
# faces (Carlito, for measuring Calibri) are registered here too, never embedded in a pack.
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
    "deck-regular": (
        "/usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ),
    "deck-bold": (
        "/usr/share/fonts/truetype/crosextra/Carlito-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
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


def _draw_fitted(pdf, fitted: Fitted, x: float, top: float, font: str) -> float:
    """Draw fitted lines from ``top`` down (each line's box ``LEADING`` ems tall, its baseline
    0.93 em under the box's top: DejaVu's ascent); returns the height used."""
    for number, line in enumerate(fitted.lines):
        baseline = top - number * fitted.size * LEADING - fitted.size * 0.93
        _draw_string(pdf, x, baseline, line, font, fitted.size)
    return fitted.height


PDF_MARGIN = 36
PDF_CONTENT_BOTTOM = 40  # everything but the footer (drawn at 20 pt from the edge) stays above this
PDF_GAP = 10
PDF_PAGE = (841.8898, 595.2756)  # A4 landscape
PDF_WIDTH = PDF_PAGE[0] - 2 * PDF_MARGIN
PDF_HEADLINE_H, PDF_HEADLINE_SIZES = 52, (20, 18, 16, 14)
PDF_SUBLINE_H, PDF_SUBLINE_SIZES = 28, (12, 11, 10)
PDF_PICTURE_TOP = PDF_PAGE[1] - PDF_MARGIN - PDF_HEADLINE_H - 6 - PDF_SUBLINE_H - 8
PDF_AREA_H = PDF_PICTURE_TOP - PDF_CONTENT_BOTTOM  # the picture (and the notes under it)
PDF_NOTES_SIZES = (11, 10)  # notes under the picture in the largest that fits...
PDF_NOTES_SHARE = 0.3  # ...in this share of the area; else on the pages after the chart's
PDF_POINTER_H = 16  # the line under the picture saying where the notes went
PDF_TITLE_SIZES, PDF_TITLE_MAX_H = (30, 28, 26, 24, 22, 20), 150
PDF_SUBTITLE_SIZES, PDF_SUBTITLE_MAX_H = (18, 16, 14), 66
PDF_SUMMARY_SIZES = (15, 14, 13, 12)


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
        # Chinese breaks between any two characters, and so does a word too long for any line
        wordWrap="CJK"
        if any(face != font for face, _ in runs) or max(map(len, text.split()), default=0) > 40
        else None,
    )
    markup = "".join(
        _escape(run) if face == font else f'<font name="{face}">{_escape(run)}</font>' for face, run in runs
    )
    return Paragraph(markup, style)


def _height(paragraph, width: float) -> float:
    return paragraph.wrap(width, 10_000)[1]


@dataclass(frozen=True)
class PdfHeading:
    """A page's headline and the line under it, fitted; ``cut``: the full texts of those cut."""

    headline: Fitted
    subline: Fitted | None
    cut: tuple[str, ...]


def _pdf_heading(headline: str, subline: str) -> PdfHeading:
    regular, bold = _pdf_fonts()
    top = fit(headline, PDF_WIDTH, PDF_HEADLINE_H, PDF_HEADLINE_SIZES, _measure_with(bold))
    under = fit(subline, PDF_WIDTH, PDF_SUBLINE_H, PDF_SUBLINE_SIZES, _measure_with(regular)) if subline else None
    cut = tuple(text for fitted, text in ((top, headline), (under, subline)) if fitted is not None and fitted.cut)
    return PdfHeading(top, under, cut)


def pack_notes(page: Slide) -> str:
    """What a chart page of the pack gives as notes: the full text of a cut headline or sub-line
    (``t('briefing.full_heading')``), then the notes."""
    with_cut = _pdf_heading(page.headline or page.title, subline_text(page)).cut
    return "\n\n".join([*(t("briefing.full_heading", text=text) for text in with_cut), page.notes]).strip()


def _notes_under(notes: str):
    """The notes paragraph as it fits under the picture (largest of ``PDF_NOTES_SIZES`` within
    ``PDF_NOTES_SHARE`` of the area), None when it does not fit there."""
    if not notes:
        return None
    regular, _ = _pdf_fonts()
    for size in PDF_NOTES_SIZES:
        paragraph = _pdf_paragraph(notes, size, regular)
        if _height(paragraph, PDF_WIDTH) <= PDF_AREA_H * PDF_NOTES_SHARE:
            return paragraph
    return None


def pack_picture_box(page: Slide) -> tuple[float, float]:
    """Width and height in inches of a chart page's picture: the page's width, and the height
    the heading leaves, less the notes under it (or the line saying they follow)."""
    notes = pack_notes(page)
    under = _notes_under(notes)
    if under is not None:
        height = PDF_AREA_H - _height(under, PDF_WIDTH) - PDF_GAP
    elif notes:
        height = PDF_AREA_H - PDF_POINTER_H - 4
    else:
        height = PDF_AREA_H
    return PDF_WIDTH / 72, height / 72


@dataclass(frozen=True)
class PdfPage:
    """One page of a PDF pack after the title page: the summary, a chart (heading, picture and
    the notes that fit under it, else a line saying they follow) or a page continuing notes."""

    kind: str  # "summary", "chart" or "notes"
    slide: Slide | None = None
    notes: Any = None  # the paragraph of the notes on this page
    more: bool = False  # the notes continue on the next page
    moved: bool = False  # a chart page whose notes are on the pages after it


def plan_pdf(content: BriefingContent) -> list[PdfPage]:
    """The pages after the title page: the summary when there is one, then each chart's page;
    notes that do not fit under the picture (``_notes_under``) continue on pages of their own,
    split where the page ends."""
    with i18n.using(content.lang):
        return _plan_pdf(content)


def _notes_heading(slide: Slide) -> Fitted:
    _, bold = _pdf_fonts()
    return fit(t("briefing.notes_continued", title=slide.title), PDF_WIDTH, 40, (16, 14), _measure_with(bold))


def _plan_pdf(content: BriefingContent) -> list[PdfPage]:
    regular, _ = _pdf_fonts()
    full = PDF_PAGE[1] - PDF_MARGIN - PDF_CONTENT_BOTTOM
    pages: list[PdfPage] = [PdfPage("summary")] if content.findings else []
    for slide in content.slides:
        notes = pack_notes(slide)
        under = _notes_under(notes)
        if not notes or under is not None:
            pages.append(PdfPage("chart", slide, under))
            continue
        pages.append(PdfPage("chart", slide, moved=True))
        marker = _pdf_paragraph(t("briefing.notes_continue"), PDF_NOTES_SIZES[0], regular, GREY)
        room = full - _notes_heading(slide).height - PDF_GAP
        room_with_marker = room - _height(marker, PDF_WIDTH) - 4
        rest = _pdf_paragraph(notes, PDF_NOTES_SIZES[0], regular)
        while _height(rest, PDF_WIDTH) > room:
            parts = rest.split(PDF_WIDTH, room_with_marker)
            if len(parts) < 2:  # cannot split (not one line fits): let it run, as before
                break
            pages.append(PdfPage("notes", slide, parts[0], more=True))
            rest = parts[1]
        pages.append(PdfPage("notes", slide, rest))
    return pages


def build_pdf(content: BriefingContent) -> bytes:
    """A PDF pack on A4 landscape pages: a title page with the list of charts and their pages,
    the summary of findings, then one page per chart headed by its finding (else its plain
    title) over the plain title and filters, with the picture at the size it was drawn for,
    the notes under it when they fit (else on the pages after it), source, date and page
    number. Headings are fitted (``fit``) by measuring them in the embedded faces. Its words are
    in the content's language, which the catalogue's /Lang records; every font is embedded."""
    with i18n.using(content.lang):
        return _build_pdf(content)


def _build_pdf(content: BriefingContent) -> bytes:
    from PIL import Image as PILImage
    from reportlab import rl_config
    from reportlab.lib.colors import Color
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rl_config.useA85 = 0  # binary streams: reportlab's ASCII85 encoder is pure Python and slow
    regular, bold = _pdf_fonts()
    page_w, page_h = PDF_PAGE
    margin = PDF_MARGIN
    width = PDF_WIDTH
    dark, grey, red, accent = (Color(*(c / 255 for c in rgb)) for rgb in (DARK, GREY, RED, ACCENT))
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

    def draw(par, x: float, top: float, box_width: float) -> float:
        height = _height(par, box_width)
        par.drawOn(pdf, x, top - height)
        return height

    def fitted(block: Fitted, x, top, font, colour):
        pdf.setFillColor(colour)
        return _draw_fitted(pdf, block, x, top, font)

    def footer(number):
        pdf.setFillColor(grey)
        _draw_string(pdf, margin, 20, content.footer(), regular, 9)
        _draw_string(
            pdf, page_w - margin, 20, t("briefing.page_number", page=number, total=total), regular, 9, align="right"
        )
        if content.is_demo:
            pdf.setFillColor(red)
            _draw_string(pdf, page_w / 2, 20, texts.demo_mark(), bold, 10, align="centre")

    def heading(headline: str, subline: str) -> float:
        made = _pdf_heading(headline, subline)
        top = page_h - margin
        fitted(made.headline, margin, top, bold, dark)
        if made.subline is not None:
            fitted(made.subline, margin, top - PDF_HEADLINE_H - 6, regular, grey)
        return PDF_PICTURE_TOP

    # Title page. A long list of charts (up to 40) goes in two columns and starts higher up.
    first_pages = [number for number, page in enumerate(plan, start=2) if page.kind == "chart"]
    entries = [
        t("briefing.contents.entry", page=number, title=slide.title)
        for number, slide in zip(first_pages, content.slides, strict=True)
    ]
    if content.findings:
        entries.insert(0, t("briefing.contents.entry", page=2, title=t("briefing.summary.title")))
    inner = width - 40
    title = fit(content.title, inner, PDF_TITLE_MAX_H, PDF_TITLE_SIZES, _measure_with(bold))
    block: list[tuple[float, Callable[[float], float]]] = [
        (title.height, lambda top: fitted(title, margin + 20, top, bold, accent))
    ]
    if content.subtitle:
        subtitle = fit(content.subtitle, inner, PDF_SUBTITLE_MAX_H, PDF_SUBTITLE_SIZES, _measure_with(regular))
        block.append((subtitle.height, lambda top: fitted(subtitle, margin + 20, top, regular, dark)))
    paragraphs = [
        _pdf_paragraph(
            t("briefing.dated_filters", date=content.date_text(), filters=content.caption), 12, regular, GREY
        )
    ]
    if title.cut:
        paragraphs.append(_pdf_paragraph(t("briefing.full_heading", text=content.title), 10, regular, GREY))
    if content.is_demo:
        paragraphs.append(_pdf_paragraph(texts.demo_warning(), 13, bold, RED))
    for paragraph in paragraphs:
        block.append((_height(paragraph, inner), partial(draw, paragraph, margin + 20, box_width=inner)))
    block_h = sum(h + 10 for h, _ in block) + 2 + 18
    contents_heading = _pdf_paragraph(t("briefing.contents"), 11, regular, leading=16)
    lists: list = []
    for start, columns, leading in ((130, 1, 16), (130, 2, 16), (margin + 10, 2, 16), (margin + 10, 2, 12)):
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
    for number, (_, drawer) in enumerate(block):
        top -= drawer(top) + (12 if number == 0 else 10)
    top -= 18
    top -= draw(contents_heading, margin + 20, top, inner)
    for column, paragraph in enumerate(lists):
        draw(paragraph, margin + 20 + column * inner / columns, top, inner / columns - 10)
    footer(1)
    pdf.showPage()

    for number, page in enumerate(plan, start=2):
        if page.kind == "summary":
            top = heading(t("briefing.summary.title"), t("briefing.filters", filters=content.caption))
            for item in _summary_paragraphs(summary_items(content), top - PDF_CONTENT_BOTTOM):
                top -= draw(item, margin, top, width) + 8
        elif page.kind == "chart":
            assert page.slide is not None
            slide = page.slide
            top = heading(slide.headline or slide.title, subline_text(slide))
            box_w, box_h = (v * 72 for v in pack_picture_box(slide))
            img_w, img_h = (v * 72 for v in _fit_picture(slide, box_w / 72, box_h / 72))
            picture = ImageReader(PILImage.open(io.BytesIO(slide.image)).convert("RGB"))
            pdf.drawImage(picture, margin + (width - img_w) / 2, top - img_h, img_w, img_h)
            top -= box_h + PDF_GAP
            if page.notes is not None:
                draw(page.notes, margin, top, width)
            elif page.moved:
                draw(
                    _pdf_paragraph(t("briefing.notes_next"), PDF_NOTES_SIZES[0], regular, GREY), margin, top + 6, width
                )
        else:
            assert page.slide is not None
            top = page_h - margin
            top -= fitted(_notes_heading(page.slide), margin, top, bold, dark) + PDF_GAP
            top -= draw(page.notes, margin, top, width)
            if page.more:
                marker = _pdf_paragraph(t("briefing.notes_continue"), PDF_NOTES_SIZES[0], regular, GREY)
                draw(marker, margin, top - 4, width)
        footer(number)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _summary_paragraphs(summary: Sequence[str], room: float) -> list:
    """The summary's findings as bulleted paragraphs, in the largest size at which all fit in
    ``room`` pt; past the floor, those that fit."""
    regular, _ = _pdf_fonts()
    chosen: list = []
    for size in PDF_SUMMARY_SIZES:
        chosen, used = [], 0.0
        for sentence in summary:
            paragraph = _pdf_paragraph(f"•  {sentence}", size, regular, leading=size * LEADING)
            used += _height(paragraph, PDF_WIDTH) + 8
            if used > room:
                break
            chosen.append(paragraph)
        if len(chosen) == len(summary):
            break
    return chosen


BOXES: dict[str, Callable[[Slide], tuple[float, float]]] = {
    "pptx": lambda page: deck_picture_box(page.notes),
    "pdf": pack_picture_box,
}


def page_count(content: BriefingContent, fmt: str) -> int:
    """Pages of the deck ('pptx': title, summary and one per chart) or the PDF pack (where long
    notes may take pages of their own)."""
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
            con,
            spec,
            is_demo=is_demo,
            current=current,
            source=source,
            renderer=renderer,
            day=day,
            lang=lang,
            fmt=fmt,  # each picture drawn for its box in this format
        )
        return BUILDERS[fmt](content)


def briefing_details(spec: BriefingSpec, fmt: str) -> str:
    """A briefing in words for the audit log: format, charts, filters."""
    charts = ", ".join(item.chart for item in spec.items)
    return f"{fmt}; charts: {charts}; filters: {spec.filters.describe()}"
