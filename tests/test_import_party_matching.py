"""The importer finds a row's party after folding case and runs of spaces, and through the
party's aliases (``crosscheck.resolve_parties``): one party where the name is written twice
ways, a warning (not an error) on each row matched so, and the family and duplicate checks
acting on the party found."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics import cli
from analytics.importer import import_file, resolve_parties, undo_batch
from analytics.ledger import connect_read_only, create_ledger, write_transaction
from analytics.names import match_key
from tests.ledgers import query

HEADER = "date,party,country,party_family,form,direction"


def csv(tmp_path, name: str, *rows: str):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def ledger(tmp_path):
    return create_ledger(tmp_path / "ledger.duckdb", demo=False)


def problems(result) -> list[tuple[int, str, str, str, str, str]]:
    return list(result.problems.itertuples(index=False, name=None))


def test_a_second_file_with_case_and_two_spaces_lands_on_the_party_with_a_warning(tmp_path, ledger):
    first = import_file(csv(tmp_path, "a.csv", "2001-05-02,Fianna Fáil,IRL,conservative,working_visit,inbound"), ledger)
    assert (first.rows_written, first.new_parties, first.problems.empty) == (1, 1, True)
    second = import_file(csv(tmp_path, "b.csv", "2003-07-01,fianna  fáil,IRL,conservative,study_trip,outbound"), ledger)
    assert second.written and second.complete
    assert (second.rows_written, second.new_parties, second.rows_rejected) == (1, 0, 0)
    assert problems(second) == [
        (
            2,
            "party",
            "fianna  fáil",
            "matched to party 1 'Fianna Fáil' (the same name once case and spaces are ignored)",
            "Fianna Fáil",
            "warning",
        )
    ]
    assert second.errors.empty
    assert query(ledger, "SELECT party_id, name, country_iso3 FROM parties") == [(1, "Fianna Fáil", "IRL")]
    assert query(ledger, "SELECT party_id, count(*) FROM exchanges GROUP BY party_id") == [(1, 2)]


def test_two_spellings_in_one_file_make_one_party_named_by_the_first(tmp_path, ledger):
    result = import_file(
        csv(
            tmp_path,
            "sf.csv",
            "2001,Sinn Féin,IRL,socialist,working_visit,inbound",
            "2002,Sinn  Féin,IRL,socialist,working_visit,inbound",
            "2003,Sinn Féin,IRL,socialist,working_visit,inbound",
        ),
        ledger,
    )
    assert (result.rows_written, result.new_parties) == (3, 1)
    assert problems(result) == [
        (
            3,
            "party",
            "Sinn  Féin",
            "counted as the new party 'Sinn Féin' (spelled so earlier in this file; case and spaces are ignored)",
            "Sinn Féin",
            "warning",
        )
    ]
    assert query(ledger, "SELECT party_id, name FROM parties") == [(1, "Sinn Féin")]
    assert query(ledger, "SELECT count(*) FROM exchanges WHERE party_id = 1") == [(3,)]


def test_the_same_name_in_two_countries_is_two_parties(tmp_path, ledger):
    result = import_file(
        csv(
            tmp_path,
            "two.csv",
            "2001,Labour Party,IRL,social_democratic,working_visit,inbound",
            "2001,labour party,GBR,social_democratic,working_visit,inbound",
        ),
        ledger,
    )
    assert (result.rows_written, result.new_parties, result.problems.empty) == (2, 2, True)
    assert query(ledger, "SELECT party_id, name, country_iso3 FROM parties ORDER BY party_id") == [
        (1, "Labour Party", "IRL"),
        (2, "labour party", "GBR"),
    ]
    # And a later row of one of them stays in its own country.
    later = import_file(csv(tmp_path, "gb.csv", "2005,LABOUR  PARTY,GBR,social_democratic,study_trip,inbound"), ledger)
    assert later.new_parties == 0
    assert later.problems["reason"].tolist() == [
        "matched to party 2 'labour party' (the same name once case and spaces are ignored)"
    ]
    assert query(ledger, "SELECT party_id, count(*) FROM exchanges GROUP BY party_id ORDER BY party_id") == [
        (1, 1),
        (2, 2),
    ]


def add_alias(ledger, alias: str, party_id: int, reason: str, country: str | None = "FRA") -> None:
    with write_transaction(ledger) as con:
        con.execute(
            """INSERT INTO party_aliases (alias, alias_key, country_iso3, party_id, reason, recorded_at, batch_id)
               VALUES (?, ?, ?, ?, ?, ?, 99)""",
            [alias, match_key(alias), country, party_id, reason, dt.datetime(2026, 1, 1)],
        )


@pytest.mark.parametrize(
    ("reason", "said"),
    [("renamed", "a former name of that party"), ("merged", "the name of a party merged into it")],
)
def test_a_row_under_an_alias_lands_on_its_party_with_a_warning(tmp_path, make_ledger, reason, said):
    ledger = make_ledger([{"date": "2000", "party": "New Name"}, {"date": "2000", "party": "Other Party"}])
    add_alias(ledger, "Old Name", 1, reason)
    result = import_file(csv(tmp_path, "old.csv", "2004,old  name,FRA,socialist,working_visit,inbound"), ledger)
    assert (result.rows_written, result.new_parties) == (1, 0)
    assert problems(result) == [
        (2, "party", "old  name", f"matched to party 1 'New Name' ({said})", "New Name", "warning")
    ]
    assert query(ledger, "SELECT party_id, count(*) FROM exchanges GROUP BY party_id ORDER BY party_id") == [
        (1, 2),
        (2, 1),
    ]
    assert query(ledger, "SELECT count(*) FROM parties") == [(2,)]


def test_an_alias_of_a_party_that_is_gone_or_of_another_country_is_not_used(tmp_path, make_ledger):
    ledger = make_ledger([{"date": "2000", "party": "New Name"}])
    add_alias(ledger, "Old Name", 7, "merged")  # party 7 does not exist
    add_alias(ledger, "Elder Name", 1, "renamed", country="DEU")
    result = import_file(
        csv(
            tmp_path,
            "gone.csv",
            "2004,Old Name,FRA,socialist,working_visit,inbound",
            "2004,Elder Name,FRA,socialist,working_visit,inbound",
        ),
        ledger,
    )
    assert (result.rows_written, result.new_parties, result.problems.empty) == (2, 2, True)
    assert query(ledger, "SELECT party_id, name FROM parties ORDER BY party_id") == [
        (1, "New Name"),
        (2, "Old Name"),
        (3, "Elder Name"),
    ]


def test_the_family_check_acts_through_folding(tmp_path, make_ledger):
    ledger = make_ledger([{"date": "2000", "party": "Dawn Party", "family": "socialist"}])
    result = import_file(csv(tmp_path, "f.csv", "2004,DAWN party,FRA,liberal,working_visit,inbound"), ledger)
    assert not result.written
    assert [(row, column, severity) for row, column, _, _, _, severity in problems(result)] == [
        (2, "party", "warning"),
        (2, "party_family", "error"),
    ]
    assert result.errors["reason"].tolist() == ["the party is already in the ledger with family socialist"]


def test_the_duplicate_check_acts_through_folding(tmp_path, make_ledger):
    ledger = make_ledger([{"date": "2000-03-04", "party": "Dawn Party"}])
    result = import_file(csv(tmp_path, "d.csv", "2000-03-04,dawn  party,FRA,socialist,working_visit,inbound"), ledger)
    assert not result.written
    assert result.errors[["row", "column", "reason"]].values.tolist() == [
        [2, "(row)", "already in the ledger (exchange 1, batch none)"]
    ]
    assert query(ledger, "SELECT count(*) FROM exchanges") == [(1,)]


def test_spellings_of_one_party_in_one_file_share_the_in_file_checks(tmp_path, ledger):
    result = import_file(
        csv(
            tmp_path,
            "in.csv",
            "2001,Oak Party,DEU,liberal,working_visit,inbound",
            "2001,oak party,DEU,liberal,working_visit,inbound",
            "2002,OAK PARTY,DEU,green,working_visit,inbound",
        ),
        ledger,
    )
    assert not result.written
    assert result.errors[["row", "column"]].values.tolist() == [
        [2, "party_family"],
        [3, "(row)"],
        [3, "party_family"],
        [4, "party_family"],
    ]


def test_two_ledger_parties_of_one_match_key_prefer_the_exact_name_else_the_lowest_id(make_ledger):
    ledger = make_ledger([{"date": "2000", "party": "Green  Party"}, {"date": "2000", "party": "green party"}])
    frame = pd.DataFrame(
        {"party": ["green party", "GREEN PARTY", "Green  Party", None], "country_iso3": ["FRA", "FRA", "FRA", "FRA"]},
        index=[10, 11, 12, 13],
    )
    con = connect_read_only(ledger)
    try:
        found = resolve_parties(frame, con)
    finally:
        con.close()
    assert list(found.index) == [10, 11, 12, 13]
    assert found["party_id"].tolist()[:3] == [2, 1, 1]
    assert pd.isna(found["party_id"].iloc[3])
    assert found["how"].tolist() == ["exact", "folded", "exact", None]
    assert found["others"].tolist() == [0, 1, 0, 0]
    assert found["ledger_name"].tolist()[:3] == ["green party", "Green  Party", "Green  Party"]


def test_an_ambiguous_folded_match_says_which_party_was_taken(tmp_path, make_ledger):
    ledger = make_ledger([{"date": "2000", "party": "Green  Party"}, {"date": "2000", "party": "green party"}])
    result = import_file(csv(tmp_path, "g.csv", "2004,GREEN PARTY,FRA,socialist,working_visit,inbound"), ledger)
    assert result.written
    assert result.problems["reason"].tolist() == [
        "matched to party 1 'Green  Party' (the same name once case and spaces are ignored); 1 more parties "
        "of that country have this name, the one with the lowest number was taken"
    ]


def test_an_international_organisation_is_matched_without_a_country(tmp_path, ledger):
    import_file(csv(tmp_path, "i1.csv", "1985,Harbour Forum,,international_org,other,virtual"), ledger)
    result = import_file(csv(tmp_path, "i2.csv", "1986,harbour forum,,international_org,other,virtual"), ledger)
    assert result.new_parties == 0
    assert result.problems["severity"].tolist() == ["warning"]
    assert query(ledger, "SELECT party_id, country_iso3, count(*) OVER () FROM parties") == [(1, None, 1)]


def test_undo_removes_exactly_the_batch_and_no_existing_party(tmp_path, make_ledger):
    ledger = make_ledger([{"date": "2000", "party": "Dawn Party"}])
    result = import_file(
        csv(
            tmp_path,
            "u.csv",
            "2004,dawn  party,FRA,socialist,working_visit,inbound",
            "2005,Elm Party,FRA,socialist,working_visit,inbound",
        ),
        ledger,
    )
    assert (result.rows_written, result.new_parties) == (2, 1)
    undone = undo_batch(ledger, result.batch_id)
    assert (undone.exchanges_removed, undone.parties_removed) == (2, 1)
    assert query(ledger, "SELECT exchange_id, party_id FROM exchanges") == [(1, 1)]
    assert query(ledger, "SELECT party_id, name FROM parties") == [(1, "Dawn Party")]


@pytest.mark.slow
def test_the_cli_prints_the_warning_on_stderr_and_exits_0(tmp_path, capsys, ledger):
    first = csv(tmp_path, "a.csv", "2001,Fianna Fáil,IRL,conservative,working_visit,inbound")
    second = csv(tmp_path, "b.csv", "2002,fianna  fáil,IRL,conservative,working_visit,inbound")
    assert cli.main(["import", str(first), "--db", str(ledger)]) == 0
    capsys.readouterr()
    assert cli.main(["import", str(second), "--db", str(ledger)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "Imported 1 of 1 rows from b.csv as batch 2 (0 new parties).\n"
    assert captured.err == (
        "warning: row 2, party 'fianna  fáil': matched to party 1 'Fianna Fáil' (the same name once case and "
        "spaces are ignored)\n"
    )
