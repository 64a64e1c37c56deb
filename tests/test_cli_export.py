"""``python -m analytics export`` and ``briefing``: the files written are opened and read
back; bad arguments and a missing browser give one line on standard error and exit code 2."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader

from analytics import chart_catalog, i18n, vocab
from analytics.cli import CommandError, main
from analytics.commands import export_commands
from tests.test_export import ROWS, need_browser, unembedded_fonts

TODAY = dt.date.today().isoformat()


@pytest.fixture
def ledger(make_ledger):
    return str(make_ledger(ROWS))


@pytest.fixture
def no_browser(monkeypatch, tmp_path):
    monkeypatch.setenv("LEDGER_BROWSER", str(tmp_path / "no-such-browser"))


def test_list_names_every_chart(capsys):
    assert main(["export", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(chart_catalog.CHARTS)
    assert lines[0].split()[:2] == ["exchanges-per-year", "Overview"]


def test_csv_export_holds_the_numbers_behind_the_chart(ledger, tmp_path, capsys):
    out = tmp_path / "regions.csv"
    assert main(["export", "regions", "--db", ledger, "--out", str(out), "--from", "2016"]) == 0
    assert capsys.readouterr().out == f"Wrote regions (CSV, 4 rows) to {out}\n"
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[:5] == [
        ["# Title: Exchanges by region"],
        ["# Filters: 2016–2021"],
        ["# Source: Party-to-party exchange ledger"],
        [f"# Exported: {TODAY}"],
        ["# Data: Real ledger data"],
    ]
    # 2016-2021: Kenya 3, France 2 + Germany 1, Brazil 2, the international organisation 1.
    assert [row[:2] for row in rows[5:]] == [
        ["region", "exchanges"],
        ["Africa", "3"],
        ["Europe", "3"],
        ["Latin America and the Caribbean", "2"],
        ["International organisations", "1"],
    ]


def test_directory_output_gets_the_default_name(ledger, tmp_path, capsys):
    assert (
        main(
            [
                "export",
                "by-family",
                "--db",
                ledger,
                "--out",
                f"{tmp_path}/",
                "--format",
                "xlsx",
                "--family",
                "socialist",
            ]
        )
        == 0
    )
    written = tmp_path / f"by-family_{TODAY}.xlsx"
    assert written.read_bytes()[:2] == b"PK"
    assert str(written) in capsys.readouterr().out


def test_demo_ledger_export_is_marked(make_ledger, tmp_path, capsys):
    demo = str(make_ledger(ROWS, name="demo.duckdb", demo=True))
    out = tmp_path / "map.html"
    assert main(["export", "world-map", "--db", demo, "--out", str(out)]) == 0
    assert "demo data" in capsys.readouterr().out
    assert "<title>Exchanges by country (Demo data)</title>" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "no-such-chart", "--out", "x.png"], "Unknown chart 'no-such-chart'"),
        (["export", "regions", "--out", "x.gif"], "Cannot tell the format of 'x.gif'"),
        (["export", "regions"], "Give --out FILE"),
        (["export", "--out", "x.png"], "Name a chart to export"),
        (["export", "regions", "--out", "x.png", "--format", "svg"], "--format svg does not match"),
        (["export", "regions", "--out", "x.csv", "--region", "Atlantis"], "Unknown region: 'Atlantis'"),
        (["export", "regions", "--out", "x.html", "--width", "20"], "width 20 is out of range"),
        (["briefing", "--charts", "regions", "--out", "deck.key"], "written as .pptx (slide deck) or .pdf"),
        (["briefing", "--charts", "regions,nope", "--out", "deck.pptx"], "Unknown chart 'nope'"),
        (["briefing", "--charts", " , ", "--out", "deck.pptx"], "--charts is empty"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, ledger, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--db", ledger]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_bad_spec_file_exits_2(ledger, tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text('{"charts": ["regions"], "version": 7}', encoding="utf-8")
    assert main(["briefing", "--spec", str(spec), "--out", str(tmp_path / "d.pptx"), "--db", ledger]) == 2
    assert "newer than this program" in capsys.readouterr().err


def test_bad_chart_options_in_a_briefing_file_exit_2_naming_the_chart(ledger, tmp_path, capsys):
    spec = tmp_path / "brief.json"
    spec.write_text(
        json.dumps({"charts": ["regions", {"chart": "change-level-map", "options": {"baseline_years": "x"}}]}),
        encoding="utf-8",
    )
    assert main(["briefing", "--db", ledger, "--spec", str(spec), "--out", str(tmp_path / "deck.pptx")]) == 2
    assert capsys.readouterr().err == (
        "error: Chart 2 (change-level-map): option 'baseline_years' must be a whole number from 1 to 50, not \"x\".\n"
    )
    assert not (tmp_path / "deck.pptx").exists()


def test_write_into_a_directory_fails_without_leaving_its_temporary_file(tmp_path):
    target = tmp_path / "deck.pptx"
    target.mkdir()  # os.replace cannot put a file where a directory is
    with pytest.raises(CommandError, match="Cannot write .*deck.pptx"):
        export_commands._write(target, b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["deck.pptx"]


def test_write_cut_short_leaves_neither_half_a_file_nor_the_temporary_one(tmp_path, monkeypatch):
    real_write = Path.write_bytes

    def half_then_disk_full(path, data):
        real_write(path, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_disk_full)
    with pytest.raises(CommandError, match="Cannot write .*: No space left on device"):
        export_commands._write(tmp_path / "regions.csv", b"0123456789")
    assert list(tmp_path.iterdir()) == []


def test_failed_export_keeps_the_previous_file_and_no_temporary_one(ledger, tmp_path, monkeypatch, capsys):
    out = tmp_path / "exports" / "regions.csv"
    out.parent.mkdir()
    out.write_text("last month's export", encoding="utf-8")

    def refuse(source, target):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(export_commands.os, "replace", refuse)
    assert main(["export", "regions", "--db", ledger, "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: Cannot write {out}: Permission denied\n"
    assert out.read_text(encoding="utf-8") == "last month's export"
    assert [p.name for p in out.parent.iterdir()] == ["regions.csv"]


def test_missing_browser_exits_2_with_what_to_install(ledger, tmp_path, no_browser, capsys):
    for argv in (
        ["export", "regions", "--out", str(tmp_path / "r.png")],
        ["briefing", "--charts", "regions", "--out", str(tmp_path / "d.pptx")],
    ):
        assert main([*argv, "--db", ledger]) == 2
        err = capsys.readouterr().err
        assert "install it with `apt-get install chromium`" in err
        assert err.startswith("error: Image export (PNG, SVG, PDF, slide decks) needs a Chromium-family browser")
    assert not (tmp_path / "r.png").exists()
    # HTML and data still work without a browser.
    assert main(["export", "regions", "--out", str(tmp_path / "r.html"), "--db", ledger]) == 0
    assert (tmp_path / "r.html").read_bytes().startswith(b"<!DOCTYPE html>")


@pytest.mark.browser
def test_png_export_has_the_requested_size(ledger, tmp_path, capsys):
    need_browser()
    out = tmp_path / "epy.png"
    assert (
        main(
            [
                "export",
                "exchanges-per-year",
                "--db",
                ledger,
                "--out",
                str(out),
                "--width",
                "800",
                "--height",
                "500",
                "--scale",
                "1.5",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == f"Wrote exchanges-per-year (PNG, 1200 x 750 px) to {out}\n"
    assert Image.open(out).size == (1200, 750)


@pytest.mark.browser
def test_briefing_deck_then_pack_from_the_saved_spec(ledger, tmp_path, capsys):
    need_browser()
    deck, spec, pack = tmp_path / "deck.pptx", tmp_path / "brief.json", tmp_path / "pack.pdf"
    assert (
        main(
            [
                "briefing",
                "--db",
                ledger,
                "--charts",
                "regions,by-family",
                "--out",
                str(deck),
                "--title",
                "Monthly",
                "--subtitle",
                "Africa",
                "--region",
                "Africa",
                "--save-spec",
                str(spec),
                "--no-findings",
            ]
        )
        == 0
    )
    assert "Wrote PowerPoint deck (3 pages: title and 2 charts)" in capsys.readouterr().out
    slides = list(Presentation(deck).slides)
    assert [s.shapes.title.text for s in slides] == ["Monthly", "Exchanges by region", "Exchanges by party family"]
    texts = [shape.text_frame.text for shape in slides[1].shapes if shape.has_text_frame]
    assert "Filters: 1978–2020; Region: Africa" in texts  # Kenya: 2016, 2017, 2020
    saved = json.loads(spec.read_text(encoding="utf-8"))
    assert saved["filters"] == {"region": ["Africa"]}
    assert saved["findings"] is False  # --no-findings: plain titles, no summary page

    # Notes too long for the chart's page take a page of their own, and the count says so.
    saved["charts"][0]["notes"] = "\n".join(f"Point {n}." for n in range(1, 60))
    spec.write_text(json.dumps(saved), encoding="utf-8")
    assert main(["briefing", "--db", ledger, "--spec", str(spec), "--out", str(pack)]) == 0
    reader = PdfReader(pack)
    assert len(reader.pages) == 5  # the chart's page, then two pages of its notes
    assert "Wrote PDF pack (5 pages: title and 2 charts)" in capsys.readouterr().out
    assert "Monthly" in reader.pages[0].extract_text()
    assert "Notes on the next page." in reader.pages[1].extract_text()
    assert "Point 59." in reader.pages[3].extract_text()
    assert "Filters: 1978–2020; Region: Africa" in reader.pages[4].extract_text()


# ---------------------------------------------------------------------------------------------
# --lang


def test_csv_export_in_chinese_has_chinese_headers_and_keeps_the_codes(ledger, tmp_path, capsys):
    out = tmp_path / "families.csv"
    assert main(["export", "by-family", "--db", ledger, "--out", str(out), "--lang", "zh"]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[2] == ["# 来源：政党交往台账"]
    assert rows[3] == [f"# 导出日期：{_zh_today()}"]
    assert rows[5] == ["政党类别", "交往次数", "占比"]
    assert {row[0] for row in rows[6:]} <= set(vocab.PARTY_FAMILIES)  # codes, for scripts
    assert "Wrote by-family (CSV" in capsys.readouterr().out


def _zh_today() -> str:
    with i18n.using("zh"):
        return i18n.date(dt.date.today())


def test_ledger_lang_sets_the_default_and_lang_overrides_it(ledger, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_LANG", "zh")
    chinese, english = tmp_path / "zh.xlsx", tmp_path / "en.xlsx"
    assert main(["export", "regions", "--db", ledger, "--out", str(chinese)]) == 0
    assert main(["export", "regions", "--db", ledger, "--out", str(english), "--lang", "en"]) == 0
    assert load_workbook(chinese).sheetnames == ["数据", "说明"]
    assert load_workbook(english).sheetnames == ["Data", "About"]
    assert next(load_workbook(english)["Data"].iter_rows(values_only=True)) == ("region", "exchanges", "share")


@pytest.mark.parametrize(
    "command", [["export", "regions", "--out", "x.csv"], ["briefing", "--charts", "regions", "--out", "d.pptx"]]
)
def test_an_unknown_language_exits_2_naming_the_languages(command, ledger, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--db", ledger, "--lang", "fr"]) == 2
    assert capsys.readouterr().err == "error: Unknown language 'fr': use one of en, zh\n"
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "d.pptx").exists()


@pytest.mark.browser
def test_briefing_in_chinese_records_its_language_and_the_saved_spec_keeps_it(ledger, tmp_path, capsys):
    need_browser()
    deck, spec, pack = tmp_path / "deck.pptx", tmp_path / "brief.json", tmp_path / "pack.pdf"
    argv = ["briefing", "--db", ledger, "--charts", "regions", "--title", "月度简报", "--lang", "zh"]
    assert main([*argv, "--out", str(deck), "--save-spec", str(spec)]) == 0
    # The command's own words stay English; one chart, said so.
    assert "Wrote PowerPoint deck (3 pages: title, summary and 1 chart)" in capsys.readouterr().out
    shown = Presentation(deck)
    assert shown.core_properties.language == "zh-CN"
    assert shown.slides[0].shapes.title.text == "月度简报"
    assert shown.slides[1].shapes.title.text == "主要发现"  # the summary of findings
    words = [shape.text_frame.text for shape in shown.slides[2].shapes if shape.has_text_frame]
    assert any("筛选条件：" in text for text in words)
    assert "第3页 / 共3页" in words
    assert json.loads(spec.read_text(encoding="utf-8"))["lang"] == "zh"

    # Rebuilt from the saved file, the pack speaks its language; --lang says otherwise.
    assert main(["briefing", "--db", ledger, "--spec", str(spec), "--out", str(pack)]) == 0
    reader = PdfReader(pack)
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"
    assert "筛选条件" in reader.pages[1].extract_text()
    assert unembedded_fonts(reader) == []
    assert main(["briefing", "--db", ledger, "--spec", str(spec), "--out", str(pack), "--lang", "en"]) == 0
    reader = PdfReader(pack)
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert "Filters: " in reader.pages[1].extract_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "no-such-chart", "--out", "x.png"], "未知图表 'no-such-chart'。"),
        (["export", "regions", "--out", "x.gif"], "无法根据扩展名判断 'x.gif' 的格式"),
        (["export", "regions", "--out", "x.html", "--width", "20"], "宽度 20 超出范围"),
        (["briefing", "--charts", "regions", "--out", "deck.key"], "简报须保存为 .pptx（演示文稿）或 .pdf（PDF 简报）"),
    ],
)
def test_errors_follow_ledger_lang(argv, message, ledger, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGER_LANG", "zh")
    assert main([*argv, "--db", ledger]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_a_missing_browser_is_explained_in_chinese(ledger, tmp_path, no_browser, capsys):
    assert main(["export", "regions", "--db", ledger, "--out", str(tmp_path / "r.png"), "--lang", "zh"]) == 2
    assert "图片导出（PNG、SVG、PDF、幻灯片）需要 Chromium 系列浏览器" in capsys.readouterr().err


def test_a_period_chart_s_file_says_its_periods_not_the_whole_window(ledger, tmp_path, capsys):
    out = tmp_path / "compare.csv"
    assert main(["export", "compare-periods", "--db", ledger, "--out", str(out)]) == 0
    filters = next(line for line in out.read_text(encoding="utf-8-sig").splitlines() if line.startswith("# Filters"))
    assert " against " in filters and filters.startswith("# Filters: By region: ")
    assert "1978" not in filters  # not the whole window the chart does not show


@pytest.mark.browser
def test_slide_preset_draws_the_slide_s_own_size_at_its_scale(ledger, tmp_path, capsys):
    need_browser()
    out = tmp_path / "slide.png"
    assert main(["export", "top-countries", "--db", ledger, "--out", str(out), "--preset", "slide"]) == 0
    assert capsys.readouterr().out == f"Wrote top-countries (PNG, 3200 x 1800 px) to {out}\n"
    assert Image.open(out).size == (3200, 1800)  # 1280 x 720 CSS px at 2.5
