"""Trends: exchanges per year with era markers and the rolling mean; events, parties and
countries per year; the same split by form, direction or level; first contacts (new and
cumulative parties and countries) and how concentrated the exchanges are."""

import streamlit as st

from analytics import dimensions
from analytics.i18n import t
from pages import chart_display, filter_state, findings_panel, furniture

current = furniture.page_header("nav.trends", "page.trends.intro")
if not furniture.has_rows(current):
    furniture.empty_state()
    st.stop()
findings_panel.what_changed(current)

chart_display.show_chart("exchanges-per-year")
chart_display.show_chart("activity-per-year")
# The split's URL word (as before: the English dimension name) -> (dimension, chart).
BREAKDOWNS = {
    "Form": (dimensions.FORM, "forms-per-year"),
    "Direction": (dimensions.DIRECTION, "directions-per-year"),
    "Level": (dimensions.LEVEL, "levels-per-year"),
}
filter_state.url_option("split", "trends_split", list(BREAKDOWNS), "Form")
split = (
    st.segmented_control(
        t("page.trends.split"),
        list(BREAKDOWNS),
        key="trends_split",
        format_func=filter_state.worded(lambda word: BREAKDOWNS[word][0].label),
    )
    or "Form"
)
filter_state.write_url_option("split", split, "Form")
chart_display.show_chart(BREAKDOWNS[split][1])
st.caption(t("page.trends.click_hint"))
left, right = st.columns(2, gap="medium")
with left:
    chart_display.show_chart("first-contacts")
with right:
    chart_display.show_chart("concentration")
