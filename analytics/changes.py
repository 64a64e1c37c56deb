"""Change batches: every change made by hand (a record added, corrected or deleted, a bulk edit,
a party renamed, merged or reclassified) is one batch, like an import, with the before and after
of every row it touched in the ``changes`` table; ``undo_changes`` plays them back exactly.

``ChangeLog`` is the only way ``analytics.records`` and ``analytics.parties`` write rows: it
inserts, updates and deletes rows of ``exchanges``, ``parties`` and ``party_aliases`` inside a
``ledger.write_transaction`` and logs each one (an insert has no before, a delete no after, an
update only the fields it changed). Undo checks first that every row is still as the batch left
it; a row changed again since by a batch that is not undone is refused by name, so an undo never
overwrites later work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from analytics import access, i18n, ledger
from analytics.errors import InvalidInputError

# The rows a change may touch, by table: the log's object word, the key columns, every column.
TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "exchanges": (
        "exchange",
        ("exchange_id",),
        (
            "exchange_id",
            "date",
            "date_precision",
            "party_id",
            "party_status",
            "form",
            "direction",
            "level",
            "event_id",
            "delegation_size",
            "topic",
            "source",
            "batch_id",
        ),
    ),
    "parties": ("party", ("party_id",), ("party_id", "name", "name_zh", "country_iso3", "family", "batch_id")),
    "party_aliases": (
        "alias",
        ("alias_key", "country_iso3", "party_id"),
        (
            "alias",
            "alias_key",
            "country_iso3",
            "party_id",
            "reason",
            "first_date",
            "last_date",
            "recorded_at",
            "batch_id",
        ),
    ),
}
_TABLE_OF = {word: table for table, (word, _, _) in TABLES.items()}


class ChangeError(InvalidInputError):
    """A change or an undo that cannot be made as asked; nothing was written."""


class UndoConflictError(ChangeError):
    """An undo refused because a later batch changed the same rows."""


def plain(value: object) -> object:
    """A cell as JSON can hold it (dates and times as ISO text)."""
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()  # a numpy scalar
    return value


def _text(values: Mapping[str, object] | None) -> str | None:
    return None if values is None else json.dumps({k: plain(v) for k, v in values.items()}, ensure_ascii=False)


def _key_text(table: str, row: Mapping[str, object]) -> str:
    keys = TABLES[table][1]
    return "|".join("" if row.get(k) is None else str(plain(row[k])) for k in keys)


def _where(table: str) -> str:
    # Column names come from TABLES above, never from a caller's text.
    return " AND ".join(f"{column} IS NOT DISTINCT FROM ?" for column in TABLES[table][1])


def read_row(con: duckdb.DuckDBPyConnection, table: str, key: Mapping[str, object]) -> dict[str, object] | None:
    """The row of ``table`` with ``key`` (its key columns), as plain values, or None."""
    columns = TABLES[table][2]
    found = con.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {_where(table)}",
        [plain(key[k]) for k in TABLES[table][1]],
    ).fetchall()
    return {c: plain(v) for c, v in zip(columns, found[0], strict=True)} if found else None


@dataclass
class ChangeLog:
    """The open change batch of one write transaction (``open_batch`` starts it, ``close`` ends it)."""

    con: duckdb.DuckDBPyConnection
    batch_id: int
    kind: str
    user: str
    _seq: int = 0
    touched: list[tuple[str, str]] = field(default_factory=list)

    def _log(self, table: str, key: str, origin: object, before: str | None, after: str | None) -> None:
        self._seq += 1
        self.con.execute(
            "INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?)",
            [self.batch_id, self._seq, TABLES[table][0], key, plain(origin), before, after],
        )
        self.touched.append((TABLES[table][0], key))

    def insert(self, table: str, row: Mapping[str, object], *, origin: object = None) -> None:
        """Insert one row (every column of the table given) and log it."""
        insert_row(self.con, table, row)
        self._log(table, _key_text(table, row), origin if origin is not None else row.get("batch_id"), None, _text(row))

    def delete(self, table: str, key: Mapping[str, object], *, origin: object = None) -> dict[str, object]:
        """Delete one row and log it whole; returns it. ChangeError when there is no such row."""
        row = read_row(self.con, table, key)
        if row is None:
            raise ChangeError(i18n.t("error.change.no_row", object=TABLES[table][0], key=_key_text(table, key)))
        if table in ledger.ID_HIGH_WATER:
            # The id stays issued even where the rows were written without next_ids (a ledger
            # older than schema 4, the demo), so undoing this delete gets it back, unreused.
            column = TABLES[table][1][0]
            issued = max(ledger.issued_id(self.con, table), int(str(row[column])))
            ledger.set_meta(self.con, **{ledger.ID_HIGH_WATER[table]: issued})
        if table == "exchanges":
            recount(self.con, [row["exchange_id"]])
        self.con.execute(f"DELETE FROM {table} WHERE {_where(table)}", [row[k] for k in TABLES[table][1]])
        self._log(table, _key_text(table, row), origin if origin is not None else row.get("batch_id"), _text(row), None)
        return row

    def update(self, table: str, key: Mapping[str, object], values: Mapping[str, object]) -> dict[str, object]:
        """Set ``values`` on one row and log the fields that change; returns the row as it was."""
        unknown = set(values) - set(TABLES[table][2])
        if unknown:  # a programming error: the columns come from the callers in this package
            raise ValueError(f"not columns of {table}: {', '.join(sorted(unknown))}")
        row = read_row(self.con, table, key)
        if row is None:
            raise ChangeError(i18n.t("error.change.no_row", object=TABLES[table][0], key=_key_text(table, key)))
        changed = {c: plain(v) for c, v in values.items() if plain(v) != row[c]}
        if changed:
            moved = [row["exchange_id"]] if table == "exchanges" else []
            recount(self.con, moved)
            self.con.execute(
                f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in changed)} WHERE {_where(table)}",
                [*changed.values(), *(row[k] for k in TABLES[table][1])],
            )
            recount(self.con, moved)
            before = {c: row[c] for c in changed}
            self._log(table, _key_text(table, row), row.get("batch_id"), _text(before), _text(changed))
        return row

    def update_exchanges(self, exchange_ids: Sequence[int], values: Mapping[str, object]) -> int:
        """Set ``values`` on many exchanges at once (a bulk edit, a merge) and log each row whose
        fields change; returns how many changed. One statement whatever the count."""
        unknown = set(values) - set(TABLES["exchanges"][2])
        if unknown:  # a programming error: the columns come from the callers in this package
            raise ValueError(f"not columns of exchanges: {', '.join(sorted(unknown))}")
        if not exchange_ids:
            return 0
        columns = list(values)
        current = self.con.execute(
            f"SELECT exchange_id, batch_id, {', '.join(columns)} FROM exchanges WHERE exchange_id IN (SELECT unnest(?))",
            [list(exchange_ids)],
        ).fetchdf()
        wanted = {c: plain(v) for c, v in values.items()}
        log = []
        for row in current.itertuples(index=False):
            before = {c: plain(getattr(row, c)) for c in columns}
            changed = {c: wanted[c] for c in columns if before[c] != wanted[c]}
            if changed:
                log.append((int(row.exchange_id), plain(row.batch_id), {c: before[c] for c in changed}, changed))
        if not log:
            return 0
        ids = [entry[0] for entry in log]
        recount(self.con, ids)
        for column in columns:
            # Rows already holding the value are left alone (and are not logged).
            self.con.execute(
                f"UPDATE exchanges SET {column} = ? WHERE exchange_id IN (SELECT unnest(?)) "
                f"AND {column} IS DISTINCT FROM ?",
                [wanted[column], ids, wanted[column]],
            )
        recount(self.con, ids)
        frame = pd.DataFrame(
            {
                "batch_id": self.batch_id,
                "seq": range(self._seq + 1, self._seq + 1 + len(log)),
                "object": "exchange",
                "object_key": [str(entry[0]) for entry in log],
                "origin_batch": pd.array([entry[1] for entry in log], dtype="Int64"),
                "before": [_text(entry[2]) for entry in log],
                "after": [_text(entry[3]) for entry in log],
            }
        )
        self.con.register("logged_changes", frame)
        try:
            self.con.execute("INSERT INTO changes SELECT * FROM logged_changes")
        finally:
            self.con.unregister("logged_changes")
        self._seq += len(log)
        self.touched.extend(("exchange", str(entry[0])) for entry in log)
        return len(log)

    def close(self, summary: Mapping[str, object], rows: int) -> None:
        """Record the batch (who, when, what) in ``import_batches`` beside the imports."""
        if not self._seq:
            raise ChangeError(i18n.t("error.change.nothing"))
        self.con.execute(
            """INSERT INTO import_batches (batch_id, file_name, sha256, sheet, rows_read, rows_written, rows_rejected,
                                           imported_at, imported_by, kind, summary)
               VALUES (?, NULL, NULL, NULL, ?, ?, 0, ?, ?, ?, ?)""",
            [self.batch_id, rows, rows, now(), self.user, self.kind, json.dumps(summary, ensure_ascii=False)],
        )


def describe(summary: Mapping | str | None, lang: str | None = None) -> str:
    """A change batch's stored summary (JSON of its catalogue key and fields) in ``lang`` (else
    the current language); '' for an import, which has none."""
    if not summary:
        return ""
    found = json.loads(summary) if isinstance(summary, str) else summary
    fields = found.get("fields", {})
    return i18n.t_in(lang, found["key"], **fields) if lang else i18n.t(found["key"], **fields)


def positive_id(value: object, error_key: str, error: type[ChangeError] = ChangeError) -> int:
    """A row id given as text or a number (a whole number above 0); ``error`` saying
    ``error_key`` else."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise error(i18n.t(error_key, value=str(value)[:40]))
    return number


def now() -> dt.datetime:
    """The time a batch records (UTC, to the second, without zone as the ledger stores it)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def open_batch(con: duckdb.DuckDBPyConnection, kind: str, user: str) -> ChangeLog:
    """Start a change batch of ``kind`` (one of ``ledger.BATCH_KINDS`` but import) inside a write transaction."""
    if kind not in ledger.BATCH_KINDS or kind == "import":
        raise ChangeError(i18n.t("error.change.kind", kind=kind))
    return ChangeLog(con=con, batch_id=ledger.next_batch_id(con), kind=kind, user=user)


def _later_change(con: duckdb.DuckDBPyConnection, batch_id: int, object_word: str, key: str) -> tuple | None:
    """The newest batch after ``batch_id``, not undone, that changed the same row: (id, kind)."""
    found = con.execute(
        """SELECT b.batch_id, b.kind FROM changes c JOIN import_batches b USING (batch_id)
           WHERE c.object = ? AND c.object_key = ? AND c.batch_id > ? AND b.undone_at IS NULL
           ORDER BY b.batch_id DESC LIMIT 1""",
        [object_word, key, batch_id],
    ).fetchall()
    return tuple(found[0]) if found else None


def _conflict(con: duckdb.DuckDBPyConnection, batch_id: int, object_word: str, key: str) -> UndoConflictError:
    later = _later_change(con, batch_id, object_word, key)
    if later is None:
        return UndoConflictError(i18n.t("error.undo.row_moved", batch=batch_id, object=object_word, key=key))
    return UndoConflictError(
        i18n.t(
            "error.undo.changed_since",
            batch=batch_id,
            object=object_word,
            key=key,
            later=later[0],
            kind=i18n.t(f"core.batch_kind.{later[1]}"),
        )
    )


def _matches(current: Mapping[str, object] | None, expected: Mapping[str, object]) -> bool:
    return current is not None and all(current.get(c) == v for c, v in expected.items())


@dataclass(frozen=True)
class UndoneChanges:
    """What ``undo_changes`` put back: rows per object word."""

    exchanges: int
    parties: int
    aliases: int


def undo_changes(con: duckdb.DuckDBPyConnection, batch_id: int) -> UndoneChanges:
    """Play the changes of one change batch back, newest first, inside a write transaction.

    Every row must still be as the batch left it, a party it brings back must find its name
    free, and no exchange it brings back may be the same exchange as another: else
    UndoConflictError says which row and, where one did, the later batch, and the caller's
    transaction (so nothing) is kept. A party the batch created that has exchanges of a later
    batch is kept, as an import's undo keeps it.
    """
    logged = con.execute(
        "SELECT seq, object, object_key, before, after FROM changes WHERE batch_id = ? ORDER BY seq DESC",
        [batch_id],
    ).fetchall()
    plan = []
    for _seq, word, key, before_text, after_text in logged:
        table = _TABLE_OF[word]
        before = json.loads(before_text) if before_text else None
        after = json.loads(after_text) if after_text else None
        # Column names are only ever those of the table: the log is data, never SQL.
        if not set(before or {}) | set(after or {}) <= set(TABLES[table][2]):
            raise ChangeError(i18n.t("error.undo.damaged_log", batch=batch_id, object=word, key=key))
        row_key = dict(zip(TABLES[table][1], _split_key(table, key, before, after), strict=True))
        current = read_row(con, table, row_key)
        if after is None:
            if current is not None:
                raise _conflict(con, batch_id, word, key)
        elif not _matches(current, after):
            raise _conflict(con, batch_id, word, key)
        if table == "parties" and before is not None and "name" in before:
            _refuse_taken_name(con, batch_id, row_key, {**(current or {}), **before})
        plan.append((table, row_key, before, after))
    counts = {"exchanges": 0, "parties": 0, "party_aliases": 0}
    # Exchanges set back first, many alike in one statement per distinct before/after (a bulk
    # edit, a merge): a party the batch created is then seen without them, and removed.
    updates: dict[tuple[str, str], list[int]] = {}
    for table, row_key, before, after in plan:
        if table == "exchanges" and before is not None and after is not None:
            updates.setdefault((_text(before) or "", _text(after) or ""), []).append(int(str(row_key["exchange_id"])))
    returning = [ids for ids in updates.values()]
    returning.append([int(str(k["exchange_id"])) for t, k, b, a in plan if t == "exchanges" and a is None])
    back = [exchange for ids in returning for exchange in ids]
    twins = twin_pairs(con, back)
    for (before_text, _after_text), ids in updates.items():
        before = json.loads(before_text)
        recount(con, ids)
        con.execute(
            f"UPDATE exchanges SET {', '.join(f'{c} = ?' for c in before)} WHERE exchange_id IN (SELECT unnest(?))",
            [*before.values(), ids],
        )
        recount(con, ids)
        counts["exchanges"] += len(ids)
    for table, row_key, before, after in plan:
        if table == "exchanges" and before is not None and after is not None:
            continue
        if _play_back(con, table, row_key, before, after):
            counts[table] += 1
    made = sorted(twin_pairs(con, back) - twins)
    if made:
        raise UndoConflictError(i18n.t("error.undo.would_double", batch=batch_id, first=made[0][0], second=made[0][1]))
    return UndoneChanges(exchanges=counts["exchanges"], parties=counts["parties"], aliases=counts["party_aliases"])


def _refuse_taken_name(
    con: duckdb.DuckDBPyConnection, batch_id: int, row_key: Mapping[str, object], party: Mapping[str, object]
) -> None:
    """UndoConflictError when the name a party gets back is another party's now (in its country)."""
    other = con.execute(
        """SELECT party_id, batch_id FROM parties
           WHERE name = ? AND coalesce(country_iso3, '') = coalesce(?, '') AND party_id <> ?""",
        [party.get("name"), party.get("country_iso3"), row_key["party_id"]],
    ).fetchall()
    if other:
        raise UndoConflictError(
            i18n.t(
                "error.undo.name_taken",
                batch=batch_id,
                name=party.get("name"),
                party=row_key["party_id"],
                other=other[0][0],
                created=other[0][1] if other[0][1] is not None else "—",
            )
        )


# What makes two rows one exchange, for every check that refuses a double (a correction, a
# bulk edit, a merge, an undo); the import's check against the ledger matches the same columns.
EXCHANGE_IDENTITY: tuple[str, ...] = ("party_id", "date", "date_precision", "form", "direction", "event_id")


def twin_pairs(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> set[tuple[int, int]]:
    """Pairs (one of ``ids``, another exchange) that are the same exchange by ``EXCHANGE_IDENTITY``."""
    if not ids:
        return set()
    same = " AND ".join(f"a.{c} IS NOT DISTINCT FROM b.{c}" for c in EXCHANGE_IDENTITY)
    found = con.execute(
        f"""SELECT a.exchange_id, b.exchange_id FROM exchanges a JOIN exchanges b
              ON {same} AND a.exchange_id <> b.exchange_id
            WHERE a.exchange_id IN (SELECT unnest(?))""",
        [list(ids)],
    ).fetchall()
    return {(int(a), int(b)) for a, b in found}


def _split_key(table: str, key: str, before: dict | None, after: dict | None) -> list[object]:
    whole = after or before or {}
    columns = TABLES[table][1]
    if all(c in whole for c in columns):
        return [whole[c] for c in columns]
    parts = key.split("|")
    return [int(p) if c.endswith("_id") else (p or None) for c, p in zip(columns, parts, strict=True)]


def insert_row(con: duckdb.DuckDBPyConnection, table: str, row: Mapping[str, object]) -> None:
    """Insert one whole row of ``table`` (every column, from ``TABLES``), without logging it."""
    columns = TABLES[table][2]
    con.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [plain(row.get(c)) for c in columns],
    )
    if table == "exchanges":
        recount(con, [row["exchange_id"]])


def recount(con: duckdb.DuckDBPyConnection, exchange_ids: Sequence[object]) -> None:
    """Have the counts of these exchanges' groups taken again at commit (``ledger.mark_for_recount``):
    called before a change for the rows as they were and after it for the rows as they are."""
    ledger.mark_for_recount(con, "exchange_id IN (SELECT unnest(?))", [[int(str(i)) for i in exchange_ids]])


def _play_back(
    con: duckdb.DuckDBPyConnection,
    table: str,
    row_key: Mapping[str, object],
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
) -> bool:
    """Set one row back; False when it is kept as it is (a created party still in use)."""
    keys = [row_key[k] for k in TABLES[table][1]]
    moved = keys if table == "exchanges" else []
    recount(con, moved)
    if before is None:  # the batch inserted the row
        if table == "parties":
            still_used = con.execute("SELECT count(*) FROM exchanges WHERE party_id = ?", keys).fetchall()[0][0]
            if still_used:
                return False  # it has exchanges of a later batch: kept, like an import's undo keeps it
        con.execute(f"DELETE FROM {table} WHERE {_where(table)}", keys)
    elif after is None:  # the batch deleted the row
        insert_row(con, table, before)
    else:
        con.execute(
            f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in before)} WHERE {_where(table)}",
            [*before.values(), *keys],
        )
        recount(con, moved)
    return True


def import_undo_conflict(con: duckdb.DuckDBPyConnection, batch_id: int) -> UndoConflictError | None:
    """Why an import batch cannot be undone now, or None: a later change batch, not undone,
    changed one of its exchanges or parties (undo that batch first)."""
    later = con.execute(
        """SELECT b.batch_id, b.kind, c.object, c.object_key FROM changes c JOIN import_batches b USING (batch_id)
           WHERE c.origin_batch = ? AND c.batch_id > ? AND b.undone_at IS NULL
           ORDER BY b.batch_id DESC, c.seq LIMIT 1""",
        [batch_id, batch_id],
    ).fetchall()
    if not later:
        return None
    newer, kind, word, key = later[0]
    return UndoConflictError(
        i18n.t(
            "error.undo.changed_since",
            batch=batch_id,
            object=word,
            key=key,
            later=newer,
            kind=i18n.t(f"core.batch_kind.{kind}"),
        )
    )


def touched_exchanges(logs: Iterable[ChangeLog]) -> list[int]:
    """The exchange ids some change logs touched, in order, once each."""
    seen: dict[int, None] = {}
    for log in logs:
        for word, key in log.touched:
            if word == "exchange":
                seen.setdefault(int(key), None)
    return list(seen)


@dataclass(frozen=True)
class ChangeResult:
    """What one change did: its batch, kind, the words of its summary and the rows it touched."""

    batch_id: int
    kind: str
    summary: dict = field(compare=False)
    exchange_ids: tuple[int, ...] = ()
    party_ids: tuple[int, ...] = ()

    def message(self) -> str:
        """The one line the command line prints and the page shows, in the current language."""
        return i18n.t("core.change.done", summary=describe(self.summary), batch=self.batch_id)


def summary(key: str, **fields: object) -> dict:
    """A change's summary as stored: the catalogue key ``core.change.summary.<key>`` and its fields."""
    return {"key": f"core.change.summary.{key}", "fields": {k: plain(v) for k, v in fields.items()}}


@contextlib.contextmanager
def change_batch(
    path: Path | str, kind: str, actor: access.Actor | None, object: str
) -> Iterator[tuple[duckdb.DuckDBPyConnection, ChangeLog, access.Entry]]:
    """The guarded, audited write of one change batch: the action ``edit`` of ``actor`` (None:
    the local operator) audited under ``kind``, inside one ``write_transaction``; yields
    (connection, change log, audit entry). Refused on the demo ledger."""
    path = Path(path)
    with access.guard(actor, access.Action.EDIT, object, db=access.access_path(path), word=kind) as entry:
        who = access.acting(actor)
        ledger.check_writable(path)
        with ledger.write_transaction(path) as con:
            if ledger.is_demo(con):
                raise ChangeError(i18n.t("error.change.demo_ledger", ledger=path))
            yield con, open_batch(con, kind, who.name), entry


def finish(log: ChangeLog, entry: access.Entry, what: dict, rows: int) -> ChangeResult:
    """Close the batch (``rows`` rows changed), fill the audit entry, return the result."""
    log.close(what, rows)
    entry.details = f"batch {log.batch_id}: {describe(what, 'en')}"
    return ChangeResult(
        batch_id=log.batch_id,
        kind=log.kind,
        summary=what,
        exchange_ids=tuple(touched_exchanges([log])),
        party_ids=tuple(dict.fromkeys(int(key) for word, key in log.touched if word == "party")),
    )
