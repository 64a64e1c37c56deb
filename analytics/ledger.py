"""The exchange ledger: one DuckDB file, its schema and migrations, and the only place that
opens it.

Every other module gets a connection from here. Writes never touch the live file: a writer
takes a lock file, copies the ledger, writes the copy in one transaction, checkpoints it and
renames it over the original. So a reader (the dashboard) is never blocked by DuckDB's
single-writer lock, and a crash or a kill at any moment leaves the ledger exactly as before
or exactly as after. Each write raises ``ledger_version`` in the ``meta`` table and gives the
file a new identity, which is what the caches key on. Where the write path touches the file
system (lock file, working copy, rename), an OS error becomes one ``LedgerWriteError`` naming the
folder; ``check_writable`` is the cheap pre-flight the import, undo and restore run first, and
``next_batch_id`` issues batch numbers that are never reused (``batch_high_water`` in ``meta``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import getpass
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from analytics import access, vocab
from analytics.errors import DomainError
from analytics.i18n import t, t_in
from analytics.reference import countries as reference_countries

SCHEMA_VERSION = 5
LOCK_TIMEOUT_S = 30.0
# Free space a write needs beyond a copy of the ledger (and what it adds): DuckDB's write-ahead
# log and checkpoint of the working copy, at least this much or a tenth of the ledger.
WRITE_MARGIN_BYTES = 8 * 1024 * 1024
# The meta key of the largest batch number ever issued in this ledger (see docs/ledger-format.md).
BATCH_HIGH_WATER = "batch_high_water"
# The same for exchange and party ids: an id a deleted or merged row had is never given again,
# so undoing the delete or the merge brings the row back under its own id.
ID_HIGH_WATER = {"exchanges": "exchange_high_water", "parties": "party_high_water"}
# What a batch is: a file import, or one change made by hand (analytics.records, analytics.parties).
BATCH_KINDS = ("import", *vocab.CHANGE_KINDS)

Progress = Callable[[str, float], None]


class LedgerError(DomainError):
    """A ledger problem with a message a user can act on."""


class LedgerNotFoundError(LedgerError):
    """No ledger file at the given path."""


class LedgerExistsError(LedgerError):
    """Refusing to overwrite an existing ledger."""


class LedgerBusyError(LedgerError):
    """Another process holds the ledger (or its write lock) for too long."""


class LedgerQueryError(LedgerError):
    """DuckDB failed while reading the ledger (for a metric, the Explorer, a profile)."""


class LedgerWriteError(LedgerError):
    """The ledger's folder cannot be written: read-only, no permission, or a disk too full."""


# errno -> the catalogue key that says what is wrong with the folder and what to do.
_WRITE_PROBLEMS = {
    errno.EROFS: "error.write.read_only",
    errno.EACCES: "error.write.no_permission",
    errno.EPERM: "error.write.no_permission",
    errno.ENOSPC: "error.write.disk_full",
    errno.EDQUOT: "error.write.disk_full",
}
# The same, as DuckDB words them in its IO errors (it gives no errno).
_WRITE_PROBLEM_TEXTS = {
    "read-only file system": "error.write.read_only",
    "permission denied": "error.write.no_permission",
    "no space left on device": "error.write.disk_full",
    "disk quota exceeded": "error.write.disk_full",
}


def _write_problem(key: str, path: Path, detail: object) -> LedgerWriteError:
    return LedgerWriteError(t(key, folder=path.parent, path=path, error=detail))


def _os_error(error: OSError, path: Path) -> LedgerWriteError:
    """An OS error of the write path (lock file, working copy, rename) as a LedgerWriteError
    naming the ledger's folder and what to do."""
    key = _WRITE_PROBLEMS.get(error.errno or 0, "error.write.failed")
    where = Path(error.filename) if error.filename else path
    return _write_problem(key, path, f"{error.strerror or error}: {where}")


@contextlib.contextmanager
def _file_system(path: Path) -> Iterator[None]:
    """Where the write path touches the file system: an OSError becomes a LedgerWriteError."""
    try:
        yield
    except OSError as error:
        raise _os_error(error, path) from error


def check_writable(path: Path | str, *, extra_bytes: int = 0) -> None:
    """The pre-flight of a write: raise LedgerWriteError unless the ledger's folder takes the
    lock file and a working copy, and has room for a copy of the ledger, ``extra_bytes`` (what
    the write adds) and a margin. Cheap (a stat, a probe file): run before any long check."""
    path = Path(path)
    folder = path.parent
    with _file_system(path):
        folder.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(f".{path.name}.lock"), "a+"):
            pass
        probe = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.probe.tmp")
        try:
            with open(probe, "wb") as handle:
                handle.write(b"\0" * 4096)
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
        size = path.stat().st_size if path.exists() else 0
        free = shutil.disk_usage(folder).free
    needed = size + extra_bytes + max(WRITE_MARGIN_BYTES, size // 10)
    if free < needed:
        raise LedgerWriteError(t("error.write.no_room", folder=folder, path=path, free=_mb(free), needed=_mb(needed)))


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def query_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | tuple = (), *, action: str = "error.action.read_ledger"
) -> pd.DataFrame:
    """Run one read query on its own cursor and return its (small) result as a DataFrame.

    The one place a read query meets DuckDB: a ``duckdb.Error`` becomes a ``LedgerQueryError``
    saying "Could not <action>: <DuckDB's text>", ``action`` being the catalogue key of what the
    query was for (a text that is no key is said as it is). A cursor per query because
    Streamlit serves sessions on threads.
    """
    cursor = con.cursor()
    try:
        return cursor.execute(sql, list(params)).fetchdf()
    except duckdb.Error as error:
        raise LedgerQueryError(t("error.ledger.query", action=t(action), error=error)) from error
    finally:
        cursor.close()


def _in(codes: tuple[str, ...]) -> str:
    return vocab.sql_in_list(codes)


# The count tables (schema 5) and the columns each counts by, after the year: the exchanges by
# year, party, status, form, direction and level; and the same by year, party and status only,
# several times fewer rows when a ledger has many parties, read by every slice that neither
# filters nor groups by form, direction or level.
COUNT_KEYS = {
    "exchange_counts": ("party_id", "party_status", "form", "direction", "level"),
    "party_year_counts": ("party_id", "party_status"),
}


def _count_table(table: str) -> str:
    keys = "".join(f"{c} {'INTEGER' if c == 'party_id' else 'VARCHAR'} NOT NULL, " for c in COUNT_KEYS[table])
    return f"""CREATE TABLE {table} (
            year INTEGER NOT NULL, {keys}
            exchange_count BIGINT NOT NULL CHECK (exchange_count > 0),
            solo_count BIGINT NOT NULL CHECK (solo_count >= 0),
            first_date DATE NOT NULL,
            date DATE NOT NULL,
            date_precision VARCHAR NOT NULL CHECK (date_precision IN {_in(vocab.DATE_PRECISIONS)})
        )"""


# The views of the counts (schema 5): each count table with its party's and country's columns,
# named as in ``exchange_rows``, so that ``Filters.where()`` reads them unchanged.
COUNT_VIEWS = {
    "exchange_count_rows": "exchange_counts",
    "party_year_count_rows": "party_year_counts",
    "event_party_rows": "event_parties",
}


def _with_parties(view: str, table: str) -> str:
    return f"""CREATE VIEW {view} AS
            SELECT k.*, p.name AS party, p.name_zh AS party_zh, p.country_iso3, p.family AS party_family,
                   coalesce(c.name, '') AS country,
                   coalesce(c.region, '{vocab.INTERNATIONAL_BUCKET}') AS region,
                   coalesce(c.subregion, '{vocab.INTERNATIONAL_BUCKET}') AS subregion
            FROM {table} k
            JOIN parties p USING (party_id)
            LEFT JOIN countries c ON c.iso3 = p.country_iso3"""


# Each step takes the schema from version i to i + 1. Never edit a released step: add one.
MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        f"""CREATE TABLE countries (
            iso3 VARCHAR PRIMARY KEY CHECK (regexp_full_match(iso3, '[A-Z]{{3}}')),
            iso2 VARCHAR NOT NULL,
            m49 VARCHAR NOT NULL,
            name VARCHAR NOT NULL UNIQUE,
            common_name VARCHAR NOT NULL,
            region VARCHAR NOT NULL CHECK (region IN {_in(vocab.REGIONS)}),
            subregion VARCHAR NOT NULL
        )""",
        f"""CREATE TABLE parties (
            party_id INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL CHECK (length(trim(name)) > 0 AND name = trim(name)),
            country_iso3 VARCHAR REFERENCES countries (iso3),
            family VARCHAR NOT NULL CHECK (family IN {_in(vocab.PARTY_FAMILIES)}),
            CHECK (country_iso3 IS NOT NULL OR family = 'international_org')
        )""",
        # NULL country (an international organisation) must also be unique by name.
        "CREATE UNIQUE INDEX parties_name_country ON parties (name, coalesce(country_iso3, ''))",
        f"""CREATE TABLE exchanges (
            exchange_id BIGINT PRIMARY KEY,
            date DATE NOT NULL,
            date_precision VARCHAR NOT NULL CHECK (date_precision IN {_in(vocab.DATE_PRECISIONS)}),
            party_id INTEGER NOT NULL REFERENCES parties (party_id),
            party_status VARCHAR NOT NULL DEFAULT 'unknown' CHECK (party_status IN {_in(vocab.PARTY_STATUSES)}),
            form VARCHAR NOT NULL CHECK (form IN {_in(vocab.FORMS)}),
            direction VARCHAR NOT NULL CHECK (direction IN {_in(vocab.DIRECTIONS)}),
            level VARCHAR NOT NULL DEFAULT 'unknown' CHECK (level IN {_in(vocab.LEVELS)}),
            event_id VARCHAR CHECK (event_id IS NULL OR length(trim(event_id)) > 0),
            delegation_size INTEGER CHECK (delegation_size IS NULL OR delegation_size > 0),
            topic VARCHAR,
            source VARCHAR,
            CHECK (date_precision = 'day'
                   OR (date_precision = 'month' AND day(date) = 1)
                   OR (date_precision = 'year' AND day(date) = 1 AND month(date) = 1))
        )""",
    ],
    [
        """CREATE TABLE import_batches (
            batch_id INTEGER PRIMARY KEY,
            file_name VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL CHECK (regexp_full_match(sha256, '[0-9a-f]{64}')),
            sheet VARCHAR,
            rows_read INTEGER NOT NULL CHECK (rows_read >= 0),
            rows_written INTEGER NOT NULL CHECK (rows_written >= 0),
            rows_rejected INTEGER NOT NULL CHECK (rows_rejected >= 0),
            imported_at TIMESTAMP NOT NULL,
            imported_by VARCHAR,
            undone_at TIMESTAMP
        )""",
        "ALTER TABLE exchanges ADD COLUMN batch_id INTEGER",
        "ALTER TABLE parties ADD COLUMN batch_id INTEGER",
        # One row per exchange with everything the filters and metrics need.
        f"""CREATE VIEW exchange_rows AS
            SELECT e.exchange_id, e.date, e.date_precision, CAST(year(e.date) AS INTEGER) AS year,
                   e.party_id, p.name AS party, p.country_iso3, p.family AS party_family,
                   coalesce(c.name, '') AS country,
                   coalesce(c.region, '{vocab.INTERNATIONAL_BUCKET}') AS region,
                   coalesce(c.subregion, '{vocab.INTERNATIONAL_BUCKET}') AS subregion,
                   e.party_status, e.form, e.direction, e.level, e.event_id,
                   coalesce(e.event_id, 'row:' || CAST(e.exchange_id AS VARCHAR)) AS event_key,
                   e.delegation_size, e.topic, e.source, e.batch_id
            FROM exchanges e
            JOIN parties p USING (party_id)
            LEFT JOIN countries c ON c.iso3 = p.country_iso3""",
    ],
    [
        # The party's name in Chinese (optional, import column party_zh), shown in Chinese views.
        # A nullable column added in place: DuckDB adds it without rewriting the rows, and the
        # step runs like every migration on the copy that write_transaction renames over the file.
        "ALTER TABLE parties ADD COLUMN name_zh VARCHAR",
        f"""CREATE OR REPLACE VIEW exchange_rows AS
            SELECT e.exchange_id, e.date, e.date_precision, CAST(year(e.date) AS INTEGER) AS year,
                   e.party_id, p.name AS party, p.name_zh AS party_zh, p.country_iso3, p.family AS party_family,
                   coalesce(c.name, '') AS country,
                   coalesce(c.region, '{vocab.INTERNATIONAL_BUCKET}') AS region,
                   coalesce(c.subregion, '{vocab.INTERNATIONAL_BUCKET}') AS subregion,
                   e.party_status, e.form, e.direction, e.level, e.event_id,
                   coalesce(e.event_id, 'row:' || CAST(e.exchange_id AS VARCHAR)) AS event_key,
                   e.delegation_size, e.topic, e.source, e.batch_id
            FROM exchanges e
            JOIN parties p USING (party_id)
            LEFT JOIN countries c ON c.iso3 = p.country_iso3""",
    ],
    [
        # Record maintenance (docs/ledger-format.md, "Changes"). DuckDB refuses to update a party
        # row that exchanges reference by foreign key, so the table is rebuilt without that key;
        # every write checks the references instead (``check_party_references``).
        f"""CREATE TABLE exchanges_v4 (
            exchange_id BIGINT PRIMARY KEY,
            date DATE NOT NULL,
            date_precision VARCHAR NOT NULL CHECK (date_precision IN {_in(vocab.DATE_PRECISIONS)}),
            party_id INTEGER NOT NULL,
            party_status VARCHAR NOT NULL DEFAULT 'unknown' CHECK (party_status IN {_in(vocab.PARTY_STATUSES)}),
            form VARCHAR NOT NULL CHECK (form IN {_in(vocab.FORMS)}),
            direction VARCHAR NOT NULL CHECK (direction IN {_in(vocab.DIRECTIONS)}),
            level VARCHAR NOT NULL DEFAULT 'unknown' CHECK (level IN {_in(vocab.LEVELS)}),
            event_id VARCHAR CHECK (event_id IS NULL OR length(trim(event_id)) > 0),
            delegation_size INTEGER CHECK (delegation_size IS NULL OR delegation_size > 0),
            topic VARCHAR,
            source VARCHAR,
            batch_id INTEGER,
            CHECK (date_precision = 'day'
                   OR (date_precision = 'month' AND day(date) = 1)
                   OR (date_precision = 'year' AND day(date) = 1 AND month(date) = 1))
        )""",
        """INSERT INTO exchanges_v4 SELECT exchange_id, date, date_precision, party_id, party_status, form,
                  direction, level, event_id, delegation_size, topic, source, batch_id FROM exchanges""",
        "DROP VIEW exchange_rows",
        "DROP TABLE exchanges",
        "ALTER TABLE exchanges_v4 RENAME TO exchanges",
        f"""CREATE VIEW exchange_rows AS
            SELECT e.exchange_id, e.date, e.date_precision, CAST(year(e.date) AS INTEGER) AS year,
                   e.party_id, p.name AS party, p.name_zh AS party_zh, p.country_iso3, p.family AS party_family,
                   coalesce(c.name, '') AS country,
                   coalesce(c.region, '{vocab.INTERNATIONAL_BUCKET}') AS region,
                   coalesce(c.subregion, '{vocab.INTERNATIONAL_BUCKET}') AS subregion,
                   e.party_status, e.form, e.direction, e.level, e.event_id,
                   coalesce(e.event_id, 'row:' || CAST(e.exchange_id AS VARCHAR)) AS event_key,
                   e.delegation_size, e.topic, e.source, e.batch_id
            FROM exchanges e
            JOIN parties p USING (party_id)
            LEFT JOIN countries c ON c.iso3 = p.country_iso3""",
        # A batch is an import or one change made by hand (kind), said in English in summary.
        # (A file name and hash only for an import; the table is small, so it is rebuilt too.)
        f"""CREATE TABLE import_batches_v4 (
            batch_id INTEGER PRIMARY KEY,
            file_name VARCHAR,
            sha256 VARCHAR CHECK (regexp_full_match(sha256, '[0-9a-f]{{64}}')),
            sheet VARCHAR,
            rows_read INTEGER NOT NULL CHECK (rows_read >= 0),
            rows_written INTEGER NOT NULL CHECK (rows_written >= 0),
            rows_rejected INTEGER NOT NULL CHECK (rows_rejected >= 0),
            imported_at TIMESTAMP NOT NULL,
            imported_by VARCHAR,
            undone_at TIMESTAMP,
            kind VARCHAR NOT NULL DEFAULT 'import' CHECK (kind IN {_in(BATCH_KINDS)}),
            summary VARCHAR,
            CHECK (kind <> 'import' OR (file_name IS NOT NULL AND sha256 IS NOT NULL))
        )""",
        """INSERT INTO import_batches_v4 SELECT batch_id, file_name, sha256, sheet, rows_read, rows_written,
                  rows_rejected, imported_at, imported_by, undone_at, 'import', NULL FROM import_batches""",
        "DROP TABLE import_batches",
        "ALTER TABLE import_batches_v4 RENAME TO import_batches",
        # The names a party was known by: its former names and the names of parties merged into it.
        """CREATE TABLE party_aliases (
            alias VARCHAR NOT NULL CHECK (length(trim(alias)) > 0 AND alias = trim(alias)),
            alias_key VARCHAR NOT NULL,
            country_iso3 VARCHAR,
            party_id INTEGER NOT NULL,
            reason VARCHAR NOT NULL CHECK (reason IN ('renamed', 'merged')),
            first_date DATE,
            last_date DATE,
            recorded_at TIMESTAMP NOT NULL,
            batch_id INTEGER NOT NULL
        )""",
        # Before and after of every row a change batch touched, as JSON text; undo plays them back.
        """CREATE TABLE changes (
            batch_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            object VARCHAR NOT NULL CHECK (object IN ('exchange', 'party', 'alias')),
            object_key VARCHAR NOT NULL,
            origin_batch INTEGER,
            before VARCHAR,
            after VARCHAR,
            PRIMARY KEY (batch_id, seq)
        )""",
    ],
    [
        # Pre-aggregated counts (docs/ledger-format.md, "Counts kept beside the exchanges"): the
        # exchanges counted by year, party, status, form, direction and level, and the event
        # participations, which the metrics read instead of the raw rows. Created empty here;
        # ``refresh_counts`` fills them before the commit of the write that migrates, and keeps
        # them exact through every later write.
        *(_count_table(table) for table in COUNT_KEYS),
        # A number per event id, never changed once given: distinct counts of numbers are about
        # twice as fast as of text.
        """CREATE TABLE event_numbers (
            event_id VARCHAR PRIMARY KEY,
            event_no INTEGER NOT NULL UNIQUE
        )""",
        """CREATE TABLE event_parties (
            year INTEGER NOT NULL,
            event_no INTEGER NOT NULL,
            party_id INTEGER NOT NULL,
            party_status VARCHAR NOT NULL,
            form VARCHAR NOT NULL,
            direction VARCHAR NOT NULL,
            level VARCHAR NOT NULL
        )""",
        *(_with_parties(view, table) for view, table in COUNT_VIEWS.items()),
    ],
]
assert len(MIGRATIONS) == SCHEMA_VERSION


# The views the metrics read, over the tables: the exchanges one by one, and the counts.
DERIVED_VIEWS = ("exchange_rows", *COUNT_VIEWS)


def view_statement(name: str) -> str:
    """The statement that creates the view ``name`` (one of ``DERIVED_VIEWS``) as this program's
    schema defines it (the newest migration step that defines it): to build the view over
    another store of the same tables, such as a Parquet snapshot (``analytics.snapshot``)."""
    for step in reversed(MIGRATIONS):
        for statement in step:
            if f"VIEW {name} AS" in statement:
                return statement
    raise LedgerError(t("error.ledger.no_row", statement="CREATE VIEW"))


# ----------------------------------------------------------------- counts kept beside the exchanges

# The latest date of a set of exchanges with its precision; at one date the finest precision
# wins, so the raw rows and the counts name the same one.
_FINENESS = " ".join(f"WHEN '{p}' THEN {len(vocab.DATE_PRECISIONS) - i}" for i, p in enumerate(vocab.DATE_PRECISIONS))
LATEST_PRECISION = f"arg_max(date_precision, (date - DATE '1900-01-01') * 4 + CASE date_precision {_FINENESS} END)"
# The party's status at its latest exchange; at one date, the status first in vocab.PARTY_STATUSES.
_STATUS_ORDER = " ".join(f"WHEN '{s}' THEN {len(vocab.PARTY_STATUSES) - i}" for i, s in enumerate(vocab.PARTY_STATUSES))
LATEST_STATUS = f"arg_max(party_status, (date - DATE '1900-01-01') * 16 + CASE party_status {_STATUS_ORDER} END)"
_YEAR = "CAST(year(date) AS INTEGER)"
COUNTS_KEY = COUNT_KEYS["exchange_counts"]
_DIRTY = "counts_dirty"


def _counted(condition: str, table: str = "exchange_counts") -> str:
    key = ", ".join(COUNT_KEYS[table])
    return f"""SELECT {_YEAR} AS year, {key}, count(*) AS exchange_count,
                      count(*) FILTER (WHERE event_id IS NULL) AS solo_count,
                      min(date) AS first_date, max(date) AS date, {LATEST_PRECISION} AS date_precision
               FROM exchanges WHERE {condition} GROUP BY ALL"""


def _participations(condition: str) -> str:
    return f"""SELECT {_YEAR} AS year, n.event_no, {", ".join(COUNTS_KEY)}
               FROM exchanges JOIN event_numbers n USING (event_id) WHERE {condition}"""


def _number_events(con: duckdb.DuckDBPyConnection, condition: str) -> None:
    """Give the event ids of the exchanges meeting ``condition`` that have no number one."""
    con.execute(
        f"""INSERT INTO event_numbers
            SELECT event_id, (SELECT coalesce(max(event_no), 0) FROM event_numbers)
                             + CAST(row_number() OVER (ORDER BY event_id) AS INTEGER)
            FROM (SELECT DISTINCT event_id FROM exchanges WHERE event_id IS NOT NULL AND {condition})
            ANTI JOIN event_numbers USING (event_id)"""
    )


def mark_for_recount(con: duckdb.DuckDBPyConnection, condition: str, params: list | tuple = ()) -> None:
    """Note that the (year, party) groups of the exchanges meeting ``condition`` (SQL over
    ``exchanges`` with ``?`` only) must be counted again before the write commits. Every write
    that adds, changes or removes exchanges calls it: after an insert or an update for the rows
    as they are now, and before an update or a delete for the rows as they were."""
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_DIRTY} (year INTEGER, party_id INTEGER)")
    con.execute(
        f"INSERT INTO {_DIRTY} SELECT DISTINCT {_YEAR}, party_id FROM exchanges WHERE {condition}", list(params)
    )


def rebuild_counts(con: duckdb.DuckDBPyConnection) -> None:
    """Count every exchange again into ``exchange_counts`` and ``event_parties`` (a new ledger,
    a migration, a restore), sorted by year so that a year filter skips most of the table."""
    for table in COUNT_KEYS:
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} {_counted('TRUE', table)} ORDER BY year, party_id")
    con.execute("DELETE FROM event_parties")
    _number_events(con, "TRUE")
    con.execute(f"INSERT INTO event_parties {_participations('TRUE')} ORDER BY year, event_no")


def counts_drift(con: duckdb.DuckDBPyConnection) -> int:
    """How many rows of the two count tables differ from counting the exchanges afresh (0 when
    exact): a check for the tests and for anyone who doubts the counts."""
    kept = {table: _counted("TRUE", table) for table in COUNT_KEYS}
    kept["event_parties"] = _participations("TRUE")
    differences = [
        f"SELECT count(*) FROM ({one})"
        for table, fresh in kept.items()
        for one in (f"SELECT * FROM {table} EXCEPT ALL ({fresh})", f"({fresh}) EXCEPT ALL SELECT * FROM {table}")
    ]
    return sum(_one_row(con, sql)[0] for sql in differences)


def _totals_agree(con: duckdb.DuckDBPyConnection) -> bool:
    totals = ", ".join(f"(SELECT coalesce(sum(exchange_count), 0) FROM {table})" for table in COUNT_KEYS)
    counted = _one_row(con, f"SELECT {totals}, (SELECT count(*) FROM event_parties)")
    rows, event_rows = _one_row(con, "SELECT count(*), count(event_id) FROM exchanges")
    return counted == (*(rows for _ in COUNT_KEYS), event_rows)


def refresh_counts(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the counts up to date inside the write's transaction: count again the groups
    ``mark_for_recount`` noted; then, if the totals still disagree with the exchanges (a write
    that changed rows without marking them, such as a migration or a restore), count all."""
    dirty = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [_DIRTY]).fetchone()
    if dirty and dirty[0]:
        groups = f"(year, party_id) IN (SELECT year, party_id FROM {_DIRTY})"
        rows = f"({_YEAR}, party_id) IN (SELECT year, party_id FROM {_DIRTY})"
        for table in COUNT_KEYS:
            con.execute(f"DELETE FROM {table} WHERE {groups}")
            con.execute(f"INSERT INTO {table} {_counted(rows, table)}")
        con.execute(f"DELETE FROM event_parties WHERE {groups}")
        _number_events(con, rows)
        con.execute(f"INSERT INTO event_parties {_participations(rows)}")
        con.execute(f"DROP TABLE {_DIRTY}")
    if not _totals_agree(con):
        rebuild_counts(con)


def _wrap(error: duckdb.Error, path: Path | None = None) -> LedgerError:
    text = str(error)
    where = t("error.ledger.where", path=path) if path else ""
    if "lock" in text.lower() and "conflicting" in text.lower():
        return LedgerBusyError(t("error.ledger.locked", where=where))
    if path is not None and isinstance(error, duckdb.IOException):
        for words, key in _WRITE_PROBLEM_TEXTS.items():
            if words in text.lower():
                return _write_problem(key, path, text.splitlines()[0])
    return LedgerError(t("error.ledger.duckdb", where=where, error=text))


def _one_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | tuple = ()) -> tuple:
    """The single row an aggregate query returns (DuckDB always returns one)."""
    row = con.execute(sql, list(params)).fetchone()
    if row is None:
        raise LedgerError(t("error.ledger.no_row", statement=sql.split()[0]))
    return row


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Schema version recorded in the file (0 for a file without the meta table)."""
    has_meta = _one_row(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'")[0]
    if not has_meta:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migration steps up to ``target``; returns the version reached."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise LedgerError(t("error.ledger.schema_newer_program", found=current, expected=SCHEMA_VERSION))
    for step in range(current, target):
        for statement in MIGRATIONS[step]:
            con.execute(statement)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(step + 1)])
    return max(current, target)


def get_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """All key/value pairs of the meta table."""
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


def set_meta(con: duckdb.DuckDBPyConnection, **values: object) -> None:
    """Set meta keys (values stored as text)."""
    for key, value in values.items():
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(value)])


def batch_high_water(con: duckdb.DuckDBPyConnection) -> int:
    """The largest batch number this ledger ever issued: its own batches, and those a restore
    replaced (kept in ``meta`` as ``batch_high_water``)."""
    return int(
        _one_row(
            con,
            """SELECT greatest(coalesce((SELECT max(batch_id) FROM import_batches), 0),
                               coalesce((SELECT max(CAST(value AS BIGINT)) FROM meta WHERE key = ?), 0))""",
            [BATCH_HIGH_WATER],
        )[0]
    )


def next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    """Issue the number of a new batch (inside a write transaction): one above every number
    ever issued, so a number never names two batches, not even after a restore."""
    batch_id = batch_high_water(con) + 1
    set_meta(con, **{BATCH_HIGH_WATER: batch_id})
    return batch_id


def issued_id(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """The largest id ``table`` ("exchanges" or "parties") ever held, deleted rows included."""
    key = ID_HIGH_WATER[table]
    column = "exchange_id" if table == "exchanges" else "party_id"
    # The table and column come from the two fixed entries above, never from a caller's text.
    return int(
        _one_row(
            con,
            f"""SELECT greatest(coalesce((SELECT max({column}) FROM {table}), 0),
                               coalesce((SELECT max(CAST(value AS BIGINT)) FROM meta WHERE key = ?), 0))""",
            [key],
        )[0]
    )


def next_ids(con: duckdb.DuckDBPyConnection, table: str, count: int = 1) -> int:
    """Issue ``count`` new ids of ``table`` inside a write transaction and return the first:
    above every id the table ever held, so a deleted or merged row's id is never given again."""
    first = issued_id(con, table) + 1
    set_meta(con, **{ID_HIGH_WATER[table]: first + count - 1})
    return first


def check_party_references(con: duckdb.DuckDBPyConnection) -> None:
    """Raise LedgerError when an exchange names a party the ledger does not hold (the foreign key
    the schema cannot keep since step 4, checked by every write that moves or removes parties)."""
    orphans = _one_row(
        con,
        "SELECT count(*), min(e.exchange_id) FROM exchanges e ANTI JOIN parties p ON p.party_id = e.party_id",
    )
    if orphans[0]:
        raise LedgerError(t("error.ledger.orphans", count=orphans[0], exchange=orphans[1]))


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the ledger holds synthetic demo data."""
    row = con.execute("SELECT value FROM meta WHERE key = 'is_demo'").fetchone()
    return row is not None and row[0] == "true"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _load_countries(con: duckdb.DuckDBPyConnection) -> None:
    """Insert the reference countries the ledger does not hold yet (all of them in a new ledger)."""
    table = reference_countries()[["iso3", "iso2", "m49", "name", "common_name", "region", "subregion"]]
    con.register("reference_countries", table)
    try:
        con.execute(
            "INSERT INTO countries SELECT * FROM reference_countries WHERE iso3 NOT IN (SELECT iso3 FROM countries)"
        )
    finally:
        con.unregister("reference_countries")


def _missing_countries(con: duckdb.DuckDBPyConnection) -> set[str]:
    """ISO3 codes of data/countries.csv that the ledger's own countries table lacks."""
    held = {row[0] for row in con.execute("SELECT iso3 FROM countries").fetchall()}
    return set(reference_countries()["iso3"]) - held


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _remove_database_files(path: Path) -> None:
    # Best effort: on a read-only file system even a missing file's unlink fails, and a leftover
    # is removed by the next writer that holds the lock.
    for candidate in (path, Path(str(path) + ".wal")):
        with contextlib.suppress(OSError):
            candidate.unlink()


@contextlib.contextmanager
def _write_lock(path: Path, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    lock_path = path.with_name(f".{path.name}.lock")
    with _file_system(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 (closed by the with below)
    with handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LedgerBusyError(t("error.ledger.writing", path=path)) from None
                time.sleep(0.05)
        try:
            # Whoever holds the lock is the only writer: leftovers are from a killed writer.
            for stale in path.parent.glob(f".{path.name}.*.tmp*"):
                with contextlib.suppress(OSError):
                    stale.unlink()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _commit_file(temp: Path, path: Path) -> None:
    with _file_system(path):
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


@contextlib.contextmanager
def write_transaction(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection on a copy of the ledger, inside one transaction.

    On normal exit every exchange's party is checked (``check_party_references``), the
    transaction commits, ``ledger_version`` goes up by one and the copy replaces the ledger
    atomically; on any exception nothing changes.
    """
    path = Path(path)
    if not path.exists():
        raise LedgerNotFoundError(t("error.ledger.not_found", path=path))
    with _write_lock(path):
        temp = _temp_path(path)
        try:
            with _file_system(path):
                shutil.copyfile(path, temp)
            try:
                con = duckdb.connect(str(temp))
            except duckdb.Error as error:
                raise _wrap(error, path) from error
            try:
                migrate(con)
                con.execute("BEGIN TRANSACTION")
                yield con
                refresh_counts(con)
                check_party_references(con)
                version = int(get_meta(con).get("ledger_version", "0")) + 1
                set_meta(con, ledger_version=version, updated_at=_now())
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            except duckdb.Error as error:
                raise _wrap(error, path) from error
            finally:
                con.close()
            _commit_file(temp, path)
        finally:
            _remove_database_files(temp)


def create_ledger(
    path: Path | str,
    *,
    demo: bool = True,
    rows: int | None = None,
    seed: int = 1951,
    force: bool = False,
    progress: Progress | None = None,
    actor: access.Actor | None = None,
    parties: int | None = None,
) -> Path:
    """Create a ledger file: the schema, the countries, and demo data unless ``demo`` is False
    (``parties``: that many demo parties, for a big ledger's benchmark).

    Refuses to replace an existing file unless ``force``; the new file appears atomically.
    Replacing one is the guarded action ``replace_ledger`` of ``actor`` (None: the local
    operator), audited in the access database beside the ledger.
    """
    path = Path(path)
    refusal = t("error.ledger.exists", path=path)
    if path.exists() and not force:
        raise LedgerExistsError(refusal)
    if not path.exists():
        _create(path, demo=demo, rows=rows, seed=seed, force=force, progress=progress, refusal=refusal, parties=parties)
        return path
    contents = "demo data" if demo else "an empty ledger"
    with access.guard(
        actor, access.Action.REPLACE_LEDGER, str(path), f"replaced by {contents}", db=access.access_path(path)
    ):
        _create(path, demo=demo, rows=rows, seed=seed, force=force, progress=progress, refusal=refusal, parties=parties)
    return path


def _create(
    path: Path,
    *,
    demo: bool,
    rows: int | None,
    seed: int,
    force: bool,
    progress: Progress | None,
    refusal: str,
    parties: int | None = None,
) -> None:
    with _write_lock(path):
        # Again under the lock: another creator (the app's first run, a second init) may have won.
        if path.exists() and not force:
            raise LedgerExistsError(refusal)
        temp = _temp_path(path)
        _remove_database_files(temp)
        try:
            try:
                con = duckdb.connect(str(temp))
            except duckdb.Error as error:
                raise _wrap(error, path) from error
            try:
                migrate(con)
                _load_countries(con)
                set_meta(con, ledger_version=1, created_at=_now(), updated_at=_now(), is_demo="false")
                if demo:
                    from analytics.demo import generate_demo

                    generate_demo(con, rows=rows, seed=seed, parties=parties, progress=progress)
                rebuild_counts(con)
                con.execute("CHECKPOINT")
            except duckdb.Error as error:
                raise _wrap(error, path) from error
            finally:
                con.close()
            _commit_file(temp, path)
        finally:
            _remove_database_files(temp)


def connect_read_only(path: Path | str, *, retry_s: float = 5.0) -> duckdb.DuckDBPyConnection:
    """A read-only connection; waits up to ``retry_s`` if another process holds a write lock."""
    path = Path(path)
    if not path.exists():
        raise LedgerNotFoundError(t("error.ledger.not_found", path=path))
    deadline = time.monotonic() + retry_s
    while True:
        try:
            con = duckdb.connect(str(path), read_only=True)
            break
        except duckdb.Error as error:
            wrapped = _wrap(error, path)
            if not isinstance(wrapped, LedgerBusyError) or time.monotonic() > deadline:
                raise wrapped from error
            time.sleep(0.1)
    try:
        found = schema_version(con)
    except duckdb.Error as error:
        con.close()
        raise _wrap(error, path) from error
    if found != SCHEMA_VERSION:
        con.close()
        raise LedgerError(t("error.ledger.schema_old", path=path, found=found, expected=SCHEMA_VERSION))
    return con


def prepare_ledger(
    path: Path | str, *, is_default: bool = False, progress: Progress | None = None, seed: int = 1951
) -> Path:
    """Make ``path`` ready to read: create the demo ledger if it is the missing default, migrate an old one."""
    path = Path(path)
    if not path.exists():
        if not is_default:
            raise LedgerNotFoundError(t("error.ledger.not_found", path=path))
        with contextlib.suppress(LedgerExistsError):  # another process created it meanwhile
            create_ledger(path, demo=True, seed=seed, progress=progress)
        return path
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise _wrap(error, path) from error
    try:
        found = schema_version(con)
        missing = _missing_countries(con) if found == SCHEMA_VERSION else set()
    finally:
        con.close()
    if found == 0:
        raise LedgerError(t("error.ledger.not_a_ledger", path=path))
    if found > SCHEMA_VERSION:
        raise LedgerError(t("error.ledger.schema_newer", path=path, found=found, expected=SCHEMA_VERSION))
    if found < SCHEMA_VERSION or missing:
        # A newer program: migrate the copy (write_transaction does it before its transaction
        # starts) and add the countries its reference data gained. Names and regions of the
        # countries already held stay as they are: DuckDB cannot update a row other tables
        # reference.
        with write_transaction(path) as con:
            _load_countries(con)
    return path


def file_signature(path: Path | str) -> tuple[int, int, int]:
    """(inode, mtime ns, size) of the ledger file: changes on every write, costs one stat."""
    stat = os.stat(path)
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


class LedgerReader:
    """A long-lived process's read-only access to a ledger that other processes may rewrite.

    ``connection()`` returns a connection to the current file, reopening it when a writer has
    replaced the file. Queries should take their own cursor: ``reader.connection().cursor()``.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._signature: tuple[int, int, int] | None = None

    def signature(self) -> tuple[int, int, int]:
        """The file's current identity (see ``file_signature``)."""
        return file_signature(self.path)

    def connection(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the ledger as it is now."""
        with self._lock:
            signature = self.signature()
            if self._con is None or signature != self._signature:
                if self._con is not None:
                    # DuckDB caches one instance per path: the old one must be closed before
                    # a new connection can see the replaced file.
                    self._con.close()
                    self._con = None
                self._con = connect_read_only(self.path)
                self._signature = signature
            return self._con

    def run(self, function: Callable, *args, **kwargs):
        """``function(connection, *args, **kwargs)`` on the current ledger.

        Retried once when another thread swapped the connection underneath it (a writer
        replaced the file mid-query), so a reader never fails on an import's completion.
        """
        try:
            return function(self.connection(), *args, **kwargs)
        except duckdb.ConnectionException:
            return function(self.connection(), *args, **kwargs)

    def close(self) -> None:
        """Close the connection, if open."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


@dataclass(frozen=True)
class LedgerInfo:
    """What ``python -m analytics info`` prints."""

    path: str
    exchanges: int
    events: int
    parties: int
    countries: int
    first_year: int | None
    last_year: int | None
    is_demo: bool
    schema_version: int
    ledger_version: int
    last_import: str | None  # in English, whatever the language: the info may be cached
    # (batch id, file name, imported at, rows written, undone at or None) of the last import.
    last_batch: tuple | None = None

    def last_import_text(self) -> str | None:
        """The last import in the current language: 'batch 3: file.csv at 2025-03-01 14:05, 120 rows'."""
        return describe_batch(self.last_batch) if self.last_batch else None


def describe_batch(batch: tuple, lang: str | None = None) -> str:
    """An import batch (id, file, imported at, rows, undone at) in one line, in ``lang`` (else the current language)."""
    values = {"batch": batch[0], "file": batch[1], "at": f"{batch[2]:%Y-%m-%d %H:%M}", "rows": batch[3]}
    text = t_in(lang, "cli.info.batch", **values) if lang else t("cli.info.batch", **values)
    if batch[4] is not None:
        undone = f"{batch[4]:%Y-%m-%d %H:%M}"
        text += t_in(lang, "cli.info.batch_undone", at=undone) if lang else t("cli.info.batch_undone", at=undone)
    return text


def ledger_info(con: duckdb.DuckDBPyConnection, path: Path | str = "") -> LedgerInfo:
    """Totals and metadata of a ledger."""
    exchanges, events, parties, countries, first, last = _one_row(
        con,
        """SELECT count(*),
                  count(DISTINCT coalesce(e.event_id, 'row:' || e.exchange_id)),
                  count(DISTINCT e.party_id),
                  count(DISTINCT p.country_iso3),
                  min(year(e.date)), max(year(e.date))
           FROM exchanges e JOIN parties p USING (party_id)""",
    )
    meta = get_meta(con)
    batch = con.execute(
        """SELECT batch_id, file_name, imported_at, rows_written, undone_at FROM import_batches
           WHERE kind = 'import' ORDER BY imported_at DESC, batch_id DESC LIMIT 1"""
    ).fetchone()
    last_import = describe_batch(batch, "en") if batch else None
    return LedgerInfo(
        path=str(path),
        exchanges=exchanges,
        events=events,
        parties=parties,
        countries=countries,
        first_year=first,
        last_year=last,
        is_demo=meta.get("is_demo") == "true",
        schema_version=int(meta.get("schema_version", 0)),
        ledger_version=int(meta.get("ledger_version", 0)),
        last_import=last_import,
        last_batch=tuple(batch) if batch else None,
    )


def content_hash(con: duckdb.DuckDBPyConnection) -> str:
    """MD5 of every exchange with its party, independent of row ids and insertion order.

    A party's Chinese name ends the line only when there is one (``concat_ws`` skips NULL), so a
    ledger without Chinese names keeps the hash it had before the column existed (old backups
    still verify).
    """
    return _one_row(
        con,
        r"""SELECT md5(coalesce(string_agg(line, chr(10) ORDER BY line), '')) FROM (
              SELECT concat_ws('|', e.date, e.date_precision, p.name, coalesce(p.country_iso3, '\N'),
                               p.family, e.party_status, e.form, e.direction, e.level,
                               coalesce(e.event_id, '\N'), coalesce(CAST(e.delegation_size AS VARCHAR), '\N'),
                               coalesce(e.topic, '\N'), coalesce(e.source, '\N'),
                               p.name_zh) AS line
              FROM exchanges e JOIN parties p USING (party_id))""",
    )[0]


def current_user(configured: str = "") -> str:
    """Name recorded with an import: the configured one, else the login name."""
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
