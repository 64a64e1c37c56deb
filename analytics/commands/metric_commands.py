"""``metric NAME``: compute one metric over the ledger and print it as CSV, JSON or a table.

A thin handler: it parses the filters (``filter_args``), checks which options the metric
takes, and calls ``analytics.metrics.cached``. Results go to standard output (CSV with a
header row by default); notes and errors go to standard error. ``--lang zh|en`` puts the column
headers in that language (``metrics.column_label``); values stay codes, so scripts that read
them keep working, and without it the headers are the column names. Definitions:
``docs/metrics.md``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys

import pandas as pd

from analytics import cli, i18n, metrics
from analytics.commands.filter_args import add_filter_arguments, filters_from_args
from analytics.commands.ledger_args import add_lang_argument, ready_ledger
from analytics.i18n import t
from analytics.ledger import connect_read_only, is_demo

FORMATS: tuple[str, ...] = ("csv", "json", "table")

# CLI flag -> (argparse dest, metric option name)
OPTION_FLAGS: dict[str, tuple[str, str]] = {
    "--per-year": ("per_year", "per_year"),
    "--top": ("top", "top"),
    "--kind": ("kind", "kind"),
    "--no-international": ("no_international", "international"),
    "--dimension": ("dimension", "dimension"),
    "--rows": ("rows", "rows"),
    "--columns": ("columns", "columns"),
    "--period-a": ("period_a", "period_a"),
    "--period-b": ("period_b", "period_b"),
    "--baseline-years": ("baseline_years", "baseline_years"),
    "--min-exchanges": ("min_exchanges", "min_exchanges"),
    "--min-events": ("min_events", "min_events"),
}


def _metric_list() -> str:
    width = max(len(name) for name in metrics.METRICS)
    lines = [f"  {name:<{width}}  {metrics.metric_summary(name)}" for name in metrics.METRICS]
    return "metrics:\n" + "\n".join(lines) + "\n\nDefinitions, columns and edge cases: docs/metrics.md"


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "metric",
        parents=[common],
        help="compute one metric (csv, json or table)",
        description="Compute one metric over the ledger and print it: CSV with a header row (default), "
        "JSON records or an aligned table. The default window is 1978 to the last year with data.",
        epilog=_metric_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="the metric, e.g. exchanges-per-year (list below)")
    add_filter_arguments(parser)
    options = parser.add_argument_group("options", "Each applies only to the metrics named in its help.")
    options.add_argument("--per-year", action="store_true", help="one row per year and value (by-* metrics)")
    options.add_argument("--top", metavar="N", help="number of rows (leaderboard, default 10; by-country)")
    options.add_argument("--kind", metavar="country|party", help="leaderboard of countries (default) or parties")
    options.add_argument(
        "--no-international", action="store_true", help="leave international organisations out of the leaderboard"
    )
    options.add_argument(
        "--dimension", metavar="DIM", help="compare-periods, breakdown: " + ", ".join(metrics.DIMENSIONS)
    )
    options.add_argument("--rows", metavar="DIM", help="cross-table rows (a dimension or year)")
    options.add_argument("--columns", metavar="DIM", help="cross-table columns (a dimension or year)")
    options.add_argument("--period-a", metavar="YYYY-YYYY", help="compare-periods: first period, e.g. 1990-1999")
    options.add_argument("--period-b", metavar="YYYY-YYYY", help="compare-periods: second period, e.g. 2010-2019")
    options.add_argument("--baseline-years", metavar="N", help="change-levels: years before the window (default 5)")
    options.add_argument(
        "--min-exchanges",
        metavar="N",
        help="change-levels: fewer exchanges than this in window and baseline together is "
        "'too small to class' (default 5)",
    )
    options.add_argument(
        "--min-events", metavar="N", help="co-attendance: pairs sharing fewer events than this are left out (default 2)"
    )
    parser.add_argument("--format", default="csv", metavar="csv|json|table", help="output format (default csv)")
    add_lang_argument(parser, what="the column headers; values stay codes (default: the column names)")
    parser.set_defaults(handler=run_metric)


def metric_options_from_args(name: str, args: argparse.Namespace) -> dict[str, object]:
    """The metric options given on the command line; a flag the metric does not take is an error."""
    accepted = metrics.metric_options(name)
    options: dict[str, object] = {}
    for flag, (dest, option) in OPTION_FLAGS.items():
        value = getattr(args, dest, None)
        if value is None or value is False:
            continue
        if option not in accepted:
            takers = [m for m in metrics.METRICS if option in metrics.metric_options(m)]
            raise cli.CommandError(t("error.cli.option_not_for", flag=flag, name=name, takers=", ".join(takers)))
        options[option] = False if flag == "--no-international" else value
    missing = [
        flag
        for flag, (_, option) in OPTION_FLAGS.items()
        if accepted.get(option, None) is inspect.Parameter.empty and option not in options
    ]
    if missing:
        raise cli.CommandError(t("error.cli.option_needed", name=name, flags=", ".join(missing)))
    if name == "compare-periods" and (args.year_from or args.year_to):
        raise cli.CommandError(t("error.cli.compare_years"))
    return options


def headers(name: str, columns: list[str], lang: str) -> dict[str, str]:
    """Column name -> its header in ``lang`` (a header that two columns would share keeps the name)."""
    with i18n.using(lang):
        labels = {column: metrics.column_label(name, column) for column in columns}
    shared = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    return {column: label if label not in shared else column for column, label in labels.items()}


def render(frame: pd.DataFrame, fmt: str, names: dict[str, str] | None = None) -> str:
    """The frame as CSV (header row), JSON records (NaN as null, dates as YYYY-MM-DD) or a text table,
    its columns headed by ``names`` (column -> header) when given."""
    frame = frame.copy()
    digits = {column: 4 if ("share" in column or "hhi" in column) else 1 for column in frame.columns}
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    if names:
        frame = frame.rename(columns=names)
        digits = {names.get(column, column): d for column, d in digits.items()}
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\n")
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        return json.dumps(records, indent=1, ensure_ascii=False) + "\n"
    if frame.empty:
        return "  ".join(frame.columns) + "\n" + t("cli.metric.no_rows") + "\n"
    formatters = {}
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            formatters[column] = lambda x, d=digits[column]: "" if pd.isna(x) else f"{x:,.{d}f}"
    with pd.option_context("display.unicode.east_asian_width", True):  # Chinese headers line up
        return frame.to_string(index=False, formatters=formatters) + "\n"


def run_metric(args: argparse.Namespace) -> int:
    if not args.name:
        raise cli.CommandError(t("error.cli.name_a_metric", valid=", ".join(metrics.METRICS)))
    metrics.get_metric(args.name)
    lang = i18n.normalise(args.lang) if args.lang else None
    fmt = str(args.format).strip().lower()
    if fmt not in FORMATS:
        raise cli.CommandError(t("error.cli.unknown_format", format=repr(args.format), valid=", ".join(FORMATS)))
    filters = filters_from_args(args)
    options = metric_options_from_args(args.name, args)
    path = ready_ledger(args)
    con = connect_read_only(path)
    try:
        metrics.check_party(con, filters)
        demo = is_demo(con)
    finally:
        con.close()
    frame = metrics.cached(path, args.name, filters, **options)
    names = headers(args.name, list(frame.columns), lang) if lang else None
    if demo:
        print(t("cli.metric.demo_note"), file=sys.stderr)
    sys.stdout.write(render(frame, fmt, names))
    return 0
