"""``findings``: what changed in a slice of the ledger, ranked, with numbers, chart and sentence.

A thin handler over ``analytics.findings.findings``: the filters come from ``filter_args``, the
ledger from ``ledger_args``; ``--top N`` keeps the N best, ``--lang zh|en`` is the language of
the sentences (the ``text`` column; the other columns stay codes), ``--format`` prints CSV
(default, columns ``findings.COLUMNS`` in order), JSON records or an aligned table through the
same renderer as ``metric``. Definitions, thresholds and score: ``docs/findings.md``.
"""

from __future__ import annotations

import argparse
import sys

from analytics import cli, findings, i18n, metrics
from analytics.commands.filter_args import add_filter_arguments, filters_from_args
from analytics.commands.ledger_args import add_lang_argument, ready_ledger
from analytics.commands.metric_commands import FORMATS, render
from analytics.i18n import t
from analytics.ledger import connect_read_only, is_demo

DEFAULT_TOP = 10


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "findings",
        parents=[common],
        help="what changed in a slice, ranked, in words (csv, json or table)",
        description="The findings of a slice: the window's latest year against the year before and the "
        "three before, record years, the largest rises and falls by dimension, first contacts, "
        "relationships resumed or gone dormant. Columns: " + ", ".join(findings.COLUMNS) + ". "
        "Definitions, thresholds and score: docs/findings.md.",
    )
    add_filter_arguments(parser)
    parser.add_argument("--top", metavar="N", default=str(DEFAULT_TOP), help=f"best N findings (default {DEFAULT_TOP})")
    parser.add_argument("--format", default="csv", metavar="csv|json|table", help="output format (default csv)")
    add_lang_argument(parser, what="the sentences (default: LEDGER_LANG, else en)")
    parser.set_defaults(handler=run_findings)


def _top(text: str) -> int:
    try:
        top = int(str(text).strip())
    except ValueError:
        top = 0
    if top < 1:
        raise cli.CommandError(t("error.cli.findings_top", value=repr(text)))
    return top


def run_findings(args: argparse.Namespace) -> int:
    fmt = str(args.format).strip().lower()
    if fmt not in FORMATS:
        raise cli.CommandError(t("error.cli.unknown_format", format=repr(args.format), valid=", ".join(FORMATS)))
    top = _top(args.top)
    with i18n.using(args.lang) as lang:
        filters = filters_from_args(args)
        path = ready_ledger(args)
        con = connect_read_only(path)
        try:
            metrics.check_party(con, filters)
            demo = is_demo(con)
            frame = findings.findings(con, filters, top=top, lang=lang)
        finally:
            con.close()
        if demo:
            print(t("cli.metric.demo_note"), file=sys.stderr)
    frame["text"] = frame["text"].map(cli.printable)  # a party name may hide terminal controls
    sys.stdout.write(render(frame, fmt))
    return 0
