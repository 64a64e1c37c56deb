"""The relationships and co-attendance metrics on a hand-built ledger, and the four lists the
Relationships page shows: every expected number below was worked out by hand.

The ledger ``LEDGER`` (defaults: FRA, socialist, ruling, working_visit, inbound, senior):

    row  date        party / country          family               status      level    event
    1    1975-05-01  Old Friends / FRA        socialist            ruling      senior   -
    2    1980-02-01  Old Friends / FRA        socialist            ruling      leader   -
    3    1981-07     Old Friends / FRA        socialist            opposition  senior   -
    4    1988        Old Friends / FRA        socialist            ruling      senior   -
    5    1994-03-01  Old Friends / FRA        socialist            ruling      working  -
    6    1980-01-10  Quiet Party / DEU        socialist            ruling      senior   -
    7    1981-01-10  Quiet Party / DEU        socialist            ruling      senior   -
    8    1982-01-10  Quiet Party / DEU        socialist            coalition   senior   -
    9    1993-05-05  New Wave / KEN           national_democratic  ruling      leader   E1  (Chinese name 新浪潮党)
    10   1993-05-06  New Wave / KEN           national_democratic  ruling      senior   E1  (a second row at E1)
    11   1995-06-06  New Wave / KEN           national_democratic  ruling      senior   E2
    12   1993-05-05  Left Network / (none)    international_org    other       senior   E1
    13   1995-06-06  Left Network / (none)    international_org    other       senior   E2
    14   1993-05-05  Green Union / BRA        green                coalition   senior   E1
    15   1995-12-01  Green Union / BRA        green                coalition   senior   -
    16   1990-04-04  Ruling Never / PRT       socialist            ruling      senior   -

Default window: 1978-1995. Old Friends: years 1975, 1980, 1981, 1988, 1994, so the gaps are
4 (1976-79), 0, 6 (1982-87) and 5 (1989-93). E1 is shared by three parties (three pairs), E2 by two.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics import metrics
from analytics.filters import Filters
from analytics.ledger import connect_read_only
from tests.ledgers import build_ledger

NEW = {"party": "New Wave", "country": "KEN", "family": "national_democratic", "party_zh": "新浪潮党"}
LEFT = {"party": "Left Network", "country": None, "family": "international_org", "status": "other"}
GREEN = {"party": "Green Union", "country": "BRA", "family": "green", "status": "coalition"}
LEDGER = [
    {"date": "1975-05-01", "party": "Old Friends"},
    {"date": "1980-02-01", "party": "Old Friends", "level": "leader"},
    {"date": "1981-07", "party": "Old Friends", "status": "opposition"},
    {"date": "1988", "party": "Old Friends"},
    {"date": "1994-03-01", "party": "Old Friends", "level": "working"},
    {"date": "1980-01-10", "party": "Quiet Party", "country": "DEU"},
    {"date": "1981-01-10", "party": "Quiet Party", "country": "DEU"},
    {"date": "1982-01-10", "party": "Quiet Party", "country": "DEU", "status": "coalition"},
    {"date": "1993-05-05", **NEW, "level": "leader", "event_id": "E1"},
    {"date": "1993-05-06", **NEW, "event_id": "E1"},
    {"date": "1995-06-06", **NEW, "event_id": "E2"},
    {"date": "1993-05-05", **LEFT, "event_id": "E1"},
    {"date": "1995-06-06", **LEFT, "event_id": "E2"},
    {"date": "1993-05-05", **GREEN, "event_id": "E1"},
    {"date": "1995-12-01", **GREEN},
    {"date": "1990-04-04", "party": "Ruling Never", "country": "PRT"},
]

D = dt.date
NA = None  # a party never met at leader level: no date, no count


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    connection = connect_read_only(build_ledger(tmp_path_factory.mktemp("relations") / "r.duckdb", LEDGER))
    yield connection
    connection.close()


FIRST = list(metrics.RELATIONSHIP_COLUMNS[:10])
EXTRA = ["country", "total_exchanges", "resumed_gap_years", "last_leader_date", "years_since_leader"]


def table(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """The frame's rows as tuples of plain values (dates as dates, missing as None)."""
    out = []
    for row in frame[columns].itertuples(index=False):
        values = []
        for value in row:
            if isinstance(value, pd.Timestamp):
                value = value.date()
            elif value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
                value = None
            values.append(value)
        out.append(tuple(values))
    return out


def test_relationships_columns_start_as_the_issue_says(con):
    frame = metrics.relationships(con, Filters())
    assert list(frame.columns[:10]) == [
        "party",
        "country_iso3",
        "party_family",
        "first_date",
        "last_date",
        "exchanges",
        "years_active",
        "longest_gap_years",
        "years_since_last",
        "last_status",
    ]
    assert list(frame.columns) == list(metrics.RELATIONSHIP_COLUMNS)


def test_relationships_in_the_default_window(con):
    frame = metrics.relationships(con, Filters())
    assert table(frame, FIRST) == [
        # first_date 1975 lies before the window; exchanges and years_active count 1980-1994 only.
        ("Old Friends", "FRA", "socialist", D(1975, 5, 1), D(1994, 3, 1), 4, 4, 6, 1, "ruling"),
        ("New Wave", "KEN", "national_democratic", D(1993, 5, 5), D(1995, 6, 6), 3, 2, 1, 0, "ruling"),
        ("Quiet Party", "DEU", "socialist", D(1980, 1, 10), D(1982, 1, 10), 3, 3, 0, 13, "coalition"),
        ("Green Union", "BRA", "green", D(1993, 5, 5), D(1995, 12, 1), 2, 2, 1, 0, "coalition"),
        ("Left Network", "", "international_org", D(1993, 5, 5), D(1995, 6, 6), 2, 2, 1, 0, "other"),
        ("Ruling Never", "PRT", "socialist", D(1990, 4, 4), D(1990, 4, 4), 1, 1, 0, 5, "ruling"),
    ]
    assert table(frame, EXTRA) == [
        ("France", 5, 6, D(1980, 2, 1), 15),
        ("Kenya", 3, 1, D(1993, 5, 5), 2),
        ("Germany", 3, 0, NA, NA),
        ("Brazil", 2, 1, NA, NA),
        ("International organisations", 2, 1, NA, NA),
        ("Portugal", 1, 0, NA, NA),
    ]


def test_relationships_in_a_late_window_keep_the_history(con):
    frame = metrics.relationships(con, Filters(year_from=1990, year_to=1995))
    assert table(
        frame, ["party", "first_date", "exchanges", "years_active", "longest_gap_years", "years_since_last"]
    ) == [
        ("New Wave", D(1993, 5, 5), 3, 2, 1, 0),
        ("Green Union", D(1993, 5, 5), 2, 2, 1, 0),
        ("Left Network", D(1993, 5, 5), 2, 2, 1, 0),
        # The longest gap (6, 1982-87) is before the window; the one that ends in it is 5.
        ("Old Friends", D(1975, 5, 1), 1, 1, 6, 1),
        ("Ruling Never", D(1990, 4, 4), 1, 1, 0, 5),
        # Met only before the window: a row with no exchange in it, 13 years since the last.
        ("Quiet Party", D(1980, 1, 10), 0, 0, 0, 13),
    ]
    old = frame.set_index("party").loc["Old Friends"]
    assert (old["total_exchanges"], old["resumed_gap_years"]) == (5, 5)


def test_relationships_stop_at_the_windows_end(con):
    frame = metrics.relationships(con, Filters(year_to=1985))
    assert table(frame, [*FIRST, "total_exchanges", "resumed_gap_years", "years_since_leader"]) == [
        ("Quiet Party", "DEU", "socialist", D(1980, 1, 10), D(1982, 1, 10), 3, 3, 0, 3, "coalition", 3, 0, NA),
        # Last exchange 1981-07 (opposition then); the 1988 and 1994 ones are after the window.
        ("Old Friends", "FRA", "socialist", D(1975, 5, 1), D(1981, 7, 1), 2, 2, 4, 4, "opposition", 3, 4, 5),
    ]


def test_relationships_follow_the_other_filters(con):
    frame = metrics.relationships(con, Filters(levels=("leader",)))
    # The window ends in the last year with a leader-level exchange, 1993.
    assert table(frame, ["party", "first_date", "last_date", "exchanges", "years_since_last"]) == [
        ("New Wave", D(1993, 5, 5), D(1993, 5, 5), 1, 0),
        ("Old Friends", D(1980, 2, 1), D(1980, 2, 1), 1, 13),
    ]


def test_relationships_of_an_empty_slice(con):
    frame = metrics.relationships(con, Filters(regions=("Oceania",)))
    assert frame.empty and list(frame.columns) == list(metrics.RELATIONSHIP_COLUMNS)


def parties(frame: pd.DataFrame) -> list[str]:
    return frame["party"].tolist()


@pytest.mark.parametrize(
    ("years", "min_exchanges", "expected"),
    [
        (5, 3, ["Quiet Party"]),  # Ruling Never: 5 years, but 1 exchange
        (5, 1, ["Quiet Party", "Ruling Never"]),  # longest silence first
        (13, 3, ["Quiet Party"]),  # 13 years without, exactly
        (14, 1, []),
        (5, 4, []),  # Quiet Party has 3
        (1, 5, ["Old Friends"]),  # 1994, one year before 1995, after 5 exchanges (one before the window)
    ],
)
def test_dormant(con, years, min_exchanges, expected):
    frame = metrics.relationships(con, Filters())
    assert parties(metrics.dormant_relationships(frame, years, min_exchanges)) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # Old Friends began in 1975; the rest began in the window, latest first, ties by name.
        (Filters(), ["Green Union", "Left Network", "New Wave", "Ruling Never", "Quiet Party"]),
        (Filters(year_from=1990, year_to=1995), ["Green Union", "Left Network", "New Wave", "Ruling Never"]),
        (Filters(year_from=1991, year_to=1995), ["Green Union", "Left Network", "New Wave"]),
        (Filters(year_from=1981), ["Green Union", "Left Network", "New Wave", "Ruling Never"]),  # Quiet Party: 1980
        (Filters(year_to=1985), ["Quiet Party"]),
    ],
)
def test_new(con, filters, expected):
    frame = metrics.relationships(con, filters)
    assert parties(metrics.new_relationships(frame)) == expected


@pytest.mark.parametrize(
    ("filters", "years", "expected"),
    [
        (Filters(), 5, ["Old Friends"]),  # after 6 years (1982-87), met again in 1988
        (Filters(), 6, ["Old Friends"]),
        (Filters(), 7, []),
        (Filters(), 1, ["Old Friends", "Green Union", "Left Network", "New Wave"]),  # then latest first
        (Filters(year_from=1990, year_to=1995), 5, ["Old Friends"]),  # 1989-93, met again in 1994
        (Filters(year_from=1990, year_to=1995), 6, []),  # the 6-year gap ended before the window
        (Filters(year_to=1985), 4, ["Old Friends"]),  # 1976-79, met again in 1980
    ],
)
def test_resumed(con, filters, years, expected):
    frame = metrics.relationships(con, filters)
    assert parties(metrics.resumed_relationships(frame, years)) == expected


@pytest.mark.parametrize(
    ("filters", "years", "expected"),
    [
        # Ruling at the last exchange: Old Friends (leader 1980: 15 years), New Wave (1993: 2),
        # Ruling Never (never at leader level, listed first). Quiet Party was last in coalition.
        (Filters(), 5, ["Ruling Never", "Old Friends"]),
        (Filters(), 1, ["Ruling Never", "Old Friends", "New Wave"]),
        (Filters(), 15, ["Ruling Never", "Old Friends"]),
        (Filters(), 16, ["Ruling Never"]),
        (Filters(year_to=1985), 1, []),  # Old Friends was in opposition at its last exchange by 1985
    ],
)
def test_ruling_without_leader(con, filters, years, expected):
    frame = metrics.relationships(con, filters)
    assert parties(metrics.ruling_without_leader(frame, years)) == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda f: metrics.dormant_relationships(f, 0, 1),
        lambda f: metrics.dormant_relationships(f, 1, 0),
        lambda f: metrics.resumed_relationships(f, "x"),
        lambda f: metrics.ruling_without_leader(f, -1),
    ],
)
def test_list_options_are_checked(con, call):
    with pytest.raises(metrics.MetricError):
        call(metrics.relationships(con, Filters()))


PAIR = ["party_a", "country_a", "party_b", "country_b", "shared_events"]


def test_co_attendance_columns(con):
    frame = metrics.co_attendance(con, Filters(), min_events=1)
    assert list(frame.columns[:5]) == PAIR
    assert list(frame.columns[5:]) == [
        "party_id_a",
        "party_id_b",
        "party_zh_a",
        "party_zh_b",
        "party_family_a",
        "party_family_b",
    ]
    assert frame.iloc[0][["party_family_a", "party_family_b"]].tolist() == ["international_org", "national_democratic"]
    assert frame.iloc[0][["party_zh_a", "party_zh_b"]].tolist() == [None, "新浪潮党"]


@pytest.mark.parametrize(
    ("filters", "min_events", "expected"),
    [
        # E1: three parties, three pairs (New Wave's two rows there count once); E2: two.
        (
            Filters(),
            1,
            [
                ("Left Network", "", "New Wave", "KEN", 2),
                ("Green Union", "BRA", "Left Network", "", 1),
                ("Green Union", "BRA", "New Wave", "KEN", 1),
            ],
        ),
        (Filters(), 2, [("Left Network", "", "New Wave", "KEN", 2)]),
        (Filters(), 3, []),
        (Filters(year_from=1994), 1, [("Left Network", "", "New Wave", "KEN", 1)]),
        # Both parties' exchanges must match the filters: the organisation is left out here.
        (Filters(families=("national_democratic", "green")), 1, [("Green Union", "BRA", "New Wave", "KEN", 1)]),
        (Filters(regions=("Africa",)), 1, []),
    ],
)
def test_co_attendance(con, filters, min_events, expected):
    frame = metrics.co_attendance(con, filters, min_events=min_events)
    assert table(frame, PAIR) == expected


def test_co_attendance_default_and_bad_min_events(con):
    assert len(metrics.co_attendance(con, Filters())) == 1  # min_events 2 by default
    with pytest.raises(metrics.MetricError, match="min events must be at least 1"):
        metrics.co_attendance(con, Filters(), min_events=0)


def test_both_are_registered_with_their_options():
    assert metrics.get_metric("relationships") is metrics.relationships
    assert metrics.get_metric("co-attendance") is metrics.co_attendance
    assert metrics.metric_options("relationships") == {}
    assert metrics.metric_options("co-attendance") == {"min_events": 2}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["Old Friends", "New Wave", "Quiet Party", "Green Union", "Left Network", "Ruling Never"]),
        ("  PARTY ", ["Quiet Party"]),  # case and spaces around ignored
        ("ken", ["New Wave"]),  # the ISO3 code
        ("brazil", ["Green Union"]),  # the country's English name
        ("international", ["Left Network"]),  # the bucket's name
        ("肯尼亚", ["New Wave"]),  # the country as the page names it (given as ``shown``)
        ("ＮＥＷ", ["New Wave"]),  # full-width letters folded
        ("nobody", []),
    ],
)
def test_search_relationships(con, text, expected):
    frame = metrics.relationships(con, Filters())
    shown = frame["country_iso3"].map({"KEN": "肯尼亚"})
    assert parties(metrics.search_relationships(frame, text, shown)) == expected


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(regions=("Africa",), year_from=2000, year_to=2024),
        Filters(families=("communist", "socialist"), year_from=2013),
        Filters(levels=("leader",), year_to=1999),
    ],
    ids=["default", "africa-2000-2024", "left-from-2013", "leader-to-1999"],
)
def test_relationships_agree_with_the_other_metrics_on_the_demo_ledger(demo_ledger, filters):
    con = connect_read_only(demo_ledger)
    try:
        frame = metrics.relationships(con, filters)
        kpis = metrics.kpis(con, filters).set_index("kpi")["value"]
        first, last = metrics.window(con, filters)
        firsts = metrics.first_contacts(con, filters)
        pairs = metrics.co_attendance(con, filters, min_events=1)
    finally:
        con.close()
    assert frame["exchanges"].sum() == kpis["exchanges"] > 0
    assert (frame["exchanges"] > 0).sum() == kpis["parties"]
    # New relationships are the parties first contacted in the window's years.
    assert len(metrics.new_relationships(frame)) == firsts["new_parties"].sum()
    assert (frame["years_active"] <= last - first + 1).all()
    assert (frame["years_active"] <= frame["exchanges"]).all()
    assert (frame["first_date"] <= frame["last_date"]).all()
    assert (frame["last_date"].dt.year <= last).all()
    assert (frame["longest_gap_years"] >= frame["resumed_gap_years"]).all()
    assert (frame["total_exchanges"] >= frame["exchanges"]).all()
    # Every pair is two parties met in the window, once each way round.
    met = set(frame.loc[frame["exchanges"] > 0, "party_id"])
    assert set(pairs["party_id_a"]) | set(pairs["party_id_b"]) <= met
    assert not (pairs["party_id_a"] == pairs["party_id_b"]).any()
    assert not pairs.duplicated(["party_id_a", "party_id_b"]).any()
    reversed_pairs = set(zip(pairs["party_id_b"], pairs["party_id_a"], strict=True))
    assert not reversed_pairs & set(zip(pairs["party_id_a"], pairs["party_id_b"], strict=True))
