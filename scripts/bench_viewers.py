"""Many viewers, measured: two dashboard processes behind nginx (scripts/serve_behind_nginx.sh).

Makes a non-demo ledger (``analytics init --empty`` + an import of ``--first`` rows taken from a
demo ledger's export), starts the script on it, then:

(a) checks ``/_stcore/health`` on both processes (8701, 8702) directly and through the proxy (8700);
(b) opens the dashboard through the proxy in N browser sessions at once (each its own Chromium,
    so its own "viewer" cookie and process), each adding sidebar regions one at a time, timed
    as scripts/bench_browser.py times a settled page (its helpers are imported); p50 and p95;
(c) during the largest run imports ``--second`` more rows with ``python -m analytics import``
    while both processes are polled on ``/_stcore/health`` and the page; afterwards the Overview
    is opened on each process directly and its totals line must name the new count.

    .venv/bin/python scripts/bench_viewers.py [--sessions 1 5] [--changes 3]

Prints the figures (and writes them as JSON with --json); docs/scaling.md quotes them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_browser import CHROMIUM_ARGS, REGIONS, SETTLED, _choose_region  # noqa: E402

PROXY, UPSTREAMS = 8700, (8701, 8702)
TOTALS = re.compile(r"([\d,]+) exchanges in")


def analytics(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "analytics", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def make_files(folder: Path, first: int, second: int) -> tuple[Path, Path, Path]:
    """An empty ledger with ``first`` rows imported, and a CSV of ``second`` further rows."""
    demo, everything = folder / "demo.duckdb", folder / "all.csv"
    analytics("init", "--db", str(demo))
    analytics("export-ledger", "--db", str(demo), "--out", str(everything))
    lines = everything.read_text(encoding="utf-8").splitlines(keepends=True)
    a, b = folder / "first.csv", folder / "second.csv"
    a.write_text("".join([lines[0], *lines[1 : first + 1]]), encoding="utf-8")
    b.write_text("".join([lines[0], *lines[first + 1 : first + second + 1]]), encoding="utf-8")
    ledger = folder / "ledger.duckdb"
    analytics("init", "--empty", "--db", str(ledger))
    print(analytics("import", "--db", str(ledger), str(a)))
    return ledger, a, b


def health(port: int, timeout: float = 5) -> float:
    """Seconds for one answer of /_stcore/health; raises when it is not 200 "ok"."""
    start = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout) as response:
        body = response.read()
        if response.status != 200 or body.strip() != b"ok":
            raise RuntimeError(f"port {port}: {response.status} {body!r}")
    return time.perf_counter() - start


def start_setup(ledger: Path) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "PYTHON": sys.executable}
    process = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "serve_behind_nginx.sh"), str(ledger)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    logs = None
    assert process.stdout is not None
    for line in process.stdout:
        print("  setup:", line.rstrip(), flush=True)
        if line.startswith("Logs: "):
            logs = Path(line.split(" ", 1)[1].strip())
        if line.strip() == "READY":
            break
    else:
        raise RuntimeError("serve_behind_nginx.sh ended before READY")
    assert logs is not None
    return process, logs


def overview_total(chromium: str, port: int) -> int:
    """The exchange count in the Overview's totals line, read in a browser from ``port``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
        page.wait_for_function(SETTLED, arg=None, timeout=60_000)
        page.get_by_text(TOTALS).first.wait_for(timeout=30_000)
        text = page.get_by_text(TOTALS).first.inner_text()
        browser.close()
    match = TOTALS.search(text)
    assert match, text
    return int(match.group(1).replace(",", ""))


def session(chromium: str, changes: int, barrier: threading.Barrier, out: list[float], errors: list[str]) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"http://127.0.0.1:{PROXY}/", wait_until="domcontentloaded")
            page.wait_for_function(SETTLED, arg=None, timeout=120_000)
            page.wait_for_timeout(500)
            barrier.wait(timeout=300)
            for region in REGIONS[:changes]:
                try:
                    out.append(_choose_region(page, region))
                except PlaywrightTimeout:
                    # The drop-down's option did not show (seen under load): close it, try once more.
                    errors.append(f"retried {region}: its option did not show within 30 s")
                    page.keyboard.press("Escape")
                    page.wait_for_timeout(1000)
                    out.append(_choose_region(page, region))
            browser.close()
    except Exception as error:  # noqa: BLE001 - a failed session is reported, not hidden
        errors.append(f"{type(error).__name__}: {error}")
        barrier.abort()


class Poller(threading.Thread):
    """Asks both processes for /_stcore/health every 100 ms until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.times: dict[int, list[float]] = {port: [] for port in UPSTREAMS}
        self.failures: dict[int, list[str]] = {port: [] for port in UPSTREAMS}

    def run(self) -> None:
        while not self.stop.is_set():
            for port in UPSTREAMS:
                try:
                    self.times[port].append(health(port))
                except Exception as error:  # noqa: BLE001
                    self.failures[port].append(str(error))
            time.sleep(0.1)


def run_sessions(chromium: str, count: int, changes: int, during=None) -> tuple[list[float], list[str]]:
    times: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(count + (1 if during else 0))
    threads = [threading.Thread(target=session, args=(chromium, changes, barrier, times, errors)) for _ in range(count)]
    for thread in threads:
        thread.start()
    if during:
        barrier.wait(timeout=300)
        during()
    for thread in threads:
        thread.join()
    return times, errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def upstream_counts(logs: Path) -> dict[str, dict[str, int]]:
    """Per viewer cookie, how many proxied requests each process answered (nginx access log)."""
    counts: dict[str, dict[str, int]] = {}
    for line in (logs / "nginx-access.log").read_text().splitlines():
        key, upstream = line.split(" ")[:2]
        counts.setdefault(key, {}).setdefault(upstream, 0)
        counts[key][upstream] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--changes", type=int, default=3, choices=range(1, len(REGIONS) + 1), metavar="N")
    parser.add_argument("--first", type=int, default=1000)
    parser.add_argument("--second", type=int, default=10000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    }
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ledger, _first, second = make_files(folder, args.first, args.second)
        process, logs = start_setup(ledger)
        try:
            report["health_ms"] = {str(port): round(health(port) * 1000, 1) for port in (*UPSTREAMS, PROXY)}
            print("(a) health:", report["health_ms"], flush=True)
            report["ledger_info_before"] = analytics("info", "--db", str(ledger))
            before = {str(port): overview_total(chromium, port) for port in UPSTREAMS}
            print("    totals before:", before, flush=True)
            report["totals_before"] = before
            runs = {}
            for count in args.sessions:
                largest = count == max(args.sessions)
                poller = Poller()
                imported: dict[str, object] = {}

                def do_import(poller: Poller = poller, imported: dict[str, object] = imported) -> None:
                    poller.start()
                    time.sleep(1.0)
                    start = time.perf_counter()
                    imported["output"] = analytics("import", "--db", str(ledger), str(second))
                    imported["seconds"] = round(time.perf_counter() - start, 2)

                times, errors = run_sessions(chromium, count, args.changes, do_import if largest else None)
                run: dict[str, object] = {
                    "changes": len(times),
                    "p50_ms": round(statistics.median(times) * 1000) if times else None,
                    "p95_ms": round(percentile(times, 0.95) * 1000) if times else None,
                    "max_ms": round(max(times) * 1000) if times else None,
                    "errors": errors,
                }
                if largest:
                    poller.stop.set()
                    poller.join()
                    run["import"] = imported
                    run["health_during"] = {
                        str(port): {
                            "answers": len(poller.times[port]),
                            "failures": len(poller.failures[port]),
                            "max_ms": round(max(poller.times[port]) * 1000) if poller.times[port] else None,
                        }
                        for port in UPSTREAMS
                    }
                runs[str(count)] = run
                print(f"(b) {count} session(s):", run, flush=True)
            report["runs"] = runs
            after = {str(port): overview_total(chromium, port) for port in UPSTREAMS}
            report["totals_after"] = after
            report["ledger_info_after"] = analytics("info", "--db", str(ledger))
            print("(c) totals after:", after, flush=True)
            report["upstreams_per_viewer"] = upstream_counts(logs)
            report["load_average"] = os.getloadavg()[0]
        finally:
            process.terminate()
            process.wait(timeout=30)
    # The totals line counts the Overview's default filters, not every row, so the check is that
    # both processes show the same count, and a larger one than before the import.
    before, after = report["totals_before"], report["totals_after"]
    report["ok"] = len(set(after.values())) == 1 and all(after[port] > before[port] for port in after)
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
