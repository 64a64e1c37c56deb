"""The benchmark harness behind ``python -m analytics bench``: demo ledgers of given sizes (built
once, reused while their meta says the same size), every metric of ``metrics.METRICS`` timed on one
warm read-only connection with the default and a narrow filter, the bare query and the lean pandas
way beside them, one single write on a copy, and peak memory; rendered as one Markdown report.

``commands.bench_commands`` calls ``run_bench`` and ``render_report``. Timings live here and in the
written report, never in test asserts. The report is a developer's document, in English like the
other benchmark pages in ``docs/``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from analytics import ledger, metrics, records
from analytics.demo import MIN_ROWS
from analytics.errors import InvalidInputError
from analytics.filters import Filters
from analytics.i18n import t

SEED = 1951
MAX_ROWS = 100_000_000

# The options each metric is run with beyond (con, filters): those of tests/test_cli_metrics.py.
METRIC_OPTIONS: dict[str, dict[str, object]] = {
    "breakdown": {"dimension": "level"},
    "cross-table": {"rows": "direction", "columns": "year"},
    "compare-periods": {"dimension": "region", "period_a": "2000-2009", "period_b": "2010-2019"},
}

FILTERS: dict[str, Filters] = {
    "default": Filters(),
    "narrow": Filters(regions=("Africa",), families=("communist", "socialist"), year_from=2000, year_to=2024),
}
NARROW_TEXT = "region Africa, families communist and socialist, years 2000-2024"

BARE_SQL = "SELECT year(date) AS year, count(*) AS exchanges FROM exchanges GROUP BY 1"
PANDAS_LOAD_SQL = "SELECT year(e.date) AS year, p.country_iso3 FROM exchanges e LEFT JOIN parties p USING (party_id)"

NOT_MEASURED = (
    "each page's cold and filter-change work (AppTest): see docs/bench-pages.md",
    "a 6-chart briefing and concurrent viewers (1, 5 and 10 sessions): see docs/bench-pages.md "
    "and docs/bench-browser.md",
    "imports: see docs/bench-import.md; the full write path: see docs/bench-write.md",
)


class BenchError(InvalidInputError):
    """A benchmark argument is not usable (a size that is not a positive whole number)."""


@dataclass
class Timing:
    """Seconds of each run of one piece of work."""

    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def max(self) -> float:
        return max(self.runs)


@dataclass
class SizeResult:
    """Every figure measured on the ledger of one size."""

    rows: int
    path: Path
    reused: bool
    given: bool = False  # a ledger named with --db, measured as it is
    metrics: dict[str, dict[str, Timing]] = field(default_factory=dict)  # metric -> filter name -> timing
    bare: Timing | None = None
    pandas_load: Timing | None = None
    pandas_groupby: Timing | None = None
    single_write: Timing | None = None
    peak_rss_mb: float = 0.0


def parse_rows(text: str) -> list[int]:
    """The ledger sizes of ``--rows`` ('10000,1000000'; '1_000_000' and '1e6' too); raises BenchError."""
    sizes: list[int] = []
    for part in str(text).split(","):
        word = part.strip().replace("_", "")
        try:
            value = float(word) if "e" in word.lower() else int(word)
        except ValueError:
            raise BenchError(
                t("error.bench.rows", value=part.strip(), least=f"{MIN_ROWS:,}", most=f"{MAX_ROWS:,}")
            ) from None
        if value != int(value) or not MIN_ROWS <= value <= MAX_ROWS:
            raise BenchError(t("error.bench.rows", value=part.strip(), least=f"{MIN_ROWS:,}", most=f"{MAX_ROWS:,}"))
        if int(value) not in sizes:
            sizes.append(int(value))
    return sizes


def time_runs(work: Callable[[], object], repeat: int) -> Timing:
    """``work`` run ``repeat`` times, each timed with ``time.perf_counter``."""
    runs = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return Timing(runs)


def ledger_path(directory: Path | str, rows: int) -> Path:
    return Path(directory) / f"bench-{rows}.duckdb"


def _demo_rows(path: Path) -> str | None:
    try:
        con = ledger.connect_read_only(path, retry_s=0)
    except ledger.LedgerError:
        return None
    try:
        return ledger.get_meta(con).get("demo_rows")
    finally:
        con.close()


def ensure_ledger(
    directory: Path | str, rows: int, *, progress: Callable[[str], None] | None = None
) -> tuple[Path, bool]:
    """The demo ledger of ``rows`` rows in ``directory``: reused when its meta says that size
    (True), else built with seed 1951 (False)."""
    path = ledger_path(directory, rows)
    if path.exists() and _demo_rows(path) == str(rows):
        return path, True
    path.parent.mkdir(parents=True, exist_ok=True)
    if progress:
        progress(t("cli.bench.building", rows=f"{rows:,}", path=path))
    path.unlink(missing_ok=True)  # another size or an old schema: the harness's own file
    ledger.create_ledger(path, demo=True, rows=rows, seed=SEED)
    return path, False


def _metric_work(con: duckdb.DuckDBPyConnection, name: str, filters: Filters) -> Callable[[], object]:
    function = metrics.METRICS[name]
    options = METRIC_OPTIONS.get(name, {})
    return lambda: function(con, filters, **options)


def _pandas_groupby(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    by_year = frame.groupby("year", observed=True).size()
    by_country = frame.groupby("country_iso3", observed=True).size()
    return by_year, by_country


def _pandas_load(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = con.execute(PANDAS_LOAD_SQL).df()
    frame["country_iso3"] = frame["country_iso3"].astype("category")
    return frame


def _typical_party(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str]:
    """Name, country and family of the party in the middle of the ranking by exchanges."""
    rows = con.execute(
        """SELECT p.party_id, p.name, p.country_iso3, p.family, count(*) AS n
           FROM parties p JOIN exchanges e USING (party_id) WHERE p.country_iso3 IS NOT NULL
           GROUP BY ALL ORDER BY n DESC, p.party_id"""
    ).fetchall()
    _, name, country, family, _ = rows[len(rows) // 2]
    return name, country, family


def measure_single_write(path: Path, party: tuple[str, str, str]) -> Timing:
    """One ``records.add_record`` on a copy of the ledger made non-demo (a demo ledger refuses edits)."""
    with tempfile.TemporaryDirectory(prefix="bench-write-", dir=path.parent) as work:
        copy = Path(work) / path.name
        shutil.copyfile(path, copy)
        with ledger.write_transaction(copy) as con:
            con.execute("UPDATE meta SET value = 'false' WHERE key = 'is_demo'")
        name, country, family = party
        values = {
            "date": "2024-05-02",
            "party": name,
            "country": country,
            "party_family": family,
            "form": "working_visit",
            "direction": "inbound",
            "event_id": "bench-add",
        }
        return time_runs(lambda: records.add_record(copy, values), 1)


def measure_size(path: Path, rows: int, repeat: int, *, reused: bool) -> SizeResult:
    """Every figure of one ledger; each read ``repeat`` times on one warm read-only connection."""
    result = SizeResult(rows=rows, path=path, reused=reused)
    con = ledger.connect_read_only(path)
    try:
        for name in metrics.METRICS:
            result.metrics[name] = {}
            for label, filters in FILTERS.items():
                work = _metric_work(con, name, filters)
                work()  # warm: the first run reads the file and fills the caches
                result.metrics[name][label] = time_runs(work, repeat)
        con.execute(BARE_SQL).fetchall()
        result.bare = time_runs(lambda: con.execute(BARE_SQL).fetchall(), repeat)
        frame = _pandas_load(con)
        result.pandas_load = time_runs(lambda: _pandas_load(con), repeat)
        result.pandas_groupby = time_runs(lambda: _pandas_groupby(frame), repeat)
        party = _typical_party(con)
    finally:
        con.close()
    result.single_write = measure_single_write(path, party)
    result.peak_rss_mb = peak_rss_mb()
    return result


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (ru_maxrss is in KB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def run_bench(
    sizes: Iterable[int],
    repeat: int,
    directory: Path | str,
    *,
    given: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[SizeResult]:
    """Build or reuse each ledger and measure it; then the ledger ``given`` as it is, if any."""
    results = []
    for rows in sizes:
        path, reused = ensure_ledger(directory, rows, progress=progress)
        if progress:
            progress(t("cli.bench.measuring", rows=f"{rows:,}"))
        results.append(measure_size(path, rows, repeat, reused=reused))
    if given is not None:
        con = ledger.connect_read_only(given)
        try:
            count = con.execute("SELECT count(*) FROM exchanges").fetchone()
        finally:
            con.close()
        rows = int(count[0]) if count else 0
        if progress:
            progress(t("cli.bench.measuring", rows=f"{rows:,}"))
        result = measure_size(Path(given), rows, repeat, reused=True)
        result.given = True
        results.append(result)
    return results


# --------------------------------------------------------------------------- the report


def _meminfo_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def machine_facts() -> dict[str, str]:
    """The facts a reader needs to compare figures across machines."""
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return {
        "Platform": platform.platform(),
        "CPU count": str(os.cpu_count()),
        "Memory": _meminfo_total(),
        "Python": platform.python_version(),
        "DuckDB": duckdb.__version__,
        "pandas": pd.__version__,
        "Load average (1, 5, 15 min)": load,
    }


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.1f}"


def _ratio(a: float, b: float | None) -> str:
    return "—" if not b else f"{a / b:.1f}×"


def _size_table(result: SizeResult, repeat: int) -> list[str]:
    assert result.bare and result.pandas_groupby and result.pandas_load and result.single_write
    bare, groupby = result.bare.median, result.pandas_groupby.median
    where = "given with --db, as it is" if result.given else "reused" if result.reused else "built for this run"
    lines = [
        f"## {result.rows:,} rows" + (f" ({result.path.name})" if result.given else ""),
        "",
        f"Ledger `{result.path.name}` ({where}); {repeat} runs each after one warm-up run, in milliseconds. "
        f"Narrow filter: {NARROW_TEXT}. Ratios are of the default-filter median.",
        "",
        "| metric | default median | default max | narrow median | narrow max | × pandas groupby | × bare query |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, timings in result.metrics.items():
        default, narrow = timings["default"], timings["narrow"]
        lines.append(
            f"| {name} | {_ms(default.median)} | {_ms(default.max)} | {_ms(narrow.median)} | {_ms(narrow.max)} "
            f"| {_ratio(default.median, groupby)} | {_ratio(default.median, bare)} |"
        )
    lines += [
        "",
        "| other work | median | max |",
        "|---|---:|---:|",
        f"| bare query `{BARE_SQL}` | {_ms(bare)} | {_ms(result.bare.max)} |",
        f"| pandas load (year and country of every exchange, country as categorical) "
        f"| {_ms(result.pandas_load.median)} | {_ms(result.pandas_load.max)} |",
        f"| pandas groupby (counts by year and by country, on the loaded frame) "
        f"| {_ms(groupby)} | {_ms(result.pandas_groupby.max)} |",
        f"| one `records.add_record` on a non-demo copy (1 run) | {_ms(result.single_write.median)} "
        f"| {_ms(result.single_write.max)} |",
        "",
        f"Peak memory of the process after this size: {result.peak_rss_mb:,.0f} MB (ru_maxrss).",
        "",
    ]
    return lines


def _growth_table(results: list[SizeResult]) -> list[str]:
    sizes = [r.rows for r in results]
    first = results[0]
    lines = [
        "## Growth",
        "",
        "Default-filter median of each metric at each size, in milliseconds, and the factor from the "
        "smallest to the largest size.",
        "",
        "| metric | " + " | ".join(f"{n:,}" for n in sizes) + " | growth |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]

    def row(label: str, values: list[float]) -> str:
        growth = _ratio(values[-1], values[0]) if len(values) > 1 else "—"
        return f"| {label} | " + " | ".join(_ms(v) for v in values) + f" | {growth} |"

    for name in first.metrics:
        lines.append(row(name, [r.metrics[name]["default"].median for r in results]))
    lines.append(row("bare query", [r.bare.median for r in results if r.bare]))
    lines.append(row("pandas groupby", [r.pandas_groupby.median for r in results if r.pandas_groupby]))
    lines.append(row("single write", [r.single_write.median for r in results if r.single_write]))
    lines.append("| peak memory (MB) | " + " | ".join(f"{r.peak_rss_mb:,.0f}" for r in results) + " | — |")
    return lines + [""]


def render_report(results: list[SizeResult], repeat: int, command: str) -> str:
    """The Markdown report of one run."""
    lines = [
        "# Benchmark harness",
        "",
        f"Written by `{command}` on {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}. "
        "Every read runs in-process on one warm read-only connection (what the dashboard's server does).",
        "",
        "## Machine",
        "",
        "| fact | value |",
        "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in machine_facts().items()]
    lines.append("")
    for result in results:
        lines += _size_table(result, repeat)
    generated = [r for r in results if not r.given]
    if generated:
        lines += _growth_table(generated)
    lines += ["## Not measured by this harness yet", ""]
    lines += [f"- {item}" for item in NOT_MEASURED]
    return "\n".join(lines) + "\n"
