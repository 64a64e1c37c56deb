"""The "What changed" panel: the few most notable findings of the page's filters, in words
(``analytics.findings``), each with a link that opens the chart showing it with the finding's
filters applied (a party's finding opens its profile).

Every analysis page calls ``what_changed(filters)`` once, under its header; the findings come
from ``pages.cache.findings_of`` (cached on the ledger's signature, the filters and the
language), and each sentence is escaped before it becomes Markdown (a party name is data).
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from analytics import chart_catalog, findings, profiles
from analytics.filters import Filters
from analytics.i18n import t
from analytics.untrusted import markdown_literal
from pages import cache
from pages.filter_state import current_filters, link_params

TOP = 4  # findings shown
PROFILES_PAGE = "pages/profiles.py"


def chart_page(chart: str) -> str:
    """The page file of a catalog chart ('Party types' -> 'pages/party_types.py')."""
    return "pages/" + chart_catalog.CHARTS[chart].page.lower().replace(" ", "_") + ".py"


def _link(filters: Filters, row) -> None:
    """The link beside one finding: its chart's page with its filters, or a party's profile."""
    params: dict[str, str | list[str]]
    if row.dimension == "party":
        name, iso3 = findings.split_party(row.subject)
        profile = profiles.Profile("party", iso3=iso3 or "", party=name)
        params = {**link_params(filters), "profile": profile.to_param()}
        page, help_text = PROFILES_PAGE, t("page.findings.profile.help")
    else:
        params = dict(link_params(findings.finding_filters(filters, row.dimension, row.subject)))
        page = chart_page(row.chart)
        help_text = t("page.findings.open.help", chart=chart_catalog.CHARTS[row.chart].title)
    try:
        st.page_link(
            page, label=t("page.findings.open"), icon=":material/open_in_new:", help=help_text, query_params=params
        )
    except StreamlitPageNotFoundError:
        pass  # a page run on its own (not through dashboard.py) has no other page to link to


def what_changed(filters: Filters | None = None, *, top: int = TOP) -> None:
    """The panel for ``filters`` (the sidebar's by default); nothing when nothing passes the
    thresholds (``docs/findings.md``)."""
    shown = filters or current_filters()
    found = cache.findings_of(shown, top=top)
    if found.empty:
        return
    with st.container(border=True, key="what_changed"):
        st.markdown(":material/insights: **" + t("page.findings.title") + "**")
        for row in found.itertuples():
            text, link = st.columns([7, 1], vertical_alignment="center")
            text.markdown(markdown_literal(row.text))
            with link:
                _link(shown, row)
