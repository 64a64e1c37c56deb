"""``record add``, ``record list``, ``record edit`` and ``record delete``: keep exchanges by hand
from the command line, and ``write_frame``, the CSV or aligned table a listing prints.

Thin handlers over ``analytics.records``: the options are the import format's fields
(``RECORD_OPTIONS``), checked there as an import checks a row. Each write is one change batch,
made as the local operator (an admin, like ``import``), and prints ``ChangeResult.message()``:
one line naming the exchange and ``batch N``. A bad id or value is a domain error, which
``cli.main`` prints as one ``error:`` line with exit 2; nothing is written then. ``party_commands``
prints its listings through ``write_frame`` too.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from analytics import cli, metrics, records, spreadsheet
from analytics.commands import ledger_args
from analytics.commands.filter_args import add_filter_arguments, filters_from_args
from analytics.commands.ledger_args import ready_ledger
from analytics.i18n import t
from analytics.ledger import connect_read_only, is_demo

FORMATS: tuple[str, ...] = ("table", "csv")

# (flag, record field, help): the import format's fields as options of ``record add`` / ``edit``.
RECORD_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--date", "date", "YYYY-MM-DD, YYYY-MM (month precision) or YYYY (year precision)"),
    ("--party", "party", "the foreign party's name (a new name in that country creates the party)"),
    ("--party-zh", "party_zh", "the party's Chinese name (optional)"),
    ("--country", "country", "ISO3 code or English name; empty for an international organisation"),
    ("--family", "party_family", "party family code, e.g. social_democratic"),
    ("--status", "party_status", "party status code: ruling, coalition, opposition, other, unknown"),
    ("--form", "form", "form code, e.g. working_visit"),
    ("--direction", "direction", "inbound, outbound, third_country or virtual"),
    ("--level", "level", "leader, senior, working or unknown"),
    ("--event-id", "event_id", "event id shared by the exchanges of one event"),
    ("--delegation-size", "delegation_size", "number of people in the delegation"),
    ("--topic", "topic", "topic (free text)"),
    ("--source", "source", "source of the record (free text)"),
)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    record = subparsers.add_parser(
        "record",
        parents=[common],
        help="add, list, correct and delete exchanges by hand",
        description="Exchanges kept by hand, checked as an import checks a row (docs/ledger-format.md). "
        "Each change is one batch: see it with 'history', take it back with 'undo BATCH_ID'.",
    )
    verbs = record.add_subparsers(dest="verb", metavar="VERB", required=True)
    common = ledger_args.verb_common(common)

    add = verbs.add_parser(
        "add",
        parents=[common],
        help="add one exchange",
        description="Add one exchange as one batch. Required: --date, --party, --country (empty only for an "
        "international organisation), --family, --form, --direction.",
    )
    _add_record_options(add)
    add.set_defaults(handler=run_record_add)

    listing = verbs.add_parser(
        "list",
        parents=[common],
        help="the exchanges of a slice, in the import format",
        description="The matching exchanges: exchange_id, then the import format's columns "
        "(dates at their precision, countries as ISO3 codes). No default year window.",
    )
    add_filter_arguments(listing)
    listing.add_argument("--format", default="table", choices=FORMATS, help="output (default: table)")
    listing.set_defaults(handler=run_record_list)

    edit = verbs.add_parser(
        "edit",
        parents=[common],
        help="correct one exchange",
        description="Give the fields to change (at least one); the whole record is checked again and the "
        "correction is one batch.",
    )
    edit.add_argument("exchange_id", metavar="EXCHANGE_ID", help="exchange number (see: record list)")
    _add_record_options(edit)
    edit.set_defaults(handler=run_record_edit)

    delete = verbs.add_parser(
        "delete",
        parents=[common],
        help="delete one exchange",
        description="Delete one exchange as one batch (its party too when it has no exchange and no former "
        "name left); 'undo BATCH_ID' brings both back.",
    )
    delete.add_argument("exchange_id", metavar="EXCHANGE_ID", help="exchange number (see: record list)")
    delete.set_defaults(handler=run_record_delete)


def _add_record_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("fields", "The import format's fields (docs/ledger-format.md).")
    for flag, field, help_text in RECORD_OPTIONS:
        group.add_argument(flag, dest=f"field_{field}", metavar="VALUE", help=help_text)


def record_values(args: argparse.Namespace) -> dict[str, object]:
    """The record fields given on the command line (field -> text), in the import format's order."""
    return {
        field: getattr(args, f"field_{field}")
        for _, field, _ in RECORD_OPTIONS
        if getattr(args, f"field_{field}", None) is not None
    }


def _terminal(value: object) -> str:
    """A cell as a table shows it: '' for a missing value, control characters (escape sequences
    in ledger text) as '?'."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return cli.printable(value)


def table_text(frame: pd.DataFrame) -> str:
    """``frame`` as an aligned text table headed by its column names: numbers to the right, text to
    the left, padded by terminal columns (``cli.width``) so that Chinese names line up."""
    columns = [str(column) for column in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[column]) for column in frame.columns]
    cells = [[_terminal(value) for value in row] for row in frame.itertuples(index=False, name=None)]
    widths = [max([cli.width(column), *(cli.width(row[i]) for row in cells)]) for i, column in enumerate(columns)]
    lines = [
        "  ".join(cli.pad(text, widths[i], right=numeric[i]) for i, text in enumerate(line)).rstrip()
        for line in [columns, *cells]
    ]
    return "\n".join(lines) + "\n"


def write_frame(frame: pd.DataFrame, fmt: str, empty_message: str) -> None:
    """Print a listing: CSV (raw column names, formulas neutralised) or an aligned table, or
    ``empty_message`` for a table without rows."""
    if fmt == "csv":
        sys.stdout.write(spreadsheet.csv_bytes(frame, encoding="utf-8").decode("utf-8"))
    elif frame.empty:
        print(empty_message)
    else:
        sys.stdout.write(table_text(frame))


def demo_note(path: str) -> None:
    """Say on standard error that a listing comes from the demo ledger (invented parties)."""
    con = connect_read_only(path)
    try:
        demo = is_demo(con)
    finally:
        con.close()
    if demo:
        print(t("cli.metric.demo_note"), file=sys.stderr)


def run_record_add(args: argparse.Namespace) -> int:
    path = ready_ledger(args)
    print(records.add_record(path, record_values(args)).message())
    return 0


def run_record_list(args: argparse.Namespace) -> int:
    filters = filters_from_args(args)
    path = ready_ledger(args)
    con = connect_read_only(path)
    try:
        metrics.check_party(con, filters)
        frame = records.list_records(con, filters)
    finally:
        con.close()
    demo_note(path)
    write_frame(frame, args.format, t("cli.record.none"))
    return 0


def run_record_edit(args: argparse.Namespace) -> int:
    values = record_values(args)
    if not values:
        raise cli.CommandError(
            t("cli.record.no_field", flags=", ".join(flag for flag, _, _ in RECORD_OPTIONS), exchange=args.exchange_id)
        )
    path = ready_ledger(args)
    print(records.edit_record(path, args.exchange_id, values).message())
    return 0


def run_record_delete(args: argparse.Namespace) -> int:
    path = ready_ledger(args)
    print(records.delete_record(path, args.exchange_id).message())
    return 0
