"""Sign-in and roles in the dashboard (pages/signin.py, the Data page's role checks), through
Streamlit's AppTest from the real entry script ``dashboard.py`` and from a page file run on its
own. With ``LEDGER_AUTH=local`` and nobody signed in, every page shows only the form: no metric,
table, chart, sidebar filter or number of the ledger. Signed in as a viewer the pages work and the
Data page offers no import, undo, backup or restore; as an admin it does, with the audit log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import access

pytestmark = pytest.mark.slow  # every page through Streamlit's AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
TIMEOUT = 120
PAGES = [
    "overview",
    "trends",
    "party_types",
    "regions",
    "compare",
    "explorer",
    "profiles",
    "relationships",
    "data",
    "briefing",
]
# Every page behind the sign-in form: the analysis pages, the Data and Briefing pages, and the
# pages that keep records and parties.
GATED = [*PAGES, "records", "parties"]
PASSWORD = "correct horse battery"
ROWS = [
    {"date": "2025-01-10", "party": "Red Party"},
    {"date": "2025-02-10", "party": "Rose Party", "family": "social_democratic"},
    {"date": "2024-05-10", "party": "Sun Party", "country": "KEN", "family": "national_democratic"},
]


@pytest.fixture
def local_auth(monkeypatch, make_ledger):
    """A tiny ledger with sign-in on, and three users: vera (viewer), ann (analyst), ada (admin)."""
    ledger = make_ledger(ROWS)
    monkeypatch.setenv("LEDGER_DB", str(ledger))
    monkeypatch.setenv("LEDGER_AUTH", "local")
    for name, role in (("vera", "viewer"), ("ann", "analyst"), ("ada", "admin")):
        access.add_user(name, role, PASSWORD)
    return ledger


def all_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader", "text")
    return "\n".join(str(element.value) for kind in kinds for element in at.get(kind))


def assert_only_the_form(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert [b.label for b in at.button] == ["Sign in"]
    for kind in (
        "metric",
        "dataframe",
        "table",
        "plotly_chart",
        "multiselect",
        "slider",
        "selectbox",
        "download_button",
    ):
        assert not at.get(kind), kind
    assert not at.sidebar.children or not any(at.sidebar.get(kind) for kind in ("multiselect", "slider", "text"))
    shown = all_text(at)
    assert not re.search(r"\d", shown), shown  # no count, year or number of the ledger anywhere


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    return at.button[0].click().run()


def signed_in(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    sign_in(at, name)
    assert not at.exception, [e.value for e in at.exception]
    return at


def go_to(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"pages/{page}.py").run()


@pytest.mark.parametrize("page", GATED)
def test_nobody_signed_in_sees_only_the_form_on_every_page(local_auth, page):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if page != "overview":
        go_to(at, page)
    assert_only_the_form(at)
    alone = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT).run()  # reached directly
    assert_only_the_form(alone)


def test_a_wrong_password_and_an_unknown_user_get_the_same_message(local_auth):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    sign_in(at, "vera", "not the password")
    wrong = [e.value for e in at.error]
    assert_only_the_form_but_the_message(at)
    sign_in(at, "nobody", PASSWORD)
    assert [e.value for e in at.error] == wrong == [access.SIGN_IN_REFUSED]
    assert not at.get("metric")


def assert_only_the_form_but_the_message(at: AppTest) -> None:
    assert [t.label for t in at.text_input] == ["Username", "Password"] and not at.get("metric")


def test_a_viewer_sees_the_pages_but_no_import_undo_backup_or_restore(local_auth):
    at = signed_in("vera")
    assert {m.label for m in at.metric} >= {"Exchanges in 2025"}
    assert "vera · viewer" in [t.value for t in at.sidebar.text]
    for page in PAGES[1:-2]:
        go_to(at, page)
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.get("plotly_chart") or at.get("dataframe"), page
    go_to(at, "data")
    assert not at.exception
    assert not at.file_uploader  # neither the import nor the restore upload
    keys = {b.key for b in at.button} | {b.key for b in at.get("download_button")}
    assert not {"data_import", "data_backup", "data_restore", "data_switch"} & keys
    assert not any(k and k.startswith("data_undo") for k in keys)
    assert any("for admins" in i.value for i in at.info)
    shown = all_text(at)
    assert str(local_auth) not in shown and "Audit log" not in shown  # the server's path: admins only


def test_an_admin_gets_import_backup_restore_and_the_audit_log(local_auth):
    at = signed_in("ada")
    go_to(at, "data")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.file_uploader) == 2  # the import and the restore
    assert {"data_backup", "data_audit_csv"} <= {b.key for b in at.get("download_button")}
    assert str(local_auth) in all_text(at)
    log = at.dataframe[-1].value
    assert {"sign_in"} <= set(log["action"]) and "ada" in set(log["user"])
    at.selectbox(key="data_audit_action").set_value("sign_in").run()
    assert set(at.dataframe[-1].value["action"]) == {"sign_in"}


def test_sign_out_brings_back_the_form(local_auth):
    at = signed_in("ann")
    assert "ann · analyst" in [t.value for t in at.sidebar.text]
    at.button(key="signin_sign_out").click().run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.get("metric")
    assert "sign_out" in set(access.audit_log()["action"])


def test_an_idle_session_ends_and_the_form_says_so(local_auth):
    import datetime as dt

    from pages.signin import TOKEN_KEY

    at = signed_in("vera")
    assert at.get("metric")
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + access.idle_limit() + dt.timedelta(minutes=1)
    assert access.resume_session(at.session_state[TOKEN_KEY], now=later) is None  # idle past the limit
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"] and not at.get("metric")
    assert any("session ended" in i.value for i in at.info)


# ---------------------------------------------------------------------------------------------
# The form in Chinese


def test_the_form_speaks_the_language_of_the_link(local_auth):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.text_input] == ["用户名", "密码"] and [b.label for b in at.button] == ["登录"]
    assert at.title[0].value == "政党交往数据分析" and not at.get("metric")
    sign_in(at, "vera", "not the password")
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    sign_in(at, "vera")
    assert at.title[0].value == "总览" and "vera · 查阅人员" in [t.value for t in at.sidebar.text]
    at.button(key="signin_sign_out").click().run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert "已退出登录。" in [i.value for i in at.info]


def test_the_switch_on_the_form_changes_its_language(local_auth):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    at.sidebar.radio(key="ui_language").set_value("zh").run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"] and at.query_params["lang"] == "zh"
    sign_in(at, "ann")
    assert at.title[0].value == "总览" and at.query_params["lang"] == "zh"
