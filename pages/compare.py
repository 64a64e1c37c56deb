"""Compare: two periods side by side for any dimension, and what moved most between them,
with the full table to sort and download. The periods replace the sidebar's years; every
other filter applies."""

from typing import Any, cast

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics import charts, dimensions
from analytics.chart_catalog import COMPARE_DIMENSIONS, period_label
from analytics.i18n import t
from analytics.untrusted import shown
from pages import cache, chart_display, downloads, filter_state, findings_panel, furniture

current = furniture.page_header("nav.compare", "page.compare.intro")
bounds = filter_state.year_bounds()


def _clamp(period: tuple[int, int]) -> tuple[int, int]:
    first, last = (min(max(year, bounds[0]), bounds[1]) for year in period)
    return first, max(first, last)


found = cache.default_periods(current) or ((bounds[1] - 9, bounds[1] - 5), (bounds[1] - 4, bounds[1]))
defaults = (_clamp(found[0]), _clamp(found[1]))


def _period(text: str | None, fallback: tuple[int, int]) -> tuple[int, int]:
    try:
        first, last = (int(part) for part in str(text).split("-"))
    except ValueError:
        return fallback
    return (first, last) if bounds[0] <= first <= last <= bounds[1] else fallback


def _period_slider(column: DeltaGenerator, label: str, key: str) -> tuple[int, int]:
    """A range slider over the ledger's years. Its value is always a (first, last) pair, put in
    st.session_state below before the slider is drawn; Streamlit's stubs, seeing no ``value``
    argument, type the result as a single int."""
    return cast(tuple[int, int], column.slider(label, bounds[0], bounds[1], key=key))


def _url_period(period: tuple[int, int]) -> str:
    """A period as the link writes it, whatever the language: '2016-2020'."""
    return f"{period[0]}-{period[1]}"


for key, index in (("a", 0), ("b", 1)):
    widget = f"compare_{key}"
    if widget not in st.session_state:
        raw = st.query_params.get(key)
        value = _period(raw, defaults[index])
        if raw is not None and value == defaults[index] and raw != _url_period(defaults[index]):
            st.warning(
                t("page.compare.bad_period", value=shown(f"{key}={raw}"), first=bounds[0], last=bounds[1]),
                icon=":material/link_off:",
            )
        st.session_state[widget] = value

filter_state.url_option("by", "compare_dimension", list(COMPARE_DIMENSIONS), "region")
controls = st.columns([1, 2, 2], gap="medium")
dimension = controls[0].selectbox(
    t("page.compare.by"), COMPARE_DIMENSIONS, key="compare_dimension", format_func=filter_state.worded(dimensions.label)
)
period_a = _period_slider(controls[1], t("page.compare.period_a"), "compare_a")
period_b = _period_slider(controls[2], t("page.compare.period_b"), "compare_b")
filter_state.write_url_option("by", dimension, "region")
for key, period, index in (("a", period_a, 0), ("b", period_b, 1)):
    filter_state.write_url_option(key, _url_period(period), _url_period(defaults[index]))

options: dict[str, Any] = dict(dimension=dimension, period_a=tuple(period_a), period_b=tuple(period_b))
fig, data = cache.chart("compare-periods", current, **options)
if data.empty or (data["exchanges_a"].sum() == 0 and data["exchanges_b"].sum() == 0):
    furniture.empty_state(t("page.compare.empty", a=period_label(period_a), b=period_label(period_b)))
    st.stop()
findings_panel.what_changed(current)
chart_display.show_chart("compare-periods", data_table=False, **options)
chart_display.show_chart("compare-movers", data_table=False, **options)

st.subheader(t("page.compare.table"))
change_pct, share_a, share_b = t("page.compare.change_pct"), t("page.compare.share_a"), t("page.compare.share_b")
table = data.rename(
    columns={
        "exchanges_a": t("page.compare.exchanges_in", period=period_label(period_a)),
        "exchanges_b": t("page.compare.exchanges_in", period=period_label(period_b)),
        "change": t("page.compare.change"),
        "change_pct": change_pct,
        "share_a": share_a,
        "share_b": share_b,
    }
)
if dimension == "country_iso3":
    table["country"] = [
        filter_state.country_name(code if isinstance(code, str) else "", name)
        for code, name in zip(table["country_iso3"], table["country"], strict=True)
    ]
    table = table.rename(columns={"country_iso3": t("pages.table.iso3"), "country": t("pages.table.country")})
else:
    table[dimension] = [charts.category_label(dimension, code) for code in table[dimension]]
    table = table.rename(columns={dimension: dimensions.label(dimension)})
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        change_pct: st.column_config.NumberColumn(format="%+.1f%%"),
        share_a: st.column_config.NumberColumn(format="percent"),
        share_b: st.column_config.NumberColumn(format="percent"),
    },
)
downloads.download_csv(
    data,
    f"compare-{dimension}-{period_a[0]}-{period_a[1]}-vs-{period_b[0]}-{period_b[1]}",
    key="compare_csv",
    label=t("page.compare.download"),
)
