"""The output format registry (analytics/formats.py) and the modules that take their formats from it."""

from __future__ import annotations

import pytest

from analytics import backup, briefing, export, formats, importer
from analytics.errors import InvalidInputError


def test_every_format_serves_a_known_kind_and_has_a_mime_type():
    for record in formats.FORMATS.values():
        assert record.serves and record.serves <= set(formats.KINDS)
        assert "/" in record.mime
        assert record.extensions()[0] == record.extension


def test_the_modules_take_their_formats_from_the_registry():
    for key, fmt in export.FORMATS.items():
        record = formats.get(key)
        assert (fmt.extension, fmt.mime) == (record.extension, record.mime)
        assert record.serves & {formats.CHART_PICTURE, formats.CHART_DATA}
    assert importer.ROW_FORMATS == ("csv", "xlsx", "parquet") == formats.names(formats.LEDGER_ROWS)
    assert set(briefing.FORMATS) == set(briefing.BUILDERS) == set(formats.names(formats.BRIEFING))
    assert backup.FILE_FORMAT.extension == "zip"


@pytest.mark.parametrize(
    ("file_name", "kind", "reading", "expected"),
    [
        ("chart.HTM", formats.CHART_PICTURE, False, "html"),
        ("rows.pq", formats.LEDGER_ROWS, True, "parquet"),
        ("rows.pq", formats.LEDGER_ROWS, False, None),
        ("book.xlsm", formats.LEDGER_ROWS, True, "xlsx"),
        ("notes.txt", formats.LEDGER_ROWS, True, "csv"),
        ("notes.txt", formats.CHART_DATA, False, None),
        ("deck.pptx", formats.BRIEFING, False, "pptx"),
        ("deck.pptx", formats.CHART_PICTURE, False, None),
        ("no-extension", None, False, None),
    ],
)
def test_find_file(file_name, kind, reading, expected):
    found = formats.find_file(file_name, kind, reading=reading)
    assert (found.name if found else None) == expected


def test_lookups_raise_one_invalid_input_error():
    with pytest.raises(InvalidInputError, match=r"Unknown ledger rows format 'pptx'; formats: csv, xlsx, parquet\."):
        formats.get("pptx", formats.LEDGER_ROWS)
    with pytest.raises(InvalidInputError, match=r"'x\.doc' for a template file: use \.csv or \.xlsx\."):
        formats.for_file("/tmp/x.doc", formats.TEMPLATE)
    assert formats.get(".XLSX").name == "xlsx"
