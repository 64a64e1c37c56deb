"""The ``import``, ``history``, ``undo``, ``backup``, ``restore`` and ``template`` commands:
exit codes, standard output, one problem per line on standard error."""

from __future__ import annotations

import re

import openpyxl
import pytest

from analytics import cli
from analytics.importer import COLUMNS
from analytics.ledger import connect_read_only, create_ledger
from tests.ledgers import fingerprint

pytestmark = pytest.mark.slow  # whole import, backup and restore commands on real ledgers

HEADER = "date,party,country,party_family,form,direction"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def count(path) -> int:
    con = connect_read_only(path)
    try:
        return con.execute("SELECT count(*) FROM exchanges").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture
def ledger(tmp_path):
    return create_ledger(tmp_path / "ledger.duckdb", demo=False)


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        HEADER + "\n2001-05-02,Dawn Party,FRA,socialist,working_visit,inbound\n"
        "1985,Harbour Forum,,international_org,other,virtual\n"
    )
    return path


@pytest.fixture
def mixed_file(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        HEADER + "\n2001,Dawn Party,FRA,socialist,working_visit,inbound\n"
        "2002,Elm Party,Germny,liberal,dinner,inbound\n"
        "2003,Oak Party,DEU,liberal,study_trip,outbound\n"
    )
    return path


def test_import_writes_everything_and_exits_0(capsys, ledger, good_file):
    assert run(capsys, "import", good_file, "--db", ledger) == (
        0,
        "Imported 2 of 2 rows from mine.csv as batch 1 (2 new parties).\n",
        "",
    )
    assert count(ledger) == 2


def test_dry_run_writes_nothing(capsys, ledger, good_file):
    before = fingerprint(ledger)
    assert run(capsys, "import", good_file, "--dry-run", "--db", ledger) == (
        0,
        "Dry run: 2 rows read, 2 valid, 0 with errors; nothing written.\n",
        "",
    )
    assert fingerprint(ledger) == before


def test_errors_one_per_line_on_stderr_and_nothing_written(capsys, ledger, mixed_file):
    before = fingerprint(ledger)
    code, out, err = run(capsys, "import", mixed_file, "--db", ledger)
    assert code == 1
    assert out == (
        "Nothing written: 1 of 3 rows have errors (listed on standard error). "
        "Fix them, or add --skip-invalid to import the 2 valid rows.\n"
    )
    assert err.splitlines() == [
        "error: row 3, country 'Germny': not a known country (give the ISO3 code, the UN name or the common English "
        "name); did you mean Germany (DEU)?",
        "error: row 3, form 'dinner': not a form code (valid: high_level_visit, working_visit, study_trip, "
        "theoretical_discussion, economic_cooperation, cultural_exchange, multilateral_meeting, virtual_meeting, other)",
    ]
    assert fingerprint(ledger) == before
    code, out, _ = run(capsys, "import", mixed_file, "--dry-run", "--db", ledger)
    assert (code, out) == (1, "Dry run: 3 rows read, 2 valid, 1 with errors; nothing written.\n")


def test_the_import_command_speaks_ledger_lang(capsys, monkeypatch, ledger, mixed_file, tmp_path):
    """LEDGER_LANG=zh: the problems, the summary and the rejected file in Chinese; help stays English."""
    monkeypatch.setenv("LEDGER_LANG", "zh")
    code, out, err = run(capsys, "import", mixed_file, "--db", ledger)
    assert code == 1
    assert (
        out
        == "未写入任何数据：3 行中有 1 行存在错误（已在标准错误输出中列出）。请改正这些错误，或加 --skip-invalid 导入其余 2 行有效数据。\n"
    )
    assert err.splitlines() == [
        "错误：第 3 行，country 列 'Germny'：无法识别的国家（请填写 ISO3 代码、联合国英文名称或通用英文名称）；是否应为 DEU（德国）？",
        "错误：第 3 行，form 列 'dinner'：不是有效的 form 代码（可用代码：high_level_visit、working_visit、study_trip、"
        "theoretical_discussion、economic_cooperation、cultural_exchange、multilateral_meeting、virtual_meeting、other）",
    ]
    code, out, _ = run(capsys, "import", mixed_file, "--skip-invalid", "--db", ledger)
    assert (code, out) == (
        1,
        "已从 mixed.csv 导入 3 行中的 2 行，批次号 1（2 个新政党）。\n"
        f"1 行被拒绝；其原因已保存至 {tmp_path / 'mixed.csv.rejected.csv'}\n",
    )
    rejected = (tmp_path / "mixed.csv.rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejected[0] == "行号," + HEADER + ",原因"
    assert rejected[1].startswith("3,2002,Elm Party,Germny,liberal,dinner,inbound,country：无法识别的国家")
    code, _, err = run(capsys, "import", tmp_path / "missing.csv", "--db", ledger)
    assert (code, err) == (2, f"错误：{tmp_path / 'missing.csv'} 处没有文件。\n")
    with pytest.raises(SystemExit):
        cli.main(["import", "--help"])
    assert "check only; write nothing" in capsys.readouterr().out


def test_skip_invalid_writes_valid_rows_saves_rejected_and_exits_1(capsys, ledger, mixed_file, tmp_path):
    code, out, err = run(capsys, "import", mixed_file, "--skip-invalid", "--db", ledger)
    assert code == 1
    assert out == (
        "Imported 2 of 3 rows from mixed.csv as batch 1 (2 new parties).\n"
        f"1 row rejected; saved with the reasons in {tmp_path / 'mixed.csv.rejected.csv'}\n"
    )
    assert len(err.splitlines()) == 2
    assert count(ledger) == 2
    rejected = (tmp_path / "mixed.csv.rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejected[0] == "row," + HEADER + ",reason"
    assert rejected[1].startswith('3,2002,Elm Party,Germny,liberal,dinner,inbound,"country: not a known country')


def test_skip_invalid_without_valid_rows_saves_the_rejected_file(capsys, ledger, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n2002,Elm Party,Germny,liberal,dinner,inbound\n")
    code, out, _ = run(capsys, "import", path, "--skip-invalid", "--db", ledger)
    assert code == 1
    assert out == (
        "Nothing written: 1 of 1 rows have errors (listed on standard error).\n"
        f"The rejected rows are saved with the reasons in {tmp_path / 'bad.csv.rejected.csv'}\n"
    )
    assert (
        (tmp_path / "bad.csv.rejected.csv").read_text(encoding="utf-8-sig").startswith("row," + HEADER + ",reason\n2,")
    )
    assert count(ledger) == 0


def test_rejected_file_that_cannot_be_saved_says_the_batch_is_written(capsys, ledger, mixed_file, tmp_path):
    (tmp_path / "mixed.csv.rejected.csv").mkdir()
    code, out, err = run(capsys, "import", mixed_file, "--skip-invalid", "--db", ledger)
    assert code == 1
    assert out.splitlines() == [
        "Imported 2 of 3 rows from mixed.csv as batch 1 (2 new parties).",
        "1 row rejected; not saved (see the error above)",
    ]
    assert err.splitlines()[-1].startswith(
        f"error: the rejected rows could not be saved to {tmp_path / 'mixed.csv.rejected.csv'} ("
    )
    assert "the import itself is committed as batch 1 (2 rows written; undo it with: python -m analytics undo 1)" in err
    assert count(ledger) == 2


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_export_ledger_then_import_into_an_empty_ledger_gives_the_same_content(capsys, make_ledger, tmp_path, suffix):
    rows = [
        {"date": "1999", "party": "Dawn Party", "country": "FRA", "topic": "=1+1", "delegation_size": 4},
        {"date": "1999-05", "party": "Dawn Party", "country": "FRA", "event_id": "ev-1"},
        {
            "date": "2001-05-03",
            "party": "Congo Labour Party",
            "country": "COG",
            "family": "social_democratic",
            "source": "x'); DROP TABLE parties;--",
        },
        {"date": "1985", "party": "Harbour Forum", "country": None, "family": "international_org"},
    ]
    source = make_ledger(rows, name="source.duckdb")
    out_file = tmp_path / "out" / f"ledger{suffix}"
    out_file.parent.mkdir()
    out_file.write_bytes(b"old content")
    assert run(capsys, "export-ledger", "--out", out_file, "--db", source) == (
        0,
        f"Wrote 4 exchanges in the import format to {out_file}\n",
        "",
    )
    assert [path.name for path in out_file.parent.iterdir()] == [out_file.name]  # no temporary file left
    target = tmp_path / "target.duckdb"
    assert run(capsys, "import", out_file, "--db", target)[:2] == (
        0,
        f"Imported 4 of 4 rows from ledger{suffix} as batch 1 (3 new parties).\n",
    )
    assert fingerprint(target) == fingerprint(source)


def test_export_ledger_refuses_an_unknown_format(capsys, ledger, tmp_path):
    assert run(capsys, "export-ledger", "--out", tmp_path / "x.txt", "--db", ledger) == (
        2,
        "",
        "error: Cannot write x.txt: use a .csv, .xlsx or .parquet file name.\n",
    )
    assert not (tmp_path / "x.txt").exists()


def test_same_file_twice_exits_2_unless_forced(capsys, ledger, good_file):
    run(capsys, "import", good_file, "--db", ledger)
    code, out, err = run(capsys, "import", good_file, "--db", ledger)
    assert (code, out) == (2, "")
    assert re.fullmatch(
        r"error: mine\.csv was already imported as batch 1 on \d{4}-\d\d-\d\d \d\d:\d\d UTC "
        r"\(same SHA-256\)\. Undo that batch first, or add --force to import it again: rows already "
        r"in the ledger are still refused as duplicates, so add --skip-invalid too to write only the "
        r"rows that are not in the ledger yet\.\n",
        err,
    )
    code, out, err = run(capsys, "import", good_file, "--force", "--db", ledger)
    assert code == 1
    assert (
        err.splitlines()[0]
        == "error: row 2: already in the ledger (exchange 1, batch 1); remove the row, or undo that batch first"
    )
    assert out == (
        "Nothing written: 2 of 2 rows have errors (listed on standard error). This file was imported before "
        "as batch 1: its rows already in the ledger are refused as duplicates, even with --force.\n"
    )


def test_force_and_skip_invalid_write_the_new_rows_of_an_extended_file(capsys, ledger, good_file):
    run(capsys, "import", good_file, "--db", ledger)
    with good_file.open("a") as handle:
        handle.write("2003,Oak Party,DEU,liberal,study_trip,outbound\n")
    code, out, _ = run(capsys, "import", good_file, "--force", "--skip-invalid", "--db", ledger)
    assert code == 1
    assert out.splitlines()[0] == "Imported 1 of 3 rows from mine.csv as batch 2 (1 new party)."
    assert count(ledger) == 3


def test_dry_run_exits_with_the_code_of_the_import(capsys, ledger, good_file, mixed_file):
    run(capsys, "import", good_file, "--db", ledger)
    code, out, err = run(capsys, "import", good_file, "--dry-run", "--db", ledger)
    assert code == 2
    assert err.startswith("error: mine.csv was already imported as batch 1 on ")
    assert out == "Dry run: 2 rows read, 0 valid, 2 with errors; nothing written.\n"
    assert run(capsys, "import", good_file, "--dry-run", "--force", "--db", ledger)[0] == 1
    assert run(capsys, "import", mixed_file, "--dry-run", "--db", ledger)[0] == 1
    assert count(ledger) == 2


def test_file_problems_exit_2_with_one_line_each(capsys, ledger, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("date,party\n2001,A\n")
    code, out, err = run(capsys, "import", path, "--db", ledger)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: cols.csv: required column 'country' is missing.",
        "error: cols.csv: required column 'party_family' is missing.",
        "error: cols.csv: required column 'form' is missing.",
        "error: cols.csv: required column 'direction' is missing.",
    ]
    assert run(capsys, "import", tmp_path / "nope.csv", "--db", ledger) == (
        2,
        "",
        f"error: No file at {tmp_path / 'nope.csv'}.\n",
    )


def test_import_into_a_demo_ledger_is_refused(capsys, make_ledger, good_file):
    demo = make_ledger([{"date": "2001", "party": "Invented"}], name="demo.duckdb", demo=True)
    code, out, err = run(capsys, "import", good_file, "--db", demo)
    assert (code, out) == (2, "")
    assert "holds synthetic demo data; real rows are never mixed with it" in err
    code, out, err = run(capsys, "import", good_file, "--dry-run", "--db", demo)
    assert (code, out) == (2, "Dry run: 2 rows read, 2 valid, 0 with errors; nothing written.\n")
    assert err == (
        f"error: The ledger {demo} holds synthetic demo data; real rows are never mixed with it. Switch to "
        "an empty ledger first (Data page, or: python -m analytics init --empty --force).\n"
    )


def test_import_into_a_missing_ledger_creates_an_empty_one(capsys, tmp_path, good_file):
    target = tmp_path / "fresh.duckdb"
    assert run(capsys, "import", good_file, "--dry-run", "--db", target)[0] == 0
    assert not target.exists()
    assert run(capsys, "import", good_file, "--db", target)[0] == 0
    assert count(target) == 2


def test_excel_sheet_option(capsys, ledger, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Readme"
    sheet = workbook.create_sheet("Data")
    sheet.append(HEADER.split(","))
    sheet.append(["2001-05-02", "Dawn Party", "France", "socialist", "working_visit", "inbound"])
    workbook.save(tmp_path / "book.xlsx")
    assert run(capsys, "import", tmp_path / "book.xlsx", "--sheet", "Data", "--db", ledger)[:2] == (
        0,
        "Imported 1 of 1 rows from book.xlsx as batch 1 (1 new party).\n",
    )
    code, _, err = run(capsys, "import", tmp_path / "book.xlsx", "--sheet", "Nope", "--db", ledger)
    assert (code, err) == (2, "error: book.xlsx has no sheet 'Nope'; its sheets are: Readme, Data.\n")


def test_history_and_undo(capsys, ledger, good_file, mixed_file, monkeypatch):
    monkeypatch.setenv("LEDGER_USER", "analyst")
    run(capsys, "import", good_file, "--db", ledger)
    run(capsys, "import", mixed_file, "--skip-invalid", "--db", ledger)
    code, out, _ = run(capsys, "history", "--db", ledger)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == [
        "batch",
        "time",
        "(UTC)",
        "by",
        "read",
        "written",
        "rejected",
        "undone",
        "kind",
        "file",
        "or",
        "change",
    ]
    assert lines[1].split()[0] == "2" and lines[1].split()[3:] == ["analyst", "3", "2", "1", "import", "mixed.csv"]
    assert lines[2].split()[0] == "1" and lines[2].split()[3:] == ["analyst", "2", "2", "0", "import", "mine.csv"]
    assert run(capsys, "undo", "2", "--db", ledger) == (
        0,
        "Undid batch 2 (mixed.csv): removed 2 exchanges and 1 party.\n",
        "",
    )
    assert count(ledger) == 2
    history = run(capsys, "history", "--db", ledger)[1].splitlines()
    assert re.search(r" 1  \d{4}-\d\d-\d\d \d\d:\d\d  import  mixed\.csv$", history[1])
    assert history[2].endswith(" 0                    import  mine.csv")
    code, out, err = run(capsys, "undo", "2", "--db", ledger)
    assert (code, out) == (2, "")
    assert err.startswith("error: Batch 2 (mixed.csv) was already undone on ")
    assert run(capsys, "undo", "7", "--db", ledger) == (
        2,
        "",
        "error: There is no batch 7; batches: 1, 2 (see: python -m analytics history).\n",
    )


def test_history_of_a_ledger_without_imports(capsys, ledger):
    assert run(capsys, "history", "--db", ledger) == (0, "No import batches yet.\n", "")


def test_backup_and_restore_commands(capsys, ledger, good_file, tmp_path):
    run(capsys, "import", good_file, "--db", ledger)
    out_file = tmp_path / "backup.zip"
    assert run(capsys, "backup", "--out", out_file, "--db", ledger) == (
        0,
        f"Backed up 2 exchanges, 2 parties and 1 import batches to {out_file}\n",
        "",
    )
    target = tmp_path / "restored.duckdb"
    code, out, _ = run(capsys, "restore", out_file, "--db", target)
    assert code == 0
    assert out.startswith(f"Restored 2 exchanges, 2 parties and 1 import batches from {out_file} (backup of ")
    assert fingerprint(target) == fingerprint(ledger)
    code, _, err = run(capsys, "restore", out_file, "--db", ledger)
    assert code == 2
    assert "holds 2 real exchanges that a restore would replace" in err
    assert run(capsys, "restore", out_file, "--force", "--db", ledger)[0] == 0


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_template_command(capsys, tmp_path, suffix):
    target = tmp_path / f"template{suffix}"
    assert run(capsys, "template", "--out", target) == (0, f"Wrote the import template to {target}\n", "")
    if suffix == ".csv":
        assert target.read_text().strip() == ",".join(COLUMNS)
    else:
        assert [cell.value for cell in openpyxl.load_workbook(target)["Ledger"][1]] == list(COLUMNS)
    code, _, err = run(capsys, "template", "--out", tmp_path / "template.txt")
    assert (code, err) == (2, "error: Cannot write a template named template.txt: use a .csv or .xlsx file name.\n")
