"""The counts kept beside the exchanges (ledger schema 5, ``exchange_counts`` and
``event_parties``): their rows worked out by hand, exact after every kind of write without a full
recount, rebuilt by a migration and a restore, and every metric giving the same numbers from them
as from the exchanges one by one (on hand-built, random and demo ledgers)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from analytics import backup, bench, importer, ledger, metrics, parties, records
from analytics.filters import Filters
from tests.ledgers import build_ledger, counts_drift, full_recounts, query

CSV_HEADER = "date,party,country,party_family,party_status,form,direction,level,event_id\n"


def party_years(path: Path) -> list[tuple]:
    return query(
        path,
        """SELECT year, p.name, party_status, exchange_count, solo_count, first_date, date, date_precision
           FROM party_year_counts JOIN parties p USING (party_id) ORDER BY ALL""",
    )


def counts(path: Path) -> list[tuple]:
    return query(
        path,
        """SELECT year, p.name, party_status, form, direction, level, exchange_count, solo_count, date,
                  date_precision
           FROM exchange_counts JOIN parties p USING (party_id) ORDER BY ALL""",
    )


def test_counts_group_the_exchanges_by_year_party_status_form_direction_and_level(make_ledger):
    path = make_ledger(
        [
            {"date": "2020-03-05", "party": "A", "event_id": "ev-1"},
            {"date": "2020-07", "party": "A"},
            {"date": "2020", "party": "A", "level": "leader"},
            {"date": "2021-01-01", "party": "A"},
            {"date": "2021", "party": "A"},  # the same date as the row above, coarser
            {"date": "2020-05-05", "party": "B", "country": "KEN", "event_id": "ev-1"},
        ]
    )
    d = dt.date
    rule = ("ruling", "working_visit", "inbound")
    assert counts(path) == [
        (2020, "A", *rule, "leader", 1, 1, d(2020, 1, 1), "year"),
        (2020, "A", *rule, "senior", 2, 1, d(2020, 7, 1), "month"),
        (2020, "B", *rule, "senior", 1, 0, d(2020, 5, 5), "day"),
        # At one date the finest precision is the group's.
        (2021, "A", *rule, "senior", 2, 2, d(2021, 1, 1), "day"),
    ]
    assert party_years(path) == [
        (2020, "A", "ruling", 3, 2, d(2020, 1, 1), d(2020, 7, 1), "month"),
        (2020, "B", "ruling", 1, 0, d(2020, 5, 5), d(2020, 5, 5), "day"),
        (2021, "A", "ruling", 2, 2, d(2021, 1, 1), d(2021, 1, 1), "day"),
    ]
    events = query(
        path,
        """SELECT year, n.event_id, p.name FROM event_parties JOIN event_numbers n USING (event_no)
           JOIN parties p USING (party_id) ORDER BY 3""",
    )
    assert events == [(2020, "ev-1", "A"), (2020, "ev-1", "B")]
    assert counts_drift(path) == 0


def test_drift_sees_a_count_that_is_wrong(make_ledger):
    path = make_ledger([{"date": "2020-03-05", "party": "A"}, {"date": "2021-03-05", "party": "A"}])
    with ledger.write_transaction(path) as con:
        con.execute("UPDATE exchange_counts SET level = 'leader' WHERE year = 2021")
    # The totals still agree, so the commit kept the change: the check is what finds it.
    assert counts_drift(path) == 2  # the wrong row, and the right one that is missing


def test_a_write_that_changes_rows_without_marking_them_is_counted_in_full(make_ledger):
    path = make_ledger([{"date": "2020-03-05", "party": "A"}])
    with full_recounts() as recounts, ledger.write_transaction(path) as con:
        con.execute("DELETE FROM exchanges")
    assert recounts == [1]
    assert counts(path) == [] and counts_drift(path) == 0


def imported(path: Path, tmp_path: Path, lines: str) -> int:
    source = tmp_path / f"batch-{len(list(tmp_path.iterdir()))}.csv"
    source.write_text(CSV_HEADER + lines, encoding="utf-8")
    return importer.import_file(source, path).batch_id


def test_every_kind_of_write_keeps_the_counts_exact_by_its_own_groups(tmp_path):
    path = ledger.create_ledger(tmp_path / "ledger.duckdb", demo=False)
    with full_recounts() as recounts:
        first = imported(
            path,
            tmp_path,
            "2019-05-02,Fine Gael,IRL,conservative,ruling,working_visit,inbound,senior,\n"
            "2018-03-04,Labour Party,IRL,social_democratic,opposition,high_level_visit,inbound,leader,ev-1\n"
            "2018-03-04,Parti socialiste,FRA,socialist,opposition,high_level_visit,inbound,leader,ev-1\n"
            "2017-04-04,Parti socialiste français,FRA,socialist,ruling,other,inbound,senior,\n",
        )
        second = imported(path, tmp_path, "2022-09-10,Parti socialiste,FRA,socialist,ruling,other,outbound,senior,\n")
        added = records.add_record(
            path,
            {
                "party": "Sinn Féin",
                "country": "IRL",
                "party_family": "socialist",
                "date": "2020-06",
                "form": "other",
                "direction": "inbound",
            },
        )
        event = records.add_event(
            path,
            {"date": "2021-11-02", "form": "multilateral_meeting", "direction": "inbound"},
            [
                {"party": "Fine Gael", "country": "IRL", "party_family": "conservative"},
                {"party": "Sinn Féin", "country": "IRL", "party_family": "socialist"},
            ],
        )
        ids = [row[0] for row in query(path, "SELECT exchange_id FROM exchanges ORDER BY exchange_id")]
        writes = [
            records.edit_record(path, ids[0], {"date": "2016-02"}),  # to another year
            records.edit_record(path, ids[1], {"party": "Sinn Féin"}),  # to another party
            records.bulk_edit(path, ids[:3], "level", "working"),
            records.delete_record(path, ids[2]),
            parties.rename_party(path, 1, "Fine Gael Party"),
            parties.merge_parties(path, 4, 3),
            parties.set_family(path, 3, "green"),
        ]
        for write in writes:
            assert counts_drift(path) == 0, write.kind
        for batch in [*(w.batch_id for w in reversed(writes)), event.batch_id, added.batch_id, second]:
            importer.undo_batch(path, batch)
            assert counts_drift(path) == 0, batch
        importer.undo_batch(path, first)
        assert counts(path) == [] and counts_drift(path) == 0
    assert recounts == []


def test_a_restore_counts_the_restored_exchanges(make_ledger, tmp_path):
    source = make_ledger([{"date": "2020-03-05", "party": "A"}, {"date": "2021-03-05", "party": "B"}], name="a.duckdb")
    backup.backup_ledger(source, tmp_path / "a.zip")
    target = make_ledger([{"date": "1999-01-01", "party": "C"}], name="b.duckdb")
    backup.restore_ledger(target, tmp_path / "a.zip", force=True)
    assert [row[:2] for row in counts(target)] == [(2020, "A"), (2021, "B")]
    assert counts_drift(target) == 0


def test_a_ledger_of_schema_4_gets_its_counts_when_it_is_opened(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    ledger.migrate(con, 4)
    con.execute("INSERT INTO countries VALUES ('FRA', 'FR', '250', 'France', 'France', 'Europe', 'Western Europe')")
    con.execute("INSERT INTO parties (party_id, name, country_iso3, family) VALUES (1, 'A', 'FRA', 'socialist')")
    con.execute(
        """INSERT INTO exchanges (exchange_id, date, date_precision, party_id, party_status, form, direction, level)
           VALUES (1, DATE '2020-03-05', 'day', 1, 'ruling', 'other', 'inbound', 'senior'),
                  (2, DATE '2020-04-05', 'day', 1, 'ruling', 'other', 'inbound', 'senior')"""
    )
    con.close()
    ledger.prepare_ledger(path)
    assert counts(path) == [(2020, "A", "ruling", "other", "inbound", "senior", 2, 2, dt.date(2020, 4, 5), "day")]


# --------------------------------------------------------------------------- metrics, both ways

NARROW = Filters(regions=("Africa",), families=("communist", "socialist"), year_from=2000, year_to=2024)


def both_ways(path: Path, name: str, filters: Filters, options: dict) -> None:
    """The metric over the rows, over the full counts and as chosen ("auto": the counts by year,
    party and status where they suffice) gives one frame."""
    con = ledger.connect_read_only(path)
    try:
        frames = {}
        for way in ("rows", "counts", "auto"):
            with metrics.counting(way):
                frames[way] = metrics.METRICS[name](con, filters, **options)
    finally:
        con.close()
    assert_frame_equal(frames["counts"], frames["rows"], check_dtype=False), (name, filters)
    assert_frame_equal(frames["auto"], frames["rows"], check_dtype=False), (name, filters)


@pytest.mark.parametrize("name", sorted(metrics.METRICS))
@pytest.mark.parametrize("filters", [Filters(), NARROW], ids=["default", "narrow"])
def test_every_metric_counts_the_same_on_the_demo_ledger(demo_ledger, name, filters):
    both_ways(demo_ledger, name, filters, bench.METRIC_OPTIONS.get(name, {}))


def test_auto_counts_where_the_ledger_keeps_counts(make_ledger):
    path = make_ledger([{"date": "2020-03-05", "party": "A"}])
    con = ledger.connect_read_only(path)
    try:
        assert metrics._counting(con, Filters()) is metrics.PARTY_YEAR_COUNTS
        assert metrics._counting(con, Filters(), "country_iso3") is metrics.PARTY_YEAR_COUNTS
        assert metrics._counting(con, Filters(), "form") is metrics.COUNTS
        assert metrics._counting(con, Filters(levels=("leader",))) is metrics.COUNTS
        with metrics.counting("rows"):
            assert metrics._counting(con, Filters()) is metrics.ROWS
        bare = duckdb.connect().execute("CREATE VIEW exchange_rows AS SELECT 1")
        assert metrics._counting(bare, Filters()) is metrics.ROWS
    finally:
        con.close()


def test_an_unknown_way_of_counting_is_refused():
    with pytest.raises(metrics.MetricError, match="'sampled'.*auto, rows, counts"):
        with metrics.counting("sampled"):
            pass


ROW = st.fixed_dictionaries(
    {
        "date": st.sampled_from(["2016-02-03", "2017", "2018-06", "2019-01-01", "2019", "2020-12-31", "2021-05"]),
        "party": st.sampled_from(["A", "B", "C", "D"]),
        "country": st.sampled_from(["FRA", "KEN", "BRA"]),
        "status": st.sampled_from(["ruling", "opposition", "coalition"]),
        "form": st.sampled_from(["working_visit", "multilateral_meeting", "study_trip"]),
        "direction": st.sampled_from(["inbound", "outbound"]),
        "level": st.sampled_from(["leader", "senior", "working"]),
        "event_id": st.sampled_from([None, None, "ev-1", "ev-2"]),
    }
)
FILTERS = st.builds(
    Filters,
    year_from=st.sampled_from([None, 2017, 2019]),
    year_to=st.sampled_from([None, 2019, 2021]),
    regions=st.sampled_from([(), ("Africa",), ("Europe", "Latin America and the Caribbean")]),
    statuses=st.sampled_from([(), ("ruling",)]),
    forms=st.sampled_from([(), ("multilateral_meeting",)]),
    levels=st.sampled_from([(), ("leader", "senior")]),
    party=st.sampled_from([None, "A"]),
)


@pytest.mark.slow  # twenty metrics, both ways, on each generated ledger
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=14), filters=FILTERS)
def test_every_metric_counts_the_same_on_random_ledgers(tmp_path_factory, rows, filters):
    for row in rows:  # a party keeps one country and family, as the ledger requires
        row["country"] = {"A": "FRA", "B": "KEN", "C": "BRA", "D": "FRA"}[row["party"]]
    if filters.year_from and filters.year_to and filters.year_from > filters.year_to:
        filters = filters.with_years(filters.year_to, filters.year_from)
    path = build_ledger(tmp_path_factory.mktemp("random") / "ledger.duckdb", rows)
    for name in metrics.METRICS:
        both_ways(path, name, filters, bench.METRIC_OPTIONS.get(name, {}))
