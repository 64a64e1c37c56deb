"""Full backup of a ledger to Parquet, and restore from such a backup.

A backup is one ``.zip`` file holding a Parquet file per table (``parties``, ``exchanges``,
``import_batches``, ``party_aliases``, ``changes``, ``countries`` for the record, ``meta``) and ``manifest.json`` (format,
schema version, row counts, the ledger's content hash). Any Parquet tool reads the tables once
unzipped. Restore replaces the whole content of a ledger inside one ``write_transaction``, keeps
every id, and checks the content hash before the new file takes the ledger's place. Called by the
``backup`` / ``restore`` commands and the Data page's backup download.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from analytics import access, atomic, formats
from analytics.i18n import number, t
from analytics.importer import restart_transaction
from analytics.ledger import (
    BATCH_HIGH_WATER,
    SCHEMA_VERSION,
    LedgerError,
    batch_high_water,
    check_writable,
    connect_read_only,
    content_hash,
    create_ledger,
    rebuild_counts,
    set_meta,
    write_transaction,
)

FORMAT = "party-exchange-ledger-backup"
# The backup file: a .zip (extension and MIME type from the format registry).
FILE_FORMAT = formats.get("zip", formats.BACKUP)
FORMAT_VERSION = 1
# Restored in this order (parents first); ``countries`` is reference data shipped with the program.
TABLES: tuple[str, ...] = ("parties", "exchanges", "import_batches", "party_aliases", "changes")
# Tables a backup made before schema 4 lacks: restored empty.
LATER_TABLES: tuple[str, ...] = ("party_aliases", "changes")
SAVED_TABLES: tuple[str, ...] = (*TABLES, "countries", "meta")
ORDER_BY = {
    "parties": "party_id",
    "exchanges": "exchange_id",
    "import_batches": "batch_id",
    "party_aliases": "batch_id, party_id, alias_key",
    "changes": "batch_id, seq",
    "countries": "iso3",
    "meta": "key",
}
# Meta keys a restore carries over; versions and timestamps belong to the file being written.
RESTORED_META = ("is_demo", "demo_seed", "demo_rows", "created_at")


class BackupError(LedgerError):
    """A backup file that cannot be read or restored."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds (from its manifest)."""

    path: str
    exchanges: int
    parties: int
    batches: int
    schema_version: int
    content_hash: str
    created_at: str
    is_demo: bool


def backup_bytes(ledger: Path | str, *, actor: access.Actor | None = None) -> tuple[bytes, BackupInfo]:
    """The backup of ``ledger`` as the bytes of a .zip file, and its manifest: the guarded action
    ``backup`` of ``actor`` (None: the local operator), audited beside the ledger."""
    with access.guard(actor, access.Action.BACKUP, str(ledger), db=access.access_path(ledger)) as entry:
        data, info = _backup_bytes(ledger)
        entry.details = f"{info.exchanges:,} exchanges, {info.parties:,} parties, content {info.content_hash[:12]}"
    return data, info


def _backup_bytes(ledger: Path | str) -> tuple[bytes, BackupInfo]:
    con = connect_read_only(ledger)
    try:
        con.execute("SET enable_progress_bar = false")
        tables = {
            name: con.sql(f"SELECT * FROM {name} ORDER BY {ORDER_BY[name]}").to_arrow_table() for name in SAVED_TABLES
        }
        fingerprint = content_hash(con)
    except duckdb.Error as error:
        raise LedgerError(t("error.backup.failed", ledger=ledger, error=error)) from error
    finally:
        con.close()
    meta = dict(zip(tables["meta"].column("key").to_pylist(), tables["meta"].column("value").to_pylist(), strict=True))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": int(meta.get("schema_version", SCHEMA_VERSION)),
        "created_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "ledger": Path(ledger).name,
        "rows": {name: tables[name].num_rows for name in SAVED_TABLES},
        "content_hash": fingerprint,
        "is_demo": meta.get("is_demo") == "true",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        for name, table in tables.items():
            part = io.BytesIO()
            pq.write_table(table, part, compression="zstd")
            archive.writestr(f"{name}.parquet", part.getvalue())
    return buffer.getvalue(), _info(manifest, "")


def backup_ledger(ledger: Path | str, out: Path | str, *, actor: access.Actor | None = None) -> BackupInfo:
    """Write the backup of ``ledger`` to ``out`` (a .zip; the file appears whole or not at all):
    the guarded action ``backup`` of ``actor`` (None: the local operator), audited beside the ledger."""
    out = Path(out)
    with access.guard(actor, access.Action.BACKUP, str(ledger), f"to {out}", db=access.access_path(ledger)) as entry:
        data, info = _backup_bytes(ledger)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(out, data)
        entry.details += f": {info.exchanges:,} exchanges, {info.parties:,} parties, content {info.content_hash[:12]}"
    return replace(info, path=str(out))


def _info(manifest: dict, path: str) -> BackupInfo:
    rows = manifest["rows"]
    return BackupInfo(
        path=path,
        exchanges=int(rows["exchanges"]),
        parties=int(rows["parties"]),
        batches=int(rows["import_batches"]),
        schema_version=int(manifest["schema_version"]),
        content_hash=str(manifest["content_hash"]),
        created_at=str(manifest["created_at"]),
        is_demo=bool(manifest.get("is_demo", False)),
    )


def read_backup(source: Path | str | bytes) -> tuple[dict, dict[str, pa.Table]]:
    """The manifest and tables of a backup; BackupError when it is not a readable backup."""
    name = "the backup" if isinstance(source, bytes) else str(source)
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise BackupError(t("error.backup.not_found", name=name)) from None
    try:
        with handle, zipfile.ZipFile(handle) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != FORMAT:
                raise BackupError(t("error.backup.not_a_backup", name=name, format=FORMAT))
            held = set(archive.namelist())
            tables = {
                table: pq.read_table(io.BytesIO(archive.read(f"{table}.parquet")))
                for table in (*TABLES, "meta")
                if table not in LATER_TABLES or f"{table}.parquet" in held
            }
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, pa.ArrowException, OSError) as error:
        raise BackupError(t("error.backup.unreadable", name=name, error=error)) from None
    if int(manifest.get("schema_version", 0)) > SCHEMA_VERSION:
        raise BackupError(t("error.backup.newer", name=name, found=manifest["schema_version"], expected=SCHEMA_VERSION))
    for table in TABLES:
        if table not in tables:
            if table in LATER_TABLES and table not in manifest["rows"]:
                continue
            raise BackupError(t("error.backup.unreadable", name=name, error=f"{table}.parquet"))
        expected = int(manifest["rows"][table])
        if tables[table].num_rows != expected:
            raise BackupError(
                t(
                    "error.backup.damaged",
                    name=name,
                    table=table,
                    found=number(tables[table].num_rows),
                    expected=number(expected),
                )
            )
    return manifest, tables


@dataclass(frozen=True)
class RestoreResult:
    """What a restore replaced and wrote."""

    exchanges_before: int
    info: BackupInfo


def restore_ledger(
    ledger: Path | str, source: Path | str | bytes, *, force: bool = False, actor: access.Actor | None = None
) -> RestoreResult:
    """Replace the whole content of ``ledger`` by a backup, all or nothing.

    Refuses to replace real (non-demo) exchanges unless ``force``. A missing ledger is created.
    The content hash of the result must equal the backup's, else nothing changes. The guarded
    action ``restore`` of ``actor`` (None: the local operator), audited beside the ledger.
    """
    ledger = Path(ledger)
    origin = "an uploaded backup" if isinstance(source, bytes) else f"backup {source}"
    with access.guard(
        actor, access.Action.RESTORE, str(ledger), f"from {origin}", db=access.access_path(ledger)
    ) as entry:
        done = _restore(ledger, source, force=force)
        entry.details += (
            f": {done.exchanges_before:,} exchanges replaced by {done.info.exchanges:,}, "
            f"content {done.info.content_hash[:12]}"
        )
    return done


def _restore(ledger: Path, source: Path | str | bytes, *, force: bool) -> RestoreResult:
    # The pre-flight, before the backup is read: room for the working copy and the restored rows.
    try:
        size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    except OSError:  # a missing backup is said by read_backup
        size = 0
    check_writable(ledger, extra_bytes=size)
    manifest, tables = read_backup(source)
    if not ledger.exists():
        create_ledger(ledger, demo=False)
    with write_transaction(ledger) as con:
        before, demo = con.execute(
            "SELECT (SELECT count(*) FROM exchanges), (SELECT count(*) FROM meta WHERE key = 'is_demo' AND value = 'true')"
        ).fetchall()[0]
        if before and not demo and not force:
            raise BackupError(t("error.backup.would_replace", ledger=ledger, count=number(before)))
        con.execute("SET enable_progress_bar = false")
        # Batch numbers are never reused: the replaced ledger's issued numbers stay issued.
        issued = batch_high_water(con)
        con.execute("DELETE FROM exchanges")
        restart_transaction(con)  # DuckDB deletes parents only once their children's deletion is committed
        con.execute("DELETE FROM parties")
        for name in ("import_batches", *LATER_TABLES):
            con.execute(f"DELETE FROM {name}")  # a name from the fixed tuple above
        for name in TABLES:
            if name in tables:
                _insert(con, name, tables[name])
        meta = dict(
            zip(tables["meta"].column("key").to_pylist(), tables["meta"].column("value").to_pylist(), strict=True)
        )
        con.execute("DELETE FROM meta WHERE key IN (SELECT unnest(?))", [list(RESTORED_META)])
        set_meta(
            con,
            **{key: meta[key] for key in RESTORED_META if key in meta},
            restored_from=manifest.get("created_at", ""),
        )
        if "is_demo" not in meta:
            set_meta(con, is_demo="false")
        backup_issued = int(meta.get(BATCH_HIGH_WATER, 0) or 0)
        set_meta(con, **{BATCH_HIGH_WATER: max(issued, backup_issued, batch_high_water(con))})
        rebuild_counts(con)
        restored = content_hash(con)
        if restored != manifest["content_hash"]:
            raise BackupError(t("error.backup.hash", found=restored, expected=manifest["content_hash"]))
    return RestoreResult(
        exchanges_before=int(before), info=_info(manifest, "" if isinstance(source, bytes) else str(source))
    )


def _insert(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    columns = [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [name]
        ).fetchall()
    ]
    # Identifiers come from the ledger's own schema; a backup's column missing there is an error.
    unknown = [column for column in table.column_names if column not in columns]
    if unknown:
        raise BackupError(t("error.backup.unknown_columns", table=name, columns=", ".join(unknown)))
    listed = ", ".join(f'"{column}"' for column in table.column_names)
    con.register("restore_rows", table)
    try:
        con.execute(f"INSERT INTO {name} ({listed}) SELECT {listed} FROM restore_rows")
    except duckdb.Error as error:
        raise BackupError(t("error.backup.misfit", table=name, error=error)) from error
    finally:
        con.unregister("restore_rows")
