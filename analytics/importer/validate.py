"""Validation of a table's cells without the ledger: ``check_rows`` checks a whole file at once
(each check runs once per distinct value of a column, then is spread to the rows with NumPy) and
``check_record`` checks one record, as a one-row table through exactly the same checks.

``check_rows`` only orchestrates one check per column group (free text, codes, dates and their
precision, delegation size, country, required values, conflicting families, duplicates, Excel
formulas). Called by ``batch.prepare_import`` and, for a single record, by the coming
"add a record" form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics import i18n
from analytics.errors import InvalidInputError
from analytics.importer.columns import (
    CODE_COLUMNS,
    CODE_DEFAULTS,
    COLUMNS,
    DATE_PRECISIONS,
    FORMULA_CHARACTERS,
    KNOWN_COLUMNS,
    MAX_CELL_CHARS,
    REQUIRED,
    TEXT_COLUMNS,
    SourceTable,
)
from analytics.importer.problems import (
    WHOLE_ROW,
    CheckedRows,
    HasProblems,
    _empty_problems,
    _problem_frame,
    _with_rows,
)
from analytics.importer.values import (
    _code_suggestion,
    _code_value,
    _countries,
    _country_candidates,
    _country_value,
    _date_suggestion,
    _date_value,
    _delegation_value,
    _direction_reason,
    _text_value,
    code_shown,
)
from analytics.names import match_key
from analytics.settings import load_settings


def _factorize(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes per row and the distinct values: every check runs once per distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return codes, ["" if value is None or value is np.nan else str(value) for value in uniques]


def _take(values: list, codes: np.ndarray) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array[codes]


def _key_codes(values: list, codes: np.ndarray) -> np.ndarray:
    """Row codes of equal normalised values (two spellings of one value get one code)."""
    return pd.factorize(_take(values, np.arange(len(values))))[0][codes]


@dataclass
class _Checks:
    """What the column checks of one table share: each check reads ``frame`` and adds to
    ``problems``, to ``clean`` (the ledger form), to ``keys`` (normalised values for the duplicate
    and family checks) and to ``given`` (each cell as typed, stripped, shown in a problem)."""

    table: SourceTable
    earliest_year: int
    today: dt.date
    problems: list[pd.DataFrame] = field(default_factory=list)
    keys: dict[str, np.ndarray] = field(default_factory=dict)
    given: dict[str, np.ndarray] = field(default_factory=dict)
    clean: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.clean = pd.DataFrame({"pos": np.arange(len(self.frame), dtype=np.int64)})

    @property
    def frame(self) -> pd.DataFrame:
        return self.table.frame

    def cells(self, column: str) -> pd.Series:
        """The column's text cells; empty cells when the file has no such column."""
        if column in self.frame.columns:
            return self.frame[column]
        return pd.Series([""] * len(self.frame), dtype=str)

    def found(self) -> pd.DataFrame:
        found = [p for p in self.problems if len(p)]
        return pd.concat(found, ignore_index=True) if found else _empty_problems()


def check_rows(table: SourceTable, *, earliest_year: int | None = None, today: dt.date | None = None) -> CheckedRows:
    """Validate every row of ``table`` and build the ledger form of each row.

    Vectorised: each check runs once per distinct value of a column and is spread to the rows
    with NumPy, so a million rows take seconds. The checks that need the ledger (families and
    duplicates against it) are in ``check_against_ledger``.
    """
    checks = _Checks(
        table,
        earliest_year=load_settings().earliest_year if earliest_year is None else earliest_year,
        today=today or dt.date.today(),
    )
    _check_shape(checks)
    for column in COLUMNS:
        codes, uniques = _factorize(checks.cells(column))
        checks.given[column] = _take([value.strip() for value in uniques], codes)
        _check_direction_controls(checks, column, codes, uniques)
        _COLUMN_CHECKS[column](checks, column, codes, uniques)
    _check_required(checks)
    checks.problems.append(_check_family_conflicts(checks.clean, checks.keys, table.rows))
    _check_duplicates(checks)
    return CheckedRows(table=table, clean=checks.clean, problems=_formula_problems(table, checks.given, checks.found()))


def _check_shape(checks: _Checks) -> None:
    """Rows with more cells than the header (found while reading)."""
    if checks.table.shape_problems:
        positions, reasons = zip(*checks.table.shape_problems, strict=True)
        checks.problems.append(_problem_frame(positions, WHOLE_ROW, [""] * len(positions), list(reasons)))


def _check_direction_controls(checks: _Checks, column: str, codes: np.ndarray, uniques: list[str]) -> None:
    """Any cell holding a bidirectional control (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
    U+061C), which can make a name read backwards on screen: an error naming the character."""
    reasons = [_direction_reason(value) for value in uniques]
    if not any(reasons):
        return
    bad = np.array([reason is not None for reason in reasons])[codes]
    checks.problems.append(
        _problem_frame(
            np.flatnonzero(bad),
            column,
            checks.given[column][bad],
            np.asarray(reasons, dtype=object)[codes][bad],
        )
    )


def _check_text(checks: _Checks, column: str, codes: np.ndarray, uniques: list[str]) -> None:
    """Free text (party, event_id, topic, source): too long for a cell is an error, a formula-like
    start a warning (stored as text)."""
    values = [_text_value(value) for value in uniques]
    text = _take(values, codes)
    too_long = np.array([len(value) > MAX_CELL_CHARS for value in values])[codes]
    if too_long.any():
        most = i18n.number(MAX_CELL_CHARS)
        reasons = [
            i18n.t("importer.reason.too_long", most=most, length=i18n.number(len(value))) for value in text[too_long]
        ]
        checks.problems.append(_problem_frame(np.flatnonzero(too_long), column, text[too_long], reasons))
    formula = np.array([value[:1] in tuple(FORMULA_CHARACTERS) for value in values])[codes] & ~too_long
    if formula.any():
        checks.problems.append(
            _problem_frame(
                np.flatnonzero(formula),
                column,
                text[formula],
                i18n.t("importer.warning.formula_like"),
                severity="warning",
            )
        )
    checks.clean[column] = _take([value or None for value in values], codes)
    # Party names count as one when they differ only in case and runs of spaces, as the ledger
    # match does (``crosscheck.resolve_parties``): for the duplicate and family checks too.
    checks.keys[column] = _key_codes([match_key(value) for value in values] if column == "party" else values, codes)


def _check_codes(checks: _Checks, column: str, codes: np.ndarray, uniques: list[str]) -> None:
    """A code column (party_family, party_status, form, direction, level): one of its codes."""
    valid_codes = CODE_COLUMNS[column]
    values = [_code_value(value) or CODE_DEFAULTS.get(column, "") for value in uniques]
    what = i18n.t("importer.reason.not_code", column=column)
    _report_bad_codes(checks.problems, column, values, codes, checks.given[column], valid_codes, what)
    checks.clean[column] = _take([value if value in valid_codes else None for value in values], codes)
    checks.keys[column] = _key_codes(values, codes)


def _check_dates(checks: _Checks, column: str, codes: np.ndarray, uniques: list[str]) -> None:
    """The date and its precision (written, or stated in a ``date_precision`` column)."""
    pairs: list[tuple[str, str]] = [(value, "") for value in uniques]
    if "date_precision" in checks.frame.columns:
        codes, pairs = _precision_pairs(checks.frame, codes, uniques, checks.problems)
    parsed = [_date_value(value, checks.earliest_year, checks.today, stated) for value, stated in pairs]
    status = _take([item[0] for item in parsed], codes)
    _report_bad_dates(checks, status, codes, pairs)
    mismatch = np.array([":" in item[0] for item in parsed])[codes]
    if mismatch.any():
        checks.problems.append(
            _problem_frame(
                np.flatnonzero(mismatch),
                "date",
                checks.given["date"][mismatch],
                [_precision_reason(item) for item in status[mismatch]],
            )
        )
    dates = np.array([np.datetime64(item[1], "s") if item[1] else np.datetime64("NaT", "s") for item in parsed])
    checks.clean["date"] = dates[codes]
    checks.clean["date_precision"] = _take([item[2] for item in parsed], codes)
    checks.keys["date"] = _key_codes([f"{item[1]}|{item[2]}" for item in parsed], codes)


def _report_bad_dates(checks: _Checks, status: np.ndarray, codes: np.ndarray, pairs: list[tuple[str, str]]) -> None:
    """One problem per date that is not a date, too early, in the future or not in the calendar."""
    reasons = {
        "unparsed": i18n.t("importer.reason.date_unparsed"),
        "early": i18n.t("importer.reason.date_early", year=checks.earliest_year),
        "future": i18n.t("importer.reason.date_future", today=i18n.date(checks.today)),
        "impossible": i18n.t("importer.reason.date_impossible"),
    }
    for name, reason in reasons.items():
        mask = status == name
        if mask.any():
            hints = _take([_date_suggestion(value) for value, _ in pairs], codes)[mask] if name == "unparsed" else ""
            checks.problems.append(
                _problem_frame(np.flatnonzero(mask), "date", checks.given["date"][mask], reason, hints)
            )


def _check_delegation(checks: _Checks, column: str, codes: np.ndarray, uniques: list[str]) -> None:
    """delegation_size: empty, or a whole number of people."""
    parsed = [_delegation_value(value) for value in uniques]
    reason = _take([item[0] for item in parsed], codes)
    bad = reason != ""
    if bad.any():
        hints = _take([item[2] for item in parsed], codes)[bad]
        checks.problems.append(
            _problem_frame(np.flatnonzero(bad), column, checks.given[column][bad], reason[bad], hints)
        )
    checks.clean[column] = pd.array(_take([item[1] for item in parsed], codes), dtype="Int64")
    checks.keys[column] = _key_codes([item[1] for item in parsed], codes)


def _check_country(checks: _Checks, column: str, codes: np.ndarray, uniques: list[str]) -> None:
    """The country by name, alias or ISO3 code, and a ``country_iso3`` column when the file has one."""
    frame = checks.frame
    pairs: list[tuple[str, str]] = [(value, "") for value in uniques]
    if "country_iso3" in frame.columns:
        checks.given["country_iso3"] = frame["country_iso3"].str.strip().to_numpy(dtype=object)
        codes, uniques = _factorize(checks.cells(column).str.cat(frame["country_iso3"], sep="\x1f"))
        pairs = [(name, code) for name, _, code in (value.partition("\x1f") for value in uniques)]
    known, candidates = _countries(), _country_candidates()
    outcomes = [_country_value(name, code, known, candidates) for name, code in pairs]
    iso3 = [item[0] for item in outcomes]
    checks.clean["country_iso3"] = _take(iso3, codes)
    checks.keys[column] = _key_codes(iso3, codes)
    where = _take([item[1] for item in outcomes], codes)
    for problem_column in ("country", "country_iso3"):
        mask = where == problem_column
        if mask.any():
            checks.problems.append(
                _problem_frame(
                    np.flatnonzero(mask),
                    problem_column,
                    checks.given[problem_column][mask],
                    _take([item[2] for item in outcomes], codes)[mask],
                    _take([item[3] for item in outcomes], codes)[mask],
                )
            )


_COLUMN_CHECKS = {
    **{column: _check_text for column in TEXT_COLUMNS},
    **{column: _check_codes for column in CODE_COLUMNS},
    "date": _check_dates,
    "delegation_size": _check_delegation,
    "country": _check_country,
}


def _check_required(checks: _Checks) -> None:
    """Required values. The country may be empty only for an international organisation."""
    given = checks.given
    for column in REQUIRED:
        missing = given[column] == ""
        if column == "country":
            missing &= checks.clean["party_family"].to_numpy() != "international_org"
            if "country_iso3" in given:
                missing &= given["country_iso3"] == ""
            reason = i18n.t("importer.reason.country_missing")
        else:
            reason = i18n.t("importer.reason.missing")
        if missing.any():
            checks.problems.append(_problem_frame(np.flatnonzero(missing), column, given[column][missing], reason))


def _check_duplicates(checks: _Checks) -> None:
    """Exact duplicates inside the file: every column equal once normalised."""
    key_frame = pd.DataFrame(checks.keys)
    duplicate = key_frame.duplicated(keep="first").to_numpy()
    if duplicate.any():
        group = key_frame.groupby(list(checks.keys), sort=False).ngroup().to_numpy()
        first = pd.Series(np.arange(len(key_frame))).groupby(group).transform("min").to_numpy()
        first_rows = checks.table.rows[first[duplicate]].astype(str).astype(object)
        checks.problems.append(
            _problem_frame(
                np.flatnonzero(duplicate),
                WHOLE_ROW,
                [""] * int(duplicate.sum()),
                [i18n.t("importer.reason.duplicate_in_file", row=row) for row in first_rows],
                i18n.t("importer.suggest.delete_repeated_row"),
            )
        )


# --------------------------------------------------------------------------------------------
# One record (the "add a record" form)


@dataclass(frozen=True)
class CheckedRecord(HasProblems):
    """One record checked like a row of a file: its problems (column, value, reason, suggestion,
    severity, in the order a file import lists them), its ledger form and the ``CheckedRows``
    that ``check_against_ledger`` and a batch write take."""

    checked: CheckedRows
    problems: pd.DataFrame

    @property
    def valid(self) -> bool:
        """No error: the record can be written."""
        return self.errors.empty

    @property
    def values(self) -> dict[str, object]:
        """The record in ledger form (date, date_precision, party, country_iso3, codes, ...)."""
        row = self.checked.clean.drop(columns="pos").iloc[0]
        out: dict[str, object] = {}
        for column, value in row.items():
            if pd.isna(value):
                value = None
            elif isinstance(value, pd.Timestamp):
                value = value.date()
            elif isinstance(value, np.generic):
                value = value.item()
            out[column] = value
        return out


def _cell_text(value: object) -> str:
    """A form's value as the text a file's cell would hold."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_record(
    values: Mapping[str, object], *, earliest_year: int | None = None, today: dt.date | None = None
) -> CheckedRecord:
    """Check one record (column name -> value, as a form gives them) with exactly the checks of a
    file import: the record becomes a one-row ``SourceTable`` and goes through ``check_rows``, so
    every reason and suggestion is the one a file import gives for that cell.

    Columns are those of the import format (``COLUMNS``, plus ``date_precision`` and
    ``country_iso3``); a missing column is an empty cell. Raises InvalidInputError for a column
    that is not part of the format.
    """
    unknown = [str(column) for column in values if column not in KNOWN_COLUMNS]
    if unknown:
        raise InvalidInputError(
            i18n.t(
                "importer.error.record_unknown_columns", unknown=", ".join(unknown), columns=", ".join(KNOWN_COLUMNS)
            )
        )
    cells = {column: [_cell_text(values[column])] for column in KNOWN_COLUMNS if column in values}
    frame = pd.DataFrame(cells, columns=list(cells), dtype=str)
    if frame.empty:
        frame = pd.DataFrame(index=range(1))
    table = SourceTable(
        frame=frame.astype(str),
        rows=np.array([1], dtype=np.int64),
        file_name=i18n.t("importer.the_record"),
        sha256="",
        kind="record",
    )
    checked = check_rows(table, earliest_year=earliest_year, today=today)
    problems = _with_rows(checked.problems, table.rows).drop(columns="row")
    return CheckedRecord(checked=checked, problems=problems)


def _report_bad_codes(
    problems: list[pd.DataFrame],
    column: str,
    values: list[str],
    codes: np.ndarray,
    given: np.ndarray,
    valid: tuple[str, ...],
    what: str,
) -> None:
    """Report the rows whose distinct value (``values[codes[row]]``) is set but not one of
    ``valid``, with the closest valid codes as the suggestion."""
    bad_unique = np.array([bool(value) and value not in valid for value in values])
    bad = bad_unique[codes]
    if not bad.any():
        return
    hints = [_code_suggestion(value, valid) if wrong else "" for value, wrong in zip(values, bad_unique, strict=True)]
    problems.append(
        _problem_frame(
            np.flatnonzero(bad),
            column,
            given[bad],
            i18n.t("importer.reason.not_valid", what=what, valid=i18n.t("importer.separator").join(valid)),
            _take(hints, codes)[bad],
        )
    )


def _precision_pairs(
    frame: pd.DataFrame, codes: np.ndarray, uniques: list[str], problems: list[pd.DataFrame]
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Row codes and distinct (date, stated precision) pairs of a file with a ``date_precision``
    column; a precision that is not day, month or year is reported and ignored."""
    pcodes, puniques = _factorize(frame["date_precision"])
    stated = [_code_value(value) for value in puniques]
    given = _take([value.strip() for value in puniques], pcodes)
    what = i18n.t("importer.reason.not_precision")
    _report_bad_codes(problems, "date_precision", stated, pcodes, given, DATE_PRECISIONS, what)
    usable = [value if value in DATE_PRECISIONS else "" for value in stated]
    pair_codes, pair_uniques = pd.factorize(pd.MultiIndex.from_arrays([codes, pcodes]))
    pairs = [(uniques[date_code], usable[precision_code]) for date_code, precision_code in pair_uniques]
    return pair_codes, pairs


def _precision_reason(status: str) -> str:
    _, stated, *written = status.split(":")
    if written:
        return i18n.t(f"importer.reason.precision_coarse.{written[0]}", stated=stated)
    return i18n.t(f"importer.reason.precision_inconsistent.{stated}")


def _formula_problems(table: SourceTable, given: dict[str, np.ndarray], problems: pd.DataFrame) -> pd.DataFrame:
    """Excel formula cells outside the free-text columns: one error each, in place of what their
    text would otherwise raise (a formula is read as its text; no value is computed)."""
    cells = [(pos, column) for pos, column in table.formula_cells if column not in TEXT_COLUMNS]
    if not cells:
        return problems
    flagged = pd.DataFrame(cells, columns=["pos", "column"]).drop_duplicates()
    hit = problems[["pos", "column"]].merge(flagged.assign(_hit=True), on=["pos", "column"], how="left")["_hit"]
    kept = problems[hit.isna().to_numpy()]
    frames = [kept]
    for column, group in flagged.groupby("column", sort=False):
        positions = group["pos"].to_numpy(dtype=np.int64)
        values = given[column][positions] if column in given else table.frame[column].to_numpy(dtype=object)[positions]
        key = "importer.reason.formula_number" if column == "delegation_size" else "importer.reason.formula"
        frames.append(_problem_frame(positions, column, values, i18n.t(key)))
    return pd.concat([frame for frame in frames if len(frame)], ignore_index=True)


def _check_family_conflicts(clean: pd.DataFrame, keys: dict[str, np.ndarray], rows: np.ndarray) -> pd.DataFrame:
    """Rows of a party (same name and country) given with more than one family in the file."""
    usable = (clean["party"].notna() & clean["party_family"].notna()).to_numpy()
    if not usable.any():
        return _empty_problems()
    pairs = pd.DataFrame({"party": keys["party"], "country": keys["country"], "family": keys["party_family"]})[usable]
    distinct = pairs.drop_duplicates()
    conflicted = distinct[distinct.duplicated(["party", "country"], keep=False)][["party", "country"]].drop_duplicates()
    if conflicted.empty:
        return _empty_problems()
    involved = np.sort(pairs.reset_index().merge(conflicted, on=["party", "country"])["index"].to_numpy())
    detail = clean.loc[involved, ["party", "country_iso3", "party_family"]].assign(
        row=rows[involved], party_key=keys["party"][involved], country_key=keys["country"][involved]
    )
    firsts = detail.groupby(["party_key", "country_key", "party_family"], sort=False)["row"].min().reset_index()
    separator = i18n.t("importer.separator")
    message = {
        key: i18n.t(
            "importer.reason.family_conflict",
            families=separator.join(
                i18n.t("importer.family_at_row", family=code_shown(family), row=row)
                for family, row in zip(group["party_family"], group["row"], strict=True)
            ),
        )
        for key, group in firsts.sort_values("row").groupby(["party_key", "country_key"], sort=False)
    }
    reasons = [message[key] for key in zip(detail["party_key"], detail["country_key"], strict=True)]
    return _problem_frame(involved, "party_family", detail["party_family"], reasons)
