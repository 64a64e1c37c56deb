"""The import format (``docs/ledger-format.md``) as data: its columns, which are required, the
code lists, the limits of a cell, and ``SourceTable``, a file read as text cells.

Imported by every other module of ``analytics.importer`` (reading, header matching, validation,
the batch write and the templates); the names are re-exported by the package for the CLI's
``import`` commands and the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics import dimensions, i18n

Progress = Callable[[str, float], None]


COLUMNS: tuple[str, ...] = (
    "date",
    "party",
    "party_zh",
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


# The coded columns and their codes, from the dimension registry.
CODE_COLUMNS: dict[str, tuple[str, ...]] = {d.column: d.vocabulary for d in dimensions.CODED}


CODE_DEFAULTS: dict[str, str] = {"party_status": "unknown", "level": "unknown"}


# Read when present, beyond the format's columns: the Explorer's ledger download carries them, so
# that file imports back with its dates at their precision and its countries by code.
EXTRA_COLUMNS: tuple[str, ...] = ("date_precision", "country_iso3")


KNOWN_COLUMNS: tuple[str, ...] = COLUMNS + EXTRA_COLUMNS


DATE_PRECISIONS: tuple[str, ...] = ("day", "month", "year")


# Free text: the party's name (and its optional name in Chinese, shown in Chinese views), the event,
# the topic and the source; each is checked like the others (cell length, direction controls).
TEXT_COLUMNS: tuple[str, ...] = ("party", "party_zh", "event_id", "topic", "source")


# The most a spreadsheet cell holds (Excel's limit); longer cells are rejected, not truncated.
MAX_CELL_CHARS = 32_767


MAX_DELEGATION = 100_000


FORMULA_CHARACTERS = "=+-@"


SHOWN_CHARS = 60


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
    if len(text) <= limit:
        return text
    return i18n.t("importer.value.cut", start=text[:limit], length=i18n.number(len(text)))
