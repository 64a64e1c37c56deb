"""Command line of the ledger and the analytics: ``python -m analytics COMMAND``.

``main(argv)`` builds the parser from the modules in ``analytics.commands`` and runs one
command. Errors print one clear line per problem on standard error and give a non-zero exit
code; tests call ``main([...])`` directly. Help text is English; messages (errors, summaries)
are in the language of ``LEDGER_LANG``, which ``main`` makes the language of the run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import unicodedata
from pathlib import Path

from analytics import i18n
from analytics.errors import DomainError
from analytics.i18n import t
from analytics.settings import DEFAULT_DB_PATH, load_settings

COMMAND_MODULES = (
    "analytics.commands.ledger_commands",
    "analytics.commands.metric_commands",
    "analytics.commands.findings_commands",
    "analytics.commands.export_commands",
    "analytics.commands.import_commands",
    "analytics.commands.record_commands",
    "analytics.commands.party_commands",
    "analytics.commands.access_commands",
    "analytics.commands.serve_commands",
    "analytics.commands.bench_commands",
)


class CommandError(DomainError):
    """A command failed for a reason the user can fix; the message says what and where."""


def error_line(message: object) -> str:
    """One problem as the CLI prints it on standard error: 'error: <message>'."""
    return t("cli.error", message=message)


def warning_line(message: object) -> str:
    """One warning as the CLI prints it on standard error: 'warning: <message>'."""
    return t("cli.warning", message=message)


def printable(value: object) -> str:
    """Text from the ledger or the access database safe on a terminal: control characters
    (escape sequences a name could hide) as '?'."""
    return "".join(c if c.isprintable() else "?" for c in str(value))


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (on the left when ``right``)."""
    fill = " " * max(0, columns - width(text))
    return fill + text if right else text + fill


def stderr_progress(message: str, fraction: float) -> None:
    """Progress of long work, on standard error so that standard output stays clean."""
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def database_path(args: argparse.Namespace) -> tuple[Path, bool]:
    """The ledger path from --db, else LEDGER_DB, else the default; and whether it is the default."""
    if getattr(args, "db", None):
        return Path(args.db), False
    path = load_settings().db_path
    return path, Path(path).resolve() == DEFAULT_DB_PATH.resolve()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", help="ledger file (default: $LEDGER_DB or data/ledger.duckdb)")
    parser = argparse.ArgumentParser(
        prog="python -m analytics",
        description="Ledger and analytics of party-to-party exchanges.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command in the language of ``LEDGER_LANG``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        lang = i18n.default_language()
    except i18n.LanguageError as error:
        print(f"error: {error}", file=sys.stderr)  # no language to say it in
        return 2
    with i18n.using(lang):
        try:
            return int(args.handler(args) or 0)
        except DomainError as error:
            print(error_line(error), file=sys.stderr)
            return 2
        except BrokenPipeError:
            return 0
