"""Texts shared by several outputs, in the current language: the source line and the demo-data notes.

Charts on screen (``chart_catalog.footnote``), exported pictures and data files (``export``),
slide decks and PDF packs (``briefing``) all say where the numbers come from and, for the
synthetic demo ledger, that no meeting shown happened; they take these words from here, and these
functions from the message catalogue (``analytics.i18n``).
"""

from __future__ import annotations

from analytics.i18n import t


def source() -> str:
    """The default source line: 'Party-to-party exchange ledger'."""
    return t("text.source")


def demo_mark() -> str:
    """The short red mark on anything drawn from the demo ledger: 'Demo data'."""
    return t("text.demo_mark")


def demo_note() -> str:
    """'Demo data: synthetic ledger with invented parties'."""
    return t("text.demo_note", mark=demo_mark())


def demo_stamp_detail() -> str:
    """The short form beside the red mark in the corner of an exported picture."""
    return t("text.demo_stamp_detail")


def demo_warning() -> str:
    """'Demo data: synthetic ledger with invented parties: no meeting shown here happened.'"""
    return t("text.demo_warning", note=demo_note())


def real_data_note() -> str:
    """'Real ledger data': what a data file's notes say of a real ledger."""
    return t("text.real_data")
