"""An independent oracle for every metric: random seeded ledgers, each number computed a second way.

Each ledger (150-400 rows plus a large multilateral event) is generated here in plain Python
and written in bulk through ``write_transaction``. It holds international organisations
without a country, the same party name in several countries, events shared by several rows
(one of them across a new year), rows without an event id, month- and year-only dates, years
without any exchange and rows before 1978. Every metric is then recomputed from the generated
rows in plain Python (lists, Counters, Fractions), straight from the definitions in
``docs/metrics.md`` (no call to ``analytics.metrics`` and no SQL over ``exchange_rows``), and compared with
``analytics.metrics`` under several filters. A hand-built ledger checks the change levels at
their exact boundaries, and three metrics are checked through the command line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from analytics import metrics, vocab
from analytics.cli import main
from analytics.filters import Filters
from analytics.ledger import connect_read_only, create_ledger, write_transaction
from analytics.reference import countries as reference_countries
from tests.ledgers import insert_bulk

pytestmark = pytest.mark.slow  # an independent oracle over random ledgers

INTL = vocab.INTERNATIONAL_BUCKET
PARTIES: tuple[tuple[str, str | None, str], ...] = (  # (name, ISO3 or None, family)
    ("Socialist Party", "FRA", "socialist"),
    ("Socialist Party", "PRT", "socialist"),
    ("Socialist Party", "CHL", "socialist"),
    ("Communist Party", "FRA", "communist"),
    ("Labour Party", "GBR", "social_democratic"),
    ("Christian Union", "DEU", "conservative"),
    ("Green League", "SWE", "green"),
    ("Democratic Left", "ITA", "socialist"),
    ("Liberation Front", "KEN", "national_democratic"),
    ("Liberation Front", "NAM", "national_democratic"),
    ("National Congress", "ZAF", "national_democratic"),
    ("Revolutionary Democratic Front", "ETH", "national_democratic"),
    ("People's Party", "NGA", "conservative"),
    ("National Party", "EGY", "liberal"),
    ("Workers' Party", "BRA", "socialist"),
    ("Communist Party", "CUB", "communist"),
    ("Revolutionary Party", "MEX", "other"),
    ("Justice Party", "ARG", "other"),
    ("United Socialist Party", "VEN", "socialist"),
    ("Liberal Democratic Party", "JPN", "liberal"),
    ("Communist Party", "VNM", "communist"),
    ("Congress Party", "IND", "social_democratic"),
    ("Revolutionary Party", "LAO", "communist"),
    ("Democratic Party", "KOR", "liberal"),
    ("Democratic Party", "USA", "liberal"),
    ("Republican Party", "USA", "conservative"),
    ("New Democrats", "CAN", "social_democratic"),
    ("Labour Party", "AUS", "social_democratic"),
    ("Labour Party", "NZL", "social_democratic"),
    ("National Party", "FJI", "conservative"),
    ("Socialist International", None, "international_org"),
    ("Progressive Alliance", None, "international_org"),
    ("Centrist Democrat International", None, "international_org"),
)
SEEDS = (1978, 20240)

# Filters under test (a filter matching nothing: no communist party in Oceania).
FILTERS: dict[str, Filters] = {
    "none": Filters(),
    "region": Filters(regions=("europe",)),
    "region+family": Filters(regions=("Africa", INTL), families=("national_democratic", "international_org")),
    "years": Filters(year_from=1985, year_to=1999),
    "party": Filters(party="socialist party"),
    "nothing": Filters(regions=("Oceania",), families=("communist",)),
    "from-only+status+countries": Filters(
        year_from=1992,
        statuses=("ruling", "coalition", "opposition"),
        countries=("FRA", "PRT", "KEN", "CUB", "BRA", "USA"),
    ),
    "to-before-1978": Filters(year_to=1976),
    "subregion+form+direction+level": Filters(
        subregions=("South America", "Eastern Asia", "Western Europe"),
        forms=("working_visit", "high_level_visit", "multilateral_meeting", "study_trip"),
        directions=("inbound", "outbound", "third_country"),
        levels=("leader", "senior", "working"),
    ),
}
CASES = [pytest.param((seed, name), id=f"seed{seed}-{name}") for seed in SEEDS for name in FILTERS]


# --------------------------------------------------------------------------- the random ledgers


def _date(rng: random.Random, year: int) -> tuple[dt.date, str]:
    precision = rng.choices(vocab.DATE_PRECISIONS, weights=(6, 3, 2))[0]
    if precision == "day":
        return dt.date(year, rng.randint(1, 12), rng.randint(1, 28)), precision
    if precision == "month":
        return dt.date(year, rng.randint(1, 12), 1), precision
    return dt.date(year, 1, 1), precision


def generate(seed: int) -> list[dict]:
    """Random exchanges: dicts with party (index into PARTIES), date, precision, codes, event_id."""
    rng = random.Random(seed)
    last = rng.choice((2012, 2014, 2016))
    zero_years = set(rng.sample(range(1979, last - 1), 5))
    years = [y for y in range(1966, last + 1) if y not in zero_years]
    year_weights = [1 if y < 1978 else 2 if y < 2000 else 3 for y in years]
    party_weights = [rng.random() ** 2 + 0.02 for _ in PARTIES]
    forms = vocab.FORMS[:-1]  # 'other' never occurs: plain breakdowns list only values present

    def row(party: int, date: dt.date, precision: str, event_id: str | None, **codes) -> dict:
        return {
            "party": party,
            "date": date,
            "precision": precision,
            "event_id": event_id,
            "party_status": codes.get("party_status", rng.choice(vocab.PARTY_STATUSES)),
            "form": codes.get("form", rng.choice(forms)),
            "direction": codes.get("direction", rng.choice(vocab.DIRECTIONS)),
            "level": codes.get("level", rng.choice(vocab.LEVELS)),
        }

    rows = []
    for _ in range(rng.randint(150, 330)):
        party = rng.choices(range(len(PARTIES)), weights=party_weights)[0]
        date, precision = _date(rng, rng.choices(years, weights=year_weights)[0])
        event_id = f"E{rng.randint(1, 12)}" if rng.random() < 0.3 else None
        rows.append(row(party, date, precision, event_id))
    # A large multilateral event: one date, one event id, many parties in many countries.
    summit = rng.choice([y for y in years if y >= 2000])
    for party in rng.sample(range(len(PARTIES)), rng.randint(24, len(PARTIES))):
        rows.append(
            row(party, dt.date(summit, 10, 14), "day", "SUMMIT", form="multilateral_meeting", direction="inbound")
        )
    # An event across a new year (counts once in each year), and the last year surely has data.
    span = rng.choice([y for y in years if 1980 <= y < last - 1 and y + 1 in years])
    for party in rng.sample(range(len(PARTIES)), 4):
        date = dt.date(span, 12, 31) if party % 2 else dt.date(span + 1, 1, 1)
        rows.append(row(party, date, "day", "NEWYEAR", form="multilateral_meeting"))
    rows.append(row(0, dt.date(last, 6, 1), "month", None))
    rng.shuffle(rows)
    return rows


def write_ledger(path: Path, rows: list[dict]) -> Path:
    """A ledger file holding every party of PARTIES and exactly ``rows``."""
    create_ledger(path, demo=False, force=True)
    with write_transaction(path) as con:
        insert_bulk(con, PARTIES, rows)
    return path


def table(rows: list[dict]) -> list[dict]:
    """The generated rows as the oracle sees them: one dict per exchange, every attribute spelled out."""
    reference = {r["iso3"]: r for r in reference_countries().to_dict("records")}
    records = []
    for exchange_id, r in enumerate(rows, start=1):
        name, iso3, family = PARTIES[r["party"]]
        place = reference[iso3] if iso3 else {"name": INTL, "region": INTL, "subregion": INTL}
        records.append(
            {
                "year": r["date"].year,
                "date": r["date"],
                "precision": r["precision"],
                "party": name,
                "iso3": iso3 or "",
                "party_key": (name, iso3 or ""),
                "country": place["name"],
                "region": place["region"],
                "subregion": place["subregion"],
                "family": family,
                "status": r["party_status"],
                "form": r["form"],
                "direction": r["direction"],
                "level": r["level"],
                "event_key": r["event_id"] or f"row {exchange_id}",
            }
        )
    return records


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory):
    """seed -> (read-only connection, path, oracle rows); built once for the module."""
    built = {}
    folder = tmp_path_factory.mktemp("oracle")
    for seed in SEEDS:
        rows = generate(seed)
        path = write_ledger(folder / f"oracle{seed}.duckdb", rows)
        con = connect_read_only(path)
        con.execute("SET threads TO 1")  # hundreds of tiny queries: one thread each is faster on a busy machine
        built[seed] = (con, path, table(rows))
    yield built
    for con, _, _ in built.values():
        con.close()


@pytest.fixture
def case(ledgers, request):
    seed, name = request.param
    con, _, rows = ledgers[seed]
    return con, rows, FILTERS[name]


def test_the_random_ledgers_hold_every_awkward_case(ledgers):
    for _, _, rows in ledgers.values():
        assert 150 <= len(rows) <= 450
        assert any(r["iso3"] == "" for r in rows)
        assert len({r["iso3"] for r in rows if r["party"] == "Socialist Party"}) >= 2
        assert any(r["event_key"].startswith("row ") for r in rows)
        shared = Counter(r["event_key"] for r in rows if not r["event_key"].startswith("row "))
        assert max(shared.values()) >= 24
        assert len({r["year"] for r in rows if r["event_key"] == "NEWYEAR"}) == 2
        assert {"month", "year"} <= {r["precision"] for r in rows}
        assert any(r["year"] < 1978 for r in rows)
        present = {r["year"] for r in rows}
        assert len(set(range(1978, max(present) + 1)) - present) >= 5


# --------------------------------------------------------------------------- the oracle

ORACLE_COLUMNS = {  # dimension of analytics.metrics -> key of an oracle row
    "party_family": "family",
    "party_status": "status",
    "form": "form",
    "direction": "direction",
    "level": "level",
    "region": "region",
    "subregion": "subregion",
    "country_iso3": "iso3",
    "year": "year",
}
FILTER_KEYS = {
    "regions": "region",
    "subregions": "subregion",
    "countries": "iso3",
    "families": "family",
    "statuses": "status",
    "forms": "form",
    "directions": "direction",
    "levels": "level",
}


def select(rows: list[dict], filters: Filters, years: tuple[int, int] | None = None) -> list[dict]:
    """The rows matching the filters' dimensions (not their years), within ``years`` when given.

    Values of one dimension are OR-ed, dimensions AND-ed; regions, sub-regions and the party
    name are matched without regard to case."""
    wanted = {
        key: {str(v).casefold() for v in getattr(filters, field)}
        for field, key in FILTER_KEYS.items()
        if getattr(filters, field)
    }
    if filters.party:
        wanted["party"] = {filters.party.casefold()}
    return [
        r
        for r in rows
        if all(r[key].casefold() in values for key, values in wanted.items())
        and (years is None or years[0] <= r["year"] <= years[1])
    ]


def oracle_window(rows: list[dict], filters: Filters) -> tuple[int, int]:
    """docs/metrics.md, 'Default window'."""
    found = [r["year"] for r in select(rows, filters)]
    start = filters.year_from if filters.year_from is not None else 1978
    if filters.year_from is None and filters.year_to is not None and filters.year_to < 1978:
        start = min(min(found), filters.year_to) if found else filters.year_to
    end = filters.year_to if filters.year_to is not None else (max(found) if found else start)
    return start, max(start, end)


def pct(change, base) -> float:
    return change / base * 100.0 if base else math.nan


def share(count, total) -> float:
    return count / total if total else math.nan


def ordered_values(rows: list[dict], key: str) -> list:
    """Values present, most exchanges first, ties by value."""
    counts = Counter(r[key] for r in rows)
    return sorted(counts, key=lambda v: (-counts[v], v))


def grouped(rows: list[dict], *keys: str) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


def events(rows: list[dict]) -> int:
    return len({r["event_key"] for r in rows})


def parties(rows: list[dict]) -> int:
    return len({r["party_key"] for r in rows})


def countries(rows: list[dict]) -> int:
    return len({r["iso3"] for r in rows} - {""})


def _cell(value):
    if isinstance(value, pd.Timestamp):
        return value.date()
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return _cell(value.item())
    return value


def _same(a, b) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def assert_frame(actual: pd.DataFrame, expected: list[dict], columns: list[str]):
    """The metric's frame has exactly ``columns`` and the expected rows, in order (floats to 1e-9)."""
    assert list(actual.columns) == columns
    got = [tuple(_cell(v) for v in row) for row in actual.itertuples(index=False)]
    want = [tuple(_cell(row[c]) for c in columns) for row in expected]
    assert len(got) == len(want), f"{len(got)} rows instead of {len(want)}:\n{actual}\nexpected {want}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert all(_same(a, b) for a, b in zip(g, w, strict=True)), f"row {i}: got {g}, expected {w}"


# --------------------------------------------------------------------------- the metrics


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_window(case):
    con, rows, filters = case
    assert metrics.window(con, filters) == oracle_window(rows, filters)


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_exchanges_per_year(case):
    con, rows, filters = case
    first, last = oracle_window(rows, filters)
    per_year = grouped(select(rows, filters), "year")  # the years before the window count for change

    def count(year):
        return len(per_year.get((year,), []))

    expected = []
    for year in range(first, last + 1):
        group = per_year.get((year,), [])
        expected.append(
            {
                "year": year,
                "exchanges": len(group),
                "events": events(group),
                "parties": parties(group),
                "countries": countries(group),
                "exchanges_change": count(year) - count(year - 1),
                "exchanges_change_pct": pct(count(year) - count(year - 1), count(year - 1)),
                "exchanges_rolling3": (count(year) + count(year - 1) + count(year - 2)) / 3,
            }
        )
    assert_frame(
        metrics.exchanges_per_year(con, filters),
        expected,
        [
            "year",
            "exchanges",
            "events",
            "parties",
            "countries",
            "exchanges_change",
            "exchanges_change_pct",
            "exchanges_rolling3",
        ],
    )


BREAKDOWNS = {
    "party_family": metrics.by_family,
    "party_status": metrics.by_status,
    "form": metrics.by_form,
    "direction": metrics.by_direction,
    "level": metrics.by_level,
    "region": metrics.by_region,
    "subregion": metrics.by_subregion,
}


def expected_breakdown(rows, filters, dimension, per_year, companions=()):
    first, last = oracle_window(rows, filters)
    chosen = select(rows, filters, (first, last))
    key = ORACLE_COLUMNS[dimension]
    values = ordered_values(chosen, key)
    companion = {r[key]: r for r in chosen}
    if not per_year:
        counts = Counter(r[key] for r in chosen)
        return [
            {
                dimension: v,
                **{c: companion[v][c] for c in companions},
                "exchanges": counts[v],
                "share": counts[v] / len(chosen),
            }
            for v in values
        ]
    counts = Counter((r["year"], r[key]) for r in chosen)
    totals = Counter(r["year"] for r in chosen)
    return [
        {
            "year": year,
            dimension: v,
            **{c: companion[v][c] for c in companions},
            "exchanges": counts[year, v],
            "share": share(counts[year, v], totals[year]),
        }
        for year in range(first, last + 1)
        for v in values
    ]


@pytest.mark.parametrize("per_year", [False, True], ids=["overall", "per-year"])
@pytest.mark.parametrize("case", CASES, indirect=True)
def test_breakdowns(case, per_year):
    con, rows, filters = case
    for dimension, function in BREAKDOWNS.items():
        companions = ("region",) if dimension == "subregion" else ()
        columns = [*(["year"] if per_year else []), dimension, *companions, "exchanges", "share"]
        expected = expected_breakdown(rows, filters, dimension, per_year, companions)
        assert_frame(function(con, filters, per_year=per_year), expected, columns)
    # The generic form, over a dimension without a wrapper (no companion columns).
    expected = expected_breakdown(rows, filters, "country_iso3", per_year)
    columns = [*(["year"] if per_year else []), "country_iso3", "exchanges", "share"]
    assert_frame(metrics.breakdown(con, filters, "country", per_year=per_year), expected, columns)


@pytest.mark.parametrize("per_year", [False, True], ids=["overall", "per-year"])
@pytest.mark.parametrize("case", CASES, indirect=True)
def test_by_country(case, per_year):
    con, rows, filters = case
    first, last = oracle_window(rows, filters)
    chosen = select(rows, filters, (first, last))
    values = ordered_values(chosen, "iso3")
    place = {r["iso3"]: r for r in chosen}
    groups = grouped(chosen, "year", "iso3") if per_year else grouped(chosen, "iso3")
    totals = Counter(r["year"] for r in chosen)
    expected = []
    for year in range(first, last + 1) if per_year else [None]:
        for iso3 in values:
            group = groups.get((year, iso3) if per_year else (iso3,), [])
            total = totals[year] if per_year else len(chosen)
            expected.append(
                {
                    "year": year,
                    "country_iso3": iso3,
                    "country": place[iso3]["country"],
                    "region": place[iso3]["region"],
                    "subregion": place[iso3]["subregion"],
                    "exchanges": len(group),
                    "share": share(len(group), total),
                    "events": events(group),
                    "parties": parties(group),
                }
            )
    columns = [
        *(["year"] if per_year else []),
        "country_iso3",
        "country",
        "region",
        "subregion",
        "exchanges",
        "share",
        "events",
        "parties",
    ]
    assert_frame(metrics.by_country(con, filters, per_year=per_year), expected, columns)
    top = values[:3]
    assert_frame(
        metrics.by_country(con, filters, per_year=per_year, top=3),
        [row for row in expected if row["country_iso3"] in top],
        columns,
    )


CROSS = [
    ("region", "year"),
    ("party_family", "year"),
    ("party_family", "region"),
    ("year", "form"),
    ("country_iso3", "party_status"),
]
WRAPPERS = {
    ("region", "year"): metrics.region_by_year,
    ("party_family", "year"): metrics.family_by_year,
    ("party_family", "region"): metrics.family_by_region,
}


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_cross_tables(case):
    con, rows, filters = case
    first, last = oracle_window(rows, filters)
    chosen = select(rows, filters, (first, last))
    for rows_dim, columns_dim in CROSS:
        keys = ORACLE_COLUMNS[rows_dim], ORACLE_COLUMNS[columns_dim]
        axes = [
            list(range(first, last + 1)) if d == "year" else ordered_values(chosen, ORACLE_COLUMNS[d])
            for d in (rows_dim, columns_dim)
        ]
        if not chosen:  # no value present: no pair, even with the years
            axes = [[], []]
        counts = Counter((r[keys[0]], r[keys[1]]) for r in chosen)
        expected = [
            {rows_dim: a, columns_dim: b, "exchanges": counts[a, b], "share": share(counts[a, b], len(chosen))}
            for a in axes[0]
            for b in axes[1]
        ]
        columns = [rows_dim, columns_dim, "exchanges", "share"]
        if (rows_dim, columns_dim) in WRAPPERS:
            frame = WRAPPERS[rows_dim, columns_dim](con, filters)
        else:
            frame = metrics.cross_table(con, filters, rows_dim, columns_dim)
        assert_frame(frame, expected, columns)


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_first_contacts(case):
    con, rows, filters = case
    first, last = oracle_window(rows, filters)
    party_first, country_first = {}, {}
    for r in select(rows, filters):  # every year counts: the window only chooses the years shown
        party_first[r["party_key"]] = min(r["year"], party_first.get(r["party_key"], 9999))
        if r["iso3"]:
            country_first[r["iso3"]] = min(r["year"], country_first.get(r["iso3"], 9999))
    expected = [
        {
            "year": year,
            "new_parties": sum(y == year for y in party_first.values()),
            "new_countries": sum(y == year for y in country_first.values()),
            "cumulative_parties": sum(y <= year for y in party_first.values()),
            "cumulative_countries": sum(y <= year for y in country_first.values()),
        }
        for year in range(first, last + 1)
    ]
    assert_frame(
        metrics.first_contacts(con, filters),
        expected,
        ["year", "new_parties", "new_countries", "cumulative_parties", "cumulative_countries"],
    )


def expected_leaderboard(rows, filters, kind, top, international):
    first, last = oracle_window(rows, filters)
    length = last - first + 1
    now = select(rows, filters, (first, last))
    key = "iso3" if kind == "country" else "party_key"
    before = Counter(r[key] for r in select(rows, filters, (first - length, first - 1)))
    entries = []
    for (value,), group in grouped(now, key).items():
        one = group[0]
        if not international and one["iso3"] == "":
            continue
        latest = max(r["date"] for r in group)
        previous = before[value]
        entries.append(
            {
                "country_iso3": one["iso3"],
                "country": one["country"],
                "party": one["party"],
                "exchanges": len(group),
                "share": len(group) / len(now),
                "last_date": latest,
                "previous_exchanges": previous,
                "change": len(group) - previous,
                "change_pct": pct(len(group) - previous, previous),
                "last_date_precision": {r["precision"] for r in group if r["date"] == latest},
            }
        )
    name = "country" if kind == "country" else "party"
    entries.sort(key=lambda e: (-e["exchanges"], e[name], e["country_iso3"]))
    for entry in entries:
        entry["rank"] = 1 + sum(other["exchanges"] > entry["exchanges"] for other in entries)
    return entries[:top]


LEADERBOARDS = [("country", 10, True), ("country", 5, False), ("party", 8, True), ("party", 200, False)]


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_leaderboard(case):
    con, rows, filters = case
    for kind, top, international in LEADERBOARDS:
        frame = metrics.leaderboard(con, filters, kind=kind, top=top, international=international)
        expected = expected_leaderboard(rows, filters, kind, top, international)
        columns = [
            "rank",
            "country_iso3",
            "country",
            *(["party"] if kind == "party" else []),
            "exchanges",
            "share",
            "last_date",
            "previous_exchanges",
            "change",
            "change_pct",
        ]
        if kind == "party":  # the oracle's parties have no Chinese name
            assert frame["party_zh"].isna().all()
            frame = frame.drop(columns="party_zh")
        assert_frame(frame.drop(columns="last_date_precision"), expected, columns)
        # A day, month and year date can fall on the same day: any of the latest precisions is right.
        precisions = frame["last_date_precision"].tolist()
        assert all(p in e["last_date_precision"] for p, e in zip(precisions, expected, strict=True))


def test_leaderboard_lists_ties_by_the_name_shown(make_ledger):
    """Ties are 'listed by name' (docs): the bucket sorts as 'International organisations', after Egypt and
    France, before Kenya, so it is not among the top 2."""
    path = make_ledger(
        [
            {"date": "1990-05-02", "party": "Liberation Front", "country": "KEN", "family": "national_democratic"},
            {"date": "1990", "party": "Socialist International", "country": None, "family": "international_org"},
            {"date": "1991-02", "party": "Socialist Party"},
            {"date": "1992-07-09", "party": "National Party", "country": "EGY", "family": "liberal"},
        ]
    )
    frame = metrics.leaderboard(str(path), Filters(), top=4)
    assert frame["country"].tolist() == ["Egypt", "France", INTL, "Kenya"]
    assert frame["rank"].tolist() == [1, 1, 1, 1]
    assert metrics.leaderboard(str(path), Filters(), top=2)["country_iso3"].tolist() == ["EGY", "FRA"]


# Periods of unequal length, overlapping, a single year, before 1978.
COMPARISONS = [
    ("region", "1978-1989", (1990, 2010)),
    ("party_family", (1966, 1977), "1978"),
    ("country_iso3", (1995, 2005), (2000, 2016)),
]


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_compare_periods(case):
    con, rows, filters = case
    for dimension, period_a, period_b in COMPARISONS:
        key = ORACLE_COLUMNS[dimension]
        years_a, years_b = (
            period if isinstance(period, tuple) else (int(period[:4]), int(period[-4:]))
            for period in (period_a, period_b)
        )
        in_a = Counter(r[key] for r in select(rows, filters, years_a))  # the periods replace the filters' years
        in_b = Counter(r[key] for r in select(rows, filters, years_b))
        expected = [
            {
                dimension: v,
                "exchanges_a": in_a[v],
                "exchanges_b": in_b[v],
                "change": in_b[v] - in_a[v],
                "change_pct": pct(in_b[v] - in_a[v], in_a[v]),
                "share_a": share(in_a[v], in_a.total()),
                "share_b": share(in_b[v], in_b.total()),
            }
            for v in set(in_a) | set(in_b)
        ]
        expected.sort(key=lambda e: (-e["change"], e[dimension]))
        frame = metrics.compare_periods(con, filters, dimension, period_a, period_b)
        assert_frame(
            frame, expected, [dimension, "exchanges_a", "exchanges_b", "change", "change_pct", "share_a", "share_b"]
        )


def oracle_level(window_exchanges, window_years, baseline_exchanges, baseline_years, min_exchanges) -> str:
    """docs/metrics.md, change-levels, in exact rational arithmetic."""
    if window_exchanges + baseline_exchanges < min_exchanges:
        return "too small to class"
    if baseline_exchanges == 0:
        return "large increase"
    baseline = Fraction(baseline_exchanges, baseline_years)
    change = (Fraction(window_exchanges, window_years) - baseline) / baseline * 100
    if change > 25:
        return "large increase"
    if change >= 10:
        return "moderate increase"
    if change > -10:
        return "little change"
    if change >= -25:
        return "moderate decrease"
    return "large decrease"


def expected_change_levels(rows, filters, baseline_years, min_exchanges):
    first, last = oracle_window(rows, filters)
    length = last - first + 1
    now = Counter(r["iso3"] for r in select(rows, filters, (first, last)))
    base = Counter(r["iso3"] for r in select(rows, filters, (first - baseline_years, first - 1)))
    place = {r["iso3"]: r for r in rows}
    expected = []
    for iso3 in sorted(set(now) | set(base)):
        w, b = now[iso3], base[iso3]
        window_average, baseline_average = w / length, b / baseline_years
        expected.append(
            {
                "country_iso3": iso3,
                "country": place[iso3]["country"],
                "region": place[iso3]["region"],
                "window_exchanges": w,
                "window_average": window_average,
                "baseline_average": baseline_average,
                "change_pct": pct(window_average - baseline_average, baseline_average),
                "level": oracle_level(w, length, b, baseline_years, min_exchanges),
                "baseline_exchanges": b,
            }
        )
    return expected


CHANGE_COLUMNS = [
    "country_iso3",
    "country",
    "region",
    "window_exchanges",
    "window_average",
    "baseline_average",
    "change_pct",
    "level",
    "baseline_exchanges",
]


def assert_change_levels(frame, expected):
    """Same rows as the oracle (compared by country), ordered by level, then by change (largest first)."""
    assert_frame(frame.sort_values("country_iso3", kind="stable"), expected, CHANGE_COLUMNS)
    order = frame["level"].map(metrics.CHANGE_LEVELS.index).tolist()
    assert order == sorted(order)
    for _, group in frame.groupby("level", sort=False):
        changes = group["change_pct"].dropna().tolist()
        assert changes == sorted(changes, reverse=True)


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_change_levels(case):
    con, rows, filters = case
    for baseline_years, min_exchanges in ((5, 5), (10, 12)):
        frame = metrics.change_levels(con, filters, baseline_years=baseline_years, min_exchanges=min_exchanges)
        assert_change_levels(frame, expected_change_levels(rows, filters, baseline_years, min_exchanges))
    recent = filters.with_years(2005, 2009) if filters.year_from is None else filters
    assert_change_levels(
        metrics.change_levels(con, recent, baseline_years=4, min_exchanges=3),
        expected_change_levels(rows, recent, 4, 3),
    )


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_concentration(case):
    con, rows, filters = case
    first, last = oracle_window(rows, filters)
    per_year = grouped(select(rows, filters, (first, last)), "year")
    expected = []
    for year in range(first, last + 1):
        group = per_year.get((year,), [])
        n = len(group)
        by_country = sorted(Counter(r["iso3"] for r in group).values(), reverse=True)  # '' is one "country"
        by_party = sorted(Counter(r["party_key"] for r in group).values(), reverse=True)
        expected.append(
            {
                "year": year,
                "exchanges": n,
                "top10_country_share": share(sum(by_country[:10]), n),
                "top10_party_share": share(sum(by_party[:10]), n),
                "hhi_country": sum((c / n) ** 2 for c in by_country) if n else math.nan,
            }
        )
    assert_frame(
        metrics.concentration(con, filters),
        expected,
        ["year", "exchanges", "top10_country_share", "top10_party_share", "hhi_country"],
    )


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_kpis(case):
    con, rows, filters = case
    first, last = oracle_window(rows, filters)
    before = (first - (last - first + 1), first - 1)
    now, then = select(rows, filters, (first, last)), select(rows, filters, before)
    expected = []
    for kpi, count in (("exchanges", len), ("events", events), ("parties", parties), ("countries", countries)):
        value, previous = count(now), count(then)
        expected.append(
            {
                "kpi": kpi,
                "value": value,
                "previous": previous,
                "change": value - previous,
                "change_pct": pct(value - previous, previous),
                "window_from": first,
                "window_to": last,
                "previous_from": before[0],
                "previous_to": before[1],
            }
        )
    assert_frame(
        metrics.kpis(con, filters),
        expected,
        [
            "kpi",
            "value",
            "previous",
            "change",
            "change_pct",
            "window_from",
            "window_to",
            "previous_from",
            "previous_to",
        ],
    )


# --------------------------------------------------------------------------- change levels at the boundaries

# (ISO3, window exchanges, baseline exchanges, level). Window 2010-2012 (3 years), baseline 2001-2009
# (9 years). Each change is exactly the boundary named; the averages are not exact in binary floats.
BOUNDARIES_3_9 = [
    ("FRA", 5, 12, "moderate increase"),  # 5/3 against 12/9: exactly +25 %
    ("DEU", 11, 30, "moderate increase"),  # 11/3 against 30/9: exactly +10 %
    ("ITA", 15, 50, "moderate decrease"),  # exactly -10 %
    ("ESP", 11, 44, "moderate decrease"),  # exactly -25 %
    ("SWE", 6, 12, "large increase"),  # +50 %
    ("KEN", 4, 12, "little change"),  # 0 %
    ("BRA", 6, 0, "large increase"),  # new contact
    ("JPN", 2, 3, "large increase"),  # 2/3 against 3/9: +100 %
]
# Window 2011-2012 (2 years), baseline 2007-2010 (4 years): averages exact in binary floats.
BOUNDARIES_2_4 = [
    ("FRA", 10, 16, "moderate increase"),  # 5 against 4: +25 %
    ("DEU", 22, 40, "moderate increase"),  # 11 against 10: +10 %
    ("ITA", 18, 40, "moderate decrease"),  # 9 against 10: -10 %
    ("ESP", 6, 16, "moderate decrease"),  # 3 against 4: -25 %
    ("KEN", 2, 3, "large increase"),  # 1 against 0.75; 5 exchanges = the floor: classed
    ("BRA", 1, 3, "too small to class"),  # 4 exchanges, under the floor of 5
]


def _boundary_rows(cases, window: list[int], baseline: list[int]) -> list[dict]:
    """(iso3, date) of each exchange, spread over the years of the window and of the baseline."""
    rows = []
    for iso3, in_window, in_baseline, _ in cases:
        for count, years in ((in_window, window), (in_baseline, baseline)):
            rows.extend({"iso3": iso3, "date": dt.date(years[i % len(years)], 3, 1 + i % 28)} for i in range(count))
    return rows


def _boundary_ledger(path: Path, rows: list[dict]) -> Path:
    """A ledger with one party per country of ``rows`` and one exchange per row."""
    create_ledger(path, demo=False, force=True)
    countries_used = sorted({r["iso3"] for r in rows})
    new_parties = pd.DataFrame(
        {
            "party_id": range(1, len(countries_used) + 1),
            "name": [f"Party of {iso3}" for iso3 in countries_used],
            "country_iso3": countries_used,
        }
    )
    new_exchanges = pd.DataFrame(
        {
            "exchange_id": range(1, len(rows) + 1),
            "date": pd.to_datetime([r["date"] for r in rows]),
            "party_id": [countries_used.index(r["iso3"]) + 1 for r in rows],
        }
    )
    with write_transaction(path) as con:
        con.register("new_parties", new_parties)
        con.execute(
            "INSERT INTO parties (party_id, name, country_iso3, family) "
            "SELECT party_id, name, country_iso3, 'socialist' FROM new_parties"
        )
        con.register("new_exchanges", new_exchanges)
        con.execute(
            "INSERT INTO exchanges (exchange_id, date, date_precision, party_id, form, direction) "
            "SELECT exchange_id, CAST(date AS DATE), 'day', party_id, 'working_visit', 'inbound' "
            "FROM new_exchanges"
        )
    return path


@pytest.mark.parametrize(
    ("cases", "window", "baseline_years", "min_exchanges"),
    [(BOUNDARIES_3_9, (2010, 2012), 9, 0), (BOUNDARIES_2_4, (2011, 2012), 4, 5)],
    ids=["window3-baseline9", "window2-baseline4"],
)
def test_change_levels_at_the_exact_boundaries(tmp_path, cases, window, baseline_years, min_exchanges):
    years_in_window = list(range(window[0], window[1] + 1))
    baseline = list(range(window[0] - baseline_years, window[0]))
    path = _boundary_ledger(tmp_path / "boundaries.duckdb", _boundary_rows(cases, years_in_window, baseline))
    frame = metrics.change_levels(
        str(path),
        Filters(year_from=window[0], year_to=window[1]),
        baseline_years=baseline_years,
        min_exchanges=min_exchanges,
    )
    got = dict(zip(frame["country_iso3"], frame["level"], strict=True))
    for iso3, in_window, in_baseline, level in cases:
        # The hand-written level agrees with the exact oracle, and the metric with both.
        assert oracle_level(in_window, len(years_in_window), in_baseline, baseline_years, min_exchanges) == level
        assert (iso3, got[iso3]) == (iso3, level)


# --------------------------------------------------------------------------- the command line

CLI_CASES = [
    (
        ["exchanges-per-year", "--region", "europe", "--from", "1980"],
        metrics.exchanges_per_year,
        Filters(regions=("Europe",), year_from=1980),
        {},
    ),
    (
        ["by-country", "--per-year", "--top", "4", "--family", "socialist", "--family", "international_org"],
        metrics.by_country,
        Filters(families=("socialist", "international_org")),
        {"per_year": True, "top": 4},
    ),
    (
        ["leaderboard", "--kind", "party", "--top", "7", "--no-international", "--from", "2000", "--to", "2009"],
        metrics.leaderboard,
        Filters(year_from=2000, year_to=2009),
        {"kind": "party", "top": 7, "international": False},
    ),
]


def _csv_cell(text: str, value) -> bool:
    """A CSV cell against the API frame's value: empty for NaN, YYYY-MM-DD for dates, numbers in full."""
    value = _cell(value)
    if value is None:
        return text == ""
    if isinstance(value, dt.date):
        return text == value.isoformat()
    if isinstance(value, bool | str):
        return text == str(value)
    return _same(float(text), value)


@pytest.mark.parametrize(("argv", "function", "filters", "options"), CLI_CASES, ids=[c[0][0] for c in CLI_CASES])
def test_cli_csv_equals_the_api_frame(ledgers, capsys, argv, function, filters, options):
    con, path, rows = ledgers[SEEDS[1]]
    code = main(["metric", *argv, "--db", str(path), "--format", "csv"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    frame = function(con, filters, **options)
    assert not frame.empty
    records = list(csv.reader(io.StringIO(out)))
    assert records[0] == list(frame.columns)
    assert len(records) - 1 == len(frame)
    for line, row in zip(records[1:], frame.itertuples(index=False), strict=True):
        assert all(_csv_cell(text, value) for text, value in zip(line, row, strict=True)), (line, row)
    if argv[0] == "exchanges-per-year":  # and the API frame is the oracle's
        assert frame["exchanges"].sum() == len(select(rows, filters, oracle_window(rows, filters)))
