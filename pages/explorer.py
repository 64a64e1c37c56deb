"""Explorer: a pivot of the filtered exchanges (rows, columns and measure chosen by the user)
and the filtered ledger itself, with search and sorting, downloadable as CSV and Excel.

Rows of the ledger table can be selected: analysts and admins then get the bulk change (one
field set on every selected exchange, ``records.bulk_edit``, one batch), and one selected row
links to its record on the Records page (``?exchange=N``)."""

import datetime as dt

import streamlit as st

from analytics import dimensions, explore, records, vocab
from analytics.access import Action, Actor
from analytics.errors import DomainError
from analytics.i18n import number, plural, t, vocabulary_label
from analytics.untrusted import markdown_literal, shown, url_value_problem
from pages import cache, chart_display, downloads, filter_state, findings_panel, furniture, signin

TABLE_KEY = "explorer_table"  # the ledger table; its selection is st.session_state[TABLE_KEY]
BULK_FLASH_KEY = "explorer_bulk_flash"
# The bulk change's fields: their codes (None: free text, the event id).
BULK_CODES: dict[str, tuple[str, ...] | None] = {
    "event_id": None,
    "form": vocab.FORMS,
    "party_status": vocab.PARTY_STATUSES,
    "level": vocab.LEVELS,
}


def bulk_section(ids: list[int], actor: Actor) -> None:
    """The bulk change of the selected exchanges, and the link to a single one's record (for
    those who may change records, on a ledger that is not the demo's)."""
    if len(ids) == 1:
        furniture.record_link(ids[0], current)
    with st.container(border=True):
        st.markdown(plural("page.explorer.edit.selected", len(ids)))
        field_col, value_col, button_col = st.columns([2, 3, 2], vertical_alignment="bottom")
        field = field_col.selectbox(
            t("page.explorer.edit.field"),
            list(BULK_CODES),
            key="explorer_bulk_field",
            format_func=filter_state.worded(lambda name: t(f"page.explorer.edit.field.{name}")),
        )
        codes = BULK_CODES[field]
        if codes is None:
            value = value_col.text_input(
                t("page.explorer.edit.value"), key="explorer_bulk_event", help=t("page.explorer.edit.event_help")
            )
        else:
            value = value_col.selectbox(
                t("page.explorer.edit.value"),
                codes,
                key=f"explorer_bulk_{field}",
                format_func=filter_state.worded(vocabulary_label),
            )
        if button_col.button(plural("page.explorer.edit.apply", len(ids)), key="explorer_bulk_apply", type="primary"):
            try:
                result = records.bulk_edit(cache.ledger_path(), ids, field, value or "", actor=actor)
            except DomainError as error:
                st.error(markdown_literal(error), icon=":material/error:")
            else:
                st.session_state[BULK_FLASH_KEY] = markdown_literal(result.message())
                st.rerun()


current = furniture.page_header("nav.explorer", "page.explorer.intro")
actor = signin.current_actor()
if not furniture.has_rows(current):
    furniture.empty_state()
    st.stop()
findings_panel.what_changed(current)

DIMENSIONS = list(explore.PIVOT_DIMENSIONS)
# What the pivot's choices are called beyond the dimension registry's labels.
OTHER_NAMES = {"country": "pages.table.country", "party": "pages.table.party", "none": "page.explorer.nothing"}


def dimension_name(name: str) -> str:
    """A pivot dimension (or 'none') in the current language."""
    return t(OTHER_NAMES[name]) if name in OTHER_NAMES else dimensions.label(name)


filter_state.url_option("rows", "explorer_rows", DIMENSIONS, "region")
filter_state.url_option("cols", "explorer_cols", [*DIMENSIONS, "none"], "decade")
filter_state.url_option("measure", "explorer_measure", list(explore.PIVOT_MEASURES), "exchanges")

st.subheader(t("page.explorer.pivot"))
left, middle, right = st.columns(3, gap="medium")
rows = left.selectbox(
    t("page.explorer.rows"), DIMENSIONS, key="explorer_rows", format_func=filter_state.worded(dimension_name)
)
columns = middle.selectbox(
    t("page.explorer.columns"),
    [d for d in [*DIMENSIONS, "none"] if d != rows],
    key="explorer_cols",
    format_func=filter_state.worded(dimension_name),
)
measure = right.selectbox(
    t("page.explorer.count"),
    explore.PIVOT_MEASURES,
    key="explorer_measure",
    format_func=filter_state.worded(lambda m: t(explore.MEASURE_KEYS[m]) if m in explore.MEASURE_KEYS else m),
    help=t("page.explorer.count.help"),
)
for key, value, default in (("rows", rows, "region"), ("cols", columns, "decade"), ("measure", measure, "exchanges")):
    filter_state.write_url_option(key, value, default)
cols = None if columns == "none" else columns
table = cache.pivot_table(current, rows=rows, columns=cols, measure=measure)
table.index.name = dimension_name(rows)
st.dataframe(table, width="stretch", height=min(38 + 35 * len(table), 420))
downloads.download_csv(
    table.reset_index(),
    f"pivot-{rows}-by-{columns}-{measure}",
    key="pivot_csv",
    label=t("page.explorer.download_pivot"),
)
if cols is not None and rows != "country" and cols != "country":
    chart_display.show_chart("pivot", rows=rows, columns=cols, measure=measure, data_table=False)

st.subheader(t("page.explorer.rows_heading"))
# The sort column -> the catalogue key of its name.
SORTS = {
    "date": "pages.table.date",
    "party": "pages.table.party",
    "country": "pages.table.country",
    "region": "pages.table.region",
    "party_family": "dimension.party_family",
    "party_status": "dimension.party_status",
    "form": "pages.table.form",
    "direction": "pages.table.direction",
    "level": "pages.table.level",
    "event_id": "pages.table.event",
}
search_col, sort_col, order_col = st.columns([3, 2, 1], gap="medium", vertical_alignment="bottom")
if "explorer_search" not in st.session_state:
    linked = st.query_params.get("q", "")
    problem = url_value_problem(linked)
    if problem:
        st.warning(
            t("link.ignored_unsafe", value=shown("q=" + linked), reason=markdown_literal(problem)),
            icon=":material/link_off:",
        )
        linked = ""
    st.session_state["explorer_search"] = linked
search = search_col.text_input(
    t("page.explorer.search"), key="explorer_search", placeholder=t("page.explorer.search.placeholder")
)
filter_state.url_option("sort", "explorer_sort", list(SORTS), "date")
order_by = sort_col.selectbox(
    t("page.explorer.sort"),
    list(SORTS),
    key="explorer_sort",
    format_func=filter_state.worded(lambda sort: t(SORTS[sort])),
)
descending = order_col.toggle(t("page.explorer.descending"), value=True, key="explorer_desc")
filter_state.write_url_option("q", search.strip() or None, None)
filter_state.write_url_option("sort", order_by, "date")

total = cache.ledger_rows_count(current, search=search)
LIMIT = 1000
rows_shown = cache.ledger_rows(current, search=search, order_by=order_by, descending=descending, limit=LIMIT)
if total == 0:
    furniture.empty_state(t("page.explorer.no_match", search=shown(search)))
else:
    if total > LIMIT:
        st.markdown(t("page.explorer.matches_first", count=number(total), limit=number(LIMIT)))
    else:
        st.markdown(t("page.explorer.matches", count=number(total)))
    done = st.session_state.pop(BULK_FLASH_KEY, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    selection = st.dataframe(
        furniture.labelled(rows_shown),
        hide_index=True,
        width="stretch",
        height=460,
        column_config=furniture.ledger_column_config(),
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="multi-row",
    )
    if actor.may(Action.EDIT) and not cache.info().is_demo:
        chosen = furniture.selected_exchanges(selection, rows_shown)
        if chosen:
            bulk_section(chosen, actor)
        else:
            st.caption(t("page.explorer.edit.hint"))
    stem = f"exchanges-{dt.date.today().isoformat()}"

    def all_rows():
        return explore.ledger_rows(
            cache.reader().connection(), current, search=search, order_by=order_by, descending=descending, limit=None
        )

    csv_col, xlsx_col, _ = st.columns([1, 1, 3])
    with csv_col:
        downloads.download_csv(all_rows, stem, key="ledger_csv", label=plural("page.explorer.csv_rows", total))
    with xlsx_col:
        downloads.download_xlsx(all_rows, stem, key="ledger_xlsx", label=plural("page.explorer.xlsx_rows", total))
