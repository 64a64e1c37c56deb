"""The Explorer's pivot and ledger rows on a tiny ledger; every number worked out by hand.

    row  date        party / country       family       status      form           event  topic
    1    2001-03-01  Red Party / FRA        communist    ruling      working_visit  E1     100% cooperation
    2    2001-03-01  Sun Party / KEN        liberal      opposition  working_visit  E1     -
    3    2001-07-01  Red Party / FRA        communist    ruling      study_trip     -      Party_building
    4    2012-05-05  Red Party / FRA        communist    coalition   working_visit  -      Youth exchange
    5    2012-06-06  Blue League / (none)   intl org     other       working_visit  -      -

Window of ``Filters(year_from=2000)``: 2000-2012.
"""

from __future__ import annotations

import pytest

from analytics import explore
from analytics.filters import Filters
from analytics.i18n import using
from analytics.ledger import connect_read_only
from tests.ledgers import build_ledger

ROWS = [
    {"date": "2001-03-01", "party": "Red Party", "family": "communist", "event_id": "E1", "topic": "100% cooperation"},
    {
        "date": "2001-03-01",
        "party": "Sun Party",
        "country": "KEN",
        "family": "liberal",
        "status": "opposition",
        "event_id": "E1",
    },
    {
        "date": "2001-07-01",
        "party": "Red Party",
        "family": "communist",
        "form": "study_trip",
        "topic": "Party_building",
    },
    {
        "date": "2012-05-05",
        "party": "Red Party",
        "family": "communist",
        "status": "coalition",
        "topic": "Youth exchange",
    },
    {"date": "2012-06-06", "party": "Blue League", "country": None, "family": "international_org", "status": "other"},
]
SINCE_2000 = Filters(year_from=2000)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = build_ledger(tmp_path_factory.mktemp("explore") / "tiny.duckdb", ROWS)
    connection = connect_read_only(path)
    yield connection
    connection.close()


def test_pivot_long_cells_and_shares(con):
    cells = explore.pivot(con, SINCE_2000, "decade", "region", "exchanges")
    assert cells.to_dict("records") == [
        {"decade": 2000, "region": "Africa", "exchanges": 1, "share": 0.2},
        {"decade": 2000, "region": "Europe", "exchanges": 2, "share": 0.4},
        {"decade": 2010, "region": "Europe", "exchanges": 1, "share": 0.2},
        {"decade": 2010, "region": "International organisations", "exchanges": 1, "share": 0.2},
    ]


def test_pivot_table_totals_are_distinct_counts(con):
    table = explore.pivot_table(con, SINCE_2000, "country", "decade", "parties")
    # Red Party is one party in both decades: the total is 3 parties, not 2 + 2.
    assert table.loc["France"].to_dict() == {"2000s": 1, "2010s": 1, "Total": 1}
    assert table.loc["Total"].to_dict() == {"2000s": 2, "2010s": 2, "Total": 3}
    events = explore.pivot_table(con, SINCE_2000, "form", None, "events")
    # Rows 1 and 2 share event E1: 3 working-visit rows are 3 events (E1, row 4, row 5).
    assert events["Events"].to_dict() == {"Working visit": 3, "Study trip": 1, "Total": 4}


@pytest.mark.parametrize(
    ("rows", "columns", "measure", "message"),
    [
        ("topic", "year", "exchanges", "Unknown pivot dimension"),
        ("year", "year", "exchanges", "must be different"),
        ("year", "region", "delegates", "Unknown measure"),
        ("year; DROP TABLE exchanges", "region", "exchanges", "Unknown pivot dimension"),
    ],
)
def test_pivot_allow_lists(con, rows, columns, measure, message):
    with pytest.raises(explore.ExploreError, match=message):
        explore.pivot(con, SINCE_2000, rows, columns, measure)


@pytest.mark.parametrize(
    ("search", "expected_ids"),
    [
        (None, [5, 4, 3, 2, 1]),
        ("red", [4, 3, 1]),  # party, any case
        ("kenya", [2]),  # country
        ("youth", [4]),  # topic
        ("e1", [2, 1]),  # event id
        ("100%", [1]),  # % is a character, not a wildcard
        ("h_e", []),  # _ is a character: "Youth exchange" has "h e", not "h_e"
        ("_building", [3]),
        ("' OR 1=1 --", []),  # a value, never SQL
    ],
)
def test_ledger_rows_search(con, search, expected_ids):
    rows = explore.ledger_rows(con, SINCE_2000, search=search)
    assert list(rows["exchange_id"]) == expected_ids
    assert explore.ledger_rows_count(con, SINCE_2000, search=search) == len(expected_ids)


def test_ledger_rows_filters_sort_limit_and_columns(con):
    rows = explore.ledger_rows(
        con, Filters(year_from=2000, families=("communist",)), order_by="date", descending=False, limit=2
    )
    assert list(rows["exchange_id"]) == [1, 3]
    assert tuple(rows.columns) == explore.LEDGER_COLUMNS
    everything = explore.ledger_rows(con, SINCE_2000, limit=None, order_by="party", descending=False)
    assert list(everything["party"]) == ["Blue League", "Red Party", "Red Party", "Red Party", "Sun Party"]
    assert everything.loc[0, "country"] == "" and everything.loc[0, "region"] == "International organisations"
    with pytest.raises(explore.ExploreError, match="Cannot sort by"):
        explore.ledger_rows(con, SINCE_2000, order_by="date; DROP TABLE exchanges")


def test_ledger_rows_default_window_starts_in_1978(make_ledger):
    path = make_ledger([{"date": "1970-01-01", "party": "Old Party"}, {"date": "1990-01-01", "party": "New Party"}])
    with connect_read_only(path) as con:
        assert list(explore.ledger_rows(con, Filters())["party"]) == ["New Party"]
        assert explore.ledger_rows_count(con, Filters(year_from=1960)) == 2


def test_top_parties_per_family_in_one_query(con):
    top = explore.top_parties_per_family(con, SINCE_2000, top=1)
    assert top[["party_family", "party", "country", "exchanges", "share"]].to_dict("records") == [
        {"party_family": "communist", "party": "Red Party", "country": "France", "exchanges": 3, "share": 1.0},
        {
            "party_family": "international_org",
            "party": "Blue League",
            "country": "International organisations",
            "exchanges": 1,
            "share": 1.0,
        },
        {"party_family": "liberal", "party": "Sun Party", "country": "Kenya", "exchanges": 1, "share": 1.0},
    ]


def test_pivot_table_headers_in_chinese(con):
    with using("zh"):
        table = explore.pivot_table(con, SINCE_2000, "country", "decade", "parties")
        events = explore.pivot_table(con, SINCE_2000, "form", None, "events")
        regions = explore.pivot_table(con, SINCE_2000, "region", "party_family", "exchanges")
    assert table.loc["法国"].to_dict() == {"2000年代": 1, "2010年代": 1, "合计": 1}
    assert table.loc["合计"].to_dict() == {"2000年代": 2, "2010年代": 2, "合计": 3}
    assert set(table.index) == {"法国", "肯尼亚", "国际组织", "合计"} and table.index.name == "国家"
    assert events["活动场次"].to_dict() == {"工作访问": 3, "考察学习": 1, "合计": 4}
    assert events.index.name == "交往形式"
    assert list(regions.columns)[0] == "共产党" and list(regions.columns)[-1] == "合计"
    assert set(regions.columns) == {"共产党", "自由主义政党", "国际组织", "合计"}
    assert list(regions.index)[0] == "欧洲" and set(regions.index) == {"欧洲", "非洲", "国际组织", "合计"}
    # The long form keeps the codes, whatever the language.
    with using("zh"):
        cells = explore.pivot(con, SINCE_2000, "decade", "region", "exchanges")
    assert set(cells["region"]) == {"Africa", "Europe", "International organisations"}


def test_explore_errors_in_chinese(con):
    with using("zh"), pytest.raises(explore.ExploreError, match="^未知的透视维度'topic'。有效值：year, decade"):
        explore.pivot(con, SINCE_2000, "topic")


def test_search_finds_a_party_by_its_chinese_name(tmp_path):
    path = build_ledger(
        tmp_path / "zh.duckdb",
        [
            {"date": "2005-01-02", "party": "Cedar Party", "party_zh": "雪松党", "country": "NAM"},
            {"date": "2006-01-02", "party": "Oak Party", "country": "NAM"},
        ],
    )
    con = connect_read_only(path)
    try:
        rows = explore.ledger_rows(con, SINCE_2000, search="雪松")
        parties = explore.top_parties_per_family(con, SINCE_2000)
    finally:
        con.close()
    assert rows[["party", "party_zh"]].values.tolist() == [["Cedar Party", "雪松党"]]
    names = parties.set_index("party")["party_zh"]
    assert names["Cedar Party"] == "雪松党" and names.isna()["Oak Party"]
