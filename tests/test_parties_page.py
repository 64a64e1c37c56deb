"""The Parties page (pages/parties.py), a party profile's names over time and the Data page's
history of changes, driven with Streamlit's AppTest on a real (non-demo) ledger:

    exchange  date        party / country          family
    1         2001-05-02  Fianna Fáil / IRL        conservative
    2         2003-06     Fianna  Fail / IRL       conservative   (the same party typed twice)
    3         2005        Labour Party / IRL       social_democratic
    4         2007-10-01  Labour Party / IRL       social_democratic

So three parties (ids 1, 2, 3 in that order) with 1, 1 and 2 exchanges, one possible duplicate
(1 and 2, the same name once folded), and the first change made is batch 1.
"""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from analytics import access, importer, parties
from analytics.access import Actor, Role
from analytics.ledger import connect_read_only
from analytics.settings import PROJECT_ROOT
from pages.signin import TOKEN_KEY
from tests.ledgers import fingerprint

pytestmark = pytest.mark.slow  # pages through Streamlit's AppTest, with real writes

PAGE = str(PROJECT_ROOT / "pages" / "parties.py")
DATA_PAGE = str(PROJECT_ROOT / "pages" / "data.py")
PROFILES_PAGE = str(PROJECT_ROOT / "pages" / "profiles.py")
ROWS = [
    {"date": "2001-05-02", "party": "Fianna Fáil", "country": "IRL", "family": "conservative"},
    {"date": "2003-06", "party": "Fianna  Fail", "country": "IRL", "family": "conservative"},
    {"date": "2005", "party": "Labour Party", "country": "IRL", "family": "social_democratic"},
    {"date": "2007-10-01", "party": "Labour Party", "country": "IRL", "family": "social_democratic"},
]
RENAMED = "Renamed party 3 from 'Labour Party' to 'Irish Labour Party' (the old name is kept as an alias), as batch 1."


@pytest.fixture
def ledger(make_ledger):
    return make_ledger(ROWS)


def open_page(monkeypatch, path, page: str = PAGE, role: Role | None = None, params: dict | None = None) -> AppTest:
    """The page run on its own: as the local operator (an admin, sign-in off), or signed in
    with ``role`` (sign-in on, a session started for a user of that role)."""
    monkeypatch.setenv("LEDGER_DB", str(path))
    app = AppTest.from_file(page, default_timeout=60)
    if role is not None:
        monkeypatch.setenv("LEDGER_AUTH", "local")
        name = role.word + "-user"
        access.add_user(name, role, "correct horse battery")
        app.session_state[TOKEN_KEY] = access.start_session(Actor(name, role))
    for key, value in (params or {}).items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def run(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def click(app: AppTest, key: str) -> AppTest:
    app.button(key=key).click()
    return run(app)


def party_rows(path) -> list[tuple]:
    con = connect_read_only(path)
    try:
        return con.execute(
            """SELECT p.party_id, p.name, p.family, count(e.exchange_id) FROM parties p
               LEFT JOIN exchanges e USING (party_id) GROUP BY ALL ORDER BY p.party_id"""
        ).fetchall()
    finally:
        con.close()


def aliases(path) -> list[tuple]:
    con = connect_read_only(path)
    try:
        return con.execute(
            "SELECT alias, party_id, reason, first_date, last_date, batch_id FROM party_aliases ORDER BY alias"
        ).fetchall()
    finally:
        con.close()


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def the_list(app: AppTest):
    return app.dataframe(key="parties_table").value


def names_tables(app: AppTest) -> list:
    """The names-over-time tables shown (AppTest keeps no key of a table without selection)."""
    return [frame.value for frame in app.dataframe if "kind" in frame.value.columns]


def the_names(app: AppTest):
    [names] = names_tables(app)
    return names


def test_the_list_shows_every_party_with_its_counts_and_spans(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger)
    table = the_list(app)
    assert table[["party_id", "name", "country", "family", "exchanges"]].values.tolist() == [
        [2, "Fianna  Fail", "Ireland", "Conservative and Christian democratic", 1],  # a space sorts before "F"
        [1, "Fianna Fáil", "Ireland", "Conservative and Christian democratic", 1],
        [3, "Labour Party", "Ireland", "Social democratic and labour", 2],
    ]
    assert table.loc[2, "first_date"] == dt.date(2005, 1, 1) and table.loc[2, "last_date"] == dt.date(2007, 10, 1)
    assert table["former_names"].tolist() == ["", "", ""]
    assert texts(app.caption)[1].startswith("3 of 3 parties.")
    # The first party of the list is chosen: its names over time, the current name only.
    names = the_names(app)
    assert names[["name", "kind"]].values.tolist() == [["Fianna  Fail", "current name"]]


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("FIANNA", [2, 1]),  # case folded
        ("fianna   fail", [2]),  # runs of spaces folded; the accent is not
        ("fáil", [1]),
        ("labour", [3]),
        ("Green", []),
    ],
)
def test_the_search_narrows_the_list(monkeypatch, ledger, search, found):
    app = open_page(monkeypatch, ledger)
    app.text_input(key="parties_search").input(search)
    run(app)
    if found:
        assert the_list(app)["party_id"].tolist() == found
    else:
        assert not [frame for frame in app.dataframe if frame.key == "parties_table"]
        assert "No party matches this search." in texts(app.caption)


def test_the_country_filter_keeps_one_country(monkeypatch, make_ledger):
    path = make_ledger([*ROWS, {"date": "2010", "party": "Red Party", "country": "FRA"}])
    app = open_page(monkeypatch, path)
    assert app.selectbox(key="parties_country").options == ["All countries", "France", "Ireland"]
    app.selectbox(key="parties_country").set_value("FRA")
    run(app)
    assert the_list(app)["name"].tolist() == ["Red Party"]


def test_an_analyst_renames_a_party_and_undoes_it(monkeypatch, ledger):
    before = fingerprint(ledger)
    app = open_page(monkeypatch, ledger, role=Role.ANALYST)
    app.selectbox(key="parties_selected").set_value(3)
    run(app)
    app.text_input(key="parties_rename_name_3").input("Irish Labour Party")
    click(app, "parties_rename")
    assert texts(app.success) == [RENAMED]
    assert party_rows(ledger)[2] == (3, "Irish Labour Party", "social_democratic", 2)
    assert aliases(ledger) == [("Labour Party", 3, "renamed", dt.date(2005, 1, 1), dt.date(2007, 10, 1), 1)]
    # The list and the names over time show it at once.
    table = the_list(app)
    assert table.loc[table["party_id"] == 3, ["name", "former_names"]].values.tolist() == [
        ["Irish Labour Party", "Labour Party"]
    ]
    names = the_names(app)
    assert names[["name", "kind"]].values.tolist() == [
        ["Irish Labour Party", "current name"],
        ["Labour Party", "former name"],
    ]
    assert names["batch_id"].tolist() == ["", "1"]  # the current name has no batch: an empty cell
    click(app, "parties_undo")
    assert texts(app.success) == [
        "Undid batch 1 (Renamed party 3 from 'Labour Party' to 'Irish Labour Party' (the old name is kept as an alias))."
    ]
    assert fingerprint(ledger) == before
    assert aliases(ledger) == []


def test_a_refused_rename_says_why_in_one_line_and_writes_nothing(monkeypatch, ledger):
    before = fingerprint(ledger)
    app = open_page(monkeypatch, ledger)
    app.selectbox(key="parties_selected").set_value(3)
    run(app)
    app.text_input(key="parties_rename_name_3").input("fianna  fáil")
    click(app, "parties_rename")
    assert texts(app.error) == [
        "Nothing was changed: Party 1 is already named 'Fianna Fáil' in that country, the same name as "
        "'fianna  fáil' once case and spaces are ignored: merge the two instead (party merge 3 1)."
    ]
    assert fingerprint(ledger) == before
    assert not [button for button in app.button if button.key == "parties_undo"]


def test_set_the_family_through_the_page(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger)
    app.selectbox(key="parties_selected").set_value(1)
    run(app)
    assert app.button(key="parties_family_set").disabled  # the family it has already
    app.selectbox(key="parties_family_1").set_value("liberal")
    run(app)
    click(app, "parties_family_set")
    assert texts(app.success) == [
        "Set the family of party 1 ('Fianna Fáil') to liberal (was conservative; exchanges: 1), as batch 1."
    ]
    assert party_rows(ledger)[0] == (1, "Fianna Fáil", "liberal", 1)
    assert the_list(app).loc[1, "family"] == "Liberal"
    assert app.button(key="parties_undo").label == "Undo batch 1"
    run(app)  # the undo is offered right after the change only (the Data page keeps it)
    assert not [button for button in app.button if button.key == "parties_undo"] and not app.success


def test_merge_from_the_duplicates_report(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger)
    report = [text for text in texts(app.markdown) if "same name once folded" in text]
    assert report == [
        "**Fianna Fáil** (party 1, 1 exchange) and **Fianna  Fail** (party 2, 1 exchange) · Ireland · "
        "the same name once folded"
    ]
    button = app.button(key="parties_dup_merge_1_2")
    assert button.label == "Merge Fianna  Fail into Fianna Fáil"  # a tie: the newer into the older
    click(app, "parties_dup_merge_1_2")
    assert texts(app.success) == [
        "Merged party 2 ('Fianna  Fail') into party 1 ('Fianna Fáil'); exchanges moved: 1, as batch 1."
    ]
    assert party_rows(ledger) == [
        (1, "Fianna Fáil", "conservative", 2),
        (3, "Labour Party", "social_democratic", 2),
    ]
    assert aliases(ledger) == [("Fianna  Fail", 1, "merged", dt.date(2003, 6, 1), dt.date(2003, 6, 1), 1)]
    assert the_list(app)["party_id"].tolist() == [1, 3]  # the list refreshed
    assert app.selectbox(key="parties_selected").value == 1  # the party merged into is chosen
    assert "No possible duplicate found." in texts(app.caption)


def test_the_duplicates_report_merges_the_one_with_fewer_exchanges(monkeypatch, make_ledger):
    path = make_ledger([*ROWS, {"date": "2009", "party": "Fianna  Fail", "country": "IRL"}])
    app = open_page(monkeypatch, path)
    assert app.button(key="parties_dup_merge_1_2").label == "Merge Fianna Fáil into Fianna  Fail"
    click(app, "parties_dup_merge_1_2")
    assert [row[:2] + row[3:] for row in party_rows(path)] == [(2, "Fianna  Fail", 3), (3, "Labour Party", 2)]


def test_merge_through_the_form_needs_the_confirmation(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger)
    app.selectbox(key="parties_selected").set_value(3)
    run(app)
    assert app.selectbox(key="parties_merge_into_3").options == [
        "Fianna  Fail (Ireland) · 1 exchange",
        "Fianna Fáil (Ireland) · 1 exchange",
    ]
    assert app.button(key="parties_merge").disabled
    app.selectbox(key="parties_merge_into_3").set_value(1)
    app.checkbox(key="parties_merge_confirm_3").check()
    run(app)
    click(app, "parties_merge")
    assert party_rows(ledger) == [(1, "Fianna Fáil", "conservative", 3), (2, "Fianna  Fail", "conservative", 1)]
    assert app.selectbox(key="parties_selected").value == 1


def test_ledger_text_is_escaped_in_the_report_and_on_the_buttons(monkeypatch, make_ledger):
    path = make_ledger(
        [
            {"date": "2001", "party": "*Star* [Party]", "country": "IRL"},
            {"date": "2002", "party": "Star Party", "country": "IRL"},
        ]
    )
    app = open_page(monkeypatch, path)
    [pair] = [text for text in texts(app.markdown) if "Ireland" in text]
    assert pair.startswith("**\\*Star\\* \\[Party\\]** (party 1, 1 exchange) and **Star Party**")
    assert app.button(key="parties_dup_merge_1_2").label.startswith("Merge Star Party into \\*Star\\*")


def test_a_viewer_sees_the_list_and_the_names_but_no_form_or_merge_button(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger, role=Role.VIEWER)
    assert the_list(app)["exchanges"].tolist() == [1, 1, 2]
    assert the_names(app)["name"].tolist() == ["Fianna  Fail"]
    assert [box.key for box in app.text_input] == ["parties_search"]
    assert [box.key for box in app.selectbox] == ["parties_country", "parties_selected"]
    assert not app.button and not app.checkbox
    assert "Possible duplicates" not in texts(app.subheader)


def test_the_demo_ledger_offers_no_change(monkeypatch, make_ledger):
    app = open_page(monkeypatch, make_ledger(ROWS, demo=True))
    assert not app.button and len(the_list(app)) == 3
    assert any("demo data" in text for text in texts(app.info))


def test_a_party_profile_shows_its_names_over_time(monkeypatch, ledger):
    parties.rename_party(ledger, 3, "Irish Labour Party")
    app = open_page(monkeypatch, ledger, page=PROFILES_PAGE, params={"profile": "party:IRL:Irish Labour Party"})
    names = the_names(app)
    assert names[["name", "kind"]].values.tolist() == [
        ["Irish Labour Party", "current name"],
        ["Labour Party", "former name"],
    ]
    app = open_page(monkeypatch, ledger, page=PROFILES_PAGE, params={"profile": "party:IRL:Fianna Fáil"})
    assert names_tables(app) == []  # no former name: no table


# ---------------------------------------------------------------------------------------------
# The Data page's history of changes


def test_the_history_lists_a_change_with_its_kind_and_summary_and_an_analyst_undoes_it(monkeypatch, ledger, tmp_path):
    (tmp_path / "more.csv").write_text(
        "date,party,country,party_family,form,direction\n2011,Oak Party,DEU,liberal,other,inbound\n"
    )
    importer.import_file(tmp_path / "more.csv", ledger)  # batch 1, an import
    before = fingerprint(ledger)
    parties.rename_party(ledger, 3, "Irish Labour Party")  # batch 2, a change
    app = open_page(monkeypatch, ledger, page=DATA_PAGE, role=Role.ANALYST)
    lines = [text for text in texts(app.markdown) if text.startswith("**Batch")]
    assert lines[0].startswith(
        "**Batch 2** · party renamed: Renamed party 3 from 'Labour Party' to 'Irish Labour Party' "
        "(the old name is kept as an alias) · "
    )
    assert lines[1].startswith("**Batch 1** · more.csv · ") and lines[1].endswith("1 of 1 rows written")
    keys = {button.key for button in app.button}
    assert "data_undo_2" in keys and "data_undo_1" not in keys  # an import's undo stays with the admins
    click(app, "data_undo_2")
    assert texts(app.warning)[-1] == (
        "Undo batch 2 (party renamed: Renamed party 3 from 'Labour Party' to 'Irish Labour Party' (the old name is "
        "kept as an alias))? Every row it changed is set back as it was before."
    )
    click(app, "data_undo_confirm")
    assert texts(app.success) == [
        "Undid batch 2 (Renamed party 3 from 'Labour Party' to 'Irish Labour Party' (the old name is kept as an "
        "alias)): 2 rows set back."
    ]
    assert fingerprint(ledger) == before
    assert not [button for button in app.button if button.key == "data_undo_2"]
    assert "undone" in [text for text in texts(app.markdown) if text.startswith("**Batch 2**")][0]


def test_an_admin_undoes_imports_and_changes_and_a_viewer_neither(monkeypatch, ledger, tmp_path):
    (tmp_path / "more.csv").write_text(
        "date,party,country,party_family,form,direction\n2011,Oak Party,DEU,liberal,other,inbound\n"
    )
    importer.import_file(tmp_path / "more.csv", ledger)
    parties.set_family(ledger, 1, "liberal")
    admin = open_page(monkeypatch, ledger, page=DATA_PAGE)
    assert {"data_undo_1", "data_undo_2"} <= {button.key for button in admin.button}
    assert "Last import: batch 1: more.csv at " in texts(admin.caption)[0]  # the change is not an import
    viewer = open_page(monkeypatch, ledger, page=DATA_PAGE, role=Role.VIEWER)
    assert not [button for button in viewer.button if button.key and button.key.startswith("data_undo")]
    assert any(
        text.startswith("**Batch 2** · party reclassified: Set the family of party 1")
        for text in texts(viewer.markdown)
    )
