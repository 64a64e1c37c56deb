"""Reading a file's bytes into a ``SourceTable`` of text cells: the kind of file (CSV, Excel,
Parquet, by its first bytes), the text encoding and separator of a CSV, the cells of an Excel
sheet (formulas read as their text) or of a Parquet file, and ``sheet_names`` for a workbook.

``read_table`` is called by ``batch.prepare_import`` (so by the ``import`` command and the Data
page) and by the tests; the header row goes to ``headers.match_headers``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import formats, i18n
from analytics.importer.columns import COLUMNS, KNOWN_COLUMNS, SourceTable
from analytics.importer.errors import ImportFileError
from analytics.importer.headers import UNNAMED, match_headers
from analytics.settings import load_settings

SEPARATORS = (",", ";", "\t")


@dataclass(frozen=True)
class Limits:
    """What one upload may hold (``LEDGER_MAX_IMPORT_ROWS``, ``LEDGER_MAX_UNPACKED_MB``)."""

    rows: int
    unpacked_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        settings = load_settings()
        return cls(rows=settings.max_import_rows, unpacked_bytes=settings.max_unpacked_mb * 1024 * 1024)


def _too_many_rows(file_name: str, limit: int) -> ImportFileError:
    return ImportFileError(i18n.t("importer.file.too_many_rows", file=file_name, most=i18n.number(limit)))


# .csv .tsv .txt -> csv, .xlsx .xlsm -> xlsx, .parquet .pq -> parquet (from the format registry).
_KIND_BY_SUFFIX = {
    f".{extension}": name
    for name in formats.names(formats.LEDGER_ROWS)
    for extension in formats.FORMATS[name].extensions(reading=True)
}


def _kind(data: bytes, file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(i18n.t("importer.file.old_excel", file=file_name))
    expected = _KIND_BY_SUFFIX.get(suffix)
    if expected == "xlsx":
        raise ImportFileError(i18n.t("importer.file.not_excel", file=file_name, suffix=suffix))
    if expected == "parquet":
        raise ImportFileError(i18n.t("importer.file.not_parquet", file=file_name, suffix=suffix))
    return "csv"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, file_name: str) -> tuple[str, list[str]]:
    """The text of a CSV file and any warning: UTF-8 (BOM or not), UTF-16 with a BOM, or Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise ImportFileError(i18n.t("importer.file.bad_utf16", file=file_name)) from None
    sample = data[:65536]
    controls = sum(sample.count(bytes([code])) for code in (*range(0, 9), 11, 12, *range(14, 32), 127))
    if b"\x00" in sample or controls > max(8, len(sample) // 100):
        raise ImportFileError(i18n.t("importer.file.binary", file=file_name))
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("utf-8"), []
    except UnicodeDecodeError as error:
        has_utf8 = re.search(rb"[\xc2-\xf4][\x80-\xbf]+", body) is not None
        line = _line_of(body, error.start)
        if has_utf8 or body is not data:
            raise ImportFileError(
                i18n.t("importer.file.mixed_encoding", file=file_name, line=line, byte=f"0x{body[error.start]:02x}")
            ) from None
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            i18n.t("importer.file.unknown_encoding", file=file_name, line=_line_of(body, error.start))
        ) from None
    return text, [i18n.t("importer.note.windows_1252", file=file_name)]


def _separator(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv_records(
    text: str, separator: str, file_name: str, max_rows: int
) -> tuple[pd.DataFrame, list[tuple[int, str, str]]]:
    """All records (header included) as text, and the records with more cells than the header:
    (record index, reason, the extra cells joined by the separator). More than ``max_rows``
    records after the header is refused, without reading the rest."""
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=separator,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            nrows=max_rows + 2,
        )
        if len(frame) > max_rows + 1:
            raise _too_many_rows(file_name, max_rows)
        return frame.fillna(""), []
    except pd.errors.EmptyDataError:
        return pd.DataFrame(), []
    except pd.errors.ParserError as error:
        unclosed = re.search(r"EOF inside string starting at row (\d+)", str(error))
        if unclosed:
            raise ImportFileError(
                i18n.t("importer.file.unclosed_quote", file=file_name, row=int(unclosed[1]) + 1)
            ) from None
    # Slow path for a file with ragged rows: keep every record, report the long ones.
    csv.field_size_limit(sys.maxsize)
    records = []
    for record in csv.reader(io.StringIO(text, newline=""), delimiter=separator):
        records.append(record)
        if len(records) > max_rows + 1:
            raise _too_many_rows(file_name, max_rows)
    width = len(records[0]) if records else 0
    long_rows = []
    for index, record in enumerate(records):
        if len(record) > width:
            extra = [cell for cell in record[width:] if cell.strip()]
            if extra:
                long_rows.append(
                    (
                        index,
                        i18n.t("importer.reason.too_many_cells", cells=len(record), columns=width),
                        separator.join(record[width:]),
                    )
                )
            del record[width:]
        elif len(record) < width:
            record.extend([""] * (width - len(record)))
    return pd.DataFrame(records, dtype=str), long_rows


def _excel_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if getattr(cell, "data_type", None) == "f":
        # A formula is read as its text (an array formula keeps its text in ``.text``).
        return str(getattr(value, "text", value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.datetime, dt.date)):
        # The cell's display format tells the precision a user typed: 'mmm-yy' is a month.
        fmt = re.sub(r'"[^"]*"|\[[^\]]*\]', "", str(getattr(cell, "number_format", "") or "").lower())
        if "d" in fmt or "m" not in fmt and "y" not in fmt:
            return f"{value:%Y-%m-%d}"
        if "m" in fmt:
            return f"{value:%Y-%m}"
        return f"{value:%Y}"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _check_unpacked_size(data: bytes, file_name: str, limit: int) -> None:
    """Refuse a workbook whose parts unpack to more than ``limit`` bytes, from the sizes the zip
    declares (read before anything is inflated; ``zipfile`` never inflates a part past its
    declared size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(i18n.t("importer.file.bad_workbook", file=file_name, error=error)) from None
    if declared > limit:
        raise ImportFileError(
            i18n.t(
                "importer.file.unpacks_too_large",
                file=file_name,
                size=i18n.number(declared / 1024 / 1024),
                most=i18n.number(limit / 1024 / 1024),
            )
        )


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_part(archive: zipfile.ZipFile, sheet: str | None) -> str | None:
    """The zip path of the chosen sheet (the first one without ``sheet``), from the small
    workbook parts; None when the workbook does not say (openpyxl then reports the problem)."""
    from openpyxl.xml.functions import fromstring

    try:
        book = fromstring(archive.read("xl/workbook.xml"))
        rels = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ValueError, SyntaxError):
        return None
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PACKAGE_REL_NS}Relationship")}
    for entry in book.iter(f"{_SHEET_NS}sheet"):
        if sheet is None or entry.get("name") == sheet:
            target = targets.get(entry.get(f"{_REL_NS}id"), "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _shared_string(archive: zipfile.ZipFile, index: int) -> str:
    """Shared string ``index``, reading the shared strings part only as far as that entry."""
    from openpyxl.xml.functions import iterparse

    try:
        source = archive.open("xl/sharedStrings.xml")
    except KeyError:
        return ""
    with source:
        count = 0
        for _event, element in iterparse(source):
            if element.tag == f"{_SHEET_NS}si":
                if count == index:
                    return "".join(t.text or "" for t in element.iter(f"{_SHEET_NS}t"))
                count += 1
                element.clear()
    return ""


def _excel_header(data: bytes, file_name: str, sheet: str | None) -> None:
    """Read only the first row of the sheet, straight from its XML, and refuse a header that is
    not the ledger's (``match_headers``) before openpyxl reads the sheet (which inflates all of
    it at once to find its size)."""
    from openpyxl.xml.functions import iterparse

    header: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = _sheet_part(archive, sheet)
        if part is None or part not in archive.namelist():
            return
        with archive.open(part) as source:
            try:
                for _event, element in iterparse(source):
                    if element.tag == f"{_SHEET_NS}c":
                        kind = element.get("t", "n")
                        if kind == "inlineStr":
                            header.append("".join(t.text or "" for t in element.iter(f"{_SHEET_NS}t")))
                        else:
                            value = element.findtext(f"{_SHEET_NS}v") or ""
                            header.append(
                                _shared_string(archive, int(value)) if kind == "s" and value.isdigit() else value
                            )
                    elif element.tag == f"{_SHEET_NS}row":
                        break
            except (SyntaxError, ValueError):
                return  # openpyxl says what is wrong with the XML
    if any(cell.strip() for cell in header):
        match_headers(header, file_name, None, [])


def _excel_records(
    data: bytes, file_name: str, sheet: str | None, limits: Limits
) -> tuple[pd.DataFrame, str, list[tuple[int, int]]]:
    """The sheet's records as text, its title, and (record, column) of every formula cell.

    The workbook is read with its formulas, not the values Excel last computed: a file written by
    a program (pandas, openpyxl) has no computed values, and a formula is stored as its text.
    Its declared unpacked size is checked first, then its first row is read and matched as the
    header (``match_headers`` raises for a missing column) before the rest of the sheet is read;
    more than ``limits.rows`` data rows is refused as soon as the next one is read.
    """
    from openpyxl import load_workbook

    _check_unpacked_size(data, file_name, limits.unpacked_bytes)
    _excel_header(data, file_name, sheet)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(i18n.t("importer.file.bad_workbook", file=file_name, error=error)) from None
    try:
        names = workbook.sheetnames
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in names:
            worksheet = workbook[sheet]
        else:
            raise ImportFileError(
                i18n.t("importer.file.no_sheet", file=file_name, sheet=repr(sheet), sheets=", ".join(names))
            )
        records = []
        formulas: list[tuple[int, int]] = []
        for index, row in enumerate(worksheet.iter_rows(min_row=1)):
            if index > limits.rows:
                raise _too_many_rows(file_name, limits.rows)
            records.append([_excel_text(cell) for cell in row])
            formulas.extend(
                (index, column)
                for column, cell in enumerate(row)
                if cell.value is not None and getattr(cell, "data_type", None) == "f"
            )
        title = worksheet.title
    finally:
        workbook.close()
    width = max((len(record) for record in records), default=0)
    for record in records:
        record.extend([""] * (width - len(record)))
    return pd.DataFrame(records, dtype=str), title, formulas


def _parquet_text(column) -> np.ndarray:
    """One Parquet column as text cells ('' for a null). Timestamps and dates are read as their day
    (a time of day, fractions of a second included, is dropped; a zoned timestamp gives its local day)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        text = pc.strftime(column, format="%Y-%m-%d")
    elif pa.types.is_floating(kind):
        series = column.to_pandas()
        whole = series.notna() & (series % 1 == 0)
        text = series.astype(str).where(~whole, series.where(whole).astype("Int64").astype(str))
        return text.where(series.notna(), "").astype(str).to_numpy()
    else:
        text = column.cast(pa.string())
    return pc.fill_null(text, "").to_numpy(zero_copy_only=False)


def _parquet_columns(data: bytes, file_name: str, max_rows: int) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        rows = pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
    except (pa.ArrowException, OSError, ValueError) as error:
        raise ImportFileError(i18n.t("importer.file.bad_parquet", file=file_name, error=error)) from None
    if rows > max_rows:
        raise _too_many_rows(file_name, max_rows)
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as error:
        raise ImportFileError(i18n.t("importer.file.bad_parquet", file=file_name, error=error)) from None
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns[str(name)] = _parquet_text(column)
        except (pa.ArrowException, ValueError, TypeError, OverflowError) as error:
            raise ImportFileError(
                i18n.t(
                    "importer.file.parquet_column",
                    file=file_name,
                    column=repr(str(name)),
                    type=column.type,
                    error=error,
                )
            ) from None
    frame = pd.DataFrame(columns, dtype=str)
    header = pd.DataFrame([list(frame.columns)], columns=frame.columns, dtype=str)
    return pd.concat([header, frame], ignore_index=True).set_axis(range(len(frame.columns)), axis=1)


def sheet_names(data: bytes) -> list[str]:
    """The sheets of an Excel workbook, in order; empty for any other file."""
    if data[:4] != b"PK\x03\x04":
        return []
    from openpyxl import load_workbook

    try:
        _check_unpacked_size(data, "", Limits.from_settings().unpacked_bytes)
        workbook = load_workbook(io.BytesIO(data), read_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ImportFileError):
        return []  # read_table says why
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def read_table(data: bytes, file_name: str, *, sheet: str | None = None, limits: Limits | None = None) -> SourceTable:
    """Read a CSV / Excel / Parquet file's bytes into text cells with matched headers.

    Raises ImportFileError with one line per problem when the file cannot be a ledger table
    (empty, binary, header only, a required column missing, more rows than
    ``LEDGER_MAX_IMPORT_ROWS``, a workbook unpacking to more than ``LEDGER_MAX_UNPACKED_MB``, ...).
    """
    limits = limits or Limits.from_settings()
    file_name = Path(file_name).name or i18n.t("importer.the_file")
    sha256 = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise ImportFileError(i18n.t("importer.file.empty", file=file_name))
    kind = _kind(data, file_name)
    if sheet is not None and kind != "xlsx":
        raise ImportFileError(i18n.t("importer.file.sheet_not_excel", file=file_name, kind=kind))
    notes: list[str] = []
    long_rows: list[tuple[int, str, str]] = []
    formulas: list[tuple[int, int]] = []
    separator = ","
    if kind == "csv":
        text, notes = _decode(data, file_name)
        separator = _separator(text)
        records, long_rows = _csv_records(text, separator, file_name, limits.rows)
    elif kind == "xlsx":
        records, sheet, formulas = _excel_records(data, file_name, sheet, limits)
    else:
        records = _parquet_columns(data, file_name, limits.rows)
    if records.empty or records.shape[1] == 0:
        if kind == "xlsx":
            raise ImportFileError(i18n.t("importer.file.empty_sheet", file=file_name, sheet=sheet))
        raise ImportFileError(i18n.t("importer.file.empty", file=file_name))
    blank = (records.apply(lambda column: column.str.strip()) == "").all(axis=1).to_numpy()
    if blank[0]:
        raise ImportFileError(i18n.t("importer.file.no_header", file=file_name, columns=", ".join(COLUMNS)))
    header = [str(cell) for cell in records.iloc[0]]
    names = match_headers(header, file_name, separator if kind == "csv" else None, notes)
    # Spreadsheet row numbers: the header is row 1; Parquet rows are numbered the same way.
    keep = ~blank
    keep[0] = False
    body = records.loc[keep].set_axis(names, axis=1)
    row_numbers = np.flatnonzero(keep) + 1
    if body.empty:
        raise ImportFileError(i18n.t("importer.file.no_rows", file=file_name))
    position = {int(record): index for index, record in enumerate(np.flatnonzero(keep))}
    shape_problems = [(position[record], reason) for record, reason, _ in long_rows if record in position]
    extra_cells = {position[record]: extra for record, _, extra in long_rows if record in position}
    formula_cells = [
        (position[record], names[column])
        for record, column in formulas
        if record in position and column < len(names) and names[column] in KNOWN_COLUMNS
    ]
    unnamed = [name for name in names if name.startswith(UNNAMED)]
    for name in unnamed:
        if (body[name].str.strip() != "").any():
            notes.append(i18n.t("importer.note.unnamed_column", number=name.removeprefix(UNNAMED).rstrip(")")))
    body = body.drop(columns=unnamed)
    return SourceTable(
        frame=body.reset_index(drop=True).astype(str),
        rows=row_numbers,
        file_name=file_name,
        sha256=sha256,
        kind=kind,
        sheet=sheet,
        notes=notes,
        shape_problems=shape_problems,
        extra_cells=extra_cells,
        formula_cells=formula_cells,
    )
