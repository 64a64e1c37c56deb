"""Benchmark of the Parquet snapshot (analytics/snapshot.py): the time and size of writing one from a
ledger, and a few metrics timed on the ledger and on the snapshot (median of in-process runs, each
on a fresh connection's warm cursor: one untimed run first).

Run: ``.venv/bin/python scripts/bench_snapshot.py --db /tmp/s/l.duckdb [--repeat 5] [--out FOLDER]``
on a ledger made by ``python -m analytics init --db /tmp/s/l.duckdb --rows 1000000 --force``.
Prints a Markdown table (docs/scaling.md quotes it). Not part of the test suite.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import metrics  # noqa: E402
from analytics.filters import Filters  # noqa: E402
from analytics.ledger import connect_read_only, content_hash  # noqa: E402
from analytics.snapshot import connect_snapshot, write_snapshot  # noqa: E402

CASES = {
    "exchanges-per-year": {},
    "by-country": {},
    "leaderboard": {},
    "kpis": {},
}


def median_s(function, repeat: int) -> float:
    function()  # untimed: the first run reads the files into the OS cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="folder for the snapshot (default: a temporary one)")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="snapshot-bench-"))
    out = base / "snapshot"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    info = write_snapshot(args.db, out)
    written = time.perf_counter() - started
    ledger, snap = connect_read_only(args.db), connect_snapshot(out)
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"Ledger {args.db}: {info.rows['exchanges']:,} exchanges, {args.db.stat().st_size / 1e6:.0f} MB")
    print(
        f"Snapshot written in {written:.2f} s, {info.size_bytes / 1e6:.0f} MB, "
        f"{len(list((out / 'exchanges').iterdir()))} year partitions\n"
    )
    print(f"| Metric (default filters, median of {args.repeat}) | Ledger | Snapshot |")
    print("| --- | --- | --- |")
    for name, options in CASES.items():
        on_ledger = median_s(
            lambda name=name, options=options: metrics.compute(ledger, name, Filters(), **options), args.repeat
        )
        on_snap = median_s(
            lambda name=name, options=options: metrics.compute(snap, name, Filters(), **options), args.repeat
        )
        print(f"| `{name}` | {on_ledger * 1000:.0f} ms | {on_snap * 1000:.0f} ms |")
    started = time.perf_counter()
    content_hash(ledger)
    print(f"\nOf the write, the content hash alone (once, on the ledger): {time.perf_counter() - started:.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f}")
    ledger.close()
    snap.close()
    if args.out is None:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
