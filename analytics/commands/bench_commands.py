"""``bench``: the benchmark harness (``analytics.bench``): builds or reuses demo ledgers of the
given sizes (with ``--parties``, many parties), measures every metric, the reference work, a
briefing, writes, pages and concurrent viewers on them, and prints or writes the Markdown report
(docs/benchmarks.md is the real run)."""

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
        help="time metrics, pages, viewers, a briefing and writes on demo ledgers of given sizes",
        description="Build (or reuse) demo ledgers of the given sizes and measure in one run: every metric with "
        "the default and a narrow filter, the bare query and the pandas way, a 6-chart briefing, an import of "
        "1,000 rows and a single write (on a copy), each page's cold and filter-change work and viewers "
        "changing filters at once (AppTest, in a subprocess), and peak memory. With --db, the ledger at that "
        "path is measured too, as it is. Timings are for the report only.",
    )
    parser.add_argument(
        "--rows",
        default="10000,1000000,10000000",
        metavar="N,N",
        help="ledger sizes, comma separated (default 10000,1000000,10000000)",
    )
    parser.add_argument(
        "--parties",
        type=int,
        metavar="N",
        help=f"demo ledgers with N parties (a ledger of R rows gets at most R/{bench.ROWS_PER_PARTY}); "
        "default: the demo's own few hundred",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, metavar="N", help="timed runs of each piece of work (default 5)"
    )
    parser.add_argument(
        "--viewers",
        default=",".join(str(n) for n in bench.VIEWERS),
        metavar="N,N",
        help="viewers changing filters at once, comma separated (default 1,5,10; 0 for none)",
    )
    parser.add_argument(
        "--dir",
        default=str(PROJECT_ROOT / "data" / "bench"),
        metavar="FOLDER",
        help="where the ledgers are built and reused (default data/bench/)",
    )
    parser.add_argument(
        "--out", metavar="PATH", help="write the report here, e.g. docs/benchmarks.md (default: print it)"
    )
    parser.set_defaults(handler=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    sizes = bench.parse_rows(args.rows)
    viewers = bench.parse_viewers(args.viewers)
    if args.repeat < 1:
        raise bench.BenchError(t("error.bench.repeat", value=args.repeat))
    if args.parties is not None and args.parties < 1:
        raise bench.BenchError(t("error.bench.parties", value=args.parties))
    results = bench.run_bench(
        sizes,
        args.repeat,
        args.dir,
        parties=args.parties,
        viewers=viewers,
        given=args.db or None,
        progress=lambda m: print(m, file=sys.stderr, flush=True),
    )
    command = f"python -m analytics bench --rows {','.join(str(n) for n in sizes)} --repeat {args.repeat}"
    command += f" --viewers {','.join(str(n) for n in viewers) or 0}"
    if args.parties is not None:
        command += f" --parties {args.parties}"
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
