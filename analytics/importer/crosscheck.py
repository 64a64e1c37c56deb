"""The checks that need the ledger: which party of the ledger each row names
(``resolve_parties``), a party given with another family than the ledger's, and a row already in
the ledger. Queries take the rows as a registered frame, never formatted SQL.

A row's party is found once per distinct (party, country_iso3) pair: the party of that exact name
and country; else one whose ``names.match_key`` is the same (case and runs of spaces do not
count); else a former name or the name of a merged party (``party_aliases``); else a new party,
one for all the spellings of the file that share a match key. A row matched any way but exactly
gets a warning naming the ledger's party.

Called by ``batch.prepare_import`` (read-only, before the user decides), again by
``batch.commit_import`` inside the write transaction, by ``batch._write_batch`` for the party ids
it writes, and by the records form (``resolve_parties`` for one typed record).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from analytics import i18n
from analytics.importer.problems import WHOLE_ROW, CheckedRows, _empty_problems, _problem_frame
from analytics.importer.values import code_shown
from analytics.names import match_key

# How a row's party was found (the ``how`` column of ``resolve_parties``).
PARTY_MATCHES = ("exact", "folded", "alias", "file", "new")
# The ones that earn the row a warning: the ledger's party (or the file's first spelling) is
# written under a name other than the one typed.
WARNED_MATCHES = ("folded", "alias", "file")

_RESOLVED_COLUMNS = ["party_id", "ledger_name", "how", "alias_reason", "others", "key"]


@dataclass(frozen=True)
class PartyResolution:
    """The distinct (party, country) pairs of a frame, resolved, and each row's pair (``codes``,
    -1 for a row without a party)."""

    distinct: pd.DataFrame  # party, country_iso3 and _RESOLVED_COLUMNS, in order of first appearance
    codes: np.ndarray

    def party_ids(self) -> np.ndarray:
        """Each row's party id as a float (NaN: a new party, or no party)."""
        ids = self.distinct["party_id"].to_numpy(dtype=np.float64, na_value=np.nan)
        return np.append(ids, np.nan)[self.codes]

    def per_row(self, index: pd.Index) -> pd.DataFrame:
        """One row of ``_RESOLVED_COLUMNS`` per row of the frame (empty values where no party)."""
        missing = pd.DataFrame(
            {
                "party_id": pd.array([pd.NA], dtype="Int64"),
                "ledger_name": [None],
                "how": [None],
                "alias_reason": [None],
                "others": np.array([0], dtype=np.int64),
                "key": [None],
            }
        )
        table = pd.concat([self.distinct[_RESOLVED_COLUMNS], missing], ignore_index=True)
        out = table.iloc[np.where(self.codes < 0, len(table) - 1, self.codes)].reset_index(drop=True)
        out.index = index
        return out


def _country(value: object) -> str:
    """A country for matching: an international organisation (no country) is ''."""
    return "" if value is None or pd.isna(value) else str(value)


def resolve_pairs_of(frame: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> PartyResolution:
    """The parties of ``frame`` (columns party, country_iso3) resolved once per distinct pair, as
    ``resolve_parties`` explains; the batch write takes this form to number the new parties."""
    # Integer codes per column, then per pair: no Python object per row, whatever the file's size.
    party_codes, _ = pd.factorize(frame["party"])
    country_codes, _ = pd.factorize(frame["country_iso3"], use_na_sentinel=False)
    valid = party_codes >= 0
    pair = party_codes.astype(np.int64) * (int(country_codes.max(initial=0)) + 1) + country_codes
    codes = np.full(len(frame), -1, dtype=np.int64)
    codes[valid], _ = pd.factorize(pair[valid])
    # The codes count up in order of first appearance: each pair's first row, in that order.
    firsts = np.flatnonzero(valid & ~pd.Index(codes).duplicated())
    pairs = pd.DataFrame(
        {
            "party": frame["party"].iloc[firsts].to_numpy(dtype=object),
            "country_iso3": frame["country_iso3"].iloc[firsts].to_numpy(dtype=object),
        }
    )
    return PartyResolution(distinct=_resolve_pairs(pairs, con), codes=codes)


def _ledger_names(con: duckdb.DuckDBPyConnection, countries: list[str]):
    """The ledger's parties and live aliases in ``countries`` ('' = no country)."""
    con.execute("SET enable_progress_bar = false")
    parties = con.execute(
        """SELECT party_id, name, coalesce(country_iso3, '') AS country FROM parties
           WHERE coalesce(country_iso3, '') IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY party_id""",
        [countries],
    ).fetchall()
    aliases = con.execute(
        """SELECT a.alias_key, coalesce(a.country_iso3, '') AS country, a.party_id, p.name, a.reason, a.alias
           FROM party_aliases a JOIN parties p ON p.party_id = a.party_id
           WHERE coalesce(a.country_iso3, '') IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY a.party_id, a.recorded_at""",
        [countries],
    ).fetchall()
    return parties, aliases


def _resolve_pairs(pairs: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Resolve distinct (party, country_iso3) pairs, given in file order."""
    countries = [_country(value) for value in pairs["country_iso3"]]
    names = [str(value) for value in pairs["party"]]
    parties, aliases = _ledger_names(con, sorted(set(countries)))
    exact: dict[tuple[str, str], tuple[int, str]] = {}
    folded: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for held_id, held_name, country in parties:
        exact[(held_name, country)] = (held_id, held_name)
        folded.setdefault((match_key(held_name), country), []).append((held_id, held_name))
    known: dict[tuple[str, str], list[tuple[int, str, str, str]]] = {}
    for alias_key, country, held_id, held_name, why, alias in aliases:
        found = known.setdefault((alias_key, country), [])
        if all(item[0] != held_id for item in found):
            found.append((held_id, held_name, why, alias))
    out: dict[str, list] = {column: [] for column in _RESOLVED_COLUMNS}
    first_spelling: dict[tuple[str, str], str] = {}
    for name, country in zip(names, countries, strict=True):
        key = match_key(name)
        party_id: int | None = None
        ledger_name, reason, others = name, None, 0
        if (name, country) in exact:
            party_id, ledger_name = exact[(name, country)]
            how = "exact"
        elif (key, country) in folded:
            party_id, ledger_name = folded[(key, country)][0]
            others = len(folded[(key, country)]) - 1
            how = "folded"
        elif (key, country) in known:
            candidates = known[(key, country)]
            party_id, ledger_name, reason, _ = next(
                (item for item in candidates if item[3] == name), min(candidates, key=lambda item: item[0])
            )
            others = len(candidates) - 1
            how = "alias"
        elif (key, country) in first_spelling:
            ledger_name = first_spelling[(key, country)]
            how = "file"
        else:
            first_spelling[(key, country)] = name
            how = "new"
        out["party_id"].append(party_id)
        out["ledger_name"].append(ledger_name)
        out["how"].append(how)
        out["alias_reason"].append(reason)
        out["others"].append(others)
        out["key"].append(key)
    distinct = pairs.reset_index(drop=True).assign(**{column: out[column] for column in _RESOLVED_COLUMNS})
    distinct["party_id"] = pd.array(out["party_id"], dtype="Int64")
    distinct["others"] = np.asarray(out["others"], dtype=np.int64)
    return distinct


def resolve_parties(frame: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The ledger party each row of ``frame`` names, found once per distinct (party, country_iso3).

    ``frame`` needs a ``party`` and a ``country_iso3`` column (None: an international
    organisation, no country). The answer has ``frame``'s index and the columns ``party_id``
    (Int64, <NA> for a party the ledger does not hold yet), ``ledger_name`` (the ledger's name of
    that party, or for a new party the first spelling in the frame), ``how`` (``"exact"``: that
    name and country; ``"folded"``: the same ``names.match_key``; ``"alias"``: a former name or a
    merged party's name in ``party_aliases``, ``alias_reason`` says which; ``"file"``: a new
    party spelled otherwise earlier in the frame; ``"new"``: a new party; None where ``party`` is
    empty), ``alias_reason`` ('renamed', 'merged' or None), ``others`` (how many other parties
    of that country matched as well: the lowest party id was taken, an exact name first) and
    ``key`` (the match key). Reads only; works on a read-only connection.
    """
    return resolve_pairs_of(frame, con).per_row(frame.index)


def _match_reasons(distinct: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The warning's reason and suggestion for each distinct pair ('' where no warning)."""
    reasons, suggestions = [], []
    for found_id, name, how, alias_reason, others in distinct[
        ["party_id", "ledger_name", "how", "alias_reason", "others"]
    ].itertuples(index=False, name=None):
        if how not in WARNED_MATCHES:
            reasons.append("")
            suggestions.append("")
            continue
        what = f"{how}.{alias_reason}" if how == "alias" else how
        if how == "file":
            reason = i18n.t("importer.reason.party_matched.file", name=name)
        else:
            reason = i18n.t(f"importer.reason.party_matched.{what}", party=int(found_id), name=name)
        if others:
            reason += i18n.t("importer.reason.party_matched.others", others=int(others))
        reasons.append(reason)
        suggestions.append(name)
    return reasons, suggestions


def _match_problems(clean: pd.DataFrame, resolution: PartyResolution) -> pd.DataFrame:
    """One warning per row whose party was matched but not by its exact name."""
    warned = resolution.distinct["how"].isin(WARNED_MATCHES).to_numpy()
    if not warned.any():
        return _empty_problems()
    codes = resolution.codes
    rows = np.flatnonzero((codes >= 0) & np.append(warned, False)[codes])
    reasons, suggestions = _match_reasons(resolution.distinct)
    reason_array = np.asarray(reasons, dtype=object)[codes[rows]]
    suggestion_array = np.asarray(suggestions, dtype=object)[codes[rows]]
    return _problem_frame(
        clean["pos"].to_numpy(dtype=np.int64)[rows],
        "party",
        clean["party"].iloc[rows].to_numpy(dtype=object),
        reason_array,
        suggestion_array,
        severity="warning",
    )


def check_against_ledger(checked: CheckedRows, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Problems that depend on the ledger: a warning on a row whose party was found only once case
    and spaces were ignored, through an alias or as a spelling earlier in the file
    (``resolve_parties``); a party's family differs from the ledger's; the row is already in the
    ledger (same date and precision, party, form, direction, event_id)."""
    clean = checked.clean
    if not clean["party"].notna().any():
        return _empty_problems()
    resolution = resolve_pairs_of(clean, con)
    found = [_match_problems(clean, resolution)]
    party_ids = resolution.party_ids()
    ready = (
        ~np.isnan(party_ids)
        & clean["party_family"].notna().to_numpy()
        & clean["date"].notna().to_numpy()
        & clean["form"].notna().to_numpy()
        & clean["direction"].notna().to_numpy()
        & (clean["country_iso3"].notna() | (clean["party_family"] == "international_org")).to_numpy()
    )
    if ready.any():
        keys = clean.loc[ready, ["pos", "date", "date_precision", "party_family", "form", "direction", "event_id"]]
        found.extend(_ledger_problems(keys.assign(party_id=party_ids[ready].astype(np.int64)), con))
    found = [frame for frame in found if len(frame)]
    return pd.concat(found, ignore_index=True) if found else _empty_problems()


def _ledger_problems(keys: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> list[pd.DataFrame]:
    """The family and already-in-the-ledger errors of rows whose party the ledger holds."""
    con.execute("SET enable_progress_bar = false")
    con.register("import_keys", keys)
    try:
        families = con.execute(
            """SELECT k.pos, k.party_family, p.family
               FROM import_keys k JOIN parties p ON p.party_id = k.party_id
               WHERE p.family <> k.party_family
               ORDER BY k.pos"""
        ).fetchdf()
        duplicates = con.execute(
            """SELECT k.pos, min(e.exchange_id) AS exchange_id, min(e.batch_id) AS batch_id
               FROM import_keys k
               JOIN exchanges e ON e.party_id = k.party_id AND e.date = CAST(k.date AS DATE)
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
    return found
