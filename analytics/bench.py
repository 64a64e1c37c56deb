"""The benchmark harness behind ``python -m analytics bench``: demo ledgers of given sizes (built
once, reused while their meta says the same rows and parties), and on each, in one run: every
metric of ``metrics.METRICS`` timed on one warm read-only connection with the default and a
narrow filter (under each of ``WAYS``), the bare query and the lean pandas way beside them, a
6-chart briefing deck, an import of 1,000 rows and one single write on a copy, each page's cold
and filter-change work and 1, 5 and 10 viewers changing filters at once (AppTest, in a
``scripts/bench_pages.py`` subprocess, since ``analytics`` never imports Streamlit), and peak
memory; rendered as one Markdown report with the machine's facts, the targets met or over, the
ratios to pandas and to the bare query, and the growth of every figure from size to size.

``commands.bench_commands`` calls ``run_bench`` and ``render_report``. Timings live here and in the
written report, never in test asserts. A part that fails is reported as failed with its reason.
The report is a developer's document, in English like the other benchmark pages in ``docs/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from analytics import briefing, export, importer, ledger, metrics, records
from analytics.demo import MIN_ROWS
from analytics.errors import InvalidInputError
from analytics.filters import Filters
from analytics.i18n import t
from analytics.settings import PROJECT_ROOT

SEED = 1951
MAX_ROWS = 100_000_000
ROWS_PER_PARTY = 4  # a ledger of R rows gets at most R / 4 of the --parties, so every party has rows
IMPORT_ROWS = 1_000
VIEWERS = (1, 5, 10)
VIEWER_CHANGES = 3
PAGES_SCRIPT = PROJECT_ROOT / "scripts" / "bench_pages.py"
PAGES_TIMEOUT_S = 3600

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

# The ways each metric is timed: (label, a factory of the context every run of that way happens in):
# over the counts the ledger keeps, the smallest table that has the slice's dimensions (what the
# dashboard does, metrics.counting("auto")), and over the exchanges one by one.
Way = tuple[str, Callable[[], AbstractContextManager[object]]]
WAYS: list[Way] = [
    ("counts", lambda: metrics.counting("auto")),
    ("rows", lambda: metrics.counting("rows")),
]

BARE_SQL = "SELECT year(date) AS year, count(*) AS exchanges FROM exchanges GROUP BY 1"
PANDAS_LOAD_SQL = "SELECT year(e.date) AS year, p.country_iso3 FROM exchanges e LEFT JOIN parties p USING (party_id)"
# Every step-th exchange of the ledger in the import format, under a new event id each (so none is a
# duplicate): rows of parties the ledger knows, as a department's file adds them.
IMPORT_SQL = """
    SELECT CASE date_precision WHEN 'day' THEN strftime(date, '%Y-%m-%d')
                               WHEN 'month' THEN strftime(date, '%Y-%m') ELSE strftime(date, '%Y') END AS date,
           party, party_zh, coalesce(country_iso3, '') AS country, party_family, party_status, form, direction,
           level, 'bench-import-' || exchange_id AS event_id, delegation_size, topic, 'Benchmark import' AS source
    FROM exchange_rows WHERE exchange_id % ? = 0 ORDER BY exchange_id LIMIT ?"""
# The six charts of the briefing deck (scripts/bench_export.py times the same deck in more ways).
BRIEFING_CHARTS = ("exchanges-per-year", "world-map", "top-movers", "family-by-region", "regions", "activity-per-year")

# Targets of issue 13 (2-core machine, 10 million rows), in seconds unless said.
METRIC_TARGET_S = 0.050
PAGE_COLD_TARGET_S = 1.0
FILTER_CHANGE_TARGET_S = 0.300
IMPORT_TARGET_S = 2.0
WRITE_TARGET_S = 2.0
PANDAS_TARGET = 10.0  # times faster than the pandas way
APP_MEMORY_TARGET_MB = 1536


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

    def percentile(self, q: float) -> float:
        """The nearest-rank ``q`` quantile (0.95: the p95)."""
        ordered = sorted(self.runs)
        return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


@dataclass
class Page:
    """One page's AppTest figures, or why they are missing."""

    name: str
    cold: float | None = None
    warm: float | None = None
    change: float | None = None
    error: str | None = None


@dataclass
class Viewers:
    """Filter changes of ``count`` viewers at once (seconds of each change), or why missing."""

    count: int
    changes: Timing | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class SizeResult:
    """Every figure measured on the ledger of one size."""

    rows: int
    path: Path
    reused: bool
    parties: int = 0
    given: bool = False  # a ledger named with --db, measured as it is
    # way -> metric -> filter name -> timing
    metrics: dict[str, dict[str, dict[str, Timing]]] = field(default_factory=dict)
    bare: Timing | None = None
    pandas_load: Timing | None = None
    pandas_groupby: Timing | None = None
    briefing: Timing | None = None
    import_rows: Timing | None = None
    single_write: Timing | None = None
    pages: list[Page] = field(default_factory=list)
    viewers: list[Viewers] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    app_peak_rss_mb: float | None = None
    viewer_peak_rss_mb: float | None = None
    failures: dict[str, str] = field(default_factory=dict)  # part -> one-line reason


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


def parse_viewers(text: str) -> list[int]:
    """The viewer counts of ``--viewers`` ('1,5,10'; '' or '0' for none); raises BenchError."""
    counts: list[int] = []
    for part in str(text).split(","):
        word = part.strip()
        if not word:
            continue
        if not word.isdigit() or not 0 <= int(word) <= 100:
            raise BenchError(t("error.bench.viewers", value=word))
        if int(word) and int(word) not in counts:
            counts.append(int(word))
    return counts


def parties_for(rows: int, parties: int | None) -> int | None:
    """The parties the ledger of ``rows`` rows gets of ``--parties`` (None: the demo's own)."""
    return None if parties is None else min(parties, rows // ROWS_PER_PARTY)


def time_runs(work: Callable[[], object], repeat: int) -> Timing:
    """``work`` run ``repeat`` times, each timed with ``time.perf_counter``."""
    runs = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return Timing(runs)


def ledger_path(directory: Path | str, rows: int, parties: int | None = None) -> Path:
    return Path(directory) / (f"bench-{rows}.duckdb" if parties is None else f"bench-{rows}-{parties}p.duckdb")


def _demo_meta(path: Path) -> dict[str, str]:
    try:
        con = ledger.connect_read_only(path, retry_s=0)
    except ledger.LedgerError:
        return {}
    try:
        return dict(ledger.get_meta(con))
    finally:
        con.close()


def ensure_ledger(
    directory: Path | str,
    rows: int,
    *,
    parties: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, bool]:
    """The demo ledger of ``rows`` rows (and ``parties`` parties, None: the demo's own) in
    ``directory``: reused when its meta says those and this program's schema (True), else built
    with seed 1951 (False)."""
    path = ledger_path(directory, rows, parties)
    if path.exists():
        meta = _demo_meta(path)
        wanted = {"demo_rows": str(rows), "schema_version": str(ledger.SCHEMA_VERSION)}
        same = all(meta.get(key) == value for key, value in wanted.items())
        if same and meta.get("demo_parties") == (None if parties is None else str(parties)):
            return path, True
    path.parent.mkdir(parents=True, exist_ok=True)
    if progress:
        progress(t("cli.bench.building", rows=f"{rows:,}", path=path))
    path.unlink(missing_ok=True)  # another size or an old schema: the harness's own file
    ledger.create_ledger(path, demo=True, rows=rows, seed=SEED, parties=parties)
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


def measure_pandas(con: duckdb.DuckDBPyConnection, repeat: int) -> tuple[Timing, Timing]:
    """The lean pandas way: the load of the frame, then the counts on it (the frame dropped after)."""
    frame = _pandas_load(con)
    return time_runs(lambda: _pandas_load(con), repeat), time_runs(lambda: _pandas_groupby(frame), repeat)


def _typical_party(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str]:
    """Name, country and family of the party in the middle of the ranking by exchanges."""
    rows = con.execute(
        """SELECT p.party_id, p.name, p.country_iso3, p.family, count(*) AS n
           FROM parties p JOIN exchanges e USING (party_id) WHERE p.country_iso3 IS NOT NULL
           GROUP BY ALL ORDER BY n DESC, p.party_id"""
    ).fetchall()
    _, name, country, family, _ = rows[len(rows) // 2]
    return name, country, family


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:300]


@contextlib.contextmanager
def _attempt(result: SizeResult, part: str) -> Iterator[None]:
    """Run one part of the measurement; an error is recorded as that part's failure, not raised."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - a failed part is reported with its reason, not hidden
        result.failures[part] = _one_line(error)


@contextlib.contextmanager
def writable_copy(path: Path) -> Iterator[Path]:
    """A copy of the ledger beside it, made non-demo (a demo ledger refuses edits and imports)."""
    with tempfile.TemporaryDirectory(prefix="bench-write-", dir=path.parent) as work:
        copy = Path(work) / path.name
        shutil.copyfile(path, copy)
        with ledger.write_transaction(copy) as con:
            con.execute("UPDATE meta SET value = 'false' WHERE key = 'is_demo'")
        yield copy


def measure_import(copy: Path, rows_file: Path) -> Timing:
    """One import of ``rows_file`` through the real importer (what ``python -m analytics import`` does)."""
    outcome: list[importer.ImportResult] = []
    timing = time_runs(lambda: outcome.append(importer.import_file(rows_file, copy)), 1)
    result = outcome[0]
    if not result.written or result.rows_written != result.rows_read:
        reasons = result.problems["reason"].head(1).tolist() if len(result.problems) else ["nothing written"]
        raise RuntimeError(f"{result.rows_written:,} of {result.rows_read:,} rows written: {reasons[0]}")
    return timing


def measure_single_write(copy: Path, party: tuple[str, str, str]) -> Timing:
    """One ``records.add_record`` of an exchange with a party the ledger knows."""
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


def measure_briefing(con: duckdb.DuckDBPyConnection, repeat: int, work: Path) -> Timing:
    """The 6-chart deck (PPTX) built ``repeat`` times (at most 3), each cold: browser start,
    charts, pictures, deck; audited in a throw-away access database."""
    export.require_browser()
    spec = briefing.spec_for_charts(list(BRIEFING_CHARTS), title="Benchmark briefing")
    audit = work / "access.duckdb"
    demo = ledger.is_demo(con)
    return time_runs(lambda: briefing.build_briefing(con, spec, "pptx", is_demo=demo, access_db=audit), min(repeat, 3))


def measure_pages(path: Path, repeat: int, viewers: list[int], work: Path, result: SizeResult) -> None:
    """Each page's cold, warm and filter-change work and the concurrent viewers, through AppTest in
    a ``scripts/bench_pages.py`` subprocess; fills ``result`` (a failure of the whole subprocess is
    recorded for every part it would have measured)."""
    out = work / "page-figures.json"
    command = [sys.executable, str(PAGES_SCRIPT), "--db", str(path), "--repeat", str(repeat), "--json", str(out)]
    if viewers:
        command += ["--viewers", ",".join(str(n) for n in viewers), "--changes", str(VIEWER_CHANGES)]
    try:
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=PAGES_TIMEOUT_S)
        if done.returncode != 0 or not out.exists():
            lines = [line for line in done.stderr.splitlines() if line.strip()] or [f"exit code {done.returncode}"]
            raise RuntimeError(f"scripts/bench_pages.py: {lines[-1].strip()}")
        figures = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as error:
        result.failures["pages"] = _one_line(error)
        if viewers:
            result.failures["viewers"] = result.failures["pages"]
        return
    result.pages = [
        Page(p["page"], p.get("cold"), p.get("warm"), p.get("change"), p.get("error")) for p in figures["pages"]
    ]
    result.app_peak_rss_mb = figures.get("peak_rss_mb")
    peaks = []
    for count in viewers:
        answer = figures["viewers"][str(count)]
        times = answer["times"]
        result.viewers.append(Viewers(count, Timing(times) if times else None, answer["errors"]))
        peaks.append(answer["peak_rss_mb"])
    result.viewer_peak_rss_mb = max(peaks) if peaks else None


def measure_size(
    path: Path, rows: int, repeat: int, *, reused: bool, viewers: Iterable[int] = VIEWERS, pages: bool = True
) -> SizeResult:
    """Every figure of one ledger; each read ``repeat`` times on one warm read-only connection."""
    result = SizeResult(rows=rows, path=path, reused=reused)
    party = None
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        rows_file = work / "import.csv"
        con = ledger.connect_read_only(path)
        try:
            count = con.execute("SELECT count(*) FROM parties").fetchone()
            result.parties = int(count[0]) if count else 0
            for way, context in WAYS:
                result.metrics[way] = {}
                with _attempt(result, f"metrics ({way})"), context():
                    for name in metrics.METRICS:
                        result.metrics[way][name] = {}
                        for label, filters in FILTERS.items():
                            run = _metric_work(con, name, filters)
                            run()  # warm: the first run reads the file and fills the caches
                            result.metrics[way][name][label] = time_runs(run, repeat)
            with _attempt(result, "bare query"):
                con.execute(BARE_SQL).fetchall()
                result.bare = time_runs(lambda: con.execute(BARE_SQL).fetchall(), repeat)
            with _attempt(result, "pandas"):
                result.pandas_load, result.pandas_groupby = measure_pandas(con, repeat)
            with _attempt(result, "briefing"):
                result.briefing = measure_briefing(con, repeat, work)
            with _attempt(result, "single write"):
                party = _typical_party(con)
            with _attempt(result, "import"):
                step = max(1, rows // IMPORT_ROWS)
                con.execute(IMPORT_SQL, [step, IMPORT_ROWS]).df().to_csv(rows_file, index=False)
        finally:
            con.close()
        if party is not None or rows_file.exists():
            with _attempt(result, "writes"), writable_copy(path) as copy:
                if rows_file.exists():
                    with _attempt(result, "import"):
                        result.import_rows = measure_import(copy, rows_file)
                if party is not None:
                    with _attempt(result, "single write"):
                        result.single_write = measure_single_write(copy, party)
        result.peak_rss_mb = peak_rss_mb()
        if pages:
            measure_pages(path, repeat, list(viewers), work, result)
    return result


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB: Linux's VmHWM, which starts afresh in
    a new program (ru_maxrss, the fallback, keeps the parent's peak across fork and exec, so a
    subprocess started by a big process would report the parent's figure)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def run_bench(
    sizes: Iterable[int],
    repeat: int,
    directory: Path | str,
    *,
    parties: int | None = None,
    viewers: Iterable[int] = VIEWERS,
    given: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[SizeResult]:
    """Build or reuse each ledger and measure it; then the ledger ``given`` as it is, if any."""
    sizes, viewers = list(sizes), list(viewers)
    results = []
    # Every ledger first: a bad --parties stops the run before any timing.
    ledgers = [ensure_ledger(directory, rows, parties=parties_for(rows, parties), progress=progress) for rows in sizes]
    for rows, (path, reused) in zip(sizes, ledgers, strict=True):
        if progress:
            progress(t("cli.bench.measuring", rows=f"{rows:,}"))
        results.append(measure_size(path, rows, repeat, reused=reused, viewers=viewers))
    if given is not None:
        con = ledger.connect_read_only(given)
        try:
            count = con.execute("SELECT count(*) FROM exchanges").fetchone()
        finally:
            con.close()
        rows = int(count[0]) if count else 0
        if progress:
            progress(t("cli.bench.measuring", rows=f"{rows:,}"))
        result = measure_size(Path(given), rows, repeat, reused=True, viewers=viewers)
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


def _version(module: str) -> str:
    try:
        return str(__import__(module).__version__)
    except (ImportError, AttributeError):
        return "not installed"


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
        "Streamlit": _version("streamlit"),  # read here only as a version; the app runs in a subprocess
        "Plotly": _version("plotly"),
        "Load average (1, 5, 15 min)": load,
    }


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.1f}"


def _factor(value: float) -> str:
    return f"{value:,.1f}×" if value >= 1 else f"{value:.2f}×"


def _times(a: float | None, b: float | None) -> str:
    return "—" if a is None or not b else _factor(a / b)


def _mark(met: bool | None) -> str:
    return "—" if met is None else "met" if met else "**over**"


def _medians(result: SizeResult, way: str) -> list[tuple[str, str, float]]:
    return [
        (name, label, timing.median)
        for name, timings in result.metrics.get(way, {}).items()
        for label, timing in timings.items()
    ]


def targets(result: SizeResult) -> list[tuple[str, str, bool | None]]:
    """Each target of issue 13 on this ledger: (target, the figure that decides it, met)."""
    rows: list[tuple[str, str, bool | None]] = []

    def worst(label: str, values: list[tuple[str, float]], limit: float, what: str = "ms") -> None:
        if not values:
            rows.append((label, "not measured", None))
            return
        name, value = max(values, key=lambda item: item[1])
        shown = _ms(value) + " ms" if what == "ms" else f"{value:,.0f} MB"
        over = sum(v >= limit for _, v in values)
        rows.append((label, f"worst {shown} ({name}); {over} of {len(values)} over", over == 0))

    for way, _ in WAYS:
        worst(
            f"every metric under {METRIC_TARGET_S * 1000:.0f} ms median, both filters ({way})",
            [(f"{name}, {label}", value) for name, label, value in _medians(result, way)],
            METRIC_TARGET_S,
        )
        groupby = result.pandas_groupby.median if result.pandas_groupby else None
        defaults = [(name, value) for name, label, value in _medians(result, way) if label == "default"]
        speedups = [(name, groupby / value) for name, value in defaults] if groupby is not None else []
        if not speedups:
            rows.append((f"at least {PANDAS_TARGET:.0f}× faster than pandas ({way})", "not measured", None))
        else:
            name, slowest = min(speedups, key=lambda item: item[1])
            under = sum(v < PANDAS_TARGET for _, v in speedups)
            rows.append(
                (
                    f"at least {PANDAS_TARGET:.0f}× faster than pandas ({way})",
                    f"least {_factor(slowest)} ({name}); {under} of {len(speedups)} under",
                    under == 0,
                )
            )
    measured = [p for p in result.pages if p.error is None]
    worst(
        f"every page cold under {PAGE_COLD_TARGET_S:.0f} s",
        [(p.name, p.cold) for p in measured if p.cold is not None],
        PAGE_COLD_TARGET_S,
    )
    worst(
        f"every filter change under {FILTER_CHANGE_TARGET_S * 1000:.0f} ms",
        [(p.name, p.change) for p in measured if p.change is not None],
        FILTER_CHANGE_TARGET_S,
    )
    worst(
        f"import of {IMPORT_ROWS:,} rows under {IMPORT_TARGET_S:.0f} s",
        [("import", result.import_rows.median)] if result.import_rows else [],
        IMPORT_TARGET_S,
    )
    worst(
        f"single record change under {WRITE_TARGET_S:.0f} s",
        [("add_record", result.single_write.median)] if result.single_write else [],
        WRITE_TARGET_S,
    )
    worst(
        f"peak memory of the app under {APP_MEMORY_TARGET_MB / 1024:.1f} GB",
        [("app process", result.app_peak_rss_mb)] if result.app_peak_rss_mb is not None else [],
        APP_MEMORY_TARGET_MB,
        what="MB",
    )
    return rows


def _metric_table(result: SizeResult, way: str) -> list[str]:
    groupby = result.pandas_groupby.median if result.pandas_groupby else None
    bare = result.bare.median if result.bare else None
    lines = [
        f"### Metrics ({way})",
        "",
        f"Milliseconds. Target: under {METRIC_TARGET_S * 1000:.0f} ms median with either filter, and at least "
        f"{PANDAS_TARGET:.0f}× faster than the pandas groupby. Ratios are of the default-filter median.",
        "",
        "| metric | default median | default max | narrow median | narrow max | pandas groupby ÷ metric "
        "| metric ÷ bare query | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, timings in result.metrics.get(way, {}).items():
        default, narrow = timings["default"], timings["narrow"]
        fast = max(default.median, narrow.median) < METRIC_TARGET_S
        beats = None if groupby is None else groupby / default.median >= PANDAS_TARGET
        lines.append(
            f"| {name} | {_ms(default.median)} | {_ms(default.max)} | {_ms(narrow.median)} | {_ms(narrow.max)} "
            f"| {_times(groupby, default.median)} | {_times(default.median, bare)} "
            f"| {_mark(fast and beats is not False)} |"
        )
    return [*lines, ""]


def _timing_row(label: str, timing: Timing | None, target: float | None = None) -> str:
    if timing is None:
        return f"| {label} | — | — | — |"
    return (
        f"| {label} | {_ms(timing.median)} | {_ms(timing.max)} "
        f"| {_mark(None if target is None else timing.median < target)} |"
    )


def _size_section(result: SizeResult, repeat: int) -> list[str]:
    where = "given with --db, as it is" if result.given else "reused" if result.reused else "built for this run"
    lines = [
        f"## {result.rows:,} rows" + (f" ({result.path.name})" if result.given else ""),
        "",
        f"Ledger `{result.path.name}` ({where}), {result.parties:,} parties; {_runs(repeat)} of each read after one "
        f"warm-up run. Narrow filter: {NARROW_TEXT}.",
        "",
        "### Targets",
        "",
        "| target | figure | |",
        "|---|---|---|",
    ]
    lines += [f"| {label} | {figure} | {_mark(met)} |" for label, figure, met in targets(result)]
    lines.append("")
    for way, _ in WAYS:
        lines += _metric_table(result, way)
    lines += [
        "### Other work",
        "",
        "| work | median ms | max ms | target |",
        "|---|---:|---:|---|",
        _timing_row(f"bare query `{BARE_SQL}`", result.bare),
        _timing_row("pandas load (year and country of every exchange, country as categorical)", result.pandas_load),
        _timing_row("pandas groupby (counts by year and by country, on the loaded frame)", result.pandas_groupby),
        _timing_row(
            f"6-chart briefing deck (PPTX), cold: browser start, charts, pictures ({_runs(min(repeat, 3))})",
            result.briefing,
        ),
        _timing_row(
            f"import of {IMPORT_ROWS:,} rows (CSV, parties the ledger knows) on a non-demo copy, 1 run",
            result.import_rows,
            IMPORT_TARGET_S,
        ),
        _timing_row("one `records.add_record` on that copy, 1 run", result.single_write, WRITE_TARGET_S),
        "",
        f"Peak memory (ru_maxrss): this process {result.peak_rss_mb:,.0f} MB; the app (the AppTest process of the "
        f"pages) {_mb(result.app_peak_rss_mb)}; one viewer process at most {_mb(result.viewer_peak_rss_mb)}.",
        "",
    ]
    if result.pages:
        lines += [
            "### Pages (AppTest, server side)",
            "",
            f"Milliseconds, median of {repeat}; the whole script run (sidebar, page, every chart built and "
            "serialised), no browser. Cold: caches emptied first; filter change: a region and year range not asked "
            f"for before. Targets: cold under {PAGE_COLD_TARGET_S * 1000:.0f} ms, filter change under "
            f"{FILTER_CHANGE_TARGET_S * 1000:.0f} ms.",
            "",
            "| page | cold | warm | filter change | target |",
            "|---|---:|---:|---:|---|",
        ]
        for page in result.pages:
            if page.error:
                lines.append(f"| {page.name} | failed: {page.error} | | | — |")
                continue
            met = (page.cold or 0) < PAGE_COLD_TARGET_S and (page.change or 0) < FILTER_CHANGE_TARGET_S
            lines.append(f"| {page.name} | {_ms(page.cold)} | {_ms(page.warm)} | {_ms(page.change)} | {_mark(met)} |")
        lines.append("")
    if result.viewers:
        lines += [
            "### Viewers at once (AppTest, server side)",
            "",
            f"Each viewer is an AppTest session in its own process (on this machine's {os.cpu_count()} cores), "
            f"warmed up on the Overview, then all released together to make {VIEWER_CHANGES} filter changes each "
            "(a region and year range no other viewer asks for). Server-side work only, not the browser's.",
            "",
            "| viewers | changes timed | p50 ms | p95 ms | max ms | errors |",
            "|---:|---:|---:|---:|---:|---|",
        ]
        for viewers in result.viewers:
            timing = viewers.changes
            errors = "; ".join(viewers.errors) or "none"
            lines.append(
                f"| {viewers.count} | {len(timing.runs) if timing else 0} "
                f"| {_ms(timing.percentile(0.5) if timing else None)} "
                f"| {_ms(timing.percentile(0.95) if timing else None)} | {_ms(timing.max if timing else None)} "
                f"| {errors} |"
            )
        lines.append("")
    if result.failures:
        lines += ["### Failed", ""]
        lines += [f"- {part}: failed: {reason}" for part, reason in result.failures.items()]
        lines.append("")
    return lines


def _mb(value: float | None) -> str:
    return "not measured" if value is None else f"{value:,.0f} MB"


def figures(result: SizeResult) -> dict[str, tuple[float | None, str]]:
    """Every figure of one size by label: (value, unit 'ms' or 'MB'); None where not measured."""
    found: dict[str, tuple[float | None, str]] = {}
    for way, _ in WAYS:
        for name, label, value in _medians(result, way):
            found[f"{name} ({label}, {way})"] = (value, "ms")
    for label, timing in (
        ("bare query", result.bare),
        ("pandas load", result.pandas_load),
        ("pandas groupby", result.pandas_groupby),
        ("6-chart briefing", result.briefing),
        (f"import of {IMPORT_ROWS:,} rows", result.import_rows),
        ("single write", result.single_write),
    ):
        found[label] = (timing.median if timing else None, "ms")
    for page in result.pages:
        found[f"page {page.name}, cold"] = (page.cold, "ms")
        found[f"page {page.name}, filter change"] = (page.change, "ms")
    for viewers in result.viewers:
        timing = viewers.changes
        found[f"{viewers.count} viewers, p50"] = (timing.percentile(0.5) if timing else None, "ms")
        found[f"{viewers.count} viewers, p95"] = (timing.percentile(0.95) if timing else None, "ms")
    found["peak memory, this process"] = (result.peak_rss_mb, "MB")
    found["peak memory, the app"] = (result.app_peak_rss_mb, "MB")
    return found


def _growth_table(results: list[SizeResult]) -> list[str]:
    sizes = [r.rows for r in results]
    table = [figures(r) for r in results]
    labels = list(dict.fromkeys(label for found in table for label in found))
    lines = [
        "## Growth",
        "",
        "Each figure (medians, in milliseconds unless it says MB) at each size, and the factor from the "
        "smallest to the largest size.",
        "",
        "| figure | " + " | ".join(f"{n:,} rows" for n in sizes) + " | growth |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    for label in labels:
        cells = [found.get(label, (None, "ms")) for found in table]
        unit = cells[0][1]
        values = [value for value, _ in cells]
        shown = ["—" if value is None else (f"{value:,.0f}" if unit == "MB" else _ms(value)) for value in values]
        growth = _times(values[-1], values[0]) if len(values) > 1 else "—"
        lines.append(f"| {label}{' (MB)' if unit == 'MB' else ''} | " + " | ".join(shown) + f" | {growth} |")
    return [*lines, ""]


def render_report(results: list[SizeResult], repeat: int, command: str) -> str:
    """The Markdown report of one run."""
    lines = [
        "# Benchmark harness",
        "",
        f"Written by `{command}` on {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}. "
        "Every read runs in-process on one warm read-only connection (what the dashboard's server does); "
        "pages and viewers run through Streamlit's AppTest in a subprocess (`scripts/bench_pages.py`); "
        "writes go to a copy of each ledger. The browser's own drawing is not measured here "
        "(see docs/bench-browser.md).",
        "",
        "## Machine",
        "",
        "| fact | value |",
        "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in machine_facts().items()]
    lines.append("")
    for result in results:
        lines += _size_section(result, repeat)
    generated = [r for r in results if not r.given]
    if generated:
        lines += _growth_table(generated)
    return "\n".join(lines) + "\n"


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"
