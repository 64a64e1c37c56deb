"""Trends: exchanges per year with era markers and the rolling mean; events, parties and
countries per year; the same split by form, direction or level; first contacts (new and
cumulative parties and countries) and how concentrated the exchanges are."""

import streamlit as st

from pages import chart_display, filter_state, furniture

current = furniture.page_header("Trends", "How the exchanges grew and changed shape over the years.")
if not furniture.has_rows(current):
    furniture.empty_state()
    st.stop()

chart_display.show_chart("exchanges-per-year")
chart_display.show_chart("activity-per-year")
BREAKDOWNS = {"Form": "forms-per-year", "Direction": "directions-per-year", "Level": "levels-per-year"}
filter_state.url_option("split", "trends_split", list(BREAKDOWNS), "Form")
split = st.segmented_control("Split the exchanges per year by", list(BREAKDOWNS), key="trends_split") or "Form"
filter_state.write_url_option("split", split, "Form")
chart_display.show_chart(BREAKDOWNS[split])
st.caption("Click a colour in the bars to filter to that form, direction or level.")
left, right = st.columns(2, gap="medium")
with left:
    chart_display.show_chart("first-contacts")
with right:
    chart_display.show_chart("concentration")
