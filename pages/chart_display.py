"""Charts on a page: ``show_chart`` draws a catalog chart with the local map outline, the export
menu and the data behind it; a click on a bar filters to its category, a click on a country or
a party opens its profile (``open_profile``).

Pages call ``show_chart(name, ...)``; the figure comes from ``pages.cache.chart``, the clicks
change ``pages.filter_state``, the menu is ``pages.export_menu``.
"""

from __future__ import annotations

import functools

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import charts, dimensions, profiles
from analytics.filters import Filters
from analytics.i18n import t
from pages import cache, furniture, margin_hint
from pages.export_menu import export_menu
from pages.filter_state import current_filters, link_params, set_filter

# Chart click dimension -> Filters field (the registry's clickable dimensions).
CLICK_FIELDS = dimensions.CLICK_FIELDS


PLOTLY_CONFIG = {
    "topojsonURL": "app/static/topojson/",  # world outline served by this server, never a CDN
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def _on_chart_click(key: str, figure: dict, action: str) -> None:
    """Selection callback: filter to the clicked category, or remember a profile to open."""
    state = st.session_state.get(key)
    points = state.selection.points if state is not None and state.selection else []
    if not points:
        return
    fig = go.Figure(figure, _validate=False)
    value = charts.selection_key(fig, points[0])
    dimension = charts.click_dimension(fig)
    if value is None or dimension is None:
        return
    if action == "profile" or dimension in ("country_iso3", "party"):
        if dimension == "country_iso3" and value:
            st.session_state["_open_profile"] = profiles.Profile("country", iso3=value).to_param()
        elif dimension == "party":
            iso3, _, party = value.partition(":")
            st.session_state["_open_profile"] = profiles.Profile("party", iso3=iso3, party=party).to_param()
    elif dimension in CLICK_FIELDS:
        set_filter(CLICK_FIELDS[dimension], [value])


def show_chart(
    name: str,
    filters: Filters | None = None,
    *,
    key: str | None = None,
    clickable: bool = True,
    data_table: bool = True,
    legend: bool = True,
    **options,
) -> tuple[go.Figure, pd.DataFrame]:
    """Draw a catalog chart with the local map outline; a click on a bar filters to it, on a
    country or party opens its profile. Below it: the export menu (images, HTML, CSV, Excel,
    add to briefing) and the data behind the chart. ``legend=False``: no legend on screen, where
    the chart beside it names the colours (its exports keep theirs)."""
    shown = filters or current_filters()
    fig, data = cache.chart(name, shown, **options)
    key = key or f"chart_{name}"
    dimension = charts.click_dimension(fig)
    # On screen the left margin is set beforehand, so the browser draws the chart once (exports keep ``fig``).
    screen = margin_hint.with_margin_hint(fig if legend else go.Figure(fig).update_layout(showlegend=False))
    if clickable and dimension and not charts.is_empty(fig):
        st.plotly_chart(
            screen,
            config=PLOTLY_CONFIG,
            key=key,
            theme=None,
            on_select=functools.partial(
                _on_chart_click, key, fig.to_dict(), "profile" if dimension in ("country_iso3", "party") else "filter"
            ),
            selection_mode="points",
        )
        _open_profile_if_clicked()
    else:
        st.plotly_chart(screen, config=PLOTLY_CONFIG, key=key, theme=None)
    if charts.is_empty(fig):
        return fig, data
    with st.container(horizontal=True, gap="small"):
        export_menu(name, fig, data, shown, key=f"{key}_export", options=options)
        if data_table and not data.empty:
            with st.popover(t("display.data"), icon=":material/table:", key=f"{key}_data"):
                st.dataframe(
                    furniture.screen_table(data), hide_index=True, width=720, height=min(38 + 35 * len(data), 360)
                )
    return fig, data


PROFILES_PAGE = "pages/profiles.py"


def open_profile(profile: profiles.Profile) -> None:
    """Go to the Profiles page showing ``profile``, keeping the filters and the language in the URL."""
    st.switch_page(PROFILES_PAGE, query_params={**link_params(current_filters()), "profile": profile.to_param()})


def _open_profile_if_clicked() -> None:
    target = st.session_state.pop("_open_profile", None)
    if target:
        open_profile(profiles.Profile.from_param(target))
