"""The registry of output formats: one frozen record per file format the app and the CLI write
(its name, extension and aliases, MIME type, a short label and the kinds of output it serves),
with a lookup by name and by file name.

Pure data, no writers and no heavy imports, so every layer can read it: ``analytics.export``
(chart pictures and chart data), ``analytics.importer`` (ledger rows, templates, the file kinds a
reader accepts), ``analytics.briefing`` (decks and PDF packs), ``analytics.backup`` (the .zip),
and the pages' download buttons for their MIME types. The writers stay with the modules that own
them (``export.FORMATS`` keeps each chart writer): the registry says what a format is, its owner
how it is written, and no import cycle arises.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analytics.errors import InvalidInputError

# The kinds of output a format serves.
CHART_PICTURE = "chart picture"
CHART_DATA = "chart data"
LEDGER_ROWS = "ledger rows"
TEMPLATE = "template"
BRIEFING = "briefing"
BRIEFING_SPEC = "briefing spec"
BACKUP = "backup"
KINDS: tuple[str, ...] = (CHART_PICTURE, CHART_DATA, LEDGER_ROWS, TEMPLATE, BRIEFING, BRIEFING_SPEC, BACKUP)


@dataclass(frozen=True)
class OutputFormat:
    """One file format: ``extension`` is the one written; ``aliases`` name the same format when a
    file is named (``.htm``); ``read_aliases`` are accepted only when a file is read (an importer
    reads ``.tsv`` as CSV, ``.xlsm`` as a workbook, ``.pq`` as Parquet)."""

    name: str
    extension: str
    mime: str
    label: str
    serves: frozenset[str]
    aliases: tuple[str, ...] = ()
    read_aliases: tuple[str, ...] = ()

    def extensions(self, *, reading: bool = False) -> tuple[str, ...]:
        """Every extension this format answers to (without the dot), the written one first."""
        return (self.extension, *self.aliases, *(self.read_aliases if reading else ()))


FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("png", "png", "image/png", "PNG image", frozenset({CHART_PICTURE})),
        OutputFormat("svg", "svg", "image/svg+xml", "SVG vector", frozenset({CHART_PICTURE})),
        OutputFormat("pdf", "pdf", "application/pdf", "PDF", frozenset({CHART_PICTURE, BRIEFING})),
        OutputFormat("html", "html", "text/html", "Interactive HTML", frozenset({CHART_PICTURE}), aliases=("htm",)),
        OutputFormat(
            "csv", "csv", "text/csv", "CSV", frozenset({CHART_DATA, LEDGER_ROWS, TEMPLATE}), read_aliases=("tsv", "txt")
        ),
        OutputFormat(
            "xlsx",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel workbook",
            frozenset({CHART_DATA, LEDGER_ROWS, TEMPLATE}),
            read_aliases=("xlsm",),
        ),
        OutputFormat(
            "parquet",
            "parquet",
            "application/vnd.apache.parquet",
            "Parquet",
            frozenset({LEDGER_ROWS}),
            read_aliases=("pq",),
        ),
        OutputFormat(
            "pptx",
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "PowerPoint deck",
            frozenset({BRIEFING}),
        ),
        OutputFormat("json", "json", "application/json", "JSON", frozenset({BRIEFING_SPEC})),
        OutputFormat("zip", "zip", "application/zip", "Zip archive", frozenset({BACKUP})),
    )
}


def names(kind: str) -> tuple[str, ...]:
    """The formats serving ``kind``, in registry order."""
    if kind not in KINDS:
        raise InvalidInputError(f"Unknown kind of output {kind!r}; kinds: {', '.join(KINDS)}.")
    return tuple(name for name, f in FORMATS.items() if kind in f.serves)


def _spoken(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def extension_list(kind: str) -> str:
    """'.csv, .xlsx or .parquet': the written extensions of a kind, for a message."""
    return _spoken([f".{FORMATS[name].extension}" for name in names(kind)])


def get(name: str, kind: str | None = None) -> OutputFormat:
    """The format called ``name`` (serving ``kind`` when given); InvalidInputError otherwise."""
    found = FORMATS.get(str(name).lower().lstrip("."))
    if found is None or (kind is not None and kind not in found.serves):
        known = names(kind) if kind is not None else tuple(FORMATS)
        what = f"{kind} format" if kind is not None else "output format"
        raise InvalidInputError(f"Unknown {what} {name!r}; formats: {', '.join(known)}.")
    return found


def find_file(file_name: str | Path, kind: str | None = None, *, reading: bool = False) -> OutputFormat | None:
    """The format of a file by its extension (aliases included; reader-only aliases when
    ``reading``), among those serving ``kind`` when given; None when there is none."""
    suffix = Path(file_name).suffix.lower().lstrip(".")
    for name in names(kind) if kind is not None else FORMATS:
        if suffix and suffix in FORMATS[name].extensions(reading=reading):
            return FORMATS[name]
    return None


def for_file(file_name: str | Path, kind: str | None = None, *, reading: bool = False) -> OutputFormat:
    """``find_file``, or InvalidInputError naming the extensions that would do."""
    found = find_file(file_name, kind, reading=reading)
    if found is None:
        what = f"a {kind} file" if kind is not None else "an output file"
        allowed = extension_list(kind) if kind is not None else _spoken([f".{f.extension}" for f in FORMATS.values()])
        raise InvalidInputError(f"Cannot tell the format of {Path(file_name).name!r} for {what}: use {allowed}.")
    return found
