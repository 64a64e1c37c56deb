"""parties: the list, names over time, possible duplicates, and rename, merge and reclassify
through the functions, on ``tests.test_records.BASE`` (its table is there) and a few small
hand-written ledgers below; every number is worked out by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics import access, changes, importer, ledger, metrics, parties, records
from analytics.filters import Filters
from tests.test_records import (
    ANALYST,
    BASE,
    NEW,
    VIEWER,
    batch,
    content,
    copy_base,
    count,
    imported,
    last_audit,
    logged,
    read,
    rows,
    state,
)

D = dt.date


@pytest.fixture
def base(tmp_path):
    return copy_base(tmp_path)


def _con(path):
    return ledger.connect_read_only(path)


def party_list(path, **kwargs):
    con = _con(path)
    try:
        return parties.party_list(con, **kwargs)
    finally:
        con.close()


def families(path):
    con = _con(path)
    try:
        frame = metrics.by_family(con, Filters(year_from=2018, year_to=2024))
    finally:
        con.close()
    return dict(zip(frame["party_family"], frame["exchanges"], strict=True))


# -- reading ---------------------------------------------------------------------------------


def test_party_list_counts_and_spans(base):
    frame = party_list(base)
    assert list(frame.columns) == list(parties.LIST_COLUMNS)
    got = [
        (r.party_id, r.name, r.country_iso3, r.family, r.exchanges, r.first_date, r.last_date)
        for r in frame.itertuples()
    ]
    assert got == [
        (5, "Green Union", "BRA", "green", 1, D(2022, 1, 1), D(2022, 1, 1)),
        (3, "Socialist Party", "FRA", "socialist", 1, D(2021, 9, 9), D(2021, 9, 9)),
        (6, "Fine  Gael", "IRL", "conservative", 1, D(2018, 4, 4), D(2018, 4, 4)),
        (1, "Fine Gael", "IRL", "conservative", 2, D(2019, 5, 2), D(2019, 11, 1)),
        (2, "Labour Party", "IRL", "social_democratic", 2, D(2020, 6, 1), D(2021, 2, 3)),
        (4, "Workers' Front", "KEN", "national_democratic", 1, D(2021, 9, 9), D(2021, 9, 9)),
    ]
    assert frame["former_names"].tolist() == [""] * 6
    assert frame["name_zh"].fillna("").tolist() == ["", "", "", "", "工党", ""]


@pytest.mark.parametrize(
    ("kwargs", "ids"),
    [
        ({"country": "IRL"}, [6, 1, 2]),
        ({"country": "KEN"}, [4]),
        ({"country": "CHN"}, []),
        ({"search": "FINE   gael"}, [6, 1]),  # case and runs of spaces folded
        ({"search": "工党"}, [2]),  # the Chinese name
        ({"search": "party"}, [3, 2]),
        ({"search": "party", "country": "IRL"}, [2]),
        ({"search": "  "}, [5, 3, 6, 1, 2, 4]),
    ],
)
def test_party_list_filters(base, kwargs, ids):
    assert party_list(base, **kwargs)["party_id"].tolist() == ids


def test_party_list_search_finds_former_names(base):
    parties.rename_party(base, 2, "Páirtí an Lucht Oibre")
    frame = party_list(base, search="labour")
    assert frame["party_id"].tolist() == [2]
    assert frame.iloc[0]["former_names"] == "Labour Party"
    assert party_list(base, search="PÁIRTÍ")["party_id"].tolist() == [2]


DUPLICATES = [
    {"date": "2019-01-01", "party": "Fine Gael", "country": "IRL", "family": "conservative"},
    {"date": "2019-02-02", "party": "Fine Gael", "country": "IRL", "family": "conservative"},
    {"date": "2019-03-03", "party": "Fine  Gael", "country": "IRL", "family": "conservative"},
    {"date": "2019-04-04", "party": "Fianna Fáil", "country": "IRL", "family": "conservative"},
    {"date": "2019-05-05", "party": "Fianna-Fail", "country": "IRL", "family": "conservative"},
    {"date": "2019-06-06", "party": "Partido Socialista Obrero Español", "country": "ESP"},
    {"date": "2019-07-07", "party": "Partido Socialista Obrero Espanyol", "country": "ESP"},
    {"date": "2019-08-08", "party": "PSD", "country": "PRT"},
    {"date": "2019-09-09", "party": "PSP", "country": "PRT"},
    {"date": "2019-10-10", "party": "Fine Gael", "country": "FRA"},  # same name, another country
    {"date": "2019-11-11", "party": "Parti Socialiste", "country": "FRA"},
    {"date": "2019-12-12", "party": "Parti Socialiste", "country": "BEL"},
]
# Party ids by first appearance: Fine Gael 1, Fine  Gael 2, Fianna Fáil 3, Fianna-Fail 4, PSOE 5,
# PSOE (Espanyol) 6, PSD 7, PSP 8, Fine Gael/FRA 9, Parti Socialiste/FRA 10, Parti Socialiste/BEL 11.


def test_possible_duplicates(make_ledger):
    path = make_ledger(DUPLICATES)
    con = _con(path)
    frame = parties.possible_duplicates(con)
    con.close()
    assert list(frame.columns) == list(parties.DUPLICATE_COLUMNS)
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        ("IRL", 1, "Fine Gael", 2, 2, "Fine  Gael", 1, 1.0, "same"),
        ("IRL", 3, "Fianna Fáil", 1, 4, "Fianna-Fail", 1, 1.0, "same"),
        ("ESP", 5, "Partido Socialista Obrero Español", 1, 6, "Partido Socialista Obrero Espanyol", 1, 0.984, "close"),
    ]


def test_possible_duplicates_of_one_country(make_ledger):
    path = make_ledger(DUPLICATES)
    con = _con(path)
    assert parties.possible_duplicates(con, country="ESP")["party_id"].tolist() == [5]
    assert parties.possible_duplicates(con, country="PRT").empty
    assert parties.possible_duplicates(con, country="FRA").empty
    con.close()


def test_get_party(base):
    con = _con(base)
    assert parties.get_party(con, 2) == {
        "party_id": 2,
        "name": "Labour Party",
        "name_zh": "工党",
        "country_iso3": "IRL",
        "family": "social_democratic",
        "batch_id": None,
    }
    with pytest.raises(parties.PartyError, match="There is no party 99 in the ledger"):
        parties.get_party(con, 99)
    con.close()


# -- rename ------------------------------------------------------------------------------------


def test_rename_party(base):
    before = content(base)
    result = parties.rename_party(base, 2, "Irish Labour Party", actor=ANALYST)
    assert result.message() == (
        "Renamed party 2 from 'Labour Party' to 'Irish Labour Party' (the old name is kept as an alias), as batch 1."
    )
    assert read(base, "SELECT name FROM parties WHERE party_id = 2") == [("Irish Labour Party",)]
    (alias,) = rows(base, "party_aliases")
    assert alias[:7] == ("Labour Party", "labour party", "IRL", 2, "renamed", D(2020, 6, 1), D(2021, 2, 3))
    assert alias[8] == 1
    assert content(base)[0] != before[0]  # the name is in the content hash
    row = batch(base, 1)
    assert (row["kind"], row["imported_by"], row["rows_written"]) == ("party_rename", "ana", 1)
    assert changes.describe(row["summary"]) == (
        "Renamed party 2 from 'Labour Party' to 'Irish Labour Party' (the old name is kept as an alias)"
    )
    entries = logged(base, 1)
    assert entries[0] == (1, "party", "2", None, {"name": "Labour Party"}, {"name": "Irish Labour Party"})
    assert entries[1][1:3] == ("alias", "labour party|IRL|2") and entries[1][4] is None
    entry = last_audit()
    assert (entry["action"], entry["outcome"], entry["user"]) == ("party_rename", "ok", "ana")
    assert entry["details"].startswith("batch 1")
    importer.undo_batch(base, 1, actor=ANALYST)
    assert content(base) == before


def test_rename_to_a_former_name_of_the_same_party_makes_it_the_name_again(base):
    parties.rename_party(base, 2, "Irish Labour Party")
    parties.rename_party(base, 2, "Labour Party")
    assert read(base, "SELECT name FROM parties WHERE party_id = 2") == [("Labour Party",)]
    assert read(base, "SELECT alias, party_id, reason FROM party_aliases") == [("Irish Labour Party", 2, "renamed")]


def test_the_same_name_in_another_country_is_free(base):
    parties.rename_party(base, 3, "Labour Party")  # party 3 is in FRA, Labour Party (2) in IRL
    assert read(base, "SELECT name, country_iso3 FROM parties WHERE party_id = 3") == [("Labour Party", "FRA")]


def test_rename_then_import_the_old_name_lands_on_the_same_party(base, tmp_path):
    parties.rename_party(base, 2, "Irish Labour Party")
    source = tmp_path / "later.csv"
    source.write_text(
        "date,party,country,party_family,party_status,form,direction,level\n"
        "2023-03-03,Labour Party,IRL,social_democratic,opposition,working_visit,inbound,senior\n",
        encoding="utf-8",
    )
    result = importer.import_file(source, base)
    assert result.written and result.new_parties == 0
    assert count(base, "SELECT count(*) FROM exchanges WHERE party_id = 2") == 3
    assert count(base, "SELECT count(*) FROM parties") == 6


@pytest.mark.parametrize(
    ("party", "name", "message"),
    [
        (2, "Fine Gael", "Party 1 is already named 'Fine Gael' in that country"),
        (1, "labour  PARTY", "Party 2 is already named 'Labour Party' in that country"),
        (1, "Labour\u00a0Party", "Party 2 is already named 'Labour Party' in that country"),
        (2, "Labour Party", "Party 2 is already named 'Labour Party'; nothing was changed"),
        (2, "   ", "A party's name cannot be empty"),
        (99, "Anything", "There is no party 99 in the ledger"),
        (2, "Labour\x07Party", "control characters"),
        (2, "Labour\tParty", "control characters"),
    ],
)
def test_rename_refused(base, party, name, message):
    before = state(base)
    with pytest.raises(parties.PartyError) as caught:
        parties.rename_party(base, party, name)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert state(base) == before


def test_rename_to_a_former_name_of_another_party_is_refused(base):
    parties.rename_party(base, 2, "Irish Labour Party")
    before = state(base)
    with pytest.raises(parties.PartyError, match="'LABOUR party' is a former name of party 2 in that country"):
        parties.rename_party(base, 1, "LABOUR party")
    assert state(base) == before


# -- merge -------------------------------------------------------------------------------------


def test_merge_parties(base):
    before = content(base)
    result = parties.merge_parties(base, 6, 1, actor=ANALYST)
    assert result.batch_id == 1 and result.kind == "party_merge"
    assert read(base, "SELECT exchange_id FROM exchanges WHERE party_id = 1 ORDER BY 1") == [(1,), (2,), (8,)]
    assert count(base, "SELECT count(*) FROM parties") == 5
    assert count(base, "SELECT count(*) FROM parties WHERE party_id = 6") == 0
    # 'Fine  Gael' folds to 'Fine Gael' (case and spaces): the importer finds the party by its
    # name, so no alias is added for it (an alias row is unique per folded name and party).
    assert rows(base, "party_aliases") == []
    assert families(base)["conservative"] == 3
    row = batch(base, 1)
    assert (row["kind"], row["imported_by"], row["rows_written"]) == ("party_merge", "ana", 2)
    assert "Fine  Gael" in changes.describe(row["summary"]) and "Fine Gael" in changes.describe(row["summary"])
    words = [(w, k, b is None, a is None) for _, w, k, _, b, a in logged(base, 1)]
    assert words == [
        ("exchange", "8", False, False),
        ("party", "6", False, True),
    ]
    assert logged(base, 1)[0][4:] == ({"party_id": 6}, {"party_id": 1})
    entry = last_audit()
    assert (entry["action"], entry["outcome"]) == ("party_merge", "ok") and entry["details"].startswith("batch 1")
    importer.undo_batch(base, 1, actor=ANALYST)
    assert content(base) == before


def test_merge_carries_the_former_names_and_the_chinese_name(base):
    parties.rename_party(base, 2, "Irish Labour Party")  # batch 1: alias Labour Party of 2
    parties.rename_party(base, 6, "Labour")  # batch 2: party 6 (was Fine  Gael) is now 'Labour'
    parties.merge_parties(base, 2, 6)  # batch 3
    assert read(base, "SELECT name, name_zh FROM parties WHERE party_id = 6") == [("Labour", "工党")]
    assert read(base, "SELECT alias, party_id, reason FROM party_aliases ORDER BY alias") == [
        ("Fine  Gael", 6, "renamed"),
        ("Irish Labour Party", 6, "merged"),
        ("Labour Party", 6, "renamed"),
    ]
    con = _con(base)
    names = parties.party_names(con, 6)
    con.close()
    assert names["name"].tolist() == ["Labour", "Irish Labour Party", "Fine  Gael", "Labour Party"]
    assert names["kind"].tolist() == ["current", "merged", "renamed", "renamed"]
    assert pd.to_datetime(names["first_date"]).dt.date.tolist() == [
        D(2018, 4, 4),
        D(2020, 6, 1),
        D(2018, 4, 4),
        D(2020, 6, 1),
    ]
    assert names["batch_id"].tolist()[1:] == [3, 2, 1]


def test_party_names_after_rename_and_merge(base):
    parties.rename_party(base, 1, "Fine Gael Party")  # batch 1
    parties.merge_parties(base, 6, 1)  # batch 2
    con = _con(base)
    names = parties.party_names(con, 1)
    con.close()
    assert list(names.columns) == ["name", "kind", "first_date", "last_date", "recorded_at", "batch_id"]
    got = [
        (r.name, r.kind, pd.Timestamp(r.first_date).date(), pd.Timestamp(r.last_date).date())
        for r in names.itertuples()
    ]
    assert got == [
        ("Fine Gael Party", "current", D(2018, 4, 4), D(2019, 11, 1)),
        ("Fine Gael", "renamed", D(2019, 5, 2), D(2019, 11, 1)),
    ]  # the merged 'Fine  Gael' folds to the former name 'Fine Gael': one row for both
    assert names["batch_id"].tolist()[1:] == [1]


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (1, 1, "Party 1 cannot be merged into itself"),
        (1, 3, "Party 1 (IRL) and party 3 (FRA) are in different countries"),
        (99, 1, "There is no party 99 in the ledger"),
        (1, 99, "There is no party 99 in the ledger"),
        ("one", 1, "one"),
    ],
)
def test_merge_refused(base, source, target, message):
    before = state(base)
    with pytest.raises(parties.PartyError) as caught:
        parties.merge_parties(base, source, target)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert state(base) == before


def test_merge_that_would_make_two_exchanges_one_is_refused(make_ledger):
    path = make_ledger(
        [
            {"date": "2019-05-02", "party": "Fine Gael", "country": "IRL"},
            {"date": "2019-05-02", "party": "Fine  Gael", "country": "IRL"},
        ]
    )
    before = state(path)
    with pytest.raises(parties.PartyError) as caught:
        parties.merge_parties(path, 2, 1)
    assert str(caught.value).startswith("Exchange 2 of party 2 and exchange 1 would be the same exchange")
    assert state(path) == before


def test_a_merged_partys_id_is_never_given_again(tmp_path):
    path = imported(
        tmp_path,
        "date,party,country,party_family,party_status,form,direction,level\n"
        "2019-01-01,Fianna Fáil,IRL,conservative,ruling,working_visit,inbound,senior\n"
        "2020-01-01,Green Union,BRA,green,coalition,working_visit,inbound,senior\n"
        "2021-01-01,Fianna Fail,IRL,conservative,ruling,working_visit,inbound,senior\n",
    )
    assert read(path, "SELECT party_id, name FROM parties ORDER BY 1") == [
        (1, "Fianna Fáil"),
        (2, "Green Union"),
        (3, "Fianna Fail"),
    ]
    parties.merge_parties(path, 3, 1)  # the newest party goes
    result = records.add_record(path, {**NEW, "party": "Sinn Féin", "date": "2024-06-06"})
    assert result.party_ids == (4,)


# -- set family --------------------------------------------------------------------------------


def test_set_family(base):
    before = content(base)
    result = parties.set_family(base, 3, "green", actor=ANALYST)
    assert result.message() == (
        "Set the family of party 3 ('Socialist Party') to green (was socialist; exchanges: 1), as batch 1."
    )
    assert families(base) == {"conservative": 3, "social_democratic": 2, "green": 2, "national_democratic": 1}
    assert logged(base, 1) == [(1, "party", "3", None, {"family": "socialist"}, {"family": "green"})]
    row = batch(base, 1)
    assert (row["kind"], row["imported_by"], row["rows_written"]) == ("party_family", "ana", 1)
    entry = last_audit()
    assert (entry["action"], entry["outcome"]) == ("party_family", "ok") and entry["details"].startswith("batch 1")
    importer.undo_batch(base, 1, actor=ANALYST)
    assert content(base) == before
    assert families(base)["socialist"] == 1


@pytest.mark.parametrize(
    ("party", "family", "message"),
    [
        (3, "leftist", "'leftist' is not a party family code"),
        (3, "Green", "'Green' is not a party family code"),
        (3, "socialist", "is already in the family socialist"),
        (99, "green", "There is no party 99 in the ledger"),
    ],
)
def test_set_family_refused(base, party, family, message):
    before = state(base)
    with pytest.raises(parties.PartyError) as caught:
        parties.set_family(base, party, family)
    assert message in str(caught.value)
    assert state(base) == before


def test_a_party_without_a_country_stays_an_international_organisation(make_ledger):
    path = make_ledger(
        [{"date": "2019-01-01", "party": "Left Network", "country": None, "family": "international_org"}]
    )
    before = state(path)
    with pytest.raises(parties.PartyError):
        parties.set_family(path, 1, "socialist")
    assert state(path) == before


@pytest.mark.parametrize(
    "call",
    [
        lambda p, a: parties.rename_party(p, 2, "Irish Labour Party", actor=a),
        lambda p, a: parties.merge_parties(p, 6, 1, actor=a),
        lambda p, a: parties.set_family(p, 3, "green", actor=a),
    ],
)
def test_a_viewer_is_refused_and_an_analyst_may(base, call):
    before = state(base)
    with pytest.raises(access.AccessDeniedError):
        call(base, VIEWER)
    assert state(base) == before
    entry = last_audit()
    assert (entry["user"], entry["outcome"]) == ("v", "refused")
    assert call(base, ANALYST).batch_id == 1
    assert last_audit()["outcome"] == "ok"


def test_the_demo_ledger_is_refused(make_ledger):
    path = make_ledger(BASE, demo=True)
    before = state(path)
    for call in (
        lambda: parties.rename_party(path, 2, "Irish Labour Party"),
        lambda: parties.merge_parties(path, 6, 1),
        lambda: parties.set_family(path, 3, "green"),
    ):
        with pytest.raises(changes.ChangeError):
            call()
    assert state(path) == before


def test_undo_of_a_merge_that_moved_former_names_then_of_the_renames(base):
    original = content(base)
    parties.rename_party(base, 2, "Irish Labour Party")  # batch 1
    parties.rename_party(base, 6, "Labour")  # batch 2
    after_two = content(base)
    parties.merge_parties(base, 2, 6)  # batch 3 moves alias 'Labour Party' from 2 to 6
    importer.undo_batch(base, 3)
    assert content(base) == after_two
    importer.undo_batch(base, 2)
    importer.undo_batch(base, 1)
    assert content(base) == original


def test_undo_of_a_rename_back_to_a_former_name(base):
    original = content(base)
    parties.rename_party(base, 2, "Irish Labour Party")  # batch 1
    after_one = content(base)
    parties.rename_party(base, 2, "labour party")  # batch 2: the former name again (other case)
    assert read(base, "SELECT name FROM parties WHERE party_id = 2") == [("labour party",)]
    assert read(base, "SELECT alias FROM party_aliases ORDER BY alias") == [("Irish Labour Party",)]
    importer.undo_batch(base, 2)
    assert content(base) == after_one
    importer.undo_batch(base, 1)
    assert content(base) == original


def test_a_record_typed_with_a_former_name_lands_on_the_renamed_party(base):
    parties.rename_party(base, 2, "Irish Labour Party")
    result = records.add_record(
        base, {**NEW, "party": "LABOUR  party", "party_family": "social_democratic", "date": "2023-03-03"}
    )
    assert result.party_ids == ()
    assert read(base, "SELECT party_id FROM exchanges WHERE exchange_id = 9") == [(2,)]
    assert count(base, "SELECT count(*) FROM parties") == 6
