"""The Records page (pages/records.py) and the Explorer's bulk change (pages/explorer.py) driven
with Streamlit's AppTest from the real entry script, on real ledger files built in the test:
add an exchange (and the Overview counts it at once), add an event, a bad date's problem table,
correct a record opened by ``?exchange=N``, delete with and without confirmation, undo, and a
viewer who gets no form.

The ledger (by hand): exchange 1 Cedar Party (NAM) 1999-03, exchange 2 Dawn Party (FRA)
2001-05-02 working visit, exchange 3 Dawn Party (FRA) 2002 study trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import access
from analytics.untrusted import markdown_literal
from tests.ledgers import query

pytestmark = pytest.mark.slow  # pages through Streamlit's AppTest, with real writes

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
TIMEOUT = 120
PASSWORD = "correct horse battery"
ROWS = [
    {"date": "1999-03", "party": "Cedar Party", "country": "NAM", "family": "national_democratic"},
    {"date": "2001-05-02", "party": "Dawn Party", "country": "FRA", "family": "socialist"},
    {"date": "2002", "party": "Dawn Party", "country": "FRA", "family": "socialist", "form": "study_trip"},
]


@pytest.fixture
def ledger(monkeypatch, make_ledger) -> Path:
    path = make_ledger(ROWS)
    monkeypatch.setenv("LEDGER_DB", str(path))
    return path


def exchanges(path: Path) -> int:
    return query(path, "SELECT count(*) FROM exchanges")[0][0]


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def page(name: str, query_params: dict | None = None) -> AppTest:
    """A page file run on its own (it signs in and sets the language itself, pages/entry.py).
    Not through dashboard.py: after AppTest's switch_page a button click is not delivered to the
    page (the click's rerun names another page hash), so the writes are driven on the page file."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=TIMEOUT)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    at.run()
    no_exception(at)
    return at


def records_page(query_params: dict | None = None) -> AppTest:
    return page("records", query_params)


def fill(at: AppTest, prefix: str, values: dict) -> AppTest:
    """Set the widgets of a form (``prefix``_field) as a user would, then rerun once."""
    for field, value in values.items():
        key = f"{prefix}_{field}"
        if field in ("date", "party_zh", "event_id", "source"):
            at.text_input(key=key).input(value)
        elif field == "topic":
            at.text_area(key=key).input(value)
        elif field == "delegation_size":
            at.number_input(key=key).set_value(value)
        else:
            box = at.selectbox(key=key)
            if box.format_func(value) not in box.options:
                # Typed, not picked (accept_new_options): the browser sends the typed text as the
                # value; AppTest's selectbox sends only a listed option, so the text is listed.
                box.options.append(box.format_func(value))
            box.set_value(value)
    return at.run()


def problems(at: AppTest) -> pd.DataFrame:
    """The problem table of a refused save (the one table with a reason column)."""
    (table,) = [frame.value for frame in at.dataframe if "reason" in frame.value.columns]
    return table


def buttons(at: AppTest) -> set[str]:
    return {button.key for button in at.button if button.key}


def successes(at: AppTest) -> list[str]:
    return [s.value for s in at.success]


def test_add_one_exchange_names_it_and_its_batch_and_every_page_counts_it(ledger):
    at = records_page()
    fill(
        at,
        "rec_add",
        {
            "party": "Elm Party",
            "country": "DEU",
            "party_family": "liberal",
            "date": "2024-05",
            "form": "working_visit",
            "direction": "inbound",
        },
    )
    at.button(key="rec_add_save").click().run()
    no_exception(at)
    assert successes(at) == ["Added exchange 4 (2024-05, Elm Party, DEU), as batch 1."]
    assert exchanges(ledger) == 4
    assert query(
        ledger,
        "SELECT e.date_precision, p.name, p.country_iso3 FROM exchanges e JOIN parties p "
        "USING (party_id) WHERE exchange_id = 4",
    ) == [("month", "Elm Party", "DEU")]
    assert at.text_input(key="rec_add_1_date").value == ""  # the form starts empty again
    overview = page("overview")  # the Overview, run after: the new number at once
    shown = {m.label: m.value for m in overview.metric}
    assert shown["Exchanges in 2024"] == "1"


def test_an_existing_party_brings_its_country_and_family(ledger):
    at = records_page()
    fill(at, "rec_add", {"party": "Cedar Party"})
    assert at.selectbox(key="rec_add_country").value == "NAM"
    assert at.selectbox(key="rec_add_party_family").value == "national_democratic"


def test_a_bad_date_shows_the_imports_reason_keeps_the_form_and_adds_nothing(ledger):
    at = records_page()
    typed = {
        "party": "Cedar Party",
        "date": "2024-13",
        "form": "study_trip",
        "direction": "outbound",
        "topic": "Soil",
    }
    fill(at, "rec_add", typed)
    at.button(key="rec_add_save").click().run()
    no_exception(at)
    assert exchanges(ledger) == 3
    assert [e.value for e in at.error] == [
        "Not saved: date '2024-13': not a calendar date (check the month and the day)"
    ]
    table = problems(at)
    assert table[["column", "value", "reason"]].values.tolist() == [
        ["date", "2024-13", "not a calendar date (check the month and the day)"]
    ]
    assert at.text_input(key="rec_add_date").value == "2024-13"  # nothing lost from the form
    assert at.text_area(key="rec_add_topic").value == "Soil"
    assert at.selectbox(key="rec_add_country").value == "NAM"


def test_add_an_event_with_two_parties_writes_two_rows_with_one_event_id(ledger):
    at = records_page()
    fill(at, "rec_event", {"date": "2017-11-30", "form": "multilateral_meeting", "direction": "inbound"})
    # The parties' table as the data editor hands it over (AppTest cannot type into its cells).
    editor_key = "rec_event_parties"
    at.session_state[editor_key] = {
        "edited_rows": {},
        "added_rows": [
            {"party": "Dawn Party", "country": "FRA", "party_family": "socialist"},
            {"party": "Fern Party", "country": "Kenya", "party_family": "green", "delegation_size": 3},
        ],
        "deleted_rows": [],
    }
    at.run()
    no_exception(at)
    button = at.button(key="rec_event_save")
    assert button.label == "Add the event (2 parties)"
    button.click().run()
    no_exception(at)
    assert successes(at) == ["Added 2 exchanges of event event-1 on 2017-11-30 (exchanges 4–5), as batch 1."]
    assert query(
        ledger,
        "SELECT p.name, p.country_iso3, e.event_id, e.delegation_size FROM exchanges e JOIN parties p USING (party_id)"
        " WHERE e.exchange_id > 3 ORDER BY e.exchange_id",
    ) == [("Dawn Party", "FRA", "event-1", None), ("Fern Party", "KEN", "event-1", 3)]


def test_correct_a_record_opened_by_the_link(ledger):
    at = records_page({"exchange": "2"})
    assert at.number_input(key="rec_edit_id").value == 2
    assert at.selectbox(key="rec_edit_form").value == "working_visit"
    assert at.text_input(key="rec_edit_date").value == "2001-05-02"
    at.selectbox(key="rec_edit_form").set_value("high_level_visit").run()
    at.button(key="rec_edit_save").click().run()
    no_exception(at)
    assert successes(at) == [r"Corrected exchange 2 (form: working\_visit → high\_level\_visit), as batch 1."]
    assert query(ledger, "SELECT form FROM exchanges WHERE exchange_id = 2") == [("high_level_visit",)]
    assert at.selectbox(key="rec_edit_form").value == "high_level_visit"  # read back from the ledger
    # The undo of this session's last change puts it back.
    at.button(key="rec_undo").click().run()
    no_exception(at)
    assert query(ledger, "SELECT form FROM exchanges WHERE exchange_id = 2") == [("working_visit",)]
    assert successes(at)[0].startswith("Undid batch 1: Corrected exchange 2")
    assert at.selectbox(key="rec_edit_form").value == "working_visit"


def test_a_correction_with_an_error_keeps_the_typed_values(ledger):
    at = records_page({"exchange": "3"})
    at.text_input(key="rec_edit_date").input("2002-02-30").run()
    at.button(key="rec_edit_save").click().run()
    no_exception(at)
    assert problems(at)["column"].tolist() == ["date"]
    assert at.text_input(key="rec_edit_date").value == "2002-02-30"
    assert query(ledger, "SELECT strftime(date, '%Y') FROM exchanges WHERE exchange_id = 3") == [("2002",)]


def test_a_bad_link_warns_and_opens_nothing(ledger):
    at = records_page({"exchange": "two"})
    assert any("exchange=two" in w.value for w in at.warning)
    assert at.number_input(key="rec_edit_id").value is None


def test_delete_needs_the_confirmation(ledger):
    at = records_page({"exchange": "1"})
    at.button(key="rec_delete").click().run()
    no_exception(at)
    assert exchanges(ledger) == 3
    assert any("Tick the box first" in w.value for w in at.warning)
    at.checkbox(key="rec_delete_sure").check().run()
    at.button(key="rec_delete").click().run()
    no_exception(at)
    assert exchanges(ledger) == 2
    assert query(ledger, "SELECT count(*) FROM exchanges WHERE exchange_id = 1") == [(0,)]
    assert successes(at)[0].startswith("Deleted exchange 1")


def test_a_viewer_sees_no_form_and_an_analyst_does(monkeypatch, ledger):
    monkeypatch.setenv("LEDGER_AUTH", "local")
    for name, role in (("vera", "viewer"), ("ann", "analyst")):
        access.add_user(name, role, PASSWORD)
    shown = {}
    for name in ("vera", "ann"):
        at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        at.text_input(key="signin_name").input(name)
        at.text_input(key="signin_password").input(PASSWORD)
        at.button[0].click().run()
        at.switch_page("pages/records.py").run()
        no_exception(at)
        shown[name] = at
    vera = shown["vera"]
    assert not [w for w in vera.text_input if w.key and w.key.startswith("rec_")]
    assert not [b for b in vera.button if b.key and b.key.startswith("rec_")]
    assert any("needs an analyst" in i.value for i in vera.info)
    assert shown["ann"].button(key="rec_add_save")


def test_the_demo_ledger_gets_a_note_and_no_form(monkeypatch, make_ledger):
    monkeypatch.setenv("LEDGER_DB", str(make_ledger(ROWS, demo=True)))
    at = records_page()
    assert not [b for b in at.button if b.key and b.key.startswith("rec_")]
    assert any("demo data cannot be changed" in i.value for i in at.info)


def test_the_records_page_in_chinese(ledger):
    at = records_page({"lang": "zh"})
    assert at.button(key="rec_add_save").label == "添加交往"
    assert at.selectbox(key="rec_add_form").format_func("study_trip") != "study_trip"


# ---------------------------------------------------------------------------------------------
# The Explorer: the selection, the bulk change, the link to one record


def explorer(query_params: dict | None = None) -> AppTest:
    return page("explorer", query_params)


def select(at: AppTest, positions: list[int]) -> AppTest:
    """Select rows of the ledger table as a click leaves them in the session (positions in the
    table as drawn: newest first). One row selected draws the link to the Records page, which
    needs the page menu of dashboard.py: on the page file run alone, select two or more."""
    at.session_state["explorer_table"] = {"selection": {"rows": positions, "columns": [], "cells": []}}
    return at.run()


def test_bulk_change_of_the_selected_rows(ledger):
    at = explorer()
    assert "explorer_bulk_apply" not in buttons(at)
    select(at, [0, 1])  # sorted by date, newest first: exchanges 3 and 2
    no_exception(at)
    at.selectbox(key="explorer_bulk_field").set_value("level").run()
    at.selectbox(key="explorer_bulk_level").set_value("leader").run()
    button = at.button(key="explorer_bulk_apply")
    assert button.label == "Set on 2 exchanges"
    button.click().run()
    no_exception(at)
    assert query(ledger, "SELECT exchange_id, level FROM exchanges ORDER BY exchange_id") == [
        (1, "senior"),
        (2, "leader"),
        (3, "leader"),
    ]
    assert successes(at) == ["Set level to leader on 2 of 2 selected exchanges, as batch 1."]


def test_one_selected_row_links_to_its_record(ledger):
    # Through dashboard.py: the link names a page of its menu (a page file run alone has none).
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/explorer.py").run()
    select(at, [2])  # the oldest: exchange 1
    no_exception(at)
    (link,) = at.get("page_link")
    assert (link.proto.label, link.proto.page, link.proto.query_string) == (
        "Open exchange 1 in Records",
        "records",
        "exchange=1",
    )


def test_a_typed_party_name_is_shown_as_typed_not_as_markup(ledger):
    hostile = "**Bold** [party](http://e.vil) <b>x</b>"
    at = records_page()
    fill(
        at,
        "rec_add",
        {
            "party": hostile,
            "country": "FRA",
            "party_family": "other",
            "date": "2023",
            "form": "other",
            "direction": "outbound",
        },
    )
    at.button(key="rec_add_save").click().run()
    no_exception(at)
    assert query(ledger, "SELECT name FROM parties WHERE party_id = 3") == [(hostile,)]
    (message,) = successes(at)
    assert message == markdown_literal(f"Added exchange 4 (2023, {hostile}, FRA), as batch 1.")
    assert message != f"Added exchange 4 (2023, {hostile}, FRA), as batch 1."  # escaped, not markup


def test_a_profile_row_selected_by_an_editor_links_to_its_record(ledger):
    """'Open it from the Explorer or a profile': one row of a party's ledger rows selected."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["profile"] = "party:FRA:Dawn Party"
    at.run()
    at.switch_page("pages/profiles.py").run()
    no_exception(at)
    assert not at.get("page_link")  # nothing selected yet: a hint only
    at.session_state["profile_rows"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    no_exception(at)
    (link,) = at.get("page_link")
    assert (link.proto.label, link.proto.page) == ("Open exchange 3 in Records", "records")
    assert "exchange=3" in link.proto.query_string
