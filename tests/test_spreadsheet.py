"""Spreadsheet safety (analytics/spreadsheet.py): every CSV and Excel writer of the app and the CLI
gets the same hostile cells, and each real file is opened again to check that no cell is a
formula and every value reads back as written (CSV: with the apostrophe the importer removes)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from analytics import export, importer, spreadsheet
from analytics.importer import read_table

HOSTILE = ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=x", "\r=x", '=HYPERLINK("http://example.invalid","x")']
NEGATIVE = -7
FRAME = pd.DataFrame({"topic": HOSTILE, "delegation_size": [NEGATIVE] * len(HOSTILE)})
META = export.ChartMeta(name="hostile", title="T", filters="F", source="S", exported=dt.date(2026, 1, 2))


def csv_cells(data: bytes, skip: int = 0) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))[skip:]


def assert_csv_safe(rows: list[list[str]], text_column: int, number_column: int | None) -> None:
    assert [row[text_column] for row in rows] == ["'" + value for value in HOSTILE]
    if number_column is not None:
        assert [row[number_column] for row in rows] == [str(NEGATIVE)] * len(HOSTILE)


def xlsx_sheet(data: bytes, name: str | None = None):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return book[name] if name else book.worksheets[0]


def assert_xlsx_safe(sheet, text_column: int, number_column: int | None, first_row: int = 2) -> None:
    rows = list(sheet.iter_rows(min_row=first_row))[: len(HOSTILE)]
    cells = [row[text_column] for row in rows]
    assert [cell.value for cell in cells] == HOSTILE
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    if number_column is not None:
        numbers = [row[number_column] for row in rows]
        assert [cell.value for cell in numbers] == [NEGATIVE] * len(HOSTILE)
        assert all(cell.data_type == "n" for cell in numbers)


def test_csv_bytes():
    assert_csv_safe(csv_cells(spreadsheet.csv_bytes(FRAME), skip=1), 0, 1)


def test_xlsx_bytes():
    assert_xlsx_safe(xlsx_sheet(spreadsheet.xlsx_bytes(FRAME)), 0, 1)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_importer_rows_files(tmp_path, suffix):
    path = importer.write_rows(FRAME, tmp_path / f"rows{suffix}")
    if suffix == ".csv":
        assert_csv_safe(csv_cells(path.read_bytes(), skip=1), 0, 1)
    else:
        assert_xlsx_safe(xlsx_sheet(path.read_bytes()), 0, 1)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_importer_rows_bytes(kind):
    data = importer.rows_bytes(FRAME, kind)
    if kind == "csv":
        assert_csv_safe(csv_cells(data, skip=1), 0, 1)
    else:
        assert_xlsx_safe(xlsx_sheet(data), 0, 1)


def test_the_importer_package_writes_through_the_same_functions(tmp_path):
    # The pages' table downloads call spreadsheet.csv_bytes / xlsx_bytes (tested above); the
    # importer package re-exports the same writers for its own callers.
    assert importer.safe_frame is spreadsheet.safe_frame and importer.write_xlsx is spreadsheet.write_xlsx
    target = tmp_path / "table.xlsx"
    importer.write_xlsx(FRAME, target)
    assert_xlsx_safe(xlsx_sheet(target.read_bytes()), 0, 1)
    safe = importer.safe_frame(FRAME)
    assert safe["topic"].tolist() == ["'" + value for value in HOSTILE]
    assert safe["delegation_size"].tolist() == [NEGATIVE] * len(HOSTILE)


def test_template_examples():
    examples = [{**importer.TEMPLATE_EXAMPLES[0], "topic": value, "delegation_size": NEGATIVE} for value in HOSTILE]
    sheet = xlsx_sheet(importer.template_xlsx(examples), "Examples")
    assert_xlsx_safe(sheet, importer.COLUMNS.index("topic"), importer.COLUMNS.index("delegation_size"))


def test_rejected_rows_file(tmp_path):
    source = io.StringIO()
    writer = csv.writer(source, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["date", "party", "country", "party_family", "form", "direction", "topic"])
    writer.writerows(["2019-13-01", value, "FRA", "socialist", "other", "inbound", value] for value in HOSTILE)
    table = read_table(source.getvalue().encode(), "hostile.csv")
    checked = importer.check_rows(table, earliest_year=1921, today=dt.date(2025, 1, 1))
    result = importer._result(checked, importer._empty_problems(), None, False)
    target = importer.write_rejected(table, result.problems, tmp_path / "hostile.csv.rejected.csv")
    rows = csv_cells(target.read_bytes())
    header = rows[0]
    body = rows[1:]
    assert [row[header.index("topic")] for row in body] == ["'" + value for value in HOSTILE]
    assert [row[header.index("row")] for row in body] == [str(n) for n in range(2, 2 + len(HOSTILE))]


def test_export_to_csv():
    rows = csv_cells(export.to_csv(FRAME, META), skip=len(META.rows()) + 1)
    assert_csv_safe(rows, 0, 1)


def test_export_to_xlsx():
    data = export.to_xlsx(FRAME, META)
    assert_xlsx_safe(xlsx_sheet(data, "Data"), 0, 1)
    assert xlsx_sheet(data, "Data").freeze_panes == "A2"


def test_headers_and_preamble_are_neutralised_too():
    frame = pd.DataFrame({"=h": [1]})
    assert csv_cells(spreadsheet.csv_bytes(frame, preamble=[["=p"]])) == [["'=p"], ["'=h"], ["1"]]
    header = xlsx_sheet(spreadsheet.xlsx_bytes(frame))["A1"]
    assert (header.value, header.data_type, header.quotePrefix) == ("=h", "s", True)


def test_missing_values_dates_and_numpy_scalars_in_excel():
    frame = pd.DataFrame(
        {
            "when": [pd.Timestamp("2020-01-02"), pd.NaT],
            "n": pd.array([3, None], dtype="Int64"),
            "x": [1.5, float("nan")],
        }
    )
    sheet = xlsx_sheet(spreadsheet.xlsx_bytes(frame))
    assert [[sheet.cell(row=row, column=column).value for column in (1, 2, 3)] for row in (2, 3)] == [
        [dt.datetime(2020, 1, 2), 3, 1.5],
        [None, None, None],
    ]


def test_string_and_categorical_columns_are_neutralised():
    frame = pd.DataFrame({"s": pd.array(["=a", "b"], dtype="string"), "c": pd.Categorical(["@x", "y"])})
    assert csv_cells(spreadsheet.csv_bytes(frame), skip=1) == [["'=a", "'@x"], ["b", "y"]]
