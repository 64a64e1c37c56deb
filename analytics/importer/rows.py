"""Ledger rows in the import format: writing rows to .csv / .xlsx / .parquet (``write_rows``,
``rows_bytes``), exporting the whole ledger so it imports back unchanged (``export_ledger``,
``export_bytes``) and the empty templates. CSV and Excel go through ``analytics.spreadsheet``, so
no file made from ledger rows runs a formula.

Called by the ``export-ledger`` and ``template`` commands, the Data page and the pages' table
downloads (which import ``safe_frame`` / ``write_xlsx`` of ``analytics.spreadsheet`` through the package).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from analytics import atomic, formats, i18n
from analytics.errors import InvalidInputError
from analytics.importer.columns import CODE_COLUMNS, COLUMNS
from analytics.ledger import LedgerError, connect_read_only
from analytics.spreadsheet import csv_bytes, excel_cell, write_csv, write_xlsx

ROW_FORMATS: tuple[str, ...] = formats.names(formats.LEDGER_ROWS)  # csv, xlsx, parquet


def _extension_words(kind: str) -> str:
    """The file extensions of a kind of file as the language lists them: '.csv, .xlsx or .parquet'."""
    extensions = [f".{formats.FORMATS[name].extension}" for name in formats.names(kind)]
    if len(extensions) == 1:
        return extensions[0]
    return i18n.t("importer.list_or", rest=i18n.t("importer.separator").join(extensions[:-1]), last=extensions[-1])


def _row_format(name: str) -> str:
    found = formats.find_file(name, formats.LEDGER_ROWS)
    if found is None:
        raise InvalidInputError(
            i18n.t(
                "importer.error.rows_file_name",
                file=Path(name).name,
                extensions=_extension_words(formats.LEDGER_ROWS),
            )
        )
    return found.name


def _write_rows_to(frame: pd.DataFrame, target, kind: str) -> None:
    if kind == "csv":
        write_csv(frame, target)
    elif kind == "xlsx":
        write_xlsx(frame, target)
    else:
        frame.to_parquet(target, index=False)


def write_rows(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ledger rows to .csv (UTF-8 with BOM, formulas neutralised), .xlsx or .parquet.

    The file is written beside its place and renamed into it, so it appears whole or not at all.
    """
    path = Path(path)
    kind = _row_format(path.name)
    with atomic.replacing(path) as temp:
        _write_rows_to(frame, temp, kind)
    return path


def rows_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    """Ledger rows as the bytes of a .csv, .xlsx or .parquet file (for a download button)."""
    _row_format(f"rows.{kind}")
    buffer = io.BytesIO()
    _write_rows_to(frame, buffer, kind)
    return buffer.getvalue()


def ledger_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every exchange in the import format (dates written at their precision, country as ISO3):
    importing it into an empty ledger gives the same content."""
    return con.execute(
        """SELECT CASE date_precision WHEN 'day' THEN strftime(date, '%Y-%m-%d')
                                      WHEN 'month' THEN strftime(date, '%Y-%m')
                                      ELSE strftime(date, '%Y') END AS date,
                  party, party_zh, coalesce(country_iso3, '') AS country, party_family, party_status, form, direction, level,
                  event_id, delegation_size, topic, source
           FROM exchange_rows ORDER BY exchange_id"""
    ).fetchdf()


def export_ledger(ledger: Path | str, out: Path | str) -> tuple[Path, int]:
    """Write every exchange of ``ledger`` in the import format to ``out`` (.csv, .xlsx or .parquet,
    atomically); importing that file into an empty ledger gives the same content. Returns the path
    and the number of rows."""
    _row_format(str(out))
    frame = export_frame(ledger)
    return write_rows(frame, out), len(frame)


def export_frame(ledger: Path | str) -> pd.DataFrame:
    """``ledger_rows`` of the ledger file at ``ledger`` (read-only)."""
    con = connect_read_only(ledger)
    try:
        return ledger_rows(con)
    except duckdb.Error as error:
        raise LedgerError(i18n.t("importer.error.read_ledger", ledger=ledger, error=error)) from error
    finally:
        con.close()


def export_bytes(ledger: Path | str, kind: str) -> bytes:
    """The whole ledger in the import format as the bytes of a ``kind`` (csv, xlsx, parquet) file."""
    return rows_bytes(export_frame(ledger), kind)


TEMPLATE_EXAMPLES: list[dict[str, object]] = [
    {
        "date": "2019-04-16",
        "party": "Example Labour Party",
        "country": "New Zealand",
        "party_family": "social_democratic",
        "party_status": "ruling",
        "form": "high_level_visit",
        "direction": "inbound",
        "level": "leader",
        "event_id": "",
        "delegation_size": 8,
        "topic": "Party-to-party cooperation",
        "source": "Annual report 2019, p. 12",
    },
    {
        "date": "2017-11",
        "party": "Example People's Party",
        "country": "VNM",
        "party_family": "communist",
        "party_status": "ruling",
        "form": "multilateral_meeting",
        "direction": "inbound",
        "level": "senior",
        "event_id": "dialogue-2017",
        "delegation_size": "",
        "topic": "High-level dialogue",
        "source": "Press release",
    },
    {
        "date": "1985",
        "party": "Example International of Parties",
        "country": "",
        "party_family": "international_org",
        "party_status": "other",
        "form": "working_visit",
        "direction": "outbound",
        "level": "working",
        "event_id": "",
        "delegation_size": 3,
        "topic": "",
        "source": "Archive file 85/3",
    },
]


def template_frame(examples: bool = False) -> pd.DataFrame:
    """The import columns, empty or with three example rows."""
    if examples:
        return pd.DataFrame(TEMPLATE_EXAMPLES, columns=list(COLUMNS))
    return pd.DataFrame(columns=list(COLUMNS))


def template_csv() -> bytes:
    """The CSV template: the header row only (UTF-8)."""
    return csv_bytes(template_frame(), encoding="utf-8")


def template_xlsx(example_rows: Sequence[Mapping[str, object]] = TEMPLATE_EXAMPLES) -> bytes:
    """The Excel template: a 'Ledger' sheet (header and drop-down lists of codes), 'Codes' and
    'Examples' (``example_rows``, written cell by cell through ``spreadsheet.excel_cell``)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Ledger"
    sheet.append([excel_cell(sheet, column) for column in COLUMNS])
    sheet.freeze_panes = "A2"
    codes = workbook.create_sheet("Codes")
    for index, (column, values) in enumerate(CODE_COLUMNS.items(), start=1):
        letter = get_column_letter(index)
        codes.cell(row=1, column=index, value=column).font = Font(bold=True)
        for offset, code in enumerate(values, start=2):
            codes.cell(row=offset, column=index, value=code)
        codes.column_dimensions[letter].width = 24
        target = get_column_letter(COLUMNS.index(column) + 1)
        rule = DataValidation(type="list", formula1=f"=Codes!${letter}$2:${letter}${len(values) + 1}", allow_blank=True)
        rule.error = f"Use one of the {column} codes listed on the Codes sheet."
        rule.add(f"{target}2:{target}100000")
        sheet.add_data_validation(rule)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = 14 if column != "party" else 32
    examples = workbook.create_sheet("Examples")
    examples.append([excel_cell(examples, column) for column in COLUMNS])
    for row in example_rows:
        examples.append(
            [excel_cell(examples, row.get(column, "") if row.get(column, "") != "" else None) for column in COLUMNS]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_template(path: Path | str) -> Path:
    """Write the template to ``path`` (.csv or .xlsx), whole or not at all."""
    path = Path(path)
    found = formats.find_file(path, formats.TEMPLATE)
    if found is None:
        raise InvalidInputError(
            i18n.t(
                "importer.error.template_file_name",
                file=path.name,
                extensions=_extension_words(formats.TEMPLATE),
            )
        )
    return atomic.write_bytes(path, template_csv() if found.name == "csv" else template_xlsx())
