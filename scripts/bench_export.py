"""Benchmark of chart export and briefing decks: a browser per image against one browser per
batch, and the 6-chart deck and PDF pack end to end (target: deck under 10 s). Writes the
figures to docs/bench-export.md.

Run: .venv/bin/python scripts/bench_export.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics import bench, briefing, chart_catalog, export  # noqa: E402
from analytics.filters import Filters  # noqa: E402
from analytics.ledger import connect_read_only, create_ledger  # noqa: E402

DOC = ROOT / "docs" / "bench-export.md"
DECK = list(bench.BRIEFING_CHARTS)


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median reported)")
    args = parser.parse_args()
    export.require_browser()
    results: dict[str, list[float]] = {}

    def record(label: str, seconds: float) -> None:
        results.setdefault(label, []).append(seconds)
        print(f"{label}: {seconds:.2f} s", flush=True)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        create_ledger(db, demo=True, seed=1951)
        con = connect_read_only(db)
        built = [chart_catalog.build_chart(con.cursor(), name, Filters(), is_demo=True) for name in DECK]
        jobs = []
        for name, (fig, _) in zip(DECK, built, strict=True):
            meta = export.chart_meta(name, fig, is_demo=True)
            slide = export.PRESETS["slide"]
            jobs.append(
                export.ImageJob(
                    export.stamp(fig, meta, preset=slide, bare=True),
                    "png",
                    slide.width_px,
                    slide.height_px,
                    slide.scale,
                )
            )
        spec = briefing.spec_for_charts(DECK, title="Benchmark briefing")
        for _ in range(args.repeat):
            renderer = export.ImageRenderer()
            record("Start the browser", timed(renderer.start))
            record("6 slide PNGs (3200 x 1800) through one open browser", timed(lambda r=renderer: r.render(jobs)))
            record(
                "6-chart deck, browser already open (the app after its first export)",
                timed(lambda r=renderer: briefing.build_briefing(con, spec, "pptx", is_demo=True, renderer=r)),
            )
            renderer.close()
            record(
                "6 slide PNGs, a new browser for each (Kaleido's default)",
                timed(lambda: [export.render_images([job]) for job in jobs]),
            )
            record(
                "6-chart deck (PPTX), cold: browser start + charts + pictures + deck",
                timed(lambda: briefing.build_briefing(con, spec, "pptx", is_demo=True)),
            )
            record("6-chart PDF pack, cold", timed(lambda: briefing.build_briefing(con, spec, "pdf", is_demo=True)))
            out = Path(folder) / "deck.pptx"
            command = [
                sys.executable,
                "-m",
                "analytics",
                "briefing",
                "--db",
                str(db),
                "--charts",
                ",".join(DECK),
                "--out",
                str(out),
            ]
            record(
                "`python -m analytics briefing` 6-chart deck, whole process",
                timed(lambda c=command: subprocess.run(c, cwd=ROOT, check=True, capture_output=True)),
            )
        con.close()
    load_after = os.getloadavg()[0]

    rows = "\n".join(
        f"| {label} | {statistics.median(values):.1f} s | {min(values):.1f} s | {max(values):.1f} s |"
        for label, values in results.items()
    )
    DOC.write_text(
        "# Benchmarks: chart export and briefing decks\n\n"
        f"Measured {dt.date.today()} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Debian Chromium at `{export.find_browser()}`, load average "
        f"{load_before:.1f} before and {load_after:.1f} after the run (other work on the machine slows every "
        "row).\n"
        f"Command: `.venv/bin/python scripts/bench_export.py --repeat {args.repeat}` on the default demo ledger "
        "(about 20,000 rows). The six charts: " + ", ".join(f"`{n}`" for n in DECK) + " (one is a world map).\n\n"
        f"| Step | Median of {args.repeat} | Fastest | Slowest |\n| --- | --- | --- | --- |\n"
        f"{rows}\n\n"
        "Target: a 6-chart deck in under 10 s. Kaleido starts a browser for each call by default; the export "
        "module keeps one open for a whole batch (`ImageRenderer`) and starts it while the charts are "
        "computed, and the app keeps one per process (closed after ten idle minutes), so after the first "
        "export a deck costs only its pictures. Each picture costs about half a second of drawing plus the "
        "reload of Kaleido's page between figures.\n"
    )
    print(DOC.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
