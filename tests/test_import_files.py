"""The suite of bad files: each gives its expected message through ``python -m analytics import``
and leaves the ledger exactly as it was (same content hash); plus the odd files that are fine
(formula cells, SQL fragments, other encodings)."""

from __future__ import annotations

import codecs

import pandas as pd
import pytest

from analytics import cli, importer
from analytics.ledger import connect_read_only
from tests.ledgers import fingerprint

pytestmark = pytest.mark.slow  # real files of every kind, some large or broken on purpose

HEADER = "date,party,country,party_family,party_status,form,direction,level,event_id,delegation_size,topic,source"
GOOD_ROW = "2001-05-02,Dawn Party,FRA,socialist,ruling,working_visit,inbound,senior,ev-1,4,Cooperation,Report"


@pytest.fixture
def ledger(make_ledger):
    """A real (non-demo) ledger with two exchanges."""
    return make_ledger(
        [
            {"date": "1999-03", "party": "Cedar Party", "country": "NAM"},
            {"date": "2000", "party": "Harbour Forum", "country": None, "family": "international_org"},
        ]
    )


def run_import(capsys, ledger, path, *extra) -> tuple[int, str, list[str]]:
    code = cli.main(["import", str(path), "--db", str(ledger), *extra])
    captured = capsys.readouterr()
    # Files above 5 MB also report their progress ("[ 30%] Checking ...") on standard error.
    return code, captured.out, [line for line in captured.err.splitlines() if not line.startswith("[")]


def attempt(capsys, ledger, tmp_path, name: str, data: bytes, *extra) -> tuple[int, list[str]]:
    """Import a bad file: returns (exit code, stderr lines) and checks the ledger did not change."""
    before = fingerprint(ledger)
    path = tmp_path / name
    path.write_bytes(data)
    code, _, errors = run_import(capsys, ledger, path, *extra)
    assert fingerprint(ledger) == before
    assert all(len(line) < 1_000 for line in errors)
    return code, errors


BAD_FILES = [
    ("empty.csv", b"", ["error: empty.csv is empty: it needs a header row and at least one data row."]),
    ("blank.csv", b" \n\n \r\n", ["error: blank.csv is empty: it needs a header row and at least one data row."]),
    ("header.csv", (HEADER + "\n").encode(), ["error: header.csv has a header row but no data rows."]),
    (
        "header-blank-rows.csv",
        (HEADER + "\n,,,\n\n").encode(),
        ["error: header-blank-rows.csv has a header row but no data rows."],
    ),
    (
        "pipes.csv",
        (HEADER.replace(",", "|") + "\n" + GOOD_ROW.replace(",", "|") + "\n").encode(),
        [
            "error: pipes.csv: only one column found, with the header 'date|party|country|party_family|party_status|form|direction|… "
            "(103 characters)'; columns must be separated by a comma, a semicolon or a tab."
        ],
    ),
    (
        "garbage.csv",
        bytes((i * 7919 + 13) % 256 for i in range(20_000)),
        [
            "error: garbage.csv is not a text file (it contains binary data): import a CSV (UTF-8), an Excel workbook (.xlsx) "
            "or a Parquet file."
        ],
    ),
    (
        "one-huge-cell.csv",
        b"x" * 10_485_760,
        [
            "error: one-huge-cell.csv: only one column found, with the header 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… "
            "(10,485,760 characters)'; columns must be separated by a comma, a semicolon or a tab."
        ],
    ),
    (
        "mixed.csv",
        (HEADER + "\n" + GOOD_ROW.replace("Dawn", "Côte") + "\n").encode("utf-8")
        + GOOD_ROW.replace("Dawn", "Société").replace("ev-1", "ev-2").encode("cp1252")
        + b"\n",
        [
            "error: mixed.csv mixes text encodings: it is mostly UTF-8 but line 3 is not (byte 0xe9). Open the file in a "
            "spreadsheet and save it as CSV UTF-8, so that every name keeps its accents."
        ],
    ),
    (
        "bom-mixed.csv",
        codecs.BOM_UTF8 + (HEADER + "\n").encode() + GOOD_ROW.replace("Dawn", "Société").encode("cp1252"),
        [
            "error: bom-mixed.csv mixes text encodings: it is mostly UTF-8 but line 2 is not (byte 0xe9). Open the file in a "
            "spreadsheet and save it as CSV UTF-8, so that every name keeps its accents."
        ],
    ),
    (
        "unclosed.csv",
        (HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW.replace("Dawn", '"Dawn') + "\n" + GOOD_ROW + "\n").encode(),
        [
            'error: unclosed.csv: the quote (") opened in row 3 is never closed, so the rest of the file would be one cell: '
            "close the quote, or remove it."
        ],
    ),
    (
        "old.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        [
            "error: old.xls is an old Excel 97-2003 (.xls) workbook, which is not read: save it as .xlsx (Excel workbook) or CSV UTF-8."
        ],
    ),
    (
        "fake.xlsx",
        (HEADER + "\n" + GOOD_ROW + "\n").encode(),
        ["error: fake.xlsx is named .xlsx but is not an Excel workbook: save it again from Excel as .xlsx."],
    ),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 100, None),
    ("broken.parquet", b"PAR1" + b"\x01" * 100 + b"PAR1", None),
    (
        "utf16-bad.csv",
        codecs.BOM_UTF16_LE + b"\x00\xd8" * 3,
        ["error: utf16-bad.csv starts like UTF-16 text but is not valid UTF-16: save it as CSV UTF-8."],
    ),
]


@pytest.mark.parametrize(("name", "data", "expected"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_unreadable_files_are_refused_with_a_clear_message(capsys, ledger, tmp_path, name, data, expected):
    code, errors = attempt(capsys, ledger, tmp_path, name, data)
    assert code == 2
    if expected is not None:
        assert errors == expected
    else:
        assert len(errors) == 1
        assert errors[0].startswith(f"error: {name} is not a readable ")
        assert "Traceback" not in errors[0]


def test_a_ten_megabyte_cell_in_a_row_rejects_that_row(capsys, ledger, tmp_path):
    data = (HEADER + "\n" + GOOD_ROW.replace("Cooperation", "y" * 10_485_760) + "\n").encode()
    code, errors = attempt(capsys, ledger, tmp_path, "huge.csv", data)
    assert code == 1
    assert errors == [
        "error: row 2, topic '" + "y" * 60 + "… (10,485,760 characters)': longer than 32,767 characters "
        "(the most a spreadsheet cell holds): 10,485,760 characters"
    ]


# party_zh is not in HEADER: every other test here imports a file without it.
@pytest.mark.parametrize("column", [c for c in importer.COLUMNS if c in HEADER.split(",")])
def test_each_column_missing_in_turn(capsys, ledger, tmp_path, column):
    header = HEADER.split(",")
    row = GOOD_ROW.split(",")
    index = header.index(column)
    data = (
        ",".join(header[:index] + header[index + 1 :]) + "\n" + ",".join(row[:index] + row[index + 1 :]) + "\n"
    ).encode()
    path = tmp_path / f"no-{column}.csv"
    path.write_bytes(data)
    before = fingerprint(ledger)
    code, out, errors = run_import(capsys, ledger, path)
    if column in importer.REQUIRED:
        assert (code, errors) == (2, [f"error: no-{column}.csv: required column {column!r} is missing."])
        assert fingerprint(ledger) == before
    else:
        assert (code, errors) == (0, [])
        assert out == f"Imported 1 of 1 rows from no-{column}.csv as batch 1 (1 new party).\n"
        assert fingerprint(ledger) != before


WRONG_VALUES = [
    (
        "party_family",
        "socialst",
        "error: row 2, party_family 'socialst': not a party_family code (valid: communist, "
        "socialist, social_democratic, national_democratic, liberal, conservative, green, international_org, other); "
        "did you mean socialist?",
    ),
    (
        "party_status",
        "governing",
        "error: row 2, party_status 'governing': not a party_status code (valid: ruling, "
        "coalition, opposition, other, unknown)",
    ),
    (
        "form",
        "workng_visit",
        "error: row 2, form 'workng_visit': not a form code (valid: high_level_visit, working_visit, "
        "study_trip, theoretical_discussion, economic_cooperation, cultural_exchange, multilateral_meeting, virtual_meeting, "
        "other); did you mean working_visit?",
    ),
    (
        "direction",
        "sideways",
        "error: row 2, direction 'sideways': not a direction code (valid: inbound, outbound, third_country, virtual)",
    ),
    (
        "level",
        "seniour",
        "error: row 2, level 'seniour': not a level code (valid: leader, senior, working, unknown); "
        "did you mean senior?",
    ),
    (
        "country",
        "Atlantis",
        "error: row 2, country 'Atlantis': not a known country (give the ISO3 code, the UN name or "
        "the common English name)",
    ),
    (
        "country",
        "Brasil",
        "error: row 2, country 'Brasil': not a known country (give the ISO3 code, the UN name or the "
        "common English name); did you mean Brazil (BRA)?",
    ),
    (
        "country",
        "Korea",
        "error: row 2, country 'Korea': ambiguous: Democratic People's Republic of Korea (PRK) or "
        "Republic of Korea (KOR); give the ISO3 code or the full name; did you mean North Korea (PRK) or South Korea (KOR)?",
    ),
    (
        "country",
        "SUN",
        "error: row 2, country 'SUN': Soviet Union (SUN) is a former state: the ledger records a "
        "party's country by today's ISO3 code, that of the present-day country where the party was based (see "
        "docs/ledger-format.md); did you mean Russia (RUS)?",
    ),
    (
        "date",
        "02/05/2001",
        "error: row 2, date '02/05/2001': not a date: write YYYY-MM-DD, YYYY-MM or YYYY; "
        "did you mean 2001-05-02 (read as day/month/year) or 2001-02-05 (read as month/day/year)?",
    ),
    (
        "date",
        "1900-01-01",
        "error: row 2, date '1900-01-01': before 1921, the earliest year accepted (LEDGER_EARLIEST_YEAR)",
    ),
    ("date", "2999-01-01", None),
    ("delegation_size", "five", "error: row 2, delegation_size 'five': not a number (delegation size counts people)"),
    (
        "delegation_size",
        "1 200",
        "error: row 2, delegation_size '1 200': not a number (delegation size counts people); did you mean 1200?",
    ),
    (
        "date",
        "43571",
        "error: row 2, date '43571': not a date: write YYYY-MM-DD, YYYY-MM or YYYY; did you mean "
        "2019-04-16 (the date Excel numbers 43571)?",
    ),
    ("party", "", "error: row 2, party '': required value is missing"),
]


@pytest.mark.parametrize(("column", "value", "expected"), WRONG_VALUES, ids=[f"{c}={v}" for c, v, _ in WRONG_VALUES])
def test_each_wrong_value_in_turn(capsys, ledger, tmp_path, column, value, expected):
    row = GOOD_ROW.split(",")
    row[HEADER.split(",").index(column)] = value
    data = (HEADER + "\n" + GOOD_ROW.replace("ev-1", "ev-0") + "\n" + ",".join(row) + "\n").encode()
    code, errors = attempt(capsys, ledger, tmp_path, "wrong.csv", data)
    assert code == 1
    assert len(errors) == 1
    if expected is None:
        assert errors[0].startswith("error: row 3, date '2999-01-01': in the future (today is ")
    else:
        assert errors[0] == expected.replace("row 2", "row 3")


def test_duplicated_rows(capsys, ledger, tmp_path):
    data = (HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW.replace("FRA", "France") + "\n").encode()
    code, errors = attempt(capsys, ledger, tmp_path, "dup.csv", data)
    assert (code, errors) == (1, ["error: row 3: exact duplicate of row 2; delete the repeated row"])


def test_row_already_in_the_ledger(capsys, ledger, tmp_path):
    data = (HEADER + "\n1999-03,Cedar Party,Namibia,socialist,,working_visit,inbound,,,,,\n").encode()
    code, errors = attempt(capsys, ledger, tmp_path, "again.csv", data)
    assert (code, errors) == (
        1,
        ["error: row 2: already in the ledger (exchange 1, batch none); remove the row, or undo that batch first"],
    )


def test_row_with_more_cells_than_the_header(capsys, ledger, tmp_path):
    data = (HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW.replace("ev-1", "ev-2") + ",extra,cells\n").encode()
    code, errors = attempt(capsys, ledger, tmp_path, "ragged.csv", data)
    assert (code, errors) == (
        1,
        [
            "error: row 3: the row has 14 cells but the header has 12 columns "
            "(a separator inside a value that is not in quotes?)"
        ],
    )


def test_formula_injection_cells_are_stored_as_text_and_neutralised_on_export(capsys, ledger, tmp_path):
    formulas = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)"]
    rows = [
        GOOD_ROW.replace("ev-1", f"ev-{i}").replace("Cooperation", '"' + text.replace('"', '""') + '"')
        for i, text in enumerate(formulas)
    ]
    path = tmp_path / "formulas.csv"
    path.write_bytes((HEADER + "\n" + "\n".join(rows) + "\n").encode())
    code, _, errors = run_import(capsys, ledger, path)
    assert code == 0
    assert [line.split(":")[0] for line in errors] == ["warning"] * 4
    con = connect_read_only(ledger)
    try:
        stored = [
            row[0]
            for row in con.execute("SELECT topic FROM exchanges WHERE batch_id = 1 ORDER BY exchange_id").fetchall()
        ]
        exported = importer.ledger_rows(con)
    finally:
        con.close()
    assert stored == formulas
    safe = importer.safe_frame(exported)
    assert safe["topic"].dropna().tolist()[-4:] == ["'" + text for text in formulas]


def test_formula_cells_of_a_workbook_written_by_a_program_are_kept_as_text(capsys, ledger, tmp_path):
    rows = [dict(zip(HEADER.split(","), GOOD_ROW.split(","), strict=True)) for _ in range(2)]
    rows[0].update(topic="=1+1", event_id="ev-1")
    rows[1].update(topic="=2+2", event_id="ev-2", delegation_size="=2+2")
    path = tmp_path / "formulas.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False, engine="openpyxl")  # no computed values in the file
    code, errors = attempt(capsys, ledger, tmp_path, "formulas.xlsx", path.read_bytes())
    assert code == 1
    assert errors == [
        "warning: row 2, topic '=1+1': starts like a spreadsheet formula: stored as text, and every CSV or Excel "
        "export writes it as text so no spreadsheet runs it",
        "error: row 3, delegation_size '=2+2': a spreadsheet formula: it is read as its text, never computed; type "
        "the value (a number) instead (in Excel: copy the column, then Paste Special > Values)",
        "warning: row 3, topic '=2+2': starts like a spreadsheet formula: stored as text, and every CSV or Excel "
        "export writes it as text so no spreadsheet runs it",
    ]
    code, _, _ = run_import(capsys, ledger, path, "--skip-invalid")
    assert code == 1
    con = connect_read_only(ledger)
    try:
        assert con.execute("SELECT topic FROM exchanges WHERE batch_id = 1").fetchall() == [("=1+1",)]
    finally:
        con.close()


def test_sql_fragments_are_stored_verbatim_and_harmless(capsys, ledger, tmp_path):
    fragments = [
        "Robert'); DROP TABLE exchanges;--",
        "x' OR '1'='1",
        "1; DELETE FROM parties",
        '"; DROP TABLE meta; --',
    ]
    rows = [
        f'2002,"{text.replace(chr(34), chr(34) * 2)}",FRA,liberal,,other,inbound,,"{text.replace(chr(34), chr(34) * 2)}",,'
        f'"{text.replace(chr(34), chr(34) * 2)}","{text.replace(chr(34), chr(34) * 2)}"'
        for text in fragments
    ]
    path = tmp_path / "sql.csv"
    path.write_bytes((HEADER + "\n" + "\n".join(rows) + "\n").encode())
    code, out, errors = run_import(capsys, ledger, path)
    assert (code, errors) == (0, [])
    con = connect_read_only(ledger)
    try:
        stored = con.execute("""SELECT p.name, e.event_id, e.topic, e.source FROM exchanges e JOIN parties p USING (party_id)
                                WHERE e.batch_id = 1 ORDER BY e.exchange_id""").fetchall()
        tables = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('exchanges', 'parties', 'meta')"
        ).fetchall()
        total = con.execute("SELECT count(*) FROM exchanges").fetchall()
    finally:
        con.close()
    assert stored == [(text, text, text, text) for text in fragments]
    assert tables == [(3,)]
    assert total == [(6,)]


def test_windows_1252_file_imports_with_a_warning(capsys, ledger, tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_bytes((HEADER + "\n" + GOOD_ROW.replace("Dawn Party", "Société Générale") + "\n").encode("cp1252"))
    code, _, errors = run_import(capsys, ledger, path)
    assert code == 0
    assert errors == [
        "warning: legacy.csv is not UTF-8; it was read as Windows-1252 (Western European). "
        "Check accented names in the preview, or save the file as CSV UTF-8."
    ]
    con = connect_read_only(ledger)
    try:
        assert con.execute("SELECT name FROM parties WHERE batch_id = 1").fetchall() == [("Société Générale",)]
    finally:
        con.close()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bom.csv", codecs.BOM_UTF8 + (HEADER + "\n" + GOOD_ROW + "\n").encode()),
        ("semicolon.csv", (HEADER.replace(",", ";") + "\n" + GOOD_ROW.replace(",", ";") + "\n").encode()),
        ("tabs.tsv", (HEADER.replace(",", "\t") + "\n" + GOOD_ROW.replace(",", "\t") + "\n").encode()),
        ("crlf.csv", (HEADER + "\r\n" + GOOD_ROW + "\r\n").encode()),
        ("unicode.txt", (HEADER.replace(",", "\t") + "\n" + GOOD_ROW.replace(",", "\t") + "\n").encode("utf-16")),
    ],
)
def test_accepted_variants_import(capsys, ledger, tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    code, out, errors = run_import(capsys, ledger, path)
    assert (code, errors) == (0, [])
    assert out.startswith("Imported 1 of 1 rows")
