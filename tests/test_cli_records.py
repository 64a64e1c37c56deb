"""The ``record`` and ``party`` commands, and ``history`` / ``undo`` of the change batches they make:
the one line each write prints, the rows after it, the batch in the history, the exact undo,
and one ``error:`` line with exit 2 and an unchanged ledger for every bad id or value."""

from __future__ import annotations

import pytest

from analytics import access, cli, records
from analytics.commands import record_commands
from analytics.ledger import connect_read_only, get_meta
from tests.ledgers import fingerprint, query

ROWS = [
    {"date": "2001-05-02", "party": "Fianna Fáil", "country": "IRL", "family": "conservative"},
    {
        "date": "2003",
        "party": "Fianna  Fail",
        "country": "IRL",
        "family": "conservative",
        "form": "study_trip",
        "direction": "outbound",
    },
    {"date": "2004", "party": "Labour Party", "country": "IRL", "family": "social_democratic", "form": "study_trip"},
    {"date": "2010", "party": "Labour Party", "country": "GBR", "family": "social_democratic", "topic": "=SUM(A1)"},
    {"date": "2012-03", "party": "Dawn Party", "party_zh": "黎明党"},
]
# Parties: 1 Fianna Fáil (IRL), 2 Fianna  Fail (IRL), 3 Labour Party (IRL), 4 Labour Party (GBR), 5 Dawn Party (FRA).

FINE_GAEL = [
    "--date",
    "2024-05-02",
    "--party",
    "Fine Gael",
    "--country",
    "IRL",
    "--family",
    "conservative",
    "--form",
    "working_visit",
    "--direction",
    "inbound",
]


@pytest.fixture
def ledger(make_ledger):
    return make_ledger(ROWS)


def run(capsys, ledger, *argv) -> tuple[int, str, str]:
    code = cli.main([*(str(arg) for arg in argv), "--db", str(ledger)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def state(ledger) -> tuple[str, str]:
    """The content hash and the ledger version: both stay put when nothing was written."""
    con = connect_read_only(ledger)
    try:
        version = get_meta(con)["ledger_version"]
    finally:
        con.close()
    return fingerprint(ledger), version


def history_row(capsys, ledger, batch: int) -> list[str]:
    code, out, _ = run(capsys, ledger, "history")
    assert code == 0
    return next(line for line in out.splitlines() if line.split()[0] == str(batch)).split()


# -- record ---------------------------------------------------------------------------------


def test_every_record_field_has_one_option():
    fields = [field for _, field, _ in record_commands.RECORD_OPTIONS]
    assert sorted(fields) == sorted(records.FIELDS) and len(set(fields)) == len(fields)


def test_record_add_names_the_exchange_and_batch_and_undo_takes_it_back(capsys, monkeypatch, ledger):
    monkeypatch.setenv("LEDGER_USER", "clerk")
    before = fingerprint(ledger)
    assert run(capsys, ledger, "record", "add", *FINE_GAEL) == (
        0,
        "Added exchange 6 (2024-05-02, Fine Gael, IRL), as batch 1.\n",
        "",
    )
    assert query(
        ledger, "SELECT count(*) FROM exchanges e JOIN parties p USING (party_id) WHERE country_iso3 = 'IRL'"
    ) == [(4,)]
    assert query(
        ledger,
        """SELECT e.exchange_id, e.date::VARCHAR, e.date_precision, p.party_id, p.name, p.family, e.batch_id
           FROM exchanges e JOIN parties p USING (party_id) WHERE p.name = 'Fine Gael'""",
    ) == [(6, "2024-05-02", "day", 6, "Fine Gael", "conservative", 1)]
    assert query(ledger, "SELECT count(*) FROM exchanges")[0][0] == 6
    assert " ".join(history_row(capsys, ledger, 1)[3:]) == (
        "clerk 1 1 0 record added Added exchange 6 (2024-05-02, Fine Gael, IRL)"
    )
    assert run(capsys, ledger, "undo", "1") == (
        0,
        "Undid batch 1 (record added: Added exchange 6 (2024-05-02, Fine Gael, IRL)): 2 rows set back.\n",
        "",
    )
    assert fingerprint(ledger) == before
    assert query(ledger, "SELECT count(*) FROM parties")[0][0] == 5


def test_record_add_takes_every_field_and_month_precision(capsys, ledger):
    options = FINE_GAEL[:]
    options[1] = "2024-05"
    code, out, _ = run(
        capsys,
        ledger,
        "record",
        "add",
        *options,
        "--party-zh",
        "统一党",
        "--status",
        "opposition",
        "--level",
        "leader",
        "--event-id",
        "dublin-2024",
        "--delegation-size",
        "5",
        "--topic",
        "trade",
        "--source",
        "press release",
    )
    assert (code, out) == (0, "Added exchange 6 (2024-05, Fine Gael, IRL), as batch 1.\n")
    csv_lines = run(capsys, ledger, "record", "list", "--country", "IRL", "--format", "csv")[1].splitlines()
    assert csv_lines[-1] == (
        "6,2024-05,Fine Gael,统一党,IRL,conservative,opposition,working_visit,inbound,leader,dublin-2024,5,trade,"
        "press release"
    )


def test_record_edit_corrects_the_fields_given_and_undo_restores_the_hash(capsys, ledger):
    before = fingerprint(ledger)
    assert run(capsys, ledger, "record", "edit", "1", "--level", "leader", "--status", "opposition") == (
        0,
        "Corrected exchange 1 (party_status: ruling → opposition; level: senior → leader), as batch 1.\n",
        "",
    )
    assert query(ledger, "SELECT party_status, level, form, batch_id FROM exchanges WHERE exchange_id = 1") == [
        ("opposition", "leader", "working_visit", None)
    ]
    assert history_row(capsys, ledger, 1)[7:10] == ["record", "corrected", "Corrected"]
    assert run(capsys, ledger, "undo", "1")[1] == (
        "Undid batch 1 (record corrected: Corrected exchange 1 (party_status: ruling → opposition; "
        "level: senior → leader)): 1 row set back.\n"
    )
    assert fingerprint(ledger) == before


def test_record_delete_removes_the_exchange_and_its_party_and_undo_brings_both_back(capsys, ledger):
    before = fingerprint(ledger)
    assert run(capsys, ledger, "record", "delete", "5") == (
        0,
        "Deleted exchange 5 (2012-03, Dawn Party, FRA), as batch 1.\n",
        "",
    )
    assert query(ledger, "SELECT count(*), (SELECT count(*) FROM parties) FROM exchanges") == [(4, 4)]
    assert history_row(capsys, ledger, 1)[7:10] == ["record", "deleted", "Deleted"]
    assert run(capsys, ledger, "undo", "1")[1] == (
        "Undid batch 1 (record deleted: Deleted exchange 5 (2012-03, Dawn Party, FRA)): 2 rows set back.\n"
    )
    assert fingerprint(ledger) == before
    assert query(ledger, "SELECT name_zh FROM parties WHERE party_id = 5") == [("黎明党",)]


def test_undo_of_a_change_is_refused_while_a_later_change_set_the_same_field(capsys, ledger):
    run(capsys, ledger, "record", "edit", "1", "--level", "leader")
    run(capsys, ledger, "record", "edit", "1", "--level", "working")
    held = state(ledger)
    assert run(capsys, ledger, "undo", "1") == (
        2,
        "",
        "error: Batch 1 cannot be undone: batch 2 (record corrected) changed exchange 1 since; undo batch 2 first. "
        "Nothing was changed.\n",
    )
    assert state(ledger) == held
    assert run(capsys, ledger, "undo", "2")[0] == 0
    assert run(capsys, ledger, "undo", "1")[0] == 0
    assert query(ledger, "SELECT level FROM exchanges WHERE exchange_id = 1") == [("senior",)]


def test_record_list_csv_and_table(capsys, ledger):
    code, out, err = run(capsys, ledger, "record", "list", "--format", "csv")
    lines = out.splitlines()
    assert (code, err) == (0, "")
    assert lines[0].startswith("exchange_id,date,party,")
    assert lines[0] == ",".join(records.LIST_COLUMNS)
    assert lines[1] == "1,2001-05-02,Fianna Fáil,,IRL,conservative,ruling,working_visit,inbound,senior,,,,test"
    assert lines[4] == "4,2010,Labour Party,,GBR,social_democratic,ruling,working_visit,inbound,senior,,,'=SUM(A1),test"
    assert len(lines) == 6
    ids = [
        line.split(",")[0]
        for line in run(capsys, ledger, "record", "list", "--country", "IRL", "--format", "csv")[1].splitlines()[1:]
    ]
    assert ids == ["1", "2", "3"]
    ids = [
        line.split(",")[0]
        for line in run(
            capsys, ledger, "record", "list", "--family", "social_democratic", "--from", "2005", "--format", "csv"
        )[1].splitlines()[1:]
    ]
    assert ids == ["4"]
    table = run(capsys, ledger, "record", "list")[1].splitlines()
    assert table[0].split() == list(records.LIST_COLUMNS)
    column = cli.width(table[0][: table[0].index("country")])
    dawn = next(line for line in table if "Dawn Party" in line)
    assert cli.width(dawn[: dawn.index("FRA")]) == column  # aligned after the Chinese name
    assert run(capsys, ledger, "record", "list", "--country", "DEU") == (0, "No exchanges match.\n", "")


# -- party ----------------------------------------------------------------------------------


def test_party_list_csv_country_search_and_duplicates(capsys, ledger):
    lines = run(capsys, ledger, "party", "list", "--format", "csv")[1].splitlines()
    assert lines[0].startswith("party_id,name,country_iso3,family,exchanges")
    assert lines[1] == "5,Dawn Party,FRA,socialist,1,2012-03-01,2012-03-01,黎明党,"
    assert len(lines) == 6
    ids = [
        line.split(",")[0]
        for line in run(capsys, ledger, "party", "list", "--country", "IRL", "--format", "csv")[1].splitlines()[1:]
    ]
    assert ids == ["2", "1", "3"]  # by name: 'Fianna  Fail' sorts before 'Fianna Fáil'
    ids = [
        line.split(",")[0]
        for line in run(
            capsys, ledger, "party", "list", "--country", "Ireland", "--search", "FIANNA", "--format", "csv"
        )[1].splitlines()[1:]
    ]
    assert ids == ["2", "1"]
    ids = [
        line.split(",")[0]
        for line in run(capsys, ledger, "party", "list", "--search", "labour", "--format", "csv")[1].splitlines()[1:]
    ]
    assert ids == ["4", "3"]
    assert run(capsys, ledger, "party", "list", "--duplicates", "--format", "csv")[1].splitlines() == [
        "country_iso3,party_id,name,exchanges,other_party_id,other_name,other_exchanges,closeness,why",
        "IRL,1,Fianna Fáil,1,2,Fianna  Fail,1,1.0,same",
    ]
    assert run(capsys, ledger, "party", "list", "--duplicates", "--country", "GBR") == (
        0,
        "No possible duplicates found.\n",
        "",
    )
    assert run(capsys, ledger, "party", "list", "--search", "nobody") == (0, "No parties match.\n", "")


def test_party_rename_keeps_the_old_name_and_undo_restores_the_hash(capsys, ledger):
    before = fingerprint(ledger)
    assert run(capsys, ledger, "party", "rename", "3", "Irish Labour Party") == (
        0,
        "Renamed party 3 from 'Labour Party' to 'Irish Labour Party' (the old name is kept as an alias), as batch 1.\n",
        "",
    )
    assert run(capsys, ledger, "party", "list", "--country", "IRL", "--search", "labour", "--format", "csv")[
        1
    ].splitlines()[1:] == ["3,Irish Labour Party,IRL,social_democratic,1,2004-01-01,2004-01-01,,Labour Party"]
    assert history_row(capsys, ledger, 1)[7:10] == ["party", "renamed", "Renamed"]
    assert run(capsys, ledger, "undo", "1")[1].endswith("): 2 rows set back.\n")
    assert fingerprint(ledger) == before


def test_party_merge_moves_the_exchanges_and_undo_restores_the_hash(capsys, ledger):
    before = fingerprint(ledger)
    assert run(capsys, ledger, "party", "merge", "2", "1") == (
        0,
        "Merged party 2 ('Fianna  Fail') into party 1 ('Fianna Fáil'); exchanges moved: 1, as batch 1.\n",
        "",
    )
    assert query(ledger, "SELECT party_id, count(*) FROM exchanges WHERE exchange_id IN (1, 2) GROUP BY 1") == [(1, 2)]
    assert query(ledger, "SELECT count(*) FROM parties WHERE party_id = 2") == [(0,)]
    assert run(capsys, ledger, "party", "list", "--duplicates") == (0, "No possible duplicates found.\n", "")
    assert history_row(capsys, ledger, 1)[7:10] == ["parties", "merged", "Merged"]
    assert run(capsys, ledger, "undo", "1")[0] == 0
    assert fingerprint(ledger) == before


def test_party_set_family_and_undo(capsys, ledger):
    before = fingerprint(ledger)
    assert run(capsys, ledger, "party", "set-family", "5", "social_democratic") == (
        0,
        "Set the family of party 5 ('Dawn Party') to social_democratic (was socialist; exchanges: 1), as batch 1.\n",
        "",
    )
    assert query(ledger, "SELECT family FROM parties WHERE party_id = 5") == [("social_democratic",)]
    assert run(capsys, ledger, "metric", "by-family", "--format", "csv")[1].count("social_democratic,") == 1
    assert history_row(capsys, ledger, 1)[7:9] == ["party", "reclassified"]
    assert run(capsys, ledger, "undo", "1") == (
        0,
        "Undid batch 1 (party reclassified: Set the family of party 5 ('Dawn Party') to social_democratic "
        "(was socialist; exchanges: 1)): 1 row set back.\n",
        "",
    )
    assert fingerprint(ledger) == before


# -- bad input: one line, exit 2, nothing written ---------------------------------------------

NOT_SAVED = "error: Not saved: "


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["record", "edit", "99", "--level", "leader"],
            "error: There is no exchange 99 in the ledger (python -m analytics record list shows the ids); "
            "nothing was changed.",
        ),
        (
            ["record", "delete", "abc"],
            "error: Not an exchange id: 'abc' (a whole number above 0, as record list shows it).",
        ),
        (
            ["record", "edit", "1"],
            "error: record edit 1: give at least one field to change (--date, --party, --party-zh, --country, "
            "--family, --status, --form, --direction, --level, --event-id, --delegation-size, --topic, --source).",
        ),
        (
            ["record", "add", *FINE_GAEL[:-4], "--form", "dinner", "--direction", "inbound"],
            NOT_SAVED + "form 'dinner': not a form code (valid: high_level_visit, working_visit, study_trip, "
            "theoretical_discussion, economic_cooperation, cultural_exchange, multilateral_meeting, virtual_meeting, "
            "other)",
        ),
        (
            ["record", "add", *FINE_GAEL[:7], "nonsense", *FINE_GAEL[8:]],
            NOT_SAVED + "party_family 'nonsense': not a party_family code (valid: communist, socialist, "
            "social_democratic, national_democratic, liberal, conservative, green, international_org, other)",
        ),
        (
            ["record", "add", "--date", "2024-13-45", *FINE_GAEL[2:]],
            NOT_SAVED + "date '2024-13-45': not a calendar date (check the month and the day)",
        ),
        (
            ["record", "edit", "1", "--form", "dinner"],
            NOT_SAVED + "form 'dinner': not a form code (valid: high_level_visit, working_visit, study_trip, "
            "theoretical_discussion, economic_cooperation, cultural_exchange, multilateral_meeting, virtual_meeting, "
            "other)",
        ),
        (
            ["party", "rename", "99", "New Name"],
            "error: There is no party 99 in the ledger (python -m analytics party list shows the ids); "
            "nothing was changed.",
        ),
        (
            ["party", "rename", "1", "labour  party"],
            "error: Party 3 is already named 'Labour Party' in that country, the same name as 'labour  party' "
            "once case and spaces are ignored: merge the two instead (party merge 1 3).",
        ),
        (["party", "merge", "1", "1"], "error: Party 1 cannot be merged into itself: give two different party ids."),
        (
            ["party", "merge", "3", "4"],
            "error: Party 3 (IRL) and party 4 (GBR) are in different countries: only parties of one country can be "
            "one party.",
        ),
        (
            ["party", "merge", "1", "99"],
            "error: There is no party 99 in the ledger (python -m analytics party list shows the ids); "
            "nothing was changed.",
        ),
        (
            ["party", "set-family", "1", "nonsense"],
            "error: 'nonsense' is not a party family code (valid: communist, socialist, social_democratic, "
            "national_democratic, liberal, conservative, green, international_org, other).",
        ),
        (["party", "merge", "x", "1"], "error: Not a party id: 'x' (a whole number above 0, as party list shows it)."),
        (
            ["party", "list", "--duplicates", "--search", "x"],
            "error: --search does not apply to --duplicates; use --country to narrow the pairs.",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(capsys, ledger, argv, message):
    held = state(ledger)
    assert run(capsys, ledger, *argv) == (2, "", message + "\n")
    assert state(ledger) == held
    assert run(capsys, ledger, "history") == (0, "No import batches yet.\n", "")


def test_writes_to_the_demo_ledger_are_refused(capsys, make_ledger):
    demo = make_ledger(ROWS, name="demo.duckdb", demo=True)
    held = state(demo)
    code, out, err = run(capsys, demo, "record", "add", *FINE_GAEL)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and err.count("\n") == 1 and "demo" in err
    assert state(demo) == held


def test_a_viewer_is_refused_and_nothing_is_written(ledger):
    held = state(ledger)
    viewer = access.Actor("v", access.Role.VIEWER, "cli")
    values = dict(zip([option.lstrip("-") for option in FINE_GAEL[::2]], FINE_GAEL[1::2], strict=True))
    values["party_family"] = values.pop("family")
    with pytest.raises(access.AccessDeniedError):
        records.add_record(ledger, values, actor=viewer)
    assert state(ledger) == held


def test_the_record_commands_speak_ledger_lang(capsys, monkeypatch, ledger):
    monkeypatch.setenv("LEDGER_LANG", "zh")
    assert run(capsys, ledger, "record", "add", *FINE_GAEL) == (
        0,
        "已新增交往 6（2024-05-02，Fine Gael，IRL），记为批次 1。\n",
        "",
    )
    header = run(capsys, ledger, "history")[1].splitlines()[0]
    assert header.split() == ["批次", "时间（UTC）", "操作人", "读取", "写入", "拒绝", "撤销时间", "类型", "文件或变更"]
    assert run(capsys, ledger, "record", "list", "--format", "csv")[1].startswith("exchange_id,date,party,")
    assert run(capsys, ledger, "undo", "1")[1] == (
        "已撤销第 1 批（新增记录：已新增交往 6（2024-05-02，Fine Gael，IRL））：已恢复 2 行。\n"
    )


@pytest.mark.parametrize("command", ["record", "party"])
def test_db_before_the_verb_is_kept(capsys, monkeypatch, ledger, tmp_path, command):
    """``record --db X delete 5`` acts on X, never on $LEDGER_DB (a verb's default must not replace it)."""
    monkeypatch.setenv("LEDGER_DB", str(tmp_path / "other.duckdb"))
    assert cli.main([command, "--db", str(ledger), "list", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and len(captured.out.splitlines()) == 6
    assert cli.main([command, "--db", str(tmp_path / "missing.duckdb"), "list", "--db", str(ledger)]) == 0
    assert not (tmp_path / "other.duckdb").exists() and not (tmp_path / "missing.duckdb").exists()
