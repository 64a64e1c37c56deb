"""Preparing and writing an import batch: ``prepare_import`` reads and checks a file against
the ledger without writing, ``refusal`` says what would stop it (a demo ledger, the same file
imported before), ``commit_import`` writes the valid rows as one batch inside
``ledger.write_transaction`` (all or nothing), ``import_file`` does both for a path and saves the
rejected rows next to the input.

Called by the ``import`` command (``analytics/commands/import_commands.py``), the Data page and
the import benchmark.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics import access, atomic, i18n
from analytics import ledger as ledger_module
from analytics.importer.columns import Progress, SourceTable
from analytics.importer.crosscheck import check_against_ledger, resolve_pairs_of
from analytics.importer.decode import read_table
from analytics.importer.errors import DemoLedgerError, DuplicateFileError, ImportFileError
from analytics.importer.problems import (
    WHOLE_ROW,
    CheckedRows,
    HasProblems,
    _empty_problems,
    _error_positions,
    _with_rows,
)
from analytics.importer.validate import check_rows
from analytics.ledger import LedgerError, connect_read_only, write_transaction
from analytics.spreadsheet import write_csv


@dataclass
class ImportResult(HasProblems):
    """What an import did (or, for a dry run or a refused import, would do)."""

    file_name: str
    sha256: str
    sheet: str | None
    rows_read: int
    rows_valid: int
    problems: pd.DataFrame  # row, column, value, reason, suggestion, severity; sorted by row
    notes: list[str]
    written: bool = False
    batch_id: int | None = None
    rows_written: int = 0
    new_parties: int = 0
    previous_batch: int | None = None  # an earlier, not undone batch of the same file
    previous_imported_at: dt.datetime | None = None
    is_demo_ledger: bool = False
    rejected_path: Path | None = None
    rejected_error: str | None = None  # why the rejected rows could not be saved
    # Positions (in the table as read) of the rows with errors.
    bad_positions: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64), repr=False, compare=False)

    @property
    def rows_rejected(self) -> int:
        """Rows with at least one error."""
        return self.rows_read - self.rows_valid

    @property
    def complete(self) -> bool:
        """Every row read was written (or, for a dry run, would be)."""
        return self.rows_rejected == 0 and self.rows_read > 0


@dataclass
class PreparedImport:
    """A file read and checked against the ledger as it was; ``commit_import`` writes it."""

    checked: CheckedRows
    result: ImportResult

    @property
    def table(self) -> SourceTable:
        """The file as read."""
        return self.checked.table

    def preview(self, rows: int = 20) -> pd.DataFrame:
        """The first rows as read, with their spreadsheet row numbers."""
        head = self.table.frame.head(rows).copy()
        head.insert(0, "row", self.table.rows[: len(head)])
        return head

    def rejected_rows(self) -> pd.DataFrame:
        """The rows with errors as read, with their row number and reasons (for a .rejected.csv)."""
        return rejected_frame(self.table, self.result.problems)


def rejected_frame(table: SourceTable, problems: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``table`` with at least one error, their row number first and a ``reason`` column last.

    A row that had more cells than the header keeps the extra ones, joined by the file's separator,
    in an ``extra_cells`` column before ``reason``: nothing the user typed is lost. The three added
    headers and the reasons are in the current language (the reasons were worded when the file
    was checked); the file's own columns keep their format names.
    """
    row, reason = i18n.t("importer.rejected.row"), i18n.t("importer.rejected.reason")
    errors = problems[problems["severity"] == "error"]
    extra = [i18n.t("importer.rejected.extra_cells")] if table.extra_cells else []
    if errors.empty:
        return pd.DataFrame(columns=[row, *table.frame.columns, *extra, reason])
    text = [
        message if column == WHOLE_ROW else i18n.t("importer.rejected.cell_reason", column=column, reason=message)
        for column, message in zip(errors["column"], errors["reason"], strict=True)
    ]
    reasons = pd.Series(text, index=errors.index).groupby(errors["row"]).agg(i18n.t("importer.rejected.join").join)
    position = pd.Series(np.arange(len(table.rows)), index=table.rows)
    positions = position.loc[reasons.index].to_numpy()
    picked = table.frame.iloc[positions].copy()
    picked.insert(0, row, reasons.index.to_numpy())
    if extra:
        picked[extra[0]] = [table.extra_cells.get(int(pos), "") for pos in positions]
    picked[reason] = reasons.to_numpy()
    return picked.reset_index(drop=True)


def _ledger_state(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[tuple[int, dt.datetime] | None, bool]:
    """(batch id and time of an earlier import of the same file that is not undone, is the ledger demo)."""
    previous = con.execute(
        "SELECT batch_id, imported_at FROM import_batches WHERE sha256 = ? AND undone_at IS NULL ORDER BY batch_id LIMIT 1",
        [sha256],
    ).fetchall()
    demo = con.execute("SELECT count(*) FROM meta WHERE key = 'is_demo' AND value = 'true'").fetchall()[0][0]
    return (previous[0] if previous else None), bool(demo)


def _result(
    checked: CheckedRows, ledger_problems: pd.DataFrame, previous: tuple[int, dt.datetime] | None, demo: bool
) -> ImportResult:
    table = checked.table
    found = [p for p in (checked.problems, ledger_problems) if len(p)]
    problems = pd.concat(found, ignore_index=True) if found else _empty_problems()
    bad = _error_positions(problems)
    return ImportResult(
        file_name=table.file_name,
        sha256=table.sha256,
        sheet=table.sheet,
        rows_read=table.rows_read,
        rows_valid=table.rows_read - len(bad),
        problems=_with_rows(problems, table.rows),
        notes=list(table.notes),
        previous_batch=previous[0] if previous else None,
        previous_imported_at=previous[1] if previous else None,
        is_demo_ledger=demo,
        bad_positions=bad,
    )


def prepare_import(
    data: bytes,
    file_name: str,
    ledger: Path | str,
    *,
    sheet: str | None = None,
    earliest_year: int | None = None,
    progress: Progress | None = None,
    check_write: bool = False,
) -> PreparedImport:
    """Read and check a file against the ledger (read-only); nothing is written.

    A missing ledger counts as an empty one. Raises ImportFileError when the file cannot be read.
    With ``check_write`` (an import that means to write) the ledger's folder is checked first
    (``ledger.check_writable``): a LedgerWriteError comes before the file is read or checked.
    """
    if check_write:
        ledger_module.check_writable(ledger, extra_bytes=len(data))
    report = progress or (lambda message, fraction: None)
    report(i18n.t("importer.progress.reading"), 0.0)
    table = read_table(data, file_name, sheet=sheet)
    report(i18n.t("importer.progress.checking", rows=i18n.number(table.rows_read)), 0.3)
    checked = check_rows(table, earliest_year=earliest_year)
    previous, demo, ledger_problems = None, False, _empty_problems()
    if Path(ledger).exists():
        report(i18n.t("importer.progress.comparing"), 0.5)
        con = connect_read_only(ledger)
        try:
            previous, demo = _ledger_state(con, table.sha256)
            ledger_problems = check_against_ledger(checked, con)
        except duckdb.Error as error:
            raise LedgerError(i18n.t("importer.error.compare", file=file_name, ledger=ledger, error=error)) from error
        finally:
            con.close()
    report(i18n.t("importer.progress.checked"), 0.6)
    return PreparedImport(checked=checked, result=_result(checked, ledger_problems, previous, demo))


def force_note() -> str:
    """What --force does and does not do, said wherever it is offered (in the current language)."""
    return i18n.t("importer.force_note")


# The same in English, for the command line's help text (which stays English).
FORCE_NOTE = i18n.t_in("en", "importer.force_note")


def _refusal(
    ledger: Path, file_name: str, previous: tuple[int, dt.datetime | None] | None, demo: bool, force: bool
) -> LedgerError | None:
    if demo:
        return DemoLedgerError(i18n.t("importer.error.demo_ledger", ledger=ledger))
    if previous is not None and not force:
        return DuplicateFileError(
            i18n.t(
                "importer.error.imported_before",
                file=file_name,
                batch=previous[0],
                at=f"{previous[1]:%Y-%m-%d %H:%M}",
                note=force_note(),
            )
        )
    return None


def writes_nothing(result: ImportResult, *, skip_invalid: bool = False) -> bool:
    """Whether ``commit_import`` would return without writing for these rows: no valid row, or
    rows with errors while ``skip_invalid`` is off."""
    return not result.rows_valid or bool(result.rows_rejected and not skip_invalid)


def refusal(result: ImportResult, ledger: Path | str, *, force: bool = False) -> LedgerError | None:
    """The error ``commit_import`` would raise before writing (a demo ledger, or the same file
    already imported without ``force``), or None: what a dry run reports."""
    previous = (result.previous_batch, result.previous_imported_at) if result.previous_batch is not None else None
    return _refusal(Path(ledger), result.file_name, previous, result.is_demo_ledger, force)


def _refuse(
    ledger: Path, file_name: str, previous: tuple[int, dt.datetime | None] | None, demo: bool, force: bool
) -> None:
    error = _refusal(ledger, file_name, previous, demo, force)
    if error is not None:
        raise error


class _Refused(Exception):
    def __init__(self, result: ImportResult):
        self.result = result


def _write_batch(
    con: duckdb.DuckDBPyConnection, checked: CheckedRows, result: ImportResult, user: str
) -> tuple[int, int, int]:
    clean = checked.clean
    bad = result.bad_positions
    good = clean.drop(index=bad) if len(bad) else clean
    batch_id = ledger_module.next_batch_id(con)
    first_exchange = ledger_module.next_ids(con, "exchanges", len(good)) - 1
    # Each row's party, found once per distinct name and country (the same resolution as the
    # checks): the ledger's party, or a new one per match key and country of the file.
    resolution = resolve_pairs_of(clean, con)
    good_positions = good["pos"].to_numpy(dtype=np.int64)
    party_ids = resolution.party_ids()[good_positions]
    new_parties, parties = 0, None
    new = np.isnan(party_ids)
    if new.any():
        distinct = resolution.distinct
        fresh = distinct["party_id"].isna().to_numpy()
        # One group per match key and country among the pairs the ledger does not hold.
        groups = np.full(len(distinct), -1, dtype=np.int64)
        groups[fresh] = distinct[fresh].groupby(["key", "country_iso3"], sort=False, dropna=False).ngroup().to_numpy()
        row_groups = groups[resolution.codes[good_positions[new]]]
        # Numbered in file order of the rows written.
        numbers, used = pd.factorize(row_groups)
        new_parties = len(used)
        first_party = ledger_module.next_ids(con, "parties", new_parties)
        party_ids[new] = first_party + numbers
        new_rows = good_positions[new]
        first = np.flatnonzero(~pd.Index(numbers).duplicated())  # numbers count up in file order
        named = np.flatnonzero(good["party_zh"].iloc[np.flatnonzero(new)].notna().to_numpy())
        zh_first = np.flatnonzero(~pd.Index(numbers[named]).duplicated())
        zh_numbers = numbers[named][zh_first]
        first_pairs = resolution.codes[new_rows[first]]
        parties = pd.DataFrame(
            {
                "party_id": first_party + np.arange(new_parties, dtype=np.int64),
                "name": distinct["ledger_name"].to_numpy(dtype=object)[first_pairs],
                "country_iso3": clean["country_iso3"].iloc[new_rows[first]].to_numpy(dtype=object),
                "family": clean["party_family"].iloc[new_rows[first]].to_numpy(dtype=object),
            }
        )
        name_zh = np.full(new_parties, None, dtype=object)
        name_zh[zh_numbers] = clean["party_zh"].iloc[new_rows[named[zh_first]]].to_numpy(dtype=object)
        parties["name_zh"] = name_zh
    rows = good[
        [
            "pos",
            "date",
            "date_precision",
            "party_status",
            "form",
            "direction",
            "level",
            "event_id",
            "delegation_size",
            "topic",
            "source",
        ]
    ]
    # Ids in file order, assigned here: numbering a million rows in SQL costs a sort.
    rows = rows.assign(
        exchange_id=np.arange(first_exchange + 1, first_exchange + len(rows) + 1, dtype=np.int64),
        party_id=party_ids.astype(np.int64),
    )
    con.execute("SET enable_progress_bar = false")
    if parties is not None:
        con.register("import_parties", parties)
        try:
            # A party already in the ledger keeps its name and its Chinese name (or its lack of
            # one): an import matches parties, it does not rename them.
            con.execute(
                """INSERT INTO parties (party_id, name, name_zh, country_iso3, family, batch_id)
                   SELECT party_id, name, name_zh, country_iso3, family, ? FROM import_parties""",
                [batch_id],
            )
        finally:
            con.unregister("import_parties")
    con.register("import_rows", rows)
    try:
        con.execute(
            """INSERT INTO exchanges (exchange_id, date, date_precision, party_id, party_status, form, direction,
                                      level, event_id, delegation_size, topic, source, batch_id)
               SELECT r.exchange_id, CAST(r.date AS DATE), r.date_precision, r.party_id, r.party_status, r.form,
                      r.direction, r.level, r.event_id, r.delegation_size, r.topic, r.source, ?
               FROM import_rows r""",
            [batch_id],
        )
    finally:
        con.unregister("import_rows")
    ledger_module.mark_for_recount(con, "batch_id = ?", [batch_id])
    written = con.execute("SELECT count(*) FROM exchanges WHERE batch_id = ?", [batch_id]).fetchall()[0][0]
    if written != len(rows):
        raise LedgerError(i18n.t("importer.error.unmatched", written=i18n.number(written), rows=i18n.number(len(rows))))
    con.execute(
        """INSERT INTO import_batches (batch_id, file_name, sha256, sheet, rows_read, rows_written, rows_rejected,
                                       imported_at, imported_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            batch_id,
            result.file_name,
            result.sha256,
            result.sheet,
            result.rows_read,
            written,
            result.rows_read - written,
            dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
            user,
        ],
    )
    return batch_id, written, new_parties


def commit_import(
    prepared: PreparedImport,
    ledger: Path | str,
    *,
    skip_invalid: bool = False,
    force: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    actor: access.Actor | None = None,
) -> ImportResult:
    """Write a prepared import as one batch, all or nothing.

    The guarded action ``import`` of ``actor`` (None: the local operator), audited in the access
    database beside the ledger; the batch records the actor's name (or ``user`` when given).

    The checks that depend on the ledger run again inside the write transaction (another import
    may have run since ``prepare_import``). With any error and no ``skip_invalid`` nothing is
    written and the result lists the problems. Raises DemoLedgerError on a demo ledger and
    DuplicateFileError when the same file is already in the ledger, unless ``force``. ``force``
    lifts only that refusal: rows already in the ledger stay errors (no double counting), so a
    forced import writes the rest only with ``skip_invalid``.
    """
    ledger = Path(ledger)
    details = ", ".join(word for word, on in (("skip invalid rows", skip_invalid), ("forced", force)) if on)
    with access.guard(
        actor, access.Action.IMPORT, prepared.checked.table.file_name, details, db=access.access_path(ledger)
    ) as entry:
        done = _commit(
            prepared, ledger, skip_invalid=skip_invalid, force=force, user=user, progress=progress, actor=actor
        )
        entry.details = ", ".join(
            part
            for part in (
                f"batch {done.batch_id}: {done.rows_written:,} rows written, {done.rows_rejected:,} rejected"
                if done.written
                else f"nothing written: {done.rows_rejected:,} rows with errors",
                details,
            )
            if part
        )
    return done


def _commit(
    prepared: PreparedImport,
    ledger: Path,
    *,
    skip_invalid: bool,
    force: bool,
    user: str | None,
    progress: Progress | None,
    actor: access.Actor | None,
) -> ImportResult:
    report = progress or (lambda message, fraction: None)
    checked = prepared.checked
    if user is None:
        user = actor.name if actor is not None else access.local_operator().name
    result = prepared.result
    previous = (result.previous_batch, result.previous_imported_at) if result.previous_batch is not None else None
    _refuse(ledger, checked.table.file_name, previous, result.is_demo_ledger, force)
    if writes_nothing(result, skip_invalid=skip_invalid):
        return result
    # The pre-flight again (the Data page prepared the file earlier), sized by the rows to write.
    ledger_module.check_writable(ledger, extra_bytes=int(checked.clean.memory_usage(deep=False).sum()))
    if not ledger.exists():
        ledger_module.create_ledger(ledger, demo=False)
    report(i18n.t("importer.progress.copying"), 0.65)
    try:
        with write_transaction(ledger) as con:
            previous, demo = _ledger_state(con, checked.table.sha256)
            _refuse(ledger, checked.table.file_name, previous, demo, force)
            report(i18n.t("importer.progress.checking_ledger"), 0.7)
            fresh = _result(checked, check_against_ledger(checked, con), previous, demo)
            if writes_nothing(fresh, skip_invalid=skip_invalid):
                raise _Refused(fresh)
            report(i18n.t("importer.progress.writing", rows=i18n.number(fresh.rows_valid)), 0.75)
            batch_id, written, new_parties = _write_batch(con, checked, fresh, user)
            report(i18n.t("importer.progress.saving"), 0.9)
    except _Refused as refused:
        return refused.result
    report(i18n.t("importer.progress.done"), 1.0)
    return replace(fresh, written=True, batch_id=batch_id, rows_written=written, new_parties=new_parties)


def import_file(
    path: Path | str,
    ledger: Path | str,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    force: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    actor: access.Actor | None = None,
) -> ImportResult:
    """Import one file into the ledger (what ``python -m analytics import`` runs).

    Unless ``dry_run``, the guarded action ``import`` of ``actor`` (None: the local operator),
    refused before the file is read.

    With ``skip_invalid`` the rows with errors are saved, with a ``reason`` column, to
    ``<file>.rejected.csv`` next to the input (also when no row was valid). When that file cannot
    be written the result says why in ``rejected_error``; the batch stays written. ``dry_run``
    only checks.
    """
    path = Path(path)
    if not dry_run:
        access.require(actor, access.Action.IMPORT, path.name, db=access.access_path(ledger))
        # The pre-flight, before the file is even read: a check whose result cannot be written
        # is not worth waiting for.
        try:
            size = path.stat().st_size
        except OSError:  # a missing file is said below
            size = 0
        ledger_module.check_writable(ledger, extra_bytes=size)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(i18n.t("importer.file.no_file", path=path)) from None
    except IsADirectoryError:
        raise ImportFileError(i18n.t("importer.file.folder", path=path)) from None
    prepared = prepare_import(data, path.name, ledger, sheet=sheet, progress=progress)
    if dry_run:
        return prepared.result
    result = commit_import(
        prepared, ledger, skip_invalid=skip_invalid, force=force, user=user, progress=progress, actor=actor
    )
    if skip_invalid and result.rows_rejected:
        target = path.with_name(path.name + ".rejected.csv")
        try:
            write_rejected(prepared.table, result.problems, target)
        except OSError as error:
            done = (
                i18n.t(
                    "importer.error.rejected_batch_kept", batch=result.batch_id, rows=i18n.number(result.rows_written)
                )
                if result.written
                else i18n.t("importer.error.rejected_nothing_written")
            )
            result = replace(
                result,
                rejected_error=i18n.t(
                    "importer.error.rejected_not_saved", target=target, error=error.strerror or error, done=done
                ),
            )
        else:
            result = replace(result, rejected_path=target)
    return result


def write_rejected(table: SourceTable, problems: pd.DataFrame, target: Path | str) -> Path:
    """Write the rows with errors and their reasons to ``target`` (CSV, UTF-8 with BOM, formulas
    neutralised), through a temporary file renamed into place. Raises OSError."""
    target = Path(target)
    with atomic.replacing(target) as temp:
        write_csv(rejected_frame(table, problems), temp)
    return target
