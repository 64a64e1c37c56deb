"""Streamlit entry of the dashboard: ``streamlit run dashboard.py``.

Sets the language of the run first (the URL's ``lang``, the sidebar switch, ``LEDGER_LANG``; see
``pages/filter_state.start_language``), so every word of the run comes out in it; sets up the page, refuses to serve an open address without sign-in (``analytics.serving``), shows the
sign-in form until someone signs in (``pages/signin.py``), draws the shared filters in the sidebar (kept in the URL, see
``pages/filter_state.py``) and routes to the pages with ``st.navigation``: Overview (the default),
Trends, Party types, Regions, Compare, Explorer, Profiles, Relationships, and Data and Briefing when their
page files are present.
"""

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from analytics import serving
from analytics.i18n import LanguageError, t
from analytics.ledger import LedgerError
from analytics.settings import load_settings
from analytics.untrusted import markdown_literal
from pages import entry, filter_state, signin

ROOT = Path(__file__).resolve().parent
# (page file, catalogue key of its name, icon, key of its menu section)
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("pages/overview.py", "nav.overview", ":material/dashboard:", "nav.section.analysis"),
    ("pages/trends.py", "nav.trends", ":material/show_chart:", "nav.section.analysis"),
    ("pages/party_types.py", "nav.party_types", ":material/groups:", "nav.section.analysis"),
    ("pages/regions.py", "nav.regions", ":material/public:", "nav.section.analysis"),
    ("pages/compare.py", "nav.compare", ":material/compare_arrows:", "nav.section.analysis"),
    ("pages/explorer.py", "nav.explorer", ":material/table_view:", "nav.section.analysis"),
    ("pages/profiles.py", "nav.profiles", ":material/badge:", "nav.section.analysis"),
    ("pages/relationships.py", "nav.relationships", ":material/hub:", "nav.section.analysis"),
    ("pages/records.py", "nav.records", ":material/edit_note:", "nav.section.ledger"),
    ("pages/parties.py", "nav.parties", ":material/diversity_3:", "nav.section.ledger"),
    ("pages/data.py", "nav.data", ":material/upload_file:", "nav.section.ledger"),
    ("pages/briefing.py", "nav.briefing", ":material/slideshow:", "nav.section.ledger"),
)


def navigation(*, shown: bool = True) -> StreamlitPage:
    """The page menu in the run's language (hidden before sign-in); pages whose file does not
    exist (yet) are left out."""
    sections: dict[str, list[st.Page]] = {}
    for path, title, icon, section in PAGES:
        if (ROOT / path).exists():
            # url_path = the file name, as Streamlit's old pages/ mode names it: a deep link on a
            # fresh server then finds its page (see pages/entry.ensure_entry).
            page = st.Page(path, title=t(title), icon=icon, url_path=Path(path).stem, default=path == PAGES[0][0])
            sections.setdefault(t(section), []).append(page)
    return st.navigation(sections, position="sidebar" if shown else "hidden")


# The language before anything else: the page title, the sign-in form and every error follow it.
try:
    filter_state.start_language()
except LanguageError as error:  # LEDGER_LANG names no language: said in English, the only one left
    st.error(markdown_literal(error), icon=":material/error:")
    st.stop()
st.set_page_config(page_title=t("app.title"), page_icon="🌐", layout="wide", initial_sidebar_state="expanded")
# The address Streamlit really serves on (a hand-started `streamlit run` skips `analytics serve`).
refusal = serving.open_refusal(st.get_option("server.address") or "", load_settings())
if refusal:
    st.error(refusal, icon=":material/block:")
    st.stop()
with entry.entry_run():
    # Until someone signs in, the form is all there is: no menu, no filters, no page, no number.
    filter_state.language_switch()
    actor = signin.gate()
    router = navigation(shown=actor is not None)
    if actor is None:
        warning = filter_state.language_warning()
        if warning:
            st.warning(warning, icon=":material/link_off:")
        st.stop()
    signin.account_sidebar(actor)
    try:
        filter_state.filters_sidebar(router.url_path)
    except LedgerError as error:
        st.error(t("app.ledger_error", reason=markdown_literal(error)), icon=":material/error:")
        st.stop()
    router.run()
