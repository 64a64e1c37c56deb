"""Overview (the default page): KPI cards for the latest year with the change on the year
before, the headline chart of exchanges per year with era markers, a small world map and the
countries that moved most. Leadership's view at a glance."""

import streamlit as st

from analytics.i18n import number, t
from pages import cache, chart_display, findings_panel, furniture

current = furniture.page_header("nav.overview", "page.overview.intro")
whole = cache.kpis(current).set_index("kpi")["value"]
if whole["exchanges"] == 0:
    furniture.empty_state()
    st.stop()

first, last = cache.window(current)
latest = cache.kpis(current.with_years(last, last))
# The catalogue key of each KPI's name.
NAMES = {
    "exchanges": "page.overview.kpi.exchanges",
    "events": "page.overview.kpi.events",
    "parties": "page.overview.kpi.parties",
    "countries": "page.overview.kpi.countries",
}
for column, row in zip(st.columns(4), latest.itertuples(), strict=True):
    change = "" if row.previous == 0 else t("page.overview.kpi.change_pct", change=furniture.percent(row.change_pct))
    name = t(NAMES[row.kpi])
    column.metric(
        t("page.overview.kpi.label", name=name, year=last),
        number(row.value),
        delta=t("page.overview.kpi.delta", change=furniture.signed(row.change), percent=change, year=last - 1),
        border=True,
        help=t("page.overview.kpi.help", name=name, year=last - 1, value=number(row.previous)),
    )
st.caption(
    t(
        "page.overview.totals",
        first=first,
        last=last,
        exchanges=number(whole["exchanges"]),
        events=number(whole["events"]),
        parties=number(whole["parties"]),
        countries=number(whole["countries"]),
    )
)
findings_panel.what_changed(current)

chart_display.show_chart("exchanges-per-year")
left, right = st.columns(2, gap="medium")
with left:
    chart_display.show_chart("world-map", height=460)
with right:
    chart_display.show_chart("top-movers")
st.caption(t("page.overview.click_hint"))
