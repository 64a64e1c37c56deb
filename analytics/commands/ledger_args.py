"""The ledger every reading command works on: ``ready_ledger(args)`` turns the shared ``--db``
flag (else LEDGER_DB, else the default) into the path of a ledger ready to read; and the
language of a command's output: ``add_lang_argument(parser)`` adds ``--lang zh|en`` (default:
LEDGER_LANG), and the handler runs inside ``i18n.using(args.lang)``.

Every command module takes it from here (``info``, ``metric``, ``export``, ``briefing``,
``history``, ``undo``, ``backup``, ``export-ledger``), beside ``filter_args`` for the filter flags.
"""

from __future__ import annotations

import argparse

from analytics import cli, i18n
from analytics.ledger import prepare_ledger
from analytics.settings import load_settings


def ready_ledger(args) -> str:
    """The path of a ledger ready to read (created with demo data if it is the missing default)."""
    path, is_default = cli.database_path(args)
    prepare_ledger(path, is_default=is_default, progress=cli.stderr_progress, seed=load_settings().demo_seed)
    return str(path)


def add_lang_argument(
    parser: argparse.ArgumentParser, what: str = "the output's words (default: LEDGER_LANG, else en)"
) -> None:
    """``--lang zh|en``: the language of ``what`` (its help says the default).

    The handler passes ``args.lang`` to ``i18n.using``, which refuses a bad value with a
    ``LanguageError``: one ``error:`` line and exit 2, as any other bad value.
    """
    parser.add_argument(
        "--lang",
        metavar="{" + ",".join(i18n.LANGUAGES) + "}",
        help=f"language of {what}",
    )


def verb_common(common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The shared options (``--db``) for the verbs of a command that takes them too: without a
    default, so that ``record --db X list`` keeps X (argparse copies a verb's parsed values, its
    defaults included, over the command's)."""
    parent = argparse.ArgumentParser(add_help=False)
    for action in common._actions:
        parent.add_argument(
            *action.option_strings,
            dest=action.dest,
            metavar=action.metavar,
            help=action.help,
            default=argparse.SUPPRESS,
        )
    return parent
