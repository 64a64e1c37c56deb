"""Matching a file's header row to the import format: spelling and case are forgiven, a
duplicated or missing required column is an ``ImportFileError`` with a guess of what was meant,
unknown columns are noted and ignored.

Called by ``decode.read_table`` only.
"""

from __future__ import annotations

import difflib
import re

from analytics import i18n
from analytics.importer.columns import KNOWN_COLUMNS, REQUIRED, _shown
from analytics.importer.errors import ImportFileError

# The name given to a column without a header: '(unnamed 3)' (read back by ``decode``).
UNNAMED = "(unnamed "


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
                errors.append(
                    i18n.t(
                        "importer.file.duplicate_column",
                        file=file_name,
                        first=seen[key],
                        second=number,
                        column=repr(key),
                    )
                )
            seen[key] = number
            names.append(key)
        elif not key:
            names.append(f"{UNNAMED}{number})")
        else:
            label = cell.strip()
            while label in names or label in KNOWN_COLUMNS:
                label += "_"
            names.append(label)
            unknown.append(label)
    missing = [column for column in REQUIRED if column not in seen]
    if missing and len(header) == 1 and separator is not None:
        errors.append(i18n.t("importer.file.one_column", file=file_name, header=repr(_shown(header[0]))))
    elif missing:
        for column in missing:
            hint = difflib.get_close_matches(column, [_header_key(name) for name in unknown], n=1, cutoff=0.6)
            guess = (
                i18n.t(
                    "importer.file.column_guess",
                    given=repr(unknown[[_header_key(n) for n in unknown].index(hint[0])]),
                    column=repr(column),
                )
                if hint
                else ""
            )
            errors.append(i18n.t("importer.file.missing_column", file=file_name, column=repr(column), guess=guess))
    if errors:
        raise ImportFileError(*errors)
    for label in unknown:
        notes.append(i18n.t("importer.note.unknown_column", column=repr(_shown(label))))
    return names
