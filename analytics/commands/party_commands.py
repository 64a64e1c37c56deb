"""``party list``, ``party rename``, ``party merge`` and ``party set-family``: see the parties with
their counts, spans and former names (or the pairs that look like one party entered twice), and
make the three changes a party takes.

Thin handlers over ``analytics.parties``. Each change is one change batch made as the local
operator (an admin, like ``import``) and prints ``ChangeResult.message()``, one line naming
``batch N``; a bad id, name or code is a domain error: one ``error:`` line, exit 2, nothing written.
Listings print through ``record_commands.write_frame`` (CSV with the raw column names, or a table).
"""

from __future__ import annotations

import argparse

from analytics import cli, parties
from analytics.commands.filter_args import country_code
from analytics.commands.ledger_args import ready_ledger, verb_common
from analytics.commands.record_commands import FORMATS, demo_note, write_frame
from analytics.filters import Filters
from analytics.i18n import t
from analytics.ledger import connect_read_only


def register(subparsers, common: argparse.ArgumentParser) -> None:
    party = subparsers.add_parser(
        "party",
        parents=[common],
        help="list, rename, merge and reclassify parties",
        description="The parties of the ledger and the changes a party takes. Each change is one batch: "
        "see it with 'history', take it back with 'undo BATCH_ID'.",
    )
    verbs = party.add_subparsers(dest="verb", metavar="VERB", required=True)
    common = verb_common(common)

    listing = verbs.add_parser(
        "list",
        parents=[common],
        help="the parties, or the possible duplicates",
        description="Every party: id, name, country, family, exchanges, first and last exchange date, "
        "Chinese name, former names. --duplicates lists the pairs of parties of one country whose names "
        "are the same once case, accents, punctuation and spaces are folded, or very close.",
    )
    listing.add_argument("--country", metavar="ISO3", help="the parties of one country (ISO3 code or name)")
    listing.add_argument("--search", metavar="TEXT", help="names, Chinese names or former names containing TEXT")
    listing.add_argument("--duplicates", action="store_true", help="list the possible duplicates instead")
    listing.add_argument("--format", default="table", choices=FORMATS, help="output (default: table)")
    listing.set_defaults(handler=run_party_list)

    rename = verbs.add_parser(
        "rename",
        parents=[common],
        help="rename a party (the old name stays as an alias)",
        description="Rename a party; its old name is kept as an alias, so an import that uses it lands "
        "on the same party. Refused when another party of its country has or had the name.",
    )
    rename.add_argument("party_id", metavar="PARTY_ID", help="party number (see: party list)")
    rename.add_argument("new_name", metavar="NEW_NAME", help="the new name")
    rename.set_defaults(handler=run_party_rename)

    merge = verbs.add_parser(
        "merge",
        parents=[common],
        help="merge one party into another of its country",
        description="Move every exchange of FROM_ID to INTO_ID (one party entered under two names); the "
        "merged party's names become aliases of INTO_ID and FROM_ID is removed.",
    )
    merge.add_argument("from_id", metavar="FROM_ID", help="the party merged away")
    merge.add_argument("into_id", metavar="INTO_ID", help="the party kept")
    merge.set_defaults(handler=run_party_merge)

    family = verbs.add_parser(
        "set-family",
        parents=[common],
        help="set a party's family",
        description="Reclassify a party: its family (which applies to all its exchanges) becomes FAMILY.",
    )
    family.add_argument("party_id", metavar="PARTY_ID", help="party number (see: party list)")
    family.add_argument("family", metavar="FAMILY", help="party family code, e.g. social_democratic")
    family.set_defaults(handler=run_party_set_family)


def _country_code(text: str | None) -> str | None:
    """The ISO3 code of ``--country`` (a code or a name), checked as the filters check it."""
    if text is None or not text.strip():
        return None
    return Filters(countries=(country_code(text),)).validated().countries[0]


def run_party_list(args: argparse.Namespace) -> int:
    if args.duplicates and args.search:
        raise cli.CommandError(t("cli.party.search_and_duplicates"))
    country = _country_code(args.country)
    path = ready_ledger(args)
    con = connect_read_only(path)
    try:
        if args.duplicates:
            frame = parties.possible_duplicates(con, country=country)
        else:
            frame = parties.party_list(con, country=country, search=args.search)
    finally:
        con.close()
    demo_note(path)
    empty = t("cli.party.no_duplicates") if args.duplicates else t("cli.party.none")
    write_frame(frame, args.format, empty)
    return 0


def run_party_rename(args: argparse.Namespace) -> int:
    path = ready_ledger(args)
    print(parties.rename_party(path, args.party_id, args.new_name).message())
    return 0


def run_party_merge(args: argparse.Namespace) -> int:
    path = ready_ledger(args)
    print(parties.merge_parties(path, args.from_id, args.into_id).message())
    return 0


def run_party_set_family(args: argparse.Namespace) -> int:
    path = ready_ledger(args)
    print(parties.set_family(path, args.party_id, args.family).message())
    return 0
