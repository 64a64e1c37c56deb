"""``import``, ``history``, ``undo``, ``backup``, ``restore``, ``template`` and ``export-ledger``:
bring a real ledger in, see and undo its batches (imports, and the changes made by hand with the
``record`` and ``party`` commands), back the ledger up to Parquet and restore it, and write the
whole ledger back out in the import format.

Thin handlers over ``analytics.importer`` and ``analytics.backup``. Problems go to standard error,
one per line; ``import`` exits 0 only when every row of the file was written (or, with
``--dry-run``, would be), 1 when rows were rejected, 2 when the file or the ledger cannot be used;
a dry run exits with the code the import itself would give.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics import access, cli
from analytics.backup import backup_ledger, restore_ledger
from analytics.changes import describe
from analytics.commands.ledger_args import ready_ledger
from analytics.i18n import number, plural, t
from analytics.importer import (
    FORCE_NOTE,
    ImportFileError,
    batch_history,
    export_ledger,
    import_file,
    problem_lines,
    refusal,
    undo_batch,
    write_template,
)
from analytics.ledger import connect_read_only, prepare_ledger

# Files above this size report their progress on standard error.
PROGRESS_FROM_BYTES = 5_000_000


def register(subparsers, common: argparse.ArgumentParser) -> None:
    command = subparsers.add_parser(
        "import",
        parents=[common],
        help="import a ledger file (CSV, Excel or Parquet)",
        description="Check a CSV, Excel (.xlsx) or Parquet file against the ledger format (docs/ledger-format.md) "
        "and write it as one batch, all or nothing. Every problem is listed on standard error with its "
        "spreadsheet row. A missing ledger is created empty.",
    )
    command.add_argument("file", help="the file to import")
    command.add_argument("--sheet", metavar="NAME", help="sheet of an Excel workbook (default: the first)")
    command.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    command.add_argument(
        "--skip-invalid",
        action="store_true",
        help="write the valid rows and save the rejected ones with their reasons to FILE.rejected.csv",
    )
    command.add_argument(
        "--force",
        action="store_true",
        help=f"import a file already imported (same SHA-256); {FORCE_NOTE}",
    )
    command.set_defaults(handler=run_import)

    history = subparsers.add_parser(
        "history",
        parents=[common],
        help="list the batches: imports and changes made by hand",
        description="Every batch, newest first: time, user, rows read, written and rejected, undone or not, "
        "kind (import, record added, party renamed, ...), and the file of an import or what a change did.",
    )
    history.set_defaults(handler=run_history)

    undo = subparsers.add_parser(
        "undo",
        parents=[common],
        help="undo one batch: an import or a change made by hand",
        description="An import: remove exactly its exchanges (and the parties it created that have no exchange "
        "left). A change made by hand (record, party): set every row it touched back as it was. Refused while "
        "a later batch that is not undone changed the same rows. The batch stays in the history, marked as undone.",
    )
    undo.add_argument("batch_id", type=int, metavar="BATCH_ID", help="batch number (see: history)")
    undo.set_defaults(handler=run_undo)

    backup = subparsers.add_parser(
        "backup",
        parents=[common],
        help="back the ledger up to Parquet",
        description="Write the whole ledger to a .zip of Parquet files (one per table) with a manifest.",
    )
    backup.add_argument("--out", required=True, metavar="FILE", help="backup file to write (.zip)")
    backup.set_defaults(handler=run_backup)

    restore = subparsers.add_parser(
        "restore",
        parents=[common],
        help="replace the ledger by a backup",
        description="Replace the whole content of the ledger by a backup made with 'backup', all or nothing.",
    )
    restore.add_argument("file", help="backup file (.zip)")
    restore.add_argument("--force", action="store_true", help="replace a ledger that holds real (imported) exchanges")
    restore.set_defaults(handler=run_restore)

    template = subparsers.add_parser(
        "template",
        parents=[common],
        help="write the import template (CSV or Excel)",
        description="Write an empty import template: .csv (the header row) or .xlsx (with code lists and examples).",
    )
    template.add_argument("--out", required=True, metavar="FILE", help="template file to write (.csv or .xlsx)")
    template.set_defaults(handler=run_template)

    export = subparsers.add_parser(
        "export-ledger",
        parents=[common],
        help="write the whole ledger in the import format",
        description="Write every exchange to a .csv, .xlsx or .parquet file in the import format "
        "(docs/ledger-format.md): dates at their precision, countries as ISO3 codes. Importing the file "
        "into an empty ledger gives the same content. The file appears whole or not at all.",
    )
    export.add_argument("--out", required=True, metavar="FILE", help="file to write (.csv, .xlsx or .parquet)")
    export.set_defaults(handler=run_export_ledger)


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def run_import(args) -> int:
    path, _ = cli.database_path(args)
    if path.exists():
        prepare_ledger(path)
    source = Path(args.file)
    large = source.is_file() and source.stat().st_size > PROGRESS_FROM_BYTES
    try:
        result = import_file(
            source,
            path,
            sheet=args.sheet,
            dry_run=args.dry_run,
            skip_invalid=args.skip_invalid,
            force=args.force,
            progress=cli.stderr_progress if large else None,
        )
    except ImportFileError as error:
        for line in error.lines:
            _err(cli.error_line(line))
        return 2
    refused = refusal(result, path, force=args.force) if args.dry_run else None
    if refused is not None:
        _err(cli.error_line(refused))
    for note in result.notes:
        _err(cli.warning_line(note))
    for line in problem_lines(result.problems):
        _err(line)
    rejected = result.rows_rejected
    if args.dry_run:
        print(
            t(
                "cli.import.dry_run",
                read=number(result.rows_read),
                valid=number(result.rows_valid),
                rejected=number(rejected),
            )
        )
        return 2 if refused is not None else 0 if result.complete else 1
    if result.rejected_error:
        _err(cli.error_line(result.rejected_error))
    if not result.written:
        if result.rows_valid:
            advice = t("cli.import.fix_or_skip", valid=number(result.rows_valid))
        elif result.previous_batch is not None:
            advice = t("cli.import.imported_before", batch=result.previous_batch)
        else:
            advice = ""
        print(t("cli.import.nothing_written", rejected=number(rejected), read=number(result.rows_read), advice=advice))
        if result.rejected_path:
            print(t("cli.import.rejected_saved", path=result.rejected_path))
        return 1
    print(
        t(
            "cli.import.imported",
            written=number(result.rows_written),
            read=number(result.rows_read),
            file=result.file_name,
            batch=result.batch_id,
            parties=plural("cli.count.new_party", result.new_parties),
        )
    )
    if rejected:
        saved = (
            t("cli.import.saved_in", path=result.rejected_path) if result.rejected_path else t("cli.import.not_saved")
        )
        print(t("cli.import.rejected", rows=plural("cli.count.row", rejected), saved=saved))
        return 1
    return 0


def run_history(args) -> int:
    path = ready_ledger(args)
    con = connect_read_only(path)
    try:
        batches = batch_history(con.cursor())
    finally:
        con.close()
    if batches.empty:
        print(t("cli.history.none"))
        return 0
    heads = {
        key: t(f"cli.history.{key}")
        for key in ("batch", "imported_at", "by", "read", "written", "rejected", "undone", "kind")
    }
    kinds = {kind: t(f"core.batch_kind.{kind}") for kind in batches["kind"].unique()}
    kind_width = max(cli.width(label) for label in [heads["kind"], *kinds.values()])
    print(
        f"{cli.pad(heads['batch'], 5, right=True)}  {cli.pad(heads['imported_at'], 16)}  {cli.pad(heads['by'], 12)} "
        f"{cli.pad(heads['read'], 9, right=True)} {cli.pad(heads['written'], 9, right=True)} "
        f"{cli.pad(heads['rejected'], 9, right=True)}  {cli.pad(heads['undone'], 16)}  "
        f"{cli.pad(heads['kind'], kind_width)}  {t('cli.history.file')}"
    )
    for row in batches.itertuples(index=False):
        undone = f"{row.undone_at:%Y-%m-%d %H:%M}" if row.undone_at is not None and not _isnull(row.undone_at) else ""
        if row.kind == "import":
            sheet = f" [{row.sheet}]" if row.sheet else ""
            what = f"{row.file_name}{sheet}"
        else:
            what = describe(row.summary)
        print(
            f"{row.batch_id:>5}  {row.imported_at:%Y-%m-%d %H:%M}  {cli.pad(cli.printable(row.imported_by or ''), 12)} "
            f"{row.rows_read:>9,} {row.rows_written:>9,} {row.rows_rejected:>9,}  {undone:<16}  "
            f"{cli.pad(kinds[row.kind], kind_width)}  {cli.printable(what)}"
        )
    return 0


def _isnull(value) -> bool:
    try:
        return value != value  # NaT and NaN are not equal to themselves
    except TypeError:
        return False


def run_undo(args) -> int:
    path = ready_ledger(args)
    done = undo_batch(path, args.batch_id)
    if done.kind != "import":
        print(
            t(
                "cli.undo.change_done",
                batch=done.batch_id,
                kind=t(f"core.batch_kind.{done.kind}"),
                summary=cli.printable(describe(done.summary)),
                rows=plural("cli.count.row", done.rows_restored),
            )
        )
        return 0
    print(
        t(
            "cli.undo.done",
            batch=done.batch_id,
            file=done.file_name,
            exchanges=plural("cli.count.exchange", done.exchanges_removed),
            parties=plural("cli.count.party", done.parties_removed),
        )
    )
    return 0


def run_backup(args) -> int:
    path = ready_ledger(args)
    info = backup_ledger(path, args.out)
    print(
        t(
            "cli.backup.done",
            exchanges=number(info.exchanges),
            parties=number(info.parties),
            batches=number(info.batches),
            path=info.path,
        )
    )
    return 0


def run_restore(args) -> int:
    path, _ = cli.database_path(args)
    if path.exists():
        prepare_ledger(path)
    done = restore_ledger(path, args.file, force=args.force)
    info = done.info
    print(
        t(
            "cli.restore.done",
            exchanges=number(info.exchanges),
            parties=number(info.parties),
            batches=number(info.batches),
            file=args.file,
            created=info.created_at,
            path=path,
            before=number(done.exchanges_before),
        )
    )
    return 0


def run_export_ledger(args) -> int:
    path = ready_ledger(args)
    access.require(None, access.Action.DOWNLOAD, "ledger rows", db=access.access_path(path))
    written, rows = export_ledger(path, args.out)
    access.audit(
        None, access.Action.DOWNLOAD, "ledger rows", f"to {written}, {rows:,} exchanges", db=access.access_path(path)
    )
    print(t("cli.export_ledger.done", exchanges=plural("cli.count.exchange", rows), path=written))
    return 0


def run_template(args) -> int:
    written = write_template(args.out)
    print(t("cli.template.done", path=written))
    return 0
