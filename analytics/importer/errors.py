"""The importer's errors, each a ``LedgerError`` (so a ``DomainError``) whose message a user can act on.

Raised by ``decode`` / ``headers`` (a file that cannot be a ledger table), ``batch`` (a demo
ledger, the same file imported twice) and ``history`` (an unknown or undone batch); the CLI and
the Data page catch them through the one root ``analytics.errors.DomainError``.
"""

from __future__ import annotations

from analytics.ledger import LedgerError


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
