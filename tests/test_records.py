"""records: add, add an event, correct, delete and bulk-edit exchanges through the functions,
on the hand-written ledger ``BASE``; every number below is worked out by hand from it.

``BASE`` (defaults: FRA, socialist, ruling, working_visit, inbound, senior, source "test"):

    id  date        party (id) / country          family               status      form / direction / level               event
    1   2019-05-02  Fine Gael (1) / IRL           conservative         ruling      working_visit / inbound / senior       -
    2   2019-11     Fine Gael (1) / IRL           conservative         ruling      study_trip / outbound / working        -
    3   2020-06-01  Labour Party (2) / IRL, 工党   social_democratic    opposition  high_level_visit / inbound / leader    -
    4   2021-02-03  Labour Party (2) / IRL        social_democratic    opposition  virtual_meeting / virtual / unknown    -
    5   2021-09-09  Socialist Party (3) / FRA     socialist            ruling      multilateral_meeting / third_country   M1
    6   2021-09-09  Workers' Front (4) / KEN      national_democratic  ruling      multilateral_meeting / third_country   M1
    7   2022        Green Union (5) / BRA         green                coalition   working_visit / inbound / senior       -
    8   2018-04-04  Fine  Gael (6) / IRL          conservative         ruling      working_visit / inbound / senior       -

Per year: 2018: 1, 2019: 2, 2020: 1, 2021: 3, 2022: 1 (8 exchanges, 7 events: 5 and 6 are one).
By family: conservative 3, social_democratic 2, socialist 1, national_democratic 1, green 1.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from analytics import access, changes, importer, ledger, metrics, records
from analytics.access import Actor, Role
from analytics.filters import Filters
from tests.ledgers import build_ledger
from tests.ledgers import query as read

BASE = [
    {"date": "2019-05-02", "party": "Fine Gael", "country": "IRL", "family": "conservative"},
    {
        "date": "2019-11",
        "party": "Fine Gael",
        "country": "IRL",
        "family": "conservative",
        "form": "study_trip",
        "direction": "outbound",
        "level": "working",
    },
    {
        "date": "2020-06-01",
        "party": "Labour Party",
        "party_zh": "工党",
        "country": "IRL",
        "family": "social_democratic",
        "status": "opposition",
        "form": "high_level_visit",
        "level": "leader",
    },
    {
        "date": "2021-02-03",
        "party": "Labour Party",
        "country": "IRL",
        "family": "social_democratic",
        "status": "opposition",
        "form": "virtual_meeting",
        "direction": "virtual",
        "level": "unknown",
    },
    {
        "date": "2021-09-09",
        "party": "Socialist Party",
        "form": "multilateral_meeting",
        "direction": "third_country",
        "event_id": "M1",
    },
    {
        "date": "2021-09-09",
        "party": "Workers' Front",
        "country": "KEN",
        "family": "national_democratic",
        "form": "multilateral_meeting",
        "direction": "third_country",
        "event_id": "M1",
    },
    {"date": "2022", "party": "Green Union", "country": "BRA", "family": "green", "status": "coalition"},
    {"date": "2018-04-04", "party": "Fine  Gael", "country": "IRL", "family": "conservative"},
]

ANALYST = Actor("ana", Role.ANALYST, "web")
VIEWER = Actor("v", Role.VIEWER, "web")

# A new exchange of Fine Gael (party 1) in May 2024, in the import format.
NEW = {
    "date": "2024-05",
    "party": "Fine Gael",
    "country": "Ireland",
    "party_family": "conservative",
    "party_status": "ruling",
    "form": "working_visit",
    "direction": "inbound",
    "level": "senior",
}


# -- helpers shared with test_parties and test_changes ------------------------------------------


ORDER = {"exchanges": "exchange_id", "parties": "party_id", "party_aliases": "alias_key, party_id"}


def rows(path, table):
    return read(path, f"SELECT * FROM {table} ORDER BY {ORDER[table]}")


def _content(con):
    tables = [con.execute(f"SELECT * FROM {t} ORDER BY {o}").fetchall() for t, o in ORDER.items()]
    return (ledger.content_hash(con), *tables)


def content(path):
    """Everything an undo must put back exactly: the hash and the rows of the three tables."""
    con = ledger.connect_read_only(path)
    try:
        return _content(con)
    finally:
        con.close()


def state(path):
    """``content`` plus the ledger version: what a refused change must leave alone."""
    con = ledger.connect_read_only(path)
    try:
        return (*_content(con), ledger.get_meta(con).get("ledger_version"))
    finally:
        con.close()


def batch(path, batch_id):
    con = ledger.connect_read_only(path)
    try:
        history = importer.batch_history(con)
    finally:
        con.close()
    return history[history["batch_id"] == batch_id].iloc[0]


def logged(path, batch_id):
    """The changes of one batch: (seq, object, key, origin, before, after) with the JSON read."""
    found = read(
        path,
        "SELECT seq, object, object_key, origin_batch, before, after FROM changes WHERE batch_id = ? ORDER BY seq",
        [batch_id],
    )
    return [(s, o, k, origin, b and json.loads(b), a and json.loads(a)) for s, o, k, origin, b, a in found]


def last_audit():
    return access.audit_log().iloc[-1]


def per_year(path):
    con = ledger.connect_read_only(path)
    try:
        frame = metrics.exchanges_per_year(con, Filters(year_from=2018, year_to=2024))
    finally:
        con.close()
    return dict(zip(frame["year"], frame["exchanges"], strict=True))


def count(path, sql="SELECT count(*) FROM exchanges", params=()):
    return read(path, sql, params)[0][0]


@functools.cache
def _base_template() -> Path:
    """BASE built once per test run; each test works on a copy of the file."""
    return build_ledger(Path(tempfile.mkdtemp(prefix="records-base-")) / "base.duckdb", BASE)


def copy_base(tmp_path) -> Path:
    target = tmp_path / "ledger.duckdb"
    shutil.copyfile(_base_template(), target)
    return target


@pytest.fixture
def base(tmp_path):
    return copy_base(tmp_path)


# -- reading ---------------------------------------------------------------------------------


def test_the_base_ledger_is_as_the_table_says(base):
    assert per_year(base) == {2018: 1, 2019: 2, 2020: 1, 2021: 3, 2022: 1, 2023: 0, 2024: 0}
    assert read(base, "SELECT party_id, name FROM parties ORDER BY party_id") == [
        (1, "Fine Gael"),
        (2, "Labour Party"),
        (3, "Socialist Party"),
        (4, "Workers' Front"),
        (5, "Green Union"),
        (6, "Fine  Gael"),
    ]
    con = ledger.connect_read_only(base)
    assert not ledger.is_demo(con)
    con.close()


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        (None, [1, 2, 3, 4, 5, 6, 7, 8]),
        (Filters(year_from=1978, year_to=2030, countries=("IRL",)), [1, 2, 3, 4, 8]),
        (Filters(year_from=1978, year_to=2030, families=("socialist",)), [5]),
        (Filters(year_from=2021, year_to=2021), [4, 5, 6]),
        (Filters(year_from=1978, year_to=2030, forms=("multilateral_meeting",)), [5, 6]),
        (Filters(year_from=1978, year_to=2030, statuses=("opposition",), levels=("leader",)), [3]),
    ],
)
def test_list_records_with_filters(base, filters, ids):
    con = ledger.connect_read_only(base)
    frame = records.list_records(con, filters)
    con.close()
    assert list(frame.columns) == list(records.LIST_COLUMNS)
    assert frame["exchange_id"].tolist() == ids


def test_list_records_writes_dates_at_their_precision(base):
    con = ledger.connect_read_only(base)
    frame = records.list_records(con).set_index("exchange_id")
    con.close()
    assert frame.loc[1, "date"] == "2019-05-02"
    assert frame.loc[2, "date"] == "2019-11"
    assert frame.loc[7, "date"] == "2022"
    assert frame.loc[3, "party_zh"] == "工党"
    assert frame.loc[6, ["party", "country", "event_id"]].tolist() == ["Workers' Front", "KEN", "M1"]


# -- add ---------------------------------------------------------------------------------------


def test_add_record(base):
    before = content(base)
    result = records.add_record(base, NEW, actor=ANALYST)
    assert (result.batch_id, result.kind, result.exchange_ids, result.party_ids) == (1, "record_add", (9,), ())
    assert result.message() == "Added exchange 9 (2024-05, Fine Gael, IRL), as batch 1."
    assert per_year(base)[2024] == 1
    assert count(base) == 9
    assert count(base, "SELECT count(*) FROM exchanges WHERE party_id = 1") == 3
    assert count(base, "SELECT count(*) FROM parties") == 6
    row = batch(base, 1)
    assert (row["kind"], row["imported_by"], row["rows_written"]) == ("record_add", "ana", 1)
    assert changes.describe(row["summary"]) == "Added exchange 9 (2024-05, Fine Gael, IRL)"
    assert logged(base, 1) == [
        (
            1,
            "exchange",
            "9",
            1,
            None,
            {
                "exchange_id": 9,
                "date": "2024-05-01",
                "date_precision": "month",
                "party_id": 1,
                "party_status": "ruling",
                "form": "working_visit",
                "direction": "inbound",
                "level": "senior",
                "event_id": None,
                "delegation_size": None,
                "topic": None,
                "source": None,
                "batch_id": 1,
            },
        )
    ]
    entry = last_audit()
    assert (entry["action"], entry["outcome"], entry["user"], entry["role"]) == ("record_add", "ok", "ana", "analyst")
    assert entry["details"].startswith("batch 1")
    undone = importer.undo_batch(base, 1, actor=ANALYST)
    assert (undone.kind, undone.rows_restored) == ("record_add", 1)
    assert content(base) == before
    entry = last_audit()
    assert (entry["action"], entry["outcome"]) == ("undo", "ok")


def test_add_record_of_a_new_party_creates_it_and_undo_removes_it(base):
    before = content(base)
    values = {**NEW, "party": "Fianna Fáil", "party_zh": "共和党", "date": "2023-03-03"}
    result = records.add_record(base, values)
    assert result.party_ids == (7,)
    assert read(
        base, "SELECT party_id, name, name_zh, country_iso3, family, batch_id FROM parties WHERE party_id = 7"
    ) == [(7, "Fianna Fáil", "共和党", "IRL", "conservative", 1)]
    assert [(seq, word, key) for seq, word, key, *_ in logged(base, 1)] == [(1, "party", "7"), (2, "exchange", "9")]
    importer.undo_batch(base, 1)
    assert content(base) == before


def test_add_record_matches_the_party_name_with_case_and_spaces_folded(base):
    records.add_record(base, {**NEW, "party": "LABOUR   party", "party_family": "social_democratic"})
    assert read(base, "SELECT party_id FROM exchanges WHERE exchange_id = 9") == [(2,)]
    assert count(base, "SELECT count(*) FROM parties") == 6


def test_add_event(base):
    before = content(base)
    shared = {"date": "2023-10-10", "form": "multilateral_meeting", "direction": "third_country", "level": "senior"}
    attendees = [
        {"party": "Fine Gael", "country": "IRL", "party_family": "conservative", "party_status": "ruling"},
        {
            "party": "Nuevo Partido",
            "country": "ESP",
            "party_family": "liberal",
            "party_status": "opposition",
            "delegation_size": "3",
        },
    ]
    result = records.add_event(base, shared, attendees, actor=ANALYST)
    assert result.message() == "Added 2 exchanges of event event-1 on 2023-10-10 (exchanges 9–10), as batch 1."
    assert result.exchange_ids == (9, 10) and result.party_ids == (7,)
    assert read(
        base,
        "SELECT exchange_id, party_id, party_status, event_id, delegation_size, batch_id FROM exchanges "
        "WHERE exchange_id > 8 ORDER BY 1",
    ) == [(9, 1, "ruling", "event-1", None, 1), (10, 7, "opposition", "event-1", 3, 1)]
    assert per_year(base)[2023] == 2
    con = ledger.connect_read_only(base)
    info = ledger.ledger_info(con)
    con.close()
    assert (info.exchanges, info.events, info.parties) == (10, 8, 7)
    row = batch(base, 1)
    assert (row["kind"], row["imported_by"], row["rows_written"]) == ("record_add", "ana", 2)
    assert last_audit()["details"].startswith("batch 1: Added 2 exchanges of event event-1")
    importer.undo_batch(base, 1, actor=ANALYST)
    assert content(base) == before


def test_add_event_keeps_a_given_event_id_and_refuses_a_party_twice(base):
    shared = {"date": "2023-10-10", "form": "multilateral_meeting", "direction": "third_country", "event_id": "D17"}
    one = {"party": "Fine Gael", "country": "IRL", "party_family": "conservative", "party_status": "ruling"}
    result = records.add_event(
        base, shared, [one, {**one, "party": "Labour Party", "party_family": "social_democratic"}]
    )
    assert read(base, "SELECT DISTINCT event_id FROM exchanges WHERE batch_id = ?", [result.batch_id]) == [("D17",)]
    before = state(base)
    with pytest.raises(records.RecordError, match=r"given twice in this event \(parties 1 and 2\)"):
        records.add_event(base, {**shared, "event_id": "D18"}, [one, {**one, "party": "fine  gael"}])
    assert state(base) == before


# -- edit --------------------------------------------------------------------------------------


def test_edit_the_date_and_its_precision(base):
    before = content(base)
    result = records.edit_record(base, 2, {"date": "2020"}, actor=ANALYST)
    assert result.message() == "Corrected exchange 2 (date: 2019-11 → 2020), as batch 1."
    assert read(base, "SELECT date, date_precision FROM exchanges WHERE exchange_id = 2")[0][1] == "year"
    assert per_year(base) == {2018: 1, 2019: 1, 2020: 2, 2021: 3, 2022: 1, 2023: 0, 2024: 0}
    assert logged(base, 1) == [
        (
            1,
            "exchange",
            "2",
            None,
            {"date": "2019-11-01", "date_precision": "month"},
            {"date": "2020-01-01", "date_precision": "year"},
        )
    ]
    row = batch(base, 1)
    assert (row["kind"], row["imported_by"], row["rows_written"]) == ("record_edit", "ana", 1)
    entry = last_audit()
    assert (entry["action"], entry["outcome"], entry["details"]) == (
        "record_edit",
        "ok",
        "batch 1: Corrected exchange 2 (date: 2019-11 → 2020)",
    )
    importer.undo_batch(base, 1)
    assert content(base) == before


def test_edit_the_party_to_another_existing_party(base):
    before = content(base)
    # Exchange 1 was entered under Fine Gael (1); it belongs to the duplicate Fine  Gael (6).
    result = records.edit_record(base, 1, {"party": "Fine  Gael"}, actor=ANALYST)
    assert result.message() == "Corrected exchange 1 (party: Fine Gael → Fine  Gael), as batch 1."
    assert read(base, "SELECT party_id FROM exchanges WHERE exchange_id = 1") == [(6,)]
    assert count(base, "SELECT count(*) FROM exchanges WHERE party_id = 1") == 1
    assert count(base, "SELECT count(*) FROM exchanges WHERE party_id = 6") == 2
    assert logged(base, 1) == [(1, "exchange", "1", None, {"party_id": 1}, {"party_id": 6})]
    assert rows(base, "parties") == before[2]  # both parties stay as they were
    importer.undo_batch(base, 1, actor=ANALYST)
    assert content(base) == before


def test_edit_the_party_to_an_existing_party_of_another_family(base):
    records.edit_record(base, 4, {"party": "Fine Gael", "party_family": "conservative"})
    assert read(base, "SELECT party_id FROM exchanges WHERE exchange_id = 4") == [(1,)]
    assert count(base, "SELECT count(*) FROM exchanges WHERE party_id = 1") == 3
    assert count(base, "SELECT count(*) FROM exchanges WHERE party_id = 2") == 1
    con = ledger.connect_read_only(base)
    family = metrics.by_family(con, Filters(year_from=2018, year_to=2024)).set_index("party_family")["exchanges"]
    con.close()
    assert family.to_dict() == {
        "conservative": 4,
        "social_democratic": 1,
        "socialist": 1,
        "national_democratic": 1,
        "green": 1,
    }


def test_edit_the_party_leaves_the_other_partys_chinese_name_alone(base):
    records.edit_record(base, 4, {"party": "Fine Gael", "party_family": "conservative"})
    assert read(base, "SELECT name_zh FROM parties WHERE party_id = 1") == [(None,)]
    assert logged(base, 1) == [(1, "exchange", "4", None, {"party_id": 2}, {"party_id": 1})]


def test_edit_only_the_party_to_an_existing_party_of_another_family(base):
    records.edit_record(base, 4, {"party": "Fine Gael"})
    assert read(base, "SELECT party_id FROM exchanges WHERE exchange_id = 4") == [(1,)]


def test_edit_the_party_to_a_new_party_removes_the_old_one(base):
    before = content(base)
    result = records.edit_record(base, 7, {"party": "Partido Verde"})
    assert result.message() == "Corrected exchange 7 (party: Green Union → Partido Verde), as batch 1."
    # Green Union (5) had only exchange 7: removed; the new party takes id 7 (6 is Fine  Gael).
    assert read(base, "SELECT party_id, name, country_iso3, family FROM parties WHERE country_iso3 = 'BRA'") == [
        (7, "Partido Verde", "BRA", "green")
    ]
    assert read(base, "SELECT party_id FROM exchanges WHERE exchange_id = 7") == [(7,)]
    assert [(w, k, b is None, a is None) for _, w, k, _, b, a in logged(base, 1)] == [
        ("party", "7", True, False),
        ("exchange", "7", False, False),
        ("party", "5", False, True),
    ]
    importer.undo_batch(base, 1)
    after = content(base)
    assert after[0] == before[0] and after[1] == before[1] and after[3] == before[3]
    assert read(base, "SELECT party_id, name FROM parties WHERE party_id = 5") == [(5, "Green Union")]


def test_undo_of_an_edit_to_a_new_party_removes_the_new_party(base):
    before = content(base)
    records.edit_record(base, 7, {"party": "Partido Verde"})
    importer.undo_batch(base, 1)
    assert rows(base, "parties") == before[2]


@pytest.mark.parametrize(
    ("field", "value", "column", "stored", "words"),
    [
        ("party_status", "coalition", "party_status", "coalition", "party_status: ruling → coalition"),
        ("level", "leader", "level", "leader", "level: senior → leader"),
        ("event_id", "E9", "event_id", "E9", "event_id: — → E9"),
        ("delegation_size", "12", "delegation_size", 12, "delegation_size: — → 12"),
        ("topic", "trade and ports", "topic", "trade and ports", "topic: — → trade and ports"),
    ],
)
def test_edit_one_field(base, field, value, column, stored, words):
    before = content(base)
    result = records.edit_record(base, 1, {field: value}, actor=ANALYST)
    assert result.message() == f"Corrected exchange 1 ({words}), as batch 1."
    assert read(base, f"SELECT {column} FROM exchanges WHERE exchange_id = 1") == [(stored,)]
    (entry,) = logged(base, 1)
    assert entry[1:3] == ("exchange", "1") and entry[5] == {column: stored}
    importer.undo_batch(base, 1, actor=ANALYST)
    assert content(base) == before


def test_edit_with_nothing_new_is_refused(base):
    before = state(base)
    with pytest.raises(records.RecordError, match="Nothing to change: exchange 1 already has these values"):
        records.edit_record(base, 1, {"level": "senior"})
    assert state(base) == before


# -- delete ------------------------------------------------------------------------------------


def test_delete_record_removes_a_party_left_with_none_and_undo_brings_both_back(base):
    before = content(base)
    result = records.delete_record(base, 6, actor=ANALYST)
    assert result.message() == "Deleted exchange 6 (2021-09-09, Workers' Front, KEN), as batch 1."
    assert count(base) == 7 and per_year(base)[2021] == 2
    assert count(base, "SELECT count(*) FROM parties WHERE party_id = 4") == 0
    row = batch(base, 1)
    assert (row["kind"], row["imported_by"], row["rows_written"]) == ("record_delete", "ana", 1)
    words = [(w, k, b is None, a is None) for _, w, k, _, b, a in logged(base, 1)]
    assert words == [("exchange", "6", False, True), ("party", "4", False, True)]
    assert logged(base, 1)[1][4] == {
        "party_id": 4,
        "name": "Workers' Front",
        "name_zh": None,
        "country_iso3": "KEN",
        "family": "national_democratic",
        "batch_id": None,
    }
    entry = last_audit()
    assert (entry["action"], entry["outcome"]) == ("record_delete", "ok") and entry["details"].startswith("batch 1")
    importer.undo_batch(base, 1)
    assert content(base) == before


def imported(tmp_path, text, name="l.duckdb"):
    """A ledger made the way a user makes one: created empty, then a CSV imported (batch 1)."""
    path = tmp_path / name
    ledger.create_ledger(path, demo=False)
    source = tmp_path / f"{name}.csv"
    source.write_text(text, encoding="utf-8")
    result = importer.import_file(source, path)
    assert result.written
    return path


IMPORT_CSV = (
    "date,party,country,party_family,party_status,form,direction,level\n"
    "2019-05-02,Fine Gael,IRL,conservative,ruling,working_visit,inbound,senior\n"
    "2020-06-01,Labour Party,IRL,social_democratic,opposition,high_level_visit,inbound,leader\n"
    "2022,Green Union,BRA,green,coalition,working_visit,inbound,senior\n"
)


def test_ids_are_never_reused_after_a_delete(tmp_path):
    path = imported(tmp_path, IMPORT_CSV)  # exchanges 1-3, parties 1-3
    records.delete_record(path, 3)  # the newest exchange, and its party Green Union (3)
    result = records.add_record(path, {**NEW, "party": "Fianna Fáil"})
    assert result.exchange_ids == (4,) and result.party_ids == (4,)
    importer.undo_batch(path, 2)  # the delete: exchange 3 and party 3 back under their own ids
    assert read(path, "SELECT exchange_id, party_id FROM exchanges ORDER BY 1") == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert read(path, "SELECT name FROM parties WHERE party_id = 3") == [("Green Union",)]


def test_ids_are_never_reused_after_a_delete_on_a_ledger_written_before_schema_4(base):
    records.delete_record(base, 8)  # the newest exchange (and its party 6, Fine  Gael)
    result = records.add_record(base, {**NEW, "party": "Fianna Fáil"})
    assert result.exchange_ids == (9,) and result.party_ids == (7,)


# -- bulk edit ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "ids", "changed", "stored"),
    [
        ("event_id", "V7", [1, 2, 3], 3, "V7"),
        ("form", "study_trip", [1, 2, 3], 2, "study_trip"),  # 2 already is a study trip
        ("party_status", "opposition", [3, 4, 7], 1, "opposition"),  # 3 and 4 already are
        ("level", "working", [2, 5, 6], 2, "working"),
    ],
)
def test_bulk_edit(base, column, value, ids, changed, stored):
    before = content(base)
    result = records.bulk_edit(base, ids, column, value, actor=ANALYST)
    assert result.message() == (f"Set {column} to {value} on {changed} of {len(ids)} selected exchanges, as batch 1.")
    assert read(base, f"SELECT DISTINCT {column} FROM exchanges WHERE exchange_id IN (SELECT unnest(?))", [ids]) == [
        (stored,)
    ]
    assert len(logged(base, 1)) == changed
    row = batch(base, 1)
    assert (row["kind"], row["imported_by"], row["rows_written"]) == ("bulk_edit", "ana", changed)
    entry = last_audit()
    assert (entry["action"], entry["outcome"]) == ("bulk_edit", "ok") and entry["details"].startswith("batch 1")
    importer.undo_batch(base, 1, actor=ANALYST)
    assert content(base) == before


def test_bulk_edit_of_the_event_id_counts_events(base):
    records.bulk_edit(base, [1, 2, 8], "event_id", "V7")
    con = ledger.connect_read_only(base)
    info = ledger.ledger_info(con)
    con.close()
    assert (info.exchanges, info.events) == (8, 5)  # {1,2,8}, {5,6}, 3, 4, 7


def test_bulk_edit_that_would_make_two_exchanges_one_is_refused(make_ledger):
    path = make_ledger(
        [
            {"date": "2021-09-09", "party": "Socialist Party", "form": "multilateral_meeting", "event_id": "M1"},
            {"date": "2021-09-09", "party": "Socialist Party", "form": "multilateral_meeting", "event_id": "M2"},
        ]
    )
    before = state(path)
    with pytest.raises(records.RecordError) as caught:
        records.bulk_edit(path, [2], "event_id", "M1")
    assert str(caught.value) == (
        "Not saved: exchanges 2 and 1 would then be the same exchange (same party, date, form, direction and event id)."
    )
    assert state(path) == before


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: records.edit_record(p, 99, {"level": "leader"}), "There is no exchange 99 in the ledger"),
        (lambda p: records.delete_record(p, 99), "There is no exchange 99 in the ledger"),
        (lambda p: records.edit_record(p, "x1", {"level": "leader"}), "x1"),
        (
            lambda p: records.bulk_edit(p, [1, 99], "level", "leader"),
            "1 of the selected exchanges are not in the ledger (99)",
        ),
        (lambda p: records.add_record(p, {**NEW, "form": "visit"}), "form 'visit': not a form code"),
        (lambda p: records.add_record(p, {**NEW, "level": "boss"}), "level 'boss': not a level code"),
        (lambda p: records.add_record(p, {**NEW, "party_family": "leftist"}), "leftist"),
        (lambda p: records.add_record(p, {**NEW, "date": "2024-13-01"}), "date '2024-13-01': not a calendar date"),
        (lambda p: records.add_record(p, {**NEW, "date": "2024-02-30"}), "not a calendar date"),
        (lambda p: records.add_record(p, {**NEW, "colour": "red"}), "colour"),
        (
            lambda p: records.add_record(p, {**NEW, "party_family": "liberal"}),
            "the party is already in the ledger with family conservative",
        ),
        (lambda p: records.edit_record(p, 1, {"form": "visit"}), "form 'visit': not a form code"),
        (lambda p: records.edit_record(p, 1, {"date": "someday"}), "someday"),
        (lambda p: records.bulk_edit(p, [1, 2], "form", "visit"), "form 'visit': not a form code"),
        (lambda p: records.bulk_edit(p, [1, 2], "level", "boss"), "level 'boss': not a level code"),
        (lambda p: records.bulk_edit(p, [1, 2], "topic", "x"), "not 'topic'"),
        (lambda p: records.bulk_edit(p, [], "level", "senior"), "No exchange selected"),
        # exchange 1 is 2019-05-02, Fine Gael, working visit, inbound: the same record again
        (lambda p: records.add_record(p, {**NEW, "date": "2019-05-02"}), "already in the ledger (exchange 1"),
    ],
)
def test_bad_input_is_refused_with_its_message_and_changes_nothing(base, call, message):
    before = state(base)
    with pytest.raises(records.RecordError) as caught:
        call(base)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert state(base) == before


def test_the_same_record_added_twice_is_refused_the_second_time(base):
    records.add_record(base, NEW)
    before = state(base)
    with pytest.raises(records.RecordError, match=r"already in the ledger \(exchange 9, batch 1\)"):
        records.add_record(base, NEW)
    assert state(base) == before
    entry = last_audit()
    assert (entry["action"], entry["outcome"]) == ("record_add", "failed")


def test_a_bad_record_keeps_its_problems(base):
    with pytest.raises(records.RecordError) as caught:
        records.add_record(base, {**NEW, "form": "visit", "level": "boss"})
    problems = caught.value.problems
    assert set(problems[problems["severity"] == "error"]["column"]) == {"form", "level"}


@pytest.mark.parametrize(
    "call",
    [
        lambda p, a: records.add_record(p, NEW, actor=a),
        lambda p, a: records.add_event(
            p,
            {"date": "2023-10-10", "form": "multilateral_meeting", "direction": "third_country"},
            [{"party": "Fine Gael", "country": "IRL", "party_family": "conservative"}],
            actor=a,
        ),
        lambda p, a: records.edit_record(p, 1, {"level": "leader"}, actor=a),
        lambda p, a: records.delete_record(p, 1, actor=a),
        lambda p, a: records.bulk_edit(p, [1, 2], "level", "leader", actor=a),
    ],
)
def test_a_viewer_is_refused_and_an_analyst_may(base, call):
    before = state(base)
    with pytest.raises(access.AccessDeniedError):
        call(base, VIEWER)
    assert state(base) == before
    entry = last_audit()
    assert (entry["user"], entry["outcome"]) == ("v", "refused")
    result = call(base, ANALYST)
    assert result.batch_id == 1
    assert last_audit()["outcome"] == "ok" and batch(base, 1)["imported_by"] == "ana"


def test_the_demo_ledger_is_refused(make_ledger):
    path = make_ledger(BASE, demo=True)
    before = state(path)
    with pytest.raises(changes.ChangeError, match="holds the synthetic demo data"):
        records.add_record(path, NEW)
    with pytest.raises(changes.ChangeError):
        records.delete_record(path, 1)
    assert state(path) == before


# -- the Chinese name and the words of a correction (found in review) ------------------------------


def test_an_added_record_leaves_an_existing_partys_chinese_name_alone(tmp_path):
    """As an import does: a record of a party the ledger holds does not rename it in Chinese."""
    path = imported(
        tmp_path,
        "date,party,party_zh,country,party_family,form,direction\n2020,Labour,工党,GBR,social_democratic,other,inbound\n",
    )
    records.add_record(
        path,
        {
            "date": "2021",
            "party": "Labour",
            "party_zh": "英国工党",
            "country": "GBR",
            "party_family": "social_democratic",
            "form": "study_trip",
            "direction": "inbound",
        },
    )
    assert read(path, "SELECT name_zh FROM parties") == [("工党",)]


def test_a_correction_sets_or_clears_the_partys_chinese_name(tmp_path):
    path = imported(
        tmp_path,
        "date,party,party_zh,country,party_family,form,direction\n2020,Labour,工党,GBR,social_democratic,other,inbound\n",
    )
    done = records.edit_record(path, 1, {"party_zh": "英国工党"})
    assert read(path, "SELECT name_zh FROM parties") == [("英国工党",)]
    assert changes.describe(done.summary) == "Corrected exchange 1 (party_zh: 工党 → 英国工党)"
    records.edit_record(path, 1, {"party_zh": ""})
    assert read(path, "SELECT name_zh FROM parties") == [(None,)]


def test_a_correction_says_the_party_as_the_ledger_names_it(tmp_path):
    """A party typed with other case is found, not renamed: the summary names only the level."""
    path = imported(
        tmp_path, "date,party,country,party_family,form,direction\n2020-03,Labour,GBR,social_democratic,other,inbound\n"
    )
    done = records.edit_record(path, 1, {"party": "LABOUR", "level": "senior", "date": "2020-3"})
    assert changes.describe(done.summary) == "Corrected exchange 1 (level: unknown → senior)"
    assert read(path, "SELECT name FROM parties") == [("Labour",)]
