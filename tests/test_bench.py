"""``python -m analytics bench``: the harness on a small ledger writes a report naming every metric,
the machine facts and both filters; a second run reuses the ledger; bad arguments are one error
line and exit code 2. No timings are asserted: they belong to the report."""

from __future__ import annotations

import pytest

from analytics import bench, metrics
from analytics.cli import main
from tests.ledgers import build_ledger


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    out = work / "report.md"
    code = main(["bench", "--rows", "5000", "--repeat", "1", "--dir", str(work / "ledgers"), "--out", str(out)])
    return code, work, out


def test_the_report_names_every_metric_both_filters_and_the_machine(first_run):
    code, _, out = first_run
    assert code == 0
    report = out.read_text(encoding="utf-8")
    for name in metrics.METRICS:
        assert f"| {name} |" in report
    assert "| metric | default median | default max | narrow median | narrow max |" in report
    for fact in ("CPU count", "Memory", "Python", "DuckDB", "pandas", "Load average"):
        assert f"| {fact}" in report
    assert "## 5,000 rows" in report and "## Growth" in report
    assert "bare query" in report and "pandas groupby" in report and "records.add_record" in report
    assert "built for this run" in report


def test_a_second_run_reuses_the_ledger(first_run, capsys):
    _, work, _ = first_run
    ledger_file = bench.ledger_path(work / "ledgers", 5000)
    before = ledger_file.stat().st_mtime_ns
    code = main(["bench", "--rows", "5000", "--repeat", "1", "--dir", str(work / "ledgers")])
    out, err = capsys.readouterr()
    assert code == 0
    assert ledger_file.stat().st_mtime_ns == before
    assert "(reused)" in out and "Building" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--rows", "ten"],
        ["--rows", "5000,-3"],
        ["--rows", "1000"],  # below the demo ledger's least size
        ["--rows", "5000.5"],
        ["--repeat", "0"],
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


def test_every_metric_runs_with_the_harness_options(first_run):
    # The harness's options per metric are accepted by the registry's functions as they are called today.
    for name, options in bench.METRIC_OPTIONS.items():
        assert set(options) <= set(metrics.metric_options(name))


def test_db_measures_that_ledger_as_it_is(tmp_path, capsys):
    given = build_ledger(tmp_path / "mine.duckdb", [{"date": "1980-03-10", "party": "Socialist Party"}] * 3)
    before = given.stat().st_mtime_ns
    code = main(["bench", "--rows", "5000", "--repeat", "1", "--dir", str(tmp_path / "ledgers"), "--db", str(given)])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "## 3 rows (mine.duckdb)" in out and "given with --db, as it is" in out
    assert given.stat().st_mtime_ns == before  # the single write went to a copy
