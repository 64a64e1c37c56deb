"""Import of a user's own ledger file (CSV, Excel or Parquet) into the ledger, one batch at a time.

Called by the ``import``, ``history``, ``undo``, ``template`` and ``export-ledger`` commands
(``analytics/commands/import_commands.py``) and by the Data page. Three steps: ``read_table``
turns the file's bytes into a table of text cells with the spreadsheet row number of each row and
the headers matched to the format of ``docs/ledger-format.md``; ``check_rows`` validates every
cell at once with pandas (no Python loop over rows) and lists each problem with its row, column,
value, reason and a suggestion; ``commit_import`` re-checks what depends on the ledger and writes
the valid rows as one batch inside ``ledger.write_transaction``, so an import is all or nothing
even when the process is killed. ``export_ledger`` / ``export_bytes`` write the whole ledger back
in the import format. ``safe_cell`` / ``safe_frame`` / ``write_rows`` neutralise spreadsheet
formulas in every CSV or Excel file made from ledger rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import io
import itertools
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics import atomic, reference, vocab
from analytics import ledger as ledger_module
from analytics.errors import InvalidInputError
from analytics.ledger import LedgerError, connect_read_only, current_user, write_transaction
from analytics.settings import load_settings

Progress = Callable[[str, float], None]

COLUMNS: tuple[str, ...] = (
    "date",
    "party",
    "country",
    "party_family",
    "party_status",
    "form",
    "direction",
    "level",
    "event_id",
    "delegation_size",
    "topic",
    "source",
)
# ``country`` is required too, except for an international organisation (family international_org).
REQUIRED: tuple[str, ...] = ("date", "party", "country", "party_family", "form", "direction")
CODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "party_family": vocab.PARTY_FAMILIES,
    "party_status": vocab.PARTY_STATUSES,
    "form": vocab.FORMS,
    "direction": vocab.DIRECTIONS,
    "level": vocab.LEVELS,
}
CODE_DEFAULTS: dict[str, str] = {"party_status": "unknown", "level": "unknown"}
# Read when present, beyond the format's columns: the Explorer's ledger download carries them, so
# that file imports back with its dates at their precision and its countries by code.
EXTRA_COLUMNS: tuple[str, ...] = ("date_precision", "country_iso3")
KNOWN_COLUMNS: tuple[str, ...] = COLUMNS + EXTRA_COLUMNS
DATE_PRECISIONS: tuple[str, ...] = ("day", "month", "year")
TEXT_COLUMNS: tuple[str, ...] = ("party", "event_id", "topic", "source")
# The most a spreadsheet cell holds (Excel's limit); longer cells are rejected, not truncated.
MAX_CELL_CHARS = 32_767
MAX_DELEGATION = 100_000
FORMULA_CHARACTERS = "=+-@"
SEPARATORS = (",", ";", "\t")
PROBLEM_COLUMNS = ["row", "column", "value", "reason", "suggestion", "severity"]
SHOWN_CHARS = 60

_KIND_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_DATE_PATTERN = r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ]00:00(?::00(?:\.0+)?)?)?$"


class ImportFileError(LedgerError):
    """The file cannot be read as a ledger table; ``lines`` holds one message per problem."""

    def __init__(self, *lines: str):
        self.lines = list(lines)
        super().__init__("\n".join(lines))


class DuplicateFileError(LedgerError):
    """The same file (same SHA-256) was imported before and that batch was not undone."""


class DemoLedgerError(LedgerError):
    """Real rows may not be mixed into a ledger of synthetic demo data."""


class BatchError(LedgerError):
    """An unknown batch, or one already undone."""


# --------------------------------------------------------------------------------------------
# Formula neutralisation for every CSV / Excel made from ledger rows


def safe_cell(value: object) -> object:
    """``value`` made harmless in a spreadsheet: text starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe, which spreadsheets show as text and the importer removes."""
    if isinstance(value, str) and value[:1] and value[0] in FORMULA_CHARACTERS + "\t\r":
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
        elif pd.api.types.is_string_dtype(series):
            risky = series.str.match(r"[=+\-@\t\r]").fillna(False).astype(bool)
            if risky.any():
                out.isetitem(index, series.where(~risky, "'" + series))
    return out


def write_xlsx(frame: pd.DataFrame, target, *, sheet_name: str = "Ledger") -> None:
    """Write ``frame`` to an .xlsx file or binary buffer with every text cell stored as text.

    A cell starting with ``=`` is written as a string with Excel's quote prefix, so Excel shows it
    and never evaluates it; the value itself is unchanged (an import reads it back exactly).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    rows = frame.itertuples(index=False, name=None)
    for values in itertools.chain([tuple(str(column) for column in frame.columns)], rows):
        cells = []
        for value in values:
            if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
                cells.append(None)
                continue
            if isinstance(value, pd.Timestamp):
                value = value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
            elif isinstance(value, np.generic):
                value = value.item()
            elif not isinstance(value, (str, int, float, bool, dt.date, dt.datetime, dt.time)):
                value = str(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
                if value[:1] and value[0] in FORMULA_CHARACTERS:
                    cell.quotePrefix = True
            cells.append(cell)
        sheet.append(cells)
    workbook.save(target)


ROW_FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet")


def _row_format(name: str) -> str:
    kind = Path(name).suffix.lower().lstrip(".")
    if kind not in ROW_FORMATS:
        raise InvalidInputError(f"Cannot write {Path(name).name}: use a .csv, .xlsx or .parquet file name.")
    return kind


def _write_rows_to(frame: pd.DataFrame, target, kind: str) -> None:
    if kind == "csv":
        safe_frame(frame).to_csv(target, index=False, encoding="utf-8-sig")
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


# --------------------------------------------------------------------------------------------
# Reading


@dataclass
class SourceTable:
    """A file read as text cells: recognised columns carry their format name, others their header."""

    frame: pd.DataFrame
    rows: np.ndarray
    file_name: str
    sha256: str
    kind: str
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    # (position in frame, reason) for rows that have more cells than the header.
    shape_problems: list[tuple[int, str]] = field(default_factory=list)
    # Position in frame -> the cells beyond the header's width, joined by the separator (for the rejected file).
    extra_cells: dict[int, str] = field(default_factory=dict)
    # (position in frame, column) of the Excel cells that hold a formula (read as the formula's text).
    formula_cells: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Number of data rows (blank rows are not counted)."""
        return len(self.frame)


def _shown(text: str, limit: int = SHOWN_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(text).replace("\ufeff", "").strip().lower())


def _kind(data: bytes, file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            f"{file_name} is an old Excel 97-2003 (.xls) workbook, which is not read: "
            "save it as .xlsx (Excel workbook) or CSV UTF-8."
        )
    expected = _KIND_BY_SUFFIX.get(suffix)
    if expected == "xlsx":
        raise ImportFileError(
            f"{file_name} is named {suffix} but is not an Excel workbook: save it again from Excel as .xlsx."
        )
    if expected == "parquet":
        raise ImportFileError(f"{file_name} is named {suffix} but is not a Parquet file.")
    return "csv"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, file_name: str) -> tuple[str, list[str]]:
    """The text of a CSV file and any warning: UTF-8 (BOM or not), UTF-16 with a BOM, or Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{file_name} starts like UTF-16 text but is not valid UTF-16: save it as CSV UTF-8."
            ) from None
    sample = data[:65536]
    controls = sum(sample.count(bytes([code])) for code in (*range(0, 9), 11, 12, *range(14, 32), 127))
    if b"\x00" in sample or controls > max(8, len(sample) // 100):
        raise ImportFileError(
            f"{file_name} is not a text file (it contains binary data): import a CSV (UTF-8), "
            "an Excel workbook (.xlsx) or a Parquet file."
        )
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("utf-8"), []
    except UnicodeDecodeError as error:
        has_utf8 = re.search(rb"[\xc2-\xf4][\x80-\xbf]+", body) is not None
        line = _line_of(body, error.start)
        if has_utf8 or body is not data:
            raise ImportFileError(
                f"{file_name} mixes text encodings: it is mostly UTF-8 but line {line} is not "
                f"(byte 0x{body[error.start]:02x}). Open the file in a spreadsheet and save it as "
                "CSV UTF-8, so that every name keeps its accents."
            ) from None
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"{file_name} is neither UTF-8 nor Windows-1252 text (line {_line_of(body, error.start)}): save it as CSV UTF-8."
        ) from None
    return text, [
        f"{file_name} is not UTF-8; it was read as Windows-1252 (Western European). "
        "Check accented names in the preview, or save the file as CSV UTF-8."
    ]


def _separator(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv_records(text: str, separator: str, file_name: str) -> tuple[pd.DataFrame, list[tuple[int, str, str]]]:
    """All records (header included) as text, and the records with more cells than the header:
    (record index, reason, the extra cells joined by the separator)."""
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
        )
        return frame.fillna(""), []
    except pd.errors.EmptyDataError:
        return pd.DataFrame(), []
    except pd.errors.ParserError as error:
        unclosed = re.search(r"EOF inside string starting at row (\d+)", str(error))
        if unclosed:
            raise ImportFileError(
                f'{file_name}: the quote (") opened in row {int(unclosed[1]) + 1} is never closed, so the rest of '
                "the file would be one cell: close the quote, or remove it."
            ) from None
    # Slow path for a file with ragged rows: keep every record, report the long ones.
    csv.field_size_limit(sys.maxsize)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    width = len(records[0]) if records else 0
    long_rows = []
    for index, record in enumerate(records):
        if len(record) > width:
            extra = [cell for cell in record[width:] if cell.strip()]
            if extra:
                long_rows.append(
                    (
                        index,
                        f"the row has {len(record)} cells but the header has {width} columns "
                        "(a separator inside a value that is not in quotes?)",
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


def _excel_records(data: bytes, file_name: str, sheet: str | None) -> tuple[pd.DataFrame, str, list[tuple[int, int]]]:
    """The sheet's records as text, its title, and (record, column) of every formula cell.

    The workbook is read with its formulas, not the values Excel last computed: a file written by
    a program (pandas, openpyxl) has no computed values, and a formula is stored as its text.
    """
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(
            f"{file_name} is not a readable Excel workbook ({error}): save it again as .xlsx."
        ) from None
    try:
        names = workbook.sheetnames
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in names:
            worksheet = workbook[sheet]
        else:
            raise ImportFileError(f"{file_name} has no sheet {sheet!r}; its sheets are: {', '.join(names)}.")
        records = []
        formulas = []
        for index, row in enumerate(worksheet.iter_rows(min_row=1)):
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


def _parquet_columns(data: bytes, file_name: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as error:
        raise ImportFileError(f"{file_name} is not a readable Parquet file ({error}).") from None
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns[str(name)] = _parquet_text(column)
        except (pa.ArrowException, ValueError, TypeError, OverflowError) as error:
            raise ImportFileError(
                f"{file_name}: column {str(name)!r} ({column.type}) cannot be read as text: {error}"
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
        workbook = load_workbook(io.BytesIO(data), read_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return []
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def read_table(data: bytes, file_name: str, *, sheet: str | None = None) -> SourceTable:
    """Read a CSV / Excel / Parquet file's bytes into text cells with matched headers.

    Raises ImportFileError with one line per problem when the file cannot be a ledger table
    (empty, binary, header only, a required column missing, ...).
    """
    file_name = Path(file_name).name or "the file"
    sha256 = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise ImportFileError(f"{file_name} is empty: it needs a header row and at least one data row.")
    kind = _kind(data, file_name)
    if sheet is not None and kind != "xlsx":
        raise ImportFileError(f"--sheet only applies to an Excel workbook; {file_name} is a {kind} file.")
    notes: list[str] = []
    long_rows: list[tuple[int, str, str]] = []
    formulas: list[tuple[int, int]] = []
    separator = ","
    if kind == "csv":
        text, notes = _decode(data, file_name)
        separator = _separator(text)
        records, long_rows = _csv_records(text, separator, file_name)
    elif kind == "xlsx":
        records, sheet, formulas = _excel_records(data, file_name, sheet)
    else:
        records = _parquet_columns(data, file_name)
    if records.empty or records.shape[1] == 0:
        where = f"{file_name}, sheet {sheet}," if kind == "xlsx" else file_name
        raise ImportFileError(f"{where} is empty: it needs a header row and at least one data row.")
    blank = (records.apply(lambda column: column.str.strip()) == "").all(axis=1).to_numpy()
    if blank[0]:
        raise ImportFileError(f"{file_name}: row 1 is empty; the first row must be the header ({', '.join(COLUMNS)}).")
    header = [str(cell) for cell in records.iloc[0]]
    names = _match_headers(header, file_name, separator if kind == "csv" else None, notes)
    # Spreadsheet row numbers: the header is row 1; Parquet rows are numbered the same way.
    keep = ~blank
    keep[0] = False
    body = records.loc[keep].set_axis(names, axis=1)
    row_numbers = np.flatnonzero(keep) + 1
    if body.empty:
        raise ImportFileError(f"{file_name} has a header row but no data rows.")
    position = {record: index for index, record in enumerate(np.flatnonzero(keep))}
    shape_problems = [(position[record], reason) for record, reason, _ in long_rows if record in position]
    extra_cells = {position[record]: extra for record, _, extra in long_rows if record in position}
    formula_cells = [
        (position[record], names[column])
        for record, column in formulas
        if record in position and column < len(names) and names[column] in KNOWN_COLUMNS
    ]
    unnamed = [name for name in names if name.startswith("(unnamed")]
    for name in unnamed:
        if (body[name].str.strip() != "").any():
            notes.append(
                f"column {name.removeprefix('(unnamed ').rstrip(')')} has values but no header; it is ignored."
            )
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


def _match_headers(header: list[str], file_name: str, separator: str | None, notes: list[str]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    unknown: list[str] = []
    errors: list[str] = []
    for number, cell in enumerate(header, start=1):
        key = _header_key(cell)
        if key in KNOWN_COLUMNS:
            if key in seen:
                errors.append(f"{file_name}: columns {seen[key]} and {number} are both {key!r}; keep one.")
            seen[key] = number
            names.append(key)
        elif not key:
            names.append(f"(unnamed {number})")
        else:
            label = cell.strip()
            while label in names or label in KNOWN_COLUMNS:
                label += "_"
            names.append(label)
            unknown.append(label)
    missing = [column for column in REQUIRED if column not in seen]
    if missing and len(header) == 1 and separator is not None:
        errors.append(
            f"{file_name}: only one column found, with the header {_shown(header[0])!r}; "
            "columns must be separated by a comma, a semicolon or a tab."
        )
    elif missing:
        for column in missing:
            hint = difflib.get_close_matches(column, [_header_key(name) for name in unknown], n=1, cutoff=0.6)
            guess = (
                f" (is {unknown[[_header_key(n) for n in unknown].index(hint[0])]!r} meant to be {column!r}?)"
                if hint
                else ""
            )
            errors.append(f"{file_name}: required column {column!r} is missing{guess}.")
    if errors:
        raise ImportFileError(*errors)
    for label in unknown:
        notes.append(f"column {_shown(label)!r} is not part of the ledger format and is ignored.")
    return names


# --------------------------------------------------------------------------------------------
# Validation


@dataclass
class CheckedRows:
    """The table's rows in ledger form (``clean``) and the problems found without the ledger."""

    table: SourceTable
    clean: pd.DataFrame
    problems: pd.DataFrame  # columns: pos, column, value, reason, suggestion, severity

    @property
    def error_positions(self) -> np.ndarray:
        """Positions of the rows with at least one error."""
        return _error_positions(self.problems)


def _error_positions(problems: pd.DataFrame) -> np.ndarray:
    return np.unique(problems.loc[problems["severity"] == "error", "pos"].to_numpy(dtype=np.int64))


def _problem_frame(positions, column: str, values, reason, suggestion="", severity: str = "error") -> pd.DataFrame:
    positions = np.asarray(positions, dtype=np.int64)
    if not len(positions):
        return _empty_problems()
    values = pd.Series(values, dtype=str).reset_index(drop=True)
    long = values.str.len() > SHOWN_CHARS
    if long.any():
        values = values.where(
            ~long, values.str.slice(0, SHOWN_CHARS) + "… (" + values.str.len().map("{:,}".format) + " characters)"
        )
    return pd.DataFrame(
        {
            "pos": positions,
            "column": column,
            "value": values.to_numpy(),
            "reason": np.asarray(reason, dtype=object) if not isinstance(reason, str) else reason,
            "suggestion": np.asarray(suggestion, dtype=object) if not isinstance(suggestion, str) else suggestion,
            "severity": severity,
        }
    )


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pos": pd.Series(dtype=np.int64),
            "column": pd.Series(dtype=object),
            "value": pd.Series(dtype=object),
            "reason": pd.Series(dtype=object),
            "suggestion": pd.Series(dtype=object),
            "severity": pd.Series(dtype=object),
        }
    )


def _close(value: str, candidates, n: int = 3, cutoff: float = 0.6) -> list[str]:
    if len(value) > 100:
        return []
    return difflib.get_close_matches(value, list(candidates), n=n, cutoff=cutoff)


def _code_suggestion(value: str, codes: tuple[str, ...]) -> str:
    matches = _close(value, codes)
    if not matches:
        matches = [code for code in codes if value and (value in code or code in value)][:3]
    return " or ".join(matches)


def _country_candidates() -> dict[str, str]:
    """Folded ISO3 code, UN name and common name -> 'Common name (ISO3)' to suggest."""
    shown: dict[str, str] = {}
    for row in reference.countries().itertuples(index=False):
        label = f"{row.common_name} ({row.iso3})"
        for key in (row.common_name, row.name, row.iso3):
            shown.setdefault(reference.fold(key), label)
    return shown


def _country_suggestion(value: str, candidates: dict[str, str]) -> str:
    matches = _close(reference.fold(value), candidates, cutoff=0.75)
    return " or ".join(dict.fromkeys(candidates[match] for match in matches))


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


def _text_value(text: str) -> str:
    text = text.strip()
    # An apostrophe before = + - @ is a spreadsheet's text marker (and that of our exports).
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_CHARACTERS:
        return text[1:]
    return text


def _code_value(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


_DATE_RE = re.compile(_DATE_PATTERN)


def _date_value(
    text: str, earliest_year: int, today: dt.date, stated: str = ""
) -> tuple[str, dt.date | None, str | None]:
    """(status, date, precision) of one date cell; status is '' when the date is valid.

    ``stated`` is the row's ``date_precision`` (day, month, year or empty): a full date with a
    coarser stated precision is kept at that precision when it is the first day of its month or year.
    """
    text = text.strip()
    if not text:
        return "missing", None, None
    match = _DATE_RE.match(text)
    if not match:
        return "unparsed", None, None
    year = int(match[1])
    month = int(match[2]) if match[2] else None
    day = int(match[3]) if match[3] else None
    if year < earliest_year:
        return "early", None, None
    if year > today.year:
        return "future", None, None
    try:
        date = dt.date(year, month or 1, day or 1)
    except ValueError:
        return "impossible", None, None
    if date > today:
        return "future", None, None
    written = "day" if day else "month" if month else "year"
    if stated and stated != written:
        if DATE_PRECISIONS.index(stated) < DATE_PRECISIONS.index(written):
            return f"coarse:{stated}:{written}", None, None
        if (stated == "year" and (date.month, date.day) != (1, 1)) or (stated == "month" and date.day != 1):
            return f"inconsistent:{stated}", None, None
        return "", date, stated
    return "", date, written


def _iso_date(year: int, month: int, day: int | None = None) -> str:
    """'YYYY-MM-DD' (or 'YYYY-MM' without a day) when it is a calendar date, else ''."""
    try:
        date = dt.date(year, month, day or 1)
    except ValueError:
        return ""
    return f"{date:%Y-%m-%d}" if day else f"{date:%Y-%m}"


_NAMED_DATE_FORMATS = (
    ("%d %B %Y", "%Y-%m-%d"),
    ("%d %b %Y", "%Y-%m-%d"),
    ("%B %d, %Y", "%Y-%m-%d"),
    ("%b %d, %Y", "%Y-%m-%d"),
    ("%B %d %Y", "%Y-%m-%d"),
    ("%B %Y", "%Y-%m"),
    ("%b %Y", "%Y-%m"),
)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date_suggestion(text: str) -> str:
    """The format's spelling of a date written another way ('' when there is no likely reading)."""
    text = text.strip()
    if match := re.fullmatch(r"(\d{4})[/.](\d{1,2})(?:[/.](\d{1,2}))?", text):
        return _iso_date(int(match[1]), int(match[2]), int(match[3]) if match[3] else None)
    if match := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text):
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        day_month, month_day = _iso_date(year, second, first), _iso_date(year, first, second)
        if day_month and month_day and day_month != month_day:
            return f"{day_month} (read as day/month/year) or {month_day} (read as month/day/year)"
        return day_month or month_day
    if match := re.fullmatch(r"(\d{1,2})[/.\-](\d{4})", text):
        return _iso_date(int(match[2]), int(match[1]))
    if match := re.fullmatch(r"(\d{5})(?:\.0+)?", text):
        return f"{EXCEL_EPOCH + dt.timedelta(days=int(match[1])):%Y-%m-%d} (the date Excel numbers {match[1]})"
    for pattern, shown in _NAMED_DATE_FORMATS:
        try:
            return f"{dt.datetime.strptime(text, pattern):{shown}}"
        except ValueError:
            continue
    return ""


def _delegation_value(text: str) -> tuple[str, int | None, str]:
    """(reason, size, suggestion) of one delegation_size cell; reason is '' when it is valid."""
    text = text.strip()
    if not text:
        return "", None, ""
    try:
        number = float(text)
    except ValueError:
        if re.fullmatch(r"\d{1,3}(?:[,' \u00a0\u202f]\d{3})+", text):
            digits = re.sub(r"\D", "", text)  # thousands separators: 1,200 is 1200
        else:
            numbers = re.findall(r"\d+", text)
            digits = numbers[0] if len(numbers) == 1 else ""
        fits = digits and 0 < int(digits) <= MAX_DELEGATION
        return "not a number (delegation size counts people)", None, str(int(digits)) if fits else ""
    if not np.isfinite(number) or not number.is_integer() or not 0 < number <= MAX_DELEGATION:
        return f"delegation size must be a whole number of people from 1 to {MAX_DELEGATION:,}", None, ""
    return "", int(number), ""


@dataclass(frozen=True)
class _Countries:
    """What the country checks look names and codes up in."""

    codes: frozenset[str]
    labels: dict[str, str]  # ISO3 -> 'Common name (ISO3)'
    names: dict[str, str]  # ISO3 -> UN name


def _countries() -> _Countries:
    table = reference.countries()
    return _Countries(
        codes=frozenset(table["iso3"]),
        labels={row.iso3: f"{row.common_name} ({row.iso3})" for row in table.itertuples(index=False)},
        names=dict(zip(table["iso3"], table["name"], strict=True)),
    )


def _named_country(name: str) -> str | None:
    """ISO3 of a country name, alias or code; None when unknown or ambiguous."""
    if reference.fold(name) in reference.AMBIGUOUS_COUNTRIES:
        return None
    return reference.match_country(name)


def _country_value(
    name: str, code: str, known: _Countries, candidates: dict[str, str]
) -> tuple[str | None, str, str, str]:
    """(ISO3, problem column, reason, suggestion) of one row's ``country`` and ``country_iso3``
    (empty when the file has no such column); the reason is '' when the country is valid or missing."""
    name, code = name.strip(), code.strip().upper()
    if code:
        if code in known.codes:
            named = _named_country(name) if name else None
            if named is not None and named != code:
                return None, "country", f"is {known.labels[named]}, but country_iso3 says {code}", known.labels[code]
            return code, "", "", ""
        if former := reference.former_state(code):
            return (None, "country_iso3", *_former_problem(former, known))
        return None, "country_iso3", "not an ISO3 country code", _country_suggestion(code, candidates)
    if not name:
        return None, "", "", ""
    folded = reference.fold(name)
    if folded in reference.AMBIGUOUS_COUNTRIES:
        options = reference.AMBIGUOUS_COUNTRIES[folded]
        shown = [
            f"{known.names[iso] if reference.fold(known.names[iso]) != folded else known.labels[iso].rsplit(' (', 1)[0]} ({iso})"
            for iso in options
        ]
        return (
            None,
            "country",
            "ambiguous: " + " or ".join(shown) + "; give the ISO3 code or the full name",
            " or ".join(known.labels[iso] for iso in options),
        )
    matched = reference.match_country(name)
    if matched is not None:
        return matched, "", "", ""
    if former := reference.former_state(name):
        return (None, "country", *_former_problem(former, known))
    return (
        None,
        "country",
        "not a known country (give the ISO3 code, the UN name or the common English name)",
        _country_suggestion(name, candidates),
    )


def _former_problem(code: str, known: _Countries) -> tuple[str, str]:
    name, _, successor = reference.FORMER_STATES[code]
    return (
        f"{name} ({code}) is a former state: the ledger records a party's country by today's ISO3 code, "
        "that of the present-day country where the party was based (see docs/ledger-format.md)",
        known.labels[successor],
    )


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


def check_against_ledger(checked: CheckedRows, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Problems that depend on the ledger: a party's family differs from the ledger's, or the row
    is already in the ledger (same date and precision, party, country, form, direction, event_id)."""
    clean = checked.clean
    ready = clean[
        clean["party"].notna()
        & clean["party_family"].notna()
        & clean["date"].notna()
        & clean["form"].notna()
        & clean["direction"].notna()
        & (clean["country_iso3"].notna() | (clean["party_family"] == "international_org"))
    ]
    if ready.empty:
        return _empty_problems()
    keys = ready[
        ["pos", "date", "date_precision", "party", "country_iso3", "party_family", "form", "direction", "event_id"]
    ]
    con.execute("SET enable_progress_bar = false")
    con.register("import_keys", keys)
    try:
        families = con.execute(
            """SELECT k.pos, k.party_family, p.family
               FROM import_keys k JOIN parties p
                 ON p.name = k.party AND coalesce(p.country_iso3, '') = coalesce(k.country_iso3, '')
               WHERE p.family <> k.party_family
               ORDER BY k.pos"""
        ).fetchdf()
        duplicates = con.execute(
            """SELECT k.pos, min(e.exchange_id) AS exchange_id, min(e.batch_id) AS batch_id
               FROM import_keys k
               JOIN parties p ON p.name = k.party AND coalesce(p.country_iso3, '') = coalesce(k.country_iso3, '')
               JOIN exchanges e ON e.party_id = p.party_id AND e.date = CAST(k.date AS DATE)
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
                ("the party is already in the ledger with family " + families["family"].astype(str)).to_numpy(
                    dtype=object
                ),
                families["family"].astype(str).to_numpy(dtype=object),
            )
        )
    if len(duplicates):
        reasons = [
            f"already in the ledger (exchange {exchange}, batch {'none' if pd.isna(batch) else int(batch)})"
            for exchange, batch in zip(duplicates["exchange_id"], duplicates["batch_id"], strict=True)
        ]
        found.append(
            _problem_frame(
                duplicates["pos"],
                "(row)",
                [""] * len(duplicates),
                reasons,
                "remove the row, or undo that batch first",
            )
        )
    return pd.concat(found, ignore_index=True) if found else _empty_problems()


# --------------------------------------------------------------------------------------------
# Preparing and writing a batch


@dataclass
class ImportResult:
    """What an import did (or, for a dry run or a refused import, would do)."""

    file_name: str
    sha256: str
    sheet: str | None
    rows_read: int
    rows_valid: int
    problems: pd.DataFrame  # row, column, value, reason, suggestion, severity; sorted by row
    notes: list[str]
    written: bool = False
    batch_id: int | None = None
    rows_written: int = 0
    new_parties: int = 0
    previous_batch: int | None = None  # an earlier, not undone batch of the same file
    previous_imported_at: dt.datetime | None = None
    is_demo_ledger: bool = False
    rejected_path: Path | None = None
    rejected_error: str | None = None  # why the rejected rows could not be saved
    # Positions (in the table as read) of the rows with errors.
    bad_positions: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64), repr=False, compare=False)

    @property
    def rows_rejected(self) -> int:
        """Rows with at least one error."""
        return self.rows_read - self.rows_valid

    @property
    def errors(self) -> pd.DataFrame:
        """The problems that block a row."""
        return self.problems[self.problems["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        """The problems that do not block a row."""
        return self.problems[self.problems["severity"] == "warning"]

    @property
    def complete(self) -> bool:
        """Every row read was written (or, for a dry run, would be)."""
        return self.rows_rejected == 0 and self.rows_read > 0


def problem_lines(problems: pd.DataFrame) -> list[str]:
    """One readable line per problem, e.g. ``error: row 5, form 'visit': not a form code ...``."""
    lines = []
    for row, column, value, reason, suggestion, severity in problems[PROBLEM_COLUMNS].itertuples(
        index=False, name=None
    ):
        where = f"row {row}" if column == "(row)" else f"row {row}, {column} {value!r}"
        if not suggestion:
            hint = ""
        elif column in (*CODE_COLUMNS, "country", "country_iso3", "date", "date_precision", "delegation_size"):
            hint = f"; did you mean {suggestion}?"
        else:
            hint = f"; {suggestion}"
        lines.append(f"{severity}: {where}: {reason}{hint}")
    return lines


@dataclass
class PreparedImport:
    """A file read and checked against the ledger as it was; ``commit_import`` writes it."""

    checked: CheckedRows
    result: ImportResult

    @property
    def table(self) -> SourceTable:
        """The file as read."""
        return self.checked.table

    def preview(self, rows: int = 20) -> pd.DataFrame:
        """The first rows as read, with their spreadsheet row numbers."""
        head = self.table.frame.head(rows).copy()
        head.insert(0, "row", self.table.rows[: len(head)])
        return head

    def rejected_rows(self) -> pd.DataFrame:
        """The rows with errors as read, with their row number and reasons (for a .rejected.csv)."""
        return rejected_frame(self.table, self.result.problems)


def rejected_frame(table: SourceTable, problems: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``table`` with at least one error, their row number first and a ``reason`` column last.

    A row that had more cells than the header keeps the extra ones, joined by the file's separator,
    in an ``extra_cells`` column before ``reason``: nothing the user typed is lost.
    """
    errors = problems[problems["severity"] == "error"]
    extra = ["extra_cells"] if table.extra_cells else []
    if errors.empty:
        return pd.DataFrame(columns=["row", *table.frame.columns, *extra, "reason"])
    text = errors.apply(lambda p: p["reason"] if p["column"] == "(row)" else f"{p['column']}: {p['reason']}", axis=1)
    reasons = text.groupby(errors["row"]).agg("; ".join)
    position = pd.Series(np.arange(len(table.rows)), index=table.rows)
    positions = position.loc[reasons.index].to_numpy()
    picked = table.frame.iloc[positions].copy()
    picked.insert(0, "row", reasons.index.to_numpy())
    if extra:
        picked["extra_cells"] = [table.extra_cells.get(int(pos), "") for pos in positions]
    picked["reason"] = reasons.to_numpy()
    return picked.reset_index(drop=True)


def _with_rows(problems: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    if problems.empty:
        return pd.DataFrame(
            {column: pd.Series(dtype=np.int64 if column == "row" else object) for column in PROBLEM_COLUMNS}
        )
    out = problems.assign(row=rows[problems["pos"].to_numpy(dtype=np.int64)])
    out["suggestion"] = out["suggestion"].fillna("")
    order = {"(row)": -1, **{column: index for index, column in enumerate(COLUMNS)}}
    out["_order"] = out["column"].map(order).fillna(len(order))
    out = out.sort_values(["row", "_order"], kind="stable")
    return out[PROBLEM_COLUMNS].reset_index(drop=True)


def _ledger_state(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[tuple[int, dt.datetime] | None, bool]:
    """(batch id and time of an earlier import of the same file that is not undone, is the ledger demo)."""
    previous = con.execute(
        "SELECT batch_id, imported_at FROM import_batches WHERE sha256 = ? AND undone_at IS NULL ORDER BY batch_id LIMIT 1",
        [sha256],
    ).fetchall()
    demo = con.execute("SELECT count(*) FROM meta WHERE key = 'is_demo' AND value = 'true'").fetchall()[0][0]
    return (previous[0] if previous else None), bool(demo)


def _result(
    checked: CheckedRows, ledger_problems: pd.DataFrame, previous: tuple[int, dt.datetime] | None, demo: bool
) -> ImportResult:
    table = checked.table
    found = [p for p in (checked.problems, ledger_problems) if len(p)]
    problems = pd.concat(found, ignore_index=True) if found else _empty_problems()
    bad = _error_positions(problems)
    return ImportResult(
        file_name=table.file_name,
        sha256=table.sha256,
        sheet=table.sheet,
        rows_read=table.rows_read,
        rows_valid=table.rows_read - len(bad),
        problems=_with_rows(problems, table.rows),
        notes=list(table.notes),
        previous_batch=previous[0] if previous else None,
        previous_imported_at=previous[1] if previous else None,
        is_demo_ledger=demo,
        bad_positions=bad,
    )


def prepare_import(
    data: bytes,
    file_name: str,
    ledger: Path | str,
    *,
    sheet: str | None = None,
    earliest_year: int | None = None,
    progress: Progress | None = None,
) -> PreparedImport:
    """Read and check a file against the ledger (read-only); nothing is written.

    A missing ledger counts as an empty one. Raises ImportFileError when the file cannot be read.
    """
    report = progress or (lambda message, fraction: None)
    report("Reading the file", 0.0)
    table = read_table(data, file_name, sheet=sheet)
    report(f"Checking {table.rows_read:,} rows", 0.3)
    checked = check_rows(table, earliest_year=earliest_year)
    previous, demo, ledger_problems = None, False, _empty_problems()
    if Path(ledger).exists():
        report("Comparing with the ledger", 0.5)
        con = connect_read_only(ledger)
        try:
            previous, demo = _ledger_state(con, table.sha256)
            ledger_problems = check_against_ledger(checked, con)
        except duckdb.Error as error:
            raise LedgerError(f"Could not compare {file_name} with the ledger {ledger}: {error}") from error
        finally:
            con.close()
    report("Checked", 0.6)
    return PreparedImport(checked=checked, result=_result(checked, ledger_problems, previous, demo))


# What --force does and does not do, said wherever it is offered.
FORCE_NOTE = (
    "rows already in the ledger are still refused as duplicates, so add --skip-invalid too "
    "to write only the rows that are not in the ledger yet"
)


def _refusal(
    ledger: Path, file_name: str, previous: tuple[int, dt.datetime] | None, demo: bool, force: bool
) -> LedgerError | None:
    if demo:
        return DemoLedgerError(
            f"The ledger {ledger} holds synthetic demo data; real rows are never mixed with it. "
            "Switch to an empty ledger first (Data page, or: python -m analytics init --empty --force)."
        )
    if previous is not None and not force:
        return DuplicateFileError(
            f"{file_name} was already imported as batch {previous[0]} on {previous[1]:%Y-%m-%d %H:%M} UTC (same SHA-256). "
            f"Undo that batch first, or add --force to import it again: {FORCE_NOTE}."
        )
    return None


def refusal(result: ImportResult, ledger: Path | str, *, force: bool = False) -> LedgerError | None:
    """The error ``commit_import`` would raise before writing (a demo ledger, or the same file
    already imported without ``force``), or None: what a dry run reports."""
    previous = (result.previous_batch, result.previous_imported_at) if result.previous_batch is not None else None
    return _refusal(Path(ledger), result.file_name, previous, result.is_demo_ledger, force)


def _refuse(ledger: Path, file_name: str, previous: tuple[int, dt.datetime] | None, demo: bool, force: bool) -> None:
    error = _refusal(ledger, file_name, previous, demo, force)
    if error is not None:
        raise error


class _Refused(Exception):
    def __init__(self, result: ImportResult):
        self.result = result


def _write_batch(
    con: duckdb.DuckDBPyConnection, checked: CheckedRows, result: ImportResult, user: str
) -> tuple[int, int, int]:
    clean = checked.clean
    bad = result.bad_positions
    good = clean.drop(index=bad) if len(bad) else clean
    batch_id = con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM import_batches").fetchall()[0][0]
    first_party = con.execute("SELECT coalesce(max(party_id), 0) FROM parties").fetchall()[0][0]
    first_exchange = con.execute("SELECT coalesce(max(exchange_id), 0) FROM exchanges").fetchall()[0][0]
    rows = good[
        [
            "pos",
            "date",
            "date_precision",
            "party",
            "country_iso3",
            "party_family",
            "party_status",
            "form",
            "direction",
            "level",
            "event_id",
            "delegation_size",
            "topic",
            "source",
        ]
    ]
    # Ids in file order, assigned here: numbering a million rows in SQL costs a sort.
    rows = rows.assign(exchange_id=np.arange(first_exchange + 1, first_exchange + len(rows) + 1, dtype=np.int64))
    con.execute("SET enable_progress_bar = false")
    con.register("import_rows", rows)
    try:
        con.execute(
            """INSERT INTO parties (party_id, name, country_iso3, family, batch_id)
               SELECT ? + row_number() OVER (ORDER BY first_pos), party, country_iso3, party_family, ?
               FROM (SELECT party, country_iso3, any_value(party_family) AS party_family, min(pos) AS first_pos
                     FROM import_rows GROUP BY party, country_iso3) n
               WHERE NOT EXISTS (SELECT 1 FROM parties p
                                 WHERE p.name = n.party AND coalesce(p.country_iso3, '') = coalesce(n.country_iso3, ''))""",
            [first_party, batch_id],
        )
        new_parties = con.execute("SELECT count(*) FROM parties WHERE batch_id = ?", [batch_id]).fetchall()[0][0]
        con.execute(
            """INSERT INTO exchanges (exchange_id, date, date_precision, party_id, party_status, form, direction,
                                      level, event_id, delegation_size, topic, source, batch_id)
               SELECT r.exchange_id, CAST(r.date AS DATE), r.date_precision, p.party_id, r.party_status, r.form,
                      r.direction, r.level, r.event_id, r.delegation_size, r.topic, r.source, ?
               FROM import_rows r JOIN parties p
                 ON p.name = r.party AND coalesce(p.country_iso3, '') = coalesce(r.country_iso3, '')""",
            [batch_id],
        )
    finally:
        con.unregister("import_rows")
    written = con.execute("SELECT count(*) FROM exchanges WHERE batch_id = ?", [batch_id]).fetchall()[0][0]
    if written != len(rows):
        raise LedgerError(
            f"Import stopped: {written:,} of {len(rows):,} rows matched their party; nothing was written."
        )
    con.execute(
        """INSERT INTO import_batches (batch_id, file_name, sha256, sheet, rows_read, rows_written, rows_rejected,
                                       imported_at, imported_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            batch_id,
            result.file_name,
            result.sha256,
            result.sheet,
            result.rows_read,
            written,
            result.rows_read - written,
            dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
            user,
        ],
    )
    return batch_id, written, new_parties


def commit_import(
    prepared: PreparedImport,
    ledger: Path | str,
    *,
    skip_invalid: bool = False,
    force: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Write a prepared import as one batch, all or nothing.

    The checks that depend on the ledger run again inside the write transaction (another import
    may have run since ``prepare_import``). With any error and no ``skip_invalid`` nothing is
    written and the result lists the problems. Raises DemoLedgerError on a demo ledger and
    DuplicateFileError when the same file is already in the ledger, unless ``force``. ``force``
    lifts only that refusal: rows already in the ledger stay errors (no double counting), so a
    forced import writes the rest only with ``skip_invalid``.
    """
    report = progress or (lambda message, fraction: None)
    checked = prepared.checked
    user = user if user is not None else current_user(load_settings().user)
    result = prepared.result
    ledger = Path(ledger)
    previous = (result.previous_batch, result.previous_imported_at) if result.previous_batch is not None else None
    _refuse(ledger, checked.table.file_name, previous, result.is_demo_ledger, force)
    if not result.rows_valid or (result.rows_rejected and not skip_invalid):
        return result
    if not ledger.exists():
        ledger_module.create_ledger(ledger, demo=False)
    report("Copying the ledger", 0.65)
    try:
        with write_transaction(ledger) as con:
            previous, demo = _ledger_state(con, checked.table.sha256)
            _refuse(ledger, checked.table.file_name, previous, demo, force)
            report("Checking against the ledger", 0.7)
            fresh = _result(checked, check_against_ledger(checked, con), previous, demo)
            if not fresh.rows_valid or (fresh.rows_rejected and not skip_invalid):
                raise _Refused(fresh)
            report(f"Writing {fresh.rows_valid:,} rows", 0.75)
            batch_id, written, new_parties = _write_batch(con, checked, fresh, user)
            report("Saving the ledger", 0.9)
    except _Refused as refused:
        return refused.result
    report("Done", 1.0)
    return replace(fresh, written=True, batch_id=batch_id, rows_written=written, new_parties=new_parties)


def import_file(
    path: Path | str,
    ledger: Path | str,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    force: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one file into the ledger (what ``python -m analytics import`` runs).

    With ``skip_invalid`` the rows with errors are saved, with a ``reason`` column, to
    ``<file>.rejected.csv`` next to the input (also when no row was valid). When that file cannot
    be written the result says why in ``rejected_error``; the batch stays written. ``dry_run``
    only checks.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"No file at {path}.") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a folder, not a file.") from None
    prepared = prepare_import(data, path.name, ledger, sheet=sheet, progress=progress)
    if dry_run:
        return prepared.result
    result = commit_import(prepared, ledger, skip_invalid=skip_invalid, force=force, user=user, progress=progress)
    if skip_invalid and result.rows_rejected:
        target = path.with_name(path.name + ".rejected.csv")
        try:
            write_rejected(prepared.table, result.problems, target)
        except OSError as error:
            done = (
                f"the import itself is committed as batch {result.batch_id} ({result.rows_written:,} rows written; "
                f"undo it with: python -m analytics undo {result.batch_id})"
                if result.written
                else "nothing was written"
            )
            result = replace(
                result,
                rejected_error=(
                    f"the rejected rows could not be saved to {target} ({error.strerror or error}); {done}. "
                    "The rejected rows are the errors listed above."
                ),
            )
        else:
            result = replace(result, rejected_path=target)
    return result


def write_rejected(table: SourceTable, problems: pd.DataFrame, target: Path | str) -> Path:
    """Write the rows with errors and their reasons to ``target`` (CSV, UTF-8 with BOM, formulas
    neutralised), through a temporary file renamed into place. Raises OSError."""
    target = Path(target)
    with atomic.replacing(target) as temp:
        safe_frame(rejected_frame(table, problems)).to_csv(temp, index=False, encoding="utf-8-sig")
    return target


# --------------------------------------------------------------------------------------------
# History, undo, export in the import format, template


def batch_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every import batch, newest first."""
    return con.execute(
        """SELECT batch_id, imported_at, imported_by, file_name, sheet, rows_read, rows_written, rows_rejected,
                  undone_at, sha256
           FROM import_batches ORDER BY batch_id DESC"""
    ).fetchdf()


@dataclass(frozen=True)
class UndoResult:
    """What ``undo_batch`` removed."""

    batch_id: int
    file_name: str
    exchanges_removed: int
    parties_removed: int


def restart_transaction(con: duckdb.DuckDBPyConnection) -> None:
    """Commit and begin again inside ``write_transaction``.

    DuckDB refuses to delete a parent row (a party) in the transaction that deleted its children
    (the exchanges). ``write_transaction`` works on a private copy that replaces the ledger only
    when the whole block succeeds, so committing half-way on the copy stays all or nothing.
    """
    con.execute("COMMIT")
    con.execute("BEGIN TRANSACTION")


def undo_batch(ledger: Path | str, batch_id: int) -> UndoResult:
    """Remove exactly the exchanges of one batch, and the parties it created that no longer have
    an exchange; the batch stays in the history with its ``undone_at`` time."""
    with write_transaction(ledger) as con:
        found = next(
            iter(
                con.execute("SELECT file_name, undone_at FROM import_batches WHERE batch_id = ?", [batch_id]).fetchall()
            ),
            None,
        )
        if found is None:
            known = [
                str(row[0]) for row in con.execute("SELECT batch_id FROM import_batches ORDER BY batch_id").fetchall()
            ]
            raise BatchError(
                f"There is no batch {batch_id}; batches: {', '.join(known) or 'none yet'} (see: python -m analytics history)."
            )
        if found[1] is not None:
            raise BatchError(f"Batch {batch_id} ({found[0]}) was already undone on {found[1]:%Y-%m-%d %H:%M}.")
        exchanges = con.execute("SELECT count(*) FROM exchanges WHERE batch_id = ?", [batch_id]).fetchall()[0][0]
        con.execute("DELETE FROM exchanges WHERE batch_id = ?", [batch_id])
        restart_transaction(con)
        parties = con.execute(
            """SELECT count(*) FROM parties p WHERE p.batch_id = ?
               AND NOT EXISTS (SELECT 1 FROM exchanges e WHERE e.party_id = p.party_id)""",
            [batch_id],
        ).fetchall()[0][0]
        con.execute(
            """DELETE FROM parties p WHERE p.batch_id = ?
               AND NOT EXISTS (SELECT 1 FROM exchanges e WHERE e.party_id = p.party_id)""",
            [batch_id],
        )
        con.execute(
            "UPDATE import_batches SET undone_at = ? WHERE batch_id = ?",
            [dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0), batch_id],
        )
    return UndoResult(batch_id=batch_id, file_name=found[0], exchanges_removed=exchanges, parties_removed=parties)


def ledger_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every exchange in the import format (dates written at their precision, country as ISO3):
    importing it into an empty ledger gives the same content."""
    return con.execute(
        """SELECT CASE date_precision WHEN 'day' THEN strftime(date, '%Y-%m-%d')
                                      WHEN 'month' THEN strftime(date, '%Y-%m')
                                      ELSE strftime(date, '%Y') END AS date,
                  party, coalesce(country_iso3, '') AS country, party_family, party_status, form, direction, level,
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
        raise LedgerError(f"Could not read the ledger {ledger}: {error}") from error
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
    return (",".join(COLUMNS) + "\n").encode("utf-8")


def template_xlsx() -> bytes:
    """The Excel template: a 'Ledger' sheet (header and drop-down lists of codes), 'Codes' and 'Examples'."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Ledger"
    sheet.append(list(COLUMNS))
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
    examples.append(list(COLUMNS))
    for row in TEMPLATE_EXAMPLES:
        examples.append([row[column] if row[column] != "" else None for column in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_template(path: Path | str) -> Path:
    """Write the template to ``path`` (.csv or .xlsx), whole or not at all."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInputError(f"Cannot write a template named {path.name}: use a .csv or .xlsx file name.")
    return atomic.write_bytes(path, template_csv() if suffix == ".csv" else template_xlsx())
