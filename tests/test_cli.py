"""The ledger commands of the CLI: init and info, help on every command, layering."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analytics import cli, ledger
from analytics.ledger import connect_read_only
from tests.ledgers import fingerprint

ROOT = Path(__file__).resolve().parent.parent


def test_init_empty_then_refuses_to_overwrite(tmp_path, capsys):
    db = tmp_path / "l.duckdb"
    assert cli.main(["init", "--empty", "--db", str(db)]) == 0
    assert "Created empty ledger" in capsys.readouterr().out
    before = db.read_bytes()
    assert cli.main(["init", "--db", str(db)]) == 2
    assert "--force" in capsys.readouterr().err
    assert db.read_bytes() == before


def test_init_demo_with_rows_and_seed_then_info(tmp_path, capsys):
    db = tmp_path / "demo.duckdb"
    assert cli.main(["init", "--rows", "6000", "--seed", "4", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert "Writing exchanges 6,000 / 6,000" in captured.err  # progress on stderr
    assert cli.main(["info", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Exchanges:      6,000" in out
    assert "DEMO" in out
    assert "Years:          1951–2025" in out
    assert f"Schema version: {ledger.SCHEMA_VERSION}" in out
    assert "Last import:    none" in out


def test_info_on_hand_built_ledger(make_ledger, capsys):
    db = make_ledger(
        [
            {"date": "1990-01-02", "party": "A", "country": "PER", "event_id": "E1"},
            {"date": "1992-03", "party": "B", "country": "PER", "event_id": "E1"},
            {"date": "1995", "party": "A", "country": "BOL"},
        ]
    )
    assert cli.main(["info", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Exchanges:      3\n" in out
    assert "Events:         2\n" in out
    assert "Parties:        3\n" in out
    assert "Countries:      2\n" in out
    assert "Years:          1990–1995" in out
    assert "Data:           real\n" in out


def test_info_says_an_empty_real_ledger_is_empty(tmp_path, capsys):
    db = tmp_path / "empty.duckdb"
    assert cli.main(["init", "--empty", "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli.main(["info", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Data:           real, empty (import a ledger: python -m analytics import FILE)\n" in out
    assert "Years:          no exchanges yet\n" in out


def test_first_run_creates_the_missing_default_ledger_with_demo_data(tmp_path, monkeypatch, capsys):
    default = tmp_path / "data" / "ledger.duckdb"
    default.parent.mkdir()
    monkeypatch.setattr(cli, "DEFAULT_DB_PATH", default)
    monkeypatch.setenv("LEDGER_DB", str(default))  # what load_settings() falls back to
    assert not default.exists()
    assert cli.main(["info"]) == 0
    assert default.exists()
    assert "Data:           DEMO (synthetic, invented parties)\n" in capsys.readouterr().out


def test_a_missing_ledger_that_is_not_the_default_is_not_created(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEDGER_DB", str(tmp_path / "elsewhere.duckdb"))
    assert cli.main(["info"]) == 2
    assert "No ledger at" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere.duckdb").exists()


def test_info_on_missing_non_default_ledger_is_an_error(tmp_path, capsys):
    assert cli.main(["info", "--db", str(tmp_path / "missing.duckdb")]) == 2
    assert "No ledger at" in capsys.readouterr().err
    assert not (tmp_path / "missing.duckdb").exists()


def test_ledger_db_environment_variable(make_ledger, monkeypatch, capsys):
    db = make_ledger([{"date": "2000-01-01", "party": "A"}])
    monkeypatch.setenv("LEDGER_DB", str(db))
    assert cli.main(["info"]) == 0
    assert str(db) in capsys.readouterr().out


def test_rows_with_empty_is_refused(tmp_path, capsys):
    assert cli.main(["init", "--empty", "--rows", "10000", "--db", str(tmp_path / "x.duckdb")]) == 2
    assert "--rows only applies" in capsys.readouterr().err


def subcommands() -> list[str]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("command", subcommands())
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert "--db" in capsys.readouterr().out


def test_python_dash_m_entry_point(tmp_path):
    db = tmp_path / "e.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "analytics", "init", "--empty", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and db.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed", "-1"], "--seed must be from 0 to 4,294,967,295, not -1"),
        (["--rows", "3e9"], "--rows must be a whole number, not '3e9'"),
        (["--rows", "3000000000"], "--rows must be from 5,000 to 50,000,000, not 3,000,000,000"),
        (["--rows", "100"], "--rows must be from 5,000 to 50,000,000, not 100"),
    ],
)
def test_init_names_the_bad_number(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["init", *argv, "--db", str(tmp_path / "x.duckdb")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.duckdb").exists()


# --------------------------------------------------------------------------- party_zh

PARTY_ZH_FILE = (
    "date,party,party_zh,country,party_family,form,direction\n"
    "2019-04-16,Example Labour Party,示例工党,NZL,social_democratic,working_visit,inbound\n"
    "2020-05,Example Labour Party,示例工党,NZL,social_democratic,study_trip,outbound\n"
    "2021,Cedar Party,,NAM,socialist,working_visit,inbound\n"
)


def test_party_zh_is_imported_exported_and_ranked(tmp_path, capsys):
    source = tmp_path / "rows.csv"
    source.write_text(PARTY_ZH_FILE, encoding="utf-8")
    db = tmp_path / "l.duckdb"
    assert cli.main(["import", str(source), "--db", str(db)]) == 0
    capsys.readouterr()

    out = tmp_path / "back.csv"
    assert cli.main(["export-ledger", "--out", str(out), "--db", str(db)]) == 0
    capsys.readouterr()
    exported = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(exported.columns[:3]) == ["date", "party", "party_zh"]
    assert exported[["party", "party_zh"]].values.tolist() == [
        ["Example Labour Party", "示例工党"],
        ["Example Labour Party", "示例工党"],
        ["Cedar Party", ""],
    ]

    assert cli.main(["metric", "leaderboard", "--kind", "party", "--from", "2019", "--db", str(db)]) == 0
    board = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert board[["party", "party_zh", "exchanges"]].values.tolist() == [
        ["Example Labour Party", "示例工党", 2],
        ["Cedar Party", "", 1],
    ]

    # --party matches the Chinese name as it matches the recorded one: the 2 exchanges of 2019 and 2020
    for name in ("示例工党", "example labour party"):
        assert cli.main(["metric", "exchanges-per-year", "--party", name, "--db", str(db)]) == 0
        per_year = pd.read_csv(io.StringIO(capsys.readouterr().out))
        assert per_year.set_index("year").loc[[2019, 2020], "exchanges"].tolist() == [1, 1]
        assert per_year["exchanges"].sum() == 2
    assert cli.main(["metric", "exchanges-per-year", "--party", "示例", "--db", str(db)]) == 2
    assert "示例" in capsys.readouterr().err

    # The exported file imports back into an empty ledger with the same content, Chinese names included.
    again = tmp_path / "again.duckdb"
    assert cli.main(["init", "--empty", "--db", str(again)]) == 0
    assert cli.main(["import", str(out), "--db", str(again)]) == 0
    assert fingerprint(db) == fingerprint(again)


def test_a_party_keeps_the_chinese_name_of_the_file_that_brought_it(tmp_path, capsys):
    """A later file neither names an existing party in Chinese nor renames it (docs/ledger-format.md)."""
    db = tmp_path / "l.duckdb"
    files = {
        "first.csv": "2019,Cedar Party,,NAM",
        "named.csv": "2019,Oak Party,橡树党,NAM",
        "later.csv": "2020,Cedar Party,雪松党,NAM\n2020,Oak Party,另一个名字,NAM",
    }
    for name, rows in files.items():
        path = tmp_path / name
        lines = [f"{row},socialist,working_visit,inbound" for row in rows.split("\n")]
        path.write_text("date,party,party_zh,country,party_family,form,direction\n" + "\n".join(lines) + "\n")
        assert cli.main(["import", str(path), "--db", str(db)]) == 0
    capsys.readouterr()
    con = connect_read_only(db)
    try:
        found = con.execute("SELECT party, year, party_zh FROM exchange_rows ORDER BY party, year").fetchall()
    finally:
        con.close()
    assert found == [
        ("Cedar Party", 2019, None),
        ("Cedar Party", 2020, None),
        ("Oak Party", 2019, "橡树党"),
        ("Oak Party", 2020, "橡树党"),
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("雪松\u202e党", "contains U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("长" * 32_768, "longer than 32,767 characters"),
    ],
    ids=["direction-control", "too-long"],
)
def test_a_bad_party_zh_is_refused_with_its_row_and_column(tmp_path, capsys, value, reason):
    source = tmp_path / "bad.csv"
    source.write_text(
        "date,party,party_zh,country,party_family,form,direction\n"
        "2019,Good Party,好党,NAM,socialist,working_visit,inbound\n"
        f"2019,Cedar Party,{value},NAM,socialist,working_visit,inbound\n",
        encoding="utf-8",
    )
    db = tmp_path / "l.duckdb"
    assert cli.main(["init", "--empty", "--db", str(db)]) == 0
    assert cli.main(["import", str(source), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    [line] = [line for line in err.splitlines() if line.startswith("error:")]
    assert line.startswith("error: row 3, party_zh ")
    assert reason in line
    con = connect_read_only(db)
    try:
        assert con.execute("SELECT count(*) FROM exchanges").fetchall() == [(0,)]
    finally:
        con.close()


# --------------------------------------------------------------------------- LEDGER_LANG

VALID_DIMENSIONS = "party_family, party_status, form, direction, level, region, subregion, country_iso3"
VALID_METRICS = (
    "exchanges-per-year, by-family, by-status, by-form, by-direction, by-level, by-region, by-subregion, "
    "by-country, breakdown, cross-table, region-by-year, family-by-year, family-by-region, first-contacts, "
    "leaderboard, compare-periods, change-levels, concentration, kpis, relationships, co-attendance"
)


@pytest.mark.parametrize(
    ("lang", "argv", "message"),
    [
        (
            "en",
            ["metric", "breakdown", "--dimension", "colour"],
            f"error: Unknown dimension 'colour'. Valid dimensions: {VALID_DIMENSIONS}",
        ),
        (
            "zh",
            ["metric", "breakdown", "--dimension", "colour"],
            f"错误：未知的维度 'colour'。可用维度：{VALID_DIMENSIONS}",
        ),
        (
            "en",
            ["metric", "leaderbord"],
            f"error: Unknown metric 'leaderbord'. Did you mean 'leaderboard'? Valid metrics: {VALID_METRICS}",
        ),
        (
            "zh",
            ["metric", "leaderbord"],
            f"错误：未知的指标 'leaderbord'。您是否要找 'leaderboard'？可用指标：{VALID_METRICS}",
        ),
        ("zh", ["metric", "by-family", "--format", "xml"], "错误：未知的格式 'xml'。可用格式：csv, json, table"),
        ("zh", ["metric", "leaderboard", "--top", "0"], "错误：条数（top）至少为 1，而不是 0。"),
        ("zh", ["metric", "by-family", "--party", "Nobody Party"], "错误：台账中没有名为 'Nobody Party' 的政党。"),
        ("zh", ["init", "--empty", "--rows", "6000"], "错误：--rows 仅适用于演示台账；请去掉它或去掉 --empty。"),
    ],
)
def test_errors_follow_ledger_lang(make_ledger, monkeypatch, capsys, lang, argv, message):
    db = make_ledger([{"date": "1990-01-02", "party": "A", "country": "PER"}])
    if argv[0] == "init":
        db = db.with_name("new.duckdb")
    monkeypatch.setenv("LEDGER_LANG", lang)
    assert cli.main([*argv, "--db", str(db)]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message + "\n")


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "error: No ledger at {path}. Create one with: python -m analytics init --db {path}"),
        ("zh", "错误：{path} 处没有台账。可用以下命令创建：python -m analytics init --db {path}"),
    ],
)
@pytest.mark.parametrize("command", [["info"], ["metric", "kpis"], ["history"]])
def test_a_missing_ledger_is_said_in_the_language_of_ledger_lang(tmp_path, monkeypatch, capsys, lang, message, command):
    path = tmp_path / "nope.duckdb"
    monkeypatch.setenv("LEDGER_LANG", lang)
    assert cli.main([*command, "--db", str(path)]) == 2
    assert capsys.readouterr().err == message.format(path=path) + "\n"


def test_summaries_and_info_follow_ledger_lang(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEDGER_LANG", "zh")
    db = tmp_path / "l.duckdb"
    assert cli.main(["init", "--empty", "--db", str(db)]) == 0
    assert capsys.readouterr().out == f"已在 {db} 创建空台账\n"
    source = tmp_path / "rows.csv"
    source.write_text(PARTY_ZH_FILE, encoding="utf-8")
    assert cli.main(["import", str(source), "--db", str(db)]) == 0
    assert capsys.readouterr().out == "已从 rows.csv 导入 3 行中的 3 行，批次号 1（2 个新政党）。\n"
    out = tmp_path / "back.csv"
    assert cli.main(["export-ledger", "--out", str(out), "--db", str(db)]) == 0
    assert capsys.readouterr().out == f"已按导入格式将 3 条交往记录写入 {out}\n"
    assert cli.main(["info", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "数据：          真实数据"
    assert lines[2] == "交往记录：      3"
    assert lines[-1].startswith("最近导入：      第 1 批：rows.csv，导入于 ")
    assert lines[-1].endswith("，共 3 行")
    assert cli.main(["undo", "1", "--db", str(db)]) == 0
    assert capsys.readouterr().out == "已撤销第 1 批（rows.csv）：删除 3 条交往记录和 2 个政党。\n"


def test_an_unknown_ledger_lang_is_one_english_error_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEDGER_LANG", "xx")
    assert cli.main(["info", "--db", str(tmp_path / "l.duckdb")]) == 2
    assert capsys.readouterr().err == "error: LEDGER_LANG='xx' is not a language: use one of en, zh\n"
