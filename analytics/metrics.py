"""The metrics: every number the dashboard, the exports and the CLI show, one function each.

Each metric is ``function(con, filters, **options) -> pandas.DataFrame``. ``con`` is a DuckDB
connection (or cursor), a ``LedgerReader`` or a ledger path; every query takes its own cursor.
All grouping and counting runs in DuckDB SQL over the ``exchange_rows`` view with
``Filters.where()``; pandas only shapes the small result (shares, change, rolling means). No
metric loads the ledger itself into pandas. ``METRICS`` maps the CLI names
(``exchanges-per-year``, ``by-family``, ...) to the functions. ``cached()`` is the memo for
callers without Streamlit (the CLI, scripts and notebooks that use ``analytics`` as a library,
and the findings to come, which read the same metrics many times for one slice); it stays beside
the UI's cache because no call path goes through both: the pages cache at the UI edge with
``st.cache_data`` and call the plain functions.
Definitions, columns and edge cases of every metric: ``docs/metrics.md``.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import inspect
import math
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from analytics import dimensions, vocab
from analytics.errors import InvalidInputError
from analytics.filters import DEFAULT_FIRST_YEAR, FilterError, Filters
from analytics.i18n import t
from analytics.ledger import (
    LATEST_PRECISION,
    LATEST_STATUS,
    LedgerError,
    LedgerReader,
    connect_read_only,
    file_signature,
    query_frame,
)
from analytics.spreadsheet import header

INTERNATIONAL = vocab.INTERNATIONAL_BUCKET

# Breakdown dimension (also the result column) -> SQL expression over exchange_rows: a view of the
# dimension registry (analytics.dimensions), where identifiers only ever come from.
DIMENSIONS: dict[str, str] = {d.name: d.sql for d in dimensions.BREAKDOWNS}
# Cross tables also take the year.
CROSS_DIMENSIONS: dict[str, str] = {**DIMENSIONS, "year": dimensions.YEAR.sql}
# Measure -> aggregate over exchange_rows. Events: distinct event ids plus one per row without
# one (the same as count(DISTINCT event_key), several times faster on large ledgers).
MEASURES: dict[str, str] = {
    "exchanges": "count(*)",
    "events": "(count(DISTINCT event_id) + count(*) FILTER (WHERE event_id IS NULL))",
    "parties": "count(DISTINCT party_id)",
    "countries": "count(DISTINCT country_iso3)",
}


@dataclass(frozen=True)
class Counting:
    """Where a metric counts: the exchanges one by one, or the counts the ledger keeps beside them
    (schema 5, docs/ledger-format.md "Counts kept beside the exchanges"), which give the same
    numbers from several times fewer rows. Over the counts, the distinct events come from the
    event participations (``events``) and the exchanges without an event id from the counts."""

    name: str
    rows: str  # the relation the filters and the grouping read
    measures: dict[str, str]  # measure -> aggregate over ``rows``
    events: str | None = None  # the event participations, when ``rows`` has no event ids
    event_key: str = "event_id"  # the column of ``events`` that tells events apart
    first_date: str = "date"  # the column of ``rows`` with the earliest date of its exchanges
    lacks: frozenset[str] = frozenset()  # dimensions ``rows`` cannot filter or group by

    @property
    def exchanges(self) -> str:
        return self.measures["exchanges"]

    def count(self, condition: str) -> str:
        """The exchanges among the rows meeting ``condition``, 0 when none."""
        return f"coalesce({self.exchanges} FILTER (WHERE {condition}), 0)"

    @property
    def participations(self) -> tuple[str, str]:
        """(relation, condition) of the rows that place a party at an event."""
        return (self.events, "TRUE") if self.events else (self.rows, "event_id IS NOT NULL")


ROWS = Counting("rows", "exchange_rows", MEASURES)
COUNTS = Counting(
    "counts",
    "exchange_count_rows",
    {
        "exchanges": "sum(exchange_count)",
        "events": "sum(solo_count)",
        "parties": MEASURES["parties"],
        "countries": MEASURES["countries"],
    },
    events="event_party_rows",
    event_key="event_no",
    first_date="first_date",
)
# The same counts by year, party and status only, for the slices that need no other column.
PARTY_YEAR_COUNTS = Counting(
    "party-year counts",
    "party_year_count_rows",
    COUNTS.measures,
    events=COUNTS.events,
    event_key=COUNTS.event_key,
    first_date=COUNTS.first_date,
    lacks=frozenset({"form", "direction", "level"}),
)
COUNTINGS: dict[str, Counting | None] = {"auto": None, "rows": ROWS, "counts": COUNTS}
_COUNTING: contextvars.ContextVar[str] = contextvars.ContextVar("counting", default="auto")


@contextlib.contextmanager
def counting(way: str) -> Iterator[None]:
    """Make the metrics in this block count ``way``: "rows" (the exchanges one by one), "counts"
    (the ledger's counts) or "auto" (the counts where the ledger has them, the default)."""
    if way not in COUNTINGS:
        raise MetricError(t("error.metric.counting", way=repr(way), valid=", ".join(COUNTINGS)))
    token = _COUNTING.set(way)
    try:
        yield
    finally:
        _COUNTING.reset(token)


def _counting(con: duckdb.DuckDBPyConnection, filters: Filters, *dims: str) -> Counting:
    """How to count ``filters`` grouped by ``dims``: as ``counting`` says; for "auto", the
    smallest count table that has every dimension the filters and ``dims`` name, else the rows."""
    chosen = COUNTINGS[_COUNTING.get()]
    if chosen is not None:
        return chosen
    held = _query(con, "SELECT count(*) AS n FROM duckdb_views() WHERE view_name = ?", [COUNTS.rows])
    if not int(held["n"].iloc[0]):
        return ROWS
    named = {d for d in dims} | {dimensions.BY_FILTER_FIELD[f].name for f in FILTER_FIELDS if getattr(filters, f)}
    return COUNTS if named & PARTY_YEAR_COUNTS.lacks else PARTY_YEAR_COUNTS


KPIS: tuple[str, ...] = ("exchanges", "events", "parties", "countries")
# The Filters fields that restrict a dimension (from the registry).
FILTER_FIELDS: tuple[str, ...] = tuple(d.filter_field for d in dimensions.FILTERABLE if d.filter_field)
CHANGE_LEVELS: tuple[str, ...] = (
    "large increase",
    "moderate increase",
    "little change",
    "moderate decrease",
    "large decrease",
    "too small to class",
)
LEADERBOARD_KINDS: tuple[str, ...] = ("country", "party")
CACHE_SIZE = 64


class MetricError(InvalidInputError):
    """A metric asked for with an unknown name, dimension, option or period."""


Source = duckdb.DuckDBPyConnection | LedgerReader | str | Path


# --------------------------------------------------------------------------- plumbing


@contextlib.contextmanager
def opened(source: Source) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for ``source``; a path is opened read-only and closed afterwards."""
    if isinstance(source, LedgerReader):
        yield source.connection()
    elif isinstance(source, str | Path):
        con = connect_read_only(source)
        try:
            yield con
        finally:
            con.close()
    else:
        yield source


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    """Run one query on its own cursor and return the (small) result."""
    return query_frame(con, sql, params, action="error.action.compute_metric")


def _prepared(filters: Filters | None) -> Filters:
    return (filters or Filters()).validated()


def _ints(frame: pd.DataFrame, columns) -> pd.DataFrame:
    for column in columns:
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def _pct(change: pd.Series, base: pd.Series) -> pd.Series:
    """change / base in percent; NaN where the base is zero."""
    base = base.astype("float64")
    return (change.astype("float64") / base.where(base != 0)) * 100.0


def _share(count: pd.Series, total) -> pd.Series:
    """count / total as a fraction; NaN where the total is zero."""
    count = count.astype("float64")
    if isinstance(total, pd.Series):
        total = total.astype("float64")
        return count / total.where(total != 0)
    return count / float(total) if total else count * math.nan


def _international_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Name the country-less bucket: country_iso3 '' gets country 'International organisations'."""
    if "country" in frame.columns and "country_iso3" in frame.columns:
        frame.loc[frame["country_iso3"] == "", "country"] = INTERNATIONAL
    return frame


def resolve_dimension(name: str, *, allow_year: bool = False) -> str:
    """The canonical dimension name for ``name`` (aliases like 'family' accepted); raises MetricError."""
    return dimensions.resolve(name, allow_year=allow_year, error=MetricError)


def _years(value, what: str) -> tuple[int, int]:
    """A (first, last) year pair from a tuple or 'YYYY-YYYY' / 'YYYY' text; raises MetricError.

    ``what`` is the catalogue key of the value's name in messages.
    """
    what = t(what)
    if isinstance(value, str):
        parts = [p.strip() for p in value.split("-")] if value.count("-") == 1 else [value.strip()] * 2
    else:
        try:
            parts = list(value)
        except TypeError:
            parts = [value, value]
    try:
        first, last = (int(str(p)) for p in parts)
    except ValueError:
        raise MetricError(t("error.metric.year_range", what=what, value=repr(value))) from None
    for year in (first, last):
        if not 1900 <= year <= 2200:
            raise MetricError(t("error.metric.implausible_year", what=what, year=year))
    if first > last:
        raise MetricError(t("error.metric.empty_range", what=what, first=first, last=last))
    return first, last


def window(con: Source, filters: Filters | None) -> tuple[int, int]:
    """The years a metric covers: (year_from or 1978, year_to or the last year with data).

    The last year with data is taken under the non-year filters. When nothing matches, or the
    data ends before the start, the window is the single start year. When only ``year_to`` is
    set and it is before 1978, the window starts at the first year with data (or ``year_to``).
    """
    filters = _prepared(filters)
    if filters.year_from is not None and filters.year_to is not None:
        return filters.year_from, filters.year_to
    where, params = filters.where(include_years=False)
    with opened(con) as con:
        rows = _counting(con, filters).rows
        first, last = _query(
            con, f"SELECT min(year) AS first, max(year) AS last FROM {rows} WHERE {where}", params
        ).iloc[0]
    first = None if pd.isna(first) else int(first)
    last = None if pd.isna(last) else int(last)
    start = filters.year_from if filters.year_from is not None else DEFAULT_FIRST_YEAR
    if filters.year_from is None and filters.year_to is not None and filters.year_to < start:
        start = min(first, filters.year_to) if first is not None else filters.year_to
    end = filters.year_to if filters.year_to is not None else (last if last is not None else start)
    return start, max(start, end)


def previous_window(first: int, last: int) -> tuple[int, int]:
    """The window of equal length just before (first, last)."""
    length = last - first + 1
    return first - length, first - 1


def _grid(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    dims: list[str],
    years: tuple[int, int],
    *,
    measures: tuple[str, ...] = ("exchanges",),
    companions: bool = False,
) -> pd.DataFrame:
    """Counts for every combination of ``dims`` (zeros included), ordered.

    ``filters`` must carry the year bounds. A year dimension runs over ``years``; any other
    dimension over the values present in the filtered rows, largest first.
    """
    way = _counting(con, filters, *dims)
    where, where_params = filters.where()
    params = list(where_params)
    keys = [(dim, CROSS_DIMENSIONS[dim]) for dim in dims]
    key_sql = ", ".join(f'{expr} AS "{dim}"' for dim, expr in keys)
    measure_sql = ", ".join(f'{way.measures[m]} AS "{m}"' for m in measures)
    # The companions and the order of each dimension's values are taken from the grouped counts,
    # so the rows are read once whatever the number of dimensions.
    carried = [c for dim in dims if companions and dim != "year" for c in _companions(dim)]
    carried_sql = "".join(f', any_value({CROSS_DIMENSIONS.get(c, c)}) AS "_with_{c}"' for c in carried)
    ctes = [
        f"filtered AS (SELECT * FROM {way.rows} WHERE {where})",
        f'counts AS (SELECT {key_sql}, {measure_sql}, {way.exchanges} AS "_n"{carried_sql} FROM filtered GROUP BY ALL)',
    ]
    separate_events = "events" in measures and way.events is not None
    if separate_events:
        ctes.append(
            f"event_counts AS (SELECT {key_sql}, count(DISTINCT {way.event_key}) AS n FROM {way.events} "
            f"WHERE {where} GROUP BY ALL)"
        )
        params.extend(where_params)
    order, select, joins = [], [], []
    for i, dim in enumerate(dims):
        alias = f"d{i}"
        if dim == "year":
            ctes.append(f'{alias} AS (SELECT CAST(range AS INTEGER) AS "year" FROM range(?, ?))')
            params = [*params, years[0], years[1] + 1]
            order.append(f'{alias}."year"')
        else:
            extra = "".join(f', any_value("_with_{c}") AS "{c}"' for c in _companions(dim) if companions)
            ctes.append(f'{alias} AS (SELECT "{dim}", sum("_n") AS n{extra} FROM counts GROUP BY 1)')
            order.extend([f"{alias}.n DESC", f'{alias}."{dim}"'])
        select.append(f'{alias}."{dim}"')
        if companions and dim != "year":
            select.extend(f'{alias}."{c}"' for c in _companions(dim))
        joins.append((dim, alias))
    for m in measures:
        extra = " + coalesce(e.n, 0)" if m == "events" and separate_events else ""
        select.append(f'coalesce(c."{m}", 0){extra} AS "{m}"')
    froms = " CROSS JOIN ".join(f"d{i}" for i in range(len(keys)))

    def joined(table: str) -> str:
        return " AND ".join(f'{table}."{dim}" = {alias}."{dim}"' for dim, alias in joins)

    event_join = f" LEFT JOIN event_counts e ON {joined('e')}" if separate_events else ""
    sql = (
        f"WITH {', '.join(ctes)} SELECT {', '.join(select)} FROM {froms} "
        f"LEFT JOIN counts c ON {joined('c')}{event_join} ORDER BY {', '.join(order)}"
    )
    frame = _query(con, sql, params)
    if "year" in frame.columns:
        frame["year"] = frame["year"].astype("int64")
    return _ints(frame, measures)


def _companions(dimension: str) -> tuple[str, ...]:
    """Columns that travel with a dimension in by_subregion / by_country (from the registry)."""
    return dimensions.get(dimension).companions


def _in_window(con, filters: Filters) -> tuple[Filters, tuple[int, int]]:
    years = window(con, filters)
    return filters.with_years(*years), years


# --------------------------------------------------------------------------- metrics


def exchanges_per_year(con: Source, filters: Filters | None = None) -> pd.DataFrame:
    """Exchanges, events, parties and countries per year, with year-over-year change and a 3-year mean.

    Columns: year, exchanges, events, parties, countries, exchanges_change, exchanges_change_pct,
    exchanges_rolling3. Every year of the window is present, zeros included. The change and the
    rolling mean look at the years before the window too, so they do not depend on where it starts.
    """
    filters = _prepared(filters)
    with opened(con) as con:
        first, last = window(con, filters)
        lead = (first - 2, last)
        frame = _grid(con, filters.with_years(*lead), ["year"], lead, measures=KPIS)
    counts = frame["exchanges"]
    frame["exchanges_change"] = counts.diff()
    frame["exchanges_change_pct"] = _pct(frame["exchanges_change"], counts.shift(1))
    frame["exchanges_rolling3"] = counts.rolling(3).mean()
    frame = frame.iloc[2:].reset_index(drop=True)
    frame["exchanges_change"] = frame["exchanges_change"].astype("int64")
    return frame


def breakdown(con: Source, filters: Filters | None, dimension: str, per_year: bool = False) -> pd.DataFrame:
    """Exchanges and share by one dimension, overall or per year (long format).

    Columns: <dimension>, exchanges, share; per year: year, <dimension>, exchanges, share, where
    the share is of that year's exchanges and every (year, value) pair is present, zeros included.
    """
    return _breakdown(con, filters, resolve_dimension(dimension), per_year)


def _breakdown(con, filters, dimension: str, per_year: bool, *, measures=("exchanges",), companions=False):
    filters = _prepared(filters)
    with opened(con) as con:
        filters, years = _in_window(con, filters)
        dims = ["year", dimension] if per_year else [dimension]
        frame = _grid(con, filters, dims, years, measures=measures, companions=companions)
    if per_year:
        frame["share"] = _share(frame["exchanges"], frame.groupby("year")["exchanges"].transform("sum"))
    else:
        frame["share"] = _share(frame["exchanges"], frame["exchanges"].sum())
    rest = [c for c in measures if c != "exchanges"]
    head = [c for c in frame.columns if c not in ("exchanges", "share", *rest)]
    frame = frame[[*head, "exchanges", "share", *rest]]
    return _international_names(frame)


def by_family(con: Source, filters: Filters | None = None, per_year: bool = False) -> pd.DataFrame:
    """Exchanges and share by party family (ideology). Columns: party_family, exchanges, share."""
    return _breakdown(con, filters, "party_family", per_year)


def by_status(con: Source, filters: Filters | None = None, per_year: bool = False) -> pd.DataFrame:
    """Exchanges and share by the party's status at the time. Columns: party_status, exchanges, share."""
    return _breakdown(con, filters, "party_status", per_year)


def by_form(con: Source, filters: Filters | None = None, per_year: bool = False) -> pd.DataFrame:
    """Exchanges and share by form of exchange. Columns: form, exchanges, share."""
    return _breakdown(con, filters, "form", per_year)


def by_direction(con: Source, filters: Filters | None = None, per_year: bool = False) -> pd.DataFrame:
    """Exchanges and share by direction. Columns: direction, exchanges, share."""
    return _breakdown(con, filters, "direction", per_year)


def by_level(con: Source, filters: Filters | None = None, per_year: bool = False) -> pd.DataFrame:
    """Exchanges and share by level of the lead participant. Columns: level, exchanges, share."""
    return _breakdown(con, filters, "level", per_year)


def by_region(con: Source, filters: Filters | None = None, per_year: bool = False) -> pd.DataFrame:
    """Exchanges and share by region; international organisations form their own bucket. Columns: region, exchanges, share."""
    return _breakdown(con, filters, "region", per_year)


def by_subregion(con: Source, filters: Filters | None = None, per_year: bool = False) -> pd.DataFrame:
    """Exchanges and share by sub-region, with its region. Columns: subregion, region, exchanges, share."""
    return _breakdown(con, filters, "subregion", per_year, companions=True)


def by_country(
    con: Source, filters: Filters | None = None, per_year: bool = False, top: int | None = None
) -> pd.DataFrame:
    """Exchanges, share, events and parties by country; international organisations are the row with country_iso3 ''.

    Columns: country_iso3, country, region, subregion, exchanges, share, events, parties
    (per year: a year column first, share of that year). ``top`` keeps the N largest countries
    (shares stay shares of all exchanges).
    """
    frame = _breakdown(
        con, filters, "country_iso3", per_year, measures=("exchanges", "events", "parties"), companions=True
    )
    if top is not None:
        top = _positive(top, "error.metric.what.top")
        if per_year:
            keep = (
                frame.groupby("country_iso3", sort=False)["exchanges"].sum().sort_values(ascending=False, kind="stable")
            )
            frame = frame[frame["country_iso3"].isin(keep.index[:top])].reset_index(drop=True)
        else:
            frame = frame.head(top).reset_index(drop=True)
    return frame


def cross_table(con: Source, filters: Filters | None, rows: str, columns: str) -> pd.DataFrame:
    """Exchanges for every pair of two dimensions ('year' allowed), long format, zeros included.

    Columns: <rows>, <columns>, exchanges, share (share of all exchanges matching the filters,
    so the whole table sums to 1).
    """
    rows, columns = resolve_dimension(rows, allow_year=True), resolve_dimension(columns, allow_year=True)
    if rows == columns:
        raise MetricError(t("error.metric.cross_same", dimension=rows))
    filters = _prepared(filters)
    with opened(con) as con:
        filters, years = _in_window(con, filters)
        frame = _grid(con, filters, [rows, columns], years)
    frame["share"] = _share(frame["exchanges"], frame["exchanges"].sum())
    return frame


def region_by_year(con: Source, filters: Filters | None = None) -> pd.DataFrame:
    """Region x year cross table. Columns: region, year, exchanges, share."""
    return cross_table(con, filters, "region", "year")


def family_by_year(con: Source, filters: Filters | None = None) -> pd.DataFrame:
    """Party family x year cross table. Columns: party_family, year, exchanges, share."""
    return cross_table(con, filters, "party_family", "year")


def family_by_region(con: Source, filters: Filters | None = None) -> pd.DataFrame:
    """Party family x region cross table. Columns: party_family, region, exchanges, share."""
    return cross_table(con, filters, "party_family", "region")


def first_contacts(con: Source, filters: Filters | None = None) -> pd.DataFrame:
    """Parties and countries engaged for the first time each year, and the cumulative distinct totals.

    Columns: year, new_parties, new_countries, cumulative_parties, cumulative_countries. The
    non-year filters decide which exchanges count; the window only decides which years are
    shown, so the cumulative totals include every contact before the window.
    """
    filters = _prepared(filters)
    with opened(con) as con:
        first, last = window(con, filters)
        where, params = filters.where(include_years=False)
        rows = _counting(con, filters).rows
        firsts = _query(
            con,
            f"""WITH filtered AS (SELECT party_id, country_iso3, year FROM {rows} WHERE {where} AND year <= ?),
                     parties AS (SELECT min(year) AS year FROM filtered GROUP BY party_id),
                     countries AS (SELECT min(year) AS year FROM filtered WHERE country_iso3 IS NOT NULL
                                   GROUP BY country_iso3),
                     p AS (SELECT year, count(*) AS n FROM parties GROUP BY year),
                     c AS (SELECT year, count(*) AS n FROM countries GROUP BY year)
                SELECT coalesce(p.year, c.year) AS year, coalesce(p.n, 0) AS new_parties,
                       coalesce(c.n, 0) AS new_countries
                FROM p FULL OUTER JOIN c ON p.year = c.year ORDER BY 1""",
            [*params, last],
        )
    start = min([first, *firsts["year"].astype("int64").tolist()])
    frame = (
        firsts.astype({"year": "int64"})
        .set_index("year")
        .reindex(range(start, last + 1), fill_value=0)
        .rename_axis("year")
        .reset_index()
    )
    frame = _ints(frame, ["new_parties", "new_countries"])
    frame["cumulative_parties"] = frame["new_parties"].cumsum()
    frame["cumulative_countries"] = frame["new_countries"].cumsum()
    return frame[frame["year"] >= first].reset_index(drop=True)


def leaderboard(
    con: Source, filters: Filters | None = None, kind: str = "country", top: int = 10, international: bool = True
) -> pd.DataFrame:
    """The top N countries or parties by exchanges in the window, with change against the previous window.

    Columns: rank, country_iso3, country, [party, party_zh (its Chinese name, or null),] exchanges, share, last_date, previous_exchanges,
    change, change_pct, last_date_precision. Ties share a rank; the previous window has the same
    length and ends the year before the window starts. ``international=False`` leaves the
    international organisations (country_iso3 '') out of the ranking; shares stay shares of all
    exchanges.
    """
    kind = str(kind).strip().lower()
    if kind not in LEADERBOARD_KINDS:
        raise MetricError(t("error.metric.kind", kind=repr(kind), valid=", ".join(LEADERBOARD_KINDS)))
    top = _positive(top, "error.metric.what.top")
    filters = _prepared(filters)
    with opened(con) as con:
        first, last = window(con, filters)
        before, _ = previous_window(first, last)
        where, params = filters.where(include_years=False)
        # The bucket is named in SQL so that ties are listed by the name the user sees.
        shown_country = "CASE WHEN any_value(country_iso3) IS NULL THEN ? ELSE any_value(country) END AS country"
        if kind == "country":
            keys = f"coalesce(country_iso3, '') AS country_iso3, {shown_country}"
            group, name = "1", "country"
        else:
            keys = (
                f"any_value(coalesce(country_iso3, '')) AS country_iso3, {shown_country}, "
                "any_value(party) AS party, any_value(party_zh) AS party_zh"
            )
            group, name = "party_id", "party"
        way = _counting(con, filters)
        sql = f"""
            WITH filtered AS (SELECT * FROM {way.rows} WHERE {where} AND year BETWEEN ? AND ?),
            grouped AS (
                SELECT {keys},
                       {way.count("year >= ?")} AS exchanges,
                       max(date) FILTER (WHERE year >= ?) AS last_date,
                       {LATEST_PRECISION} FILTER (WHERE year >= ?) AS last_date_precision,
                       {way.count("year < ?")} AS previous_exchanges
                FROM filtered GROUP BY {group}),
            shared AS (SELECT *, exchanges / sum(exchanges) OVER () AS share FROM grouped WHERE exchanges > 0),
            ranked AS (
                SELECT rank() OVER (ORDER BY exchanges DESC) AS rank, *
                FROM shared WHERE ? OR country_iso3 <> '')
            SELECT * FROM ranked ORDER BY exchanges DESC, {name}, country_iso3 LIMIT ?"""
        frame = _query(
            con, sql, [*params, before, last, INTERNATIONAL, first, first, first, first, bool(international), top]
        )
    frame = _ints(frame, ["rank", "exchanges", "previous_exchanges"])
    frame["share"] = frame["share"].astype("float64")
    frame["change"] = frame["exchanges"] - frame["previous_exchanges"]
    frame["change_pct"] = _pct(frame["change"], frame["previous_exchanges"])
    columns = ["rank", "country_iso3", "country", *(["party", "party_zh"] if kind == "party" else [])]
    columns += ["exchanges", "share", "last_date", "previous_exchanges", "change", "change_pct", "last_date_precision"]
    return frame[columns]


def compare_periods(
    con: Source,
    filters: Filters | None,
    dimension: str,
    period_a: tuple[int, int] | str,
    period_b: tuple[int, int] | str,
) -> pd.DataFrame:
    """Exchanges by one dimension in two year ranges, with absolute and percent change, largest rise first.

    Columns: <dimension>, exchanges_a, exchanges_b, change, change_pct, share_a, share_b. The
    periods replace the filters' own year range; values absent from both periods are left out.
    """
    dimension = resolve_dimension(dimension)
    period_a, period_b = _years(period_a, "error.metric.what.period_a"), _years(period_b, "error.metric.what.period_b")
    filters = _prepared(filters)
    where, params = filters.where(include_years=False)
    expr = DIMENSIONS[dimension]
    with opened(con) as con:
        way = _counting(con, filters, dimension)
        sql = f"""
            SELECT {expr} AS "{dimension}",
                   {way.count("year BETWEEN ? AND ?")} AS exchanges_a,
                   {way.count("year BETWEEN ? AND ?")} AS exchanges_b
            FROM {way.rows}
            WHERE {where} AND (year BETWEEN ? AND ? OR year BETWEEN ? AND ?)
            GROUP BY 1"""
        frame = _query(con, sql, [*period_a, *period_b, *params, *period_a, *period_b])
    frame = _ints(frame, ["exchanges_a", "exchanges_b"])
    frame["change"] = frame["exchanges_b"] - frame["exchanges_a"]
    frame["change_pct"] = _pct(frame["change"], frame["exchanges_a"])
    frame["share_a"] = _share(frame["exchanges_a"], frame["exchanges_a"].sum())
    frame["share_b"] = _share(frame["exchanges_b"], frame["exchanges_b"].sum())
    frame = frame.sort_values(["change", dimension], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)


def classify_change(change_pct: float, window_exchanges: int, baseline_exchanges: int, min_exchanges: int) -> str:
    """The change level of one country (see CHANGE_LEVELS and docs/metrics.md)."""
    if window_exchanges + baseline_exchanges < min_exchanges:
        return "too small to class"
    if baseline_exchanges == 0:
        return "large increase"
    if change_pct > 25:
        return "large increase"
    if change_pct >= 10:
        return "moderate increase"
    if change_pct > -10:
        return "little change"
    if change_pct >= -25:
        return "moderate decrease"
    return "large decrease"


def change_levels(
    con: Source, filters: Filters | None = None, baseline_years: int = 5, min_exchanges: int = 5
) -> pd.DataFrame:
    """Per country: the window's yearly average against the average of the baseline years before it, classed.

    Columns: country_iso3, country, region, window_exchanges, window_average, baseline_average,
    change_pct, level, baseline_exchanges. Levels: large increase (> +25%), moderate increase
    (+10% to +25%), little change (between), moderate decrease (-25% to -10%), large decrease
    (< -25%), and "too small to class" when window and baseline together hold fewer than
    ``min_exchanges`` exchanges.
    """
    baseline_years = _positive(baseline_years, "error.metric.what.baseline_years")
    min_exchanges = _positive(min_exchanges, "error.metric.what.min_exchanges", allow_zero=True)
    filters = _prepared(filters)
    with opened(con) as con:
        first, last = window(con, filters)
        base_first = first - baseline_years
        where, params = filters.where(include_years=False)
        way = _counting(con, filters)
        sql = f"""
            SELECT coalesce(country_iso3, '') AS country_iso3, any_value(country) AS country,
                   any_value(region) AS region,
                   {way.count("year >= ?")} AS window_exchanges,
                   {way.count("year < ?")} AS baseline_exchanges
            FROM {way.rows} WHERE {where} AND year BETWEEN ? AND ?
            GROUP BY 1"""
        frame = _query(con, sql, [first, first, *params, base_first, last])
    frame = _international_names(_ints(frame, ["window_exchanges", "baseline_exchanges"]))
    years = last - first + 1
    frame["window_average"] = frame["window_exchanges"] / float(years)
    frame["baseline_average"] = frame["baseline_exchanges"] / float(baseline_years)
    # From the integer counts with a single division, so a change of exactly +10 % is 10.0 and is
    # classed by its boundary (from averages, 11/3 against 10/3 gave 9.999999999999991).
    scaled_base = (frame["baseline_exchanges"] * years).astype("float64")
    scaled_change = (frame["window_exchanges"] * baseline_years - frame["baseline_exchanges"] * years) * 100
    frame["change_pct"] = scaled_change.astype("float64") / scaled_base.where(scaled_base != 0)
    frame["level"] = [
        classify_change(pct, w, b, min_exchanges)
        for pct, w, b in zip(frame["change_pct"], frame["window_exchanges"], frame["baseline_exchanges"], strict=True)
    ]
    frame["_order"] = frame["level"].map(CHANGE_LEVELS.index)
    frame = frame.sort_values(
        ["_order", "change_pct", "window_exchanges", "country_iso3"],
        ascending=[True, False, False, True],
        na_position="first",
        kind="stable",
    )
    columns = ["country_iso3", "country", "region", "window_exchanges", "window_average", "baseline_average"]
    return frame[[*columns, "change_pct", "level", "baseline_exchanges"]].reset_index(drop=True)


def concentration(con: Source, filters: Filters | None = None) -> pd.DataFrame:
    """Per year: the share of the 10 largest countries and parties, and the Herfindahl index by country.

    Columns: year, exchanges, top10_country_share, top10_party_share, hhi_country. The
    international organisations bucket counts as one "country". Shares and index are NaN in a
    year without exchanges.
    """
    filters = _prepared(filters)
    with opened(con) as con:
        filters, (first, last) = _in_window(con, filters)
        where, params = filters.where()
        way = _counting(con, filters)
        sql = f"""
            WITH filtered AS (SELECT *, coalesce(country_iso3, '') AS country_key FROM {way.rows} WHERE {where}),
            c AS (SELECT year, {way.exchanges} AS n,
                         row_number() OVER (PARTITION BY year ORDER BY {way.exchanges} DESC, country_key) AS r
                  FROM filtered GROUP BY year, country_key),
            p AS (SELECT year, {way.exchanges} AS n,
                         row_number() OVER (PARTITION BY year ORDER BY {way.exchanges} DESC, party_id) AS r
                  FROM filtered GROUP BY year, party_id),
            cs AS (SELECT year, sum(n) AS exchanges, sum(n) FILTER (WHERE r <= 10) AS top_c,
                          sum(n * n) AS squares FROM c GROUP BY year),
            ps AS (SELECT year, sum(n) FILTER (WHERE r <= 10) AS top_p FROM p GROUP BY year),
            years AS (SELECT CAST(range AS INTEGER) AS year FROM range(?, ?))
            SELECT y.year, coalesce(cs.exchanges, 0) AS exchanges, cs.top_c, ps.top_p, cs.squares
            FROM years y LEFT JOIN cs USING (year) LEFT JOIN ps USING (year) ORDER BY y.year"""
        frame = _query(con, sql, [*params, first, last + 1])
    frame = _ints(frame, ["year", "exchanges"])
    total = frame["exchanges"].astype("float64")
    frame["top10_country_share"] = _share(frame["top_c"].astype("float64"), total)
    frame["top10_party_share"] = _share(frame["top_p"].astype("float64"), total)
    frame["hhi_country"] = frame["squares"].astype("float64") / (total.where(total != 0) ** 2)
    return frame[["year", "exchanges", "top10_country_share", "top10_party_share", "hhi_country"]]


def kpis(con: Source, filters: Filters | None = None) -> pd.DataFrame:
    """Exchanges, events, parties and countries in the window and in the previous window of equal length.

    Columns: kpi, value, previous, change, change_pct, window_from, window_to, previous_from,
    previous_to. One row per kpi, in the order exchanges, events, parties, countries.
    """
    filters = _prepared(filters)
    with opened(con) as con:
        first, last = window(con, filters)
        before, before_last = previous_window(first, last)
        where, params = filters.where(include_years=False)
        way = _counting(con, filters)

        def per_period(select: str, relation: str) -> pd.DataFrame:
            # One plain aggregate per window: DuckDB's distinct counts are several times slower
            # with FILTER than over the rows a WHERE keeps.
            one = f"SELECT ? AS period, {select} FROM {relation} WHERE {where} AND year BETWEEN ? AND ?"
            periods = [0, *params, first, last, 1, *params, before, before_last]
            return _query(con, f"{one} UNION ALL {one} ORDER BY period", periods).fillna(0)

        totals = per_period(", ".join(f'{way.measures[k]} AS "{k}"' for k in KPIS), way.rows)
        if way.events is not None:
            totals["events"] += per_period(f'count(DISTINCT {way.event_key}) AS "events"', way.events)["events"]
    frame = pd.DataFrame(
        {
            "kpi": list(KPIS),
            "value": [int(totals[k].iloc[0]) for k in KPIS],
            "previous": [int(totals[k].iloc[1]) for k in KPIS],
        }
    )
    frame["change"] = frame["value"] - frame["previous"]
    frame["change_pct"] = _pct(frame["change"], frame["previous"])
    frame["window_from"], frame["window_to"] = first, last
    frame["previous_from"], frame["previous_to"] = before, before_last
    return frame


def _positive(value, what: str, *, allow_zero: bool = False) -> int:
    what = t(what)  # the catalogue key of the option's name
    try:
        number = int(str(value).strip())
    except ValueError:
        raise MetricError(t("error.metric.whole_number", what=what, value=repr(value))) from None
    if number < (0 if allow_zero else 1):
        key = "error.metric.zero_or_more" if allow_zero else "error.metric.at_least_one"
        raise MetricError(t(key, what=what, number=number))
    return number


RELATIONSHIP_COLUMNS: tuple[str, ...] = (
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
    "party_id",
    "party_zh",
    "country",
    "total_exchanges",
    "resumed_gap_years",
    "last_leader_date",
    "years_since_leader",
)


def relationships(con: Source, filters: Filters | None = None) -> pd.DataFrame:
    """One row per party met up to the window's end: first and last exchange, years active, gaps and last status.

    Columns: party, country_iso3, party_family, first_date, last_date, exchanges, years_active,
    longest_gap_years, years_since_last, last_status, then party_id, party_zh, country,
    total_exchanges, resumed_gap_years, last_leader_date, years_since_leader. The non-year
    filters decide which exchanges count; every exchange up to the window's end counts for the
    dates, gaps and status (a relationship that began in 1985 began in 1985 whatever the
    window), ``exchanges`` and ``years_active`` only inside the window (0 for a party met only
    before it). Most exchanges in the window first.
    """
    filters = _prepared(filters)
    with opened(con) as con:
        first, last = window(con, filters)
        where, params = filters.where(include_years=False)
        way = _counting(con, filters, "level")  # the last exchange at leader level
        sql = f"""
            WITH filtered AS (SELECT * FROM {way.rows} WHERE {where} AND year <= ?),
            years AS (
                SELECT party_id, year, year - lag(year) OVER (PARTITION BY party_id ORDER BY year) - 1 AS gap
                FROM (SELECT DISTINCT party_id, year FROM filtered)),
            gaps AS (
                SELECT party_id, coalesce(max(gap), 0) AS longest_gap_years,
                       coalesce(max(gap) FILTER (WHERE year >= ?), 0) AS resumed_gap_years,
                       count(*) FILTER (WHERE year >= ?) AS years_active
                FROM years GROUP BY party_id),
            grouped AS (
                SELECT party_id, any_value(party) AS party, any_value(party_zh) AS party_zh,
                       coalesce(any_value(country_iso3), '') AS country_iso3,
                       CASE WHEN any_value(country_iso3) IS NULL THEN ? ELSE any_value(country) END AS country,
                       any_value(party_family) AS party_family,
                       min({way.first_date}) AS first_date, max(date) AS last_date,
                       {way.count("year >= ?")} AS exchanges, {way.exchanges} AS total_exchanges,
                       {LATEST_STATUS} AS last_status,
                       max(date) FILTER (WHERE level = 'leader') AS last_leader_date
                FROM filtered GROUP BY party_id)
            SELECT g.*, y.longest_gap_years, y.resumed_gap_years, y.years_active,
                   ? - CAST(year(g.last_date) AS INTEGER) AS years_since_last,
                   ? - CAST(year(g.last_leader_date) AS INTEGER) AS years_since_leader
            FROM grouped g JOIN gaps y USING (party_id)
            ORDER BY g.exchanges DESC, g.party, g.country_iso3, g.party_id"""
        frame = _query(con, sql, [*params, last, first, first, INTERNATIONAL, first, last, last])
    frame = _ints(
        frame,
        ["party_id", "exchanges", "total_exchanges", "years_active", "longest_gap_years", "resumed_gap_years"],
    )
    frame["years_since_last"] = frame["years_since_last"].astype("int64")
    frame["years_since_leader"] = frame["years_since_leader"].astype("Int64")
    return frame[list(RELATIONSHIP_COLUMNS)].reset_index(drop=True)


def dormant_relationships(frame: pd.DataFrame, years: int = 5, min_exchanges: int = 3) -> pd.DataFrame:
    """The rows of ``relationships`` with no exchange for ``years`` years or more after at least
    ``min_exchanges`` (all exchanges up to the window's end), longest silence first."""
    years = _positive(years, "error.metric.what.dormant_years")
    min_exchanges = _positive(min_exchanges, "error.metric.what.min_exchanges")
    rows = frame[(frame["years_since_last"] >= years) & (frame["total_exchanges"] >= min_exchanges)]
    return rows.sort_values(
        ["years_since_last", "total_exchanges", "party"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)


def new_relationships(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``relationships`` first met in the window (every exchange up to its end lies in it),
    latest first."""
    rows = frame[(frame["exchanges"] > 0) & (frame["exchanges"] == frame["total_exchanges"])]
    return rows.sort_values(["first_date", "party"], ascending=[False, True], kind="stable").reset_index(drop=True)


def resumed_relationships(frame: pd.DataFrame, years: int = 5) -> pd.DataFrame:
    """The rows of ``relationships`` met again in the window after ``years`` or more whole years
    without an exchange (``resumed_gap_years``), longest gap first."""
    years = _positive(years, "error.metric.what.gap_years")
    rows = frame[frame["resumed_gap_years"] >= years]
    return rows.sort_values(
        ["resumed_gap_years", "last_date", "party"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)


def ruling_without_leader(frame: pd.DataFrame, years: int = 5) -> pd.DataFrame:
    """The rows of ``relationships`` whose last status is ruling and that were not met at leader level
    for ``years`` years or more (or never), never met first, then longest since."""
    years = _positive(years, "error.metric.what.leader_years")
    since = frame["years_since_leader"]
    rows = frame[(frame["last_status"] == "ruling") & (since.isna() | (since >= years))]
    rows = rows.assign(_never=rows["years_since_leader"].isna(), _since=rows["years_since_leader"].fillna(0))
    rows = rows.sort_values(
        ["_never", "_since", "total_exchanges", "party"], ascending=[False, False, False, True], kind="stable"
    )
    return rows.drop(columns=["_never", "_since"]).reset_index(drop=True)


def search_relationships(frame: pd.DataFrame, text: str, shown: pd.Series | None = None) -> pd.DataFrame:
    """The rows of ``relationships`` (or any frame with party, party_zh, country, country_iso3)
    whose party, Chinese name, country or ISO3 holds ``text``, case and width folded; ``shown``:
    more text per row to search (the country as the page names it in its language)."""
    needle = _folded(text)
    if not needle:
        return frame
    columns = [frame[c].fillna("").astype(str) for c in ("party", "party_zh", "country", "country_iso3")]
    if shown is not None:
        columns.append(shown.fillna("").astype(str))
    hit = pd.Series(False, index=frame.index)
    for column in columns:
        hit |= column.map(_folded).str.contains(needle, regex=False)
    return frame[hit].reset_index(drop=True)


def _folded(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).casefold().strip()


def co_attendance(con: Source, filters: Filters | None = None, min_events: int = 2) -> pd.DataFrame:
    """Pairs of parties met at the same multilateral events in the window, with how many they shared.

    Columns: party_a, country_a, party_b, country_b, shared_events, then party_id_a, party_id_b,
    party_zh_a, party_zh_b, party_family_a, party_family_b. A multilateral event is an ``event_id`` shared by exchanges with two
    parties or more; both parties' exchanges must match the filters. Each pair once, party a
    before party b by (name, ISO3, id); pairs with fewer than ``min_events`` shared events left
    out. Most shared events first.
    """
    min_events = _positive(min_events, "error.metric.what.min_events")
    filters = _prepared(filters)
    with opened(con) as con:
        filters, _years_shown = _in_window(con, filters)
        where, params = filters.where()
        way = _counting(con, filters)
        relation, attending = way.participations
        sql = f"""
            WITH attended AS (
                SELECT DISTINCT {way.event_key} AS event_id, party_id FROM {relation} WHERE {where} AND {attending}),
            named AS (
                SELECT *, row_number() OVER (ORDER BY party, country_iso3, party_id) AS position
                FROM (SELECT party_id, any_value(party) AS party, any_value(party_zh) AS party_zh,
                             coalesce(any_value(country_iso3), '') AS country_iso3,
                             any_value(party_family) AS party_family
                      FROM {relation} WHERE {where} AND {attending} GROUP BY party_id)),
            placed AS (SELECT a.event_id, n.position FROM attended a JOIN named n USING (party_id)),
            pairs AS (
                SELECT x.position AS position_a, y.position AS position_b, count(*) AS shared_events
                FROM placed x JOIN placed y ON x.event_id = y.event_id AND x.position < y.position
                GROUP BY 1, 2 HAVING count(*) >= ?)
            SELECT a.party AS party_a, a.country_iso3 AS country_a, b.party AS party_b, b.country_iso3 AS country_b,
                   p.shared_events, a.party_id AS party_id_a, b.party_id AS party_id_b,
                   a.party_zh AS party_zh_a, b.party_zh AS party_zh_b,
                   a.party_family AS party_family_a, b.party_family AS party_family_b
            FROM pairs p JOIN named a ON a.position = p.position_a JOIN named b ON b.position = p.position_b
            ORDER BY p.shared_events DESC, p.position_a, p.position_b"""
        frame = _query(con, sql, [*params, *params, min_events])
    return _ints(frame, ["shared_events", "party_id_a", "party_id_b"])


def party_years(con: Source, filters: Filters | None, last: int) -> pd.DataFrame:
    """Exchanges per party and year up to ``last`` under the filters other than the years.

    Columns: party_id, party, country_iso3 ('' for the international organisations), year,
    exchanges; only the years with an exchange, by party and year.
    """
    filters = _prepared(filters)
    where, params = filters.where(include_years=False)
    with opened(con) as con:
        way = _counting(con, filters)
        sql = f"""
            SELECT party_id, any_value(party) AS party, any_value(coalesce(country_iso3, '')) AS country_iso3,
                   year, {way.exchanges} AS exchanges
            FROM {way.rows} WHERE {where} AND year <= ?
            GROUP BY party_id, year ORDER BY party_id, year"""
        frame = _query(con, sql, [*params, int(last)])
    return _ints(frame, ["party_id", "year", "exchanges"])


# --------------------------------------------------------------------------- registry and cache

METRICS: dict[str, Callable[..., pd.DataFrame]] = {
    "exchanges-per-year": exchanges_per_year,
    "by-family": by_family,
    "by-status": by_status,
    "by-form": by_form,
    "by-direction": by_direction,
    "by-level": by_level,
    "by-region": by_region,
    "by-subregion": by_subregion,
    "by-country": by_country,
    "breakdown": breakdown,
    "cross-table": cross_table,
    "region-by-year": region_by_year,
    "family-by-year": family_by_year,
    "family-by-region": family_by_region,
    "first-contacts": first_contacts,
    "leaderboard": leaderboard,
    "compare-periods": compare_periods,
    "change-levels": change_levels,
    "concentration": concentration,
    "kpis": kpis,
    "relationships": relationships,
    "co-attendance": co_attendance,
}


# Other spellings users type (the issue that defined the metrics says "leaderboards").
METRIC_ALIASES = {"leaderboards": "leaderboard", "kpi": "kpis", "first-contact": "first-contacts"}


def get_metric(name: str) -> Callable[..., pd.DataFrame]:
    """The metric function registered as ``name`` (or an alias); raises MetricError listing the valid names."""
    try:
        return METRICS[METRIC_ALIASES.get(name, name)]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(METRICS), n=1)
        hint = t("error.metric.did_you_mean", name=repr(close[0])) if close else ""
        raise MetricError(t("error.metric.unknown", name=repr(name), hint=hint, valid=", ".join(METRICS))) from None


# A result column whose header is not its dimension's label: the country code beside the country's
# name, and the change class of change-levels (not the level of the lead participant).
# Result columns whose header is not the one their name has elsewhere.
HEADER_COLUMNS: dict[tuple[str, str], str] = {("change-levels", "level"): "change_level"}


def column_label(name: str, column: str) -> str:
    """The header of a result column of the metric ``name`` in the current language
    (``spreadsheet.header``: the column name in English, the catalogue's header in Chinese)."""
    name = METRIC_ALIASES.get(name, name)
    key = HEADER_COLUMNS.get((name, column), column)
    shown = header(key)
    return column if shown == key else shown  # English: the column's own name


def metric_options(name: str) -> dict[str, object]:
    """Options a metric takes beyond (con, filters): name -> default (``inspect.Parameter.empty`` if required)."""
    parameters = list(inspect.signature(get_metric(name)).parameters.values())[2:]
    return {p.name: p.default for p in parameters}


def metric_summary(name: str) -> str:
    """First line of the metric's docstring."""
    return (get_metric(name).__doc__ or "").strip().splitlines()[0]


def compute(source: Source, name: str, filters: Filters | None = None, **options) -> pd.DataFrame:
    """Run the metric registered as ``name``; options it does not take raise MetricError."""
    function = get_metric(name)
    accepted = metric_options(name)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) or t("error.metric.no_options")
        raise MetricError(t("error.metric.option_unknown", name=name, unknown=", ".join(unknown), takes=takes))
    missing = [k for k, v in accepted.items() if v is inspect.Parameter.empty and k not in options]
    if missing:
        raise MetricError(t("error.metric.option_missing", name=name, missing=", ".join(missing)))
    return function(source, filters, **options)


def _freeze(value):
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


class _Memo:
    """A bounded LRU of metric results keyed on (metric, filters, options, ledger file, its signature)."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


_MEMO = _Memo(CACHE_SIZE)


def cached(source: LedgerReader | str | Path, name: str, filters: Filters | None = None, **options) -> pd.DataFrame:
    """``compute()`` through a small LRU keyed on the ledger file's signature: a write shows at once.

    Returns a copy, so callers may change the frame freely. A long-lived process that also
    holds a ``LedgerReader`` should pass the reader: DuckDB shares one instance per path in a
    process, so a path opened beside a reader's stale connection would read the old file.
    """
    path = Path(source.path if isinstance(source, LedgerReader) else source)
    filters = _prepared(filters)
    get_metric(name)
    try:
        signature = file_signature(path)
    except FileNotFoundError:
        raise LedgerError(t("error.ledger.not_found", path=path)) from None
    key = (name, filters, tuple(sorted((k, _freeze(v)) for k, v in options.items())), str(path.resolve()), signature)
    frame = _MEMO.get(key)
    if frame is None:
        frame = compute(source, name, filters, **options)
        _MEMO.put(key, frame)
    return frame.copy()


def cache_info() -> dict[str, int]:
    """Hits, misses and entries of the ``cached()`` memo."""
    return {"hits": _MEMO.hits, "misses": _MEMO.misses, "entries": len(_MEMO._data), "size": _MEMO.size}


def cache_clear() -> None:
    """Empty the ``cached()`` memo."""
    _MEMO.clear()


def check_party(source: Source, filters: Filters | None) -> None:
    """Raise FilterError when the filters name a party the ledger does not hold, suggesting close names."""
    filters = filters or Filters()
    if not filters.party:
        return
    with opened(source) as con:
        names = _query(con, "SELECT name FROM parties UNION SELECT name_zh FROM parties WHERE name_zh IS NOT NULL", [])[
            "name"
        ].tolist()
    if filters.party.casefold() in {n.casefold() for n in names}:
        return
    folded = {n.casefold(): n for n in names}
    close = [folded[c] for c in difflib.get_close_matches(filters.party.casefold(), list(folded), n=5, cutoff=0.6)]
    hint = t("error.metric.close_parties", names=", ".join(close)) if close else ""
    raise FilterError(t("error.metric.no_party", party=repr(filters.party), hint=hint))
