"""The decision behind the Data page's Import button (``analytics.import_policy``): which rule
blocks a checked file, in the order the page names them, from hand-made import results."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.import_policy import ImportBlock, import_block
from analytics.importer import ImportResult, writes_nothing

EARLIER = dt.datetime(2025, 1, 2, 3, 4)


def result(read: int, valid: int, *, previous: int | None = None, demo: bool = False) -> ImportResult:
    return ImportResult(
        file_name="ledger.csv",
        sha256="0" * 64,
        sheet=None,
        rows_read=read,
        rows_valid=valid,
        problems=pd.DataFrame(),
        notes=[],
        previous_batch=previous,
        previous_imported_at=EARLIER if previous is not None else None,
        is_demo_ledger=demo,
    )


@pytest.mark.parametrize(
    ("checked", "skip", "force", "expected"),
    [
        (result(3, 3), False, False, None),
        (result(3, 3, demo=True), False, False, ImportBlock.DEMO_LEDGER),
        (result(3, 0, demo=True, previous=1), True, True, ImportBlock.DEMO_LEDGER),
        (result(3, 0, previous=1), False, False, ImportBlock.NOTHING_NEW),
        (result(3, 0, previous=1), True, True, ImportBlock.NOTHING_NEW),
        (result(3, 0), True, False, ImportBlock.NOTHING_VALID),
        (result(0, 0), False, False, ImportBlock.NOTHING_VALID),
        (result(3, 2), False, False, ImportBlock.MUST_SKIP),
        (result(3, 2), True, False, None),
        (result(3, 2, previous=1), False, False, ImportBlock.MUST_SKIP),
        (result(3, 2, previous=1), True, False, ImportBlock.MUST_FORCE),
        (result(3, 3, previous=1), False, False, ImportBlock.MUST_FORCE),
        (result(3, 3, previous=1), False, True, None),
        (result(3, 2, previous=1), True, True, None),
    ],
)
def test_import_block(tmp_path, checked, skip, force, expected):
    assert import_block(checked, tmp_path / "ledger.duckdb", skip_invalid=skip, force=force) is expected


@pytest.mark.parametrize(
    ("checked", "skip", "expected"),
    [
        (result(3, 3), False, False),
        (result(3, 2), False, True),
        (result(3, 2), True, False),
        (result(3, 0), True, True),
    ],
)
def test_writes_nothing(checked, skip, expected):
    assert writes_nothing(checked, skip_invalid=skip) is expected
