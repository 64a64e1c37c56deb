"""The one root of every error a user can act on, and its two branches.

Every module of ``analytics`` raises a subclass of ``DomainError`` when the cause is something a
user can fix (a bad filter value, a malformed file, a busy or missing ledger, no browser for
export); the message says what is wrong and where. The CLI (``analytics.cli.main``) and the pages
catch ``DomainError`` only, so anything else is a bug and surfaces as one.
"""

from __future__ import annotations


class DomainError(Exception):
    """A problem the user can fix; the message says what is wrong and where."""


class InvalidInputError(DomainError, ValueError):
    """A value the user gave (a flag, a filter, a file name, an option) that is not valid.

    Also a ``ValueError``, as these errors were before they had a common root.
    """
