"""Imports against kills and concurrent readers, with real processes.

A ``python -m analytics import`` killed (SIGKILL) at any moment leaves the ledger exactly as it
was before or as it is after; readers (a ``LedgerReader`` thread, as the dashboard uses, and
another process) keep reading while an import runs and see either the old or the new count;
two imports at once are serialised by the write lock.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.importer import import_file
from analytics.ledger import LedgerReader, connect_read_only
from analytics.settings import PROJECT_ROOT
from tests.ledgers import fingerprint

pytestmark = pytest.mark.slow  # real processes importing and being killed

ROWS = 60_000
BASE_ROWS = [
    {"date": "1999-03", "party": "Cedar Party", "country": "NAM"},
    {"date": "2000", "party": "Harbour Forum", "country": None, "family": "international_org"},
    {"date": "2001-05-02", "party": "Elm Party", "country": "DEU", "family": "liberal"},
]


def big_csv(path: Path, rows: int, prefix: str = "Party") -> Path:
    """A valid ledger file of ``rows`` distinct exchanges (vectorised)."""
    index = np.arange(rows)
    frame = pd.DataFrame(
        {
            "date": pd.Series(pd.Timestamp("1980-01-01") + pd.to_timedelta(index % 15_000, unit="D")).dt.strftime(
                "%Y-%m-%d"
            ),
            "party": [f"{prefix} {i}" for i in index % 400],
            "country": np.array(["FRA", "BRA", "VNM", "ZAF"])[index % 4],
            "party_family": "socialist",
            "form": "working_visit",
            "direction": "inbound",
            "event_id": [f"{prefix}-ev{i}" for i in index],
        }
    )
    frame.to_csv(path, index=False)
    return path


def start_import(source: Path, ledger: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "analytics", "import", str(source), "--db", str(ledger)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def temp_files(ledger: Path) -> list[str]:
    return sorted(path.name for path in ledger.parent.glob(f".{ledger.name}.*.tmp*"))


def wait_for(process: subprocess.Popen, condition, timeout_s: float = 120.0) -> bool:
    """Poll every millisecond until ``condition()`` or the process ends; True if the condition held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.001)
    raise AssertionError("the import neither reached the moment nor ended")


@pytest.fixture
def base(make_ledger):
    return make_ledger(BASE_ROWS)


@pytest.mark.parametrize("moment", ["copying", "committing", "renaming"])
def test_killing_an_import_leaves_the_ledger_as_before_or_after(base, tmp_path, moment):
    source = big_csv(tmp_path / "big.csv", ROWS)
    before = fingerprint(base)
    after = None
    if moment == "renaming":
        twin = tmp_path / "twin" / base.name
        twin.parent.mkdir()
        shutil.copyfile(base, twin)
        import_file(source, twin)
        after = fingerprint(twin)
    process = start_import(source, base)
    if moment == "copying":
        reached = wait_for(process, lambda: bool(temp_files(base)))
    else:
        reached = wait_for(process, lambda: any(name.endswith(".wal") for name in temp_files(base)))
        if moment == "renaming":
            reached = wait_for(process, lambda: not any(name.endswith(".wal") for name in temp_files(base)))
    process.kill()
    process.wait()
    if moment != "renaming":
        assert reached, "the import ended before the moment of the kill"
        assert process.returncode == -signal.SIGKILL
        assert fingerprint(base) == before
    else:
        assert fingerprint(base) in (before, after)
    # The ledger opens, and the next writer takes the lock and clears what the killed one left.
    con = connect_read_only(base)
    try:
        assert con.execute("SELECT count(*) FROM exchanges").fetchall()[0][0] in (3, 3 + ROWS)
    finally:
        con.close()
    small = tmp_path / "small.csv"
    small.write_text("date,party,country,party_family,form,direction\n2010,Oak Party,PER,green,other,inbound\n")
    assert import_file(small, base).written
    assert temp_files(base) == []


READER_SCRIPT = """
import pathlib, sys, time
from analytics.ledger import connect_read_only
stop = pathlib.Path(sys.argv[2])
seen, reads = set(), 0
while not stop.exists() or reads == 0:
    con = connect_read_only(sys.argv[1])
    seen.add(con.execute("SELECT count(*) FROM exchanges").fetchall()[0][0])
    con.close()
    reads += 1
    time.sleep(0.01)
print(",".join(str(count) for count in sorted(seen)), reads)
"""


def test_readers_keep_reading_while_another_process_imports(base, tmp_path):
    rows = 30_000
    source = big_csv(tmp_path / "big.csv", rows)
    stop_file = tmp_path / "stop"
    other = subprocess.Popen(
        [sys.executable, "-c", READER_SCRIPT, str(base), str(stop_file)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    reader = LedgerReader(base)
    seen: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def read_loop() -> None:
        while not stop.is_set():
            try:
                seen.append(reader.connection().cursor().execute("SELECT count(*) FROM exchanges").fetchall()[0][0])
            except Exception as error:  # noqa: BLE001 - any exception is the failure this test looks for
                failures.append(repr(error))
            time.sleep(0.005)

    thread = threading.Thread(target=read_loop)
    thread.start()
    try:
        importer = start_import(source, base)
        reads_before = len(seen)
        out, err = importer.communicate(timeout=300)
        reads_during = len(seen) - reads_before
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
        stop_file.touch()
        reader.close()
    other_out, other_err = other.communicate(timeout=60)
    assert importer.returncode == 0, err
    assert out.decode() == f"Imported {rows:,} of {rows:,} rows from big.csv as batch 1 (400 new parties).\n"
    assert failures == []
    assert reads_during > 0
    assert set(seen) == {3, 3 + rows}
    assert seen == sorted(seen)  # never back to the old count once the new one was seen
    assert other.returncode == 0, other_err
    counts, reads = other_out.split()
    assert set(counts.split(",")) <= {"3", str(3 + rows)}
    assert str(3 + rows) in counts.split(",")
    assert int(reads) > 1


def test_two_imports_at_once_are_serialised(base, tmp_path):
    first = big_csv(tmp_path / "first.csv", 10_000, prefix="Alpha")
    second = big_csv(tmp_path / "second.csv", 10_000, prefix="Beta")
    processes = [start_import(first, base), start_import(second, base)]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    con = connect_read_only(base)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT batch_id) FROM exchanges").fetchall() == [(20_003, 2)]
        assert con.execute("SELECT list_sort(list(file_name)) FROM import_batches").fetchall() == [
            (["first.csv", "second.csv"],)
        ]
    finally:
        con.close()
