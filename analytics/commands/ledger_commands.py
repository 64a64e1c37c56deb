"""``init`` and ``info``: create a ledger and describe one."""

from __future__ import annotations

import argparse

from analytics import cli
from analytics.commands.ledger_args import ready_ledger
from analytics.demo import MAX_ROWS, MIN_ROWS
from analytics.ledger import connect_read_only, create_ledger, ledger_info
from analytics.settings import load_settings


def register(subparsers, common: argparse.ArgumentParser) -> None:
    init = subparsers.add_parser(
        "init",
        parents=[common],
        help="create the ledger database",
        description="Create the ledger database, with demo data (default) or empty. "
        "Never overwrites an existing file without --force.",
    )
    mode = init.add_mutually_exclusive_group()
    mode.add_argument(
        "--demo", dest="demo", action="store_true", default=True, help="fill with synthetic demo data (default)"
    )
    mode.add_argument("--empty", dest="demo", action="store_false", help="create an empty ledger for real data")
    init.add_argument(
        "--rows",
        type=_bounded("--rows", MIN_ROWS, MAX_ROWS),
        help=f"number of demo exchanges, {MIN_ROWS:,} to {MAX_ROWS:,} (default about 20,000)",
    )
    init.add_argument(
        "--seed",
        type=_bounded("--seed", 0, 2**32 - 1),
        help="seed of the demo generator, a whole number from 0 (default $LEDGER_DEMO_SEED or 1951)",
    )
    init.add_argument("--force", action="store_true", help="replace an existing ledger (its data is lost)")
    init.set_defaults(handler=run_init)

    info = subparsers.add_parser(
        "info",
        parents=[common],
        help="show what the ledger holds",
        description="Rows, distinct parties and countries, year span, demo or not, schema version, last import.",
    )
    info.set_defaults(handler=run_info)


def _bounded(flag: str, low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high``, with an error naming the flag."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{flag} must be from {low:,} to {high:,}, not {value:,}")
        return value

    return parse


def run_init(args) -> int:
    path, _ = cli.database_path(args)
    seed = args.seed if args.seed is not None else load_settings().demo_seed
    if args.rows is not None and not args.demo:
        raise cli.CommandError("--rows only applies to a demo ledger; drop it or drop --empty.")
    create_ledger(path, demo=args.demo, rows=args.rows, seed=seed, force=args.force, progress=cli.stderr_progress)
    print(f"Created {'demo' if args.demo else 'empty'} ledger at {path}")
    return 0


def run_info(args) -> int:
    path = ready_ledger(args)
    con = connect_read_only(path)
    try:
        info = ledger_info(con, path)
    finally:
        con.close()
    span = f"{info.first_year}–{info.last_year}" if info.first_year else "no exchanges yet"
    lines = [
        ("Ledger", info.path),
        (
            "Data",
            "DEMO (synthetic, invented parties)"
            if info.is_demo
            else "real"
            if info.exchanges
            else "real, empty (import a ledger: python -m analytics import FILE)",
        ),
        ("Exchanges", f"{info.exchanges:,}"),
        ("Events", f"{info.events:,}"),
        ("Parties", f"{info.parties:,}"),
        ("Countries", f"{info.countries:,}"),
        ("Years", span),
        ("Schema version", str(info.schema_version)),
        ("Ledger version", str(info.ledger_version)),
        ("Last import", info.last_import or "none"),
    ]
    for key, value in lines:
        print(f"{key + ':':<16}{value}")
    return 0
