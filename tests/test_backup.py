"""Backup of a ledger to a zip of Parquet files and restore from it (analytics/backup.py)."""

from __future__ import annotations

import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest

from analytics import backup
from analytics.backup import BackupError, backup_bytes, backup_ledger, read_backup, restore_ledger
from analytics.importer import import_file, undo_batch
from analytics.ledger import connect_read_only, content_hash, create_ledger

pytestmark = pytest.mark.slow  # whole backups and restores of real ledgers

ROWS = [
    {
        "date": "2001-05-02",
        "party": "Dawn Party",
        "country": "FRA",
        "event_id": "ev-1",
        "delegation_size": 3,
        "topic": "=1+1",
        "source": "x'); DROP TABLE parties;--",
    },
    {"date": "2001-05", "party": "Dawn Party", "country": "FRA"},
    {"date": "1985", "party": "Harbour Forum", "country": None, "family": "international_org", "direction": "virtual"},
]


def snapshot(path):
    """Everything a restore must bring back: content hash, ids, batches and the demo flag."""
    con = connect_read_only(path)
    try:
        return {
            "hash": content_hash(con),
            "exchanges": con.execute("SELECT exchange_id, party_id, batch_id FROM exchanges ORDER BY 1").fetchall(),
            "parties": con.execute(
                "SELECT party_id, name, country_iso3, family, batch_id FROM parties ORDER BY 1"
            ).fetchall(),
            "batches": con.execute(
                "SELECT batch_id, file_name, sha256, rows_read, rows_written, rows_rejected, "
                "imported_at, imported_by, undone_at FROM import_batches ORDER BY 1"
            ).fetchall(),
            "is_demo": con.execute("SELECT value FROM meta WHERE key = 'is_demo'").fetchall(),
        }
    finally:
        con.close()


@pytest.fixture
def ledger_with_batches(make_ledger, tmp_path):
    path = make_ledger(ROWS)
    first = tmp_path / "first.csv"
    first.write_text("date,party,country,party_family,form,direction\n2010,Cedar Party,NAM,liberal,other,inbound\n")
    second = tmp_path / "second.csv"
    second.write_text("date,party,country,party_family,form,direction\n2011,Pine Party,PER,green,other,inbound\n")
    import_file(first, path, user="analyst")
    import_file(second, path, user="analyst")
    undo_batch(path, 2)
    return path


def test_backup_then_restore_into_an_empty_ledger_brings_everything_back(ledger_with_batches, tmp_path):
    original = snapshot(ledger_with_batches)
    info = backup_ledger(ledger_with_batches, tmp_path / "out" / "backup.zip")
    assert (info.exchanges, info.parties, info.batches, info.is_demo) == (4, 3, 2, False)
    assert info.content_hash == original["hash"]
    target = create_ledger(tmp_path / "target.duckdb", demo=False)
    done = restore_ledger(target, tmp_path / "out" / "backup.zip")
    assert done.exchanges_before == 0
    assert snapshot(target) == original


def test_backup_is_a_zip_of_parquet_tables_with_a_manifest(ledger_with_batches):
    data, info = backup_bytes(ledger_with_batches)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == [
            "changes.parquet",
            "countries.parquet",
            "exchanges.parquet",
            "import_batches.parquet",
            "manifest.json",
            "meta.parquet",
            "parties.parquet",
            "party_aliases.parquet",
        ]
        manifest = json.loads(archive.read("manifest.json"))
        exchanges = pq.read_table(io.BytesIO(archive.read("exchanges.parquet")))
    assert manifest["format"] == backup.FORMAT
    assert manifest["rows"]["exchanges"] == exchanges.num_rows == 4
    assert exchanges.column("topic").to_pylist()[0] == "=1+1"
    assert manifest["content_hash"] == info.content_hash


def test_restore_into_a_missing_ledger_creates_it(ledger_with_batches, tmp_path):
    data, _ = backup_bytes(ledger_with_batches)
    restore_ledger(tmp_path / "new.duckdb", data)
    assert snapshot(tmp_path / "new.duckdb") == snapshot(ledger_with_batches)


def test_restore_over_real_exchanges_needs_force(ledger_with_batches, make_ledger, tmp_path):
    data, _ = backup_bytes(ledger_with_batches)
    other = make_ledger([{"date": "1990", "party": "Elm Party", "country": "DEU"}], name="other.duckdb")
    before = snapshot(other)
    with pytest.raises(
        BackupError, match="holds 1 real exchanges that a restore would replace: back it up first, then add --force"
    ):
        restore_ledger(other, data)
    assert snapshot(other) == before
    done = restore_ledger(other, data, force=True)
    assert done.exchanges_before == 1
    assert snapshot(other) == snapshot(ledger_with_batches)


def test_restore_replaces_a_demo_ledger_without_force_and_keeps_the_demo_flag_of_the_backup(make_ledger, tmp_path):
    demo = make_ledger(ROWS[:1], name="demo.duckdb", demo=True)
    demo_backup, _ = backup_bytes(demo)
    real = make_ledger(ROWS, name="real.duckdb")
    real_backup, _ = backup_bytes(real)
    restore_ledger(demo, real_backup)
    assert snapshot(demo)["is_demo"] == [("false",)]
    target = create_ledger(tmp_path / "target.duckdb", demo=False)
    restore_ledger(target, demo_backup)
    assert snapshot(target)["is_demo"] == [("true",)]


def test_unreadable_or_damaged_backups_change_nothing(ledger_with_batches, make_ledger, tmp_path):
    target = make_ledger(ROWS[:1], name="target.duckdb", demo=True)
    before = snapshot(target)
    with pytest.raises(BackupError, match="is not a readable ledger backup"):
        restore_ledger(target, b"not a zip at all")
    with pytest.raises(BackupError, match="No backup file at"):
        restore_ledger(target, tmp_path / "missing.zip")
    data, _ = backup_bytes(ledger_with_batches)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(damaged, "w") as out:
        for name in source.namelist():
            content = source.read(name)
            if name == "manifest.json":
                manifest = json.loads(content)
                manifest["rows"]["exchanges"] = 5
                content = json.dumps(manifest).encode()
            out.writestr(name, content)
    with pytest.raises(BackupError, match="is damaged: exchanges holds 4 rows, its manifest says 5"):
        restore_ledger(target, damaged.getvalue())
    wrong_hash = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(wrong_hash, "w") as out:
        for name in source.namelist():
            content = source.read(name)
            if name == "manifest.json":
                manifest = json.loads(content)
                manifest["content_hash"] = "0" * 32
                content = json.dumps(manifest).encode()
            out.writestr(name, content)
    with pytest.raises(BackupError, match="does not match the backup's hash"):
        restore_ledger(target, wrong_hash.getvalue())
    assert snapshot(target) == before


def test_backup_of_a_newer_schema_is_refused(ledger_with_batches):
    data, _ = backup_bytes(ledger_with_batches)
    newer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(newer, "w") as out:
        for name in source.namelist():
            content = source.read(name)
            if name == "manifest.json":
                content = json.dumps({**json.loads(content), "schema_version": 99}).encode()
            out.writestr(name, content)
    with pytest.raises(BackupError, match="comes from a newer program \\(schema version 99"):
        read_backup(newer.getvalue())


def _aliases_and_changes(path):
    con = connect_read_only(path)
    try:
        return (
            con.execute("SELECT * FROM party_aliases ORDER BY batch_id, alias").fetchall(),
            con.execute("SELECT * FROM changes ORDER BY batch_id, seq").fetchall(),
            con.execute("SELECT batch_id, kind, summary FROM import_batches ORDER BY 1").fetchall(),
        )
    finally:
        con.close()


def test_changes_made_by_hand_travel_with_the_backup_and_stay_undoable(ledger_with_batches, tmp_path):
    """A rename's alias, the change log and the batch kinds come back with a restore, and the
    restored rename is undone exactly."""
    from analytics import parties

    before_rename = snapshot(ledger_with_batches)["hash"]
    con = connect_read_only(ledger_with_batches)
    cedar = con.execute("SELECT party_id FROM parties WHERE name = 'Cedar Party'").fetchall()[0][0]
    con.close()
    renamed = parties.rename_party(ledger_with_batches, cedar, "Cedar People's Party")
    original = snapshot(ledger_with_batches), _aliases_and_changes(ledger_with_batches)
    assert len(original[1][0]) == 1 and len(original[1][1]) == 2  # one alias; the party update and the alias insert
    backup_ledger(ledger_with_batches, tmp_path / "b.zip")
    target = create_ledger(tmp_path / "target.duckdb", demo=False)
    restore_ledger(target, tmp_path / "b.zip")
    assert (snapshot(target), _aliases_and_changes(target)) == original
    undo_batch(target, renamed.batch_id)
    assert snapshot(target)["hash"] == before_rename


def test_a_backup_made_before_schema_4_restores_without_aliases_or_changes(ledger_with_batches, tmp_path):
    """A backup written before the party_aliases and changes tables existed still restores: those
    tables are empty and the batches are imports."""
    data, _info = backup_bytes(ledger_with_batches)
    old = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(old, "w") as target:
        for name in source.namelist():
            if name in ("party_aliases.parquet", "changes.parquet"):
                continue
            content = source.read(name)
            if name == "manifest.json":
                manifest = json.loads(content)
                for table in ("party_aliases", "changes"):
                    del manifest["rows"][table]
                manifest["schema_version"] = 3
                content = json.dumps(manifest).encode()
            target.writestr(name, content)
    restored = create_ledger(tmp_path / "restored.duckdb", demo=False)
    restore_ledger(restored, old.getvalue())
    assert snapshot(restored) == snapshot(ledger_with_batches)
    aliases, logged, batches = _aliases_and_changes(restored)
    assert (aliases, logged) == ([], [])
    assert [kind for _id, kind, _summary in batches] == ["import", "import"]
