"""Parties: the list of the ledger's parties (name, Chinese name, country, family, exchanges,
first and last exchange, former names), searched and filtered by country; the names over time
of the party chosen; and, for analysts and admins, its three changes (rename, reclassify,
merge into another party of its country) and the possible duplicates with a one-click merge.

The page only draws: reading and writing are ``analytics.parties`` (the functions the ``party``
commands call), which check the role, audit and write one change batch each; the undo offered
after a change is ``analytics.importer.undo_batch``. Party names are ledger text: shown in
tables as they are, escaped wherever Markdown reads them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import i18n, importer, parties, vocab
from analytics.access import Action, Actor
from analytics.changes import describe
from analytics.errors import DomainError
from analytics.i18n import t, vocabulary_label
from analytics.untrusted import capped, markdown_literal
from pages import cache, entry, filter_state, furniture, signin

FLASH_KEY = "parties_flash"
UNDO_OFFER_KEY = "parties_undo_offer"  # the batch of the change just made
UNDO_REQUEST_KEY = "_parties_undo_request"  # the batch whose undo button was clicked
NEXT_KEY = "_parties_select_next"  # the party to choose on the next run (after a merge)
ROWS_KEY = "_parties_table_rows"  # the table's last row selection, to notice a new one
SELECTED_KEY = "parties_selected"
ALL = ""  # the country filter's value for every country
DUPLICATES_SHOWN = 50
LIST_HEADERS = {
    "party_id": "page.parties.column.id",
    "name": "page.parties.column.name",
    "name_zh": "page.parties.column.name_zh",
    "former_names": "page.parties.column.former",
    "country": "page.parties.column.country",
    "family": "page.parties.column.family",
    "exchanges": "page.parties.column.exchanges",
    "first_date": "page.parties.column.first",
    "last_date": "page.parties.column.last",
}


def country(iso3: object) -> str:
    """A party's country in the current language (the international bucket for none)."""
    return filter_state.country_name(iso3 if isinstance(iso3, str) else "")


def screen_list(frame: pd.DataFrame) -> pd.DataFrame:
    """The party list for reading: country and family named in the language, the columns in order."""
    return frame.assign(
        country=frame["country_iso3"].map(country),
        family=frame["family"].map(vocabulary_label),
        name_zh=frame["name_zh"].fillna(""),  # an empty cell, not "None"
    )[list(LIST_HEADERS)]


def change(write, *args: object) -> None:
    """Make one change (a function of ``analytics.parties``) as the signed-in actor; its one
    line (or the error's) is shown after the rerun, with the undo of its batch offered."""
    try:
        result = write(ledger, *args, actor=actor)
    except DomainError as error:
        furniture.flash(FLASH_KEY, "error", t("page.parties.failed", error=markdown_literal(error)))
    else:
        furniture.flash(FLASH_KEY, "success", markdown_literal(result.message()))
        st.session_state[UNDO_OFFER_KEY] = result.batch_id
    st.rerun()


def undo_offer() -> None:
    """Right after a change: the one-click undo of its batch (gone at the next run; the Data
    page's history keeps every batch)."""
    batch = st.session_state.pop(UNDO_OFFER_KEY, None)
    if batch is not None:
        st.button(
            t("page.parties.undo", batch=batch),
            key="parties_undo",
            icon=":material/undo:",
            on_click=st.session_state.__setitem__,
            args=(UNDO_REQUEST_KEY, batch),
        )


def undo_requested() -> None:
    """The undo asked for by the button of the run before (done here, in the run's language)."""
    batch = st.session_state.pop(UNDO_REQUEST_KEY, None)
    if batch is None:
        return
    try:
        done = importer.undo_batch(ledger, batch, actor=actor)
    except DomainError as error:
        furniture.flash(FLASH_KEY, "error", t("page.parties.undo_failed", batch=batch, error=markdown_literal(error)))
    else:
        furniture.flash(
            FLASH_KEY,
            "success",
            t("page.parties.undone", batch=done.batch_id, summary=markdown_literal(describe(done.summary))),
        )


def party_label(row) -> str:
    return t(
        "page.parties.choice",
        party=capped(row.name, 120),
        country=country(row.country_iso3),
        exchanges=i18n.plural("page.parties.exchanges", int(row.exchanges)),
    )


def names_section(party_id: int) -> None:
    st.subheader(t("page.parties.names.header"))
    frame = parties.party_names(con, party_id)
    furniture.party_names_table(frame, key="parties_names")
    if len(frame) == 1:
        st.caption(t("page.parties.names.none"))


def edit_section(party: dict, everyone: pd.DataFrame) -> None:
    """Rename, reclassify and merge the chosen party (analysts and admins)."""
    number = int(party["party_id"])
    name = markdown_literal(capped(party["name"], 120))
    st.subheader(t("page.parties.edit.header", party=name))
    rename, family, merge = st.columns(3, gap="medium")
    with rename:
        st.markdown(t("page.parties.rename.header"))
        new_name = st.text_input(
            t("page.parties.rename.label"), key=f"parties_rename_name_{number}", placeholder=capped(party["name"], 120)
        )
        if st.button(t("page.parties.rename.button"), key="parties_rename"):
            change(parties.rename_party, number, new_name)
    with family:
        st.markdown(t("page.parties.family.header"))
        codes = list(vocab.PARTY_FAMILIES)
        chosen = st.selectbox(
            t("page.parties.family.label"),
            codes,
            index=codes.index(party["family"]) if party["family"] in codes else 0,
            key=f"parties_family_{number}",
            format_func=filter_state.worded(vocabulary_label),
        )
        if st.button(t("page.parties.family.button"), key="parties_family_set", disabled=chosen == party["family"]):
            change(parties.set_family, number, chosen)
    with merge:
        st.markdown(t("page.parties.merge.header"))
        same_country = everyone["country_iso3"].fillna("") == (party["country_iso3"] or "")
        others = everyone[same_country & (everyone["party_id"] != number)]
        if others.empty:
            st.caption(t("page.parties.merge.none", country=country(party["country_iso3"])))
            return
        labels = {int(row.party_id): party_label(row) for row in others.itertuples(index=False)}
        into = st.selectbox(
            t("page.parties.merge.label"),
            list(labels),
            key=f"parties_merge_into_{number}",
            format_func=lambda choice: labels.get(choice, str(choice)),
        )
        st.caption(t("page.parties.merge.intro", party=name))
        sure = st.checkbox(t("page.parties.merge.confirm"), key=f"parties_merge_confirm_{number}")
        if st.button(t("page.parties.merge.button"), key="parties_merge", type="primary", disabled=not sure):
            st.session_state[NEXT_KEY] = into
            change(parties.merge_parties, number, into)


def duplicates_section(iso3: str | None) -> None:
    """The possible duplicates, each pair with the merge of the one with fewer exchanges."""
    st.subheader(t("page.parties.duplicates.header"))
    st.caption(t("page.parties.duplicates.intro"))
    pairs = parties.possible_duplicates(con, country=iso3)
    if pairs.empty:
        st.caption(t("page.parties.duplicates.none"))
        return
    for row in pairs.head(DUPLICATES_SHOWN).itertuples(index=False):
        # The one with fewer exchanges goes into the one with more; on a tie the newer into the older.
        if row.other_exchanges > row.exchanges:
            source, target = (row.party_id, row.name), (row.other_party_id, row.other_name)
        else:
            source, target = (row.other_party_id, row.other_name), (row.party_id, row.name)
        text, action = st.columns([3, 2], vertical_alignment="center")
        text.markdown(
            t(
                "page.parties.duplicates.pair",
                name=markdown_literal(capped(row.name, 120)),
                party=row.party_id,
                exchanges=i18n.plural("page.parties.exchanges", int(row.exchanges)),
                other_name=markdown_literal(capped(row.other_name, 120)),
                other=row.other_party_id,
                other_exchanges=i18n.plural("page.parties.exchanges", int(row.other_exchanges)),
                country=markdown_literal(country(row.country_iso3)),
                why=t(f"page.parties.duplicates.why.{row.why}"),
            )
        )
        if action.button(
            t(
                "page.parties.duplicates.merge",
                name=markdown_literal(capped(source[1], 60)),
                into_name=markdown_literal(capped(target[1], 60)),
            ),
            key=f"parties_dup_merge_{row.party_id}_{row.other_party_id}",
            icon=":material/merge:",
        ):
            st.session_state[NEXT_KEY] = int(target[0])
            change(parties.merge_parties, int(source[0]), int(target[0]))
    if len(pairs) > DUPLICATES_SHOWN:
        st.caption(
            t("page.parties.duplicates.first", shown=i18n.number(DUPLICATES_SHOWN), total=i18n.number(len(pairs)))
        )


entry.ensure_entry()
actor: Actor = signin.current_actor()
st.title(t("nav.parties"))
st.caption(t("page.parties.intro"))
furniture.demo_badge()
ledger = cache.ledger_path()
undo_requested()
furniture.show_flash(FLASH_KEY)
info = cache.info()
con = cache.reader().connection().cursor()
editor = actor.may(Action.EDIT) and not info.is_demo
if editor:
    undo_offer()
elif info.is_demo and actor.may(Action.EDIT):
    st.info(t("page.parties.demo"), icon=":material/lock:")

everyone = parties.party_list(con)
if everyone.empty:
    furniture.empty_state(t("page.parties.empty"))
    st.stop()

search_col, country_col = st.columns([2, 1], vertical_alignment="bottom")
search = search_col.text_input(
    t("page.parties.search"), key="parties_search", placeholder=t("page.parties.search.placeholder")
)
codes = sorted(
    {code for code in everyone["country_iso3"] if isinstance(code, str)}, key=lambda c: i18n.sort_key(country(c))
)
everywhere = t("page.parties.country.all")
iso3 = country_col.selectbox(
    t("page.parties.country"),
    [ALL, *codes],
    key="parties_country",
    format_func=filter_state.worded(lambda code: everywhere if code == ALL else country(code)),
)
shown = parties.party_list(con, country=iso3 or None, search=search or None)
if shown.empty:
    st.caption(t("page.parties.no_match"))
    st.stop()
st.caption(t("page.parties.count", shown=i18n.number(len(shown)), total=i18n.number(len(everyone))))
column = st.column_config
event = st.dataframe(
    screen_list(shown),
    hide_index=True,
    width="stretch",
    key="parties_table",
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        # Widths that fit the whole row on a laptop screen; a cut name shows whole on hover.
        "party_id": column.NumberColumn(t(LIST_HEADERS["party_id"]), format="%d", width=50),
        "name": column.TextColumn(t(LIST_HEADERS["name"]), width=190),
        "name_zh": column.TextColumn(t(LIST_HEADERS["name_zh"]), width=90),
        "former_names": column.TextColumn(t(LIST_HEADERS["former_names"]), width=130),
        "country": column.TextColumn(t(LIST_HEADERS["country"]), width=90),
        "family": column.TextColumn(t(LIST_HEADERS["family"]), width=160),
        "exchanges": column.NumberColumn(t(LIST_HEADERS["exchanges"]), format="%d", width=80),
        "first_date": column.DateColumn(t(LIST_HEADERS["first_date"]), format="YYYY-MM-DD", width=100),
        "last_date": column.DateColumn(t(LIST_HEADERS["last_date"]), format="YYYY-MM-DD", width=100),
    },
)

ids = [int(value) for value in shown["party_id"]]
# A row clicked in the table chooses that party; a merge chooses the party merged into.
rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
if rows != st.session_state.get(ROWS_KEY):
    st.session_state[ROWS_KEY] = rows
    if rows and rows[0] < len(ids):
        st.session_state[SELECTED_KEY] = ids[rows[0]]
wanted = st.session_state.pop(NEXT_KEY, None)
if wanted in ids:
    st.session_state[SELECTED_KEY] = wanted
if st.session_state.get(SELECTED_KEY) not in ids:
    st.session_state.pop(SELECTED_KEY, None)
labels = {int(row.party_id): party_label(row) for row in shown.itertuples(index=False)}
selected = st.selectbox(
    t("page.parties.selected"),
    ids,
    key=SELECTED_KEY,
    format_func=lambda choice: labels.get(choice, str(choice)),
)
names_section(int(selected))
if editor:
    edit_section(parties.get_party(con, int(selected)), everyone)
    duplicates_section(iso3 or None)
