"""Property tests of the metrics on random small ledgers (hypothesis).

Each example fills one in-memory DuckDB database (the real schema and countries, built once
per module) with random exchanges in bulk, then checks: the shares of every breakdown sum to
1; per-year counts sum to the total; a narrower filter never counts more; cumulative first
contacts never decrease; and the totals equal a plain-Python count of the generated rows.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import metrics, vocab
from analytics.filters import Filters
from tests.ledgers import insert_bulk, memory_ledger

pytestmark = pytest.mark.slow  # hypothesis properties over many generated ledgers

PARTIES = [  # (name, country, family, region)
    ("Socialist Party", "FRA", "socialist", "Europe"),
    ("Socialist Party", "PRT", "socialist", "Europe"),
    ("Workers' Front", "KEN", "national_democratic", "Africa"),
    ("Left Network", None, "international_org", vocab.INTERNATIONAL_BUCKET),
    ("Green Union", "BRA", "green", "Latin America and the Caribbean"),
    ("Liberal Club", "JPN", "liberal", "Asia"),
    ("Conservative Union", "USA", "conservative", "Northern America"),
    ("Labour Party", "AUS", "social_democratic", "Oceania"),
]
YEARS = (1974, 1990)
EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

row_strategy = st.fixed_dictionaries(
    {
        "party": st.integers(0, len(PARTIES) - 1),
        "year": st.integers(*YEARS),
        "month": st.integers(1, 12),
        "day": st.integers(1, 28),
        "precision": st.sampled_from(vocab.DATE_PRECISIONS),
        "party_status": st.sampled_from(vocab.PARTY_STATUSES),
        "form": st.sampled_from(vocab.FORMS),
        "direction": st.sampled_from(vocab.DIRECTIONS),
        "level": st.sampled_from(vocab.LEVELS),
        "event_id": st.sampled_from([None, None, "E1", "E2"]),
    }
)
ledger_strategy = st.lists(row_strategy, max_size=40)


def _values(options):
    return st.lists(st.sampled_from(options), max_size=2, unique=True).map(tuple)


@st.composite
def filters_strategy(draw):
    bounds = sorted(draw(st.lists(st.integers(*YEARS), min_size=2, max_size=2)))
    year_from = draw(st.sampled_from([None, bounds[0]]))
    year_to = draw(st.sampled_from([None, bounds[1]]))
    return Filters(
        year_from=year_from,
        year_to=year_to,
        regions=draw(_values(sorted({p[3] for p in PARTIES}))),
        countries=draw(_values(sorted({p[1] for p in PARTIES if p[1]}))),
        families=draw(_values(vocab.PARTY_FAMILIES)),
        statuses=draw(_values(vocab.PARTY_STATUSES)),
        forms=draw(_values(vocab.FORMS)),
        directions=draw(_values(vocab.DIRECTIONS)),
        levels=draw(_values(vocab.LEVELS)),
        party=draw(st.sampled_from([None, None, None, "Socialist Party", "Green Union"])),
    )


_DB: list[duckdb.DuckDBPyConnection] = []


def database() -> duckdb.DuckDBPyConnection:
    """One in-memory ledger (schema + countries) for the whole module."""
    if not _DB:
        _DB.append(memory_ledger())
    return _DB[0]


def _date(row) -> dt.date:
    if row["precision"] == "day":
        return dt.date(row["year"], row["month"], row["day"])
    if row["precision"] == "month":
        return dt.date(row["year"], row["month"], 1)
    return dt.date(row["year"], 1, 1)


def load(rows: list[dict]) -> duckdb.DuckDBPyConnection:
    """Replace the module ledger's exchanges with ``rows`` in two bulk inserts."""
    con = database()
    con.execute("DELETE FROM exchanges")
    con.execute("DELETE FROM parties")
    insert_bulk(con, [p[:3] for p in PARTIES], [{**r, "date": _date(r)} for r in rows])
    return con


def matches(row: dict, filters: Filters, years: tuple[int, int]) -> bool:
    """Plain-Python oracle of Filters on a generated row."""
    name, country, family, region = PARTIES[row["party"]]
    checks = [
        (filters.regions, region),
        (filters.countries, country),
        (filters.families, family),
        (filters.statuses, row["party_status"]),
        (filters.forms, row["form"]),
        (filters.directions, row["direction"]),
        (filters.levels, row["level"]),
    ]
    if any(values and value not in values for values, value in checks):
        return False
    if filters.party and filters.party.lower() != name.lower():
        return False
    return years[0] <= row["year"] <= years[1]


def expected_window(rows: list[dict], filters: Filters) -> tuple[int, int]:
    """Plain-Python oracle of the default window (docs/metrics.md)."""
    found = [r["year"] for r in rows if matches(r, filters, (0, 9999))]
    start = filters.year_from if filters.year_from is not None else 1978
    if filters.year_from is None and filters.year_to is not None and filters.year_to < start:
        start = min(min(found), filters.year_to) if found else filters.year_to
    end = filters.year_to if filters.year_to is not None else (max(found) if found else start)
    return start, max(start, end)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@EXAMPLES
@given(rows=ledger_strategy, filters=filters_strategy(), dimension=st.sampled_from(list(metrics.DIMENSIONS)))
def test_totals_equal_a_plain_count_and_per_year_sums_equal_the_total(rows, filters, dimension):
    con = load(rows)
    years = metrics.window(con, filters)
    assert years == expected_window(rows, filters)
    chosen = [(i, r) for i, r in enumerate(rows) if matches(r, filters, years)]
    kpis = metrics.kpis(con, filters).set_index("kpi")["value"]
    assert kpis["exchanges"] == len(chosen)
    assert kpis["parties"] == len({r["party"] for _, r in chosen})
    assert kpis["countries"] == len({PARTIES[r["party"]][1] for _, r in chosen} - {None})
    assert kpis["events"] == len({r["event_id"] or f"row{i}" for i, r in chosen})

    per_year = metrics.exchanges_per_year(con, filters)
    assert per_year["year"].tolist() == list(range(years[0], years[1] + 1))
    assert per_year["exchanges"].sum() == len(chosen)
    by_year = metrics.breakdown(con, filters, dimension, per_year=True)
    overall = metrics.breakdown(con, filters, dimension)
    assert by_year["exchanges"].sum() == len(chosen)
    assert (
        by_year.groupby(dimension)["exchanges"].sum().to_dict() == overall.set_index(dimension)["exchanges"].to_dict()
    )
    yearly = by_year.groupby("year")["exchanges"].sum()
    assert yearly.reindex(per_year["year"], fill_value=0).tolist() == per_year["exchanges"].tolist()
    for _, group in by_year.groupby("year"):
        if group["exchanges"].sum():
            assert close(group["share"].sum(), 1.0)


SHARE_METRICS = {
    **{dimension: (lambda con, f, d=dimension: metrics.breakdown(con, f, d)) for dimension in metrics.DIMENSIONS},
    "by-subregion": metrics.by_subregion,
    "by-country": metrics.by_country,
    "region-by-year": metrics.region_by_year,
    "family-by-region": metrics.family_by_region,
    "leaderboard-countries": lambda con, f: metrics.leaderboard(con, f, top=1000),
    "leaderboard-parties": lambda con, f: metrics.leaderboard(con, f, kind="party", top=1000),
}


@EXAMPLES
@given(
    rows=ledger_strategy,
    filters=filters_strategy(),
    names=st.lists(st.sampled_from(sorted(SHARE_METRICS)), min_size=3, max_size=3, unique=True),
)
def test_shares_sum_to_one(rows, filters, names):
    con = load(rows)
    total = metrics.kpis(con, filters)["value"].iloc[0]
    for name in names:
        frame = SHARE_METRICS[name](con, filters)
        assert frame["exchanges"].sum() == total
        if total:
            assert close(frame["share"].sum(), 1.0)
        else:
            assert frame.empty or frame["exchanges"].eq(0).all()


def _narrower(filters: Filters, data) -> Filters:
    """``filters`` with one more restriction (a subset of one dimension, or a shorter year range)."""
    options = {
        "regions": sorted({p[3] for p in PARTIES}),
        "countries": sorted({p[1] for p in PARTIES if p[1]}),
        "families": list(vocab.PARTY_FAMILIES),
        "statuses": list(vocab.PARTY_STATUSES),
        "forms": list(vocab.FORMS),
        "directions": list(vocab.DIRECTIONS),
        "levels": list(vocab.LEVELS),
    }
    field = data.draw(st.sampled_from([*options, "party", "years"]))
    if field == "years":
        start = filters.year_from if filters.year_from is not None else 1978
        end = filters.year_to if filters.year_to is not None else YEARS[1]
        if filters.year_to is not None and filters.year_to < 1978 and filters.year_from is None:
            start = YEARS[0]
        if start > end:
            return filters
        first = data.draw(st.integers(start, end))
        return filters.with_years(first, data.draw(st.integers(first, end)))
    if field == "party":
        return filters if filters.party else Filters(**{**filters.__dict__, "party": "Socialist Party"})
    current = getattr(filters, field)
    pool = list(current) if current else options[field]
    subset = tuple(data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True)))
    return Filters(**{**filters.__dict__, field: subset})


@EXAMPLES
@given(rows=ledger_strategy, filters=filters_strategy(), data=st.data())
def test_a_narrower_filter_never_counts_more(rows, filters, data):
    con = load(rows)
    narrow = _narrower(filters, data)
    wide_kpis = metrics.kpis(con, filters).set_index("kpi")["value"]
    narrow_kpis = metrics.kpis(con, narrow).set_index("kpi")["value"]
    assert (narrow_kpis <= wide_kpis).all()
    wide = metrics.exchanges_per_year(con, filters).set_index("year")["exchanges"]
    slim = metrics.exchanges_per_year(con, narrow).set_index("year")["exchanges"]
    assert (slim.reindex(wide.index, fill_value=0) <= wide).all()
    wide_regions = metrics.by_region(con, filters).set_index("region")["exchanges"]
    for region, count in metrics.by_region(con, narrow).set_index("region")["exchanges"].items():
        assert count <= wide_regions.get(region, 0)


@EXAMPLES
@given(rows=ledger_strategy, filters=filters_strategy())
def test_cumulative_first_contacts_never_decrease(rows, filters):
    con = load(rows)
    frame = metrics.first_contacts(con, filters)
    first, last = metrics.window(con, filters)
    assert frame["year"].tolist() == list(range(first, last + 1))
    for column in ("cumulative_parties", "cumulative_countries"):
        assert frame[column].is_monotonic_increasing
        assert (frame[column].diff().iloc[1:] == frame[column.replace("cumulative", "new")].iloc[1:]).all()
    assert (frame[["new_parties", "new_countries"]] >= 0).all().all()
    # The cumulative totals include contacts before the window: all parties met up to the last year.
    everything = filters.with_years(None, None)
    met = {r["party"] for r in rows if matches(r, everything, (0, last))}
    assert frame["cumulative_parties"].iloc[-1] == len(met)


@EXAMPLES
@given(rows=ledger_strategy, filters=filters_strategy(), split=st.integers(*YEARS))
def test_compare_periods_counts_equal_each_periods_total(rows, filters, split):
    con = load(rows)
    period_a, period_b = (YEARS[0], split), (split, YEARS[1])
    frame = metrics.compare_periods(con, filters, "party_family", period_a, period_b)
    for period, column in ((period_a, "exchanges_a"), (period_b, "exchanges_b")):
        expected = metrics.kpis(con, filters.with_years(*period))["value"].iloc[0]
        assert frame[column].sum() == expected
    assert frame["change"].is_monotonic_decreasing


@pytest.fixture(scope="module", autouse=True)
def _close_database():
    yield
    while _DB:
        _DB.pop().close()
