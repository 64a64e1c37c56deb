"""The one place tests build small ledgers from rows written in the test.

``build_ledger(path, rows)`` makes an empty ledger with the real schema and countries, then
writes the given exchanges through ``write_transaction`` (the same path every writer takes).
Each row is a dict; only ``date`` and ``party`` are required, the rest default as below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from analytics.ledger import create_ledger, set_meta, write_transaction

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
                    "INSERT INTO parties (party_id, name, country_iso3, family) VALUES (?, ?, ?, ?)",
                    [party_ids[key], row["party"], row["country"], row["family"]],
                )
            date, precision = parse_date(row["date"])
            con.execute(
                """INSERT INTO exchanges (exchange_id, date, date_precision, party_id, party_status, form,
                       direction, level, event_id, delegation_size, topic, source)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [exchange_id, date, precision, party_ids[key], row["status"], row["form"], row["direction"],
                 row["level"], row["event_id"], row["delegation_size"], row["topic"], row["source"]],
            )
        if demo:
            set_meta(con, is_demo="true")
    return path
