"""``python -m analytics bench``: the harness on a small ledger writes a report with every section
(machine, targets, metrics under both filters, other work, pages, viewers, growth); ledgers are
reused while their meta says the same rows and parties; --parties builds that many parties; a
part that fails is reported with its reason; bad arguments are one error line and exit code 2.
No timings are asserted: they belong to the report."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from analytics import bench, ledger, metrics
from analytics.cli import main
from analytics.settings import PROJECT_ROOT
from tests.ledgers import build_ledger


def _pages_script():
    spec = importlib.util.spec_from_file_location("bench_pages", PROJECT_ROOT / "scripts" / "bench_pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    out = work / "report.md"
    argv = ["bench", "--rows", "5000", "--repeat", "1", "--viewers", "1", "--dir", str(work / "ledgers")]
    code = main([*argv, "--out", str(out)])
    return code, work, out.read_text(encoding="utf-8")


def test_the_report_has_every_section(first_run):
    code, _, report = first_run
    assert code == 0
    for heading in (
        "## Machine",
        "## 5,000 rows",
        "### Targets",
        "### Metrics (counts)",
        "### Metrics (rows)",
        "### Other work",
        "### Pages (AppTest, server side)",
        "### Viewers at once (AppTest, server side)",
        "## Growth",
    ):
        assert f"\n{heading}\n" in report, heading
    for fact in ("CPU count", "Memory", "Python", "DuckDB", "pandas", "Streamlit", "Load average"):
        assert f"| {fact}" in report
    assert "built for this run" in report and "877 parties" in report


def test_every_metric_both_filters_and_the_ratios(first_run):
    report = first_run[2]
    assert "| metric | default median | default max | narrow median | narrow max | pandas groupby ÷ metric " in report
    for name in metrics.METRICS:
        assert f"\n| {name} | " in report
        for way in ("counts", "rows"):  # growth
            assert f"| {name} (default, {way}) |" in report and f"| {name} (narrow, {way}) |" in report


def test_every_target_is_marked(first_run):
    report = first_run[2]
    section = report.split("### Targets")[1].split("### Metrics")[0]
    for label in (
        "every metric under 50 ms median",
        "at least 10× faster than pandas",
        "every page cold under 1 s",
        "every filter change under 300 ms",
        "import of 1,000 rows under 2 s",
        "single record change under 2 s",
        "peak memory of the app under 1.5 GB",
    ):
        line = next(row for row in section.splitlines() if label in row)
        assert line.endswith("| met |") or line.endswith("| **over** |"), line


def test_pages_viewers_import_and_write_were_measured(first_run):
    report = first_run[2]
    failed = report.split("### Failed")[1] if "### Failed" in report else ""
    for part in ("pages", "viewers", "import", "single write", "metrics", "bare query", "pandas"):
        assert f"- {part}: failed" not in failed
    for page in _pages_script().PAGES:
        assert f"| page {page}, cold |" in report and f"| page {page}, filter change |" in report
    assert "\n| 1 | 3 | " in report  # one viewer, three changes timed
    assert "| 1 viewers, p95 |" in report and "| peak memory, the app (MB) |" in report
    assert "| import of 1,000 rows (CSV" in report and "| one `records.add_record`" in report
    # The briefing needs a browser: measured, or reported as failed with its reason.
    assert "| 6-chart briefing deck" in report
    assert "- briefing: failed: " in failed or "| 6-chart briefing | —" not in report


def test_a_ledger_is_reused_while_its_meta_says_that_size(first_run, tmp_path):
    _, work, _ = first_run
    built = bench.ledger_path(work / "ledgers", 5000)
    before = built.stat().st_mtime_ns
    assert bench.ensure_ledger(work / "ledgers", 5000) == (built, True)
    assert built.stat().st_mtime_ns == before
    other = bench.ledger_path(tmp_path, 5000)
    build_ledger(other, [{"date": "1980-03-10", "party": "Socialist Party"}])  # no demo meta: rebuilt
    assert bench.ensure_ledger(tmp_path, 5000) == (other, False)
    con = ledger.connect_read_only(other)
    try:
        assert con.execute("SELECT count(*) FROM exchanges").fetchone() == (5000,)
    finally:
        con.close()
    con = duckdb.connect(str(other))  # as if built by an older program: rebuilt, not measured
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(ledger.SCHEMA_VERSION - 1)])
    con.close()
    assert bench.ensure_ledger(tmp_path, 5000) == (other, False)


def test_parties_are_honoured_and_part_of_the_reuse(tmp_path):
    path, reused = bench.ensure_ledger(tmp_path, 5000, parties=1000)
    assert (path.name, reused) == ("bench-5000-1000p.duckdb", False)
    con = ledger.connect_read_only(path)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT (name, country_iso3)) FROM parties").fetchone() == (
            1000,
            1000,
        )
        assert ledger.get_meta(con)["demo_parties"] == "1000"
    finally:
        con.close()
    assert bench.ensure_ledger(tmp_path, 5000, parties=1000) == (path, True)
    assert bench.ensure_ledger(tmp_path, 5000)[0] == bench.ledger_path(tmp_path, 5000)


@pytest.mark.parametrize(
    ("rows", "parties", "expected"),
    [(10_000_000, 50_000, 50_000), (10_000, 50_000, 2_500), (5_000, None, None), (1_000_000, 800, 800)],
)
def test_parties_for(rows, parties, expected):
    assert bench.parties_for(rows, parties) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["--rows", "ten"],
        ["--rows", "5000,-3"],
        ["--rows", "1000"],  # below the demo ledger's least size
        ["--rows", "5000.5"],
        ["--repeat", "0"],
        ["--parties", "0"],
        ["--viewers", "five"],
        ["--viewers", "1,-5"],
        ["--viewers", "1000"],
    ],
)
def test_a_bad_argument_is_one_error_line(argv, tmp_path, capsys):
    code = main(["bench", "--dir", str(tmp_path), *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    assert list(tmp_path.iterdir()) == []  # nothing built


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("10000,1000000", [10000, 1000000]),
        ("1_000_000", [1000000]),
        ("1e6, 5000", [1000000, 5000]),
        ("5000,5000", [5000]),
    ],
)
def test_parse_rows(text, sizes):
    assert bench.parse_rows(text) == sizes


@pytest.mark.parametrize(("text", "counts"), [("1,5,10", [1, 5, 10]), ("0", []), ("", []), ("5, 5,1", [5, 1])])
def test_parse_viewers(text, counts):
    assert bench.parse_viewers(text) == counts


def test_every_metric_runs_with_the_harness_options():
    # The harness's options per metric are accepted by the registry's functions as they are called today.
    for name, options in bench.METRIC_OPTIONS.items():
        assert set(options) <= set(metrics.metric_options(name))


def test_a_given_ledger_is_measured_as_it_is(tmp_path, monkeypatch):
    given = build_ledger(tmp_path / "mine.duckdb", [{"date": "1980-03-10", "party": "Socialist Party"}] * 3)
    before = given.stat().st_mtime_ns

    def no_browser(*args):
        raise RuntimeError("no browser  here")

    monkeypatch.setattr(bench, "measure_briefing", no_browser)
    result = bench.measure_size(given, 3, 1, reused=True, pages=False)
    result.given = True
    report = bench.render_report([result], 1, "test")
    assert "## 3 rows (mine.duckdb)" in report and "given with --db, as it is" in report
    assert result.single_write is not None and result.import_rows is not None  # both on a copy
    assert given.stat().st_mtime_ns == before
    assert "## Growth" not in report  # a given ledger is not one of the sizes
    assert "\n- briefing: failed: RuntimeError: no browser here\n" in report  # one line, the reason kept


def test_a_part_that_fails_is_reported_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "PAGES_SCRIPT", Path(tmp_path / "missing.py"))
    result = bench.SizeResult(rows=5000, path=tmp_path / "x.duckdb", reused=True)
    bench.measure_pages(tmp_path / "x.duckdb", 1, [1, 5], tmp_path, result)
    assert set(result.failures) == {"pages", "viewers"}
    assert result.failures["pages"].startswith("RuntimeError: scripts/bench_pages.py: ")
    report = bench.render_report([result], 1, "test")
    assert "\n- pages: failed: RuntimeError: scripts/bench_pages.py: " in report
    assert "| every page cold under 1 s | not measured | — |" in report
