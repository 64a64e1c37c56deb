"""The importer: reading, header matching, vectorised validation, writing a batch, undo, export
round trips, formula neutralisation and the templates (analytics/importer/)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from analytics import i18n, importer
from analytics.errors import InvalidInputError
from analytics.explore import ledger_rows as explorer_rows
from analytics.filters import Filters
from analytics.importer import (
    BatchError,
    DemoLedgerError,
    DuplicateFileError,
    ImportFileError,
    check_rows,
    commit_import,
    import_file,
    prepare_import,
    read_table,
    undo_batch,
)
from analytics.ledger import connect_read_only, content_hash, create_ledger
from analytics.settings import PROJECT_ROOT
from tests.ledgers import fingerprint

HEADER = "date,party,country,party_family,form,direction"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def problems_of(data: bytes, **kwargs) -> list[tuple[int, str, str]]:
    """(row, column, reason) of every error of a file checked without a ledger."""
    table = read_table(data, "test.csv")
    checked = check_rows(table, earliest_year=1921, today=dt.date(2025, 6, 30), **kwargs)
    result = importer._result(checked, importer._empty_problems(), None, False)
    errors = result.errors
    return list(zip(errors["row"], errors["column"], errors["reason"], strict=True))


def query(path, sql, params=None):
    con = connect_read_only(path)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture
def empty_ledger(tmp_path):
    return create_ledger(tmp_path / "ledger.duckdb", demo=False)


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- reading and headers


def test_headers_match_without_case_spaces_or_bom_and_extra_columns_are_ignored():
    data = "\ufeff DATE , Party,Country,Party family,FORM,direction ,Notes\n2001-05-02,A,FRA,socialist,working_visit,inbound,x\n"
    table = read_table(data.encode("utf-8"), "x.csv")
    assert list(table.frame.columns) == ["date", "party", "country", "party_family", "form", "direction", "Notes"]
    assert table.notes == ["column 'Notes' is not part of the ledger format and is ignored."]
    assert table.rows.tolist() == [2]


def test_columns_without_header_are_dropped_with_a_note_when_they_hold_values():
    table = read_table(csv_bytes("2001,A,FRA,socialist,other,inbound,x,", header=HEADER + ",,"), "x.csv")
    assert list(table.frame.columns) == HEADER.split(",")
    assert table.notes == ["column 7 has values but no header; it is ignored."]


def test_duplicate_header_is_an_error():
    with pytest.raises(ImportFileError, match="columns 1 and 7 are both 'date'"):
        read_table(csv_bytes("2001,A,FRA,socialist,other,inbound,2002", header=HEADER + ",Date"), "x.csv")


def test_missing_column_suggests_the_near_header():
    with pytest.raises(ImportFileError) as raised:
        read_table(b"dat,party,country,party_family,form,direction\n2001,A,FRA,socialist,other,inbound\n", "x.csv")
    assert raised.value.lines == ["x.csv: required column 'date' is missing (is 'dat' meant to be 'date'?)."]


@pytest.mark.parametrize(
    ("separator", "text"),
    [
        (",", "date,party,country,party_family,form,direction\n2001,A,FRA,socialist,other,inbound\n"),
        (";", "date;party;country;party_family;form;direction\n2001;A, B;FRA;socialist;other;inbound\n"),
        ("\t", "date\tparty\tcountry\tparty_family\tform\tdirection\n2001\tA, B\tFRA\tsocialist\tother\tinbound\n"),
    ],
)
def test_separator_is_detected(separator, text):
    table = read_table(text.encode("utf-8"), "x.csv")
    assert table.frame.shape == (1, 6)
    assert table.frame["country"].tolist() == ["FRA"]


def test_row_numbers_count_blank_rows_and_quoted_line_breaks_like_a_spreadsheet():
    data = csv_bytes(
        "2001,A,FRA,socialist,other,inbound",
        "",
        ",,,,,",
        '2002,"Two\nlines",FRA,socialist,other,inbound',
        "2003,C,FRA,nonsense,other,inbound",
    )
    table = read_table(data, "x.csv")
    assert table.rows.tolist() == [2, 5, 6]
    assert problems_of(data) == [
        (
            6,
            "party_family",
            "not a party_family code (valid: communist, socialist, "
            "social_democratic, national_democratic, liberal, conservative, green, "
            "international_org, other)",
        )
    ]


def test_excel_first_sheet_named_sheet_and_date_cells_at_their_precision():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Notes"
    sheet.append(["nothing here"])
    data_sheet = workbook.create_sheet("Ledger")
    data_sheet.append(["date", "party", "country", "party_family", "form", "direction", "delegation_size"])
    data_sheet.append([dt.datetime(2001, 5, 2), "A", "FRA", "socialist", "other", "inbound", 3.0])
    data_sheet.append([dt.datetime(2001, 5, 1), "A", "FRA", "socialist", "other", "inbound", None])
    data_sheet["A3"].number_format = "mmm-yy"
    data_sheet.append([1999, "A", "FRA", "socialist", "other", "inbound", 4])
    data_sheet.append([])
    data_sheet.append(["2004-07", "A", "FRA", "socialist", "other", "inbound", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ImportFileError, match="required column 'date' is missing"):
        read_table(buffer.getvalue(), "book.xlsx")
    with pytest.raises(ImportFileError, match="has no sheet 'Nope'; its sheets are: Notes, Ledger"):
        read_table(buffer.getvalue(), "book.xlsx", sheet="Nope")
    table = read_table(buffer.getvalue(), "book.xlsx", sheet="Ledger")
    assert table.frame["date"].tolist() == ["2001-05-02", "2001-05", "1999", "2004-07"]
    assert table.frame["delegation_size"].tolist() == ["3", "", "4", ""]
    assert table.rows.tolist() == [2, 3, 4, 6]
    assert table.sheet == "Ledger"
    assert importer.sheet_names(buffer.getvalue()) == ["Notes", "Ledger"]


def test_parquet_columns_are_read_as_text():
    frame = pd.DataFrame(
        {
            "date": [dt.date(2001, 5, 2), dt.date(1999, 1, 1)],
            "party": ["A", "B"],
            "country": ["FRA", None],
            "party_family": ["socialist", "international_org"],
            "form": ["other", "other"],
            "direction": ["inbound", "virtual"],
            "delegation_size": [3.0, None],
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    table = read_table(buffer.getvalue(), "x.parquet")
    assert table.frame["date"].tolist() == ["2001-05-02", "1999-01-01"]
    assert table.frame["country"].tolist() == ["FRA", ""]
    assert table.frame["delegation_size"].tolist() == ["3", ""]
    assert table.rows.tolist() == [2, 3]


def xlsx_bytes(rows: list[list], header: list[str]) -> bytes:
    """A workbook written the way pandas writes one: a text starting with = becomes a formula
    with no computed value."""
    buffer = io.BytesIO()
    pd.DataFrame(rows, columns=header).to_excel(buffer, index=False, engine="openpyxl")
    return buffer.getvalue()


def test_excel_formula_cells_are_read_as_their_text_not_emptied():
    header = ["date", "party", "country", "party_family", "form", "direction", "delegation_size", "topic"]
    data = xlsx_bytes(
        [
            ["2001-05-02", '=CONCAT("Dawn"," Party")', "FRA", "socialist", "other", "inbound", 3, "=1+1"],
            ["2002", "Elm Party", "FRA", "socialist", "other", "inbound", "=2+2", "plain"],
        ],
        header,
    )
    prepared = prepare_import(data, "book.xlsx", "/nonexistent/ledger.duckdb")
    clean = prepared.checked.clean
    assert (clean["party"].iloc[0], clean["topic"].iloc[0]) == ('=CONCAT("Dawn"," Party")', "=1+1")
    problems = prepared.result.problems
    assert problems[["row", "column", "value", "severity"]].values.tolist() == [
        [2, "party", '=CONCAT("Dawn"," Party")', "warning"],
        [2, "topic", "=1+1", "warning"],
        [3, "delegation_size", "=2+2", "error"],
    ]
    assert (
        problems["reason"]
        .iloc[2]
        .startswith("a spreadsheet formula: it is read as its text, never computed; type the value (a number) instead")
    )
    assert (prepared.result.rows_valid, prepared.result.complete) == (1, False)


def test_excel_formula_in_a_code_or_date_column_is_one_clear_error():
    header = ["date", "party", "country", "party_family", "form", "direction"]
    data = xlsx_bytes([["=DATE(2001,5,2)", "Dawn Party", "FRA", "socialist", '=IF(1,"other")', "inbound"]], header)
    problems = prepare_import(data, "book.xlsx", "/nonexistent/ledger.duckdb").result.problems
    assert problems[["row", "column", "value"]].values.tolist() == [
        [2, "date", "=DATE(2001,5,2)"],
        [2, "form", '=IF(1,"other")'],
    ]
    assert problems["reason"].str.startswith("a spreadsheet formula").all()


def test_parquet_timestamps_with_fractions_of_a_second_are_read_as_their_day():
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "date": pa.array(
                [dt.datetime(2001, 5, 2, 10, 30, 0, 250_000), dt.datetime(1969, 12, 31, 23, 59, 59, 500_000)],
                pa.timestamp("us"),
            ),
            "party": ["A", "B"],
            "country": ["FRA", "FRA"],
            "party_family": ["socialist", "socialist"],
            "form": ["other", "other"],
            "direction": ["inbound", "inbound"],
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    assert read_table(buffer.getvalue(), "x.parquet").frame["date"].tolist() == ["2001-05-02", "1969-12-31"]


def test_parquet_column_that_cannot_be_read_names_the_file_and_column():
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "date": ["2001"],
            "party": ["A"],
            "country": ["FRA"],
            "party_family": ["socialist"],
            "form": ["other"],
            "direction": ["inbound"],
            "topic": pa.array([{"a": 1}]),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    with pytest.raises(
        ImportFileError, match=r"^x\.parquet: column 'topic' \(struct<a: int64>\) cannot be read as text"
    ):
        read_table(buffer.getvalue(), "x.parquet")


def test_windows_1252_file_is_read_with_a_warning():
    data = (HEADER + "\n2001,Société Générale des Partis,FRA,socialist,other,inbound\n").encode("cp1252")
    table = read_table(data, "x.csv")
    assert table.frame["party"].tolist() == ["Société Générale des Partis"]
    assert table.notes == [
        "x.csv is not UTF-8; it was read as Windows-1252 (Western European). "
        "Check accented names in the preview, or save the file as CSV UTF-8."
    ]


def test_utf16_with_bom_is_read():
    data = (HEADER.replace(",", "\t") + "\n2001\tÉcole\tFRA\tsocialist\tother\tinbound\n").encode("utf-16")
    assert read_table(data, "x.txt").frame["party"].tolist() == ["École"]


# ---------------------------------------------------------------- validation of values


@pytest.mark.parametrize(
    ("value", "date", "precision"),
    [
        ("2001-05-02", dt.date(2001, 5, 2), "day"),
        ("2001-05", dt.date(2001, 5, 1), "month"),
        ("2001", dt.date(2001, 1, 1), "year"),
        (" 2001-5-2 ", dt.date(2001, 5, 2), "day"),
        ("2001-05-02 00:00:00", dt.date(2001, 5, 2), "day"),
        ("1921", dt.date(1921, 1, 1), "year"),
        ("2025-06", dt.date(2025, 6, 1), "month"),
    ],
)
def test_valid_dates_keep_their_precision(value, date, precision):
    checked = check_rows(
        read_table(csv_bytes(f"{value},A,FRA,socialist,other,inbound"), "x.csv"),
        earliest_year=1921,
        today=dt.date(2025, 6, 30),
    )
    assert checked.problems.empty
    assert checked.clean["date"].iloc[0] == pd.Timestamp(date)
    assert checked.clean["date_precision"].iloc[0] == precision


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("02/05/2001", "not a date: write YYYY-MM-DD, YYYY-MM or YYYY"),
        ("May 2001", "not a date: write YYYY-MM-DD, YYYY-MM or YYYY"),
        ("2001-13", "not a calendar date (check the month and the day)"),
        ("2001-02-30", "not a calendar date (check the month and the day)"),
        ("1920-12-31", "before 1921, the earliest year accepted (LEDGER_EARLIEST_YEAR)"),
        ("2025-07", "in the future (today is 2025-06-30)"),
        ("2999", "in the future (today is 2025-06-30)"),
        ("", "required value is missing"),
    ],
)
def test_bad_dates(value, reason):
    assert problems_of(csv_bytes(f"{value},A,FRA,socialist,other,inbound")) == [(2, "date", reason)]


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("2019/04/16", "2019-04-16"),
        ("2019.04.16", "2019-04-16"),
        ("2019/04", "2019-04"),
        ("16/04/2019", "2019-04-16"),
        ("04/16/2019", "2019-04-16"),
        ("16.04.2019", "2019-04-16"),
        ("05/04/2019", "2019-04-05 (read as day/month/year) or 2019-05-04 (read as month/day/year)"),
        ("04/04/2019", "2019-04-04"),
        ("04/2019", "2019-04"),
        ("43571", "2019-04-16 (the date Excel numbers 43571)"),
        ("16 April 2019", "2019-04-16"),
        ("April 16, 2019", "2019-04-16"),
        ("May 2001", "2001-05"),
        ("31/02/2019", ""),
        ("soon", ""),
        ("2019/13/01", ""),
    ],
)
def test_dates_in_other_spellings_get_the_format_s_spelling_as_suggestion(value, suggestion):
    problems = prepare_import(
        csv_bytes(f'"{value}",A,FRA,socialist,other,inbound'), "x.csv", "/nonexistent/ledger.duckdb"
    ).result.problems
    assert problems[["column", "suggestion"]].values.tolist() == [["date", suggestion]]
    line = importer.problem_lines(problems)[0]
    assert line.endswith(f"; did you mean {suggestion}?" if suggestion else "YYYY-MM or YYYY")


@pytest.mark.parametrize(
    ("date", "precision", "stored", "stored_precision"),
    [
        ("1999-01-01", "year", dt.date(1999, 1, 1), "year"),
        ("1999-05-01", "month", dt.date(1999, 5, 1), "month"),
        ("1999-05-03", "day", dt.date(1999, 5, 3), "day"),
        ("1999-05-03", "", dt.date(1999, 5, 3), "day"),
        ("1999-01-01 00:00:00", "Year", dt.date(1999, 1, 1), "year"),
        ("1999", "year", dt.date(1999, 1, 1), "year"),
        ("1999-05", "month", dt.date(1999, 5, 1), "month"),
    ],
)
def test_a_date_precision_column_is_honoured(date, precision, stored, stored_precision):
    data = csv_bytes(
        f"{date},{precision},A,FRA,socialist,other,inbound",
        header="date,date_precision,party,country,party_family,form,direction",
    )
    table = read_table(data, "x.csv")
    assert table.notes == []
    checked = check_rows(table, earliest_year=1921, today=dt.date(2025, 6, 30))
    assert checked.problems.empty
    assert (checked.clean["date"].iloc[0], checked.clean["date_precision"].iloc[0]) == (
        pd.Timestamp(stored),
        stored_precision,
    )


@pytest.mark.parametrize(
    ("date", "precision", "column", "value", "reason"),
    [
        (
            "1999-05-03",
            "year",
            "date",
            "1999-05-03",
            "the date_precision column says year, but the date is not 1 January: correct the date_precision, or write "
            "the date at its precision",
        ),
        (
            "1999-05-03",
            "month",
            "date",
            "1999-05-03",
            "the date_precision column says month, but the date is not the first day of a month: correct the "
            "date_precision, or write the date at its precision",
        ),
        ("1999", "day", "date", "1999", "the date_precision column says day, but the date gives only the year"),
        ("1999-01-01", "decade", "date_precision", "decade", "not a date precision (valid: day, month, year)"),
    ],
)
def test_a_date_that_contradicts_its_precision_is_an_error(date, precision, column, value, reason):
    data = csv_bytes(
        f"{date},{precision},A,FRA,socialist,other,inbound",
        header="date,date_precision,party,country,party_family,form,direction",
    )
    problems = prepare_import(data, "x.csv", "/nonexistent/ledger.duckdb").result.problems
    assert problems[["row", "column", "value", "reason"]].values.tolist() == [[2, column, value, reason]]


@pytest.mark.parametrize(
    ("form", "stored"),
    [
        ("working_visit", "working_visit"),
        ("Working Visit", "working_visit"),
        ("working-visit", "working_visit"),
        (" STUDY_TRIP ", "study_trip"),
    ],
)
def test_codes_match_without_case_and_with_spaces_for_underscores(form, stored):
    checked = check_rows(read_table(csv_bytes(f"2001,A,FRA,socialist,{form},inbound"), "x.csv"), earliest_year=1921)
    assert checked.problems.empty
    assert checked.clean["form"].iloc[0] == stored


@pytest.mark.parametrize(
    ("column", "value", "suggestion"),
    [
        ("form", "workng_visit", "working_visit"),
        ("form", "visit", "high_level_visit or working_visit"),
        ("party_family", "socialst", "socialist"),
        ("direction", "inbond", "inbound"),
        ("party_status", "rulling", "ruling"),
        ("level", "leeder", "leader"),
        ("form", "dinner", ""),
    ],
)
def test_wrong_codes_get_the_closest_valid_ones(column, value, suggestion):
    row = {
        "date": "2001",
        "party": "A",
        "country": "FRA",
        "party_family": "socialist",
        "form": "other",
        "direction": "inbound",
        "party_status": "",
        "level": "",
    }
    row[column] = value
    data = (
        "date,party,country,party_family,form,direction,party_status,level\n" + ",".join(row.values()) + "\n"
    ).encode()
    prepared = prepare_import(data, "x.csv", "/nonexistent/ledger.duckdb")
    problems = prepared.result.problems
    assert problems[["row", "column", "value", "suggestion"]].values.tolist() == [[2, column, value, suggestion]]


@pytest.mark.parametrize(
    ("country", "iso3"),
    [
        ("VNM", "VNM"),
        ("Viet Nam", "VNM"),
        ("vietnam", "VNM"),
        ("Russian Federation", "RUS"),
        ("Russia", "RUS"),
        ("Lao People's Democratic Republic", "LAO"),
        ("Laos", "LAO"),
        ("United Republic of Tanzania", "TZA"),
        ("Tanzania", "TZA"),
        ("cote d'ivoire", "CIV"),
        ("Côte d’Ivoire", "CIV"),
    ],
)
def test_countries_by_code_name_or_alias(country, iso3):
    checked = check_rows(
        read_table(csv_bytes(f'2001,A,"{country}",socialist,other,inbound'), "x.csv"), earliest_year=1921
    )
    assert checked.problems.empty
    assert checked.clean["country_iso3"].iloc[0] == iso3


@pytest.mark.parametrize(
    ("country", "iso3"),
    [
        ("Congo DR", "COD"),
        ("DR Congo", "COD"),
        ("Congo-Kinshasa", "COD"),
        ("Democratic Republic of the Congo", "COD"),
        ("Congo-Brazzaville", "COG"),
        ("Republic of the Congo", "COG"),
        ("Congo", "COG"),
        ("COG", "COG"),
        ("South Korea", "KOR"),
        ("Republic of Korea", "KOR"),
        ("North Korea", "PRK"),
        ("DPRK", "PRK"),
    ],
)
def test_the_congos_and_koreas_by_an_unambiguous_name(country, iso3):
    checked = check_rows(
        read_table(csv_bytes(f'2001,A,"{country}",socialist,other,inbound'), "x.csv"), earliest_year=1921
    )
    assert checked.problems.empty
    assert checked.clean["country_iso3"].iloc[0] == iso3


@pytest.mark.parametrize(
    ("country", "reason", "suggestion"),
    [
        (
            "Korea",
            "ambiguous: Democratic People's Republic of Korea (PRK) or Republic of Korea (KOR); give the ISO3 "
            "code or the full name",
            "North Korea (PRK) or South Korea (KOR)",
        ),
        (
            " korea ",
            "ambiguous: Democratic People's Republic of Korea (PRK) or Republic of Korea (KOR); give the ISO3 "
            "code or the full name",
            "North Korea (PRK) or South Korea (KOR)",
        ),
        (
            "Virgin Islands",
            "ambiguous: British Virgin Islands (VGB) or United States Virgin Islands (VIR); give the "
            "ISO3 code or the full name",
            "British Virgin Islands (VGB) or US Virgin Islands (VIR)",
        ),
    ],
)
def test_an_ambiguous_country_name_lists_every_candidate(country, reason, suggestion):
    problems = prepare_import(
        csv_bytes(f"2001,A,{country},socialist,other,inbound"), "x.csv", "/nonexistent/ledger.duckdb"
    ).result.problems
    assert problems[["column", "reason", "suggestion"]].values.tolist() == [["country", reason, suggestion]]


FORMER = (
    "is a former state: the ledger records a party's country by today's ISO3 code, that of the present-day "
    "country where the party was based (see docs/ledger-format.md)"
)


@pytest.mark.parametrize(
    ("country", "reason", "suggestion"),
    [
        ("SUN", f"Soviet Union (SUN) {FORMER}", "Russia (RUS)"),
        ("USSR", f"Soviet Union (SUN) {FORMER}", "Russia (RUS)"),
        ("Soviet Union", f"Soviet Union (SUN) {FORMER}", "Russia (RUS)"),
        ("DDR", f"German Democratic Republic (DDR) {FORMER}", "Germany (DEU)"),
        ("East Germany", f"German Democratic Republic (DDR) {FORMER}", "Germany (DEU)"),
        ("YUG", f"Yugoslavia (YUG) {FORMER}", "Serbia (SRB)"),
        ("csk", f"Czechoslovakia (CSK) {FORMER}", "Czechia (CZE)"),
        ("YMD", f"South Yemen (YMD) {FORMER}", "Yemen (YEM)"),
    ],
)
def test_a_former_state_is_refused_with_its_successor_as_suggestion(country, reason, suggestion):
    problems = prepare_import(
        csv_bytes(f"1985,A,{country},communist,other,inbound"), "x.csv", "/nonexistent/ledger.duckdb"
    ).result.problems
    assert problems[["column", "reason", "suggestion"]].values.tolist() == [["country", reason, suggestion]]


def test_a_country_iso3_column_decides_and_must_agree_with_the_name():
    header = "date,party,country,country_iso3,party_family,form,direction"
    data = csv_bytes(
        "2001,A,Congo,COG,socialist,other,inbound",
        "2001,B,,KOR,socialist,other,inbound",
        "2001,C,France,DEU,socialist,other,inbound",
        "2001,D,Soviet Union,SUN,communist,other,inbound",
        "2001,E,,,international_org,other,virtual",
        header=header,
    )
    prepared = prepare_import(data, "x.csv", "/nonexistent/ledger.duckdb")
    assert prepared.checked.clean["country_iso3"].tolist()[:2] == ["COG", "KOR"]
    assert prepared.result.problems[["row", "column", "reason"]].values.tolist() == [
        [4, "country", "is France (FRA), but country_iso3 says DEU"],
        [5, "country_iso3", f"Soviet Union (SUN) {FORMER}"],
    ]


def test_unknown_country_gets_suggestions_and_missing_country_only_for_international_orgs():
    data = csv_bytes(
        "2001,A,Frnace,socialist,other,inbound",
        "2001,B,,socialist,other,inbound",
        "2001,C,,international_org,other,virtual",
    )
    prepared = prepare_import(data, "x.csv", "/nonexistent/ledger.duckdb")
    assert prepared.result.problems[["row", "column", "suggestion"]].values.tolist() == [
        [2, "country", "France (FRA)"],
        [3, "country", ""],
    ]
    assert prepared.result.problems["reason"].iloc[1].startswith("required value is missing (only an international")
    assert prepared.result.rows_valid == 1


@pytest.mark.parametrize(
    ("size", "stored", "reason"),
    [
        ("12", 12, None),
        ("12.0", 12, None),
        ("", None, None),
        ("abc", None, "not a number (delegation size counts people)"),
        ("0", None, "delegation size must be a whole number of people from 1 to 100,000"),
        ("-3", None, "delegation size must be a whole number of people from 1 to 100,000"),
        ("2.5", None, "delegation size must be a whole number of people from 1 to 100,000"),
        ("1e9", None, "delegation size must be a whole number of people from 1 to 100,000"),
    ],
)
def test_delegation_size(size, stored, reason):
    data = csv_bytes(f"2001,A,FRA,socialist,other,inbound,{size}", header=HEADER + ",delegation_size")
    checked = check_rows(read_table(data, "x.csv"), earliest_year=1921)
    value = checked.clean["delegation_size"].iloc[0]
    assert (None if pd.isna(value) else int(value)) == stored
    assert checked.problems["reason"].tolist() == ([reason] if reason else [])


@pytest.mark.parametrize(
    ("size", "suggestion"),
    [
        ("1,200", "1200"),
        ("1 200", "1200"),
        ("12,000", "12000"),
        ("12 people", "12"),
        ("about 8", "8"),
        ("five", ""),
        ("10-12", ""),
        ("1,200,000", ""),
    ],
)
def test_delegation_size_written_with_separators_or_words_gets_the_number_as_suggestion(size, suggestion):
    data = csv_bytes(f'2001,A,FRA,socialist,other,inbound,"{size}"', header=HEADER + ",delegation_size")
    problems = prepare_import(data, "x.csv", "/nonexistent/ledger.duckdb").result.problems
    assert problems[["column", "reason", "suggestion"]].values.tolist() == [
        ["delegation_size", "not a number (delegation size counts people)", suggestion]
    ]


def test_party_with_two_families_in_the_file_rejects_all_its_rows():
    data = csv_bytes(
        "2001,Dawn Party,FRA,socialist,other,inbound",
        "2002,Dawn Party,FRA,communist,other,inbound",
        "2003,Dawn Party,DEU,communist,other,inbound",
        "2004,Dawn Party,FRA,socialist,study_trip,inbound",
    )
    message = "the party is given with more than one family in this file: socialist (row 2), communist (row 3)"
    assert problems_of(data) == [
        (2, "party_family", message),
        (3, "party_family", message),
        (5, "party_family", message),
    ]


def test_exact_duplicates_inside_the_file_name_the_first_row():
    data = csv_bytes(
        "2001-05,A,FRA,socialist,other,inbound",
        "2001-05,A,France,Socialist,other,inbound",
        "2001-05,A,FRA,socialist,other,outbound",
    )
    assert problems_of(data) == [(3, "(row)", "exact duplicate of row 2")]


def test_formula_cells_are_warnings_and_kept_as_text_and_apostrophe_marker_is_removed():
    data = csv_bytes(
        '2001,=HYPERLINK("http://x"),FRA,socialist,other,inbound,@SUM(A1),-lead,\'+1',
        header=HEADER + ",topic,source,event_id",
    )
    checked = check_rows(read_table(data, "x.csv"), earliest_year=1921)
    assert (checked.problems["severity"] == "warning").all()
    assert checked.problems["column"].tolist() == ["party", "event_id", "topic", "source"]
    row = checked.clean.iloc[0]
    assert (row["party"], row["topic"], row["source"], row["event_id"]) == (
        '=HYPERLINK("http://x")',
        "@SUM(A1)",
        "-lead",
        "+1",
    )


def test_too_long_text_cell_is_an_error_showing_a_short_value():
    data = csv_bytes("2001,A,FRA,socialist,other,inbound," + "x" * 40_000, header=HEADER + ",topic")
    problems = prepare_import(data, "x.csv", "/nonexistent/ledger.duckdb").result.problems
    assert problems["reason"].tolist() == [
        "longer than 32,767 characters (the most a spreadsheet cell holds): 40,000 characters"
    ]
    assert problems["value"].iloc[0] == "x" * 60 + "… (40,000 characters)"


# ---------------------------------------------------------------- against the ledger and writing


def test_family_against_the_ledger_and_rows_already_in_the_ledger(make_ledger):
    path = make_ledger(
        [
            {
                "date": "2001-05-02",
                "party": "Dawn Party",
                "country": "FRA",
                "family": "socialist",
                "form": "working_visit",
                "direction": "inbound",
            }
        ]
    )
    data = csv_bytes(
        "2001-05-02,Dawn Party,France,socialist,working_visit,inbound",
        "2001-05,Dawn Party,FRA,socialist,working_visit,inbound",
        "2001-05-02,Dawn Party,FRA,socialist,working_visit,outbound",
        header=HEADER,
    )
    problems = prepare_import(data, "x.csv", path).result.problems
    assert problems[["row", "column", "reason", "suggestion"]].values.tolist() == [
        [2, "(row)", "already in the ledger (exchange 1, batch none)", "remove the row, or undo that batch first"],
    ]
    other_family = csv_bytes(
        "2002,Dawn Party,FRA,communist,other,inbound", "2002,Dawn Party,DEU,communist,other,inbound"
    )
    problems = prepare_import(other_family, "y.csv", path).result.problems
    assert problems[["row", "column", "value", "reason", "suggestion"]].values.tolist() == [
        [2, "party_family", "communist", "the party is already in the ledger with family socialist", "socialist"],
    ]


def test_import_writes_one_batch_with_new_parties(empty_ledger, tmp_path):
    data = csv_bytes(
        "2001-05-02,Dawn Party,FRA,socialist,working_visit,inbound,e1,5",
        "2001-05,Dawn Party,France,socialist,study_trip,outbound,,",
        "1985,Harbour Forum,,international_org,other,virtual,e1,",
        header=HEADER + ",event_id,delegation_size",
    )
    result = import_file(write(tmp_path, "mine.csv", data), empty_ledger, user="analyst")
    assert (result.written, result.batch_id, result.rows_written, result.new_parties) == (True, 1, 3, 2)
    assert query(
        empty_ledger,
        """SELECT e.exchange_id, e.date, e.date_precision, p.name, p.country_iso3, p.family,
                                         e.party_status, e.level, e.event_id, e.delegation_size, e.batch_id, p.batch_id
                                  FROM exchanges e JOIN parties p USING (party_id) ORDER BY exchange_id""",
    ) == [
        (1, dt.date(2001, 5, 2), "day", "Dawn Party", "FRA", "socialist", "unknown", "unknown", "e1", 5, 1, 1),
        (2, dt.date(2001, 5, 1), "month", "Dawn Party", "FRA", "socialist", "unknown", "unknown", None, None, 1, 1),
        (
            3,
            dt.date(1985, 1, 1),
            "year",
            "Harbour Forum",
            None,
            "international_org",
            "unknown",
            "unknown",
            "e1",
            None,
            1,
            1,
        ),
    ]
    batch = query(
        empty_ledger,
        "SELECT batch_id, file_name, sha256, sheet, rows_read, rows_written, rows_rejected, "
        "imported_by, undone_at FROM import_batches",
    )
    assert batch == [(1, "mine.csv", importer.hashlib.sha256(data).hexdigest(), None, 3, 3, 0, "analyst", None)]
    assert query(empty_ledger, "SELECT value FROM meta WHERE key = 'ledger_version'") == [("2",)]


def test_any_error_writes_nothing(empty_ledger, tmp_path):
    before = fingerprint(empty_ledger)
    path = write(
        tmp_path, "mine.csv", csv_bytes("2001,A,FRA,socialist,other,inbound", "2001,B,FRA,socialist,dinner,inbound")
    )
    result = import_file(path, empty_ledger)
    assert (result.written, result.rows_read, result.rows_valid) == (False, 2, 1)
    assert fingerprint(empty_ledger) == before
    assert query(empty_ledger, "SELECT count(*) FROM import_batches") == [(0,)]
    assert not (tmp_path / "mine.csv.rejected.csv").exists()


def test_skip_invalid_writes_valid_rows_and_saves_rejected_ones_with_reasons(empty_ledger, tmp_path):
    path = write(
        tmp_path,
        "mine.csv",
        csv_bytes(
            "2001,A,FRA,socialist,other,inbound,=1+1",
            "2001,B,FRA,socialist,dinner,inbound,=2+2",
            "2999,C,Frnace,socialist,other,inbound,",
            header=HEADER + ",topic",
        ),
    )
    result = import_file(path, empty_ledger, skip_invalid=True)
    assert (result.written, result.rows_written, result.rows_rejected) == (True, 1, 2)
    assert query(empty_ledger, "SELECT rows_read, rows_written, rows_rejected FROM import_batches") == [(3, 1, 2)]
    assert result.rejected_path == tmp_path / "mine.csv.rejected.csv"
    rejected = pd.read_csv(result.rejected_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(rejected.columns) == ["row", *HEADER.split(","), "topic", "reason"]
    assert rejected["row"].tolist() == ["3", "4"]
    assert rejected["topic"].tolist() == ["'=2+2", ""]
    assert rejected["reason"].iloc[0].startswith("form: not a form code")
    assert rejected["reason"].iloc[1].startswith("date: in the future")
    assert "; country: not a known country" in rejected["reason"].iloc[1]


def test_rejected_rows_keep_the_cells_beyond_the_header(empty_ledger, tmp_path):
    path = write(
        tmp_path,
        "mine.csv",
        csv_bytes("2001,A,FRA,socialist,other,inbound", "2002,Smith, John,FRA,socialist,other,inbound"),
    )
    result = import_file(path, empty_ledger, skip_invalid=True)
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    rejected = pd.read_csv(result.rejected_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(rejected.columns) == ["row", *HEADER.split(","), "extra_cells", "reason"]
    assert rejected.iloc[0].tolist()[:8] == ["3", "2002", "Smith", " John", "FRA", "socialist", "other", "inbound"]
    assert rejected["extra_cells"].tolist() == ["inbound"]
    assert not list(tmp_path.glob(".*.part"))


def test_skip_invalid_without_any_valid_row_still_saves_the_rejected_rows(empty_ledger, tmp_path):
    before = fingerprint(empty_ledger)
    path = write(
        tmp_path, "bad.csv", csv_bytes("2001,A,FRA,socialist,dinner,inbound", "2999,B,FRA,socialist,other,inbound")
    )
    result = import_file(path, empty_ledger, skip_invalid=True)
    assert (result.written, result.rows_rejected, result.rejected_path) == (False, 2, tmp_path / "bad.csv.rejected.csv")
    rejected = pd.read_csv(result.rejected_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert rejected["row"].tolist() == ["2", "3"]
    assert fingerprint(empty_ledger) == before


def test_rejected_file_that_cannot_be_written_is_reported_and_the_batch_stays(empty_ledger, tmp_path):
    path = write(
        tmp_path, "mine.csv", csv_bytes("2001,A,FRA,socialist,other,inbound", "2001,B,FRA,socialist,dinner,inbound")
    )
    (tmp_path / "mine.csv.rejected.csv").mkdir()  # a folder where the file should go
    result = import_file(path, empty_ledger, skip_invalid=True)
    assert (result.written, result.batch_id, result.rows_written, result.rejected_path) == (True, 1, 1, None)
    assert result.rejected_error.startswith(
        f"the rejected rows could not be saved to {tmp_path / 'mine.csv.rejected.csv'} ("
    )
    assert (
        "the import itself is committed as batch 1 (1 rows written; undo it with: python -m analytics undo 1)"
        in result.rejected_error
    )
    assert query(empty_ledger, "SELECT count(*) FROM exchanges") == [(1,)]
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.slow  # several whole imports on real ledgers
def test_same_file_twice_is_refused_unless_forced_and_allowed_after_undo(empty_ledger, tmp_path):
    path = write(tmp_path, "mine.csv", csv_bytes("2001,A,FRA,socialist,other,inbound"))
    assert import_file(path, empty_ledger).batch_id == 1
    before = fingerprint(empty_ledger)
    with pytest.raises(
        DuplicateFileError,
        match=r"mine.csv was already imported as batch 1 .*add --force to import "
        r"it again: rows already in the ledger are still refused as duplicates, so add --skip-invalid "
        r"too to write only the rows that are not in the ledger yet\.$",
    ):
        import_file(path, empty_ledger)
    forced = import_file(path, empty_ledger, force=True)
    assert not forced.written
    assert forced.errors["reason"].tolist() == ["already in the ledger (exchange 1, batch 1)"]
    assert fingerprint(empty_ledger) == before
    undo_batch(empty_ledger, 1)
    assert import_file(path, empty_ledger).batch_id == 2


@pytest.mark.slow  # several whole imports on real ledgers
def test_force_with_skip_invalid_writes_the_rows_of_the_same_file_that_are_not_in_the_ledger(empty_ledger, tmp_path):
    other = write(tmp_path, "other.csv", csv_bytes("2001,A,FRA,socialist,other,inbound"))
    mine = write(
        tmp_path, "mine.csv", csv_bytes("2001,A,FRA,socialist,other,inbound", "2002,B,FRA,socialist,other,inbound")
    )
    import_file(other, empty_ledger)
    first = import_file(mine, empty_ledger, skip_invalid=True)
    assert (first.batch_id, first.rows_written) == (2, 1)
    undo_batch(empty_ledger, 1)  # row 2001/A of mine.csv is no longer in the ledger
    with pytest.raises(DuplicateFileError):
        import_file(mine, empty_ledger, skip_invalid=True)
    assert not import_file(mine, empty_ledger, force=True).written
    again = import_file(mine, empty_ledger, force=True, skip_invalid=True)
    assert (again.written, again.batch_id, again.rows_written, again.rows_rejected) == (True, 3, 1, 1)
    assert query(
        empty_ledger,
        "SELECT p.name, year(e.date), e.batch_id FROM exchanges e JOIN parties p USING (party_id) ORDER BY 2",
    ) == [("A", 2001, 3), ("B", 2002, 2)]


@pytest.mark.slow  # several whole imports on real ledgers
def test_force_with_skip_invalid_writes_the_new_rows_of_an_extended_file(empty_ledger, tmp_path):
    path = write(tmp_path, "mine.csv", csv_bytes("2001,A,FRA,socialist,other,inbound"))
    import_file(path, empty_ledger)
    path.write_bytes(
        csv_bytes(
            "2001,A,FRA,socialist,other,inbound",
            "2002,A,FRA,socialist,other,inbound",
            "2003,B,DEU,liberal,other,inbound",
        )
    )
    assert not import_file(path, empty_ledger, force=True).written
    result = import_file(path, empty_ledger, force=True, skip_invalid=True)
    assert (result.written, result.rows_written, result.rows_rejected) == (True, 2, 1)
    assert query(empty_ledger, "SELECT count(*), count(DISTINCT batch_id) FROM exchanges") == [(3, 2)]


@pytest.mark.slow  # several whole imports on real ledgers
def test_undo_removes_exactly_the_batch_and_the_parties_it_alone_used(empty_ledger, tmp_path):
    first = write(
        tmp_path, "first.csv", csv_bytes("2001,A,FRA,socialist,other,inbound", "2001,B,FRA,liberal,other,inbound")
    )
    second = write(
        tmp_path, "second.csv", csv_bytes("2002,A,FRA,socialist,other,inbound", "2002,C,DEU,green,other,inbound")
    )
    import_file(first, empty_ledger)
    after_first = fingerprint(empty_ledger)
    import_file(second, empty_ledger)
    undone = undo_batch(empty_ledger, 2)
    assert (undone.exchanges_removed, undone.parties_removed, undone.file_name) == (2, 1, "second.csv")
    assert fingerprint(empty_ledger) == after_first
    assert query(empty_ledger, "SELECT name FROM parties ORDER BY name") == [("A",), ("B",)]
    assert query(empty_ledger, "SELECT batch_id, undone_at IS NOT NULL FROM import_batches ORDER BY 1") == [
        (1, False),
        (2, True),
    ]
    # A party created by batch 1 and used by batch 3 stays when batch 1 is undone.
    import_file(write(tmp_path, "third.csv", csv_bytes("2003,B,FRA,liberal,other,inbound")), empty_ledger)
    assert undo_batch(empty_ledger, 1).parties_removed == 1
    assert query(empty_ledger, "SELECT p.name, e.date FROM exchanges e JOIN parties p USING (party_id)") == [
        ("B", dt.date(2003, 1, 1))
    ]
    with pytest.raises(BatchError, match="Batch 1 \\(first.csv\\) was already undone"):
        undo_batch(empty_ledger, 1)
    with pytest.raises(BatchError, match="There is no batch 9; batches: 1, 2, 3"):
        undo_batch(empty_ledger, 9)


def test_demo_ledger_is_never_mixed_with_real_rows(make_ledger, tmp_path):
    path = make_ledger([{"date": "2001", "party": "Invented"}], demo=True)
    before = fingerprint(path)
    prepared = prepare_import(csv_bytes("2001,A,FRA,socialist,other,inbound"), "x.csv", path)
    assert prepared.result.is_demo_ledger
    with pytest.raises(DemoLedgerError, match="holds synthetic demo data"):
        commit_import(prepared, path)
    assert fingerprint(path) == before


def test_missing_ledger_is_created_empty_by_an_import(tmp_path):
    target = tmp_path / "new.duckdb"
    result = import_file(write(tmp_path, "x.csv", csv_bytes("2001,A,FRA,socialist,other,inbound")), target)
    assert result.written
    assert query(target, "SELECT value FROM meta WHERE key = 'is_demo'") == [("false",)]


def test_checks_against_the_ledger_run_again_at_write_time(empty_ledger, tmp_path):
    prepared = prepare_import(csv_bytes("2001,A,FRA,socialist,other,inbound"), "late.csv", empty_ledger)
    assert prepared.result.rows_valid == 1
    import_file(
        write(
            tmp_path, "early.csv", csv_bytes("2001,A,FRA,socialist,other,inbound", "2002,A,FRA,socialist,other,inbound")
        ),
        empty_ledger,
    )
    late = commit_import(prepared, empty_ledger)
    assert not late.written
    assert late.errors["reason"].tolist() == ["already in the ledger (exchange 1, batch 1)"]


def test_progress_is_reported_in_order(empty_ledger, tmp_path):
    seen = []
    import_file(
        write(tmp_path, "x.csv", csv_bytes("2001,A,FRA,socialist,other,inbound")),
        empty_ledger,
        progress=lambda message, fraction: seen.append(fraction),
    )
    assert seen == sorted(seen)
    assert (seen[0], seen[-1]) == (0.0, 1.0)


@pytest.mark.slow  # several whole imports on real ledgers
def test_twenty_thousand_rows_import_and_count(empty_ledger, tmp_path):
    rows = [
        f"{1950 + i % 70}-{1 + i % 12:02d}-{1 + i % 28:02d},Party {i % 300},{['FRA', 'BRA', 'VNM'][i % 3]},"
        f"socialist,working_visit,inbound,ev{i}"
        for i in range(20_000)
    ]
    result = import_file(write(tmp_path, "big.csv", csv_bytes(*rows, header=HEADER + ",event_id")), empty_ledger)
    assert (result.rows_written, result.new_parties) == (20_000, 300)
    assert query(empty_ledger, "SELECT count(*), count(DISTINCT party_id), max(exchange_id) FROM exchanges") == [
        (20_000, 300, 20_000)
    ]


# ---------------------------------------------------------------- export round trips and formulas


@pytest.mark.parametrize("value", ["=1+1", "+1", "-lead", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_prefixes_formula_starts(value):
    assert importer.safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Dawn", "", "a=b", 5, -3, None, "'=quoted"])
def test_safe_cell_leaves_other_values(value):
    assert importer.safe_cell(value) == value


def test_safe_frame_neutralises_text_columns_and_headers_only():
    frame = pd.DataFrame({"=h": ["=1", "ok", None], "n": [-1, 2, 3]})
    safe = importer.safe_frame(frame)
    assert list(safe.columns) == ["'=h", "n"]
    assert safe["'=h"].tolist()[:2] == ["'=1", "ok"]
    assert pd.isna(safe["'=h"].iloc[2])
    assert safe["n"].tolist() == [-1, 2, 3]


def test_write_xlsx_stores_formula_text_as_text(tmp_path):
    target = tmp_path / "x.xlsx"
    importer.write_xlsx(pd.DataFrame({"topic": ["=1+1", "plain"], "n": [1, 2]}), target)
    sheet = openpyxl.load_workbook(target).active
    assert (sheet["A2"].value, sheet["A2"].data_type, sheet["A2"].quotePrefix) == ("=1+1", "s", True)
    assert (sheet["A3"].value, sheet["B3"].value) == ("plain", 2)


ROUND_TRIP_ROWS = [
    {
        "date": "2001-05-02",
        "party": "Dawn Party",
        "country": "FRA",
        "family": "socialist",
        "event_id": "ev-1",
        "delegation_size": 4,
        "topic": '=HYPERLINK("http://x")',
        "source": "Robert'); DROP TABLE exchanges;--",
    },
    {"date": "2001-05", "party": "Dawn Party", "country": "FRA", "family": "socialist", "form": "study_trip"},
    {
        "date": "1985",
        "party": "Harbour Forum",
        "country": None,
        "family": "international_org",
        "direction": "virtual",
        "level": "unknown",
        "status": "other",
        "topic": '-minus, "quoted"\nsecond line',
    },
    {"date": "2019-12-31", "party": "Partido Unión Cívica", "country": "CIV", "family": "liberal", "topic": "@mention"},
]


@pytest.mark.slow  # several whole imports on real ledgers
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_export_then_import_into_an_empty_ledger_gives_the_same_content(make_ledger, tmp_path, suffix):
    source = make_ledger(ROUND_TRIP_ROWS, name="source.duckdb")
    con = connect_read_only(source)
    try:
        rows = importer.ledger_rows(con)
        expected = content_hash(con)
    finally:
        con.close()
    exported = importer.write_rows(rows, tmp_path / f"export{suffix}")
    target = create_ledger(tmp_path / "target.duckdb", demo=False)
    result = import_file(exported, target)
    assert (result.written, result.rows_written, len(result.errors)) == (True, 4, 0)
    assert fingerprint(target) == expected


EXPLORER_ROWS = [
    {"date": "1999", "party": "Dawn Party", "country": "FRA", "family": "socialist"},
    {"date": "1999-05", "party": "Dawn Party", "country": "FRA", "family": "socialist", "delegation_size": 12},
    {
        "date": "1999-05-03",
        "party": "Congo Labour Party",
        "country": "COG",
        "family": "social_democratic",
        "topic": "=1+1",
    },
    {"date": "2001-01", "party": "Han Party", "country": "KOR", "family": "conservative", "event_id": "e-1"},
    {"date": "2001", "party": "Harbour Forum", "country": None, "family": "international_org", "direction": "virtual"},
]


@pytest.mark.slow  # several whole imports on real ledgers
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_explorer_download_imports_back_with_its_date_precision(make_ledger, tmp_path, suffix):
    source = make_ledger(EXPLORER_ROWS, name="source.duckdb")
    con = connect_read_only(source)
    try:
        rows = explorer_rows(con, Filters(year_from=1990), limit=None)
        expected = content_hash(con)
    finally:
        con.close()
    assert rows["date"].astype(str).tolist().count("1999-01-01") == 1  # full dates, with a date_precision column
    target_file = tmp_path / f"explorer{suffix}"
    if suffix == ".csv":
        importer.safe_frame(rows).to_csv(target_file, index=False, encoding="utf-8-sig")
    else:
        importer.write_xlsx(rows, target_file)
    target = create_ledger(tmp_path / "target.duckdb", demo=False)
    result = import_file(target_file, target)
    assert (result.written, result.rows_written, len(result.errors)) == (True, 5, 0)
    assert fingerprint(target) == expected


# ---------------------------------------------------------------- templates


def test_shipped_csv_template_is_the_generated_one():
    assert (PROJECT_ROOT / "data" / "template.csv").read_bytes() == importer.template_csv()
    assert importer.template_csv().decode().strip().split(",") == list(importer.COLUMNS)


def test_excel_template_has_the_columns_code_lists_and_importable_examples(tmp_path, empty_ledger):
    data = importer.template_xlsx()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Ledger", "Codes", "Examples"]
    assert [cell.value for cell in workbook["Ledger"][1]] == list(importer.COLUMNS)
    assert [cell.value for cell in workbook["Codes"]["C"] if cell.value] == ["form", *importer.vocab.FORMS]
    with pytest.raises(ImportFileError, match="has a header row but no data rows"):
        read_table(data, "template.xlsx")
    result = import_file(write(tmp_path, "template.xlsx", data), empty_ledger, sheet="Examples")
    assert (result.rows_written, len(result.errors)) == (3, 0)


# ---------------------------------------------------------------- one record (the "add a record" form)

GOOD_RECORD = {
    "date": "2019-04-16",
    "party": "Example Labour Party",
    "country": "New Zealand",
    "party_family": "social_democratic",
    "party_status": "ruling",
    "form": "high_level_visit",
    "direction": "inbound",
    "level": "leader",
    "delegation_size": 8,
    "topic": "Party-to-party cooperation",
}
TODAY = dt.date(2025, 6, 30)


def test_a_good_record_passes_with_its_ledger_values():
    checked = importer.check_record(GOOD_RECORD, earliest_year=1921, today=TODAY)
    assert checked.valid
    assert checked.problems.empty
    assert checked.values == {
        "date": dt.date(2019, 4, 16),
        "date_precision": "day",
        "party": "Example Labour Party",
        "party_zh": None,
        "country_iso3": "NZL",
        "party_family": "social_democratic",
        "party_status": "ruling",
        "form": "high_level_visit",
        "direction": "inbound",
        "level": "leader",
        "event_id": None,
        "delegation_size": 8,
        "topic": "Party-to-party cooperation",
        "source": None,
    }


def test_a_record_takes_python_values_as_a_form_gives_them():
    record = {**GOOD_RECORD, "date": dt.date(2019, 4, 16), "delegation_size": 8.0, "source": None}
    assert importer.check_record(record, earliest_year=1921, today=TODAY).values["delegation_size"] == 8


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("date", "16/04/2019"),
        ("date", "2019-02-30"),
        ("date", "2031-01-01"),
        ("party_family", "socdem"),
        ("country", "Narnia"),
        ("country", "Yugoslavia"),
        ("delegation_size", "1,200"),
    ],
)
def test_a_bad_record_gives_the_reason_and_suggestion_of_a_file_import(column, value):
    record = {**GOOD_RECORD, column: value}
    checked = importer.check_record(record, earliest_year=1921, today=TODAY)
    assert not checked.valid
    header = list(record)
    line = ",".join(f'"{record[name]}"' for name in header)
    table = read_table(csv_bytes(line, header=",".join(header)), "one.csv")
    from_file = importer._result(
        check_rows(table, earliest_year=1921, today=TODAY), importer._empty_problems(), None, False
    ).problems
    expected = from_file.drop(columns="row").reset_index(drop=True)
    assert checked.problems.reset_index(drop=True).equals(expected)
    assert checked.errors["column"].tolist() == [column]
    assert checked.errors["reason"].iloc[0] != ""


def test_a_record_with_a_column_outside_the_format_is_refused():
    with pytest.raises(InvalidInputError, match="Not a column of the ledger format: colour"):
        importer.check_record({**GOOD_RECORD, "colour": "red"})


@pytest.mark.parametrize(
    ("column", "value", "character"),
    [
        ("party", "Evil\u202eytraP", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("party", "\u2066Isolated\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE and U+2069 POP DIRECTIONAL ISOLATE"),
        ("topic", "seminar\u200f", "U+200F RIGHT-TO-LEFT MARK"),
        ("source", "\u061cnote", "U+061C ARABIC LETTER MARK"),
        ("event_id", "E\u202a1", "U+202A LEFT-TO-RIGHT EMBEDDING"),
        ("country", "France\u202c", "U+202C POP DIRECTIONAL FORMATTING"),
    ],
)
def test_direction_controls_are_refused_naming_row_column_and_character(column, value, character):
    """A file and check_record refuse a bidirectional control in any text cell, naming it."""
    record = {**GOOD_RECORD, column: value}
    checked = importer.check_record(record, earliest_year=1921, today=TODAY)
    assert not checked.valid
    reasons = checked.errors[checked.errors["column"] == column]["reason"].tolist()
    assert any(f"contains {character}, which can make text read backwards" in reason for reason in reasons), reasons
    header = ",".join(record)
    row = ",".join(str(record[c]) for c in record)
    found = problems_of(csv_bytes(row, header=header))
    assert any(r == 2 and c == column and character in reason for r, c, reason in found), found


# ---------------------------------------------------------------------------------------------
# Decompression cost: a tiny workbook whose sheet unpacks to a million rows


def _workbook(header: list[str], body_rows: int, cell: str = "x") -> bytes:
    """An .xlsx (written by openpyxl) whose first sheet is replaced by ``header`` and
    ``body_rows`` rows of one inline-string cell: megabytes of XML that compress to kilobytes."""
    import zipfile

    book = openpyxl.Workbook()
    plain = io.BytesIO()
    book.save(plain)
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>' for i, name in enumerate(header))
    # Rows and cells without an "r" attribute follow the one before: identical rows compress to nothing.
    rows = f'<row><c t="inlineStr"><is><t>{cell}</t></is></c></row>' * body_rows
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData><row r="1">{cells}</row>{rows}</sheetData></worksheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = sheet.encode() if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


class _Inflated:
    """Counts the bytes read out of the zip's members (what decompression really produced)."""

    def __init__(self, monkeypatch):
        import zipfile

        self.total = 0
        original = zipfile.ZipExtFile.read

        def counting(ext, n=-1):
            data = original(ext, n)
            self.total += len(data)
            return data

        monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)


@pytest.mark.slow  # several whole imports on real ledgers
def test_a_workbook_with_a_bad_header_is_refused_after_its_first_row(monkeypatch):
    data = _workbook(["colour", "shape"], 1_000_000)
    assert len(data) < 1_000_000  # compresses to well under a megabyte; the sheet XML is ~60 MB
    inflated = _Inflated(monkeypatch)
    with pytest.raises(importer.ImportFileError, match="date"):
        read_table(data, "bomb.xlsx")
    assert inflated.total < 2_000_000, inflated.total  # a few chunks of the sheet, not its 60 MB


def test_a_workbook_declaring_more_than_the_unpacked_limit_is_refused_before_reading(monkeypatch):
    monkeypatch.setenv("LEDGER_MAX_UNPACKED_MB", "5")
    data = _workbook(["date", "party", "country"], 200_000)
    inflated = _Inflated(monkeypatch)
    with pytest.raises(
        importer.ImportFileError, match=r"unpacks to \d+ MB, above the limit of 5 MB.*LEDGER_MAX_UNPACKED_MB"
    ):
        read_table(data, "big.xlsx")
    assert inflated.total == 0
    assert importer.sheet_names(data) == []  # the Data page asks for the sheets first: nothing inflated either
    assert inflated.total == 0


@pytest.mark.parametrize("kind", ["csv", "xlsx", "parquet"])
def test_more_rows_than_the_import_limit_are_refused(monkeypatch, kind):
    monkeypatch.setenv("LEDGER_MAX_IMPORT_ROWS", "5")
    header = ["date", "party", "country", "party_family", "form", "direction"]
    values = ["2001", "Dawn Party", "FRA", "socialist", "working_visit", "inbound"]
    if kind == "csv":
        data = csv_bytes(*[",".join(values)] * 6, header=",".join(header))
    elif kind == "parquet":
        buffer = io.BytesIO()
        pd.DataFrame([values] * 6, columns=header).to_parquet(buffer)
        data = buffer.getvalue()
    else:
        data = _workbook(header, 6, cell="2001")
    with pytest.raises(importer.ImportFileError, match="more than 5 data rows.*LEDGER_MAX_IMPORT_ROWS"):
        read_table(data, f"many.{kind}")
    monkeypatch.setenv("LEDGER_MAX_IMPORT_ROWS", "6")
    assert len(read_table(data, f"many.{kind}").frame) == 6


# --------------------------------------------------------------------------------------------
# The report in the language of the run (the same file in English gives the texts above)

FAMILY_ON_ROW_3 = csv_bytes(
    "2001,Dawn Party,FRA,socialist,working_visit,inbound",
    "2002,Elm Party,DEU,liberal,study_trip,inbound",
    "2003,Oak Party,DEU,liberl,study_trip,outbound",  # data row 3: spreadsheet row 4 (the header is row 1)
)
FAMILY_CODES = "communist、socialist、social_democratic、national_democratic、liberal、conservative、green、international_org、other"


def report_of(data: bytes) -> pd.DataFrame:
    table = read_table(data, "test.csv")
    checked = check_rows(table, earliest_year=1921, today=dt.date(2025, 6, 30))
    return importer._result(checked, importer._empty_problems(), None, False).problems


def test_a_bad_party_family_on_data_row_3_is_reported_in_chinese():
    with i18n.using("zh"):
        problems = report_of(FAMILY_ON_ROW_3)
        lines = importer.problem_lines(problems)
    assert problems[["row", "column", "value", "reason", "suggestion", "severity"]].values.tolist() == [
        [
            4,
            "party_family",
            "liberl",
            f"不是有效的 party_family 代码（可用代码：{FAMILY_CODES}）",
            "liberal（自由主义政党）",
            "error",
        ]
    ]
    assert lines == [
        f"错误：第 4 行，party_family 列 'liberl'：不是有效的 party_family 代码（可用代码：{FAMILY_CODES}）"
        "；是否应为 liberal（自由主义政党）？"
    ]


def test_the_same_file_in_english_keeps_the_english_report():
    with i18n.using("en"):
        problems = report_of(FAMILY_ON_ROW_3)
        lines = importer.problem_lines(problems)
    codes = FAMILY_CODES.replace("、", ", ")
    assert problems[["row", "column", "reason", "suggestion"]].values.tolist() == [
        [4, "party_family", f"not a party_family code (valid: {codes})", "liberal"]
    ]
    assert lines == [
        f"error: row 4, party_family 'liberl': not a party_family code (valid: {codes}); did you mean liberal?"
    ]


@pytest.mark.parametrize(
    ("row", "column", "reason", "suggestion"),
    [
        (
            "2001,A,Germny,socialist,other,inbound",
            "country",
            "无法识别的国家（请填写 ISO3 代码、联合国英文名称或通用英文名称）",
            "DEU（德国）",
        ),
        (
            "2019年3月5日,A,FRA,socialist,other,inbound",
            "date",
            "不是日期：请写作 YYYY-MM-DD、YYYY-MM 或 YYYY",
            "2019-03-05",
        ),
        ("2030,A,FRA,socialist,other,inbound", "date", "日期晚于今天（今天是 2025年6月30日）", ""),
        (
            "2001,A,FRA,socialist,other,in",
            "direction",
            "不是有效的 direction 代码（可用代码：inbound、outbound、third_country、virtual）",
            "inbound（来访）",
        ),
        (
            "2001,A,,socialist,other,inbound",
            "country",
            "缺少必填值（只有国际组织，即类别为 international_org 的政党组织，可不填国家）",
            "",
        ),
    ],
)
def test_reasons_and_suggestions_in_chinese(row, column, reason, suggestion):
    with i18n.using("zh"):
        problems = report_of(csv_bytes(row))
    assert problems[["row", "column", "reason", "suggestion"]].values.tolist() == [[2, column, reason, suggestion]]


def test_a_duplicate_row_is_a_whole_row_problem_in_chinese():
    with i18n.using("zh"):
        problems = report_of(csv_bytes("2001,A,FRA,socialist,other,inbound", "2001,A,FRA,socialist,other,inbound"))
        shown = importer.column_word(problems["column"].iloc[0]), importer.severity_word(problems["severity"].iloc[0])
    assert problems[["row", "column", "reason", "suggestion"]].values.tolist() == [
        [3, "(row)", "与第 2 行完全重复", "删除重复的行"]
    ]
    assert shown == ("（整行）", "错误")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            bytes(range(256)) * 40,
            "test.csv 不是文本文件（含有二进制数据）：请导入 CSV（UTF-8）、Excel 工作簿（.xlsx）或 Parquet 文件。",
        ),
        (
            b"date,party,country,family,form,direction\n2001,A,FRA,socialist,other,inbound\n",
            "test.csv：缺少必填列 'party_family'（'family' 是否应为 'party_family'？）。",
        ),
        (csv_bytes(), "test.csv 只有表头，没有数据行。"),
    ],
)
def test_a_refused_file_says_why_in_chinese(data, message):
    with i18n.using("zh"), pytest.raises(ImportFileError) as refused:
        read_table(data, "test.csv")
    assert refused.value.lines == [message]


def test_too_many_rows_is_refused_in_chinese(monkeypatch):
    monkeypatch.setenv("LEDGER_MAX_IMPORT_ROWS", "1")
    with (
        i18n.using("zh"),
        pytest.raises(ImportFileError, match="数据行超过 1 行，即单次导入的上限（设置项 LEDGER_MAX_IMPORT_ROWS）"),
    ):
        read_table(csv_bytes("2001,A,FRA,socialist,other,inbound", "2002,A,FRA,socialist,other,inbound"), "test.csv")


def test_an_unknown_column_is_noted_in_chinese():
    with i18n.using("zh"):
        table = read_table(csv_bytes("2001,A,FRA,socialist,other,inbound,x", header=HEADER + ",remarks"), "test.csv")
    assert table.notes == ["列 'remarks' 不属于台账格式，已忽略。"]


def test_the_rejected_rows_file_has_chinese_headers_and_reasons(empty_ledger, tmp_path):
    path = write(tmp_path, "mine.csv", FAMILY_ON_ROW_3)
    with i18n.using("zh"):
        result = import_file(path, empty_ledger, skip_invalid=True)
    assert (result.rows_written, result.rows_rejected) == (2, 1)
    rejected = pd.read_csv(result.rejected_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(rejected.columns) == ["行号", *HEADER.split(","), "原因"]
    assert rejected[["行号", "party_family"]].values.tolist() == [["4", "liberl"]]
    assert rejected["原因"].tolist() == [f"party_family：不是有效的 party_family 代码（可用代码：{FAMILY_CODES}）"]


def test_a_file_imported_twice_is_refused_in_chinese(empty_ledger, tmp_path):
    path = write(tmp_path, "mine.csv", csv_bytes("2001,A,FRA,socialist,other,inbound"))
    import_file(path, empty_ledger)
    with (
        i18n.using("zh"),
        pytest.raises(DuplicateFileError, match=r"^mine\.csv 已于 .*（UTC）作为第 1 批导入（SHA-256 相同）"),
    ):
        import_file(path, empty_ledger)


def test_a_template_file_name_is_refused_in_chinese(tmp_path):
    with i18n.using("zh"), pytest.raises(InvalidInputError) as refused:
        importer.write_template(tmp_path / "template.txt")
    assert str(refused.value) == "无法写入名为 template.txt 的模板：请使用扩展名为 .csv 或 .xlsx 的文件名。"
    with pytest.raises(
        InvalidInputError, match=r"^Cannot write a template named template.txt: use a \.csv or \.xlsx file name\.$"
    ):
        importer.write_template(tmp_path / "template.txt")
