"""Relationships: the parties behind the numbers. The table of every relationship under the
sidebar's filters (first and last exchange, years active, longest gap, years since the last,
status at the last), searched and sorted; the four lists analysts ask for (dormant, new,
resumed, ruling parties not met at leader level for N years); and the co-attendance view, the
parties met at the same multilateral events as a network and as a table of pairs.

The page only draws: the numbers are ``analytics.metrics.relationships`` and
``co_attendance`` (through ``pages.cache``), the lists their selections in ``analytics.metrics``,
the picture ``analytics.charts.co_attendance_chart``. Definitions: ``docs/metrics.md``. A row
chosen in any table links to the party's profile; every table downloads as CSV and Excel with
the metric's own columns and codes. Party names are ledger text: shown in tables as they are,
escaped wherever Markdown reads them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import charts, metrics
from analytics.i18n import number, t, vocabulary_label
from analytics.profiles import Profile
from analytics.untrusted import capped, markdown_literal, shown
from pages import cache, downloads, filter_state, findings_panel, furniture

PROFILES_PAGE = "pages/profiles.py"
# The columns shown of a relationships frame -> the catalogue key of their header.
COLUMNS = {
    "party": "pages.table.party",
    "party_zh": "pages.table.party_zh",
    "country": "pages.table.country",
    "party_family": "pages.table.party_family",
    "first_date": "page.relationships.column.first_date",
    "last_date": "page.relationships.column.last_date",
    "exchanges": "page.relationships.column.exchanges",
    "total_exchanges": "page.relationships.column.total_exchanges",
    "years_active": "page.relationships.column.years_active",
    "longest_gap_years": "page.relationships.column.longest_gap_years",
    "resumed_gap_years": "page.relationships.column.resumed_gap_years",
    "years_since_last": "page.relationships.column.years_since_last",
    "last_status": "page.relationships.column.last_status",
    "last_leader_date": "page.relationships.column.last_leader_date",
    "years_since_leader": "page.relationships.column.years_since_leader",
}
PAIR_COLUMNS = {
    "party_a": "page.relationships.column.party_a",
    "country_a": "page.relationships.column.country_a",
    "party_b": "page.relationships.column.party_b",
    "country_b": "page.relationships.column.country_b",
    "shared_events": "page.relationships.column.shared_events",
}
LINKS_SHOWN = 60  # the strongest pairs drawn in the network
PAIRS_SHOWN = 1000  # the pairs listed on screen (the downloads hold them all)


def _country(iso3: object) -> str:
    return filter_state.country_name(iso3 if isinstance(iso3, str) else "")


def screen(frame: pd.DataFrame) -> pd.DataFrame:
    """A relationships frame for reading: codes as labels, the country named in the language."""
    return frame.assign(
        country=frame["country_iso3"].map(_country),
        party_family=frame["party_family"].map(vocabulary_label),
        last_status=frame["last_status"].map(vocabulary_label),
        party_zh=frame["party_zh"].fillna(""),
    )[list(COLUMNS)]


def pair_names(pairs: pd.DataFrame, side: str) -> list[str]:
    """One side's party names as the charts name them: the Chinese name in Chinese when recorded."""
    return charts.display_party(pd.DataFrame({"party": pairs[f"party_{side}"], "party_zh": pairs[f"party_zh_{side}"]}))


def column_config() -> dict:
    column = st.column_config
    config: dict = {}
    for name, key in COLUMNS.items():
        if name.endswith("_date"):
            config[name] = column.DateColumn(t(key), format="YYYY-MM-DD")
        elif name in ("party", "party_zh"):
            config[name] = column.TextColumn(t(key), width="medium")
        elif name in ("country", "party_family", "last_status"):
            config[name] = column.TextColumn(t(key))
        else:
            config[name] = column.NumberColumn(t(key), format="%d")
    return config


def selected_rows(selection: object, frame: pd.DataFrame) -> list[int]:
    """The positions of the rows chosen in a table (its state after a click)."""
    try:
        positions = selection["selection"]["rows"]  # type: ignore[index]
    except (KeyError, TypeError):
        return []
    return [n for n in positions if isinstance(n, int) and 0 <= n < len(frame)]


def profile_link(party: str, iso3: object) -> None:
    """A link to the party's profile, keeping the filters and the language."""
    iso3 = iso3 if isinstance(iso3, str) else ""
    st.page_link(
        PROFILES_PAGE,
        label=t("page.relationships.open_profile", party=markdown_literal(capped(party, 120)), country=_country(iso3)),
        icon=":material/badge:",
        query_params={
            **filter_state.link_params(current),
            "profile": Profile("party", iso3=iso3, party=party).to_param(),
        },
    )


def download_buttons(frame: pd.DataFrame, stem: str, *, key: str) -> None:
    csv_col, xlsx_col, _ = st.columns([1, 1, 4])
    with csv_col:
        downloads.download_csv(frame, stem, key=f"{key}_csv")
    with xlsx_col:
        downloads.download_xlsx(frame, stem, key=f"{key}_xlsx")


def relationship_table(frame: pd.DataFrame, *, key: str, stem: str, height: int = 360) -> None:
    """One table of relationships with its count, a profile link for the row chosen, and its downloads."""
    st.caption(t("page.relationships.count", count=number(len(frame))))
    if frame.empty:
        st.info(t("page.relationships.none"), icon=":material/search_off:")
        return
    selection = st.dataframe(
        screen(frame),
        hide_index=True,
        width="stretch",
        height=min(height, 38 + 35 * len(frame)),
        column_config=column_config(),
        key=key,
        on_select="rerun",
        selection_mode="single-row",
    )
    chosen = selected_rows(selection, frame)
    if chosen:
        row = frame.iloc[chosen[0]]
        profile_link(str(row["party"]), row["country_iso3"])
    else:
        st.caption(t("page.relationships.pick_hint"))
    download_buttons(frame, stem, key=key)


current = furniture.page_header("nav.relationships", "page.relationships.intro")
findings_panel.what_changed(current)
everyone = cache.relationships(current)
if everyone.empty:
    furniture.empty_state()
    st.stop()
first, last = cache.window(current)

# ---- the table of every relationship
st.subheader(t("page.relationships.all.header"))
search = st.text_input(
    t("page.relationships.search"), key="relationships_search", placeholder=t("page.relationships.search.placeholder")
)
found = metrics.search_relationships(everyone, search, everyone["country_iso3"].map(_country))
if search.strip() and found.empty:
    furniture.empty_state(t("page.relationships.no_match", search=shown(search)))
else:
    relationship_table(found, key="relationships_all", stem=f"relationships-{first}-{last}", height=460)
    st.caption(t("page.relationships.sort_hint"))

# ---- the four lists
st.subheader(t("page.relationships.lists.header"))
dormant_tab, new_tab, resumed_tab, leader_tab = st.tabs(
    [
        t("page.relationships.dormant.tab"),
        t("page.relationships.new.tab"),
        t("page.relationships.resumed.tab"),
        t("page.relationships.leader.tab"),
    ]
)
with dormant_tab:
    years_col, least_col, _ = st.columns([1, 1, 2])
    dormant_years = int(
        years_col.number_input(
            t("page.relationships.dormant.years"),
            min_value=1,
            max_value=100,
            value=5,
            key="relationships_dormant_years",
        )
    )
    least = int(
        least_col.number_input(
            t("page.relationships.dormant.least"),
            min_value=1,
            max_value=10000,
            value=3,
            key="relationships_dormant_least",
        )
    )
    st.markdown(t("page.relationships.dormant.intro", years=dormant_years, least=least, last=last))
    relationship_table(
        metrics.dormant_relationships(everyone, dormant_years, least),
        key="relationships_dormant",
        stem=f"relationships-dormant-{dormant_years}y-{least}-to-{last}",
    )
with new_tab:
    st.markdown(t("page.relationships.new.intro", first=first, last=last))
    relationship_table(
        metrics.new_relationships(everyone), key="relationships_new", stem=f"relationships-new-{first}-{last}"
    )
with resumed_tab:
    gap_col, _ = st.columns([1, 3])
    gap = int(
        gap_col.number_input(
            t("page.relationships.resumed.years"),
            min_value=1,
            max_value=100,
            value=5,
            key="relationships_resumed_years",
        )
    )
    st.markdown(t("page.relationships.resumed.intro", years=gap, first=first, last=last))
    relationship_table(
        metrics.resumed_relationships(everyone, gap),
        key="relationships_resumed",
        stem=f"relationships-resumed-{gap}y-{first}-{last}",
    )
with leader_tab:
    leader_col, _ = st.columns([1, 3])
    leader_years = int(
        leader_col.number_input(
            t("page.relationships.leader.years"), min_value=1, max_value=100, value=5, key="relationships_leader_years"
        )
    )
    st.markdown(t("page.relationships.leader.intro", years=leader_years, last=last))
    relationship_table(
        metrics.ruling_without_leader(everyone, leader_years),
        key="relationships_leader",
        stem=f"relationships-ruling-no-leader-{leader_years}y-to-{last}",
    )

# ---- co-attendance
st.subheader(t("page.relationships.co.header"))
st.caption(t("page.relationships.co.intro"))
events_col, _ = st.columns([1, 3])
min_events = int(
    events_col.number_input(
        t("page.relationships.co.min_events"), min_value=1, max_value=1000, value=2, key="relationships_min_events"
    )
)
pairs = cache.co_attendance(current, min_events)
if pairs.empty:
    furniture.empty_state(t("page.relationships.co.none", count=number(min_events)))
else:
    st.plotly_chart(cache.co_attendance_chart(current, min_events, LINKS_SHOWN), key="relationships_network")
    if len(pairs) > LINKS_SHOWN:
        st.caption(t("page.relationships.co.strongest", shown=number(LINKS_SHOWN), count=number(len(pairs))))
    if len(pairs) > PAIRS_SHOWN:
        st.caption(t("page.relationships.pairs_first", shown=number(PAIRS_SHOWN), count=number(len(pairs))))
    else:
        st.caption(t("page.relationships.count_pairs", count=number(len(pairs))))
    listed = pairs.head(PAIRS_SHOWN)
    shown_pairs = listed.assign(
        party_a=pair_names(listed, "a"),
        party_b=pair_names(listed, "b"),
        country_a=listed["country_a"].map(_country),
        country_b=listed["country_b"].map(_country),
    )[list(PAIR_COLUMNS)]
    column = st.column_config
    selection = st.dataframe(
        shown_pairs,
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * len(listed)),
        column_config={
            name: column.NumberColumn(t(key), format="%d") if name == "shared_events" else column.TextColumn(t(key))
            for name, key in PAIR_COLUMNS.items()
        },
        key="relationships_pairs",
        on_select="rerun",
        selection_mode="single-row",
    )
    chosen = selected_rows(selection, listed)
    if chosen:
        row = listed.iloc[chosen[0]]
        left, right = st.columns(2)
        with left:
            profile_link(str(row["party_a"]), row["country_a"])
        with right:
            profile_link(str(row["party_b"]), row["country_b"])
    else:
        st.caption(t("page.relationships.pick_hint"))
    download_buttons(pairs, f"co-attendance-{min_events}-{first}-{last}", key="relationships_pairs")
