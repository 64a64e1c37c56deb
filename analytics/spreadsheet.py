"""Spreadsheet safety for every CSV and Excel file the app and the CLI write: the one place that
decides how a cell is written so that no spreadsheet ever runs it as a formula.

``safe_cell`` / ``safe_frame`` give text starting with = + - @ (or a tab or carriage return) a
leading apostrophe for CSV (the importer removes it again); ``write_csv`` / ``csv_bytes`` write a
frame so, with optional preamble rows (the chart export's ``# Title: ...`` lines). ``write_xlsx``
/ ``xlsx_bytes`` write an Excel workbook whose text cells are stored as text, formula-like text
with Excel's quote prefix (the value itself unchanged), dates as dates, NumPy scalars as numbers
and missing values as empty cells; options name the sheet, freeze and embolden the header, fit
the column widths and add extra sheets (the chart export's 'About' sheet). ``excel_cell`` is the
cell rule itself, for a workbook built by hand (the importer's template). ``header`` /
``with_headers`` name a data column in the current language: English keeps the column names
scripts read (``exchanges``), Chinese gets table headers (``交往次数``); values are never
translated, so codes stay codes. Called by
``analytics.export`` (chart data), ``analytics.importer`` (ledger rows, rejected rows, templates)
and, through ``csv_bytes`` / ``xlsx_bytes``, by the pages' download buttons. Nothing here imports
streamlit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.i18n import t

# What a spreadsheet may read as the start of a formula (a tab or carriage return before one too).
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"[=+\-@\t\r]"


def safe_cell(value: object) -> object:
    """``value`` made harmless in a spreadsheet: text starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe, which spreadsheets show as text and the importer removes."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with ``safe_cell`` applied to the column names and every text cell, for CSV.

    Numbers stay numbers (a negative number is not text); string columns are handled vectorised.
    """
    out = frame.copy()
    out.columns = [safe_cell(column) for column in out.columns]
    for index in range(out.shape[1]):
        series = out.iloc[:, index]
        if series.dtype == object:
            out.isetitem(index, series.map(safe_cell))
        elif isinstance(series.dtype, pd.CategoricalDtype):
            out.isetitem(index, series.astype(object).map(safe_cell))
        elif pd.api.types.is_string_dtype(series):
            risky = series.str.match(_FORMULA_PATTERN).fillna(False).astype(bool)
            if risky.any():
                out.isetitem(index, series.where(~risky, "'" + series))
    return out


# ---------------------------------------------------------------------------------------------
# Column headers


def header(column: object) -> str:
    """The header of a data column in the current language (``export.column.<name>``); a column
    the catalogue does not name keeps its name."""
    key = f"export.column.{column}"
    message = t(key)
    return str(column) if message == key else message


def with_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (a shallow copy) with every column header in the current language."""
    out = frame.copy(deep=False)
    out.columns = [header(column) for column in frame.columns]
    return out


# ---------------------------------------------------------------------------------------------
# CSV


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _placeholders(frame: pd.DataFrame, preamble: list[list[object]]):
    """``frame`` and ``preamble`` with every text holding a carriage return replaced by a plain
    placeholder, and the quoted field each placeholder stands for.

    Python's csv writer quotes a field holding a newline but not one holding only a carriage
    return when lines end in ``\n``, and a bare ``\r`` ends a record for every CSV reader: such a
    cell is written quoted by hand instead. Rare, so the common case keeps pandas' fast writer.
    """
    fields: dict[str, str] = {}

    def swap(value: object) -> object:
        if isinstance(value, str) and "\r" in value:
            key = f"\ue000{len(fields)}\ue001"
            fields[key] = _csv_field(value)
            return key
        return value

    texts = [
        index
        for index in range(frame.shape[1])
        if frame.iloc[:, index].dtype == object or pd.api.types.is_string_dtype(frame.iloc[:, index])
    ]
    risky = [index for index in texts if frame.iloc[:, index].map(lambda v: isinstance(v, str) and "\r" in v).any()]
    if not risky and not any("\r" in str(column) for column in frame.columns):
        if not any(isinstance(value, str) and "\r" in value for row in preamble for value in row):
            return frame, preamble, fields
    frame = frame.copy()
    frame.columns = [swap(column) for column in frame.columns]
    for index in risky:
        frame.isetitem(index, frame.iloc[:, index].map(swap))
    preamble = [[swap(value) for value in row] for row in preamble]
    return frame, preamble, fields


def _write_csv_text(frame: pd.DataFrame, handle, preamble: Iterable[Sequence[object]]) -> None:
    rows = [[safe_cell(value) for value in row] for row in preamble]
    frame, rows, fields = _placeholders(safe_frame(frame), rows)
    out = io.StringIO() if fields else handle
    csv.writer(out, lineterminator="\n").writerows(rows)
    frame.to_csv(out, index=False, lineterminator="\n")
    if fields:
        text = out.getvalue()
        for key, field_text in fields.items():
            text = text.replace(key, field_text)
        handle.write(text)


def write_csv(
    frame: pd.DataFrame,
    target,
    *,
    preamble: Iterable[Sequence[object]] = (),
    encoding: str = "utf-8-sig",
) -> None:
    """Write ``frame`` as CSV (UTF-8 with a byte-order mark for Excel unless ``encoding`` says
    otherwise, formulas neutralised) to a path or a binary buffer; ``preamble`` rows come first."""
    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding=encoding, newline="") as handle:
            _write_csv_text(frame, handle, preamble)
        return
    handle = io.TextIOWrapper(target, encoding=encoding, newline="", write_through=True)
    try:
        _write_csv_text(frame, handle, preamble)
        handle.flush()
    finally:
        handle.detach()


def csv_bytes(frame: pd.DataFrame, *, preamble: Iterable[Sequence[object]] = (), encoding: str = "utf-8-sig") -> bytes:
    """The bytes of ``write_csv``'s file (for a download button)."""
    buffer = io.BytesIO()
    write_csv(frame, buffer, preamble=preamble, encoding=encoding)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Excel


def excel_value(value: object) -> object:
    """A pandas / NumPy / Python value as something openpyxl stores; None for a missing value."""
    if value is None or (not isinstance(value, str | bytes) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool | dt.date | dt.datetime | dt.time):
        return value
    return str(value)


def excel_cell(sheet, value: object, font: Mapping[str, object] | None = None):
    """One cell of ``sheet`` holding ``value``: text is stored as text (never a formula), with
    Excel's quote prefix when it starts like a formula; ``font`` holds openpyxl Font arguments."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    value = excel_value(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    if font:
        cell.font = Font(**font)
    return cell


@dataclass(frozen=True)
class Sheet:
    """An extra sheet of plain rows (e.g. the chart export's 'About' sheet): ``widths`` by column
    letter, ``fonts`` by cell reference ('B1') as openpyxl Font arguments."""

    name: str
    rows: Sequence[Sequence[object]]
    widths: Mapping[str, float] = field(default_factory=dict)
    fonts: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


_BOLD = {"bold": True}


def _fitted_widths(frame: pd.DataFrame, header: list[str], sample_rows: int = 199) -> list[float]:
    """Column widths from the longest text among the header and the first rows (10 to 60)."""
    widths: list[float] = []
    for index, name in enumerate(header):
        texts = [name] + [
            str(value) for value in map(excel_value, frame.iloc[:sample_rows, index].tolist()) if value is not None
        ]
        longest = max((len(text) for text in texts), default=8)
        widths.append(min(max(10, longest + 2), 60))
    return widths


def write_xlsx(
    frame: pd.DataFrame,
    target,
    *,
    sheet_name: str = "Ledger",
    freeze_header: bool = False,
    bold_header: bool = False,
    fit_columns: bool = False,
    extra_sheets: Sequence[Sheet] = (),
    properties: Mapping[str, str] | None = None,
) -> None:
    """Write ``frame`` to an .xlsx file or binary buffer, header on row 1, every cell by
    ``excel_cell`` (text stored as text, formula-like text quote-prefixed, value unchanged, so an
    import reads it back exactly). Written in openpyxl's write-only mode: a million rows fit."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    header = [str(column) for column in frame.columns]
    if fit_columns:
        for index, width in enumerate(_fitted_widths(frame, header), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze_header:
        sheet.freeze_panes = "A2"
    font = _BOLD if bold_header else None
    sheet.append([excel_cell(sheet, name, font) for name in header])
    for values in frame.itertuples(index=False, name=None):
        sheet.append([excel_cell(sheet, value) for value in values])
    for extra in extra_sheets:
        _write_sheet(workbook, extra)
    for key, value in (properties or {}).items():
        setattr(workbook.properties, key, value)
    workbook.save(target)


def _write_sheet(workbook, spec: Sheet) -> None:
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(spec.name)
    for letter, width in spec.widths.items():
        sheet.column_dimensions[letter].width = width
    for row_number, values in enumerate(spec.rows, start=1):
        sheet.append(
            [
                excel_cell(sheet, value, spec.fonts.get(f"{get_column_letter(column)}{row_number}"))
                for column, value in enumerate(values, start=1)
            ]
        )


def xlsx_bytes(frame: pd.DataFrame, **options) -> bytes:
    """The bytes of ``write_xlsx``'s workbook (for a download button); same options."""
    buffer = io.BytesIO()
    write_xlsx(frame, buffer, **options)
    return buffer.getvalue()
