"""Explorer: a pivot of the filtered exchanges (rows, columns and measure chosen by the user)
and the filtered ledger itself, with search and sorting, downloadable as CSV and Excel."""

import datetime as dt

import streamlit as st

from analytics import charts, explore
from analytics.untrusted import markdown_literal, shown, url_value_problem
from pages import cache, chart_display, downloads, filter_state, furniture

current = furniture.page_header("Explorer", "Pivot the filtered exchanges, or read and download the rows themselves.")
if not furniture.has_rows(current):
    furniture.empty_state()
    st.stop()

DIMENSIONS = list(explore.PIVOT_DIMENSIONS)
NAMES = {**charts.DIMENSION_NAMES, "none": "(nothing)"}
filter_state.url_option("rows", "explorer_rows", DIMENSIONS, "region")
filter_state.url_option("cols", "explorer_cols", [*DIMENSIONS, "none"], "decade")
filter_state.url_option("measure", "explorer_measure", list(explore.PIVOT_MEASURES), "exchanges")

st.subheader("Pivot")
left, middle, right = st.columns(3, gap="medium")
rows = left.selectbox("Rows", DIMENSIONS, key="explorer_rows", format_func=lambda d: NAMES.get(d, d))
columns = middle.selectbox(
    "Columns",
    [d for d in [*DIMENSIONS, "none"] if d != rows],
    key="explorer_cols",
    format_func=lambda d: NAMES.get(d, d),
)
measure = right.selectbox(
    "Count",
    explore.PIVOT_MEASURES,
    key="explorer_measure",
    format_func=lambda m: charts.MEASURE_NAMES[m],
    help="Exchanges count rows; events, parties and countries count distinct ones, so "
    "their totals are not the sums of the cells.",
)
for key, value, default in (("rows", rows, "region"), ("cols", columns, "decade"), ("measure", measure, "exchanges")):
    filter_state.write_url_option(key, value, default)
cols = None if columns == "none" else columns
table = cache.pivot_table(current, rows=rows, columns=cols, measure=measure)
table.index.name = NAMES.get(rows, rows)
st.dataframe(table, width="stretch", height=min(38 + 35 * len(table), 420))
downloads.download_csv(
    table.reset_index(), f"pivot-{rows}-by-{columns}-{measure}", key="pivot_csv", label="Download pivot (CSV)"
)
if cols is not None and rows != "country" and cols != "country":
    chart_display.show_chart("pivot", rows=rows, columns=cols, measure=measure, data_table=False)

st.subheader("Ledger rows")
SORTS = {
    "date": "Date",
    "party": "Party",
    "country": "Country",
    "region": "Region",
    "party_family": "Party family",
    "party_status": "Party status",
    "form": "Form",
    "direction": "Direction",
    "level": "Level",
    "event_id": "Event",
}
search_col, sort_col, order_col = st.columns([3, 2, 1], gap="medium", vertical_alignment="bottom")
if "explorer_search" not in st.session_state:
    linked = st.query_params.get("q", "")
    problem = url_value_problem(linked)
    if problem:
        st.warning(
            f"Ignored {shown('q=' + linked)} from the link: {markdown_literal(problem)}.", icon=":material/link_off:"
        )
        linked = ""
    st.session_state["explorer_search"] = linked
search = search_col.text_input(
    "Search party, country, topic or event id", key="explorer_search", placeholder="e.g. Socialist, Brazil, seminar"
)
filter_state.url_option("sort", "explorer_sort", list(SORTS), "date")
order_by = sort_col.selectbox(
    "Sort by", list(SORTS), key="explorer_sort", format_func=lambda sort: SORTS.get(sort, sort)
)
descending = order_col.toggle("Newest / Z first", value=True, key="explorer_desc")
filter_state.write_url_option("q", search.strip() or None, None)
filter_state.write_url_option("sort", order_by, "date")

total = cache.ledger_rows_count(current, search=search)
LIMIT = 1000
rows_shown = cache.ledger_rows(current, search=search, order_by=order_by, descending=descending, limit=LIMIT)
if total == 0:
    furniture.empty_state(f"No exchange matches the search {shown(search)}.")
else:
    st.markdown(f"**{total:,}** exchanges match" + (f"; the first {LIMIT:,} are shown." if total > LIMIT else "."))
    st.dataframe(
        furniture.labelled(rows_shown),
        hide_index=True,
        width="stretch",
        height=460,
        column_config=furniture.LEDGER_COLUMN_CONFIG,
    )
    stem = f"exchanges-{dt.date.today().isoformat()}"

    def all_rows():
        return explore.ledger_rows(
            cache.reader().connection(), current, search=search, order_by=order_by, descending=descending, limit=None
        )

    csv_col, xlsx_col, _ = st.columns([1, 1, 3])
    with csv_col:
        downloads.download_csv(all_rows, stem, key="ledger_csv", label=f"CSV ({total:,} rows)")
    with xlsx_col:
        downloads.download_xlsx(all_rows, stem, key="ledger_xlsx", label=f"Excel ({total:,} rows)")
