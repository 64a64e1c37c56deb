"""``metric NAME``: compute one metric over the ledger and print it as CSV, JSON or a table.

A thin handler: it parses the filters (``filter_args``), checks which options the metric
takes, and calls ``analytics.metrics.cached``. Results go to standard output (CSV with a
header row by default); notes and errors go to standard error. Definitions: ``docs/metrics.md``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys

import pandas as pd

from analytics import cli, metrics
from analytics.commands.filter_args import add_filter_arguments, filters_from_args
from analytics.commands.ledger_args import ready_ledger
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
    parser.add_argument("--format", default="csv", metavar="csv|json|table", help="output format (default csv)")
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
            raise cli.CommandError(f"{flag} does not apply to {name}; it applies to: {', '.join(takers)}.")
        options[option] = False if flag == "--no-international" else value
    missing = [
        flag
        for flag, (_, option) in OPTION_FLAGS.items()
        if accepted.get(option, None) is inspect.Parameter.empty and option not in options
    ]
    if missing:
        raise cli.CommandError(f"{name} needs {', '.join(missing)} (for example --period-a 1990-1999).")
    if name == "compare-periods" and (args.year_from or args.year_to):
        raise cli.CommandError("compare-periods takes its years from --period-a and --period-b, not --from/--to.")
    return options


def render(frame: pd.DataFrame, fmt: str) -> str:
    """The frame as CSV (header row), JSON records (NaN as null, dates as YYYY-MM-DD) or a text table."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\n")
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        return json.dumps(records, indent=1, ensure_ascii=False) + "\n"
    if frame.empty:
        return "  ".join(frame.columns) + "\n(no rows)\n"
    formatters = {}
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            digits = 4 if ("share" in column or "hhi" in column) else 1
            formatters[column] = lambda x, d=digits: "" if pd.isna(x) else f"{x:,.{d}f}"
    return frame.to_string(index=False, formatters=formatters) + "\n"


def run_metric(args: argparse.Namespace) -> int:
    if not args.name:
        raise cli.CommandError(
            f"Name a metric: python -m analytics metric NAME. Valid metrics: {', '.join(metrics.METRICS)}"
        )
    metrics.get_metric(args.name)
    fmt = str(args.format).strip().lower()
    if fmt not in FORMATS:
        raise cli.CommandError(f"Unknown format {args.format!r}. Valid formats: {', '.join(FORMATS)}")
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
    if demo:
        print("note: demo ledger: synthetic data, invented parties.", file=sys.stderr)
    sys.stdout.write(render(frame, fmt))
    return 0
