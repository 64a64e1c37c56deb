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

from analytics import access, i18n
from analytics.importer.errors import BatchError
from analytics.ledger import check_writable, write_transaction


def batch_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every import batch, newest first."""
    return con.execute(
        """SELECT batch_id, imported_at, imported_by, file_name, sheet, rows_read, rows_written, rows_rejected,
                  undone_at, sha256
           FROM import_batches ORDER BY batch_id DESC"""
    ).fetchdf()


@dataclass(frozen=True)
class UndoResult:
    """What ``undo_batch`` removed."""

    batch_id: int
    file_name: str
    exchanges_removed: int
    parties_removed: int


def restart_transaction(con: duckdb.DuckDBPyConnection) -> None:
    """Commit and begin again inside ``write_transaction``.

    DuckDB refuses to delete a parent row (a party) in the transaction that deleted its children
    (the exchanges). ``write_transaction`` works on a private copy that replaces the ledger only
    when the whole block succeeds, so committing half-way on the copy stays all or nothing.
    """
    con.execute("COMMIT")
    con.execute("BEGIN TRANSACTION")


def undo_batch(ledger: Path | str, batch_id: int, *, actor: access.Actor | None = None) -> UndoResult:
    """Remove exactly the exchanges of one batch, and the parties it created that no longer have
    an exchange; the batch stays in the history with its ``undone_at`` time. The guarded action
    ``undo`` of ``actor`` (None: the local operator), audited beside the ledger."""
    with access.guard(actor, access.Action.UNDO, f"batch {batch_id}", db=access.access_path(ledger)) as entry:
        check_writable(ledger)  # the pre-flight: a read-only or full folder is said before the copy
        done = _undo(ledger, batch_id)
        entry.details = (
            f"{done.file_name}: {done.exchanges_removed:,} exchanges and {done.parties_removed:,} parties removed"
        )
    return done


def _undo(ledger: Path | str, batch_id: int) -> UndoResult:
    with write_transaction(ledger) as con:
        found = next(
            iter(
                con.execute("SELECT file_name, undone_at FROM import_batches WHERE batch_id = ?", [batch_id]).fetchall()
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
        if found[1] is not None:
            raise BatchError(
                i18n.t("importer.error.already_undone", batch=batch_id, file=found[0], at=f"{found[1]:%Y-%m-%d %H:%M}")
            )
        exchanges = con.execute("SELECT count(*) FROM exchanges WHERE batch_id = ?", [batch_id]).fetchall()[0][0]
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
        con.execute(
            "UPDATE import_batches SET undone_at = ? WHERE batch_id = ?",
            [dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0), batch_id],
        )
    return UndoResult(batch_id=batch_id, file_name=found[0], exchanges_removed=exchanges, parties_removed=parties)
