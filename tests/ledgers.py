"""The one place tests build small ledgers from rows written in the test.

``build_ledger(path, rows)`` makes an empty ledger with the real schema and countries, then
writes the given exchanges through ``write_transaction`` (the same path every writer takes).
Each row is a dict; only ``date`` and ``party`` are required, the rest default as below (a
party's Chinese name ``party_zh``, taken from its first row, defaults to none).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from analytics import ledger
from analytics.ledger import connect_read_only, content_hash, create_ledger, migrate, set_meta, write_transaction
from analytics.reference import countries

DEFAULTS = {
    "country": "FRA",
    "family": "socialist",
    "status": "ruling",
    "form": "working_visit",
    "direction": "inbound",
    "level": "senior",
    "event_id": None,
    "delegation_size": None,
    "topic": None,
    "source": "test",
}


def parse_date(text: str) -> tuple[dt.date, str]:
    """'2001-05-02' -> day precision, '2001-05' -> month, '2001' -> year."""
    parts = str(text).split("-")
    if len(parts) == 3:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2])), "day"
    if len(parts) == 2:
        return dt.date(int(parts[0]), int(parts[1]), 1), "month"
    return dt.date(int(parts[0]), 1, 1), "year"


def build_ledger(path: Path | str, rows: list[dict], *, demo: bool = False) -> Path:
    """A ledger file at ``path`` holding exactly ``rows``."""
    path = Path(path)
    create_ledger(path, demo=False, force=True)
    if not rows:
        return path
    with write_transaction(path) as con:
        party_ids: dict[tuple[str, str | None], int] = {}
        for exchange_id, given in enumerate(rows, start=1):
            row = {**DEFAULTS, **given}
            key = (row["party"], row["country"])
            if key not in party_ids:
                party_ids[key] = len(party_ids) + 1
                con.execute(
                    "INSERT INTO parties (party_id, name, country_iso3, family, name_zh) VALUES (?, ?, ?, ?, ?)",
                    [party_ids[key], row["party"], row["country"], row["family"], row.get("party_zh")],
                )
            date, precision = parse_date(row["date"])
            con.execute(
                """INSERT INTO exchanges (exchange_id, date, date_precision, party_id, party_status, form,
                       direction, level, event_id, delegation_size, topic, source)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    exchange_id,
                    date,
                    precision,
                    party_ids[key],
                    row["status"],
                    row["form"],
                    row["direction"],
                    row["level"],
                    row["event_id"],
                    row["delegation_size"],
                    row["topic"],
                    row["source"],
                ],
            )
        if demo:
            set_meta(con, is_demo="true")
    return path


def fingerprint(path: Path | str) -> str:
    """The ledger's content hash, read through a read-only connection that is closed afterwards."""
    con = connect_read_only(path)
    try:
        return content_hash(con)
    finally:
        con.close()


def memory_ledger() -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB with the ledger's schema and reference countries, no exchanges."""
    con = duckdb.connect()
    migrate(con)
    con.register("reference", countries()[["iso3", "iso2", "m49", "name", "common_name", "region", "subregion"]])
    con.execute("INSERT INTO countries SELECT * FROM reference")
    con.unregister("reference")
    return con


def insert_bulk(con, parties: list[tuple[str, str | None, str]], rows: list[dict]) -> None:
    """Insert ``parties`` (name, ISO3 or None, family; ids 1..n) and ``rows`` in two bulk inserts.

    Each row: ``party`` (index into ``parties``), ``date`` (a date), ``precision``, ``party_status``,
    ``form``, ``direction``, ``level``, ``event_id``. For the generated ledgers of the oracle and
    property tests, where thousands of rows one INSERT at a time would be slow. The ledger's
    counts are taken afresh after them.
    """
    party_table = pd.DataFrame(
        {
            "party_id": range(1, len(parties) + 1),
            "name": [p[0] for p in parties],
            "country_iso3": pd.Series([p[1] for p in parties], dtype="object"),
            "family": [p[2] for p in parties],
        }
    )
    con.register("new_parties", party_table)
    con.execute("INSERT INTO parties (party_id, name, country_iso3, family) SELECT * FROM new_parties")
    con.unregister("new_parties")
    if rows:
        _insert_exchanges(con, rows)
    ledger.rebuild_counts(con)  # what every write does before it commits


def _insert_exchanges(con, rows: list[dict]) -> None:
    exchanges = pd.DataFrame(
        {
            "exchange_id": range(1, len(rows) + 1),
            "date": pd.to_datetime([r["date"] for r in rows]),
            "date_precision": [r["precision"] for r in rows],
            "party_id": [r["party"] + 1 for r in rows],
            "party_status": [r["party_status"] for r in rows],
            "form": [r["form"] for r in rows],
            "direction": [r["direction"] for r in rows],
            "level": [r["level"] for r in rows],
            "event_id": pd.Series([r["event_id"] for r in rows], dtype="object"),
        }
    )
    con.register("new_exchanges", exchanges)
    con.execute("""INSERT INTO exchanges (exchange_id, date, date_precision, party_id, party_status, form,
                       direction, level, event_id)
                   SELECT exchange_id, CAST(date AS DATE), date_precision, party_id, party_status, form,
                          direction, level, event_id FROM new_exchanges""")
    con.unregister("new_exchanges")


def query(path: Path | str, sql: str, params: list | tuple | None = None) -> list[tuple]:
    """The rows of one read query on the ledger file at ``path`` (a read-only connection of its own)."""
    con = connect_read_only(path)
    try:
        return con.execute(sql, list(params or [])).fetchall()
    finally:
        con.close()


def counts_drift(path: Path | str) -> int:
    """Rows of the ledger's counts that differ from counting its exchanges afresh (0: exact)."""
    con = connect_read_only(path)
    try:
        return ledger.counts_drift(con)
    finally:
        con.close()


@contextlib.contextmanager
def full_recounts() -> Iterator[list[int]]:
    """Inside the block, every full recount of a ledger's counts (``ledger.rebuild_counts``) is
    listed in the yielded list: a write that keeps its counts by its own groups lists nothing."""
    called: list[int] = []
    real = ledger.rebuild_counts

    def listed(con) -> None:
        called.append(1)
        real(con)

    ledger.rebuild_counts = listed
    try:
        yield called
    finally:
        ledger.rebuild_counts = real
