"""Where a filter change's time goes: CPU seconds of the Streamlit server and of Chromium.

The same clicks as ``scripts/bench_browser.py``, with the CPU time (from /proc, Linux only) the
server process and all Chromium processes spent on each filter change, beside the wall time.
CPU time is less swayed than wall time by other work on a loaded machine. Used for the
"Where the time goes" section of docs/bench-browser.md.

    .venv/bin/python scripts/bench_browser_cpu.py [REPEAT [PAGE ...]]
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 5
ONLY = sys.argv[2:]
from playwright.sync_api import sync_playwright  # noqa: E402

from analytics.ledger import create_ledger  # noqa: E402
from scripts.bench_browser import BASELINE_APP, CHROMIUM_ARGS, PAGES, REGIONS, SETTLED  # noqa: E402
from tests.servers import dashboard_server  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / TICK
    except FileNotFoundError:
        return 0.0


def children(pid):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                st = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(st[1]) == pid:
                out.append(int(p))
                out += children(int(p))
    return out


def server_pid(port):
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                cmd = open(f"/proc/{p}/cmdline").read().split("\0")
            except OSError:
                continue
            if "streamlit" in " ".join(cmd) and str(port) in cmd:
                return int(p)


def run(base, pages):
    spid = server_pid(base.rsplit(":", 1)[1])
    res = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        me = os.getpid()
        for title, path in pages.items():
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{base}/{path}", wait_until="domcontentloaded")
            page.wait_for_function(SETTLED, arg=None, timeout=60_000)
            page.wait_for_timeout(800)
            rows = []
            for region in REGIONS[:REPEAT]:
                box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
                box.locator("input").click()
                page.keyboard.type(region)
                opt = page.get_by_role("option", name=region, exact=True)
                opt.wait_for()
                kids = [p for p in children(me)]
                c0 = {p: cpu(p) for p in kids}
                s0 = cpu(spid)
                t0 = time.perf_counter()
                opt.click()
                page.wait_for_function(SETTLED, arg=region, timeout=60_000, polling="raf")
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                wall = time.perf_counter() - t0
                s1 = cpu(spid)
                c1 = {p: cpu(p) for p in kids}
                brows = sum(c1[p] - c0[p] for p in kids if p != spid)
                rows.append((wall, s1 - s0, brows))
                page.keyboard.press("Escape")
                page.get_by_role("listbox").wait_for(state="hidden")
            med = [statistics.median(r[i] for r in rows) * 1000 for i in range(3)]
            print(
                f"{title:12s} wall {med[0]:5.0f} ms  server cpu {med[1]:5.0f} ms  browser cpu {med[2]:5.0f} ms",
                flush=True,
            )
            res[title] = rows
            page.close()
        browser.close()
    return res


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        ledger = create_ledger(Path(folder) / "demo.duckdb", demo=True, seed=1951)
        pages = {k: PAGES[k] for k in (ONLY or PAGES)}
        with dashboard_server(ledger, Path(folder) / "s.log") as base:
            run(base, pages)
        if not ONLY:
            (Path(folder) / "b.py").write_text(BASELINE_APP)
            with dashboard_server(ledger, Path(folder) / "s.log", str(Path(folder) / "b.py")) as base:
                run(base, {"floor": ""})


if __name__ == "__main__":
    main()
