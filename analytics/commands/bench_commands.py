"""``bench``: the benchmark harness (``analytics.bench``): builds or reuses demo ledgers of the
given sizes, times every metric and the reference work on them, and prints or writes the
Markdown report (docs/bench-harness.md is one such report)."""

from __future__ import annotations

import argparse
import sys

from analytics import atomic, bench, cli
from analytics.i18n import t
from analytics.settings import PROJECT_ROOT


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "bench",
        parents=[common],
        help="time every metric on demo ledgers of given sizes, write a Markdown report",
        description="Build (or reuse) demo ledgers of the given sizes and time every metric with the "
        "default and a narrow filter, the bare query, the pandas way, one single write and peak memory. "
        "With --db, the ledger at that path is measured too, as it is (a copy takes the write). "
        "Timings are for the report only.",
    )
    parser.add_argument(
        "--rows", default="10000,1000000", metavar="N,N", help="ledger sizes, comma separated (default 10000,1000000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=5, metavar="N", help="timed runs of each piece of work (default 5)"
    )
    parser.add_argument(
        "--dir",
        default=str(PROJECT_ROOT / "data" / "bench"),
        metavar="FOLDER",
        help="where the ledgers are built and reused (default data/bench/)",
    )
    parser.add_argument("--out", metavar="PATH", help="write the report here (default: print it)")
    parser.set_defaults(handler=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    sizes = bench.parse_rows(args.rows)
    if args.repeat < 1:
        raise bench.BenchError(t("error.bench.repeat", value=args.repeat))
    results = bench.run_bench(
        sizes, args.repeat, args.dir, given=args.db or None, progress=lambda m: print(m, file=sys.stderr, flush=True)
    )
    command = f"python -m analytics bench --rows {','.join(str(n) for n in sizes)} --repeat {args.repeat}"
    report = bench.render_report(results, args.repeat, command)
    if not args.out:
        sys.stdout.write(report)
        return 0
    try:
        atomic.write_bytes(args.out, report.encode("utf-8"))
    except OSError as error:
        raise cli.CommandError(t("error.bench.write", path=args.out, reason=error.strerror or error)) from error
    print(t("cli.bench.written", path=args.out), file=sys.stderr)
    return 0
