"""``export`` and ``briefing``: one chart to a file, or a slide deck / PDF pack of several.

Thin commands: they read the filters, open the ledger read-only and hand off to
``analytics.export`` and ``analytics.briefing`` (the same functions the app's download
buttons call). Image formats, decks and packs need a Chromium-family browser; without one
the command exits with code 2 and one sentence saying what to install. ``--lang`` sets the
language of every word in the file (titles, stamp, headers, deck and pack); a briefing file's
own language is used unless ``--lang`` is given.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from analytics import access, atomic, cli, i18n
from analytics.commands.filter_args import add_filter_arguments, filters_from_args
from analytics.commands.ledger_args import add_lang_argument, ready_ledger
from analytics.export import ExportError
from analytics.i18n import t


def register(subparsers, common: argparse.ArgumentParser) -> None:
    from analytics.export import FORMATS

    formats = ", ".join(FORMATS)
    export = subparsers.add_parser(
        "export",
        parents=[common],
        help="export one chart as PNG, SVG, PDF, HTML, CSV or Excel",
        description=f"Export one chart to a file. The format follows the extension of --out ({formats}) "
        "or --format. Images carry the title, the filters in words, the source, the date and, for demo "
        "data, the 'Demo data' mark. 'export --list' lists the chart names.",
    )
    export.add_argument("chart", nargs="?", metavar="CHART", help="chart name (see --list)")
    export.add_argument("--list", action="store_true", help="list the chart names and exit")
    export.add_argument(
        "--out",
        metavar="FILE",
        help="output file; a directory (or a path ending in /) gets the default name <chart>_<date>.<ext>",
    )
    export.add_argument(
        "--format",
        choices=list(FORMATS),
        help="format when --out is a directory (default: from the extension; png for a directory)",
    )
    export.add_argument("--width", type=int, metavar="W", help="image width in CSS pixels (default 1200)")
    export.add_argument(
        "--height",
        type=int,
        metavar="H",
        help="image height in CSS pixels (default: the chart's height plus the footer, at least 540)",
    )
    export.add_argument(
        "--preset",
        choices=["screen", "slide", "a4"],
        default="screen",
        help="picture size and type: screen (1200 wide, the default), slide (1280 x 720, a 16:9 slide, "
        "no text under 14 pt) or a4 (1123 x 794, an A4 landscape page, no text under 14 pt); "
        "--width and --height still override the size",
    )
    export.add_argument(
        "--scale", type=float, metavar="S", help="pixel density (default 2 for PNG, 2.5 for slide and a4, 1 otherwise)"
    )
    add_lang_argument(export, "the chart's words and the data file's headers (default: LEDGER_LANG, else en)")
    add_filter_arguments(export)
    export.set_defaults(handler=_guarded(run_export))

    briefing = subparsers.add_parser(
        "briefing",
        parents=[common],
        help="build a slide deck (.pptx) or PDF pack (.pdf) of several charts",
        description="Build a 16:9 PowerPoint deck or a PDF pack: a title page, then one chart per page with "
        "its top finding as the headline, its title, filters, notes, source, date and page number, after a "
        "page summing up the findings. Charts come from --charts or from a "
        "briefing file saved by the Briefing page (--spec). Filter flags replace the briefing's own "
        "filters; charts saved with their own filters keep them.",
    )
    source = briefing.add_mutually_exclusive_group(required=True)
    source.add_argument("--charts", metavar="A,B,C", help="comma-separated chart names (see 'export --list')")
    source.add_argument("--spec", metavar="FILE", help="briefing file (JSON) saved from the Briefing page")
    briefing.add_argument("--out", metavar="FILE", required=True, help="output file: .pptx or .pdf")
    briefing.add_argument("--title", help="title of the briefing (default: the spec's, else 'Briefing')")
    briefing.add_argument("--subtitle", help="subtitle shown on the title page")
    briefing.add_argument("--save-spec", metavar="FILE", help="also write the briefing file (JSON) used")
    briefing.add_argument(
        "--no-findings",
        action="store_true",
        help="head each chart with its plain title and leave out the summary of findings "
        "(default: the briefing file's choice, else on)",
    )
    add_lang_argument(briefing, "the deck or pack (default: the briefing file's, else LEDGER_LANG)")
    add_filter_arguments(briefing)
    briefing.set_defaults(handler=_guarded(run_briefing))


def _guarded(handler):
    """The handler with export errors turned into the CLI's one-line errors (exit code 2)."""

    def run(args) -> int:
        try:
            return handler(args)
        except ExportError as error:
            raise cli.CommandError(str(error)) from None

    return run


def _chart_names() -> dict:
    from analytics.chart_catalog import CHARTS

    return CHARTS


def _check_chart(name: str) -> None:
    charts = _chart_names()
    if name not in charts:
        raise cli.CommandError(t("export.cli.unknown_chart", name=repr(name), charts=", ".join(charts)))


def run_list() -> int:
    charts = _chart_names()
    width = max(len(name) for name in charts)
    for spec in charts.values():
        print(f"{spec.name:<{width}}  {spec.page:<12} {spec.title}")
    return 0


def _output_path(args, chart: str) -> tuple[Path, str]:
    from analytics import export

    out = Path(args.out)
    if args.out.endswith(("/", os.sep)) or out.is_dir():
        fmt = args.format or "png"
        return out / export.file_name(chart, fmt), fmt
    fmt = export.format_for_path(out)
    if args.format and args.format != fmt:
        raise cli.CommandError(t("export.cli.format_mismatch", fmt=args.format, name=out.name))
    return out, fmt


def _write(path: Path, data: bytes) -> None:
    """Write atomically: a reader never sees half a file, and a failed write leaves neither a
    half file nor the temporary one behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(path, data)
    except OSError as error:
        raise cli.CommandError(t("export.cli.cannot_write", path=path, error=error.strerror or error)) from None


def run_export(args) -> int:
    with i18n.using(args.lang):
        return run_list() if args.list else _run_export(args)


def _run_export(args) -> int:
    from analytics import export
    from analytics.chart_catalog import build_chart
    from analytics.ledger import connect_read_only, is_demo

    if not args.chart:
        raise cli.CommandError(t("export.cli.no_chart"))
    if not args.out:
        raise cli.CommandError(t("export.cli.no_out"))
    _check_chart(args.chart)
    path, fmt = _output_path(args, args.chart)
    renderer = None
    try:
        if export.FORMATS[fmt].needs_browser:
            renderer = export.ImageRenderer()
            renderer.warm_up()  # the browser starts while the chart is computed
        filters = filters_from_args(args)
        ledger = ready_ledger(args)
        con = connect_read_only(ledger)
        try:
            demo = is_demo(con)
            fig, data = build_chart(con.cursor(), args.chart, filters, is_demo=demo)
            meta = export.chart_meta(args.chart, fig, is_demo=demo)  # the caption build_chart wrote (its periods)
        finally:
            con.close()
        content = export.export_chart(
            fig,
            data,
            meta,
            fmt,
            width=args.width,
            height=args.height,
            scale=args.scale,
            renderer=renderer,
            preset=args.preset,
        )
    finally:
        if renderer is not None:
            renderer.close()
    _write(path, content)
    export.audit_export(None, args.chart, fmt, filters, details=f"to {path}", db=access.access_path(ledger))
    detail = ""
    if fmt in ("png", "svg", "pdf"):
        width, height = export.picture_size(fig, args.preset, args.width, args.height)
        scale = export.picture_scale(fmt, args.preset, args.scale)
        detail = f", {round(width * scale)} x {round(height * scale)} px" if fmt == "png" else f", {width} x {height}"
    elif fmt in ("csv", "xlsx"):
        detail = f", {len(data):,} rows"
    print(f"Wrote {args.chart} ({fmt.upper()}{detail}{', demo data' if demo else ''}) to {path}")
    return 0


def run_briefing(args) -> int:
    from analytics import briefing

    started = time.perf_counter()
    fmt = briefing.briefing_format(args.out)
    spec = _briefing_spec(args)
    with i18n.using(spec.lang) as lang:
        return _run_briefing(args, spec, fmt, lang, started)


def _run_briefing(args, spec, fmt: str, lang: str, started: float) -> int:
    from analytics import briefing, export
    from analytics.ledger import connect_read_only, is_demo

    renderer = export.ImageRenderer()  # BrowserMissingError here, before any work
    renderer.warm_up()  # the browser starts while the ledger is opened and the charts computed
    try:
        if args.save_spec:
            _write(Path(args.save_spec), spec.to_json().encode("utf-8"))
        ledger = ready_ledger(args)
        with access.guard(
            None,
            access.Action.SAVE_BRIEFING,
            spec.title or "briefing",
            f"{briefing.briefing_details(spec, fmt)}; to {args.out}",
            db=access.access_path(ledger),
        ):
            con = connect_read_only(ledger)
            try:
                content = briefing.prepare(con, spec, is_demo=is_demo(con), renderer=renderer, lang=lang, fmt=fmt)
            finally:
                con.close()
            _write(Path(args.out), briefing.BUILDERS[fmt](content))
    finally:
        renderer.close()
    pages = briefing.page_count(content, fmt)
    with i18n.using("en"):  # the command's own lines stay English, like its help
        label = briefing.format_label(fmt)
        key = "cli.briefing.wrote_summary" if content.findings else "cli.briefing.wrote"
        line = i18n.plural(
            key,
            len(spec.items),
            label=label,
            pages=pages,
            out=args.out,
            seconds=f"{time.perf_counter() - started:.1f}",
        )
    print(line)
    return 0


def _briefing_spec(args):
    """The briefing to build: from --spec or --charts, with --title, --subtitle and the filter
    flags applied."""
    from dataclasses import replace

    from analytics import briefing

    charts = list(_chart_names())
    if args.spec:
        spec = briefing.load_spec(args.spec, known_charts=charts)
    else:
        names = [n.strip() for n in args.charts.split(",") if n.strip()]
        if not names:
            raise cli.CommandError(t("export.cli.empty_charts"))
        for name in names:
            _check_chart(name)
        spec = briefing.spec_for_charts(names)
    changes = {}
    if args.title is not None:
        changes["title"] = args.title.strip()
    if args.subtitle is not None:
        changes["subtitle"] = args.subtitle.strip()
    flags = filters_from_args(args)
    if not flags.is_empty():
        changes["filters"] = flags
    if args.lang is not None:  # else the file's own language (a spec made here: LEDGER_LANG)
        changes["lang"] = args.lang
    if args.no_findings:
        changes["findings"] = False
    return replace(spec, **changes) if changes else spec
