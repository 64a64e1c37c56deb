"""Profiles: one country or one party. Its totals, its timeline of exchanges, its forms,
levels and statuses, its parties (for a country), its names over time (a party recorded under
former names, ``analytics.parties.party_names``) and the table of its exchanges. The
profile keeps the sidebar's years and other filters; its geography replaces theirs."""

import datetime as dt
import re

import streamlit as st

from analytics import charts
from analytics.access import Action
from analytics.i18n import date, month, number, region_name, t
from analytics.parties import party_id_named, party_names
from analytics.profiles import Profile, ProfileError, profile_filters
from analytics.untrusted import capped, markdown_literal, shown, url_value_problem
from pages import cache, chart_display, downloads, filter_state, findings_panel, furniture, signin

current = furniture.page_header("nav.profiles", "page.profiles.intro", summary=False)
countries = cache.country_choices()
parties = cache.party_choices()
if countries.empty and parties.empty:
    furniture.empty_state(t("page.profiles.no_exchanges"))
    st.stop()


def _day(value: dt.date) -> dt.date:
    """A day of the data as a date (the ledger's dates come back as timestamps)."""
    return value.date() if isinstance(value, dt.datetime) else value


def _country(iso3: object, recorded: object) -> str:
    return filter_state.country_name(iso3 if isinstance(iso3, str) else "", str(recorded))


COUNTRY_LABELS = {
    row.country_iso3: t(
        "page.profiles.country_choice", country=_country(row.country_iso3, row.country), region=region_name(row.region)
    )
    for row in countries.itertuples()
}
PARTY_LABELS = {
    f"{row.country_iso3}:{row.party}": t(
        "page.profiles.party_choice", party=shown_party, country=_country(row.country_iso3, row.country)
    )
    # As the charts name a party: its Chinese name in Chinese when recorded.
    for row, shown_party in zip(parties.itertuples(), charts.display_party(parties), strict=True)
}
# The profile kinds: the widget's values (as before) -> the catalogue key of their names.
KINDS = {"Country": "page.profiles.kind.country", "Party": "page.profiles.kind.party"}

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
            raise ProfileError(t(f"page.profiles.unknown.{wanted.kind}", value=repr(capped(key))))
        st.session_state["profile_kind"] = wanted.kind.capitalize()
        st.session_state[f"profile_{wanted.kind}"] = key
    except ProfileError as error:
        st.warning(
            t("link.ignored", value=shown("profile=" + raw), reason=markdown_literal(error)), icon=":material/link_off:"
        )
st.session_state.setdefault("profile_kind", "Country")
if not countries.empty:
    st.session_state.setdefault("profile_country", countries["country_iso3"].iloc[0])
if not parties.empty:
    st.session_state.setdefault("profile_party", next(iter(PARTY_LABELS)))

choose_kind, choose_entity = st.columns([1, 3], gap="medium", vertical_alignment="bottom")
kind = (
    choose_kind.segmented_control(
        t("page.profiles.kind"),
        list(KINDS),
        key="profile_kind",
        format_func=filter_state.worded(lambda word: t(KINDS[word])),
    )
    or "Country"
)
if kind == "Country":
    iso3 = choose_entity.selectbox(
        t("page.profiles.kind.country"),
        list(COUNTRY_LABELS),
        key="profile_country",
        format_func=lambda code: COUNTRY_LABELS.get(code, code),
    )
    profile = Profile("country", iso3=iso3)
else:
    chosen = choose_entity.selectbox(
        t("page.profiles.kind.party"),
        list(PARTY_LABELS),
        key="profile_party",
        format_func=lambda choice: PARTY_LABELS.get(choice, choice),
    )
    iso3, _colon, name = chosen.partition(":")
    profile = Profile("party", iso3=iso3, party=name)
st.session_state["_profile_param"] = profile.to_param()
filter_state.write_url_option("profile", profile.to_param(), None)

scope = profile_filters(current, profile)
furniture.filters_summary(
    scope,
    t("page.profiles.replaces") if current.regions or current.subregions or current.countries or current.party else "",
)
summary = cache.profile_summary(scope)
if summary["exchanges"] == 0:
    furniture.empty_state(
        t(
            f"page.profiles.empty.{profile.kind}",
            first=summary["window_from"],
            last=summary["window_to"],
            all_years=number(summary["all_years_exchanges"]),
        )
    )
    st.stop()

# The two date cards are wider: a month in Chinese (1979年3月) is wider than a count.
cards = st.columns([1, 1, 1.5, 1.5, 1] if profile.kind == "country" else [1, 1, 1.5, 1.5])
cards[0].metric(t("page.profiles.kpi.exchanges"), number(summary["exchanges"]), border=True)
cards[1].metric(t("page.profiles.kpi.events"), number(summary["events"]), border=True)
cards[2].metric(
    t("page.profiles.kpi.first"),
    month(_day(summary["first_date"])),
    border=True,
    help=t(
        "page.profiles.kpi.first.help",
        first=summary["window_from"],
        last=summary["window_to"],
        date=date(_day(summary["first_date"])),
        ever=date(_day(summary["first_ever"])),
    ),
)
cards[3].metric(
    t("page.profiles.kpi.latest"), month(_day(summary["last_date"])), border=True, help=date(_day(summary["last_date"]))
)
if profile.kind == "country":
    cards[4].metric(t("page.profiles.kpi.parties"), number(summary["parties"]), border=True)
findings_panel.what_changed(scope)

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
        st.caption(t("page.profiles.click_party"))

if profile.kind == "party":
    # Its former names and the names of parties merged into it, when it has any.
    found = party_id_named(cache.reader().connection().cursor(), str(profile.party), profile.iso3 or None)
    names = party_names(cache.reader().connection().cursor(), found) if found is not None else None
    if names is not None and len(names) > 1:
        st.subheader(t("page.profiles.names.header"))
        st.caption(t("page.profiles.names.intro"))
        furniture.party_names_table(names, key="profile_names")

st.subheader(t("page.profiles.rows"))
LIMIT = 500
rows = cache.ledger_rows(scope, limit=LIMIT)
editor = signin.current_actor().may(Action.EDIT) and not cache.info().is_demo
selection = st.dataframe(
    furniture.labelled(rows),
    hide_index=True,
    width="stretch",
    height=380,
    column_config=furniture.ledger_column_config(),
    key="profile_rows",
    on_select="rerun" if editor else "ignore",
    selection_mode="single-row",
)
if editor:
    picked = furniture.selected_exchanges(selection, rows)
    if picked:
        furniture.record_link(picked[0], current)
    else:
        st.caption(t("page.profiles.open_record_hint"))
if summary["exchanges"] > LIMIT:
    st.caption(t("page.profiles.latest_shown", limit=number(LIMIT), count=number(summary["exchanges"])))
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
    downloads.download_csv(all_rows, stem, key="profile_csv")
with xlsx_col:
    downloads.download_xlsx(all_rows, stem, key="profile_xlsx")
