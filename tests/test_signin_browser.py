"""Sign-in in a real browser against the real server: Playwright through Debian's Chromium.

``LEDGER_AUTH=local``: the dashboard shows only the Username/Password form, no number, until the
user signs in; then the sidebar says who and which role, and Sign out brings the form back.
``LEDGER_AUTH=oidc``: end to end against a real OpenID Connect provider on this machine
(``oidc-provider-mock``, a Flask app, started on a free port; no stub): the Sign in button goes
to the provider through Streamlit's ``st.login``, the provider's user comes back with a role
claim named by ``LEDGER_OIDC_ROLE_CLAIM``, and the ledger's numbers show. Every request to an
address other than this machine is aborted and fails the test.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from analytics import access
from tests.servers import ServerStartError, dashboard_server, free_port
from tests.test_browser import CHROMIUM, LOAD_TIMEOUT_MS, LOCAL_HOSTS

pytestmark = pytest.mark.browser

from playwright import sync_api  # noqa: E402

ROWS = [
    {"date": "2025-01-10", "party": "Red Party"},
    {"date": "2025-02-10", "party": "Rose Party", "family": "social_democratic"},
    {"date": "2024-05-10", "party": "Sun Party", "country": "KEN", "family": "national_democratic"},
]
PASSWORD = "correct horse battery"
METRIC = '[data-testid="stMetric"]'


@pytest.fixture
def page():
    outside: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})

        def route(route):
            if (urlparse(route.request.url).hostname or "") in LOCAL_HOSTS or route.request.url.startswith("data:"):
                route.continue_()
                return
            route.abort()  # nothing leaves this machine; the mock provider's own page asks a CDN for its
            # stylesheet, which is the test provider's business, not the dashboard's
            if not _from_provider(route.request):
                outside.append(route.request.url)

        context.route("**/*", route)
        yield context.new_page()
        browser.close()
    assert not outside, outside


PROVIDER_PORTS: set[int] = set()


def _from_provider(request) -> bool:
    try:
        return urlparse(request.frame.url).port in PROVIDER_PORTS
    except Exception:  # a request without a frame (a service worker)
        return False


def _wait_idle(page) -> None:
    page.wait_for_selector('[data-testid="stMain"]', timeout=LOAD_TIMEOUT_MS)
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=LOAD_TIMEOUT_MS)


def test_local_sign_in_in_the_browser(page, make_ledger, tmp_path, output_dir):
    ledger = make_ledger(ROWS)
    db = tmp_path / "access.sqlite"
    access.add_user("ada", "admin", PASSWORD, db=db)
    env = {"LEDGER_AUTH": "local", "LEDGER_ACCESS_DB": str(db)}
    with dashboard_server(ledger, tmp_path / "streamlit.log", env=env) as base:
        page.goto(base)
        page.get_by_label("Username").wait_for(timeout=LOAD_TIMEOUT_MS)
        _wait_idle(page)
        assert page.locator(METRIC).count() == 0
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert page.locator(".js-plotly-plot").count() == 0
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password", exact=True).fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text(access.SIGN_IN_REFUSED).wait_for(timeout=LOAD_TIMEOUT_MS)
        _wait_idle(page)  # the rerun's stale elements are gone
        assert page.locator(METRIC).count() == 0
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator(METRIC).first.wait_for(timeout=LOAD_TIMEOUT_MS)
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text("ada · admin").is_visible()
        page.screenshot(path=str(output_dir / "signin-local.png"))
        sidebar.get_by_role("button", name="Sign out").click()
        page.get_by_label("Username").wait_for(timeout=LOAD_TIMEOUT_MS)
        _wait_idle(page)
        assert page.locator(METRIC).count() == 0
    assert [a for a in access.audit_log(db=db)["action"] if a.startswith("sign")] == [
        "sign_in_failed",
        "sign_in",
        "sign_out",
    ]


def _provider(port: int, log: Path) -> subprocess.Popen:
    claims = {"sub": "olga", "email": "olga@example.org", "name": "Olga", "ledger_role": "analyst"}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--user-claims", json.dumps(claims)],
            cwd=log.parent,  # not the project root: the streamlit package's typing.py must not shadow typing
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise ServerStartError(f"oidc-provider-mock did not start:\n{log.read_text()[-2000:]}") from None
            time.sleep(0.2)


def test_oidc_sign_in_end_to_end_against_a_real_provider(page, make_ledger, tmp_path, output_dir):
    ledger = make_ledger(ROWS)
    provider_port, app_port = free_port(), free_port()
    PROVIDER_PORTS.add(provider_port)
    provider = _provider(provider_port, tmp_path / "provider.log")
    secrets_file = tmp_path / "config" / "secrets.toml"
    secrets_file.parent.mkdir()
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "ledger-dashboard"\n'
        f'client_secret = "{secrets.token_urlsafe(16)}"\n'
        f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n'
    )
    env = {"LEDGER_AUTH": "oidc", "LEDGER_OIDC_ROLE_CLAIM": "ledger_role", "LEDGER_ACCESS_DB": str(tmp_path / "a.db")}
    try:
        with dashboard_server(
            ledger, tmp_path / "streamlit.log", env=env, options=("--secrets.files", str(secrets_file)), port=app_port
        ) as base:
            page.goto(base)
            page.get_by_role("button", name="Sign in").wait_for(timeout=LOAD_TIMEOUT_MS)
            _wait_idle(page)
            assert page.locator(METRIC).count() == 0
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"http://127.0.0.1:{provider_port}/**", timeout=LOAD_TIMEOUT_MS)
            page.get_by_role("button", name="olga", exact=True).click()  # the provider's predefined user
            page.wait_for_url(f"{base}/**", timeout=LOAD_TIMEOUT_MS)
            page.locator(METRIC).first.wait_for(timeout=LOAD_TIMEOUT_MS)
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.get_by_text("olga@example.org · analyst").is_visible()
            exchanges = page.locator(METRIC, has_text="Exchanges in 2025").first
            assert "2" in exchanges.inner_text()  # the ledger's number: two exchanges in 2025
            page.screenshot(path=str(output_dir / "signin-oidc.png"))
    finally:
        provider.terminate()
        provider.wait(timeout=10)
    entries = access.audit_log(db=tmp_path / "a.db")
    assert ("olga@example.org", "analyst", "oidc", "sign_in") in set(
        entries[["user", "role", "via", "action"]].itertuples(index=False, name=None)
    )
