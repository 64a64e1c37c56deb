"""Matching a file's header row to the import format: spelling and case are forgiven, a
duplicated or missing required column is an ``ImportFileError`` with a guess of what was meant,
unknown columns are noted and ignored.

Called by ``decode.read_table`` only.
"""

from __future__ import annotations

import difflib
import re

from analytics.importer.columns import KNOWN_COLUMNS, REQUIRED, _shown
from analytics.importer.errors import ImportFileError


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(text).replace("\ufeff", "").strip().lower())


def match_headers(header: list[str], file_name: str, separator: str | None, notes: list[str]) -> list[str]:
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
