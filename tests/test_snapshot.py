"""The metrics run unchanged on a Parquet snapshot of the ledger (analytics/snapshot.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analytics import metrics
from analytics.filters import Filters
from analytics.ledger import connect_read_only, content_hash, get_meta, is_demo
from analytics.snapshot import SnapshotError, connect_snapshot, write_snapshot

# The options a metric needs beyond (con, filters); the others run with their defaults.
OPTIONS: dict[str, dict[str, object]] = {
    "breakdown": {"dimension": "level"},
    "cross-table": {"rows": "direction", "columns": "year"},
    "compare-periods": {"dimension": "region", "period_a": "1990-1999", "period_b": "2010-2019"},
    "co-attendance": {"min_events": 1},
}
FILTERS = {
    "default": Filters(),
    "narrow": Filters(regions=("Africa",), families=("communist", "socialist"), year_from=2000, year_to=2024),
}


@pytest.fixture(scope="module")
def snapshot_dir(demo_ledger: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("snap") / "snapshot"
    write_snapshot(demo_ledger, out)
    return out


@pytest.fixture(scope="module")
def both(demo_ledger: Path, snapshot_dir: Path):
    ledger, snap = connect_read_only(demo_ledger), connect_snapshot(snapshot_dir)
    yield ledger, snap
    ledger.close()
    snap.close()


@pytest.mark.parametrize("filters", list(FILTERS), ids=list(FILTERS))
@pytest.mark.parametrize("name", list(metrics.METRICS))
def test_every_metric_gives_the_same_frame(both, name, filters):
    ledger, snap = both
    expected = metrics.compute(ledger, name, FILTERS[filters], **OPTIONS.get(name, {}))
    got = metrics.compute(snap, name, FILTERS[filters], **OPTIONS.get(name, {}))
    pd.testing.assert_frame_equal(got, expected)
    assert len(expected) > 0  # no metric compared on an empty frame
    if name == "exchanges-per-year":
        assert expected["exchanges"].sum() > 100


def test_hash_counts_and_tables_match(both, snapshot_dir: Path):
    ledger, snap = both
    assert content_hash(snap) == content_hash(ledger)
    manifest = json.loads((snapshot_dir / "snapshot.json").read_text())
    assert manifest["content_hash"] == content_hash(ledger)
    for table in ("exchanges", "parties", "countries", "meta", "party_aliases", "import_batches"):
        count = ledger.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert snap.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == count == manifest["rows"][table]
    assert manifest["rows"]["exchanges"] > 1000
    # The exchanges view has exactly the ledger table's columns and types (the partition column dropped).
    columns = "SELECT column_name, column_type FROM (DESCRIBE {})"
    for table in ("exchanges", "parties", "exchange_rows"):
        assert snap.execute(columns.format(table)).fetchall() == ledger.execute(columns.format(table)).fetchall()
    assert get_meta(snap) == get_meta(ledger) and is_demo(snap)


def test_exchanges_partitioned_by_year(both, snapshot_dir: Path):
    ledger, _ = both
    years = [r[0] for r in ledger.execute("SELECT DISTINCT year(date) FROM exchanges ORDER BY 1").fetchall()]
    folders = sorted(p.name for p in (snapshot_dir / "exchanges").iterdir())
    assert folders == sorted(f"year={y}" for y in years)
    assert (snapshot_dir / "exchanges" / "year=2001").is_dir()
    assert list((snapshot_dir / "exchanges" / "year=2001").glob("*.parquet"))


def test_existing_folder_refused_and_nothing_left_behind(demo_ledger: Path, snapshot_dir: Path, tmp_path: Path):
    before = sorted(p.relative_to(snapshot_dir) for p in snapshot_dir.rglob("*"))
    with pytest.raises(SnapshotError, match="already exists and is not empty"):
        write_snapshot(demo_ledger, snapshot_dir)
    assert sorted(p.relative_to(snapshot_dir) for p in snapshot_dir.rglob("*")) == before
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(SnapshotError, match="already exists"):
        write_snapshot(demo_ledger, occupied)
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["occupied"]  # no temporary folder left


def test_empty_folder_taken_and_odd_path_quoted(demo_ledger: Path, tmp_path: Path):
    out = tmp_path / "it's a snapshot"
    out.mkdir()
    info = write_snapshot(demo_ledger, out)
    assert info.path == out and info.size_bytes > 0 and info.rows["exchanges"] > 0
    with connect_snapshot(out) as con:
        assert con.execute("SELECT count(*) FROM exchange_rows").fetchone()[0] == info.rows["exchanges"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["it's a snapshot"]


def test_a_folder_that_cannot_be_made_is_a_domain_error(demo_ledger: Path, tmp_path: Path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(SnapshotError, match="Could not write or read the Parquet snapshot"):
        write_snapshot(demo_ledger, tmp_path / "a-file" / "snapshot")
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_a_folder_without_snapshot_refused(tmp_path: Path):
    with pytest.raises(SnapshotError, match="holds no ledger snapshot"):
        connect_snapshot(tmp_path)
    (tmp_path / "snapshot.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(SnapshotError, match="holds no ledger snapshot"):
        connect_snapshot(tmp_path)


def test_a_snapshot_of_another_schema_refused(tmp_path: Path):
    (tmp_path / "snapshot.json").write_text(
        json.dumps({"format": "party-exchange-ledger-snapshot", "schema_version": 3})
    )
    with pytest.raises(SnapshotError, match="schema version 3; this version of the tool reads version 5"):
        connect_snapshot(tmp_path)
