"""The checks that need the ledger: a party given with another family than the ledger's, and a
row already in the ledger. Queries take the rows as a registered frame, never formatted SQL.

Called by ``batch.prepare_import`` (read-only, before the user decides) and again by
``batch.commit_import`` inside the write transaction.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import i18n
from analytics.importer.problems import WHOLE_ROW, CheckedRows, _empty_problems, _problem_frame
from analytics.importer.values import code_shown


def check_against_ledger(checked: CheckedRows, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Problems that depend on the ledger: a party's family differs from the ledger's, or the row
    is already in the ledger (same date and precision, party, country, form, direction, event_id)."""
    clean = checked.clean
    ready = clean[
        clean["party"].notna()
        & clean["party_family"].notna()
        & clean["date"].notna()
        & clean["form"].notna()
        & clean["direction"].notna()
        & (clean["country_iso3"].notna() | (clean["party_family"] == "international_org"))
    ]
    if ready.empty:
        return _empty_problems()
    keys = ready[
        ["pos", "date", "date_precision", "party", "country_iso3", "party_family", "form", "direction", "event_id"]
    ]
    con.execute("SET enable_progress_bar = false")
    con.register("import_keys", keys)
    try:
        families = con.execute(
            """SELECT k.pos, k.party_family, p.family
               FROM import_keys k JOIN parties p
                 ON p.name = k.party AND coalesce(p.country_iso3, '') = coalesce(k.country_iso3, '')
               WHERE p.family <> k.party_family
               ORDER BY k.pos"""
        ).fetchdf()
        duplicates = con.execute(
            """SELECT k.pos, min(e.exchange_id) AS exchange_id, min(e.batch_id) AS batch_id
               FROM import_keys k
               JOIN parties p ON p.name = k.party AND coalesce(p.country_iso3, '') = coalesce(k.country_iso3, '')
               JOIN exchanges e ON e.party_id = p.party_id AND e.date = CAST(k.date AS DATE)
                 AND e.date_precision = k.date_precision AND e.form = k.form AND e.direction = k.direction
                 AND e.event_id IS NOT DISTINCT FROM k.event_id
               GROUP BY k.pos ORDER BY k.pos"""
        ).fetchdf()
    finally:
        con.unregister("import_keys")
    found = []
    if len(families):
        found.append(
            _problem_frame(
                families["pos"],
                "party_family",
                families["party_family"],
                [
                    i18n.t("importer.reason.family_in_ledger", family=code_shown(family))
                    for family in families["family"].astype(str)
                ],
                [code_shown(family) for family in families["family"].astype(str)],
            )
        )
    if len(duplicates):
        reasons = [
            i18n.t(
                "importer.reason.in_ledger",
                exchange=exchange,
                batch=i18n.t("importer.no_batch") if pd.isna(batch) else int(batch),
            )
            for exchange, batch in zip(duplicates["exchange_id"], duplicates["batch_id"], strict=True)
        ]
        found.append(
            _problem_frame(
                duplicates["pos"],
                WHOLE_ROW,
                [""] * len(duplicates),
                reasons,
                i18n.t("importer.suggest.remove_or_undo"),
            )
        )
    return pd.concat(found, ignore_index=True) if found else _empty_problems()
