"""The analytics of party-to-party exchanges: the ledger, its metrics, charts, exports and CLI.

Everything here runs without Streamlit (the pages in ``pages/`` are the UI on top of it). The
layers, and where each kind of thing lives, are in ``docs/architecture.md``.
"""
