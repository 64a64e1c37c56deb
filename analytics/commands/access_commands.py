"""``user`` and ``audit``: manage the dashboard's users and read the audit log from the command line.

Each handler calls one function of ``analytics.access``. The command line acts as the local
operator (an admin named by ``LEDGER_USER`` or the login name) and is audited as such; the access
database is ``LEDGER_ACCESS_DB``, else ``access.sqlite`` beside the ledger named by ``--db``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

import pandas as pd

from analytics import access, cli, spreadsheet
from analytics.commands import ledger_args
from analytics.i18n import t


def register(subparsers, common: argparse.ArgumentParser) -> None:
    user = subparsers.add_parser(
        "user",
        parents=[common],
        help="add, change, remove and list the dashboard's users",
        description="Users of the dashboard's sign-in (LEDGER_AUTH=local), in the access database "
        "(LEDGER_ACCESS_DB, else access.sqlite beside the ledger). Roles: viewer, analyst, admin.",
    )
    verbs = user.add_subparsers(dest="verb", metavar="VERB", required=True)
    roles = [role.word for role in access.Role]

    verb_common = ledger_args.verb_common(common)
    add = verbs.add_parser("add", parents=[verb_common], help="add a user with a role and a password")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=roles)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=run_user_add)

    passwd = verbs.add_parser("passwd", parents=[verb_common], help="give a user a new password (ends their sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(handler=run_user_passwd)

    role = verbs.add_parser("role", parents=[verb_common], help="change a user's role")
    role.add_argument("name")
    role.add_argument("role", choices=roles)
    role.set_defaults(handler=run_user_role)

    remove = verbs.add_parser("remove", parents=[verb_common], help="remove a user (their audit entries stay)")
    remove.add_argument("name")
    remove.set_defaults(handler=run_user_remove)

    listing = verbs.add_parser("list", parents=[verb_common], help="the users: name, role, created (never hashes)")
    listing.set_defaults(handler=run_user_list)

    audit = subparsers.add_parser(
        "audit",
        parents=[common],
        help="read the audit log",
        description="Who did what and when (UTC): sign-ins, imports, undo, backups, restores, "
        "replaced ledgers, user changes, exports and refusals, oldest first.",
    )
    audit.add_argument("--since", metavar="DATE", help="entries from this day or time (YYYY-MM-DD, UTC)")
    audit.add_argument("--user", metavar="NAME", help="entries of one user")
    audit.add_argument("--action", metavar="A", choices=access.AUDIT_ACTIONS, help="entries of one action")
    audit.add_argument("--format", choices=("table", "csv"), default="table", help="output (default: table)")
    audit.set_defaults(handler=run_audit)


def _db(args: argparse.Namespace) -> Path:
    ledger, _ = cli.database_path(args)
    return access.access_path(ledger)


def _password(args: argparse.Namespace) -> str:
    """From standard input (one line) with --password-stdin, else asked twice without echo."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(t("cli.user.password_prompt", name=args.name))
    if getpass.getpass(t("cli.user.again_prompt")) != first:
        raise cli.CommandError(t("error.cli.passwords_differ"))
    return first


def run_user_add(args: argparse.Namespace) -> int:
    added = access.add_user(args.name, args.role, _password(args), db=_db(args))
    print(t("cli.user.added", role=added.role.word, name=added.name))
    return 0


def run_user_passwd(args: argparse.Namespace) -> int:
    access.set_password(args.name, _password(args), db=_db(args))
    print(t("cli.user.new_password", name=args.name))
    return 0


def run_user_role(args: argparse.Namespace) -> int:
    access.set_role(args.name, args.role, db=_db(args))
    print(t("cli.user.role", name=args.name, role=args.role))
    return 0


def run_user_remove(args: argparse.Namespace) -> int:
    access.remove_user(args.name, db=_db(args))
    print(t("cli.user.removed", name=args.name))
    return 0


def run_user_list(args: argparse.Namespace) -> int:
    users = access.list_users(db=_db(args))
    if not users:
        print(t("cli.user.none"))
        return 0
    width = max(len(user.name) for user in users)
    for user in users:
        print(f"{user.name:<{width}}  {user.role.word:<8} {user.created_at:%Y-%m-%d %H:%M}")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    db = _db(args)
    access.require(None, access.Action.READ_AUDIT, db=db)
    log = access.audit_log(since=args.since, user=args.user, action=args.action, db=db)
    filters = ", ".join(
        f"{k} {v}" for k, v in (("since", args.since), ("user", args.user), ("action", args.action)) if v
    )
    access.audit(None, access.Action.READ_AUDIT, "audit log", filters or "all entries", db=db)
    frame = log.assign(at=log["at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    if args.format == "csv":
        sys.stdout.write(spreadsheet.csv_bytes(frame, encoding="utf-8").decode("utf-8"))
        return 0
    if frame.empty:
        print(t("cli.audit.none"))
        return 0
    print(pd.DataFrame({c: frame[c].map(cli.printable) for c in frame.columns}).to_string(index=False))
    return 0
