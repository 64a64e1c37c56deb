"""Briefing builder: pick charts (each following the current filters or with its own saved
filters), set a title, a subtitle and notes per chart, order them, and download a 16:9
PowerPoint deck or a PDF pack; save and load the briefing as a small JSON file so a monthly
briefing is rebuilt in one click.

The page only keeps the list in the session and calls ``analytics.briefing`` (the same code as
the ``briefing`` command); the deck and the pack are built when their button is clicked.
"""

from __future__ import annotations

import streamlit as st

from analytics import access, briefing, chart_catalog, export, formats, texts
from analytics.access import Action
from analytics.errors import DomainError
from analytics.filters import DEFAULT_FIRST_YEAR, DIMENSION_PARAMS, FilterError, Filters
from analytics.i18n import plural, t
from analytics.untrusted import capped, markdown_literal
from pages import cache, chart_display, filter_state, furniture, signin
from pages.export_menu import BRIEFING_ITEMS_KEY, add_to_briefing, in_language

TITLE_KEY = "briefing_title"
SUBTITLE_KEY = "briefing_subtitle"
FINDINGS_KEY = "briefing_findings"
CHOICE_KEY = "briefing_choice"
SAVE_FILTERS_KEY = "briefing_save_filters"
UPLOAD_KEY = "briefing_upload"
PREVIEW_KEY = "briefing_preview"
MESSAGE_KEY = "briefing_message"
CHARTS = chart_catalog.CHARTS


def _notes_key(item: dict) -> str:
    return f"briefing_notes_{item['id']}"


def _items() -> list[dict]:
    return st.session_state.setdefault(BRIEFING_ITEMS_KEY, [])


def _item_filters(item: dict) -> Filters | None:
    if item.get("filters") is None:
        return None
    try:
        return Filters.from_params(item["filters"])
    except FilterError:
        return None


def _spec(current: Filters) -> briefing.BriefingSpec:
    """The briefing as built on this page (notes read from their boxes)."""
    items = tuple(
        briefing.BriefingItem(
            chart=item["chart"],
            filters=_item_filters(item),
            notes=st.session_state.get(_notes_key(item), item.get("notes", "")) or "",
            options=item.get("options") or {},
        )
        for item in _items()
        if item["chart"] in CHARTS
    )
    return briefing.BriefingSpec(
        title=st.session_state.get(TITLE_KEY) or "",
        subtitle=st.session_state.get(SUBTITLE_KEY) or "",
        filters=current,
        items=items,
        findings=bool(st.session_state.get(FINDINGS_KEY, True)),
    )


# ---------------------------------------------------------------------------------------------
# Callbacks (run before the page redraws)


def _add_chosen(current: Filters) -> None:
    saved = current if st.session_state.get(SAVE_FILTERS_KEY) else None
    for name in st.session_state.get(CHOICE_KEY) or []:
        add_to_briefing(name, saved)
    st.session_state[CHOICE_KEY] = []


def _move(index: int, step: int) -> None:
    items = _items()
    target = index + step
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


def _remove(index: int) -> None:
    item = _items().pop(index)
    st.session_state.pop(_notes_key(item), None)


def _set_filters(index: int, filters: Filters | None) -> None:
    _items()[index]["filters"] = filters.to_params() if filters is not None else None


def _clear() -> None:
    for item in _items():
        st.session_state.pop(_notes_key(item), None)
    st.session_state[BRIEFING_ITEMS_KEY] = []


def _apply_filters(filters: Filters) -> None:
    """Put a loaded briefing's filters into the sidebar (callbacks run before it is drawn)."""
    filter_state.reset_filters()
    for name in DIMENSION_PARAMS:
        if getattr(filters, name):
            filter_state.set_filter(name, getattr(filters, name))
    if filters.party:
        filter_state.set_filter("party", [filters.party])
    first, last = filter_state.year_bounds()
    start = filters.year_from if filters.year_from is not None else max(DEFAULT_FIRST_YEAR, first)
    end = filters.year_to if filters.year_to is not None else last
    st.session_state[filter_state.YEARS_KEY] = (start, max(start, end))


def _name(text: object) -> str:
    return markdown_literal(capped(text, 120))


def _load() -> None:
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is None:
        return
    try:
        spec = briefing.BriefingSpec.from_json(upload.getvalue(), known_charts=list(CHARTS))
    except briefing.BriefingError as error:
        st.session_state[MESSAGE_KEY] = (
            "error",
            t("briefing_page.load.failed", file=_name(upload.name), error=markdown_literal(error)),
        )
        return
    _clear()
    st.session_state[TITLE_KEY] = spec.title
    st.session_state[SUBTITLE_KEY] = spec.subtitle
    st.session_state[FINDINGS_KEY] = spec.findings
    for item in spec.items:
        add_to_briefing(item.chart, item.filters, item.notes, dict(item.options))
        st.session_state[_notes_key(_items()[-1])] = item.notes
    _apply_filters(spec.filters)
    st.session_state[MESSAGE_KEY] = (
        "success",
        plural("briefing_page.load.done", len(spec.items), file=_name(upload.name)),
    )


# ---------------------------------------------------------------------------------------------
# The page

current = furniture.page_header("nav.briefing", "briefing_page.intro")
browser = export.browser_available()
if not browser:
    st.warning(t("briefing_page.browser_missing", missing=export.browser_missing()), icon=":material/error:")
message = st.session_state.pop(MESSAGE_KEY, None)
if message:
    (st.error if message[0] == "error" else st.success)(message[1])

st.session_state.setdefault(TITLE_KEY, "")
st.session_state.setdefault(SUBTITLE_KEY, "")
st.session_state.setdefault(FINDINGS_KEY, True)
left, right = st.columns(2)
left.text_input(
    t("briefing_page.field.title"), key=TITLE_KEY, max_chars=briefing.MAX_TITLE, placeholder=t("briefing.default_title")
)
right.text_input(
    t("briefing_page.field.subtitle"),
    key=SUBTITLE_KEY,
    max_chars=briefing.MAX_TITLE,
    placeholder=t("briefing_page.field.subtitle.placeholder"),
)
st.checkbox(t("briefing_page.field.findings"), key=FINDINGS_KEY, help=t("briefing_page.field.findings.help"))

with st.container(border=True):
    st.markdown(t("briefing_page.add.header"))
    pick, how, add = st.columns([4, 2, 1], vertical_alignment="bottom")
    pick.multiselect(
        t("briefing_page.add.charts"),
        list(CHARTS),
        key=CHOICE_KEY,
        placeholder=t("briefing_page.add.charts.placeholder"),
        format_func=filter_state.worded(lambda name: f"{CHARTS[name].page_title} · {CHARTS[name].title}"),
    )
    how.toggle(t("briefing_page.add.save_filters"), key=SAVE_FILTERS_KEY, help=t("briefing_page.add.save_filters.help"))
    add.button(
        t("briefing_page.add.button"),
        icon=":material/add:",
        on_click=_add_chosen,
        args=(current,),
        width="stretch",
        disabled=not st.session_state.get(CHOICE_KEY),
    )
    st.file_uploader(
        t("briefing_page.load.uploader"), type=["json"], key=UPLOAD_KEY, on_change=_load, max_upload_size=1
    )

items = _items()
if not items:
    st.info(
        t("briefing_page.empty", menu=t("export_menu.button"), add=t("export_menu.add_to_briefing")),
        icon=":material/slideshow:",
    )
else:
    top = st.columns([3, 1])
    with_summary = st.session_state.get(FINDINGS_KEY, True)
    top[0].markdown(plural("briefing_page.count_with_summary" if with_summary else "briefing_page.count", len(items)))
    top[1].toggle(t("briefing_page.preview"), key=PREVIEW_KEY)
    current_words = markdown_literal(current.describe())
    first_page = 3 if with_summary else 2  # after the title (and the summary)
    for index, item in enumerate(items):
        chart_spec = CHARTS.get(item["chart"])
        own = _item_filters(item)
        with st.container(border=True):
            head, buttons = st.columns([5, 2], vertical_alignment="top")
            title = chart_spec.title if chart_spec else t("briefing_page.item.gone", chart=_name(item["chart"]))
            head.markdown(f"**{index + first_page}. {title}**")
            if own is not None:
                head.caption(
                    ":material/lock: " + t("briefing_page.item.saved", filters=markdown_literal(own.describe()))
                )
            else:
                head.caption(":material/sync: " + t("briefing_page.item.current", filters=current_words))
            up, down, swap, drop = buttons.columns(4)
            up.button(
                "",
                icon=":material/arrow_upward:",
                key=f"briefing_up_{item['id']}",
                help=t("briefing_page.item.up"),
                on_click=_move,
                args=(index, -1),
                disabled=index == 0,
            )
            down.button(
                "",
                icon=":material/arrow_downward:",
                key=f"briefing_down_{item['id']}",
                help=t("briefing_page.item.down"),
                on_click=_move,
                args=(index, 1),
                disabled=index == len(items) - 1,
            )
            if own is not None:
                swap.button(
                    "",
                    icon=":material/sync:",
                    key=f"briefing_follow_{item['id']}",
                    help=t("briefing_page.item.follow"),
                    on_click=_set_filters,
                    args=(index, None),
                )
            else:
                swap.button(
                    "",
                    icon=":material/lock:",
                    key=f"briefing_keep_{item['id']}",
                    help=t("briefing_page.item.keep"),
                    on_click=_set_filters,
                    args=(index, current),
                )
            drop.button(
                "",
                icon=":material/delete:",
                key=f"briefing_remove_{item['id']}",
                help=t("briefing_page.item.remove"),
                on_click=_remove,
                args=(index,),
            )
            st.session_state.setdefault(_notes_key(item), item.get("notes", ""))
            st.text_area(
                t("briefing_page.item.notes"),
                key=_notes_key(item),
                max_chars=briefing.MAX_NOTES,
                height=68,
                placeholder=t("briefing_page.item.notes.placeholder"),
            )
            if chart_spec and st.session_state.get(PREVIEW_KEY):
                try:
                    fig, _ = cache.chart(
                        item["chart"], own if own is not None else current, **(item.get("options") or {})
                    )
                except DomainError as error:
                    st.error(
                        t(
                            "briefing_page.item.failed",
                            number=index + 1,
                            chart=_name(item["chart"]),
                            error=markdown_literal(error),
                        ),
                        icon=":material/error:",
                    )
                else:
                    st.plotly_chart(fig, config=chart_display.PLOTLY_CONFIG, key=f"briefing_preview_{item['id']}")
    st.button(t("briefing_page.remove_all"), icon=":material/clear_all:", on_click=_clear, type="tertiary")

st.divider()
spec = _spec(current)
is_demo = cache.info().is_demo
ready = bool(spec.items)
if ready:
    try:
        briefing.check_spec(spec)  # what the deck would refuse, said here rather than by a failed download
    except briefing.BriefingError as error:
        st.error(t("briefing_page.cannot_build", error=markdown_literal(error)), icon=":material/error:")
        ready = False


def _builder(fmt: str):
    def build() -> bytes:
        con = cache.reader().connection()
        return briefing.build_briefing(
            con, spec, fmt, is_demo=is_demo, current=current, renderer=export.shared_renderer(), actor=actor
        )

    return in_language(build)


actor = signin.current_actor()
if not actor.may(Action.SAVE_BRIEFING):
    ready = False
    st.info(
        t(
            "briefing_page.role",
            minimum=access.MINIMUM_ROLE[Action.SAVE_BRIEFING].title,
            role=actor.role.title,
        ),
        icon=":material/lock:",
    )
deck, pack, save = st.columns(3)
deck.download_button(
    t("briefing_page.download.pptx"),
    data=_builder("pptx"),
    file_name=briefing.briefing_file_name(spec.title, "pptx"),
    mime=formats.get("pptx").mime,
    on_click="ignore",
    disabled=not (ready and browser),
    icon=":material/slideshow:",
    type="primary",
    width="stretch",
    key="briefing_download_pptx",
    help=t("briefing_page.download.pptx.help"),
)
pack.download_button(
    t("briefing_page.download.pdf"),
    data=_builder("pdf"),
    file_name=briefing.briefing_file_name(spec.title, "pdf"),
    mime=formats.get("pdf").mime,
    on_click="ignore",
    disabled=not (ready and browser),
    icon=":material/picture_as_pdf:",
    width="stretch",
    key="briefing_download_pdf",
    help=t("briefing_page.download.pdf.help"),
)


def _spec_file() -> bytes:
    """The briefing file, checked against the actor's role and written to the audit log."""
    body = spec.to_json().encode("utf-8")
    charts = ", ".join(item.chart for item in spec.items)
    export.audit_export(
        actor, spec.title, "json", current, action=Action.SAVE_BRIEFING, details=f"briefing file; charts: {charts}"
    )
    return body


save.download_button(
    t("briefing_page.download.json"),
    data=_spec_file,
    file_name=briefing.briefing_file_name(spec.title, "json"),
    mime=formats.get("json").mime,
    on_click="ignore",
    disabled=not ready,
    icon=":material/save:",
    width="stretch",
    key="briefing_download_json",
    help=t("briefing_page.download.json.help"),
)
if ready:
    st.caption(
        plural(
            "briefing_page.summary", len(spec.items) + 1 + spec.findings, filters=markdown_literal(current.describe())
        )
        + (t("briefing_page.summary.demo", mark=texts.demo_mark()) if is_demo else "")
    )
