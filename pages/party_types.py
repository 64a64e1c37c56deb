"""Party types: party families over time (counts and 100% shares), the share of ruling,
coalition and opposition parties, the family x region heatmap and the top parties of each
family."""

import streamlit as st

from analytics.i18n import t
from pages import chart_display, filter_state, findings_panel, furniture

current = furniture.page_header("nav.party_types", "page.party_types.intro")
if not furniture.has_rows(current):
    furniture.empty_state()
    st.stop()
findings_panel.what_changed(current)

# The view's URL word (as before: its English name) -> (catalogue key of its name, chart).
VIEWS = {
    "Counts": ("page.party_types.view.counts", "families-per-year"),
    "100% shares": ("page.party_types.view.shares", "families-share-per-year"),
}
filter_state.url_option("view", "party_types_view", list(VIEWS), "Counts")
view = (
    st.segmented_control(
        t("page.party_types.view"),
        list(VIEWS),
        key="party_types_view",
        format_func=filter_state.worded(lambda word: t(VIEWS[word][0])),
    )
    or "Counts"
)
filter_state.write_url_option("view", view, "Counts")
chart_display.show_chart(VIEWS[view][1])
st.caption(t("page.party_types.click_family"))
chart_display.show_chart("status-share-per-year")
chart_display.show_chart("family-by-region")
chart_display.show_chart("top-parties-by-family")
st.caption(t("page.party_types.click_party"))
