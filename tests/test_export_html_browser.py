"""The self-contained HTML export opened in headless Chromium with every request that is not
a local file aborted: the chart draws, the map draws its country outlines, and nothing even
tries the network. A control page made the ordinary Plotly way shows the test can fail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import plotly.io as pio
import pytest

from analytics import chart_catalog, charts, export
from analytics.filters import Filters
from analytics.ledger import connect_read_only
from tests.test_export import ROWS, bar_figure, map_figure

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
META = export.ChartMeta("test", "Offline chart", "All exchanges", "Test ledger", False, dt.date(2026, 11, 28))

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    # Fail, never skip: the setup script installs Chromium, and a skip would let CI pass unchecked.
    assert Path(CHROMIUM).exists(), (
        f"No Chromium at {CHROMIUM}: install it with `apt-get install chromium` (the setup script does)."
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def open_offline(browser, path: Path):
    """A page showing ``path`` with all non-file requests aborted; returns (page, attempted URLs)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    attempted: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith("file:"):
            request_route.continue_()
        else:
            attempted.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    return page, attempted


def land_path_length(page) -> int:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.geo .layer.land path, .geo .layer.countries path'))"
        ".reduce((n, p) => n + (p.getAttribute('d') || '').length, 0)"
    )


def test_bar_chart_html_draws_offline(browser, tmp_path):
    path = tmp_path / "bars.html"
    path.write_bytes(export.to_html(bar_figure(), META))
    page, attempted = open_offline(browser, path)
    page.wait_for_selector(".main-svg .point path", timeout=15_000)
    assert page.locator(".main-svg .point path").count() == 3
    # the title is an annotation placed by the export's margins (analytics.export.stamp)
    assert any("Offline chart" in text for text in page.locator(".annotation-text").all_text_contents())
    assert attempted == []
    page.close()


def test_map_html_draws_outline_offline(browser, tmp_path):
    path = tmp_path / "map.html"
    path.write_bytes(export.to_html(map_figure(), META))
    page, attempted = open_offline(browser, path)
    page.wait_for_selector("path.choroplethlocation", timeout=15_000)
    assert page.locator("path.choroplethlocation").count() == 3
    assert land_path_length(page) > 10_000  # the embedded world outline is drawn
    assert attempted == []
    page.close()


def test_plain_plotly_html_cannot_draw_the_map_offline(browser, tmp_path):
    """Control: Plotly's own export fetches the outline from its CDN, which is blocked here."""
    path = tmp_path / "plain.html"
    path.write_text(map_figure().to_html(include_plotlyjs=True), encoding="utf-8")
    page, attempted = open_offline(browser, path)
    page.wait_for_timeout(1500)
    assert page.locator("path.choroplethlocation").count() == 0
    assert any("cdn.plot.ly" in url for url in attempted)
    page.close()


def test_catalog_map_exported_from_a_ledger_draws_offline(browser, make_ledger, tmp_path, monkeypatch):
    # The charts take the house template as plotly's default; importing streamlit (the AppTests
    # in this session do) replaces that default, as it never happens in the app or the CLI.
    monkeypatch.setattr(pio.templates, "default", charts.TEMPLATE)
    con = connect_read_only(make_ledger(ROWS, demo=True))
    try:
        fig, _ = chart_catalog.build_chart(con, "world-map", Filters(), is_demo=True)
    finally:
        con.close()
    path = tmp_path / "world-map.html"
    path.write_bytes(export.to_html(fig, export.chart_meta("world-map", fig, is_demo=True)))
    page, attempted = open_offline(browser, path)
    page.wait_for_selector("path.choroplethlocation", timeout=15_000)
    assert page.locator("path.choroplethlocation").count() == 4  # France, Kenya, Brazil, Germany
    assert land_path_length(page) > 10_000
    assert "Demo data" in page.locator(".infolayer").text_content()
    assert attempted == []
    page.close()
