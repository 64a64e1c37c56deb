"""Profiles: one country or one party. Its totals, its timeline of exchanges, its forms,
levels and statuses, its parties (for a country) and the table of its exchanges. The
profile keeps the sidebar's years and other filters; its geography replaces theirs."""

import re

import streamlit as st

from analytics.profiles import Profile, ProfileError, profile_filters
from analytics.untrusted import capped, markdown_literal, shown, url_value_problem
from pages import cache, chart_display, downloads, filter_state, furniture

current = furniture.page_header(
    "Profiles", "One country or one party: its timeline and the exchanges behind it.", summary=False
)
countries = cache.country_choices()
parties = cache.party_choices()
if countries.empty and parties.empty:
    furniture.empty_state("The ledger holds no exchanges yet.")
    st.stop()

COUNTRY_LABELS = {row.country_iso3: f"{row.country} ({row.region})" for row in countries.itertuples()}
PARTY_LABELS = {f"{row.country_iso3}:{row.party}": f"{row.party} ({row.country})" for row in parties.itertuples()}

# A country chosen in the sidebar opens its profile; the profile in the URL (a link, a click
# on a map or a bar) decides on arrival.
if current.countries and st.session_state.get("_profile_sidebar_countries") != current.countries:
    st.session_state["_profile_sidebar_countries"] = current.countries
    if current.countries[0] in COUNTRY_LABELS:
        st.session_state["profile_kind"] = "Country"
        st.session_state["profile_country"] = current.countries[0]

raw = st.query_params.get("profile")
if raw and raw != st.session_state.get("_profile_param"):
    try:
        problem = url_value_problem(raw)
        if problem:
            raise ProfileError(problem + ".")
        wanted = Profile.from_param(raw)
        known = COUNTRY_LABELS if wanted.kind == "country" else PARTY_LABELS
        key = wanted.iso3 if wanted.kind == "country" else f"{wanted.iso3}:{wanted.party}"
        if key not in known:
            raise ProfileError(f"The ledger has no exchange with {wanted.kind} {capped(key)!r}.")
        st.session_state["profile_kind"] = wanted.kind.capitalize()
        st.session_state[f"profile_{wanted.kind}"] = key
    except ProfileError as error:
        st.warning(
            f"Ignored {shown('profile=' + raw)} from the link: {markdown_literal(error)}", icon=":material/link_off:"
        )
st.session_state.setdefault("profile_kind", "Country")
if not countries.empty:
    st.session_state.setdefault("profile_country", countries["country_iso3"].iloc[0])
if not parties.empty:
    st.session_state.setdefault("profile_party", next(iter(PARTY_LABELS)))

choose_kind, choose_entity = st.columns([1, 3], gap="medium", vertical_alignment="bottom")
kind = choose_kind.segmented_control("Profile of", ["Country", "Party"], key="profile_kind") or "Country"
if kind == "Country":
    iso3 = choose_entity.selectbox(
        "Country", list(COUNTRY_LABELS), key="profile_country", format_func=lambda code: COUNTRY_LABELS.get(code, code)
    )
    profile = Profile("country", iso3=iso3)
else:
    chosen = choose_entity.selectbox(
        "Party", list(PARTY_LABELS), key="profile_party", format_func=lambda choice: PARTY_LABELS.get(choice, choice)
    )
    iso3, _colon, name = chosen.partition(":")
    profile = Profile("party", iso3=iso3, party=name)
st.session_state["_profile_param"] = profile.to_param()
filter_state.write_url_option("profile", profile.to_param(), None)

scope = profile_filters(current, profile)
furniture.filters_summary(
    scope,
    " (the profile's country replaces the sidebar's region, sub-region, country and party)"
    if current.regions or current.subregions or current.countries or current.party
    else "",
)
summary = cache.profile_summary(scope)
if summary["exchanges"] == 0:
    furniture.empty_state(
        f"No exchange with this {kind.lower()} matches the filters in {summary['window_from']}–{summary['window_to']} "
        f"({summary['all_years_exchanges']:,} in all years without the filters)."
    )
    st.stop()

cards = st.columns(5 if profile.kind == "country" else 4)
cards[0].metric("Exchanges", f"{summary['exchanges']:,}", border=True)
cards[1].metric("Events", f"{summary['events']:,}", border=True)
cards[2].metric(
    "First exchange",
    f"{summary['first_date']:%b %Y}",
    border=True,
    help=f"First in {summary['window_from']}–{summary['window_to']}: {summary['first_date']:%Y-%m-%d}; "
    f"first ever: {summary['first_ever']:%Y-%m-%d}",
)
cards[3].metric(
    "Latest exchange", f"{summary['last_date']:%b %Y}", border=True, help=f"{summary['last_date']:%Y-%m-%d}"
)
if profile.kind == "country":
    cards[4].metric("Parties met", f"{summary['parties']:,}", border=True)

chart_display.show_chart("exchanges-per-year", scope, key="profile_timeline")
left, right = st.columns(2, gap="medium")
with left:
    chart_display.show_chart("by-form", scope, key="profile_by-form", clickable=False)
with right:
    chart_display.show_chart("by-status", scope, key="profile_by-status", clickable=False)
left, right = st.columns(2, gap="medium")
with left:
    chart_display.show_chart("by-level", scope, key="profile_by-level", clickable=False)
if profile.kind == "country":
    with right:
        chart_display.show_chart("top-parties", scope, key="profile_parties", top=10)
        st.caption("Click a party to open its profile.")

st.subheader("Its exchanges")
LIMIT = 500
rows = cache.ledger_rows(scope, limit=LIMIT)
st.dataframe(
    furniture.labelled(rows), hide_index=True, width="stretch", height=380, column_config=furniture.LEDGER_COLUMN_CONFIG
)
if summary["exchanges"] > LIMIT:
    st.caption(f"The latest {LIMIT:,} of {summary['exchanges']:,} exchanges are shown; the downloads hold them all.")
# The party's name in a file name: letters, digits and dashes only, at most 60 characters.
stem = (
    "profile-"
    + re.sub(r"[^\w]+", "-", f"{profile.iso3 or 'intl'}-{profile.party or 'country'}").strip("-").lower()[:60]
)


def all_rows():
    from analytics import explore

    return explore.ledger_rows(cache.reader().connection(), scope, limit=None)


csv_col, xlsx_col, _ = st.columns([1, 1, 3])
with csv_col:
    downloads.download_csv(all_rows, stem, key="profile_csv", label="CSV")
with xlsx_col:
    downloads.download_xlsx(all_rows, stem, key="profile_xlsx", label="Excel")
