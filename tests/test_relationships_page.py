"""The Relationships page (pages/relationships.py) through Streamlit's AppTest, on the hand-built
ledger of tests/test_metrics_relationships.py (six parties, window 1978-1995; its docstring
works out every figure): the table and its search, the four lists reacting to their inputs, the
co-attendance view and its minimum, the profile link of a chosen row, and Chinese."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analytics.settings import PROJECT_ROOT
from tests.test_metrics_relationships import LEDGER

pytestmark = pytest.mark.slow  # a page through Streamlit's AppTest

PAGE = str(PROJECT_ROOT / "pages" / "relationships.py")
APP = str(PROJECT_ROOT / "dashboard.py")
# The tables in the order the page draws them.
ALL, DORMANT, NEW, RESUMED, LEADER, PAIRS = range(6)


@pytest.fixture
def ledger(make_ledger):
    return make_ledger(LEDGER)


def open_page(monkeypatch, path, params: dict | None = None) -> AppTest:
    monkeypatch.setenv("LEDGER_DB", str(path))
    app = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (params or {}).items():
        app.query_params[key] = value
    return run(app)


def through_dashboard(monkeypatch, path, params: dict | None = None) -> AppTest:
    """The page reached from the entry script, with the sidebar's filters and the page menu."""
    monkeypatch.setenv("LEDGER_DB", str(path))
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        app.query_params[key] = value
    run(app)
    app.switch_page("pages/relationships.py")
    return run(app)


def run(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def parties(app: AppTest, table: int) -> list[str]:
    return app.dataframe[table].value["party"].tolist()


def texts(app: AppTest) -> str:
    return "\n".join([m.value for m in app.markdown] + [c.value for c in app.caption] + [i.value for i in app.info])


def test_the_page_shows_the_table_and_the_lists(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger)
    assert app.title[0].value == "Relationships"
    assert parties(app, ALL) == [
        "Old Friends",
        "New Wave",
        "Quiet Party",
        "Green Union",
        "Left Network",
        "Ruling Never",
    ]
    first = app.dataframe[ALL].value.iloc[0]
    assert (first["longest_gap_years"], first["years_since_last"], first["country"]) == (6, 1, "France")
    assert parties(app, DORMANT) == ["Quiet Party"]
    assert parties(app, NEW) == ["Green Union", "Left Network", "New Wave", "Ruling Never", "Quiet Party"]
    assert parties(app, RESUMED) == ["Old Friends"]
    assert parties(app, LEADER) == ["Ruling Never", "Old Friends"]
    pairs = app.dataframe[PAIRS].value
    assert pairs[["party_a", "party_b", "shared_events"]].values.tolist() == [["Left Network", "New Wave", 2]]
    assert len(app.get("plotly_chart")) == 1
    assert "Parties with at least 3 exchanges but none for 5 years or more by 1995." in texts(app)
    # Every table downloads as CSV and Excel.
    assert len(app.get("download_button")) == 12


def test_the_lists_react_to_their_inputs(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger)
    app.number_input(key="relationships_dormant_least").set_value(1)
    run(app)
    assert parties(app, DORMANT) == ["Quiet Party", "Ruling Never"]
    app.number_input(key="relationships_dormant_years").set_value(14)
    run(app)
    assert "No party in this list for these settings." in texts(app)
    assert len(app.dataframe) == 5  # the dormant table is gone
    app.number_input(key="relationships_dormant_years").set_value(5)
    app.number_input(key="relationships_resumed_years").set_value(1)
    app.number_input(key="relationships_leader_years").set_value(1)
    run(app)
    assert parties(app, RESUMED) == ["Old Friends", "Green Union", "Left Network", "New Wave"]
    assert parties(app, LEADER) == ["Ruling Never", "Old Friends", "New Wave"]


def test_co_attendance_follows_the_minimum(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger)
    app.number_input(key="relationships_min_events").set_value(1)
    run(app)
    pairs = app.dataframe[PAIRS].value
    assert pairs[["party_a", "country_a", "party_b", "country_b", "shared_events"]].values.tolist() == [
        ["Left Network", "International organisations", "New Wave", "Kenya", 2],
        ["Green Union", "Brazil", "Left Network", "International organisations", 1],
        ["Green Union", "Brazil", "New Wave", "Kenya", 1],
    ]
    app.number_input(key="relationships_min_events").set_value(3)
    run(app)
    assert "No two parties shared 3 or more multilateral events under these filters." in texts(app)
    assert not app.get("plotly_chart")


def test_search(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger)
    app.text_input(key="relationships_search").set_value("kenya")
    run(app)
    assert parties(app, ALL) == ["New Wave"]
    app.text_input(key="relationships_search").set_value("<b>nobody</b>")
    run(app)
    assert "No party or country matches `<b>nobody</b>`." in texts(app)  # shown as typed, in a code span
    assert parties(app, 0) == ["Quiet Party"]  # the first table left is the dormant list


def test_the_sidebar_window_changes_the_lists(monkeypatch, ledger):
    app = through_dashboard(monkeypatch, ledger, {"from": "1990", "to": "1995"})
    # Quiet Party, met only before 1990, stays in the table with no exchange in the window.
    table = app.dataframe[ALL].value
    assert table.set_index("party").loc["Quiet Party", "exchanges"] == 0
    assert parties(app, NEW) == ["Green Union", "Left Network", "New Wave", "Ruling Never"]
    assert parties(app, RESUMED) == ["Old Friends"]  # 1989-93, met again in 1994


def test_a_chosen_row_links_to_the_profile(monkeypatch, ledger):
    app = through_dashboard(monkeypatch, ledger)
    app.session_state["relationships_all"] = {"selection": {"rows": [1], "columns": []}}
    run(app)
    links = app.get("page_link")
    assert len(links) == 1
    assert links[0].proto.label == "Open the profile of New Wave (Kenya)"
    assert links[0].proto.page.endswith("profiles")


def test_in_chinese(monkeypatch, ledger):
    app = open_page(monkeypatch, ledger, {"lang": "zh"})
    assert app.title[0].value == "交往关系"
    assert app.dataframe[ALL].value.iloc[0]["country"] == "法国"
    assert "至少交往过 3 次、但截至 1995 年已有 5 年或更久未交往的政党。" in texts(app)
    # The pairs named as the charts name them: the Chinese name where the ledger has one.
    pairs = app.dataframe[PAIRS].value
    assert pairs[["party_a", "country_a", "party_b", "country_b"]].values.tolist() == [
        ["Left Network", "国际组织", "新浪潮党", "肯尼亚"]
    ]


def test_an_empty_ledger(monkeypatch, make_ledger):
    app = open_page(monkeypatch, make_ledger([], name="empty.duckdb"))
    assert "No exchanges match these filters." in texts(app)
    assert not app.dataframe
