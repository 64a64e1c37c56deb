"""changes and undo: change batches played back exactly, in order only, an import's undo refused
while a later change touched its rows, who may undo what; on ``tests.test_records.BASE`` and on
ledgers made by importing a small CSV."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics import access, changes, importer, ledger, parties, records
from analytics.access import Actor, Role
from tests.test_records import (
    ANALYST,
    IMPORT_CSV,
    NEW,
    VIEWER,
    batch,
    content,
    copy_base,
    imported,
    last_audit,
    read,
    state,
)

ADMIN = Actor("root", Role.ADMIN, "web")


@pytest.fixture
def base(tmp_path):
    return copy_base(tmp_path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        (pd.NaT, None),
        (dt.date(2020, 6, 1), "2020-06-01"),
        (dt.datetime(2020, 6, 1, 12, 30, 5), "2020-06-01 12:30:05"),
        (pd.Timestamp("2020-06-01 12:30:05"), "2020-06-01 12:30:05"),
        (np.int64(7), 7),
        ("工党", "工党"),
    ],
)
def test_plain(value, expected):
    got = changes.plain(value)
    assert got == expected and type(got) is type(expected)


def test_undo_twice_is_refused(base):
    before = content(base)
    records.edit_record(base, 1, {"level": "leader"})
    importer.undo_batch(base, 1)
    assert content(base) == before
    undone = state(base)
    with pytest.raises(importer.BatchError, match="already undone"):
        importer.undo_batch(base, 1)
    assert state(base) == undone
    assert not pd.isna(batch(base, 1)["undone_at"])


def test_undo_of_an_unknown_batch_is_refused(base):
    before = state(base)
    with pytest.raises(importer.BatchError, match="no batch 9"):
        importer.undo_batch(base, 9)
    assert state(base) == before


def test_undo_out_of_order_is_refused_then_allowed(base):
    original = content(base)
    records.edit_record(base, 1, {"level": "leader"})  # batch 1
    after_one = content(base)
    records.bulk_edit(base, [1, 2], "level", "unknown")  # batch 2 changes exchange 1 again
    before = state(base)
    with pytest.raises(changes.UndoConflictError) as caught:
        importer.undo_batch(base, 1)
    message = str(caught.value)
    assert "batch 2" in message and "exchange" in message and "\n" not in message
    assert state(base) == before
    entry = last_audit()
    assert (entry["action"], entry["outcome"]) == ("undo", "failed")
    importer.undo_batch(base, 2)
    assert content(base) == after_one
    importer.undo_batch(base, 1)
    assert content(base) == original


def test_undo_of_a_rename_refused_while_a_merge_used_the_party(base):
    original = content(base)
    parties.rename_party(base, 6, "Fine Gael (duplicate)")  # batch 1
    parties.merge_parties(base, 6, 1)  # batch 2 removes party 6
    before = state(base)
    with pytest.raises(changes.UndoConflictError, match="batch 2"):
        importer.undo_batch(base, 1)
    assert state(base) == before
    importer.undo_batch(base, 2)
    importer.undo_batch(base, 1)
    assert content(base) == original


def test_an_unrelated_later_batch_does_not_block_an_undo(base):
    records.edit_record(base, 1, {"level": "leader"})  # batch 1
    records.edit_record(base, 3, {"level": "senior"})  # batch 2, another row
    importer.undo_batch(base, 1)
    assert read(base, "SELECT exchange_id, level FROM exchanges WHERE exchange_id IN (1, 3) ORDER BY 1") == [
        (1, "senior"),
        (3, "senior"),
    ]


def test_undo_result_of_a_change(base):
    records.bulk_edit(base, [1, 2, 3], "event_id", "V7")
    undone = importer.undo_batch(base, 1)
    assert (undone.batch_id, undone.kind, undone.rows_restored, undone.exchanges_removed) == (1, "bulk_edit", 3, 0)
    assert changes.describe(undone.summary) == "Set event_id to V7 on 3 of 3 selected exchanges"
    entry = last_audit()
    assert (entry["action"], entry["outcome"]) == ("undo", "ok")
    assert entry["details"] == "bulk_edit: Set event_id to V7 on 3 of 3 selected exchanges; 3 rows set back"


# -- imports -----------------------------------------------------------------------------------


def test_undo_of_an_import_refused_while_a_later_change_touched_its_rows(tmp_path):
    path = imported(tmp_path, IMPORT_CSV)  # batch 1: exchanges 1-3, parties 1-3
    records.edit_record(path, 2, {"level": "working"})  # batch 2
    before = state(path)
    with pytest.raises(changes.UndoConflictError) as caught:
        importer.undo_batch(path, 1)
    assert "batch 2" in str(caught.value)
    assert state(path) == before
    importer.undo_batch(path, 2)
    done = importer.undo_batch(path, 1)
    assert (done.exchanges_removed, done.parties_removed) == (3, 3)
    assert read(path, "SELECT count(*) FROM exchanges")[0][0] == 0


def test_undo_of_an_import_refused_while_a_later_rename_touched_its_party(tmp_path):
    path = imported(tmp_path, IMPORT_CSV)
    parties.rename_party(path, 3, "Partido Verde")  # batch 2
    before = state(path)
    with pytest.raises(changes.UndoConflictError, match="batch 2"):
        importer.undo_batch(path, 1)
    assert state(path) == before


def test_undo_of_an_import_allowed_beside_a_later_change_of_other_rows(tmp_path):
    path = imported(tmp_path, IMPORT_CSV)
    records.add_record(path, NEW)  # batch 2: exchange 4 of Fine Gael (1), an imported party
    done = importer.undo_batch(path, 1)
    # Exchanges 1-3 go; Labour Party and Green Union go, Fine Gael keeps exchange 4.
    assert (done.exchanges_removed, done.parties_removed) == (3, 2)
    assert read(path, "SELECT exchange_id, party_id FROM exchanges") == [(4, 1)]
    assert read(path, "SELECT party_id, name FROM parties") == [(1, "Fine Gael")]


def test_an_analyst_may_undo_a_change_but_not_an_import(tmp_path):
    path = imported(tmp_path, IMPORT_CSV)
    original = content(path)
    records.edit_record(path, 1, {"level": "leader"}, actor=ANALYST)  # batch 2
    importer.undo_batch(path, 2, actor=ANALYST)
    assert content(path) == original
    assert last_audit()["outcome"] == "ok"
    before = state(path)
    with pytest.raises(access.AccessDeniedError):
        importer.undo_batch(path, 1, actor=ANALYST)
    assert state(path) == before
    entry = last_audit()
    assert (entry["user"], entry["action"], entry["outcome"]) == ("ana", "undo", "refused")
    assert importer.undo_batch(path, 1, actor=ADMIN).exchanges_removed == 3


def test_a_viewer_may_not_undo_a_change(base):
    records.edit_record(base, 1, {"level": "leader"})
    before = state(base)
    with pytest.raises(access.AccessDeniedError):
        importer.undo_batch(base, 1, actor=VIEWER)
    assert state(base) == before
    assert (last_audit()["user"], last_audit()["outcome"]) == ("v", "refused")


# -- the change log itself ---------------------------------------------------------------------


def test_a_change_batch_may_not_be_an_import(base):
    before = state(base)
    with pytest.raises(changes.ChangeError), ledger.write_transaction(base) as con:
        changes.open_batch(con, "import", "x")
    with pytest.raises(changes.ChangeError), ledger.write_transaction(base) as con:
        changes.open_batch(con, "record_frobnicate", "x")
    assert state(base) == before


def test_a_change_batch_with_no_change_is_not_recorded(base):
    before = state(base)
    with pytest.raises(changes.ChangeError), ledger.write_transaction(base) as con:
        log = changes.open_batch(con, "record_edit", "x")
        log.close(changes.summary("record_edit", exchange=1, fields=""), 0)
    assert state(base) == before


def test_the_summary_is_worded_in_either_language(base):
    result = parties.set_family(base, 3, "green")
    english = changes.describe(result.summary, "en")
    chinese = changes.describe(result.summary, "zh")
    assert english == "Set the family of party 3 ('Socialist Party') to green (was socialist; exchanges: 1)"
    assert chinese != english and "Socialist Party" in chinese and "3" in chinese
    assert changes.describe(None) == "" and changes.describe("") == ""


def test_batch_numbers_are_shared_with_imports_and_never_reused(tmp_path):
    path = imported(tmp_path, IMPORT_CSV)  # batch 1
    first = records.edit_record(path, 1, {"level": "leader"})
    assert first.batch_id == 2
    importer.undo_batch(path, 2)
    assert records.edit_record(path, 1, {"level": "working"}).batch_id == 3


# -- undo against what happened since (found in review) ------------------------------------------

GBR = {"country": "GBR", "party_family": "social_democratic", "form": "working_visit", "direction": "inbound"}


def test_renames_by_case_then_by_name_undo_one_by_one(tmp_path):
    """'Labour' -> 'LABOUR' adds no alias (the importer finds the party by its folded name), so a
    second rename's alias is the only row under that key, and both undos are exact."""
    path = imported(
        tmp_path, "date,party,country,party_family,form,direction\n2020,Labour,GBR,social_democratic,other,inbound\n"
    )
    start = content(path)
    parties.rename_party(path, 1, "LABOUR")  # batch 2
    assert read(path, "SELECT count(*) FROM party_aliases") == [(0,)]
    middle = content(path)
    parties.rename_party(path, 1, "Labour Party")  # batch 3
    assert read(path, "SELECT alias, alias_key FROM party_aliases") == [("LABOUR", "labour")]
    importer.undo_batch(path, 3)
    assert content(path) == middle
    importer.undo_batch(path, 2)
    assert content(path) == start


def test_undo_of_a_delete_refused_when_the_party_name_is_taken_again(tmp_path):
    """Add 'Foo' (a new party), delete it (the party goes too), add 'Foo' again (a new party):
    undoing the delete would give two parties one name, so it is refused by name."""
    path = imported(tmp_path, IMPORT_CSV)
    added = records.add_record(path, {**GBR, "date": "2020-01-05", "party": "Foo"})
    deleted = records.delete_record(path, added.exchange_ids[0])
    records.add_record(path, {**GBR, "date": "2021-01-05", "party": "Foo"})
    before = state(path)
    with pytest.raises(changes.UndoConflictError, match=rf"party {added.party_ids[0]} would get back the name 'Foo'"):
        importer.undo_batch(path, deleted.batch_id)
    assert state(path) == before


def test_undo_of_a_delete_refused_when_it_would_double_an_exchange(tmp_path):
    """Delete an exchange of a party that keeps another, add the same exchange again: undoing
    the delete would hold it twice, so it is refused and names both."""
    path = imported(
        tmp_path,
        "date,party,country,party_family,form,direction\n"
        "2019-05-02,Fine Gael,IRL,conservative,working_visit,inbound\n"
        "2020-06-01,Fine Gael,IRL,conservative,study_trip,outbound\n",
    )
    deleted = records.delete_record(path, 1)
    again = records.add_record(
        path,
        {
            "date": "2019-05-02",
            "party": "Fine Gael",
            "country": "IRL",
            "party_family": "conservative",
            "form": "working_visit",
            "direction": "inbound",
        },
    )
    before = state(path)
    with pytest.raises(
        changes.UndoConflictError, match=rf"exchanges 1 and {again.exchange_ids[0]} would then be the same"
    ):
        importer.undo_batch(path, deleted.batch_id)
    assert state(path) == before


def test_a_change_log_naming_a_column_the_table_lacks_is_refused(tmp_path):
    """The log is data: a before value keyed by SQL (a damaged or altered file) is never run."""
    path = imported(tmp_path, IMPORT_CSV)
    done = parties.set_family(path, 1, "liberal")
    with ledger.write_transaction(path) as con:
        con.execute(
            "UPDATE changes SET before = ? WHERE batch_id = ? AND object = 'party'",
            ['{"name = \'pwned \' || version(), family": "conservative"}', done.batch_id],
        )
    before = state(path)
    with pytest.raises(changes.ChangeError, match="names a column"):
        importer.undo_batch(path, done.batch_id)
    assert state(path) == before
    assert read(path, "SELECT name FROM parties WHERE party_id = 1") == [("Fine Gael",)]
