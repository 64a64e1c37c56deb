"""Property test of changes made by hand (hypothesis): any sequence of adds, corrections,
deletions, bulk edits, renames, merges and reclassifications, refused or not, then undone newest
first, gives back exactly the ledger before each change (content hash, parties, aliases, ids),
and the counts kept beside the exchanges stay exact after every write without a full recount."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import changes, importer, ledger, parties, records
from tests.ledgers import counts_drift, full_recounts, query

pytestmark = pytest.mark.slow  # many real writes per generated example

START = (
    "date,party,party_zh,country,party_family,party_status,form,direction,level,event_id\n"
    "2019-05-02,Fine Gael,统一党,IRL,conservative,ruling,working_visit,inbound,senior,\n"
    "2020-06,Fianna Fáil,,IRL,liberal,coalition,study_trip,outbound,working,\n"
    "2021,Fianna  Fail,,IRL,liberal,coalition,other,inbound,unknown,\n"
    "2018-03-04,Labour Party,工党,IRL,social_democratic,opposition,high_level_visit,inbound,leader,ev-1\n"
    "2018-03-04,Parti socialiste,,FRA,socialist,opposition,high_level_visit,inbound,leader,ev-1\n"
    "2022-09-10,Parti socialiste,,FRA,socialist,opposition,theoretical_discussion,inbound,senior,\n"
)
NAMES = ["Fine Gael", "fine  gael", "Labour Party", "Irish Labour Party", "Sinn Féin", "Parti socialiste"]
COUNTRIES = ["IRL", "FRA"]
FAMILIES = ["conservative", "liberal", "social_democratic", "socialist", "green"]
DATES = ["2019-05-02", "2020-06", "2021", "2023-01-15"]
FORMS = ["working_visit", "study_trip", "other"]

operations = st.one_of(
    st.tuples(
        st.just("add"),
        st.sampled_from(NAMES),
        st.sampled_from(COUNTRIES),
        st.sampled_from(FAMILIES),
        st.sampled_from(DATES),
        st.sampled_from(FORMS),
    ),
    st.tuples(st.just("edit"), st.integers(1, 9), st.sampled_from(["level", "date", "party", "party_zh", "topic"])),
    st.tuples(st.just("delete"), st.integers(1, 9)),
    st.tuples(st.just("bulk"), st.lists(st.integers(1, 9), min_size=1, max_size=3), st.sampled_from(FORMS)),
    st.tuples(st.just("rename"), st.integers(1, 7), st.sampled_from(NAMES)),
    st.tuples(st.just("merge"), st.integers(1, 7), st.integers(1, 7)),
    st.tuples(st.just("family"), st.integers(1, 7), st.sampled_from(FAMILIES)),
)


def apply(path: Path, operation: tuple) -> changes.ChangeResult:
    kind, *args = operation
    if kind == "add":
        name, country, family, date, form = args
        return records.add_record(
            path,
            {
                "party": name,
                "country": country,
                "party_family": family,
                "date": date,
                "form": form,
                "direction": "inbound",
            },
        )
    if kind == "edit":
        exchange, field = args
        value = {
            "level": "leader",
            "date": "2017-07",
            "party": "Sinn Féin",
            "party_zh": "新芬党",
            "topic": "Governance",
        }
        return records.edit_record(path, exchange, {field: value[field]})
    if kind == "delete":
        return records.delete_record(path, args[0])
    if kind == "bulk":
        ids, form = args
        return records.bulk_edit(path, ids, "form", form)
    if kind == "rename":
        return parties.rename_party(path, *args)
    if kind == "merge":
        return parties.merge_parties(path, *args)
    return parties.set_family(path, *args)


def content(path: Path) -> tuple:
    con = ledger.connect_read_only(path)
    try:
        fingerprint = ledger.content_hash(con)
    finally:
        con.close()
    return (
        fingerprint,
        query(path, "SELECT * FROM exchanges ORDER BY exchange_id"),
        query(path, "SELECT * FROM parties ORDER BY party_id"),
        query(path, "SELECT alias, alias_key, country_iso3, party_id, reason FROM party_aliases ORDER BY ALL"),
    )


@pytest.fixture(scope="module")
def start_ledger(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("changes_properties")
    path = folder / "start.duckdb"
    ledger.create_ledger(path, demo=False)
    source = folder / "start.csv"
    source.write_text(START, encoding="utf-8")
    assert importer.import_file(source, path).rows_written == 6
    return path


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, min_size=1, max_size=6))
def test_any_changes_undone_newest_first_give_back_each_ledger_before(start_ledger, tmp_path_factory, steps):
    path = tmp_path_factory.mktemp("run") / "ledger.duckdb"
    shutil.copyfile(start_ledger, path)
    done: list[tuple[int, tuple]] = []
    with full_recounts() as recounts:
        for operation in steps:
            before = content(path)
            try:
                result = apply(path, operation)
            except changes.ChangeError:
                assert content(path) == before  # a refusal changes nothing
                continue
            assert counts_drift(path) == 0, operation
            done.append((result.batch_id, before))
        for batch_id, before in reversed(done):
            importer.undo_batch(path, batch_id)
            assert content(path) == before, batch_id
            assert counts_drift(path) == 0, batch_id
    assert recounts == []  # every write counted only the groups it touched
