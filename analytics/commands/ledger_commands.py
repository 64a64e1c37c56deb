"""``init`` and ``info``: create a ledger and describe one."""

from __future__ import annotations

import argparse

from analytics import cli
from analytics.commands.ledger_args import ready_ledger
from analytics.demo import MAX_ROWS, MIN_ROWS
from analytics.i18n import number, t
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
            raise argparse.ArgumentTypeError(t("error.cli.whole_number", flag=flag, text=repr(text))) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                t("error.cli.out_of_range", flag=flag, low=number(low), high=number(high), value=number(value))
            )
        return value

    return parse


def run_init(args) -> int:
    path, _ = cli.database_path(args)
    seed = args.seed if args.seed is not None else load_settings().demo_seed
    if args.rows is not None and not args.demo:
        raise cli.CommandError(t("error.cli.rows_with_empty"))
    create_ledger(path, demo=args.demo, rows=args.rows, seed=seed, force=args.force, progress=cli.stderr_progress)
    print(t("cli.init.created_demo" if args.demo else "cli.init.created_empty", path=path))
    return 0


def run_info(args) -> int:
    path = ready_ledger(args)
    con = connect_read_only(path)
    try:
        info = ledger_info(con, path)
    finally:
        con.close()
    span = f"{info.first_year}–{info.last_year}" if info.first_year else t("cli.info.no_exchanges")
    data = "cli.info.demo" if info.is_demo else "cli.info.real" if info.exchanges else "cli.info.real_empty"
    lines = [
        ("cli.info.ledger", info.path),
        ("cli.info.data", t(data)),
        ("cli.info.exchanges", f"{info.exchanges:,}"),
        ("cli.info.events", f"{info.events:,}"),
        ("cli.info.parties", f"{info.parties:,}"),
        ("cli.info.countries", f"{info.countries:,}"),
        ("cli.info.years", span),
        ("cli.info.schema_version", str(info.schema_version)),
        ("cli.info.ledger_version", str(info.ledger_version)),
        ("cli.info.last_import", info.last_import_text() or t("cli.info.none")),
    ]
    for key, value in lines:
        print(cli.pad(t("cli.info.label", label=t(key)), 16) + value)
    return 0
