"""Regions: the world map by country, region and sub-region bars, the region x year heatmap,
the change-level map against a baseline, and the top countries."""

import streamlit as st

from pages import chart_display, filter_state, furniture

current = furniture.page_header("Regions", "Where the partners are: regions, sub-regions and countries.")
if not furniture.has_rows(current):
    furniture.empty_state()
    st.stop()

chart_display.show_chart("world-map", height=600)
st.caption("Click a country to open its profile; click a region or sub-region bar to filter to it.")
left, right = st.columns(2, gap="medium")
with left:
    chart_display.show_chart("regions")
with right:
    chart_display.show_chart("subregions")
chart_display.show_chart("region-by-year")

st.subheader("Change against a baseline")
filter_state.url_option("baseline", "regions_baseline", [str(n) for n in range(1, 16)], "5")
if current.year_from is None:
    label, hint = (
        "Years in the window and in the baseline before it",
        "The window is the latest years of the data; choose a start year in the sidebar to set it.",
    )
else:
    label, hint = (
        "Years in the baseline before the chosen years",
        "The window is the years chosen in the sidebar; the baseline is this many years before it.",
    )
baseline = st.select_slider(label, [str(n) for n in range(1, 16)], key="regions_baseline", help=hint)
filter_state.write_url_option("baseline", baseline, "5")
chart_display.show_chart("change-level-map", baseline_years=int(baseline))
chart_display.show_chart("top-countries")
