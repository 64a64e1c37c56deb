"""Overview (the default page): KPI cards for the latest year with the change on the year
before, the headline chart of exchanges per year with era markers, a small world map and the
countries that moved most. Leadership's view at a glance."""

import streamlit as st

from pages import cache, chart_display, furniture

current = furniture.page_header("Overview", "Party-to-party exchanges at a glance: how many, with whom, where.")
whole = cache.kpis(current).set_index("kpi")["value"]
if whole["exchanges"] == 0:
    furniture.empty_state()
    st.stop()

first, last = cache.window(current)
latest = cache.kpis(current.with_years(last, last))
NAMES = {"exchanges": "Exchanges", "events": "Events", "parties": "Parties met", "countries": "Countries"}
for column, row in zip(st.columns(4), latest.itertuples(), strict=True):
    change = "" if row.previous == 0 else f" ({furniture.percent(row.change_pct)})"
    column.metric(
        f"{NAMES[row.kpi]} in {last}",
        f"{row.value:,}",
        delta=f"{row.change:+,}{change} on {last - 1}",
        border=True,
        help=f"{NAMES[row.kpi]} in {last - 1}: {row.previous:,}",
    )
st.caption(
    f"**{first}–{last}:** {whole['exchanges']:,} exchanges in {whole['events']:,} events with "
    f"{whole['parties']:,} parties and organisations in {whole['countries']:,} countries."
)

chart_display.show_chart("exchanges-per-year")
left, right = st.columns(2, gap="medium")
with left:
    chart_display.show_chart("world-map", height=460)
with right:
    chart_display.show_chart("top-movers")
st.caption("Click a country on the map or a bar of the movers to open its profile.")
