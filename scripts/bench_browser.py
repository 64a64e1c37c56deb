"""What a user waits for in a real browser after a filter change, written to docs/bench-browser.md.

``scripts/bench_pages.py`` times the server's script run; this one times the whole loop in
Chromium (Playwright): from the click on a region in the sidebar until the script run has
finished, no element is stale any more, the URL holds the new filter and the browser has
drawn two more frames (Plotly draws on the next frame). Each page is opened once, then
regions are added one at a time, so every filter set is new (nothing comes from the cache).

    .venv/bin/python scripts/bench_browser.py [--repeat 5] [--out docs/bench-browser.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import dashboard_server  # noqa: E402

PAGES = {
    "Overview": "",
    "Trends": "trends",
    "Party types": "party_types",
    "Regions": "regions",
    "Compare": "compare",
    "Explorer": "explorer",
    "Profiles": "profiles",
}
REGIONS = ["Africa", "Asia", "Europe", "Oceania", "Latin America and the Caribbean", "Northern America"]
TARGET_S = 0.3
# The hand-written part of docs/bench-browser.md from this heading on, kept when the table is rewritten.
NOTES_HEADING = "## Where the time goes"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SETTLED = """(region) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')) return false;
    if (region === null) return true;
    return new URLSearchParams(location.search).getAll('region').includes(region);
}"""


# The floor: a Streamlit app with nothing but the same sidebar filter, writing it to the URL.
BASELINE_APP = "\n".join(
    [
        "import streamlit as st",
        "with st.sidebar:",
        f"    chosen = st.multiselect('Region', {REGIONS!r})",
        "st.query_params.from_dict({'region': chosen} if chosen else {})",
        "st.markdown(f'Showing: {chosen}')",
    ]
)


def _choose_region(page, region: str) -> float:
    """Add ``region`` to the sidebar's Region filter; seconds until the page has settled."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    box.locator("input").click()
    page.keyboard.type(region)
    option = page.get_by_role("option", name=region, exact=True)
    option.wait_for()
    start = time.perf_counter()
    option.click()
    page.wait_for_function(SETTLED, arg=region, timeout=60_000, polling="raf")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    elapsed = time.perf_counter() - start
    page.keyboard.press("Escape")
    page.get_by_role("listbox").wait_for(state="hidden")
    return elapsed


def measure(base: str, chromium: str, repeat: int, pages: dict[str, str] = PAGES) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for title, path in pages.items():
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{base}/{path}", wait_until="domcontentloaded")
            page.wait_for_function(SETTLED, arg=None, timeout=60_000)
            page.wait_for_timeout(500)
            results[title] = [_choose_region(page, region) for region in REGIONS[:repeat]]
            print(
                f"{title:12s} median {statistics.median(results[title]) * 1000:.0f} ms "
                f"({', '.join(f'{t * 1000:.0f}' for t in results[title])})",
                flush=True,
            )
            page.close()
        browser.close()
    return results


def write_markdown(results: dict[str, list[float]], out: Path, repeat: int) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Filter change in a real browser",
        "",
        "Written by `scripts/bench_browser.py`:",
        "",
        "```bash",
        f".venv/bin/python scripts/bench_browser.py --repeat {repeat}",
        "```",
        "",
        f"Demo ledger (about 20,000 exchanges), `streamlit run` and headless Chromium on the same {os.cpu_count()}-core "
        f"machine, Python {platform.python_version()}, load average {load:.2f} at the end. Each figure is the time from "
        "the click on a region in the sidebar until the script run has finished, no element is stale, the URL "
        "holds the region and the browser has drawn two more frames. Regions are added one at a time, so each "
        "filter set is new and nothing comes from the cache. The server-side share of it: "
        "[`bench-pages.md`](bench-pages.md). The first row is the floor of this setup: a Streamlit app with "
        "nothing but the same sidebar filter.",
        "",
        f"Target: under {TARGET_S * 1000:.0f} ms.",
        "",
        "| Page | Median | Fastest | Slowest |",
        "| --- | ---: | ---: | ---: |",
    ]
    for title, times in results.items():
        median = statistics.median(times)
        flag = "" if median < TARGET_S else " (over target)"
        lines.append(
            f"| {title} | {median * 1000:,.0f} ms{flag} | {min(times) * 1000:,.0f} ms | {max(times) * 1000:,.0f} ms |"
        )
    lines.append("")
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    notes = old[old.index(NOTES_HEADING) :] if NOTES_HEADING in old else ""
    out.write_text("\n".join(lines) + ("\n" + notes if notes else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, choices=range(1, len(REGIONS) + 1), metavar="N")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-browser.md")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("No Chromium found: run scripts/setup.sh (apt-get install chromium).", file=sys.stderr)
        return 1

    from analytics.ledger import create_ledger

    with tempfile.TemporaryDirectory() as folder:
        ledger = create_ledger(Path(folder) / "demo.duckdb", demo=True, seed=1951)
        log = Path(folder) / "streamlit.log"
        with dashboard_server(ledger, log) as base:
            results = measure(base, chromium, args.repeat)
        baseline = Path(folder) / "baseline.py"
        baseline.write_text(BASELINE_APP, encoding="utf-8")
        with dashboard_server(ledger, log, str(baseline)) as base:
            floor = measure(base, chromium, args.repeat, {"floor": ""})["floor"]
        results = {"(floor: sidebar filter only)": floor, **results}
    write_markdown(results, args.out, args.repeat)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
