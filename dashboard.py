"""Streamlit entry of the dashboard: ``streamlit run dashboard.py``.

Sets up the page, refuses to serve an open address without sign-in (``analytics.serving``), shows the
sign-in form until someone signs in (``pages/signin.py``), draws the shared filters in the sidebar (kept in the URL, see
``pages/filter_state.py``) and routes to the pages with ``st.navigation``: Overview (the default),
Trends, Party types, Regions, Compare, Explorer, Profiles, and Data and Briefing when their
page files are present.
"""

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from analytics import serving
from analytics.ledger import LedgerError
from analytics.settings import load_settings
from analytics.untrusted import markdown_literal
from pages import entry, filter_state, signin

ROOT = Path(__file__).resolve().parent
# (page file, title, icon, section)
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("pages/overview.py", "Overview", ":material/dashboard:", "Analysis"),
    ("pages/trends.py", "Trends", ":material/show_chart:", "Analysis"),
    ("pages/party_types.py", "Party types", ":material/groups:", "Analysis"),
    ("pages/regions.py", "Regions", ":material/public:", "Analysis"),
    ("pages/compare.py", "Compare", ":material/compare_arrows:", "Analysis"),
    ("pages/explorer.py", "Explorer", ":material/table_view:", "Analysis"),
    ("pages/profiles.py", "Profiles", ":material/badge:", "Analysis"),
    ("pages/data.py", "Data", ":material/upload_file:", "Ledger"),
    ("pages/briefing.py", "Briefing", ":material/slideshow:", "Ledger"),
)


def navigation(*, shown: bool = True) -> StreamlitPage:
    """The page menu (hidden before sign-in); pages whose file does not exist (yet) are left out."""
    sections: dict[str, list[st.Page]] = {}
    for path, title, icon, section in PAGES:
        if (ROOT / path).exists():
            # url_path = the file name, as Streamlit's old pages/ mode names it: a deep link on a
            # fresh server then finds its page (see pages/entry.ensure_entry).
            page = st.Page(path, title=title, icon=icon, url_path=Path(path).stem, default=path == PAGES[0][0])
            sections.setdefault(section, []).append(page)
    return st.navigation(sections, position="sidebar" if shown else "hidden")


st.set_page_config(
    page_title="Party-to-party exchanges", page_icon="🌐", layout="wide", initial_sidebar_state="expanded"
)
# The address Streamlit really serves on (a hand-started `streamlit run` skips `analytics serve`).
refusal = serving.open_refusal(st.get_option("server.address") or "", load_settings())
if refusal:
    st.error(refusal, icon=":material/block:")
    st.stop()
with entry.entry_run():
    # Until someone signs in, the form is all there is: no menu, no filters, no page, no number.
    actor = signin.gate()
    router = navigation(shown=actor is not None)
    if actor is None:
        st.stop()
    signin.account_sidebar(actor)
    try:
        filter_state.filters_sidebar(router.url_path)
    except LedgerError as error:
        st.error(f"**The ledger cannot be opened.** {markdown_literal(error)}", icon=":material/error:")
        st.stop()
    router.run()
