"""A Parquet snapshot of the ledger, and a DuckDB connection that reads it like the ledger.

``write_snapshot`` copies a ledger into a folder: ``exchanges/`` as Parquet partitioned by year
(``year=2001/...``), one Parquet file per other table (``parties``, ``countries``, ``meta``,
``party_aliases``, ``import_batches``) and ``snapshot.json`` (schema version, row counts, the
content hash, and the ledger's own definition of the ``exchange_rows`` view). ``connect_snapshot``
opens an in-memory DuckDB whose views carry the ledger's table names, so every function in
``analytics.metrics`` runs on it unchanged: the first step of a ledger too big for one disk
(docs/scaling.md). Called by tests and ``scripts/bench_snapshot.py``; no page uses it yet.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics.errors import DomainError
from analytics.i18n import t
from analytics.ledger import (
    DERIVED_VIEWS,
    SCHEMA_VERSION,
    connect_read_only,
    content_hash,
    schema_version,
    view_statement,
)

FORMAT = "party-exchange-ledger-snapshot"
MANIFEST = "snapshot.json"
# Tables written as one Parquet file each (the exchanges are partitioned by year instead).
TABLES = (
    "parties",
    "countries",
    "meta",
    "party_aliases",
    "import_batches",
    "exchange_counts",
    "party_year_counts",
    "event_parties",
)


class SnapshotError(DomainError):
    """A snapshot cannot be written or read: the folder exists, or holds no snapshot."""


@dataclass(frozen=True)
class SnapshotInfo:
    """What ``write_snapshot`` wrote: the folder, row counts per table, the hash, bytes on disk."""

    path: Path
    rows: dict[str, int]
    content_hash: str
    size_bytes: int


def _quoted(path: Path) -> str:
    """A path as a SQL string literal (single quotes doubled). Only for CREATE VIEW, which DuckDB
    cannot prepare, so the path cannot travel as a bound parameter there."""
    return "'" + str(path).replace("'", "''") + "'"


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def write_snapshot(ledger_path: Path | str, out_dir: Path | str) -> SnapshotInfo:
    """Write the ledger at ``ledger_path`` as a Parquet snapshot in ``out_dir``.

    The folder appears whole or not at all: everything is written to a hidden sibling folder that
    is renamed at the end. An existing ``out_dir`` that is not empty is refused (SnapshotError).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise SnapshotError(t("error.snapshot.exists", path=out_dir))
    temp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    con = connect_read_only(ledger_path)
    try:
        temp.mkdir(parents=True)
        rows: dict[str, int] = {}
        try:
            con.execute("SET enable_progress_bar = false")  # the content hash runs for seconds on a big ledger
            # COPY ... TO takes the target path as a bound parameter.
            con.execute(
                "COPY (SELECT *, CAST(year(date) AS INTEGER) AS year FROM exchanges ORDER BY exchange_id) "
                "TO ? (FORMAT parquet, PARTITION_BY (year))",
                [str(temp / "exchanges")],
            )
            rows["exchanges"] = con.execute("SELECT count(*) FROM exchanges").fetchone()[0]  # type: ignore[index]
            for table in TABLES:  # fixed names, never user text
                con.execute(f"COPY (SELECT * FROM {table}) TO ? (FORMAT parquet)", [str(temp / f"{table}.parquet")])
                rows[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            digest = content_hash(con)
            version = schema_version(con)
        except duckdb.Error as error:
            raise SnapshotError(t("error.snapshot.failed", path=out_dir, error=error)) from error
        manifest = {
            "format": FORMAT,
            "schema_version": version,
            "rows": rows,
            "content_hash": digest,
        }
        (temp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        os.replace(temp, out_dir)
    except OSError as error:  # no permission, a full disk, a file where a folder should be
        shutil.rmtree(temp, ignore_errors=True)
        raise SnapshotError(t("error.snapshot.failed", path=out_dir, error=error)) from error
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        con.close()
    return SnapshotInfo(out_dir, rows, digest, _size(out_dir))


def read_manifest(out_dir: Path | str) -> dict:
    """The ``snapshot.json`` of a snapshot folder; SnapshotError if it is missing or not one."""
    out_dir = Path(out_dir)
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SnapshotError(t("error.snapshot.not_found", path=out_dir)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SnapshotError(t("error.snapshot.not_found", path=out_dir))
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise SnapshotError(
            t("error.snapshot.schema", path=out_dir, found=manifest.get("schema_version"), expected=SCHEMA_VERSION)
        )
    return manifest


def connect_snapshot(out_dir: Path | str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB reading the snapshot in ``out_dir`` through views named like the ledger's
    tables (``exchanges`` without its partition column, ``parties``, ``countries``, ``meta``, the
    counts, ...) and the views the metrics read as the ledger defines them, so the metrics run on
    it unchanged."""
    out_dir = Path(out_dir).resolve()
    read_manifest(out_dir)  # a snapshot of this schema, or SnapshotError
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        # The partition column is dropped: the view has exactly the ledger table's columns.
        con.execute(
            "CREATE VIEW exchanges AS SELECT * EXCLUDE (year) FROM read_parquet("
            f"{_quoted(out_dir / 'exchanges' / '**' / '*.parquet')}, hive_partitioning = true)"
        )
        for table in TABLES:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_quoted(out_dir / f'{table}.parquet')})")
        # The views as this program's schema defines them (one definition, the migrations): never
        # SQL read from the snapshot's files.
        for view in DERIVED_VIEWS:
            con.execute(view_statement(view))
    except duckdb.Error as error:
        con.close()
        raise SnapshotError(t("error.snapshot.failed", path=out_dir, error=error)) from error
    return con
