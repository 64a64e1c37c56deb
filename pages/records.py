"""Records: keep the ledger by hand. Add one exchange, add a multilateral event (its fields once,
then a table of the parties that attended), correct a record or delete it; every save is one
change batch, undone from here at once or later from the Data page's history.

The page only draws: checking and writing are ``analytics.records`` (the import's own checks, so
a record typed here is judged as a spreadsheet row would be), and the functions get the signed-in
actor (they check the role and audit too). Analysts and admins get the forms; a viewer gets one
line saying who can. ``?exchange=N`` opens record N for correction (the Explorer links here). After
a save the page reruns: every cached number is keyed on the ledger file's signature
(``pages/cache``), so every page shows the new numbers at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from analytics import changes, importer, parties, records, reference, vocab
from analytics.access import Action, Actor
from analytics.errors import DomainError
from analytics.i18n import plural, t, vocabulary_label
from analytics.importer import REQUIRED
from analytics.untrusted import markdown_literal, shown, url_value_problem
from pages import cache, filter_state, furniture, signin

FLASH_KEY = "records_flash"  # (kind, message) to show once after the rerun that follows a write
LAST_KEY = "records_last_change"  # (batch id, message) of this session's last change: its undo
ROUND_KEY = "records_round"  # bumped after each save: the add forms start empty again
EDIT_ID_KEY = "rec_edit_id"
EDIT_LOADED_KEY = "_rec_edit_loaded"  # (exchange id, ledger version) the edit widgets were filled from
URL_SEEN_KEY = "_rec_exchange_param"  # the ?exchange= value last read from the URL
URL_PARAM = "exchange"
# Code fields: their vocabulary (the value of the selectbox is the code, its label in the language).
CODES: dict[str, tuple[str, ...]] = {
    "party_family": vocab.PARTY_FAMILIES,
    "party_status": vocab.PARTY_STATUSES,
    "form": vocab.FORMS,
    "direction": vocab.DIRECTIONS,
    "level": vocab.LEVELS,
}
# The fields that must be filled in (the import's required columns but the country, empty for
# an international organisation of parties).
MUST_FILL: tuple[str, ...] = tuple(field for field in REQUIRED if field != "country")
# Code fields the import sets to 'unknown' when left empty.
UNKNOWN_WHEN_EMPTY: tuple[str, ...] = ("party_status", "level")
# The attendees' table of an event: the fields given per party.
ATTENDEE_FIELDS: tuple[str, ...] = ("party", "party_zh", "country", "party_family", "party_status", "delegation_size")
# A problem table's columns -> their header's key (the Data page's validation report words them).
PROBLEM_HEADERS = {
    "column": "data_page.report.column",
    "value": "data_page.report.value",
    "reason": "data_page.report.reason",
    "suggestion": "data_page.report.suggestion",
}


def field_label(field: str) -> str:
    """A field's label: its name in the language, marked when the import requires it."""
    label = t(f"page.records.field.{field}")
    return t("page.records.required", label=label) if field in MUST_FILL else label


def saved(result: changes.ChangeResult) -> None:
    """After a write: the message, the undo offer, empty add forms, and a rerun (new numbers)."""
    st.session_state[LAST_KEY] = (result.batch_id, markdown_literal(result.message()))
    st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
    st.rerun()


def show_error(error: DomainError) -> None:
    """A refused save: the one-line message (it says nothing was saved, and why) and, for a
    record, the table of its problems."""
    st.error(markdown_literal(error), icon=":material/error:")
    problems = getattr(error, "problems", None)
    if isinstance(problems, pd.DataFrame) and len(problems) and set(PROBLEM_HEADERS) <= set(problems.columns):
        st.dataframe(
            problems[list(PROBLEM_HEADERS)].assign(column=problems["column"].map(importer.column_word)),
            hide_index=True,
            key="rec_problems",
            column_config={column: t(header) for column, header in PROBLEM_HEADERS.items()},
        )


def last_change(path: str, actor: Actor) -> None:
    """This session's last change, with the button that undoes it."""
    stored = st.session_state.get(LAST_KEY)
    if stored is None:
        return
    batch, message = stored
    text, action = st.columns([5, 1], vertical_alignment="center")
    text.success(message, icon=":material/check_circle:")
    if action.button(t("page.records.undo"), key="rec_undo", icon=":material/undo:"):
        try:
            done = importer.undo_batch(path, batch, actor=actor)
        except DomainError as error:
            st.error(t("page.records.undo.failed", batch=batch, error=markdown_literal(error)), icon=":material/error:")
            return
        st.session_state.pop(LAST_KEY, None)
        furniture.flash(
            FLASH_KEY,
            "success",
            t("page.records.undo.done", batch=batch, summary=markdown_literal(changes.describe(done.summary))),
        )
        st.rerun()


# -- the widgets of a record's fields ---------------------------------------------------------


def _key(prefix: str, field: str) -> str:
    return f"{prefix}_{field}"


def party_lookup(table: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Party name -> its country, family and Chinese name, for the names held by one party only."""
    found: dict[str, dict[str, str]] = {}
    doubled: set[str] = set()
    for row in table.itertuples(index=False):
        if row.name in found:
            doubled.add(row.name)
        found[row.name] = {
            "country": row.country_iso3 or "",
            "party_family": row.family or "",
            "party_zh": row.name_zh if isinstance(row.name_zh, str) else "",
        }
    return {name: values for name, values in found.items() if name not in doubled}


def prefill(prefix: str, lookup: Mapping[str, Mapping[str, str]]) -> None:
    """The party box's callback: an existing party brings its country, family and Chinese name."""
    known = lookup.get(st.session_state.get(_key(prefix, "party")) or "")
    if not known:
        return
    st.session_state[_key(prefix, "country")] = known["country"] or None
    st.session_state[_key(prefix, "party_family")] = known["party_family"] or None
    if known["party_zh"] and not st.session_state.get(_key(prefix, "party_zh")):
        st.session_state[_key(prefix, "party_zh")] = known["party_zh"]


def country_choices() -> dict[str, str]:
    """ISO3 -> 'Name (ISO3)' in the language, by name."""
    table = reference.countries()
    named = {
        iso3: t("page.records.country_choice", country=filter_state.country_name(iso3), iso3=iso3)
        for iso3 in table["iso3"]
    }
    return dict(sorted(named.items(), key=lambda item: item[1].casefold()))


def code_box(container, prefix: str, field: str) -> None:
    container.selectbox(
        field_label(field),
        CODES[field],
        index=None,
        key=_key(prefix, field),
        format_func=filter_state.worded(vocabulary_label),
        placeholder=vocabulary_label("unknown") if field in UNKNOWN_WHEN_EMPTY else t("page.records.choose"),
    )


def shared_fields(prefix: str, fields: tuple[str, ...]) -> None:
    """The fields an exchange has whoever the party is: date, form, direction, level, event, topic, source."""
    date, form, direction, level = st.columns(4)
    if "date" in fields:
        date.text_input(
            field_label("date"),
            key=_key(prefix, "date"),
            placeholder=t("page.records.date.hint"),
            help=t("page.records.date.help"),
        )
    code_box(form, prefix, "form")
    code_box(direction, prefix, "direction")
    code_box(level, prefix, "level")
    event, source = st.columns(2)
    event.text_input(field_label("event_id"), key=_key(prefix, "event_id"), help=t("page.records.event_id.help"))
    source.text_input(field_label("source"), key=_key(prefix, "source"))
    st.text_area(field_label("topic"), key=_key(prefix, "topic"), height=80)


def with_typed(options: list[str], key: str) -> list[str]:
    """A box's options and, first, the value typed into it (``accept_new_options``) if it is new."""
    typed = st.session_state.get(key)
    return [typed, *options] if isinstance(typed, str) and typed and typed not in options else options


def party_fields(prefix: str, names: list[str], countries: dict[str, str], lookup: dict) -> None:
    """The fields of the party met: name (suggested as typed), Chinese name, country, family, status, delegation."""
    party, party_zh = st.columns([3, 2])
    party.selectbox(
        field_label("party"),
        with_typed(names, _key(prefix, "party")),
        index=None,
        key=_key(prefix, "party"),
        accept_new_options=True,
        placeholder=t("page.records.party.placeholder"),
        help=t("page.records.party.help"),
        on_change=prefill,
        args=(prefix, lookup),
    )
    party_zh.text_input(field_label("party_zh"), key=_key(prefix, "party_zh"))
    country, family, status, size = st.columns([3, 2, 2, 1])
    country.selectbox(
        field_label("country"),
        with_typed(list(countries), _key(prefix, "country")),
        index=None,
        key=_key(prefix, "country"),
        accept_new_options=True,
        format_func=filter_state.worded(lambda code: countries.get(code, code)),
        placeholder=t("page.records.country.placeholder"),
        help=t("page.records.country.help"),
    )
    code_box(family, prefix, "party_family")
    code_box(status, prefix, "party_status")
    size.number_input(
        field_label("delegation_size"), min_value=1, step=1, value=None, key=_key(prefix, "delegation_size")
    )


def cell(value: object) -> str:
    """A widget's or a table cell's value as an import-format cell (empty for nothing)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def widget_values(prefix: str, fields: tuple[str, ...]) -> dict[str, str]:
    return {field: cell(st.session_state.get(_key(prefix, field))) for field in fields}


# -- the sections -----------------------------------------------------------------------------


def add_section(path: str, actor: Actor, names: list[str], countries: dict[str, str], lookup: dict) -> None:
    prefix = f"rec_add{_round()}"
    st.caption(t("page.records.add.intro"))
    party_fields(prefix, names, countries, lookup)
    shared_fields(prefix, records.EVENT_FIELDS)
    if st.button(t("page.records.add.button"), key=f"{prefix}_save", type="primary", icon=":material/add:"):
        try:
            result = records.add_record(path, widget_values(prefix, records.FIELDS), actor=actor)
        except DomainError as error:
            show_error(error)
        else:
            saved(result)


def _round() -> str:
    round_ = st.session_state.get(ROUND_KEY, 0)
    return f"_{round_}" if round_ else ""


def attendee_table() -> pd.DataFrame:
    return pd.DataFrame({field: pd.Series(dtype="object") for field in ATTENDEE_FIELDS}).astype(
        {"delegation_size": "Int64"}
    )


def event_section(path: str, actor: Actor) -> None:
    prefix = f"rec_event{_round()}"
    st.caption(t("page.records.event.intro"))
    shared_fields(prefix, records.EVENT_FIELDS)
    st.markdown(t("page.records.event.parties"))
    codes = {field: st.column_config.SelectboxColumn for field in ("party_family", "party_status")}
    edited = st.data_editor(
        attendee_table(),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"{prefix}_parties",
        column_config={
            "party": st.column_config.TextColumn(field_label("party"), required=True, width="medium"),
            "party_zh": st.column_config.TextColumn(field_label("party_zh")),
            "country": st.column_config.TextColumn(field_label("country"), help=t("page.records.event.country.help")),
            **{
                field: column(
                    field_label(field), options=list(CODES[field]), format_func=filter_state.worded(vocabulary_label)
                )
                for field, column in codes.items()
            },
            "delegation_size": st.column_config.NumberColumn(
                field_label("delegation_size"), min_value=1, step=1, format="%d"
            ),
        },
    )
    attendees = [
        {field: cell(row[field]) for field in ATTENDEE_FIELDS}
        for _, row in edited.iterrows()
        if any(cell(row[field]) for field in ATTENDEE_FIELDS)
    ]
    if st.button(
        plural("page.records.event.button", len(attendees)),
        key=f"{prefix}_save",
        type="primary",
        icon=":material/group_add:",
    ):
        try:
            result = records.add_event(path, widget_values(prefix, records.EVENT_FIELDS), attendees, actor=actor)
        except DomainError as error:
            show_error(error)
        else:
            saved(result)


def linked_exchange() -> None:
    """``?exchange=N`` from a link opens record N (once per new value; a bad one warns)."""
    raw = st.query_params.get(URL_PARAM)
    if raw is None or raw == st.session_state.get(URL_SEEN_KEY):
        return
    st.session_state[URL_SEEN_KEY] = raw
    problem = url_value_problem(raw)
    if problem is None and raw.strip().isdigit() and int(raw) > 0:
        st.session_state[EDIT_ID_KEY] = int(raw)
        return
    reason = problem or t("page.records.edit.bad_link")
    st.warning(
        t("link.ignored", value=shown(f"{URL_PARAM}={raw}"), reason=markdown_literal(reason)),
        icon=":material/link_off:",
    )


def load_record(record: dict, exchange_id: int) -> None:
    """Fill the edit widgets from the record, when another record (or a new ledger) is shown."""
    loaded = (exchange_id, cache.ledger_version())
    if st.session_state.get(EDIT_LOADED_KEY) == loaded:
        return
    st.session_state[EDIT_LOADED_KEY] = loaded
    for field in records.FIELDS:
        value = record.get(field)
        if field == "delegation_size":
            value = None if value is None else int(str(value))
        elif field in CODES or field in ("party", "country"):
            value = value or None
        else:
            value = "" if value is None else str(value)
        st.session_state[_key("rec_edit", field)] = value


def edit_section(path: str, actor: Actor, names: list[str], countries: dict[str, str], lookup: dict) -> None:
    st.caption(t("page.records.edit.intro"))
    linked_exchange()
    exchange_id = st.number_input(
        t("page.records.edit.id"), min_value=1, step=1, value=None, key=EDIT_ID_KEY, width=220
    )
    filter_state.write_url_option(URL_PARAM, exchange_id, None)
    if exchange_id is None:
        return
    st.session_state[URL_SEEN_KEY] = str(exchange_id)
    try:
        record = records.get_record(cache.reader().connection().cursor(), int(exchange_id))
    except DomainError as error:
        st.warning(markdown_literal(error), icon=":material/search_off:")
        return
    if record["batch_id"] is None:  # written before batches were kept
        st.markdown(t("page.records.edit.heading", exchange=exchange_id))
    else:
        st.markdown(t("page.records.edit.batch", exchange=exchange_id, batch=record["batch_id"]))
    load_record(record, int(exchange_id))
    party_fields("rec_edit", names, countries, lookup)
    shared_fields("rec_edit", records.EVENT_FIELDS)
    save, sure, delete = st.columns([2, 2, 1], vertical_alignment="center")
    if save.button(t("page.records.edit.button"), key="rec_edit_save", type="primary", icon=":material/save:"):
        before = {field: cell(record.get(field)) for field in records.FIELDS}
        after = widget_values("rec_edit", records.FIELDS)
        changed = {field: value for field, value in after.items() if value != before[field]}
        if not changed:
            st.info(t("page.records.edit.unchanged"), icon=":material/info:")
        else:
            try:
                result = records.edit_record(path, int(exchange_id), changed, actor=actor)
            except DomainError as error:
                show_error(error)
            else:
                saved(result)
    confirmed = sure.checkbox(t("page.records.delete.sure", exchange=exchange_id), key="rec_delete_sure")
    if delete.button(t("page.records.delete.button"), key="rec_delete", icon=":material/delete:"):
        if not confirmed:
            st.warning(t("page.records.delete.confirm_first"), icon=":material/warning:")
            return
        try:
            result = records.delete_record(path, int(exchange_id), actor=actor)
        except DomainError as error:
            show_error(error)
        else:
            st.session_state.pop("rec_delete_sure", None)
            st.session_state.pop(EDIT_ID_KEY, None)
            st.session_state.pop(EDIT_LOADED_KEY, None)
            saved(result)


def choices() -> tuple[list[str], dict[str, dict[str, str]]]:
    """The ledger's party names (A to Z) and the lookup that prefills a known party's fields."""
    table = parties.party_list(cache.reader().connection().cursor())
    names = sorted(set(table["name"]), key=str.casefold)
    return names, party_lookup(table)


SECTIONS: dict[str, Callable[[], str]] = {
    "add": lambda: t("page.records.tab.add"),
    "event": lambda: t("page.records.tab.event"),
    "edit": lambda: t("page.records.tab.edit"),
}


furniture.page_header("nav.records", "page.records.intro", summary=False)
actor = signin.current_actor()
ledger = cache.ledger_path()
if not actor.may(Action.EDIT):
    st.info(t("page.records.analysts_only", role=actor.role.title), icon=":material/lock:")
    st.stop()
if cache.info().is_demo:
    st.info(t("page.records.demo"), icon=":material/info:")
    st.stop()
furniture.show_flash(FLASH_KEY)
last_change(ledger, actor)
party_names, lookup = choices()
country_labels = country_choices()
labels = {name: label() for name, label in SECTIONS.items()}
add_tab, event_tab, edit_tab = st.tabs(
    list(labels.values()), default=labels["edit"] if st.query_params.get(URL_PARAM) else None
)
with add_tab:
    add_section(ledger, actor, party_names, country_labels, lookup)
with event_tab:
    event_section(ledger, actor)
with edit_tab:
    edit_section(ledger, actor, party_names, country_labels, lookup)
