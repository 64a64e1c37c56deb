"""A real browser against the real server: ``streamlit run dashboard.py`` on a free local port
with a copy of the demo ledger, driven by Playwright through Debian's Chromium.

Every request the page makes to an address other than this machine is aborted and recorded;
the test fails if there was any (the dashboard must work on a closed network). For each page:
it loads, every chart draws with data, the maps draw their countries from the locally served
outline, no error element shows, and a screenshot goes to ``test-output/screenshots/``. A
link with filters in its query string opens with those filters, and they survive a page
change and a reload; the back button returns to the previous page and filters.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.servers import dashboard_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
# Debian's package installs /usr/bin/chromium; Ubuntu's is named chromium-browser.
CHROMIUM = (
    os.environ.get("LEDGER_TEST_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
    or "/usr/bin/chromium"
)
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
# (url path, page title, plotly charts on the page, of which maps)
PAGES = [
    ("", "Overview", 3, 1),
    ("trends", "Trends", 5, 0),
    ("party_types", "Party types", 4, 0),
    ("regions", "Regions", 6, 2),
    ("compare", "Compare", 2, 0),
    ("explorer", "Explorer", 1, 0),
    ("profiles", "Profiles", 5, 0),
    ("relationships", "Relationships", 1, 0),
]
LOAD_TIMEOUT_MS = 45_000

# No skip: the README's test command installs Playwright and Chromium, so a missing browser is
# a broken setup and must turn CI red rather than pass without a single browser check.
from playwright import sync_api  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def chromium_installed():
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: run scripts/setup.sh (apt-get install chromium)"


@pytest.fixture(scope="module")
def server(demo_ledger, tmp_path_factory):
    """Base URL of a dashboard serving a copy of the demo ledger."""
    ledger = tmp_path_factory.mktemp("browser") / "ledger.duckdb"
    shutil.copyfile(demo_ledger, ledger)
    with dashboard_server(ledger, tmp_path_factory.mktemp("browser-log") / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def outside_requests():
    """URLs of requests to non-local addresses (each one aborted)."""
    return []


@pytest.fixture
def page(browser, outside_requests):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, device_scale_factor=1)

    def route(route):
        host = urlparse(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    tab = context.new_page()
    yield tab
    context.close()


def _wait_for_app(page, charts: int) -> None:
    """Until the script run has finished and ``charts`` Plotly charts have drawn their data."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(
        """(n) => {
            const plots = [...document.querySelectorAll('.js-plotly-plot')];
            return plots.length >= n && plots.every(p => p._fullData && p._fullData.length > 0);
        }""",
        arg=charts,
        timeout=LOAD_TIMEOUT_MS,
    )
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=LOAD_TIMEOUT_MS)


def _summary(page) -> str:
    """The one-line summary of the active filters under the page title."""
    line = page.locator('[data-testid="stMarkdownContainer"]', has_text="Showing:").last
    return line.inner_text(timeout=LOAD_TIMEOUT_MS)


@pytest.mark.parametrize(("path", "title", "charts", "maps"), PAGES, ids=[p[1] for p in PAGES])
def test_page_draws_offline(page, server, outside_requests, output_dir, path, title, charts, maps):
    page.goto(f"{server}/{path}", wait_until="domcontentloaded")
    _wait_for_app(page, charts)
    assert page.get_by_role("heading", name=title).first.is_visible()
    plots = page.locator(".js-plotly-plot")
    assert plots.count() == charts
    traces = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullData.length)")
    assert all(n > 0 for n in traces), traces
    if maps:
        # The country shapes exist only when the outline was fetched from this server.
        page.wait_for_function(
            "(n) => document.querySelectorAll('.choroplethlayer path.choroplethlocation').length >= n",
            arg=100 * maps,
            timeout=LOAD_TIMEOUT_MS,
        )
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert "Demo data" in page.inner_text('[data-testid="stMain"]')
    shots = output_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    # Streamlit scrolls inside its main block: a viewport as tall as the page shows all of it.
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": min(int(height), 6000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / f"{(path or 'overview').replace('-', '_')}.png"))
    assert outside_requests == [], f"requests to outside addresses: {outside_requests}"


def test_url_filters_survive_page_change_and_reload(page, server, outside_requests):
    page.goto(f"{server}/regions?region=Africa&from=2000&family=communist", wait_until="domcontentloaded")
    _wait_for_app(page, 6)
    summary = _summary(page)
    assert "2000–" in summary and "Region: Africa" in summary and "Family: Communist" in summary

    page.locator('[data-testid="stSidebarNav"]').get_by_text("Trends", exact=True).click()
    page.wait_for_function("() => location.pathname.endsWith('/trends')", timeout=LOAD_TIMEOUT_MS)
    _wait_for_app(page, 5)
    page.wait_for_function("() => location.search.includes('region=Africa')", timeout=LOAD_TIMEOUT_MS)
    query = parse_qs(urlparse(page.url).query)
    assert query["region"] == ["Africa"] and query["from"] == ["2000"] and query["family"] == ["communist"]
    assert "Region: Africa" in _summary(page)

    page.reload(wait_until="domcontentloaded")
    _wait_for_app(page, 5)
    summary = _summary(page)
    assert "2000–" in summary and "Region: Africa" in summary and "Family: Communist" in summary
    assert outside_requests == []


def _go_back_until(page, condition: str, presses: int) -> int:
    """Press the back button until the JS ``condition`` holds; how many presses it took."""
    for pressed in range(1, presses + 1):
        page.go_back()
        try:
            page.wait_for_function(condition, timeout=5_000)
            return pressed
        except sync_api.TimeoutError:
            continue
    raise AssertionError(f"{condition} did not hold after {presses} presses of back")


def test_back_button_restores_page_and_filters(page, server, outside_requests):
    page.goto(f"{server}/regions?region=Asia&from=1990", wait_until="domcontentloaded")
    _wait_for_app(page, 6)
    page.get_by_role("button", name="Reset filters").click()
    page.wait_for_function("() => !location.search.includes('region=')", timeout=LOAD_TIMEOUT_MS)
    _wait_for_app(page, 6)
    assert "Region:" not in _summary(page)

    # One filter change is one step back, with every filter of the step restored.
    assert _go_back_until(page, "() => location.search.includes('region=Asia')", presses=1) == 1
    _wait_for_app(page, 6)
    page.wait_for_function("() => location.search.includes('from=1990')", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')]"
        ".some(e => e.innerText.includes('1990–2025; Region: Asia'))",
        timeout=LOAD_TIMEOUT_MS,
    )

    # Forward again, to the view without filters: an empty query string on the same page is a
    # view of its own, not a page change.
    page.go_forward()
    page.wait_for_function("() => !location.search.includes('region=')", timeout=LOAD_TIMEOUT_MS)
    _wait_for_app(page, 6)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')]"
        ".some(e => e.innerText.includes('Showing:') && !e.innerText.includes('Region:'))",
        timeout=LOAD_TIMEOUT_MS,
    )
    page.wait_for_timeout(1000)  # a stale write-back of the old filters would land by now
    assert "region=" not in page.url and "Region:" not in _summary(page)
    page.go_back()
    page.wait_for_function("() => location.search.includes('region=Asia')", timeout=LOAD_TIMEOUT_MS)
    _wait_for_app(page, 6)

    # A page change: Streamlit's sidebar navigation clears the query string and the app writes
    # the filters back, which leaves one extra history entry (streamlit/streamlit#8102).
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Trends", exact=True).click()
    page.wait_for_function("() => location.pathname.endsWith('/trends')", timeout=LOAD_TIMEOUT_MS)
    _wait_for_app(page, 5)
    assert _go_back_until(page, "() => location.pathname.endsWith('/regions')", presses=2) <= 2
    _wait_for_app(page, 6)
    summary = _summary(page)
    assert "1990–" in summary and "Region: Asia" in summary
    assert page.get_by_role("heading", name="Regions").first.is_visible()
    assert outside_requests == []


def test_bad_link_warns_and_falls_back(page, server):
    page.goto(f"{server}/?region=Atlantis&from=19x", wait_until="domcontentloaded")
    _wait_for_app(page, 3)
    text = page.inner_text('[data-testid="stMain"]')
    assert "Ignored region=Atlantis" in text and "Ignored from=19x" in text
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Region:" not in _summary(page)


def test_clicks_filter_and_open_profiles(page, server, outside_requests):
    # A bar of the regions chart filters to its region.
    page.goto(f"{server}/regions", wait_until="domcontentloaded")
    _wait_for_app(page, 6)
    regions_chart = page.locator(".js-plotly-plot").nth(1)
    regions_chart.scroll_into_view_if_needed()
    regions_chart.locator(".bars path").last.click(force=True)  # the top bar: the largest region
    page.wait_for_function("() => location.search.includes('region=')", timeout=LOAD_TIMEOUT_MS)
    region = parse_qs(urlparse(page.url).query)["region"]
    assert len(region) == 1
    page.wait_for_function(
        "(r) => [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')]"
        ".some(e => e.innerText.includes('Region: ' + r))",
        arg=region[0],
        timeout=LOAD_TIMEOUT_MS,
    )

    # A country on the map opens its profile.
    page.goto(f"{server}/", wait_until="domcontentloaded")
    _wait_for_app(page, 3)
    page.wait_for_function(
        "() => document.querySelectorAll('.choroplethlocation').length > 100", timeout=LOAD_TIMEOUT_MS
    )
    page.locator(".js-plotly-plot", has=page.locator(".choroplethlocation")).first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    # A screen point inside the largest country shape (a bounding-box centre may be a neighbour).
    point = page.evaluate("""() => {
        const shapes = [...document.querySelectorAll('.choroplethlocation')]
            .map(el => [el, el.getBoundingClientRect()])
            .sort((a, b) => b[1].width * b[1].height - a[1].width * a[1].height);
        for (const [el, box] of shapes.slice(0, 5)) {
            const toShape = el.getScreenCTM().inverse();
            for (let i = 1; i < 10; i++) for (let j = 1; j < 10; j++) {
                const x = box.x + box.width * i / 10, y = box.y + box.height * j / 10;
                const p = new DOMPoint(x, y).matrixTransform(toShape);
                if (el.isPointInFill(p)) return [x, y];
            }
        }
        return null;
    }""")
    assert point is not None
    page.mouse.click(*point)
    # Streamlit changes pages with history.pushState: no load event to wait for.
    page.wait_for_function(
        "() => location.pathname.endsWith('/profiles') && location.search.includes('profile=country')",
        timeout=LOAD_TIMEOUT_MS,
    )
    _wait_for_app(page, 4)
    assert outside_requests == []


# ---------------------------------------------------------------------------------------------
# Hostile input: a ledger of party names and a query string that try links, images and bold

HOSTILE_NAMES = [
    "![pwned-img](http://example.invalid/p.png)",
    '<a href="http://example.invalid/a">pwned-link</a>',
    '<img src="http://example.invalid/i.png">pwned-tag',
    "**pwned-bold** <b>pwned-b</b>",
    "see http://example.invalid/pwned-auto and www.example.invalid",
    "[pwned-js](javascript:alert(1))",
    "Long pwned party " * 300 + "end",
]
# Elements that would mean text from the data became markup (in the page, the sidebar and the
# charts' SVG, where plotly draws <a> and <b> from its text).
# A link of the app's own (same origin, http) may carry data in its query string, URL-encoded, as
# the filters do (the What changed panel links to a chart with the finding's filters): only where it
# leads counts, not what its query holds.
MARKUP_FROM_DATA = """() => [...document.querySelectorAll('a, img, strong, b, em, i')]
    .map(e => {
        const href = e.getAttribute('href') || e.getAttribute('xlink:href') || '';
        let target = href;
        if (href) {
            try {
                const url = new URL(href, location.href);
                if (url.origin === location.origin && url.protocol.startsWith('http')) target = url.pathname;
            } catch (error) { /* not a URL: kept as written */ }
        }
        return [e.tagName, (e.textContent || '') + ' ' + target + ' ' + (e.getAttribute('src') || '')];
    })
    .filter(([tag, text]) => text.includes('pwned') || text.includes('example.invalid') || text.includes('javascript:'))"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    from tests.ledgers import build_ledger

    rows = [{"date": f"2025-0{1 + i}-10", "party": name} for i, name in enumerate(HOSTILE_NAMES)]
    rows += [{"date": "2024-03-10", "party": "Red Party", "country": "KEN"}]
    ledger = build_ledger(tmp_path_factory.mktemp("hostile-browser") / "ledger.duckdb", rows)
    with dashboard_server(ledger, tmp_path_factory.mktemp("hostile-log") / "streamlit.log") as base:
        yield base


@pytest.mark.parametrize(
    ("path", "query", "charts"),
    [
        ("", {"party": HOSTILE_NAMES[0]}, 3),
        ("", {"region": HOSTILE_NAMES[1], "family": HOSTILE_NAMES[3], "from": "x" * 5000}, 3),
        ("party_types", {}, 4),
        ("explorer", {"q": HOSTILE_NAMES[4] + " nothing", "sort": HOSTILE_NAMES[5]}, 1),
        ("profiles", {"profile": "party:FRA:" + HOSTILE_NAMES[2]}, 4),
    ],
    ids=["party-filter", "bad-values", "party-types", "explorer-search", "party-profile"],
)
def test_hostile_ledger_and_query_make_no_markup_and_no_outside_request(
    page, hostile_server, outside_requests, path, query, charts
):
    from urllib.parse import urlencode

    page.goto(f"{hostile_server}/{path}?{urlencode(query)}", wait_until="domcontentloaded")
    _wait_for_app(page, charts)
    page.wait_for_timeout(1500)  # images and fonts a hostile text asked for would be requested by now
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.evaluate(MARKUP_FROM_DATA) == []
    text = page.inner_text("body")
    if path == "" and "party" in query:
        summary = _summary(page).replace("\u2060", "")  # the word joiner that keeps a URL plain text
        assert "Party: ![pwned-img](http://example.invalid/p.png)" in summary  # read as typed
    assert "x" * 200 not in text  # a long URL value is never echoed in full
    assert outside_requests == [], f"requests to outside addresses: {outside_requests}"


# ---------------------------------------------------------------------------------------------
# The language: the sidebar switch, lang= in the URL, a page change, a reload and a link


def _heading(page, name: str) -> None:
    page.get_by_role("heading", name=name).first.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_the_language_follows_the_switch_the_url_a_page_change_and_a_reload(page, server, outside_requests, output_dir):
    page.goto(f"{server}/?lang=zh", wait_until="domcontentloaded")
    _wait_for_app(page, 3)
    _heading(page, "总览")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("语言 · Language").is_visible()
    assert sidebar.get_by_text("简体中文", exact=True).is_visible() and sidebar.get_by_text("English").is_visible()
    assert "演示数据" in page.inner_text('[data-testid="stMain"]')
    shots = output_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "overview_zh.png"))

    # A page change keeps the language, and lang=zh in the URL.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("趋势", exact=True).click()
    page.wait_for_function("() => location.pathname.endsWith('/trends')", timeout=LOAD_TIMEOUT_MS)
    _wait_for_app(page, 5)
    _heading(page, "趋势")
    page.wait_for_function("() => location.search.includes('lang=zh')", timeout=LOAD_TIMEOUT_MS)

    # A reload keeps it.
    page.reload(wait_until="domcontentloaded")
    _wait_for_app(page, 5)
    _heading(page, "趋势")
    page.screenshot(path=str(shots / "trends_zh.png"))

    # A filter set in the sidebar, then English: the filter stays, the words change.
    regions = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="地区").first
    regions.click()
    page.keyboard.type("非洲")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.search.includes('region=Africa')", timeout=LOAD_TIMEOUT_MS)
    _wait_for_app(page, 5)
    summary = page.locator('[data-testid="stMarkdownContainer"]', has_text="当前显示：").last
    assert "地区：非洲" in summary.inner_text(timeout=LOAD_TIMEOUT_MS)
    sidebar.get_by_text("English", exact=True).click()
    page.wait_for_function("() => !location.search.includes('lang=')", timeout=LOAD_TIMEOUT_MS)
    _wait_for_app(page, 5)
    _heading(page, "Trends")
    assert _query(page)["region"] == ["Africa"]
    assert "Region: Africa" in _summary(page)
    # The run's last elements (the charts' captions) replace their Chinese ones a moment after
    # the heading and the summary: wait for them (a Chinese word left there fails here).
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stMain\"]').innerText.includes('演示数据')",
        timeout=LOAD_TIMEOUT_MS,
    )
    assert "演示数据" not in page.inner_text('[data-testid="stMain"]')
    assert outside_requests == []


def test_a_link_with_lang_and_filters_opens_in_that_language_with_them(page, server, outside_requests):
    page.goto(f"{server}/party_types?lang=zh&family=communist&from=1990", wait_until="domcontentloaded")
    _wait_for_app(page, 4)
    _heading(page, "政党类型")
    summary = page.locator('[data-testid="stMarkdownContainer"]', has_text="当前显示：").last
    text = summary.inner_text(timeout=LOAD_TIMEOUT_MS)
    assert "1990—2025年" in text and "类别：共产党" in text
    query = _query(page)
    assert query["lang"] == ["zh"] and query["family"] == ["communist"] and query["from"] == ["1990"]
    assert page.locator('[data-testid="stException"]').count() == 0
    assert outside_requests == []


def test_a_bad_lang_in_a_link_warns_and_falls_back(page, server):
    page.goto(f"{server}/?lang=<b>fr</b>", wait_until="domcontentloaded")
    _wait_for_app(page, 3)
    _heading(page, "Overview")
    text = page.inner_text('[data-testid="stMain"]')
    assert "Ignored lang=<b>fr</b> from the link" in text
    assert page.locator('[data-testid="stMain"] b', has_text="fr").count() == 0


@pytest.mark.parametrize(("path", "title", "charts", "maps"), PAGES[:4], ids=[p[1] for p in PAGES[:4]])
def test_charts_need_no_wider_left_margin_than_the_hint(page, server, path, title, charts, maps):
    # pages/margin_hint.py sets each chart's left margin to what its axis labels need, so Plotly's
    # automargin has nothing to widen and draws the chart once: the drawn margin is the hint.
    page.goto(f"{server}/{path}", wait_until="domcontentloaded")
    _wait_for_app(page, charts)
    margins = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(p =>
            [p._fullLayout.title.text.slice(0, 40), Math.round(p._fullLayout._size.l), p._fullLayout.margin.l])"""
    )
    assert len(margins) == charts
    assert [m for m in margins if m[1] != m[2]] == [], margins
