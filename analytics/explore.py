"""The Explorer's queries: a pivot over any two dimensions and the filtered ledger rows.

``pivot`` counts a measure (exchanges, events, parties, countries) for every pair of two
user-chosen dimensions; ``pivot_table`` lays it out wide with totals that are right for
distinct counts too (they come from SQL grouping sets, not from adding cells up).
``ledger_rows`` / ``ledger_rows_count`` return the exchanges matching the filters and a
free-text search. Called by the Explorer and Profiles pages (through ``pages/cache.py``),
the chart catalog and the exports. User-chosen dimensions and sort columns go
through the allow-lists below; every value travels as a query parameter. The wide pivot's
headers (values, the total, the measure) are in the current language (``analytics.i18n``); the
long pivot keeps the codes, as the charts and data files want them.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import dimensions, reference, vocab
from analytics.errors import InvalidInputError
from analytics.filters import Filters
from analytics.i18n import region_name, t, vocabulary_label
from analytics.ledger import query_frame
from analytics.metrics import MEASURES, window

# Pivot dimension (also the result column) -> SQL expression over exchange_rows: a view of the
# dimension registry (analytics.dimensions).
PIVOT_DIMENSIONS: dict[str, str] = {d.pivot_name: d.pivot_sql or d.sql for d in dimensions.PIVOTS if d.pivot_name}
PIVOT_MEASURES: tuple[str, ...] = tuple(MEASURES)
TOTAL = "Total"  # the key of the totals row and column while the table is built
# The name of each measure as a column header of the wide pivot.
MEASURE_KEYS: dict[str, str] = {
    "exchanges": "chart.measure.exchanges",
    "events": "chart.measure.events",
    "parties": "chart.measure.parties",
    "countries": "chart.measure.countries",
}

# Columns of the ledger table, in display order.
LEDGER_COLUMNS: tuple[str, ...] = (
    "date",
    "date_precision",
    "party",
    "party_zh",
    "country",
    "country_iso3",
    "region",
    "subregion",
    "party_family",
    "party_status",
    "form",
    "direction",
    "level",
    "event_id",
    "delegation_size",
    "topic",
    "source",
    "exchange_id",
)
# Sortable column -> SQL expression.
ORDER_COLUMNS: dict[str, str] = {
    "date": "date",
    "party": "party",
    "country": "country",
    "region": "region",
    "party_family": "party_family",
    "party_status": "party_status",
    "form": "form",
    "direction": "direction",
    "level": "level",
    "event_id": "event_id",
}
SEARCH_COLUMNS: tuple[str, ...] = ("party", "party_zh", "country", "topic", "event_id")
DEFAULT_LIMIT = 1000


class ExploreError(InvalidInputError):
    """A pivot dimension, measure or sort column that is not on the allow-list."""


def _dimension(name: str) -> str:
    if name not in PIVOT_DIMENSIONS:
        raise ExploreError(t("explore.error.dimension", name=repr(name), valid=", ".join(PIVOT_DIMENSIONS)))
    return name


def _windowed(con, filters: Filters | None) -> Filters:
    filters = (filters or Filters()).validated()
    return filters.with_years(*window(con, filters))


def _cells(con, filters: Filters | None, rows: str, columns: str | None, measure: str) -> pd.DataFrame:
    """Every (row, column) cell plus the row, column and grand totals (NULL key = total)."""
    rows = _dimension(rows)
    if columns is not None:
        columns = _dimension(columns)
        if columns == rows:
            raise ExploreError(t("explore.error.same_dimension", dimension=rows))
    if measure not in MEASURES:
        raise ExploreError(t("explore.error.measure", name=repr(measure), valid=", ".join(MEASURES)))
    filters = _windowed(con, filters)
    where, params = filters.where()
    keys = [rows] + ([columns] if columns else [])
    sets = "((r, c), (r), (c), ())" if columns else "((r), ())"
    aliases = ["r", "c"][: len(keys)]
    select = ", ".join(f'{alias} AS "{key}"' for alias, key in zip(aliases, keys, strict=True))
    inner = ", ".join(f"{PIVOT_DIMENSIONS[k]} AS {alias}" for k, alias in zip(keys, aliases, strict=True))
    sql = f"""
        WITH filtered AS (SELECT *, {inner} FROM exchange_rows WHERE {where})
        SELECT {select}, {MEASURES[measure]} AS "{measure}",
               {", ".join(f"grouping({a}) AS g_{a}" for a in aliases)}
        FROM filtered GROUP BY GROUPING SETS {sets}"""
    frame = query_frame(con, sql, params)
    frame[measure] = frame[measure].astype("int64")
    return frame


def pivot(
    con: duckdb.DuckDBPyConnection,
    filters: Filters | None,
    rows: str,
    columns: str | None = None,
    measure: str = "exchanges",
) -> pd.DataFrame:
    """The measure for every (rows, columns) pair present in the filtered rows, long format.

    Columns: <rows>, [<columns>,] <measure>, share (cell / the measure over all filtered rows).
    Pairs with no exchange are left out; sorted by rows then columns.
    """
    frame = _cells(con, filters, rows, columns, measure)
    grand = frame.loc[(frame["g_r"] == 1) & (frame.get("g_c", 1) == 1), measure]
    total = int(grand.iloc[0]) if len(grand) else 0
    cells = frame[(frame["g_r"] == 0) & ((frame["g_c"] == 0) if columns else True)]
    keys = [rows] + ([columns] if columns else [])
    cells = cells[[*keys, measure]].sort_values(keys, kind="stable").reset_index(drop=True)
    cells["share"] = cells[measure] / total if total else 0.0
    return cells


def pivot_table(
    con: duckdb.DuckDBPyConnection,
    filters: Filters | None,
    rows: str,
    columns: str | None = None,
    measure: str = "exchanges",
) -> pd.DataFrame:
    """The pivot laid out wide: one row per ``rows`` value, one column per ``columns`` value, and a
    ``Total`` row and column computed by SQL (right for distinct counts). Empty cells are 0.

    Headers are in the current language: values by their labels or names ('Working visit',
    '工作访问'; 'France', '法国'), the total ('Total', '合计'), the measure of a one-way table
    ('Exchanges', '交往次数'); the index is named by the rows' dimension label."""
    frame = _cells(con, filters, rows, columns, measure)
    if frame.empty or frame[measure].sum() == 0:
        return pd.DataFrame()
    if columns is None:
        body = frame[frame["g_r"] == 0].set_index(rows)[[measure]]
        body = body.sort_values(measure, ascending=False) if rows not in ("year", "decade") else body.sort_index()
        total = frame.loc[frame["g_r"] == 1, measure].iloc[0]
        body.loc[TOTAL] = total
        body.index = [_label(rows, v) for v in body.index]
        body.index.name = dimensions.label(rows)
        return body.rename(columns={measure: t(MEASURE_KEYS[measure])})
    cells = frame[(frame["g_r"] == 0) & (frame["g_c"] == 0)]
    wide = cells.pivot(index=rows, columns=columns, values=measure).fillna(0).astype("int64")
    row_totals = frame[(frame["g_r"] == 0) & (frame["g_c"] == 1)].set_index(rows)[measure]
    col_totals = frame[(frame["g_r"] == 1) & (frame["g_c"] == 0)].set_index(columns)[measure]
    grand = int(frame.loc[(frame["g_r"] == 1) & (frame["g_c"] == 1), measure].iloc[0])
    row_order = (
        sorted(wide.index)
        if rows in ("year", "decade")
        else list(row_totals.sort_values(ascending=False, kind="stable").index)
    )
    col_order = (
        sorted(wide.columns)
        if columns in ("year", "decade")
        else list(col_totals.sort_values(ascending=False, kind="stable").index)
    )
    wide = wide.reindex(index=row_order, columns=col_order, fill_value=0)
    wide[TOTAL] = row_totals.reindex(row_order).astype("int64")
    wide.loc[TOTAL] = [*col_totals.reindex(col_order).astype("int64"), grand]
    wide.index = [_label(rows, v) for v in wide.index]
    wide.index.name = dimensions.label(rows)
    wide.columns = [_label(columns, v) for v in wide.columns]
    return wide


def _label(dimension: str, value) -> str:
    """A header of the wide pivot in the current language (as on the chart's axes)."""
    if value == TOTAL:
        return t("explore.total")
    if dimensions.coded(dimension):
        return vocabulary_label(value)
    if dimension == "decade":
        return t("chart.decade", decade=value)  # as on the chart's axis: '1970s'
    if dimension in ("region", "subregion"):
        return region_name(str(value))
    if dimension == "country":
        return reference.country_label(None, value)
    return str(value)


def top_parties_per_family(con: duckdb.DuckDBPyConnection, filters: Filters | None, top: int = 5) -> pd.DataFrame:
    """The ``top`` parties of each party family by exchanges in the filters' window, in one query.

    Columns: party_family, rank, party, party_zh (its Chinese name, or null), country_iso3 ('' for
    an organisation), country, exchanges, share (of the family's exchanges). Ties are broken by
    party name.
    """
    filters = _windowed(con, filters)
    where, params = filters.where()
    frame = query_frame(
        con,
        f"""
        WITH grouped AS (
            SELECT party_family, party_id, any_value(party) AS party, any_value(party_zh) AS party_zh,
                   any_value(coalesce(country_iso3, '')) AS country_iso3, any_value(country) AS country,
                   count(*) AS exchanges
            FROM exchange_rows WHERE {where} GROUP BY party_family, party_id),
        ranked AS (
            SELECT *, exchanges / sum(exchanges) OVER (PARTITION BY party_family) AS share,
                   row_number() OVER (PARTITION BY party_family ORDER BY exchanges DESC, party, country_iso3) AS rank
            FROM grouped)
        SELECT party_family, rank, party, party_zh, country_iso3, country, exchanges, share
        FROM ranked WHERE rank <= ? ORDER BY party_family, rank""",
        [*params, int(top)],
    )
    frame.loc[frame["country_iso3"] == "", "country"] = vocab.INTERNATIONAL_BUCKET
    frame["rank"] = frame["rank"].astype("int64")
    frame["exchanges"] = frame["exchanges"].astype("int64")
    return frame


def _search_clause(search: str | None) -> tuple[str, list]:
    text = (search or "").strip()
    if not text:
        return "TRUE", []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    clause = " OR ".join(f"coalesce({column}, '') ILIKE ? ESCAPE '\\'" for column in SEARCH_COLUMNS)
    return f"({clause})", [pattern] * len(SEARCH_COLUMNS)


def ledger_rows(
    con: duckdb.DuckDBPyConnection,
    filters: Filters | None,
    search: str | None = None,
    limit: int | None = DEFAULT_LIMIT,
    order_by: str = "date",
    descending: bool = True,
    offset: int = 0,
) -> pd.DataFrame:
    """The exchanges matching the filters (within their year window) and ``search`` (a case-
    insensitive substring of party, its Chinese name, country, topic or event id), sorted by
    ``order_by`` then date and id. ``limit`` None returns every row. Columns: ``LEDGER_COLUMNS``."""
    if order_by not in ORDER_COLUMNS:
        raise ExploreError(t("explore.error.sort", name=repr(order_by), valid=", ".join(ORDER_COLUMNS)))
    filters = _windowed(con, filters)
    where, params = filters.where()
    search_sql, search_params = _search_clause(search)
    direction = "DESC" if descending else "ASC"
    sql = f"""SELECT {", ".join(LEDGER_COLUMNS)} FROM exchange_rows
              WHERE {where} AND {search_sql}
              ORDER BY {ORDER_COLUMNS[order_by]} {direction} NULLS LAST, date {direction}, exchange_id {direction}"""
    params = [*params, *search_params]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [int(limit), int(offset)]
    frame = query_frame(con, sql, params)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


def ledger_rows_count(con: duckdb.DuckDBPyConnection, filters: Filters | None, search: str | None = None) -> int:
    """How many exchanges ``ledger_rows`` would return without a limit."""
    filters = _windowed(con, filters)
    where, params = filters.where()
    search_sql, search_params = _search_clause(search)
    frame = query_frame(
        con, f"SELECT count(*) AS n FROM exchange_rows WHERE {where} AND {search_sql}", [*params, *search_params]
    )
    return int(frame["n"].iloc[0])
