"""Every page through Streamlit's AppTest, from the real entry script ``dashboard.py``.

Each page renders without an exception on the demo ledger, on an empty ledger and on filters
that match nothing; a filter changed in the sidebar changes the numbers shown; a URL query
string sets the filters, survives a page change, and a bad value warns and falls back.
Numbers come from a tiny ledger worked out by hand:

    FRA (Europe):  3 exchanges in 2025, 2 in 2024
    KEN (Africa):  1 exchange in 2025

so the Overview says 4 exchanges in 2025 (2 in 2024), and 1 (0 in 2024) with region Africa.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters

pytestmark = pytest.mark.slow  # every page through Streamlit's AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
PAGES = ["overview", "trends", "party_types", "regions", "compare", "explorer", "profiles", "relationships"]
TIMEOUT = 120

TINY = [
    {"date": "2025-01-10", "party": "Red Party"},
    {"date": "2025-02-10", "party": "Red Party"},
    {"date": "2025-03-10", "party": "Rose Party", "family": "social_democratic"},
    {"date": "2025-04-10", "party": "Sun Party", "country": "KEN", "family": "national_democratic"},
    {"date": "2024-05-10", "party": "Red Party"},
    {"date": "2024-06-10", "party": "Rose Party", "family": "social_democratic"},
]


def open_app(monkeypatch, ledger, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("LEDGER_DB", str(ledger))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def go_to(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"pages/{page}.py").run()


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [t.value for t in at.title]
    return "\n".join(parts)


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.fixture
def tiny(make_ledger):
    return make_ledger(TINY)


# ---------------------------------------------------------------------------------------------
# Every page, three ledgers


def test_every_page_on_the_demo_ledger(monkeypatch, demo_ledger):
    at = open_app(monkeypatch, demo_ledger)
    for page in PAGES:
        if page != "overview":
            go_to(at, page)
        no_exception(at)
        assert len(at.get("plotly_chart")) >= 1, page
        assert "Demo data" in texts(at), page
        assert "Showing:" in texts(at), page


def test_every_page_on_an_empty_ledger(monkeypatch, make_ledger):
    at = open_app(monkeypatch, make_ledger([]))
    for page in PAGES:
        if page != "overview":
            go_to(at, page)
        no_exception(at)
        shown = texts(at)
        assert "No exchange" in shown or "holds no exchanges" in shown, page
        assert "Demo data" not in shown


def test_every_page_on_filters_matching_nothing(monkeypatch, demo_ledger):
    at = open_app(
        monkeypatch, demo_ledger, {"region": "Northern America", "family": "green", "from": "1960", "to": "1961"}
    )
    for page in PAGES:
        if page != "overview":
            go_to(at, page)
        no_exception(at)
        shown = texts(at)
        assert "No exchange" in shown, page
        if page == "profiles":  # the profile's own country stands in for the sidebar's region
            assert "Family: Green" in shown and "the profile's country replaces the sidebar's region" in shown
        else:
            assert "Region: Northern America" in shown, page


# ---------------------------------------------------------------------------------------------
# Slicing


def test_changing_a_filter_changes_the_numbers(monkeypatch, tiny):
    at = open_app(monkeypatch, tiny)
    exchanges = metric(at, "Exchanges in 2025")
    assert exchanges.value == "4"
    assert "+2" in exchanges.delta  # 4 in 2025 against 2 in 2024
    at.multiselect(key="filter_regions").set_value(["Africa"]).run()
    no_exception(at)
    assert metric(at, "Exchanges in 2025").value == "1"
    assert at.query_params["region"] == "Africa"
    assert "Region: Africa" in texts(at)


def chart_data(at: AppTest) -> list:
    """The traces (numbers, not titles) of every Plotly chart on the page."""
    return [json.loads(chart.proto.spec)["data"] for chart in at.get("plotly_chart")]


@pytest.mark.parametrize("page", PAGES)
def test_a_filter_change_redraws_every_page_with_other_numbers(monkeypatch, demo_ledger, page):
    at = open_app(monkeypatch, demo_ledger)
    if page != "overview":
        go_to(at, page)
    before = chart_data(at)
    if page == "profiles":  # a profile's own country replaces the region filter: change the years
        at.slider(key="filter_years").set_value((2000, 2025)).run()
    else:
        at.multiselect(key="filter_regions").set_value(["Africa"]).run()
    no_exception(at)
    after = chart_data(at)
    assert len(after) == len(before) >= 1
    changed = [old != new for old, new in zip(before, after, strict=True)]
    assert all(changed), f"charts {[i for i, c in enumerate(changed) if not c]} of {page} kept their numbers"


def test_reset_button_clears_the_filters(monkeypatch, tiny):
    at = open_app(monkeypatch, tiny, {"region": "Africa"})
    assert metric(at, "Exchanges in 2025").value == "1"
    next(b for b in at.button if b.label == "Reset filters").click().run()
    assert metric(at, "Exchanges in 2025").value == "4"
    assert "region" not in at.query_params


def test_url_sets_the_filters_and_they_survive_a_page_change(monkeypatch, tiny):
    at = open_app(monkeypatch, tiny, {"region": "Africa", "from": "2020"})
    no_exception(at)
    assert at.multiselect(key="filter_regions").value == ["Africa"]
    assert at.slider(key="filter_years").value == (2020, 2025)
    assert metric(at, "Exchanges in 2025").value == "1"
    go_to(at, "explorer")
    no_exception(at)
    assert "Region: Africa" in texts(at)
    assert "**1** exchanges match." in texts(at)
    assert at.query_params["region"] == "Africa" and at.query_params["from"] == "2020"


@pytest.mark.parametrize("page", PAGES)
def test_a_link_sets_the_filters_on_every_page(monkeypatch, tiny, page):
    monkeypatch.setenv("LEDGER_DB", str(tiny))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"country": "KEN", "from": "2024"})
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
    at.run()
    no_exception(at)
    assert at.multiselect(key="filter_countries").value == ["KEN"]
    assert at.slider(key="filter_years").value == (2024, 2025)
    shown = texts(at)
    assert "2024–2025" in shown
    assert "Country: Kenya" in shown  # the summary names the country, not its code; Profiles shows Kenya


def test_multiple_values_in_the_url(monkeypatch, tiny):
    at = open_app(monkeypatch, tiny, {"region": ["Africa", "Europe"], "family": "national_democratic"})
    assert at.multiselect(key="filter_regions").value == ["Africa", "Europe"]
    assert at.multiselect(key="filter_families").value == ["national_democratic"]
    assert metric(at, "Exchanges in 2025").value == "1"


@pytest.mark.parametrize(
    ("query", "warning", "exchanges"),
    [
        ({"region": "Atlantis"}, "Ignored `region=Atlantis`", "4"),
        ({"from": "19x"}, "Ignored `from=19x`", "4"),
        ({"from": "2025", "to": "2000"}, "Ignored the years", "4"),
        ({"family": ["national_democratic", "royalist"]}, "Ignored `family=royalist`", "1"),
    ],
)
def test_bad_url_values_warn_and_fall_back(monkeypatch, tiny, query, warning, exchanges):
    at = open_app(monkeypatch, tiny, query)
    no_exception(at)
    assert any(warning in w.value for w in at.warning), [w.value for w in at.warning]
    assert metric(at, "Exchanges in 2025").value == exchanges


def test_page_options_in_the_url(monkeypatch, tiny):
    at = open_app(monkeypatch, tiny)
    at.query_params.update({"rows": "country", "cols": "year", "measure": "parties"})
    go_to(at, "explorer")
    no_exception(at)
    assert at.selectbox(key="explorer_rows").value == "country"
    assert at.selectbox(key="explorer_measure").value == "parties"
    table = at.dataframe[0].value
    assert table.loc["France", "Total"] == 2 and table.loc["Total", "Total"] == 3


def test_profile_from_the_url(monkeypatch, tiny):
    at = open_app(monkeypatch, tiny)
    at.query_params["profile"] = "party:FRA:Rose Party"
    go_to(at, "profiles")
    no_exception(at)
    assert at.selectbox(key="profile_party").value == "FRA:Rose Party"
    assert metric(at, "Exchanges").value == "2"
    at.query_params["profile"] = "country:ATL"
    at.session_state["_profile_param"] = None
    at.run()
    assert any("Ignored `profile=country:ATL`" in w.value for w in at.warning)


def test_compare_page_numbers(monkeypatch, tiny):
    at = open_app(monkeypatch, tiny, {"from": "2024"})
    go_to(at, "compare")
    no_exception(at)
    assert at.slider(key="compare_a").value == (2024, 2024)
    assert at.slider(key="compare_b").value == (2025, 2025)
    table = at.dataframe[0].value.set_index("Region")
    assert table.loc["Europe", "Change"] == 1 and table.loc["Africa", "Change"] == 1


# ---------------------------------------------------------------------------------------------
# The URL parser behind the sidebar


def test_parse_filter_params_keeps_the_good_values():
    from pages.filter_state import parse_filter_params

    filters, warnings = parse_filter_params(
        {"region": ["africa", "Atlantis"], "from": ["1990"], "level": ["senior"], "page": ["ignored"]}
    )
    assert filters == Filters(year_from=1990, regions=("Africa",), levels=("senior",))
    assert len(warnings) == 1 and "Atlantis" in warnings[0]


def test_edited_eras_file_redraws_and_a_broken_one_warns(monkeypatch, tiny, tmp_path):
    import analytics.reference
    import pages.cache

    eras_file = tmp_path / "eras.csv"
    eras_file.write_text("year,label,description\n2024,Test era,edited by a user\n", encoding="utf-8")
    monkeypatch.setattr(analytics.reference, "ERAS_CSV", eras_file)
    monkeypatch.setattr(pages.cache, "ERAS_CSV", eras_file)
    at = open_app(monkeypatch, tiny)
    no_exception(at)
    assert "Test era" in at.get("plotly_chart")[0].proto.spec  # the marker of the edited file

    eras_file.write_text("year,label\nnineteen,Broken era\n", encoding="utf-8")
    at.run()
    no_exception(at)
    assert any("data/eras.csv" in w.value and "line 2" in w.value for w in at.warning)
    spec = at.get("plotly_chart")[0].proto.spec
    assert "Test era" not in spec and "Broken era" not in spec


def test_first_run_of_the_app_creates_the_demo_ledger(monkeypatch, tmp_path):
    import pages.cache

    default = tmp_path / "ledger.duckdb"
    monkeypatch.setattr(pages.cache, "DEFAULT_DB_PATH", default)
    at = open_app(monkeypatch, default)  # LEDGER_DB names the (missing) default
    no_exception(at)
    assert default.exists()
    assert "Demo data" in texts(at)
    assert metric(at, "Exchanges in 2025").value != "0"


# ---------------------------------------------------------------------------------------------
# The shape of pages/: helpers import one another one way, and only the cache module caches

PAGES_DIR = ROOT / "pages"


def _pages_imported_by(path: Path) -> set[str]:
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "pages":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pages."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("pages."))
    return found


def test_page_modules_import_one_another_one_way():
    graph = {path.stem: _pages_imported_by(path) for path in PAGES_DIR.glob("*.py")}
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, f"import cycle: {' -> '.join((*trail, name))}"
        if name in done:
            return
        for imported in graph.get(name, ()):
            visit(imported, (*trail, name))
        done.add(name)

    for name in graph:
        visit(name, ())


@pytest.mark.parametrize("path", sorted([*PAGES_DIR.glob("*.py"), ROOT / "dashboard.py"]), ids=lambda p: p.name)
def test_only_pages_cache_holds_streamlit_caches(path):
    text = path.read_text(encoding="utf-8")
    if path.name != "cache.py":
        assert "st.cache_data" not in text and "st.cache_resource" not in text
