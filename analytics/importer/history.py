"""The import history and undo: ``batch_history`` lists the batches, ``undo_batch`` removes
exactly one batch's exchanges (and the parties it created that are left with none) and keeps
the batch in the history with its undo time.

Called by the ``history`` and ``undo`` commands and the Data page; ``restart_transaction`` is
shared with ``analytics.backup``'s restore.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from analytics import access, changes, i18n
from analytics.importer.errors import BatchError
from analytics.ledger import check_writable, connect_read_only, mark_for_recount, write_transaction


def batch_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every batch, newest first: imports (``kind`` import, with their file) and changes made by
    hand (with their ``summary``, see ``changes.describe``)."""
    return con.execute(
        """SELECT batch_id, imported_at, imported_by, kind, file_name, summary, sheet, rows_read, rows_written,
                  rows_rejected, undone_at, sha256
           FROM import_batches ORDER BY batch_id DESC"""
    ).fetchdf()


@dataclass(frozen=True)
class UndoResult:
    """What ``undo_batch`` removed (an import) or put back (a change made by hand)."""

    batch_id: int
    file_name: str | None
    exchanges_removed: int
    parties_removed: int
    kind: str = "import"
    summary: str | None = None  # a change's stored summary (changes.describe words it)
    rows_restored: int = 0  # a change's rows set back (exchanges, parties and aliases)


def restart_transaction(con: duckdb.DuckDBPyConnection) -> None:
    """Commit and begin again inside ``write_transaction``.

    DuckDB refuses to delete a parent row (a party) in the transaction that deleted its children
    (the exchanges). ``write_transaction`` works on a private copy that replaces the ledger only
    when the whole block succeeds, so committing half-way on the copy stays all or nothing.
    """
    con.execute("COMMIT")
    con.execute("BEGIN TRANSACTION")


def undo_batch(ledger: Path | str, batch_id: int, *, actor: access.Actor | None = None) -> UndoResult:
    """Undo one batch exactly. An import: remove its exchanges and the parties it created that
    no longer have an exchange (the guarded action ``undo``, for admins). A change made by hand:
    play its before values back (the action ``edit``, for analysts, audited as ``undo``). The
    batch stays in the history with its ``undone_at`` time. Refused while a later batch that is
    not undone changed the same rows (undo that one first)."""
    kind = _kind(ledger, batch_id)
    action = access.Action.UNDO if kind in (None, "import") else access.Action.EDIT
    with access.guard(actor, action, f"batch {batch_id}", db=access.access_path(ledger), word="undo") as entry:
        check_writable(ledger)  # the pre-flight: a read-only or full folder is said before the copy
        done = _undo(ledger, batch_id)
        if done.kind == "import":
            entry.details = (
                f"{done.file_name}: {done.exchanges_removed:,} exchanges and {done.parties_removed:,} parties removed"
            )
        else:
            entry.details = f"{done.kind}: {changes.describe(done.summary, 'en')}; {done.rows_restored:,} rows set back"
    return done


def _kind(ledger: Path | str, batch_id: int) -> str | None:
    """The kind of a batch, read before the write (the role it needs depends on it); None when unknown."""
    if not Path(ledger).exists():
        return None
    con = connect_read_only(ledger)
    try:
        found = con.execute("SELECT kind FROM import_batches WHERE batch_id = ?", [batch_id]).fetchall()
    finally:
        con.close()
    return str(found[0][0]) if found else None


def _undo(ledger: Path | str, batch_id: int) -> UndoResult:
    with write_transaction(ledger) as con:
        found = next(
            iter(
                con.execute(
                    "SELECT file_name, undone_at, kind, summary FROM import_batches WHERE batch_id = ?", [batch_id]
                ).fetchall()
            ),
            None,
        )
        if found is None:
            known = [
                str(row[0]) for row in con.execute("SELECT batch_id FROM import_batches ORDER BY batch_id").fetchall()
            ]
            raise BatchError(
                i18n.t("importer.error.no_batch", batch=batch_id, known=", ".join(known) or i18n.t("importer.none_yet"))
            )
        file_name, undone_at, kind, summary = found
        if undone_at is not None:
            what = file_name if kind == "import" else changes.describe(summary)
            raise BatchError(
                i18n.t("importer.error.already_undone", batch=batch_id, file=what, at=f"{undone_at:%Y-%m-%d %H:%M}")
            )
        if kind != "import":
            restored = changes.undo_changes(con, batch_id)
            _mark_undone(con, batch_id)
            return UndoResult(
                batch_id=batch_id,
                file_name=None,
                exchanges_removed=0,
                parties_removed=0,
                kind=kind,
                summary=summary,
                rows_restored=restored.exchanges + restored.parties + restored.aliases,
            )
        conflict = changes.import_undo_conflict(con, batch_id)
        if conflict is not None:
            raise conflict
        exchanges = con.execute("SELECT count(*) FROM exchanges WHERE batch_id = ?", [batch_id]).fetchall()[0][0]
        mark_for_recount(con, "batch_id = ?", [batch_id])
        con.execute("DELETE FROM exchanges WHERE batch_id = ?", [batch_id])
        restart_transaction(con)
        parties = con.execute(
            """SELECT count(*) FROM parties p WHERE p.batch_id = ?
               AND NOT EXISTS (SELECT 1 FROM exchanges e WHERE e.party_id = p.party_id)""",
            [batch_id],
        ).fetchall()[0][0]
        con.execute(
            """DELETE FROM parties p WHERE p.batch_id = ?
               AND NOT EXISTS (SELECT 1 FROM exchanges e WHERE e.party_id = p.party_id)""",
            [batch_id],
        )
        _mark_undone(con, batch_id)
    return UndoResult(batch_id=batch_id, file_name=file_name, exchanges_removed=exchanges, parties_removed=parties)


def _mark_undone(con: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    con.execute(
        "UPDATE import_batches SET undone_at = ? WHERE batch_id = ?",
        [dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0), batch_id],
    )
