"""Whether a checked import may be written now, and if not, why: one decision for the Data
page's Import button, so the page does not re-derive the rules.

``import_block(result, ledger, skip_invalid=..., force=...)`` asks ``importer.refusal`` (the
refusals ``commit_import`` raises before writing: a demo ledger, the same file already imported
without ``force``) and ``importer.writes_nothing`` (the row rules under which ``commit_import``
writes nothing: no valid row; rows with errors without ``skip_invalid``). It returns an ``ImportBlock`` naming the first
rule that applies, in the order a user must deal with them, or None; the page words each one.
"""

from __future__ import annotations

import enum
from pathlib import Path

from analytics.importer import DemoLedgerError, DuplicateFileError, ImportResult, refusal, writes_nothing


class ImportBlock(enum.Enum):
    """Why a checked file cannot be imported as it stands."""

    DEMO_LEDGER = "demo_ledger"  # the ledger holds synthetic demo data
    NOTHING_NEW = "nothing_new"  # no valid row, and the same file was imported before
    NOTHING_VALID = "nothing_valid"  # no valid row
    MUST_SKIP = "must_skip"  # rows with errors, and skipping them was not chosen
    MUST_FORCE = "must_force"  # the same file was imported before, and importing it again was not chosen


def import_block(
    result: ImportResult, ledger: Path | str, *, skip_invalid: bool = False, force: bool = False
) -> ImportBlock | None:
    """The first reason the import of ``result`` into ``ledger`` would write nothing, or None."""
    refused = refusal(result, ledger, force=force)
    if isinstance(refused, DemoLedgerError):
        return ImportBlock.DEMO_LEDGER
    if not result.rows_valid:
        return ImportBlock.NOTHING_NEW if result.previous_batch is not None else ImportBlock.NOTHING_VALID
    if writes_nothing(result, skip_invalid=skip_invalid):
        return ImportBlock.MUST_SKIP
    if isinstance(refused, DuplicateFileError):
        return ImportBlock.MUST_FORCE
    return None
