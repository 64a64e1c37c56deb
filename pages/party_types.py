"""Party types: party families over time (counts and 100% shares), the share of ruling,
coalition and opposition parties, the family x region heatmap and the top parties of each
family."""

import streamlit as st

from pages import chart_display, filter_state, furniture

current = furniture.page_header(
    "Party types", "With which kinds of parties: ideology (party family) and whether they govern."
)
if not furniture.has_rows(current):
    furniture.empty_state()
    st.stop()

VIEWS = {"Counts": "families-per-year", "100% shares": "families-share-per-year"}
filter_state.url_option("view", "party_types_view", list(VIEWS), "Counts")
view = st.segmented_control("Party families over time", list(VIEWS), key="party_types_view") or "Counts"
filter_state.write_url_option("view", view, "Counts")
chart_display.show_chart(VIEWS[view])
st.caption("Click a colour in the bars to filter to that party family.")
chart_display.show_chart("status-share-per-year")
chart_display.show_chart("family-by-region")
chart_display.show_chart("top-parties-by-family")
st.caption("Click a party to open its profile.")
