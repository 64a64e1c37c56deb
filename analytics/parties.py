"""Parties: the list with counts and spans, a party's names over time, the possible duplicates,
and the three changes a party takes: rename (the old name stays as an alias, so a later import
that uses it lands on the same party), merge (every exchange of one party moves to the other,
names kept as aliases) and reclassify (the family of all its exchanges).

Each change is one change batch (``analytics.changes``): audited as the guarded action ``edit``,
shown in the history and undone by ``undo``. Called by the ``party`` commands, the Records page,
the profiles and ``analytics.records`` (``drop_if_unused`` after a record leaves a party).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from analytics import access, changes, i18n, ledger, names, vocab
from analytics.changes import ChangeError, ChangeResult

# The columns of ``party list`` (CSV): the first five, then the rest.
LIST_COLUMNS: tuple[str, ...] = (
    "party_id",
    "name",
    "country_iso3",
    "family",
    "exchanges",
    "first_date",
    "last_date",
    "name_zh",
    "former_names",
)
DUPLICATE_COLUMNS: tuple[str, ...] = (
    "country_iso3",
    "party_id",
    "name",
    "exchanges",
    "other_party_id",
    "other_name",
    "other_exchanges",
    "closeness",
    "why",
)
MAX_NAME = 300
# The columns that name one alias row (the change log's key of it).
ALIAS_KEY: tuple[str, ...] = changes.TABLES["party_aliases"][1]


class PartyError(ChangeError):
    """A party change that cannot be made as asked; nothing was written."""


# -- reading --------------------------------------------------------------------------------


def party_list(
    con: duckdb.DuckDBPyConnection, *, country: str | None = None, search: str | None = None
) -> pd.DataFrame:
    """Every party with its family, exchanges, first and last exchange date, Chinese name and
    former names; ``country`` (ISO3) keeps one country, ``search`` the parties whose name,
    Chinese name or a former name contains the text (case and spaces folded). Sorted by country
    and name."""
    frame = ledger.query_frame(
        con,
        """SELECT p.party_id, p.name, p.country_iso3, p.family, count(e.exchange_id) AS exchanges,
                  min(e.date) AS first_date, max(e.date) AS last_date, p.name_zh,
                  coalesce((SELECT string_agg(a.alias, '; ' ORDER BY a.recorded_at, a.alias)
                            FROM party_aliases a WHERE a.party_id = p.party_id), '') AS former_names
           FROM parties p LEFT JOIN exchanges e ON e.party_id = p.party_id
           WHERE (? IS NULL OR p.country_iso3 = ?)
           GROUP BY p.party_id, p.name, p.country_iso3, p.family, p.name_zh
           ORDER BY coalesce(p.country_iso3, ''), p.name, p.party_id""",
        [country, country],
    )
    if search and search.strip():
        wanted = names.match_key(search)
        texts = (
            frame["name"].fillna("") + "\n" + frame["name_zh"].fillna("") + "\n" + frame["former_names"].fillna("")
        ).map(names.match_key)
        frame = frame[texts.str.contains(wanted, regex=False)]
    frame["exchanges"] = frame["exchanges"].astype("int64")
    for column in ("first_date", "last_date"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame.reset_index(drop=True)[list(LIST_COLUMNS)]


def get_party(con: duckdb.DuckDBPyConnection, party_id: object) -> dict[str, object]:
    """One party's row (party_id, name, name_zh, country_iso3, family, batch_id); PartyError when
    the ledger has no such party."""
    number = _party_id(party_id)
    row = changes.read_row(con, "parties", {"party_id": number})
    if row is None:
        raise PartyError(i18n.t("error.party.unknown", party=number))
    return row


def party_id_named(con: duckdb.DuckDBPyConnection, name: str, country_iso3: str | None) -> int | None:
    """The id of the party with exactly this name in this country (None: an international
    organisation), as the ledger names it (a profile's party); None when there is none."""
    found = con.execute(
        "SELECT party_id FROM parties WHERE name = ? AND coalesce(country_iso3, '') = coalesce(?, '')",
        [name, country_iso3],
    ).fetchall()
    return int(found[0][0]) if found else None


def _party_id(value: object) -> int:
    return changes.positive_id(value, "error.party.bad_id", PartyError)


def party_names(con: duckdb.DuckDBPyConnection, party_id: int) -> pd.DataFrame:
    """A party's names over time, newest first: its current name, then each former name and
    each name of a party merged into it, with the span of the exchanges recorded under that name
    and when (and in which batch) it stopped being the name."""
    party = get_party(con, party_id)
    current = ledger.query_frame(
        con,
        """SELECT ? AS name, 'current' AS kind, min(date) AS first_date, max(date) AS last_date,
                  CAST(NULL AS TIMESTAMP) AS recorded_at, CAST(NULL AS INTEGER) AS batch_id
           FROM exchanges WHERE party_id = ?""",
        [party["name"], party["party_id"]],
    )
    former = ledger.query_frame(
        con,
        """SELECT alias AS name, reason AS kind, first_date, last_date, recorded_at, batch_id
           FROM party_aliases WHERE party_id = ? ORDER BY recorded_at DESC, batch_id DESC, alias""",
        [party["party_id"]],
    )
    return pd.concat([current, former], ignore_index=True)


def possible_duplicates(con: duckdb.DuckDBPyConnection, *, country: str | None = None) -> pd.DataFrame:
    """Pairs of parties of one country whose names are the same once case, accents,
    punctuation and spaces are folded (``why`` = "same"), or very close (``why`` = "close",
    ``names.closeness`` at least ``names.CLOSE_NAMES``): the closest first."""
    parties = party_list(con, country=country)
    found = []
    for iso3, group in parties.groupby(parties["country_iso3"].fillna(""), sort=True):
        rows = list(group.itertuples(index=False))
        keys = [names.fold_key(row.name) for row in rows]
        for (a, key_a), (b, key_b) in itertools.combinations(zip(rows, keys, strict=True), 2):
            if key_a == key_b:
                score, why = 1.0, "same"
            else:
                score = names.closeness(a.name, b.name)
                if score < names.CLOSE_NAMES:
                    continue
                why = "close"
            first, second = sorted((a, b), key=lambda row: row.party_id)
            found.append(
                (
                    iso3 or None,
                    first.party_id,
                    first.name,
                    first.exchanges,
                    second.party_id,
                    second.name,
                    second.exchanges,
                    round(score, 3),
                    why,
                )
            )
    frame = pd.DataFrame(found, columns=list(DUPLICATE_COLUMNS))
    return frame.sort_values(["closeness", "country_iso3", "party_id"], ascending=[False, True, True]).reset_index(
        drop=True
    )


# -- helpers for records ----------------------------------------------------------------------


def drop_if_unused(con: duckdb.DuckDBPyConnection, log: changes.ChangeLog, party_id: int) -> bool:
    """Remove a party (logged) that a change left with no exchange and no former name."""
    used = con.execute(
        """SELECT (SELECT count(*) FROM exchanges WHERE party_id = ?)
                + (SELECT count(*) FROM party_aliases WHERE party_id = ?)""",
        [party_id, party_id],
    ).fetchall()[0][0]
    if used:
        return False
    log.delete("parties", {"party_id": party_id})
    return True


def _merge_twins(con: duckdb.DuckDBPyConnection, source_id: int, target_id: int) -> list[tuple[int, int]]:
    """(exchange of the source, exchange of the target) pairs that would be one exchange after a
    merge: the same by ``changes.EXCHANGE_IDENTITY`` but for the party."""
    same = " AND ".join(f"a.{c} IS NOT DISTINCT FROM b.{c}" for c in changes.EXCHANGE_IDENTITY if c != "party_id")
    return [
        (int(a), int(b))
        for a, b in con.execute(
            f"""SELECT a.exchange_id, b.exchange_id FROM exchanges a JOIN exchanges b ON {same}
                WHERE a.party_id = ? AND b.party_id = ? ORDER BY a.exchange_id, b.exchange_id LIMIT 1""",
            [source_id, target_id],
        ).fetchall()
    ]


def _free_alias_key(con: duckdb.DuckDBPyConnection, party_id: int, alias: str, current_name: str) -> bool:
    """Whether ``alias`` adds a name the importer does not already find ``party_id`` by: not
    its current name (case and spaces folded) nor one of its aliases. Each (key, country, party)
    is held once, which is what the change log keys an alias row by."""
    key = names.match_key(alias)
    if key == names.match_key(current_name):
        return False
    held = con.execute("SELECT count(*) FROM party_aliases WHERE party_id = ? AND alias_key = ?", [party_id, key])
    return not held.fetchall()[0][0]


def _span(con: duckdb.DuckDBPyConnection, party_id: int) -> tuple[object, object]:
    return tuple(con.execute("SELECT min(date), max(date) FROM exchanges WHERE party_id = ?", [party_id]).fetchall()[0])


def _alias_row(
    party: Mapping[str, object], alias: str, reason: str, span: tuple[object, object], batch_id: int, owner: int
) -> dict[str, object]:
    return {
        "alias": alias,
        "alias_key": names.match_key(alias),
        "country_iso3": party["country_iso3"],
        "party_id": owner,
        "reason": reason,
        "first_date": span[0],
        "last_date": span[1],
        "recorded_at": changes.now(),
        "batch_id": batch_id,
    }


def _name_taken(con: duckdb.DuckDBPyConnection, party: Mapping[str, object], name: str) -> str | None:
    """Why ``name`` cannot be the party's name: another party of its country has it (folded),
    or it is a former name of another party there; None when free."""
    key = names.match_key(name)
    for other_id, other in con.execute(
        """SELECT party_id, name FROM parties
           WHERE coalesce(country_iso3, '') = coalesce(?, '') AND party_id <> ? ORDER BY party_id""",
        [party["country_iso3"], party["party_id"]],
    ).fetchall():
        if names.match_key(other) == key:
            return i18n.t(
                "error.party.name_taken", name=name, other=other_id, other_name=other, target=party["party_id"]
            )
    alias = con.execute(
        """SELECT party_id, alias FROM party_aliases
           WHERE alias_key = ? AND coalesce(country_iso3, '') = coalesce(?, '') AND party_id <> ? LIMIT 1""",
        [key, party["country_iso3"], party["party_id"]],
    ).fetchall()
    if alias:
        return i18n.t("error.party.name_is_alias", name=name, other=alias[0][0], target=party["party_id"])
    return None


def _valid_name(name: object) -> str:
    text = str(name if name is not None else "").strip()
    if not text:
        raise PartyError(i18n.t("error.party.empty_name"))
    if len(text) > MAX_NAME:
        raise PartyError(i18n.t("error.party.long_name", most=MAX_NAME, length=len(text)))
    if any(ord(character) < 32 for character in text):
        raise PartyError(i18n.t("error.party.control_characters"))
    return text


# -- writing --------------------------------------------------------------------------------


def rename_party(
    path: Path | str, party_id: object, new_name: object, *, actor: access.Actor | None = None
) -> ChangeResult:
    """Rename a party: its old name is kept as an alias (with the span of the exchanges recorded
    under it), so a later import using the old name lands on this party. Refused when another
    party of its country has the name (folded) or had it before."""
    name = _valid_name(new_name)
    number = _party_id(party_id)
    with changes.change_batch(path, "party_rename", actor, f"party {number}") as (con, log, entry):
        party = get_party(con, number)
        if party["name"] == name:
            raise PartyError(i18n.t("error.party.same_name", party=number, name=name))
        taken = _name_taken(con, party, name)
        if taken:
            raise PartyError(taken)
        for alias in con.execute(
            "SELECT alias_key, country_iso3, party_id FROM party_aliases WHERE party_id = ? AND alias_key = ?",
            [number, names.match_key(name)],
        ).fetchall():
            # The new name was a former name of this party: it is the name again, not an alias.
            log.delete(
                "party_aliases",
                dict(zip(ALIAS_KEY, alias, strict=True)),
                origin=party["batch_id"],
            )
        log.update("parties", {"party_id": number}, {"name": name})
        if _free_alias_key(con, number, str(party["name"]), name):
            log.insert(
                "party_aliases",
                _alias_row(party, str(party["name"]), "renamed", _span(con, number), log.batch_id, number),
                origin=party["batch_id"],
            )
        what = changes.summary("party_rename", party=number, old=party["name"], new=name)
        return changes.finish(log, entry, what, 1)


def merge_parties(
    path: Path | str, from_id: object, into_id: object, *, actor: access.Actor | None = None
) -> ChangeResult:
    """Merge party ``from_id`` into ``into_id`` (one party entered under two names): every
    exchange moves, the merged party's name and former names become aliases of the other, and
    the merged party is removed (undo brings it back). Refused for a party into itself, into a
    party of another country, or when two exchanges would become one."""
    source_id, target_id = _party_id(from_id), _party_id(into_id)
    if source_id == target_id:
        raise PartyError(i18n.t("error.party.merge_self", party=source_id))
    with changes.change_batch(path, "party_merge", actor, f"party {source_id} into {target_id}") as (con, log, entry):
        source, target = get_party(con, source_id), get_party(con, target_id)
        if source["country_iso3"] != target["country_iso3"]:
            raise PartyError(
                i18n.t(
                    "error.party.merge_country",
                    party=source_id,
                    country=source["country_iso3"] or "—",
                    other=target_id,
                    other_country=target["country_iso3"] or "—",
                )
            )
        # Two exchanges made one by the merge: the source's twins once they name the target.
        double = _merge_twins(con, source_id, target_id)
        if double:
            raise PartyError(
                i18n.t("error.party.merge_double", first=double[0][0], second=double[0][1], party=source_id)
            )
        span = _span(con, source_id)
        moved_ids = [
            row[0]
            for row in con.execute("SELECT exchange_id FROM exchanges WHERE party_id = ?", [source_id]).fetchall()
        ]
        moved = log.update_exchanges(moved_ids, {"party_id": target_id})
        for alias in con.execute(
            """SELECT alias_key, country_iso3, party_id FROM party_aliases WHERE party_id = ?
               ORDER BY recorded_at, alias_key""",
            [source_id],
        ).fetchall():
            row = log.delete(
                "party_aliases",
                dict(zip(ALIAS_KEY, alias, strict=True)),
                origin=source["batch_id"],
            )
            if _free_alias_key(con, target_id, str(row["alias"]), str(target["name"])):
                log.insert("party_aliases", {**row, "party_id": target_id}, origin=target["batch_id"])
        if _free_alias_key(con, target_id, str(source["name"]), str(target["name"])):
            log.insert(
                "party_aliases",
                _alias_row(source, str(source["name"]), "merged", span, log.batch_id, target_id),
                origin=target["batch_id"],
            )
        if source["name_zh"] and not target["name_zh"]:
            log.update("parties", {"party_id": target_id}, {"name_zh": source["name_zh"]})
        log.delete("parties", {"party_id": source_id})
        what = changes.summary(
            "party_merge", party=source_id, name=source["name"], into=target_id, into_name=target["name"], count=moved
        )
        return changes.finish(log, entry, what, moved + 1)


def set_family(
    path: Path | str, party_id: object, family: object, *, actor: access.Actor | None = None
) -> ChangeResult:
    """Reclassify a party: its family (which applies to all its exchanges) becomes ``family``,
    a code of ``vocab.PARTY_FAMILIES``. A party without a country stays an international organisation."""
    code = str(family if family is not None else "").strip()
    number = _party_id(party_id)
    if code not in vocab.PARTY_FAMILIES:
        raise PartyError(
            i18n.t(
                "error.party.bad_family",
                family=code[:40],
                valid=i18n.t("importer.separator").join(vocab.PARTY_FAMILIES),
            )
        )
    with changes.change_batch(path, "party_family", actor, f"party {number}") as (con, log, entry):
        party = get_party(con, number)
        if party["family"] == code:
            raise PartyError(i18n.t("error.party.same_family", party=number, name=party["name"], family=code))
        if party["country_iso3"] is None and code != "international_org":
            raise PartyError(i18n.t("error.party.needs_country", party=number, name=party["name"]))
        log.update("parties", {"party_id": number}, {"family": code})
        count = con.execute("SELECT count(*) FROM exchanges WHERE party_id = ?", [number]).fetchall()[0][0]
        what = changes.summary(
            "party_family", party=number, name=party["name"], family=code, old=party["family"], count=count
        )
        return changes.finish(log, entry, what, 1)
