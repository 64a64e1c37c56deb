"""The entry-script guard: ``dashboard.py`` wraps each run in ``entry_run()``, and every page
calls ``ensure_entry()`` (through the page header or the demo badge) so that a page script
started on its own by Streamlit reruns through ``dashboard.py`` and gets the sidebar filters
and the page menu. A page run on its own sets its language (``pages/filter_state.start_language``)
and signs in here (``pages/signin.gate``). Only ``pages/signin.py`` and ``pages/filter_state.py``
are needed here, so any other module of ``pages/`` but those may import it.
"""

from __future__ import annotations

import contextlib
import threading

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages import filter_state, signin

_run = threading.local()


@contextlib.contextmanager
def entry_run():
    """Marks a script run that went through ``dashboard.py`` (see ``ensure_entry``)."""
    _run.active = True
    try:
        yield
    finally:
        _run.active = False


def ensure_entry() -> None:
    """Rerun through ``dashboard.py`` when a page script was started on its own.

    Streamlit keeps the old "pages/ folder" multipage mode for an app that has a ``pages/``
    folder until the first run reaches ``st.navigation``: the first visit of a fresh server on
    a deep link (``/trends``), and every AppTest rerun, would run the page file alone, without
    the sidebar filters and with every file of ``pages/`` in the menu. This switches that
    mode off (Streamlit's own flag, the one ``st.navigation`` sets) and reruns, so the entry
    script runs and routes to the same page with the same URL.
    """
    if getattr(_run, "active", False):
        return  # came through dashboard.py, which set the language and signed in before the page
    filter_state.start_language()  # every word of a page run on its own in the run's language
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    # A page script run on its own on purpose (a test): it signs in here, before any content.
    if signin.gate() is None:
        st.stop()
