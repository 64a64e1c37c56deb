"""The Data page (pages/data.py) driven with Streamlit's AppTest: upload, preview, validation
report, confirm, history with undo, template and backup downloads, the switch from demo data
to an empty ledger, and the refusal of an upload above the size limit."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from analytics import importer
from analytics.importer import import_file
from analytics.ledger import connect_read_only
from analytics.settings import PROJECT_ROOT
from tests.ledgers import fingerprint

pytestmark = pytest.mark.slow  # the Data page through Streamlit's AppTest, with real imports

PAGE = str(PROJECT_ROOT / "pages" / "data.py")
HEADER = "date,party,country,party_family,form,direction,topic"
GOOD = (
    HEADER + "\n2001-05-02,Dawn Party,FRA,socialist,working_visit,inbound,=1+1\n"
    "1985,Harbour Forum,,international_org,other,virtual,\n"
).encode()
MIXED = (
    HEADER + "\n2001,Dawn Party,FRA,socialist,working_visit,inbound,\n"
    "2002,Elm Party,Germny,liberal,dinner,inbound,\n"
    "2003,Oak Party,DEU,liberal,study_trip,outbound,\n"
).encode()


def page(monkeypatch, ledger) -> AppTest:
    monkeypatch.setenv("LEDGER_DB", str(ledger))
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.run()
    assert not app.exception
    return app


def counts(path) -> tuple[int, int, str]:
    con = connect_read_only(path)
    try:
        return con.execute("""SELECT (SELECT count(*) FROM exchanges), (SELECT count(*) FROM import_batches),
                                     (SELECT value FROM meta WHERE key = 'is_demo')""").fetchall()[0]
    finally:
        con.close()


def upload(app: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    app.file_uploader[0].set_value((name, data, mime))
    app.run()
    assert not app.exception
    return app


def texts(elements) -> list[str]:
    return [element.value for element in elements]


@pytest.fixture
def real_ledger(make_ledger):
    return make_ledger([{"date": "1999-03", "party": "Cedar Party", "country": "NAM"}])


def test_demo_ledger_page_shows_the_badge_and_switches_to_an_empty_ledger_after_confirmation(monkeypatch, make_ledger):
    ledger = make_ledger([{"date": "2001", "party": "Invented Party"}], demo=True)
    app = page(monkeypatch, ledger)
    assert any("Demo data" in text for text in texts(app.warning))
    assert app.button(key="data_switch").disabled  # AppTest, like a browser, cannot click it
    assert counts(ledger) == (1, 0, "true")
    app.checkbox(key="data_switch_confirm").check().run()
    app.button(key="data_switch").click().run()
    assert not app.exception
    assert counts(ledger) == (0, 0, "false")
    assert texts(app.success) == ["The ledger is now empty and ready for your data."]
    assert not any("Demo data" in text for text in texts(app.warning))


def test_upload_preview_report_confirm_and_history(monkeypatch, real_ledger):
    app = upload(page(monkeypatch, real_ledger), "mine.csv", GOOD)
    preview, report = app.dataframe[:2]  # then the admin's audit log
    assert preview.value["party"].tolist() == ["Dawn Party", "Harbour Forum"]
    assert preview.value["row"].tolist() == [2, 3]
    assert report.value[["row", "column", "severity"]].values.tolist() == [[2, "topic", "warning"]]
    assert texts(app.metric) == ["2", "2", "0", "1"]
    button = app.button(key="data_import")
    assert (button.label, button.disabled) == ("Import 2 rows", False)
    button.click().run()
    assert not app.exception
    assert counts(real_ledger) == (3, 1, "false")
    assert texts(app.success) == [
        "Imported 2 rows from mine.csv as batch 1 (2 new parties). Every page now shows them."
    ]
    assert texts(app.caption)[0].startswith(
        f"Ledger `{real_ledger}`: 3 exchanges with 3 parties in 2 countries, 1985–2001."
    )
    assert any(
        text.startswith("**Batch 1** · mine.csv · ") and text.endswith("2 of 2 rows written")
        for text in texts(app.markdown)
    )
    assert app.file_uploader[0].value is None  # the uploader is emptied after an import


def test_rows_with_errors_block_the_import_until_skipping_them(monkeypatch, real_ledger):
    app = upload(page(monkeypatch, real_ledger), "mixed.csv", MIXED)
    report = app.dataframe[1].value
    assert report[["row", "column", "value", "suggestion"]].values.tolist() == [
        [3, "country", "Germny", "Germany (DEU)"],
        [3, "form", "dinner", ""],
    ]
    assert texts(app.metric) == ["3", "2", "1", "0"]
    assert app.button(key="data_import").disabled
    assert texts(app.info)[-1] == (
        "Nothing is imported while a row has an error: fix the file, or tick the box to skip those rows."
    )
    app.checkbox(key="data_skip_invalid").check().run()
    assert not app.button(key="data_import").disabled
    app.button(key="data_import").click().run()
    assert not app.exception
    assert counts(real_ledger) == (3, 1, "false")


def test_skipped_rows_are_counted_and_stay_downloadable_until_the_next_upload(monkeypatch, real_ledger):
    app = upload(page(monkeypatch, real_ledger), "mixed.csv", MIXED)
    app.checkbox(key="data_skip_invalid").check().run()
    app.button(key="data_import").click().run()
    assert not app.exception
    assert texts(app.success) == [
        "Imported 2 rows from mixed.csv as batch 1 (2 new parties). Every page now shows "
        "them. 1 of 3 rows had errors and were skipped: download them with their reasons below."
    ]
    assert "Download the skipped rows with their reasons (CSV)" in [
        button.label for button in app.get("download_button")
    ]
    app.run()  # any later rerun keeps the download
    assert not app.success
    assert app.get("download_button")[0].label == "Download the skipped rows with their reasons (CSV)"
    upload(app, "mine.csv", GOOD)
    assert "Download the skipped rows with their reasons (CSV)" not in [b.label for b in app.get("download_button")]


def test_the_same_file_again_needs_a_tick(monkeypatch, real_ledger, tmp_path):
    (tmp_path / "mine.csv").write_bytes(GOOD)
    import_file(tmp_path / "mine.csv", real_ledger)
    app = upload(page(monkeypatch, real_ledger), "mine.csv", GOOD)
    assert texts(app.warning)[-1] == (
        "This file was already imported as batch 1 (same content). Its rows already in "
        "the ledger are refused as duplicates (listed above), so importing it again "
        "writes only the rows that are not in the ledger yet."
    )
    assert not [box for box in app.checkbox if box.key == "data_force"]  # nothing new: no "import again" offer
    assert texts(app.info)[-1] == (
        "Nothing new to import: every row of this file is already in the ledger or has an error (see the report above)."
    )
    assert app.button(key="data_import").label == "Import 0 rows"
    assert app.button(key="data_import").disabled


def test_the_same_file_extended_imports_only_its_new_rows(monkeypatch, real_ledger, tmp_path):
    (tmp_path / "mine.csv").write_bytes(GOOD)
    import_file(tmp_path / "mine.csv", real_ledger)
    app = upload(
        page(monkeypatch, real_ledger), "mine.csv", GOOD + b"2003,Oak Party,DEU,liberal,study_trip,outbound,\n"
    )
    app.checkbox(key="data_skip_invalid").check().run()
    assert app.button(key="data_import").label == "Import 1 row"  # the singular, from the catalogue
    app.button(key="data_import").click().run()
    assert not app.exception
    assert counts(real_ledger) == (4, 2, "false")


def test_upload_above_the_limit_is_refused(monkeypatch, real_ledger):
    monkeypatch.setenv("LEDGER_UPLOAD_LIMIT_MB", "1")
    app = upload(page(monkeypatch, real_ledger), "big.csv", GOOD + b"#" * 1_200_000)
    assert texts(app.error) == [
        "**big.csv is 1.1 MB, above the upload limit of 1 MB.** Import it with the command line "
        "(`python -m analytics import big.csv`), or raise LEDGER_UPLOAD_LIMIT_MB."
    ]
    assert not [button for button in app.button if button.key == "data_import"]


def test_unreadable_file_gets_the_reason(monkeypatch, real_ledger):
    app = upload(page(monkeypatch, real_ledger), "garbage.csv", bytes(range(256)) * 40)
    assert texts(app.error) == [
        "**This file cannot be imported.**\n\n- garbage.csv is not a text file (it contains binary data): import a "
        "CSV (UTF-8), an Excel workbook (.xlsx) or a Parquet file."
    ]


def test_demo_ledger_blocks_an_import(monkeypatch, make_ledger):
    ledger = make_ledger([{"date": "2001", "party": "Invented Party"}], demo=True)
    app = upload(page(monkeypatch, ledger), "mine.csv", GOOD)
    assert app.button(key="data_import").disabled
    assert texts(app.info)[-1].startswith("The ledger holds demo data: switch to an empty ledger")


def test_excel_workbook_offers_its_sheets(monkeypatch, real_ledger):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Readme"
    sheet = workbook.create_sheet("Data")
    for line in GOOD.decode().splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    app = upload(
        page(monkeypatch, real_ledger),
        "book.xlsx",
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert app.selectbox(key="data_sheet").options == ["Readme", "Data"]
    assert texts(app.error) == [
        "**This file cannot be imported.**\n\n- book.xlsx, sheet Readme, is empty: it needs a "
        "header row and at least one data row."
    ]
    app.selectbox(key="data_sheet").set_value("Data").run()
    assert app.button(key="data_import").label == "Import 2 rows"


def test_undo_from_the_history_after_confirmation(monkeypatch, real_ledger, tmp_path):
    (tmp_path / "mine.csv").write_bytes(GOOD)
    import_file(tmp_path / "mine.csv", real_ledger)
    app = page(monkeypatch, real_ledger)
    app.button(key="data_undo_1").click().run()
    assert texts(app.warning)[-1].startswith("Undo batch 1 (mine.csv)? Its 2 exchanges are removed")
    app.button(key="data_undo_cancel").click().run()
    assert counts(real_ledger) == (3, 1, "false")
    app.button(key="data_undo_1").click().run()
    app.button(key="data_undo_confirm").click().run()
    assert not app.exception
    assert counts(real_ledger) == (1, 1, "false")
    assert texts(app.success) == ["Undid batch 1: removed 2 exchanges and 2 parties."]
    assert not [button for button in app.button if button.key == "data_undo_1"]


def test_template_and_backup_downloads_are_offered(monkeypatch, real_ledger):
    app = page(monkeypatch, real_ledger)
    labels = [button.label for button in app.get("download_button") if button.key != "data_audit_csv"]
    assert labels == [
        "Template (CSV)",
        "Template (Excel)",
        "Backup of the ledger (Parquet, .zip)",
        "Ledger in the import format (CSV)",
        "Ledger in the import format (Excel)",
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_ledger_download_is_the_export_ledger_file(real_ledger, tmp_path, kind):
    data = importer.export_bytes(real_ledger, kind)
    exported = tmp_path / f"ledger.{kind}"
    importer.export_ledger(real_ledger, exported)
    if kind == "csv":
        assert data == exported.read_bytes()
    path = tmp_path / f"download.{kind}"
    path.write_bytes(data)
    target = tmp_path / "target.duckdb"
    assert import_file(path, target).rows_written == 1
    assert fingerprint(target) == fingerprint(real_ledger)


# ---------------------------------------------------------------------------------------------
# The page in Chinese

FAMILY_ON_ROW_3 = (
    HEADER + "\n2001,Dawn Party,FRA,socialist,working_visit,inbound,\n"
    "2002,Elm Party,DEU,liberal,study_trip,inbound,\n"
    "2003,Oak Party,DEU,liberl,study_trip,outbound,\n"  # data row 3: spreadsheet row 4
).encode()
LEDGER_ROWS = [
    {"date": "1999-03", "party": "Cedar Party", "country": "NAM", "family": "national_democratic"},
    {"date": "2005", "party": "Birch Party", "country": "FRA", "family": "socialist", "form": "study_trip"},
]


def chinese_page(monkeypatch, ledger) -> AppTest:
    """The Data page with Chinese asked for both ways: LEDGER_LANG (the default language) and
    ``?lang=zh`` (the sidebar switch's URL word, read by the entry helper)."""
    monkeypatch.setenv("LEDGER_LANG", "zh")
    monkeypatch.setenv("LEDGER_DB", str(ledger))
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params["lang"] = "zh"
    app.run()
    assert not app.exception
    return app


def screen_words(app: AppTest) -> list[str]:
    """Every text the page shows, and every widget's label, help and placeholder."""
    words = [
        element.value
        for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success")
        for element in app.get(kind)
    ]
    for kind in ("button", "download_button", "checkbox", "selectbox", "file_uploader", "date_input", "metric"):
        for element in app.get(kind):
            words += [getattr(element.proto, name, "") for name in ("label", "help", "placeholder")]
    return [str(word) for word in words if word]


def english_names() -> set[str]:
    """The English vocabulary labels and region, sub-region and country names the ledger may show."""
    from analytics import dimensions, i18n, reference

    table = reference.countries()
    labels = {i18n.t_in("en", f"vocab.{code}") for d in dimensions.ALL for code in d.vocabulary}
    return (
        labels | {*table["region"], *table["subregion"]} | set(table[table["iso3"].isin(["NAM", "FRA", "DEU"])]["name"])
    )


def test_the_data_page_in_chinese_shows_no_english_label_or_name(monkeypatch, make_ledger):
    app = chinese_page(monkeypatch, make_ledger(LEDGER_ROWS))
    shown = screen_words(app)
    assert [title.value for title in app.title] == ["台账数据"]
    assert [header.value for header in app.subheader][:3] == ["导入文件", "导入与修改记录", "模板、导出与备份"]
    assert any("共 2 条交往记录，涉及 2 个国家的 2 个政党，1999—2005 年" in text for text in shown)
    found = sorted({name for name in english_names() for text in shown if re.search(rf"\b{re.escape(name)}\b", text)})
    assert found == []


def test_an_import_in_chinese_reports_the_bad_family_on_its_row(monkeypatch, make_ledger):
    app = chinese_page(monkeypatch, make_ledger(LEDGER_ROWS))
    upload(app, "mixed.csv", FAMILY_ON_ROW_3)
    report = app.dataframe[1].value
    codes = "communist、socialist、social_democratic、national_democratic、liberal、conservative、green、international_org、other"
    assert report[["row", "column", "value", "reason", "suggestion", "severity"]].values.tolist() == [
        [
            4,
            "party_family",
            "liberl",
            f"不是有效的 party_family 代码（可用代码：{codes}）",
            "liberal（自由主义政党）",
            "错误",
        ]
    ]
    assert texts(app.metric) == ["3", "2", "1", "0"]
    assert texts(app.info)[-1] == "只要有一行存在错误，就不会导入任何内容：请修改文件，或勾选复选框跳过这些行。"
    assert app.checkbox(key="data_skip_invalid").label == "跳过 1 个有错误的行，导入 2 个有效行"
    app.checkbox(key="data_skip_invalid").check().run()
    assert app.button(key="data_import").label == "导入 2 行"
    app.button(key="data_import").click().run()
    assert not app.exception
    assert texts(app.success) == [
        "已从 mixed.csv 导入 2 行，批次为第 1 批（新增政党 2 个）。各页面现已显示这些数据。"
        "3 行中有 1 行有错误，已跳过：可在下方连同原因一并下载。"
    ]
    assert "下载被跳过的行及原因（CSV）" in [button.label for button in app.get("download_button")]
    assert any(
        text.startswith("**第 1 批** · mixed.csv · ") and text.endswith("写入 2 行，共 3 行")
        for text in texts(app.markdown)
    )
    found = sorted(
        {name for name in english_names() for text in screen_words(app) if re.search(rf"\b{re.escape(name)}\b", text)}
    )
    assert found == []


def test_a_refused_file_in_chinese_says_why(monkeypatch, make_ledger):
    app = chinese_page(monkeypatch, make_ledger(LEDGER_ROWS))
    upload(app, "garbage.csv", bytes(range(256)) * 40)
    assert texts(app.error) == [
        "**该文件无法导入。**\n\n- garbage.csv 不是文本文件（含有二进制数据）：请导入 CSV（UTF-8）、Excel 工作簿（.xlsx）或 Parquet 文件。"
    ]


def test_switching_language_words_the_report_again(monkeypatch, make_ledger):
    """The checked upload is kept per language: the same file's report follows the language."""
    app = chinese_page(monkeypatch, make_ledger(LEDGER_ROWS))
    upload(app, "mixed.csv", FAMILY_ON_ROW_3)
    assert app.dataframe[1].value["reason"].iloc[0].startswith("不是有效的 party_family 代码")
    monkeypatch.setenv("LEDGER_LANG", "en")
    app.query_params["lang"] = "en"
    app.run()
    assert not app.exception
    assert app.dataframe[1].value["reason"].iloc[0].startswith("not a party_family code (valid: communist, ")
    assert app.dataframe[1].value["severity"].iloc[0] == "error"
