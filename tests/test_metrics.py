"""Metrics on a small hand-built ledger: every expected number below was worked out by hand.

The ledger ``SMALL`` (defaults: FRA, socialist, ruling, working_visit, inbound, senior):

    row  date        party / country             family               status      form                  direction      level    event
    1    1980-03-10  Socialist Party / FRA       socialist            ruling      working_visit         inbound        senior   -
    2    1980        Socialist Party / FRA       socialist            ruling      study_trip            outbound       working  -
    3    1982-06     Socialist Party / PRT       socialist            opposition  high_level_visit      inbound        leader   -
    4    1982-11-05  Workers' Front / KEN        national_democratic  ruling      multilateral_meeting  third_country  senior   M1
    5    1982-11-05  Socialist Party / FRA       socialist            ruling      multilateral_meeting  third_country  senior   M1
    6    1982-11-05  Left Network / (none)       international_org    other       multilateral_meeting  third_country  working  M1
    7    1985-02-01  Workers' Front / KEN        national_democratic  ruling      economic_cooperation  outbound       leader   -
    8    1985        Green Union / BRA           green                coalition   virtual_meeting       virtual        unknown  -
    9    1975-05-05  Workers' Front / KEN        national_democratic  ruling      working_visit         inbound        senior   -

Default window: 1978-1985 (rows 1-8). Years 1978, 1979, 1981, 1983, 1984 have no exchanges.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from analytics import metrics
from analytics.filters import FilterError, Filters
from analytics.ledger import LedgerError, LedgerReader, connect_read_only, write_transaction
from tests.ledgers import build_ledger

NAN = float("nan")

SMALL = [
    {"date": "1980-03-10", "party": "Socialist Party"},
    {"date": "1980", "party": "Socialist Party", "form": "study_trip", "direction": "outbound", "level": "working"},
    {
        "date": "1982-06",
        "party": "Socialist Party",
        "country": "PRT",
        "status": "opposition",
        "form": "high_level_visit",
        "level": "leader",
    },
    {
        "date": "1982-11-05",
        "party": "Workers' Front",
        "country": "KEN",
        "family": "national_democratic",
        "form": "multilateral_meeting",
        "direction": "third_country",
        "event_id": "M1",
    },
    {
        "date": "1982-11-05",
        "party": "Socialist Party",
        "form": "multilateral_meeting",
        "direction": "third_country",
        "event_id": "M1",
    },
    {
        "date": "1982-11-05",
        "party": "Left Network",
        "country": None,
        "family": "international_org",
        "status": "other",
        "form": "multilateral_meeting",
        "direction": "third_country",
        "level": "working",
        "event_id": "M1",
    },
    {
        "date": "1985-02-01",
        "party": "Workers' Front",
        "country": "KEN",
        "family": "national_democratic",
        "form": "economic_cooperation",
        "direction": "outbound",
        "level": "leader",
    },
    {
        "date": "1985",
        "party": "Green Union",
        "country": "BRA",
        "family": "green",
        "status": "coalition",
        "form": "virtual_meeting",
        "direction": "virtual",
        "level": "unknown",
    },
    {"date": "1975-05-05", "party": "Workers' Front", "country": "KEN", "family": "national_democratic"},
]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build_ledger(tmp_path_factory.mktemp("metrics") / "small.duckdb", SMALL)


@pytest.fixture(scope="module")
def con(small):
    connection = connect_read_only(small)
    yield connection
    connection.close()


def rows(frame: pd.DataFrame) -> list[tuple]:
    """The frame as a list of tuples, NaN kept as NaN (compare with ``same``)."""
    return [tuple(r) for r in frame.itertuples(index=False)]


def same(actual: list[tuple], expected: list[tuple]) -> bool:
    """Equal row by row, floats to 1e-9, NaN equal to NaN."""
    if len(actual) != len(expected):
        return False
    for got_row, want_row in zip(actual, expected, strict=True):
        if len(got_row) != len(want_row):
            return False
        for got, want in zip(got_row, want_row, strict=True):
            if isinstance(want, float):
                if math.isnan(want):
                    if not (isinstance(got, float) and math.isnan(got)):
                        return False
                elif not math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-12):
                    return False
            elif got != want:
                return False
    return True


# ---------------------------------------------------------------- window


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), (1978, 1985)),
        (Filters(year_from=1975), (1975, 1985)),
        (Filters(year_from=1982, year_to=1983), (1982, 1983)),
        (Filters(year_to=1981), (1978, 1981)),
        (Filters(year_to=1976), (1975, 1976)),  # before 1978: starts at the first year with data
        (Filters(year_to=1970), (1970, 1970)),  # nothing that early
        (Filters(countries=("PRT",)), (1978, 1982)),  # last year with data for the non-year filters
        (Filters(year_from=1990), (1990, 1990)),  # starts after the data: a single empty year
        (Filters(countries=("JPN",)), (1978, 1978)),  # nothing matches
    ],
)
def test_window(con, filters, expected):
    assert metrics.window(con, filters) == expected


def test_previous_window():
    assert metrics.previous_window(1982, 1985) == (1978, 1981)
    assert metrics.previous_window(2020, 2020) == (2019, 2019)


# ---------------------------------------------------------------- exchanges per year


def test_exchanges_per_year_hand_numbers(con):
    frame = metrics.exchanges_per_year(con, Filters())
    assert list(frame.columns[:8]) == [
        "year",
        "exchanges",
        "events",
        "parties",
        "countries",
        "exchanges_change",
        "exchanges_change_pct",
        "exchanges_rolling3",
    ]
    assert same(
        rows(frame),
        [
            (1978, 0, 0, 0, 0, 0, NAN, 0.0),
            (1979, 0, 0, 0, 0, 0, NAN, 0.0),
            (1980, 2, 2, 1, 1, 2, NAN, 2 / 3),
            (1981, 0, 0, 0, 0, -2, -100.0, 2 / 3),
            (1982, 4, 2, 4, 3, 4, NAN, 2.0),  # one multilateral event + one visit; the org has no country
            (1983, 0, 0, 0, 0, -4, -100.0, 4 / 3),
            (1984, 0, 0, 0, 0, 0, NAN, 4 / 3),
            (1985, 2, 2, 2, 2, 2, NAN, 2 / 3),
        ],
    )


def test_exchanges_per_year_change_looks_before_the_window(con):
    frame = metrics.exchanges_per_year(con, Filters(year_from=1976, year_to=1976))
    # 1975 had one exchange, 1976 none: change -1 (-100%), rolling mean of 1974-1976 = 1/3.
    assert same(rows(frame), [(1976, 0, 0, 0, 0, -1, -100.0, 1 / 3)])


def test_exchanges_per_year_empty_ledger(make_ledger):
    path = make_ledger([])
    frame = metrics.exchanges_per_year(path, Filters())
    assert same(rows(frame), [(1978, 0, 0, 0, 0, 0, NAN, 0.0)])


def test_year_only_dates_count_in_their_year(con):
    frame = metrics.exchanges_per_year(con, Filters(year_from=1985, year_to=1985, countries=("BRA",)))
    assert frame["exchanges"].tolist() == [1]


# ---------------------------------------------------------------- breakdowns


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (
            metrics.by_family,
            [
                ("socialist", 4, 0.5),
                ("national_democratic", 2, 0.25),
                ("green", 1, 0.125),
                ("international_org", 1, 0.125),
            ],
        ),
        (
            metrics.by_status,
            [("ruling", 5, 0.625), ("coalition", 1, 0.125), ("opposition", 1, 0.125), ("other", 1, 0.125)],
        ),
        (
            metrics.by_form,
            [
                ("multilateral_meeting", 3, 0.375),
                ("economic_cooperation", 1, 0.125),
                ("high_level_visit", 1, 0.125),
                ("study_trip", 1, 0.125),
                ("virtual_meeting", 1, 0.125),
                ("working_visit", 1, 0.125),
            ],
        ),
        (
            metrics.by_direction,
            [("third_country", 3, 0.375), ("inbound", 2, 0.25), ("outbound", 2, 0.25), ("virtual", 1, 0.125)],
        ),
        (metrics.by_level, [("senior", 3, 0.375), ("leader", 2, 0.25), ("working", 2, 0.25), ("unknown", 1, 0.125)]),
        (
            metrics.by_region,
            [
                ("Europe", 4, 0.5),
                ("Africa", 2, 0.25),
                ("International organisations", 1, 0.125),
                ("Latin America and the Caribbean", 1, 0.125),
            ],
        ),
    ],
)
def test_breakdowns_hand_numbers(con, function, expected):
    assert same(rows(function(con, Filters())), expected)


def test_breakdown_column_names(con):
    assert list(metrics.by_family(con, Filters()).columns) == ["party_family", "exchanges", "share"]
    assert list(metrics.by_status(con, Filters()).columns) == ["party_status", "exchanges", "share"]
    assert list(metrics.by_form(con, Filters(), per_year=True).columns) == ["year", "form", "exchanges", "share"]
    assert list(metrics.breakdown(con, Filters(), "country").columns) == ["country_iso3", "exchanges", "share"]


def test_by_subregion(con):
    assert same(
        rows(metrics.by_subregion(con, Filters())),
        [
            ("Western Europe", "Europe", 3, 0.375),
            ("Eastern Africa", "Africa", 2, 0.25),
            ("International organisations", "International organisations", 1, 0.125),
            ("South America", "Latin America and the Caribbean", 1, 0.125),
            ("Southern Europe", "Europe", 1, 0.125),
        ],
    )


def test_by_country_international_bucket(con):
    frame = metrics.by_country(con, Filters())
    assert list(frame.columns) == [
        "country_iso3",
        "country",
        "region",
        "subregion",
        "exchanges",
        "share",
        "events",
        "parties",
    ]
    assert same(
        rows(frame),
        [
            ("FRA", "France", "Europe", "Western Europe", 3, 0.375, 3, 1),
            ("KEN", "Kenya", "Africa", "Eastern Africa", 2, 0.25, 2, 1),
            (
                "",
                "International organisations",
                "International organisations",
                "International organisations",
                1,
                0.125,
                1,
                1,
            ),
            ("BRA", "Brazil", "Latin America and the Caribbean", "South America", 1, 0.125, 1, 1),
            ("PRT", "Portugal", "Europe", "Southern Europe", 1, 0.125, 1, 1),
        ],
    )


def test_by_country_top_keeps_shares_of_all(con):
    assert same(
        rows(metrics.by_country(con, Filters(), top=2))[:2],
        [
            ("FRA", "France", "Europe", "Western Europe", 3, 0.375, 3, 1),
            ("KEN", "Kenya", "Africa", "Eastern Africa", 2, 0.25, 2, 1),
        ],
    )
    assert len(metrics.by_country(con, Filters(), top=2)) == 2


def test_breakdown_per_year_zero_years_and_shares_within_year(con):
    frame = metrics.by_family(con, Filters(year_from=1980, year_to=1982), per_year=True)
    assert same(
        rows(frame),
        [
            (1980, "socialist", 2, 1.0),
            (1980, "international_org", 0, 0.0),
            (1980, "national_democratic", 0, 0.0),
            (1981, "socialist", 0, NAN),
            (1981, "international_org", 0, NAN),
            (1981, "national_democratic", 0, NAN),
            (1982, "socialist", 2, 0.5),
            (1982, "international_org", 1, 0.25),
            (1982, "national_democratic", 1, 0.25),
        ],
    )


def test_by_country_per_year(con):
    frame = metrics.by_country(con, Filters(year_from=1985, year_to=1985, countries=("KEN", "BRA")), per_year=True)
    assert same(
        rows(frame),
        [
            (1985, "BRA", "Brazil", "Latin America and the Caribbean", "South America", 1, 0.5, 1, 1),
            (1985, "KEN", "Kenya", "Africa", "Eastern Africa", 1, 0.5, 1, 1),
        ],
    )


@pytest.mark.parametrize("bad", ["colour", "party", "", None])
def test_breakdown_rejects_unknown_dimension(con, bad):
    with pytest.raises(metrics.MetricError, match="Valid dimensions: party_family"):
        metrics.breakdown(con, Filters(), bad)


@pytest.mark.parametrize(
    ("alias", "column"),
    [
        ("family", "party_family"),
        ("Status", "party_status"),
        ("country", "country_iso3"),
        ("sub-region", "subregion"),
        ("regions", "region"),
    ],
)
def test_dimension_aliases(alias, column):
    assert metrics.resolve_dimension(alias) == column


# ---------------------------------------------------------------- cross tables


def test_region_by_year(con):
    frame = metrics.region_by_year(con, Filters(year_from=1980, year_to=1982))
    assert same(
        rows(frame),
        [
            ("Europe", 1980, 2, 2 / 6),
            ("Europe", 1981, 0, 0.0),
            ("Europe", 1982, 2, 2 / 6),
            ("Africa", 1980, 0, 0.0),
            ("Africa", 1981, 0, 0.0),
            ("Africa", 1982, 1, 1 / 6),
            ("International organisations", 1980, 0, 0.0),
            ("International organisations", 1981, 0, 0.0),
            ("International organisations", 1982, 1, 1 / 6),
        ],
    )


def test_family_by_region(con):
    frame = metrics.family_by_region(con, Filters(year_from=1985))
    assert list(frame.columns) == ["party_family", "region", "exchanges", "share"]
    assert same(
        rows(frame),
        [
            ("green", "Africa", 0, 0.0),
            ("green", "Latin America and the Caribbean", 1, 0.5),
            ("national_democratic", "Africa", 1, 0.5),
            ("national_democratic", "Latin America and the Caribbean", 0, 0.0),
        ],
    )


def test_family_by_year_columns(con):
    frame = metrics.family_by_year(con, Filters())
    assert list(frame.columns) == ["party_family", "year", "exchanges", "share"]
    assert len(frame) == 4 * 8  # four families present x eight years
    assert frame["exchanges"].sum() == 8


def test_cross_table_rejects_same_dimension_twice(con):
    with pytest.raises(metrics.MetricError, match="two different dimensions"):
        metrics.cross_table(con, Filters(), "region", "regions")


# ---------------------------------------------------------------- first contacts


def test_first_contacts_count_contacts_before_the_window(con):
    frame = metrics.first_contacts(con, Filters())
    assert list(frame.columns) == ["year", "new_parties", "new_countries", "cumulative_parties", "cumulative_countries"]
    assert rows(frame) == [
        (1978, 0, 0, 1, 1),  # Workers' Front (KEN) first met in 1975
        (1979, 0, 0, 1, 1),
        (1980, 1, 1, 2, 2),
        (1981, 0, 0, 2, 2),
        (1982, 2, 1, 4, 3),  # Socialist Party of PRT is a new party; the org adds no country
        (1983, 0, 0, 4, 3),
        (1984, 0, 0, 4, 3),
        (1985, 1, 1, 5, 4),
    ]


def test_first_contacts_from_the_first_year(con):
    frame = metrics.first_contacts(con, Filters(year_from=1975, year_to=1976))
    assert rows(frame) == [(1975, 1, 1, 1, 1), (1976, 0, 0, 1, 1)]


def test_first_contacts_respects_other_filters(con):
    frame = metrics.first_contacts(con, Filters(year_from=1982, year_to=1982, regions=("Europe",)))
    assert rows(frame) == [(1982, 1, 1, 2, 2)]  # Socialist Party FRA (1980) before, PRT new in 1982


# ---------------------------------------------------------------- leaderboards


def test_leaderboard_countries(con):
    frame = metrics.leaderboard(con, Filters(), kind="country", top=10)
    assert list(frame.columns[:10]) == [
        "rank",
        "country_iso3",
        "country",
        "exchanges",
        "share",
        "last_date",
        "previous_exchanges",
        "change",
        "change_pct",
        "last_date_precision",
    ]
    got = [
        (
            r.rank,
            r.country_iso3,
            r.country,
            r.exchanges,
            r.share,
            r.last_date.date(),
            r.previous_exchanges,
            r.change,
            r.change_pct,
            r.last_date_precision,
        )
        for r in frame.itertuples()
    ]
    assert same(
        got,
        [
            (1, "FRA", "France", 3, 0.375, dt.date(1982, 11, 5), 0, 3, NAN, "day"),
            (2, "KEN", "Kenya", 2, 0.25, dt.date(1985, 2, 1), 1, 1, 100.0, "day"),
            (3, "BRA", "Brazil", 1, 0.125, dt.date(1985, 1, 1), 0, 1, NAN, "year"),
            (3, "", "International organisations", 1, 0.125, dt.date(1982, 11, 5), 0, 1, NAN, "day"),
            (3, "PRT", "Portugal", 1, 0.125, dt.date(1982, 6, 1), 0, 1, NAN, "month"),
        ],
    )


def test_leaderboard_parties_same_name_two_countries(con):
    frame = metrics.leaderboard(con, Filters(), kind="party", top=3)
    assert list(frame.columns[:4]) == ["rank", "country_iso3", "country", "party"]
    got = [(r.rank, r.country_iso3, r.party, r.exchanges, r.share) for r in frame.itertuples()]
    assert got == [
        (1, "FRA", "Socialist Party", 3, 0.375),
        (2, "KEN", "Workers' Front", 2, 0.25),
        (3, "BRA", "Green Union", 1, 0.125),
    ]


def test_leaderboard_without_international(con):
    frame = metrics.leaderboard(con, Filters(), top=5, international=False)
    assert frame["country_iso3"].tolist() == ["FRA", "KEN", "BRA", "PRT"]
    assert frame["rank"].tolist() == [1, 2, 3, 3]
    assert frame["share"].tolist() == [0.375, 0.25, 0.125, 0.125]


def test_leaderboard_previous_window(con):
    # Window 1982-1985, previous 1978-1981.
    frame = metrics.leaderboard(con, Filters(year_from=1982, year_to=1985), top=1)
    assert same(
        rows(frame[["country_iso3", "exchanges", "previous_exchanges", "change", "change_pct"]]),
        [("KEN", 2, 0, 2, NAN)],
    )


@pytest.mark.parametrize(
    ("kind", "top", "message"),
    [("region", 10, "Valid kinds"), ("country", 0, "at least 1"), ("country", "ten", "whole number")],
)
def test_leaderboard_bad_options(con, kind, top, message):
    with pytest.raises(metrics.MetricError, match=message):
        metrics.leaderboard(con, Filters(), kind=kind, top=top)


# ---------------------------------------------------------------- compare periods


def test_compare_periods(con):
    frame = metrics.compare_periods(con, Filters(), "region", (1975, 1980), "1981-1985")
    assert list(frame.columns[:5]) == ["region", "exchanges_a", "exchanges_b", "change", "change_pct"]
    assert same(
        rows(frame),
        [
            ("Africa", 1, 2, 1, 100.0, 1 / 3, 2 / 6),
            ("International organisations", 0, 1, 1, NAN, 0.0, 1 / 6),
            ("Latin America and the Caribbean", 0, 1, 1, NAN, 0.0, 1 / 6),
            ("Europe", 2, 2, 0, 0.0, 2 / 3, 2 / 6),
        ],
    )


def test_compare_periods_ignores_the_filter_years_and_keeps_the_rest(con):
    frame = metrics.compare_periods(con, Filters(year_from=1985, statuses=("ruling",)), "country", "1980", "1982")
    assert rows(frame[["country_iso3", "exchanges_a", "exchanges_b", "change"]]) == [
        ("KEN", 0, 1, 1),
        ("FRA", 2, 1, -1),
    ]


@pytest.mark.parametrize("period", ["1990-1980", "19x0-1999", "1800-1810", (1990,)])
def test_compare_periods_bad_period(con, period):
    with pytest.raises(metrics.MetricError, match="period A"):
        metrics.compare_periods(con, Filters(), "region", period, (2000, 2001))


# ---------------------------------------------------------------- change levels


@pytest.mark.parametrize(
    ("pct", "window", "baseline", "level"),
    [
        (25.01, 10, 10, "large increase"),
        (25.0, 10, 10, "moderate increase"),
        (10.0, 10, 10, "moderate increase"),
        (9.99, 10, 10, "little change"),
        (0.0, 10, 10, "little change"),
        (-9.99, 10, 10, "little change"),
        (-10.0, 10, 10, "moderate decrease"),
        (-25.0, 10, 10, "moderate decrease"),
        (-25.01, 10, 10, "large decrease"),
        (-100.0, 0, 10, "large decrease"),
        (NAN, 10, 0, "large increase"),  # new: nothing in the baseline
        (500.0, 2, 2, "too small to class"),  # 4 < 5
    ],
)
def test_classify_change(pct, window, baseline, level):
    assert metrics.classify_change(pct, window, baseline, 5) == level


def test_change_levels(con):
    # Window 1985 (one year), baseline 1982-1984 (three years).
    frame = metrics.change_levels(con, Filters(year_from=1985, year_to=1985), baseline_years=3, min_exchanges=1)
    assert list(frame.columns[:8]) == [
        "country_iso3",
        "country",
        "region",
        "window_exchanges",
        "window_average",
        "baseline_average",
        "change_pct",
        "level",
    ]
    assert same(
        rows(frame),
        [
            ("BRA", "Brazil", "Latin America and the Caribbean", 1, 1.0, 0.0, NAN, "large increase", 0),
            ("KEN", "Kenya", "Africa", 1, 1.0, 1 / 3, 200.0, "large increase", 1),
            (
                "",
                "International organisations",
                "International organisations",
                0,
                0.0,
                1 / 3,
                -100.0,
                "large decrease",
                1,
            ),
            ("FRA", "France", "Europe", 0, 0.0, 1 / 3, -100.0, "large decrease", 1),
            ("PRT", "Portugal", "Europe", 0, 0.0, 1 / 3, -100.0, "large decrease", 1),
        ],
    )


def test_change_levels_floor(con):
    frame = metrics.change_levels(con, Filters(year_from=1985, year_to=1985), baseline_years=3, min_exchanges=2)
    levels = dict(zip(frame["country_iso3"], frame["level"], strict=True))
    assert levels == {
        "KEN": "large increase",
        "BRA": "too small to class",
        "FRA": "too small to class",
        "PRT": "too small to class",
        "": "too small to class",
    }


# ---------------------------------------------------------------- concentration


def test_concentration_small(con):
    frame = metrics.concentration(con, Filters(year_from=1980, year_to=1982))
    assert list(frame.columns) == ["year", "exchanges", "top10_country_share", "top10_party_share", "hhi_country"]
    assert same(
        rows(frame),
        [
            (1980, 2, 1.0, 1.0, 1.0),
            (1981, 0, NAN, NAN, NAN),
            (1982, 4, 1.0, 1.0, 0.25),  # four buckets of one: PRT, KEN, FRA and the international org
        ],
    )


def test_concentration_top10_cut(make_ledger):
    # 2001: DEU twice, then eleven other countries once: 13 exchanges, 12 countries.
    others = ["AUT", "BEL", "DNK", "ESP", "FIN", "GRC", "IRL", "ITA", "NLD", "POL", "SWE"]
    path = make_ledger(
        [{"date": "2001", "party": "P", "country": "DEU"}] * 2
        + [{"date": "2001", "party": "P", "country": iso} for iso in others]
    )
    frame = metrics.concentration(path, Filters(year_from=2001))
    # top 10 countries: DEU (2) + nine of one = 11 of 13; parties (one per country) the same.
    assert same(rows(frame), [(2001, 13, 11 / 13, 11 / 13, (4 + 11) / 169)])


# ---------------------------------------------------------------- kpis


def test_kpis(con):
    frame = metrics.kpis(con, Filters(year_from=1982, year_to=1985))
    assert list(frame.columns[:5]) == ["kpi", "value", "previous", "change", "change_pct"]
    assert same(
        rows(frame),
        [
            ("exchanges", 6, 2, 4, 200.0, 1982, 1985, 1978, 1981),
            ("events", 4, 2, 2, 100.0, 1982, 1985, 1978, 1981),
            ("parties", 5, 1, 4, 400.0, 1982, 1985, 1978, 1981),
            ("countries", 4, 1, 3, 300.0, 1982, 1985, 1978, 1981),
        ],
    )


# ---------------------------------------------------------------- filters on every dimension


@pytest.mark.parametrize(
    ("filters", "exchanges"),
    [
        (Filters(), 8),
        (Filters(regions=("Europe",)), 4),
        (Filters(regions=("europe",)), 4),  # any case
        (Filters(regions=("International organisations",)), 1),
        (Filters(regions=("Africa", "Latin America and the Caribbean")), 3),
        (Filters(subregions=("Eastern Africa",)), 2),
        (Filters(countries=("FRA",)), 3),
        (Filters(countries=("FRA", "PRT")), 4),
        (Filters(families=("socialist",)), 4),
        (Filters(statuses=("ruling",)), 5),
        (Filters(forms=("multilateral_meeting",)), 3),
        (Filters(directions=("outbound",)), 2),
        (Filters(levels=("leader",)), 2),
        (Filters(party="Socialist Party"), 4),  # the same name in FRA and PRT
        (Filters(party="socialist party", countries=("PRT",)), 1),
        (Filters(regions=("Europe",), statuses=("ruling",)), 3),
        (Filters(families=("socialist", "national_democratic"), directions=("third_country",)), 2),
        (Filters(forms=("virtual_meeting",), levels=("leader",)), 0),
        (Filters(year_from=1982), 6),
        (Filters(year_to=1980), 2),
        (Filters(year_from=1975, year_to=1975), 1),
        (Filters(year_to=1976), 1),
    ],
)
def test_filters_on_every_dimension(con, filters, exchanges):
    assert metrics.exchanges_per_year(con, filters)["exchanges"].sum() == exchanges
    assert metrics.kpis(con, filters)["value"].iloc[0] == exchanges


def test_metrics_reject_unknown_codes(con):
    with pytest.raises(FilterError, match="Valid values: communist"):
        metrics.by_region(con, Filters(families=("maoist",)))


# ---------------------------------------------------------------- sources, registry, cache


def test_every_source_kind_gives_the_same_numbers(small, con):
    reader = LedgerReader(small)
    try:
        for source in (con, con.cursor(), reader, small, str(small)):
            assert metrics.by_region(source, Filters())["exchanges"].tolist() == [4, 2, 1, 1]
    finally:
        reader.close()


def test_registry_names_and_options():
    assert list(metrics.METRICS)[:2] == ["exchanges-per-year", "by-family"]
    for name in (
        "by-status",
        "by-form",
        "by-direction",
        "by-level",
        "by-region",
        "by-subregion",
        "by-country",
        "region-by-year",
        "family-by-year",
        "family-by-region",
        "first-contacts",
        "leaderboard",
        "compare-periods",
        "change-levels",
        "concentration",
        "kpis",
    ):
        assert name in metrics.METRICS
    assert metrics.metric_options("leaderboard") == {"kind": "country", "top": 10, "international": True}
    assert metrics.metric_options("kpis") == {}


def test_compute_checks_options(con):
    with pytest.raises(metrics.MetricError, match="does not take top"):
        metrics.compute(con, "kpis", Filters(), top=3)
    with pytest.raises(metrics.MetricError, match="needs dimension, period_a, period_b"):
        metrics.compute(con, "compare-periods", Filters())
    with pytest.raises(metrics.MetricError, match="Did you mean 'by-region'"):
        metrics.get_metric("by-regoin")


def test_cached_sees_a_write_at_once(make_ledger):
    path = make_ledger([{"date": "1990", "party": "A"}])
    metrics.cache_clear()
    assert metrics.cached(path, "kpis", Filters(year_from=1990, year_to=1990))["value"].tolist() == [1, 1, 1, 1]
    assert metrics.cached(path, "kpis", Filters(year_from=1990, year_to=1990))["value"].tolist() == [1, 1, 1, 1]
    assert metrics.cache_info()["hits"] == 1
    with write_transaction(path) as con:
        con.execute("INSERT INTO parties (party_id, name, country_iso3, family) VALUES (2, 'B', 'DEU', 'green')")
        con.execute("""INSERT INTO exchanges (exchange_id, date, date_precision, party_id, form, direction)
                       VALUES (2, DATE '1990-01-01', 'year', 2, 'study_trip', 'outbound')""")
    assert metrics.cached(path, "kpis", Filters(year_from=1990, year_to=1990))["value"].tolist() == [2, 2, 2, 2]
    assert metrics.cache_info()["misses"] == 2


def test_cached_through_a_reader_sees_a_write_at_once(make_ledger):
    path = make_ledger([{"date": "1990", "party": "A"}])
    reader = LedgerReader(path)
    try:
        assert metrics.cached(reader, "by-region", Filters())["exchanges"].tolist() == [1]
        with write_transaction(path) as con:
            con.execute("""INSERT INTO exchanges (exchange_id, date, date_precision, party_id, form, direction)
                           VALUES (2, DATE '1991-01-01', 'year', 1, 'study_trip', 'outbound')""")
        assert metrics.cached(reader, "by-region", Filters())["exchanges"].tolist() == [2]
    finally:
        reader.close()


def test_cached_key_includes_filters_and_options(small):
    metrics.cache_clear()
    a = metrics.cached(small, "leaderboard", Filters(), top=1)
    b = metrics.cached(small, "leaderboard", Filters(), top=2)
    c = metrics.cached(small, "leaderboard", Filters(regions=("Africa",)), top=1)
    d = metrics.cached(small, "leaderboard", Filters(regions=("africa",)), top=1)  # same filters once validated
    assert (len(a), len(b), c["country_iso3"].tolist()) == (1, 2, ["KEN"])
    assert metrics.cache_info()["hits"] == 1 and d["country_iso3"].tolist() == ["KEN"]
    a.loc[0, "exchanges"] = 999  # the caller's copy, not the cached frame
    assert metrics.cached(small, "leaderboard", Filters(), top=1)["exchanges"].tolist() == [3]


def test_cached_is_bounded(small, monkeypatch):
    monkeypatch.setattr(metrics._MEMO, "size", 3)
    metrics.cache_clear()
    for year in (1978, 1979, 1980, 1981, 1982):
        metrics.cached(small, "kpis", Filters(year_from=year, year_to=year))
    assert metrics.cache_info()["entries"] == 3
    metrics.cached(small, "kpis", Filters(year_from=1982, year_to=1982))  # newest kept
    metrics.cached(small, "kpis", Filters(year_from=1978, year_to=1978))  # oldest evicted
    assert (metrics.cache_info()["hits"], metrics.cache_info()["misses"]) == (1, 6)


def test_cached_missing_ledger(tmp_path):
    with pytest.raises(LedgerError, match="No ledger"):
        metrics.cached(tmp_path / "none.duckdb", "kpis", Filters())


def test_check_party(con):
    metrics.check_party(con, Filters(party="socialist PARTY"))
    with pytest.raises(FilterError, match="Close names: Socialist Party"):
        metrics.check_party(con, Filters(party="Socialist Partei"))


# ---------------------------------------------------------------- demo ledger smoke


def test_demo_ledger_first_contacts_reach_the_2003_facts(demo_ledger):
    frame = metrics.first_contacts(demo_ledger, Filters(year_to=2003))
    last = frame.iloc[-1]
    assert last["year"] == 2003
    assert last["cumulative_parties"] >= 400
    assert last["cumulative_countries"] >= 140
    shares = metrics.by_region(demo_ledger, Filters())["share"]
    assert abs(shares.sum() - 1.0) < 1e-9
