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

import numpy as np
import pandas as pd

from analytics.importer.columns import (
    CODE_COLUMNS,
    CODE_DEFAULTS,
    COLUMNS,
    DATE_PRECISIONS,
    FORMULA_CHARACTERS,
    MAX_CELL_CHARS,
    REQUIRED,
    TEXT_COLUMNS,
    SourceTable,
)
from analytics.importer.problems import CheckedRows, _empty_problems, _problem_frame
from analytics.importer.values import (
    _code_suggestion,
    _code_value,
    _countries,
    _country_candidates,
    _country_value,
    _date_suggestion,
    _date_value,
    _delegation_value,
    _text_value,
)
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


def check_rows(table: SourceTable, *, earliest_year: int | None = None, today: dt.date | None = None) -> CheckedRows:
    """Validate every row of ``table`` and build the ledger form of each row.

    Vectorised: each check runs once per distinct value of a column and is spread to the rows
    with NumPy, so a million rows take seconds. The checks that need the ledger (families and
    duplicates against it) are in ``check_against_ledger``.
    """
    earliest_year = load_settings().earliest_year if earliest_year is None else earliest_year
    today = today or dt.date.today()
    frame = table.frame
    n = len(frame)
    blank_column = pd.Series([""] * n, dtype=str)
    problems: list[pd.DataFrame] = []
    if table.shape_problems:
        positions, reasons = zip(*table.shape_problems, strict=True)
        problems.append(_problem_frame(positions, "(row)", [""] * len(positions), list(reasons)))
    clean = pd.DataFrame({"pos": np.arange(n, dtype=np.int64)})
    keys: dict[str, np.ndarray] = {}
    given: dict[str, np.ndarray] = {}
    for column in COLUMNS:
        codes, uniques = _factorize(frame[column] if column in frame.columns else blank_column)
        stripped = [value.strip() for value in uniques]
        given[column] = _take(stripped, codes)

        if column in TEXT_COLUMNS:
            values = [_text_value(value) for value in uniques]
            text = _take(values, codes)
            too_long = np.array([len(value) > MAX_CELL_CHARS for value in values])[codes]
            if too_long.any():
                lengths = pd.Series(text[too_long]).str.len().map("{:,}".format).to_numpy(dtype=object)
                problems.append(
                    _problem_frame(
                        np.flatnonzero(too_long),
                        column,
                        text[too_long],
                        f"longer than {MAX_CELL_CHARS:,} characters (the most a spreadsheet cell holds): "
                        + lengths
                        + " characters",
                    )
                )
            formula = np.array([value[:1] in tuple(FORMULA_CHARACTERS) for value in values])[codes] & ~too_long
            if formula.any():
                problems.append(
                    _problem_frame(
                        np.flatnonzero(formula),
                        column,
                        text[formula],
                        "starts like a spreadsheet formula: stored as text, and every CSV or Excel export "
                        "writes it as text so no spreadsheet runs it",
                        severity="warning",
                    )
                )
            clean[column] = _take([value or None for value in values], codes)
            keys[column] = _key_codes(values, codes)

        elif column in CODE_COLUMNS:
            valid_codes = CODE_COLUMNS[column]
            values = [_code_value(value) or CODE_DEFAULTS.get(column, "") for value in uniques]
            _report_bad_codes(problems, column, values, codes, given[column], valid_codes, f"a {column} code")
            clean[column] = _take([value if value in valid_codes else None for value in values], codes)
            keys[column] = _key_codes(values, codes)

        elif column == "date":
            pairs = [(value, "") for value in uniques]
            if "date_precision" in frame.columns:
                codes, pairs = _precision_pairs(frame, codes, uniques, problems)
            parsed = [_date_value(value, earliest_year, today, stated) for value, stated in pairs]
            status = _take([item[0] for item in parsed], codes)
            reasons = {
                "unparsed": "not a date: write YYYY-MM-DD, YYYY-MM or YYYY",
                "early": f"before {earliest_year}, the earliest year accepted (LEDGER_EARLIEST_YEAR)",
                "future": f"in the future (today is {today:%Y-%m-%d})",
                "impossible": "not a calendar date (check the month and the day)",
            }
            for name, reason in reasons.items():
                mask = status == name
                if mask.any():
                    hints = (
                        _take([_date_suggestion(value) for value, _ in pairs], codes)[mask]
                        if name == "unparsed"
                        else ""
                    )
                    problems.append(_problem_frame(np.flatnonzero(mask), "date", given["date"][mask], reason, hints))
            mismatch = np.array([":" in item[0] for item in parsed])[codes]
            if mismatch.any():
                problems.append(
                    _problem_frame(
                        np.flatnonzero(mismatch),
                        "date",
                        given["date"][mismatch],
                        [_precision_reason(item) for item in status[mismatch]],
                    )
                )
            dates = np.array([np.datetime64(item[1], "s") if item[1] else np.datetime64("NaT", "s") for item in parsed])
            clean["date"] = dates[codes]
            clean["date_precision"] = _take([item[2] for item in parsed], codes)
            keys["date"] = _key_codes([f"{item[1]}|{item[2]}" for item in parsed], codes)

        elif column == "delegation_size":
            parsed = [_delegation_value(value) for value in uniques]
            reason = _take([item[0] for item in parsed], codes)
            bad = reason != ""
            if bad.any():
                hints = _take([item[2] for item in parsed], codes)[bad]
                problems.append(_problem_frame(np.flatnonzero(bad), column, given[column][bad], reason[bad], hints))
            clean[column] = pd.array(_take([item[1] for item in parsed], codes), dtype="Int64")
            keys[column] = _key_codes([item[1] for item in parsed], codes)

        elif column == "country":
            pairs = [(value, "") for value in uniques]
            if "country_iso3" in frame.columns:
                given["country_iso3"] = frame["country_iso3"].str.strip().to_numpy(dtype=object)
                names = frame[column] if column in frame.columns else blank_column
                codes, uniques = _factorize(names.str.cat(frame["country_iso3"], sep="\x1f"))
                pairs = [tuple(value.split("\x1f", 1)) for value in uniques]
            known, candidates = _countries(), _country_candidates()
            outcomes = [_country_value(name, code, known, candidates) for name, code in pairs]
            iso3 = [item[0] for item in outcomes]
            clean["country_iso3"] = _take(iso3, codes)
            keys[column] = _key_codes(iso3, codes)
            where = _take([item[1] for item in outcomes], codes)
            for problem_column in ("country", "country_iso3"):
                mask = where == problem_column
                if mask.any():
                    problems.append(
                        _problem_frame(
                            np.flatnonzero(mask),
                            problem_column,
                            given[problem_column][mask],
                            _take([item[2] for item in outcomes], codes)[mask],
                            _take([item[3] for item in outcomes], codes)[mask],
                        )
                    )

    # Required values. The country may be empty only for an international organisation.
    for column in REQUIRED:
        missing = given[column] == ""
        if column == "country":
            missing &= clean["party_family"].to_numpy() != "international_org"
            if "country_iso3" in given:
                missing &= given["country_iso3"] == ""
            reason = "required value is missing (only an international organisation, family international_org, has no country)"
        else:
            reason = "required value is missing"
        if missing.any():
            problems.append(_problem_frame(np.flatnonzero(missing), column, given[column][missing], reason))

    problems.append(_check_family_conflicts(clean, keys, table.rows))

    # Exact duplicates inside the file: every column equal once normalised.
    key_frame = pd.DataFrame(keys)
    duplicate = key_frame.duplicated(keep="first").to_numpy()
    if duplicate.any():
        group = key_frame.groupby(list(keys), sort=False).ngroup().to_numpy()
        first = pd.Series(np.arange(n)).groupby(group).transform("min").to_numpy()
        first_rows = table.rows[first[duplicate]].astype(str).astype(object)
        problems.append(
            _problem_frame(
                np.flatnonzero(duplicate),
                "(row)",
                [""] * int(duplicate.sum()),
                "exact duplicate of row " + first_rows,
                "delete the repeated row",
            )
        )
    found = [p for p in problems if len(p)]
    found = _formula_problems(table, given, pd.concat(found, ignore_index=True) if found else _empty_problems())
    return CheckedRows(table=table, clean=clean, problems=found)


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
            np.flatnonzero(bad), column, given[bad], f"not {what} (valid: {', '.join(valid)})", _take(hints, codes)[bad]
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
    _report_bad_codes(problems, "date_precision", stated, pcodes, given, DATE_PRECISIONS, "a date precision")
    usable = [value if value in DATE_PRECISIONS else "" for value in stated]
    pair_codes, pair_uniques = pd.factorize(pd.MultiIndex.from_arrays([codes, pcodes]))
    pairs = [(uniques[date_code], usable[precision_code]) for date_code, precision_code in pair_uniques]
    return pair_codes, pairs


def _precision_reason(status: str) -> str:
    _, stated, *written = status.split(":")
    if written:
        return f"the date_precision column says {stated}, but the date gives only the {written[0]}"
    first = "1 January" if stated == "year" else "the first day of a month"
    return (
        f"the date_precision column says {stated}, but the date is not {first}: "
        f"correct the date_precision, or write the date at its precision"
    )


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
        number = " (a number)" if column == "delegation_size" else ""
        frames.append(
            _problem_frame(
                positions,
                column,
                values,
                f"a spreadsheet formula: it is read as its text, never computed; type the value{number} instead "
                "(in Excel: copy the column, then Paste Special > Values)",
            )
        )
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
    message = {
        key: "the party is given with more than one family in this file: "
        + ", ".join(f"{family} (row {row})" for family, row in zip(group["party_family"], group["row"], strict=True))
        for key, group in firsts.sort_values("row").groupby(["party_key", "country_key"], sort=False)
    }
    reasons = [message[key] for key in zip(detail["party_key"], detail["country_key"], strict=True)]
    return _problem_frame(involved, "party_family", detail["party_family"], reasons)
