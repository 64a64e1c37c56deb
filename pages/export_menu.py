"""The export menu under each chart: PNG, SVG, PDF, interactive HTML, CSV and Excel, and
"Add to briefing".

Pages call ``export_menu(name, fig, data, filters)`` right under a chart. Each download is
generated only when its button is clicked (Streamlit's deferred download data), through
``analytics.export`` (the same functions as the ``export`` command); images share one
browser per app process. Where no browser is installed, the image buttons are disabled and
one sentence says what to install; HTML and data exports still work. Each export is checked
against the signed-in actor's role and audited (``export.audit_export``); below the roles that
may export or build briefings, those buttons are disabled with a line saying who can.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import access, export, i18n
from analytics.access import Action, Actor
from analytics.filters import Filters
from analytics.i18n import t
from analytics.untrusted import markdown_literal
from pages import cache, signin

BRIEFING_ITEMS_KEY = "briefing_items"
BRIEFING_COUNTER_KEY = "briefing_next_id"
ICONS = {
    "png": ":material/image:",
    "svg": ":material/polyline:",
    "pdf": ":material/picture_as_pdf:",
    "html": ":material/html:",
    "csv": ":material/csv:",
    "xlsx": ":material/table_view:",
}


def in_language(make):
    """``make`` run in the language of this page run, also when a download button runs it later
    (Streamlit calls a deferred download outside the page run that drew the button)."""
    lang = i18n.current()

    def run():
        with i18n.using(lang):
            return make()

    return run


def add_to_briefing(name: str, filters: Filters | None, notes: str = "", options: dict | None = None) -> None:
    """Append a chart to the briefing being built on the Briefing page (``filters`` None: it
    follows the current filters; ``options``: the chart's build options as on screen, such as
    the periods of a comparison or the rows of a pivot)."""
    items = st.session_state.setdefault(BRIEFING_ITEMS_KEY, [])
    number = st.session_state.get(BRIEFING_COUNTER_KEY, 0) + 1
    st.session_state[BRIEFING_COUNTER_KEY] = number
    items.append(
        {
            "id": number,
            "chart": name,
            "filters": filters.to_params() if filters is not None else None,
            "notes": notes,
            "options": {
                key: list(value) if isinstance(value, tuple) else value for key, value in (options or {}).items()
            },
        }
    )


def _producer(fig: go.Figure, data: pd.DataFrame, meta: export.ChartMeta, fmt: str, actor: Actor, name: str):
    def produce() -> bytes:
        renderer = export.shared_renderer() if export.FORMATS[fmt].needs_browser else None
        body = export.export_chart(fig, data, meta, fmt, renderer=renderer)
        export.audit_export(actor, name, fmt, meta.filters)
        return body

    return in_language(produce)


def export_menu(
    name: str,
    fig: go.Figure,
    data: pd.DataFrame,
    filters: Filters,
    *,
    key: str | None = None,
    options: dict | None = None,
) -> None:
    """An "Export" popover under the chart ``name`` (a ``chart_catalog`` name): one download
    button per format and a button adding the chart, with ``filters``, to the briefing.

    ``fig`` and ``data`` are what ``chart_catalog.build_chart`` returned (its title and filter
    line go on the exported image); ``key`` is needed only when one page shows the same
    chart twice; ``options`` are the chart's build options, kept when it goes to the briefing.
    """
    key = key or f"export_{name}"
    # The caption build_chart wrote on the figure (a period chart's periods), not the whole window.
    meta = export.chart_meta(name, fig, is_demo=cache.info().is_demo)
    browser = export.browser_available()
    actor = signin.current_actor()
    may_export, may_brief = actor.may(Action.EXPORT), actor.may(Action.SAVE_BRIEFING)
    with st.popover(t("export_menu.button"), icon=":material/download:", key=f"{key}_menu"):
        st.caption(f"**{markdown_literal(meta.title)}** · {markdown_literal(meta.filters)}")
        for fmt in export.FORMATS.values():
            needs_data = fmt.key in ("csv", "xlsx")
            disabled = (fmt.needs_browser and not browser) or (needs_data and data.empty) or not may_export
            st.download_button(
                fmt.label,
                data=_producer(fig, data, meta, fmt.key, actor, name),
                file_name=meta.file_name(fmt.key),
                mime=fmt.mime,
                key=f"{key}_{fmt.key}",
                on_click="ignore",
                disabled=disabled,
                icon=ICONS.get(fmt.key),
                help=fmt.description,
                width="stretch",
            )
        if not browser:
            st.caption(export.browser_missing())
        if not (may_export and may_brief):
            st.caption(
                t(
                    "export_menu.roles",
                    export=access.MINIMUM_ROLE[Action.EXPORT].title,
                    briefing=access.MINIMUM_ROLE[Action.SAVE_BRIEFING].title,
                    role=actor.role.title,
                )
            )
        st.button(
            t("export_menu.add_to_briefing"),
            key=f"{key}_brief",
            icon=":material/slideshow:",
            width="stretch",
            on_click=add_to_briefing,
            args=(name, filters, "", options),
            disabled=not may_brief,
            help=t("export_menu.add_to_briefing.help"),
        )
