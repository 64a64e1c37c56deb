"""How party names are compared: ``match_key`` is what the importer matches on (case and runs
of spaces do not count), ``fold_key`` what the possible-duplicates report matches on (accents,
punctuation and spaces do not count either), ``closeness`` how near two folded names are.

Pure functions on text, used by ``analytics.parties`` and the importer; they never touch the
ledger. A key is for comparing only: the ledger always shows a name as it was typed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Names at least this close (difflib's ratio of their folded keys) are reported as possible duplicates.
CLOSE_NAMES = 0.92
# Folded keys shorter than this are only reported when equal: "PSD" and "PSP" are two parties.
CLOSE_MIN_LENGTH = 8


def match_key(name: str) -> str:
    """The name as the importer matches it: Unicode-normalised (NFKC), case-folded, every run of
    spaces (tabs and no-break spaces too) one space, no space at either end."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name).casefold()).strip()


def fold_key(name: str) -> str:
    """The name as the duplicates report compares it: ``match_key`` without accents, without
    punctuation or symbols, and without spaces ("Fianna  Fáil" and "fianna-fail" fold alike)."""
    decomposed = unicodedata.normalize("NFKD", match_key(name))
    kept = (
        character
        for character in decomposed
        if not unicodedata.category(character).startswith(("M", "P", "S", "Z")) and not character.isspace()
    )
    return unicodedata.normalize("NFC", "".join(kept))


def closeness(first: str, second: str) -> float:
    """How alike two names are after folding, 0 to 1 (1: they fold alike)."""
    a, b = fold_key(first), fold_key(second)
    if a == b:
        return 1.0
    if min(len(a), len(b)) < CLOSE_MIN_LENGTH:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
