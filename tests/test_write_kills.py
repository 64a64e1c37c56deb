"""Renames and merges of parties against kill -9, and two writers at once, with real processes.

A process running ``parties.rename_party`` or ``parties.merge_parties`` is killed (SIGKILL) at
chosen points inside the write, where a hook stops it (the copy made, the change logged in the
transaction, the copy checkpointed and closed, the copy renamed over the ledger), and at delays
after the write began. Each time the ledger is exactly as before or exactly as after (content hash,
parties, aliases, batches), opens, and takes the next write, which clears what the killed writer
left. A rename and an add started together both land, one after the other, as two imports do
(``tests/test_concurrency.py``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analytics import parties, records
from analytics.ledger import connect_read_only, content_hash
from analytics.settings import PROJECT_ROOT
from tests.test_concurrency import temp_files, wait_for

pytestmark = pytest.mark.slow  # real processes writing and being killed

ROWS = [
    {"date": "1999-03", "party": "Cedar Party", "country": "NAM"},
    {"date": "2003-07-01", "party": "Cedar Party", "country": "NAM", "form": "study_trip"},
    {"date": "2011-11-11", "party": "Cedar Party", "country": "NAM", "event_id": "ev-1"},
    {"date": "2001-02", "party": "Cedar Party of Namibia", "country": "NAM"},
    {"date": "2015-06-30", "party": "Cedar Party of Namibia", "country": "NAM", "direction": "outbound"},
    {"date": "2001-05-02", "party": "Elm Party", "country": "DEU", "family": "liberal"},
    {"date": "2000", "party": "Harbour Forum", "country": None, "family": "international_org"},
]
CEDAR, CEDAR_OF_NAMIBIA, ELM = 1, 2, 3
NEW_NAME = "Cedar People's Party"

# The writer: runs one operation on the ledger; a hook touches the marker file and sleeps at the
# chosen moment, where the test kills it. "start" marks the moment just before the operation
# begins; "barrier" also waits for the go file, so that two writers start together.
WRITER = """
import os, shutil, sys, time
from pathlib import Path
from analytics import changes, ledger, parties, records

path, operation, moment, marker = sys.argv[1:5]


def pause():
    Path(marker).touch()
    time.sleep(120)


def after(function, when=lambda *args: True):
    def hooked(*args, **kwargs):
        result = function(*args, **kwargs)
        if when(*args):
            pause()
        return result
    return hooked


def before(function):
    def hooked(*args, **kwargs):
        pause()
        return function(*args, **kwargs)
    return hooked


if moment == "copied":  # the private copy made, nothing done on it yet
    shutil.copyfile = after(shutil.copyfile, lambda source, *rest: str(source) == path)
elif moment == "logged":  # the change and its change log written in the copy's open transaction
    changes.ChangeLog.close = after(changes.ChangeLog.close)
elif moment == "checkpointed":  # committed, checkpointed and closed; not yet synced nor renamed
    ledger._commit_file = before(ledger._commit_file)
elif moment == "renamed":  # the copy renamed over the ledger; the folder not yet synced
    os.replace = after(os.replace, lambda source, target: str(target) == path)
if moment in ("start", "barrier"):
    Path(marker).touch()
if moment == "barrier":
    while not Path(marker + ".go").exists():
        time.sleep(0.001)
if operation == "rename":
    result = parties.rename_party(path, 1, "Cedar People's Party")
elif operation == "merge":
    result = parties.merge_parties(path, 2, 1)
else:
    result = records.add_record(path, {"date": "2024-05-02", "party": "Elm Party", "country": "DEU",
                                       "party_family": "liberal", "form": "working_visit", "direction": "inbound"})
print(result.message())
"""

OPERATIONS = {
    "rename": lambda path: parties.rename_party(path, CEDAR, NEW_NAME),
    "merge": lambda path: parties.merge_parties(path, CEDAR_OF_NAMIBIA, CEDAR),
}
# Where a hook stops the writer, and the state the ledger must then be in.
HOOKS = {"copied": "before", "logged": "before", "checkpointed": "before", "renamed": "after"}
# Kills at these delays (s) after the writer began the operation: before or after, either is right.
DELAYS = (0.05, 0.15, 0.3)


def start_writer(ledger: Path, operation: str, moment: str, marker: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(ledger), operation, moment, str(marker)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "LEDGER_LANG": "en"},
    )


def state(path: Path) -> tuple:
    """What the ledger holds, to compare: the content hash, the parties, the aliases (without the
    time they were recorded), the batches and the ledger's version."""
    con = connect_read_only(path)
    try:
        return (
            content_hash(con),
            con.execute("SELECT party_id, name, country_iso3, family FROM parties ORDER BY party_id").fetchall(),
            con.execute(
                """SELECT alias, alias_key, country_iso3, party_id, reason, first_date, last_date, batch_id
                   FROM party_aliases ORDER BY ALL"""
            ).fetchall(),
            con.execute("SELECT batch_id, kind, undone_at IS NULL FROM import_batches ORDER BY batch_id").fetchall(),
            con.execute("SELECT value FROM meta WHERE key = 'ledger_version'").fetchall(),
        )
    finally:
        con.close()


@pytest.fixture
def ledgers(make_ledger, tmp_path):
    """Factory: ledgers(operation) -> (ledger, its state before, its state after the operation);
    "after" is the state of a twin the operation ran on in this process."""

    def factory(operation: str) -> tuple[Path, tuple, tuple]:
        ledger = make_ledger(ROWS)
        twin = tmp_path / "twin" / ledger.name
        twin.parent.mkdir()
        shutil.copyfile(ledger, twin)
        OPERATIONS[operation](twin)
        before, after = state(ledger), state(twin)
        assert before != after
        return ledger, before, after

    return factory


def assert_the_next_write_works(ledger: Path) -> None:
    result = records.add_record(
        ledger,
        {
            "date": "2020-01-02",
            "party": "Elm Party",
            "country": "DEU",
            "party_family": "liberal",
            "form": "virtual_meeting",
            "direction": "virtual",
        },
    )
    assert result.exchange_ids
    assert temp_files(ledger) == []  # the next writer took the lock and cleared the killed one's copy
    con = connect_read_only(ledger)
    try:
        assert con.execute("SELECT count(*) FROM exchanges").fetchall() == [(len(ROWS) + 1,)]
    finally:
        con.close()


@pytest.mark.parametrize("moment", list(HOOKS))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_kill_at_a_point_of_the_write_leaves_the_ledger_before_or_after(ledgers, tmp_path, operation, moment):
    ledger, before, after = ledgers(operation)
    marker = tmp_path / "reached"
    writer = start_writer(ledger, operation, moment, marker)
    try:
        assert wait_for(writer, marker.exists, timeout_s=60), writer.communicate()[1]
        if moment != "renamed":
            assert temp_files(ledger), "the killed writer's copy should be there"
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert state(ledger) == {"before": before, "after": after}[HOOKS[moment]]
    assert_the_next_write_works(ledger)


@pytest.mark.parametrize("delay", DELAYS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_kill_at_any_moment_leaves_the_ledger_before_or_after(ledgers, tmp_path, operation, delay):
    ledger, before, after = ledgers(operation)
    marker = tmp_path / "started"
    writer = start_writer(ledger, operation, "start", marker)
    try:
        assert wait_for(writer, marker.exists, timeout_s=60), writer.communicate()[1]
        time.sleep(delay)
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode in (-signal.SIGKILL, 0)
    assert state(ledger) in (before, after)
    assert_the_next_write_works(ledger)


def test_a_rename_and_an_add_started_together_both_land(make_ledger, tmp_path):
    ledger = make_ledger(ROWS)
    markers = [tmp_path / "rename.ready", tmp_path / "add.ready"]
    writers = [
        start_writer(ledger, "rename", "barrier", markers[0]),
        start_writer(ledger, "add", "barrier", markers[1]),
    ]
    for writer, marker in zip(writers, markers, strict=True):
        assert wait_for(writer, marker.exists, timeout_s=60), writer.communicate()[1]
    for marker in markers:
        Path(f"{marker}.go").touch()
    outputs = [writer.communicate(timeout=120) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], outputs
    assert outputs[0][0].startswith(f"Renamed party 1 from 'Cedar Party' to '{NEW_NAME}'")
    assert outputs[1][0].startswith(f"Added exchange {len(ROWS) + 1} (2024-05-02, Elm Party, DEU)")
    con = connect_read_only(ledger)
    try:
        assert con.execute("SELECT name FROM parties WHERE party_id = ?", [CEDAR]).fetchall() == [(NEW_NAME,)]
        assert con.execute("SELECT alias, reason FROM party_aliases").fetchall() == [("Cedar Party", "renamed")]
        assert con.execute("SELECT count(*) FROM exchanges").fetchall() == [(len(ROWS) + 1,)]
        assert con.execute("SELECT list_sort(list(kind)), count(*) FROM import_batches").fetchall() == [
            (["party_rename", "record_add"], 2)
        ]
        assert con.execute("SELECT value FROM meta WHERE key = 'ledger_version'").fetchall() == [("4",)]
    finally:
        con.close()
    assert temp_files(ledger) == []
