"""Regions: the world map by country, region and sub-region bars, the region x year heatmap,
the change-level map against a baseline, and the top countries."""

import streamlit as st

from analytics.i18n import t
from pages import chart_display, filter_state, findings_panel, furniture

current = furniture.page_header("nav.regions", "page.regions.intro")
if not furniture.has_rows(current):
    furniture.empty_state()
    st.stop()
findings_panel.what_changed(current)

chart_display.show_chart("world-map", height=600)
st.caption(t("page.regions.click_hint"))
left, right = st.columns(2, gap="medium")
with left:
    chart_display.show_chart("regions")
with right:  # the region bars beside it name the colours: a key would take half this narrow chart
    chart_display.show_chart("subregions", legend=False)
chart_display.show_chart("region-by-year")

st.subheader(t("page.regions.baseline"))
filter_state.url_option("baseline", "regions_baseline", [str(n) for n in range(1, 16)], "5")
if current.year_from is None:
    label, hint = t("page.regions.baseline.latest"), t("page.regions.baseline.latest.help")
else:
    label, hint = t("page.regions.baseline.chosen"), t("page.regions.baseline.chosen.help")
baseline = st.select_slider(label, [str(n) for n in range(1, 16)], key="regions_baseline", help=hint)
filter_state.write_url_option("baseline", baseline, "5")
chart_display.show_chart("change-level-map", baseline_years=int(baseline))
chart_display.show_chart("top-countries")
