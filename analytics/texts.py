"""Texts shared by several outputs, written once: the source line and the demo-data notes.

Charts on screen (``chart_catalog.footnote``), exported pictures and data files (``export``),
slide decks and PDF packs (``briefing``) all say where the numbers come from and, for the
synthetic demo ledger, that no meeting shown happened; they take these words from here. The
coming message catalogue replaces these constants with its entries.
"""

from __future__ import annotations

SOURCE = "Party-to-party exchange ledger"
DEMO_MARK = "Demo data"
DEMO_NOTE = f"{DEMO_MARK}: synthetic ledger with invented parties"
# The short form beside the red mark in the corner of an exported picture.
DEMO_STAMP_DETAIL = "synthetic, invented parties"
DEMO_WARNING = f"{DEMO_NOTE}: no meeting shown here happened."
REAL_DATA_NOTE = "Real ledger data"
