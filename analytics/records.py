"""Records kept by hand: add one exchange or a multilateral event's exchanges, correct a record,
delete one, set one field on many (a bulk edit), and list the records in the import format.

Every record goes through the import's own checks (``importer.check_record`` for the cells,
``importer.check_against_ledger`` for the family and the row already in the ledger), and every
write is one change batch (``analytics.changes``) inside ``ledger.write_transaction``: audited as
the guarded action ``edit`` under the batch's kind, shown in the history and undone by ``undo``.
Called by the ``record`` commands, the Records page and the Explorer's bulk edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from analytics import access, changes, i18n, ledger, names, parties
from analytics.changes import ChangeResult, describe  # noqa: F401 (the pages word batches through records)
from analytics.filters import Filters
from analytics.importer import COLUMNS, CheckedRecord, check_against_ledger, check_record, resolve_parties
from analytics.importer.problems import WHOLE_ROW, problem_hint

# The fields of a record, as the import format names them (``docs/ledger-format.md``).
FIELDS: tuple[str, ...] = COLUMNS
# The fields a bulk edit sets on many records at once.
BULK_FIELDS: tuple[str, ...] = ("event_id", "form", "party_status", "level")
# The fields an event's exchanges share (the rest is given per party).
EVENT_FIELDS: tuple[str, ...] = ("date", "form", "direction", "level", "event_id", "topic", "source")
# The columns of ``record list``: the exchange id, then the import format's columns.
LIST_COLUMNS: tuple[str, ...] = ("exchange_id", *COLUMNS)
MAX_BULK = 100_000


class RecordError(changes.ChangeError):
    """A record that cannot be written as given; ``problems`` lists the cells (import format)."""

    def __init__(self, message: str, problems: pd.DataFrame | None = None):
        super().__init__(message)
        self.problems = problems if problems is not None else pd.DataFrame()


# -- reading --------------------------------------------------------------------------------


_RECORD_COLUMNS = """exchange_id,
                  CASE date_precision WHEN 'day' THEN strftime(date, '%Y-%m-%d')
                                      WHEN 'month' THEN strftime(date, '%Y-%m')
                                      ELSE strftime(date, '%Y') END AS date,
                  party, party_zh, coalesce(country_iso3, '') AS country, party_family, party_status, form,
                  direction, level, event_id, delegation_size, topic, source"""


def _record_rows(con: duckdb.DuckDBPyConnection, where: str, params: list, *, writing: bool = False) -> pd.DataFrame:
    # ``where`` is built by Filters.where or below from fixed column names; values are parameters.
    sql = f"SELECT {_RECORD_COLUMNS} FROM exchange_rows WHERE {where} ORDER BY exchange_id"
    if writing:
        # Inside a write transaction: on the connection itself, which sees the transaction's own
        # rows (a cursor is another connection, which sees only what is committed).
        return con.execute(sql, params).fetchdf()
    return ledger.query_frame(con, sql, params)


def list_records(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> pd.DataFrame:
    """The exchanges in a slice: ``exchange_id`` first, then the import format's columns (dates
    at their precision, the country as ISO3): what ``record list`` prints."""
    where, params = (filters or Filters()).validated().where()
    return _record_rows(con, where, params)


def get_record(con: duckdb.DuckDBPyConnection, exchange_id: int, *, writing: bool = False) -> dict[str, object]:
    """One exchange in the import format (plus ``exchange_id``, ``party_id`` and ``batch_id``);
    RecordError when the ledger has no such exchange."""
    exchange_id = _exchange_id(exchange_id)
    found = _record_rows(con, "exchange_id = ?", [exchange_id], writing=writing)
    if found.empty:
        raise RecordError(i18n.t("error.record.no_exchange", exchange=exchange_id))
    record = {column: changes.plain(value) for column, value in found.iloc[0].items()}
    ids = con.execute("SELECT party_id, batch_id FROM exchanges WHERE exchange_id = ?", [exchange_id]).fetchall()[0]
    return {**record, "party_id": ids[0], "batch_id": ids[1]}


def _exchange_id(value: object) -> int:
    return changes.positive_id(value, "error.record.bad_exchange_id", RecordError)


# -- checking -------------------------------------------------------------------------------


def problems_text(problems: pd.DataFrame) -> str:
    """The errors of a checked record in one line: ``form 'visit': not a form code (...); ...``."""
    errors = problems[problems["severity"] == "error"] if "severity" in problems else problems
    parts = []
    for column, value, reason, suggestion in errors[["column", "value", "reason", "suggestion"]].itertuples(
        index=False, name=None
    ):
        where = "" if column == WHOLE_ROW else i18n.t("error.record.cell", column=column, value=repr(value))
        parts.append(f"{where}{reason}{problem_hint(column, reason, suggestion)}")
    return "; ".join(parts)


def _checked(values: Mapping[str, object], earliest_year: int | None, label: str = "") -> CheckedRecord:
    unknown = [str(column) for column in values if column not in FIELDS]
    if unknown:
        raise RecordError(i18n.t("error.record.unknown_fields", fields=", ".join(unknown), known=", ".join(FIELDS)))
    record = check_record(
        {column: values[column] for column in FIELDS if column in values}, earliest_year=earliest_year
    )
    if not record.valid:
        raise RecordError(_invalid(record.problems, label), record.problems)
    return record


def _invalid(problems: pd.DataFrame, label: str = "") -> str:
    text = problems_text(problems)
    return i18n.t("error.record.invalid", problems=f"{label}{text}")


def _check_in_ledger(
    con: duckdb.DuckDBPyConnection, record: CheckedRecord, label: str = "", *, twins_allowed: bool = False
) -> None:
    """RecordError when the ledger refuses the record as an import would refuse the row (another
    family for its party, the row already in the ledger). ``twins_allowed``: a record whose
    identifying fields a correction leaves alone keeps the twins it already had."""
    problems = check_against_ledger(record.checked, con)
    errors = problems[problems["severity"] == "error"]
    if twins_allowed:
        errors = errors[errors["column"] != WHOLE_ROW]
    if len(errors):
        message = _invalid(errors, label)
        if (errors["column"] == "party_family").any():  # the family is the party's, not the record's
            message += i18n.t("error.record.family_is_the_partys")
        raise RecordError(message, errors)


# The fields of an exchange row a checked record (ledger form) gives as they are.
_RECORD_FIELDS_OF_EXCHANGE: tuple[str, ...] = (
    "date",
    "date_precision",
    "party_status",
    "form",
    "direction",
    "level",
    "event_id",
    "delegation_size",
    "topic",
    "source",
)


def _exchange_values(values: Mapping[str, object], party_id: int) -> dict[str, object]:
    """The exchange row's fields of a checked record (ledger form) of party ``party_id``."""
    return {**{column: values[column] for column in _RECORD_FIELDS_OF_EXCHANGE}, "party_id": party_id}


def _insert_exchange(
    con: duckdb.DuckDBPyConnection, log: changes.ChangeLog, values: Mapping[str, object], exchange_id: int, batch: int
) -> tuple[int, bool]:
    """Insert one checked record (ledger form) as ``exchange_id``; returns (party id, new party?)."""
    party_id, created = party_for(con, log, values)
    log.insert("exchanges", {"exchange_id": exchange_id, **_exchange_values(values, party_id), "batch_id": batch})
    return party_id, created


def _found_party(con: duckdb.DuckDBPyConnection, record: Mapping[str, object]) -> int | None:
    """The ledger's party a checked record names, found as an import finds it
    (``importer.resolve_parties``); None for a party the ledger does not hold."""
    country = record.get("country_iso3") or None
    found = resolve_parties(pd.DataFrame({"party": [record["party"]], "country_iso3": [country]}), con)
    party_id = found.iloc[0]["party_id"]
    return None if pd.isna(party_id) else int(party_id)


def party_for(
    con: duckdb.DuckDBPyConnection, log: changes.ChangeLog, record: Mapping[str, object], *, chinese: bool = False
) -> tuple[int, bool]:
    """The party of a checked record (ledger form), found as an import finds it
    (``importer.resolve_parties``: the name, else case and spaces folded, else a former name),
    created in ``log``'s batch when new: (id, created). A new party takes the record's Chinese
    name; an existing one keeps its own, as in an import, unless ``chinese`` (a correction that
    gives the Chinese name: it becomes the party's, or is cleared, for all its exchanges)."""
    country = record.get("country_iso3") or None
    found = _found_party(con, record)
    if found is None:
        party_id = ledger.next_ids(con, "parties")
        log.insert(
            "parties",
            {
                "party_id": party_id,
                "name": record["party"],
                "name_zh": record.get("party_zh"),
                "country_iso3": country,
                "family": record["party_family"],
                "batch_id": log.batch_id,
            },
        )
        return party_id, True
    if chinese:
        log.update("parties", {"party_id": found}, {"name_zh": record.get("party_zh") or None})
    return found, False


# -- writing --------------------------------------------------------------------------------


def add_record(
    path: Path | str,
    values: Mapping[str, object],
    *,
    actor: access.Actor | None = None,
    earliest_year: int | None = None,
) -> ChangeResult:
    """Add one exchange (import-format fields) as one batch; a new party is created when the
    ledger has none of that name in that country. RecordError says what is wrong and where."""
    record = _checked(values, earliest_year)
    with changes.change_batch(path, "record_add", actor, str(values.get("party", ""))) as (con, log, entry):
        _check_in_ledger(con, record)
        exchange_id = ledger.next_ids(con, "exchanges")
        clean = record.values
        party_id, _created = _insert_exchange(con, log, clean, exchange_id, log.batch_id)
        country = str(clean.get("country_iso3") or "—")  # an international organisation has none
        # The party as the ledger names it (a folded spelling or a former name finds it).
        party = parties.get_party(con, party_id)["name"]
        summary = changes.summary(
            "record_add",
            exchange=exchange_id,
            date=get_record(con, exchange_id, writing=True)["date"],
            party=party,
            country=country,
        )
        return changes.finish(log, entry, summary, 1)


def add_event(
    path: Path | str,
    shared: Mapping[str, object],
    attendees: Sequence[Mapping[str, object]],
    *,
    actor: access.Actor | None = None,
    earliest_year: int | None = None,
) -> ChangeResult:
    """Add a multilateral event: one exchange per attending party, the event's fields (date,
    form, direction, level, event id, topic, source) given once, all in one batch. Without an
    event id the event gets ``event-<batch>``. RecordError names the party (1, 2, ...) at fault."""
    extra = [column for column in shared if column not in EVENT_FIELDS]
    if extra:
        raise RecordError(
            i18n.t("error.record.not_event_fields", fields=", ".join(extra), known=", ".join(EVENT_FIELDS))
        )
    if not attendees:
        raise RecordError(i18n.t("error.record.no_attendees"))
    rows = [{**party, **shared} for party in attendees]
    checked = [_checked(row, earliest_year, i18n.t("error.record.attendee", number=n)) for n, row in enumerate(rows, 1)]
    seen: dict[tuple[str, str], int] = {}
    for n, record in enumerate(checked, 1):
        clean = record.values
        key = (names.match_key(str(clean["party"])), str(clean.get("country_iso3") or ""))
        if key in seen:
            raise RecordError(i18n.t("error.record.attendee_twice", party=clean["party"], first=seen[key], second=n))
        seen[key] = n
    with changes.change_batch(path, "record_add", actor, str(shared.get("event_id") or "")) as (con, log, entry):
        event_id = str(shared.get("event_id") or "").strip() or f"event-{log.batch_id}"
        first = ledger.next_ids(con, "exchanges", len(checked))
        for n, record in enumerate(checked):
            clean = {**record.values, "event_id": event_id}
            _check_in_ledger(
                con, check_record({**rows[n], "event_id": event_id}), i18n.t("error.record.attendee", number=n + 1)
            )
            _insert_exchange(con, log, clean, first + n, log.batch_id)
        summary = changes.summary(
            "record_add_event",
            event=event_id,
            date=get_record(con, first, writing=True)["date"],
            count=len(checked),
            first=first,
            last=first + len(checked) - 1,
        )
        return changes.finish(log, entry, summary, len(checked))


def edit_record(
    path: Path | str,
    exchange_id: int | str,
    new_values: Mapping[str, object],
    *,
    actor: access.Actor | None = None,
    earliest_year: int | None = None,
) -> ChangeResult:
    """Correct one exchange: ``new_values`` (import-format fields) replace its own, the whole
    record is checked as an import checks a row, and the change is one batch. A party left with
    no exchange and no former name is removed with it (undo brings it back)."""
    exchange_id = _exchange_id(exchange_id)
    with changes.change_batch(path, "record_edit", actor, f"exchange {exchange_id}") as (con, log, entry):
        current = get_record(con, exchange_id, writing=True)
        given = {column: current[column] for column in FIELDS}
        wanted = {**given, **_party_fields(con, given, new_values), **dict(new_values)}
        record = _checked(wanted, earliest_year)
        clean = record.values
        old_row = changes.read_row(con, "exchanges", {"exchange_id": exchange_id})
        assert old_row is not None
        # The duplicate check must not find the record itself: on the working copy it is taken
        # out for the check and put back before the logged update.
        con.execute("DELETE FROM exchanges WHERE exchange_id = ?", [exchange_id])
        _check_in_ledger(con, record, twins_allowed=_same_identity(con, old_row, clean))
        changes.insert_row(con, "exchanges", old_row)
        party_id, _created = party_for(con, log, clean, chinese="party_zh" in new_values)
        log.update("exchanges", {"exchange_id": exchange_id}, _exchange_values(clean, party_id))
        if old_row["party_id"] != party_id:
            parties.drop_if_unused(con, log, int(str(old_row["party_id"])))
        fields = _changed_fields(given, get_record(con, exchange_id, writing=True))
        if not fields:
            raise RecordError(i18n.t("error.record.no_change", exchange=exchange_id))
        summary = changes.summary("record_edit", exchange=exchange_id, fields=fields)
        return changes.finish(log, entry, summary, 1)


def _party_fields(
    con: duckdb.DuckDBPyConnection, given: Mapping[str, object], new_values: Mapping[str, object]
) -> dict[str, object]:
    """The family and Chinese name a correction that moves a record to another party takes when
    it does not give them: that party's own (an existing party), else the record's family and no
    Chinese name (a new party). A correction that keeps the party keeps them as they are."""
    moved = any(
        column in new_values and _shown(new_values[column]) != _shown(given[column]) for column in ("party", "country")
    )
    if not moved:
        return {}
    record = check_record({**{column: given[column] for column in FIELDS}, **dict(new_values)})
    if not record.valid:
        return {}  # the full check says what is wrong
    party_id = _found_party(con, record.values)
    if party_id is None:
        return {"party_zh": None}
    party = parties.get_party(con, party_id)
    return {"party_family": party["family"], "party_zh": party["name_zh"]}


def _same_identity(con: duckdb.DuckDBPyConnection, row: Mapping[str, object], clean: Mapping[str, object]) -> bool:
    """Whether a correction keeps what identifies an exchange for the duplicate check (party,
    date and precision, form, direction, event id)."""
    same_party = _found_party(con, clean) == row["party_id"]
    fields = [column for column in changes.EXCHANGE_IDENTITY if column != "party_id"]
    return same_party and all(changes.plain(clean[f]) == row[f] for f in fields)


def _changed_fields(before: Mapping[str, object], after: Mapping[str, object]) -> str:
    """'form: working_visit → study_trip; level: unknown → senior': the fields of a record (as
    the ledger holds them before and after, so a folded party name or a date typed loosely is
    said as written) that change."""
    parts = []
    for column in FIELDS:
        old, new = _shown(before.get(column)), _shown(after.get(column))
        if old != new:
            parts.append(f"{column}: {old or '—'} → {new or '—'}")
    return "; ".join(parts)


def _shown(value: object) -> str:
    value = changes.plain(value)
    return "" if value is None else str(value).strip()


def delete_record(path: Path | str, exchange_id: int | str, *, actor: access.Actor | None = None) -> ChangeResult:
    """Delete one exchange as one batch (its party too when left with no exchange and no former
    name); undo brings both back under their own ids."""
    exchange_id = _exchange_id(exchange_id)
    with changes.change_batch(path, "record_delete", actor, f"exchange {exchange_id}") as (con, log, entry):
        current = get_record(con, exchange_id, writing=True)
        row = log.delete("exchanges", {"exchange_id": exchange_id})
        parties.drop_if_unused(con, log, int(str(row["party_id"])))
        summary = changes.summary(
            "record_delete",
            exchange=exchange_id,
            date=current["date"],
            party=current["party"],
            country=current["country"] or "—",
        )
        return changes.finish(log, entry, summary, 1)


def bulk_edit(
    path: Path | str,
    exchange_ids: Sequence[int | str],
    column: str,
    value: object,
    *,
    actor: access.Actor | None = None,
) -> ChangeResult:
    """Set one field (``BULK_FIELDS``: event id, form, status, level) on many exchanges as one
    batch. The value is checked as the import checks that cell; an unknown id, or two exchanges
    made one by the change, refuses the whole edit."""
    if column not in BULK_FIELDS:
        raise RecordError(i18n.t("error.record.bulk_field", column=column, known=", ".join(BULK_FIELDS)))
    ids = sorted({_exchange_id(item) for item in exchange_ids})
    if not ids:
        raise RecordError(i18n.t("error.record.bulk_none"))
    if len(ids) > MAX_BULK:
        raise RecordError(i18n.t("error.record.bulk_too_many", count=i18n.number(len(ids)), most=i18n.number(MAX_BULK)))
    with changes.change_batch(path, "bulk_edit", actor, f"{len(ids)} exchanges") as (con, log, entry):
        held = {
            row[0]
            for row in con.execute(
                "SELECT exchange_id FROM exchanges WHERE exchange_id IN (SELECT unnest(?))", [ids]
            ).fetchall()
        }
        missing = [str(item) for item in ids if item not in held]
        if missing:
            shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
            raise RecordError(i18n.t("error.record.bulk_unknown", count=len(missing), ids=shown))
        sample = get_record(con, ids[0], writing=True)
        record = check_record({**{c: sample[c] for c in FIELDS}, column: value})
        cell = record.problems[(record.problems["column"] == column) & (record.problems["severity"] == "error")]
        if len(cell):
            raise RecordError(_invalid(cell), cell)
        clean_value = record.values[column]
        twins = changes.twin_pairs(con, ids)
        changed = log.update_exchanges(ids, {column: clean_value})
        if not changed:
            raise RecordError(i18n.t("error.record.bulk_no_change", column=column, value=_shown(clean_value)))
        made = sorted(changes.twin_pairs(con, ids) - twins)
        if made:
            raise RecordError(i18n.t("error.record.would_double", first=made[0][0], second=made[0][1]))
        summary = changes.summary(
            "bulk_edit", column=column, value=_shown(clean_value) or "—", count=changed, selected=len(ids)
        )
        return changes.finish(log, entry, summary, changed)
