"""The deck and the pack as a viewer draws them: every deck built here goes through LibreOffice
headless (one ``soffice --convert-to pdf`` call for the whole batch), the packs are PDFs already;
from the text positions in each PDF (pypdf: the text matrix and the font size of every piece,
its width measured in the face it names) no two text pieces overlap, none overlaps a picture
and none leaves the page, for the longest title, subtitle and notes the briefing file allows,
an unbreakable title, in both languages, with six charts. The pages are kept as PNG in
test-output/ for a person to look at."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from analytics import briefing, i18n

DAY = dt.date(2026, 11, 28)
CHARTS = ("exchanges-per-year", "regions", "top-countries", "by-family", "world-map", "top-parties")


def _capped(text: str, limit: int) -> str:
    return (text * (limit // max(1, len(text)) + 1))[:limit].rstrip() + "."


EN = {
    "title": _capped(
        "Exchanges with ruling, opposition and other parties across Africa, Asia and Latin America, ", 199
    ),
    "subtitle": _capped("Prepared for the leadership meeting on the party's international work in the year, ", 199),
    "notes": _capped(
        "Exchanges with ruling parties rose after 2015, mostly through study trips and working visits; ", 1999
    ),
    "short_notes": "Growth since 2015, mostly in Africa and Latin America; fewer delegations from Europe.",
    "headline": "The share of exchanges with Africa in all exchanges rose from 14.3% in 2023 to 27.3% in 2024, up 13.0 percentage points.",
    "chart_title": "Top 10 parties by exchanges, by party family and region",
    "caption": "2015–2024; Region: Africa, Asia, Latin America and the Caribbean; Party family: Communist, Socialist",
}
ZH = {
    "title": _capped("二〇二四年度我党同亚非拉各国执政党、参政党和其他政党交往情况综述，", 199),
    "subtitle": _capped("供领导同志参阅的年度对外工作情况汇报材料，", 199),
    "notes": _capped("二〇一五年以来同执政党的交往明显增多，以考察和工作访问为主；同反对党的交往有所减少。", 1999),
    "short_notes": "2015年以来交往明显增多，以非洲和拉美为主。",
    "headline": "与非洲的交往在全部交往中所占比重从2023年的14.3%升至2024年的27.3%，上升13.0个百分点。",
    "chart_title": "按交往次数排名前10的政党（按政党类别和地区）",
    "caption": "2015—2024年；地区：非洲、亚洲、拉丁美洲和加勒比；政党类别：共产党、社会党",
}
UNBREAKABLE = "X" * briefing.MAX_TITLE


def _picture(box: tuple[float, float]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (round(box[0] * 96), round(box[1] * 96)), (0xDD, 0xE6, 0xF0)).save(buffer, "PNG")
    return buffer.getvalue()


def _content(lang: str, fmt: str, *, title: str | None = None) -> briefing.BriefingContent:
    words = EN if lang == "en" else ZH
    slides = []
    with i18n.using(lang):
        for number, chart in enumerate(CHARTS):
            notes = (words["notes"], words["short_notes"], "", words["notes"][:600], "", words["short_notes"])[number]
            slide = briefing.Slide(
                chart,
                words["chart_title"],
                words["caption"],
                notes,
                b"",
                1,
                1,
                headline=words["headline"] if number % 3 != 2 else "",
            )
            box = briefing.BOXES[fmt](slide)
            slides.append(
                dataclasses.replace(
                    slide, image=_picture(box), width_px=round(box[0] * 96), height_px=round(box[1] * 96), box=box
                )
            )
        return briefing.BriefingContent(
            title=title or words["title"],
            subtitle=words["subtitle"],
            caption=words["caption"],
            source="Party-to-party exchange ledger" if lang == "en" else "政党交往台账",
            is_demo=True,
            day=DAY,
            slides=tuple(slides),
            lang=lang,
            summary=(words["headline"],) * briefing.SUMMARY_FINDINGS,
            findings=True,
        )


CASES = {
    "en-longest": ("en", None),
    "en-unbreakable": ("en", UNBREAKABLE),
    "zh-longest": ("zh", None),
    "zh-unbreakable": ("zh", "简" * briefing.MAX_TITLE),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, output_dir) -> dict[str, Path]:
    """Every case as a deck converted by LibreOffice and as a pack: name -> PDF path; the pages
    kept as PNG (50 dpi) in test-output/briefing-render/."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is needed (scripts/setup.sh dev installs libreoffice-impress)"
    work = tmp_path_factory.mktemp("render")
    decks, made = [], {}
    for name, (lang, title) in CASES.items():
        deck = work / f"{name}-deck.pptx"
        deck.write_bytes(briefing.build_pptx(_content(lang, "pptx", title=title)))
        decks.append(deck)
        pack = work / f"{name}-pack.pdf"
        pack.write_bytes(briefing.build_pdf(_content(lang, "pdf", title=title)))
        made[f"{name}-pack"] = pack
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{work}/lo", "--headless", "--convert-to", "pdf", "--outdir", str(work)]
        + [str(d) for d in decks],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for deck in decks:
        made[deck.stem] = deck.with_suffix(".pdf")
    pictures = output_dir / "briefing-render"
    shutil.rmtree(pictures, ignore_errors=True)
    pictures.mkdir()
    for name, pdf in made.items():
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(pictures / name)], check=True)
    return made


def _measure_for(font_name: str):
    """A width function for the face a PDF names: Carlito (Calibri) or DejaVu at its own widths,
    a CJK face at a full em for Chinese and 0.6 em for anything else (wider than either Latin
    face: a safe estimate), with 0.25 em between Chinese and Latin (a viewer's autospacing)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    briefing._pdf_fonts()
    bold = "Bold" in font_name
    if "Carlito" in font_name:
        latin = briefing._register("deck-bold" if bold else "deck-regular")
    elif "DejaVu" in font_name:
        latin = briefing._register("bold" if bold else "regular")
    else:
        latin = None
    chars = briefing._coverage(latin) if latin else frozenset()

    def measure(text: str, size: float) -> float:
        width = 0.0
        for previous, char in zip(" " + text, text, strict=False):
            if briefing._wide(char):
                width += size
            elif latin and ord(char) in chars:
                width += stringWidth(char, latin, size)
            else:
                width += 0.6 * size
            if previous != " " and char != " " and briefing._wide(previous) != briefing._wide(char):
                width += 0.25 * size
        return width

    return measure


def text_boxes(page) -> list[tuple[float, float, float, float, str]]:
    """(left, bottom, right, top, text) of every piece of text on a PDF page: from its baseline
    0.25 em down to 0.8 em up (lines 1.2 em apart never touch), as wide as measured."""
    found: list[list] = []

    def visit(text, cm, tm, font, size):
        if not text or font is None:
            return
        scale = tm[0] * cm[0] or 1.0
        x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
        shown = size * scale
        measure = _measure_for(str(font.get("/BaseFont", "")))
        full, inked = measure(text, shown), measure(text.rstrip(), shown)  # trailing spaces take no room
        if found and found[-1][5] == (x, y):  # the next run of a line (pypdf gives the line's start)
            last = found[-1]
            if text.strip():
                last[2] = x + last[6] + inked
            last[6] += full
            last[1], last[3] = min(last[1], y - 0.25 * shown), max(last[3], y + 0.8 * shown)
            last[4] += text
        else:
            found.append([x, y - 0.25 * shown, x + inked, y + 0.8 * shown, text, (x, y), full])

    page.extract_text(visitor_text=visit)
    return [(left, bottom, right, top, text.strip()) for left, bottom, right, top, text, *_ in found if text.strip()]


def picture_boxes(page) -> list[tuple[float, float, float, float]]:
    """(left, bottom, right, top) of each picture: the 'w 0 0 h x y cm' before its 'Do'."""
    operations = page.get_contents().operations
    boxes = []
    for (args, op), (_, following) in zip(operations, operations[1:], strict=False):
        if op == b"cm" and following == b"Do":
            w, h, x, y = (float(args[i]) for i in (0, 3, 4, 5))
            boxes.append((x, y, x + w, y + h))
    return boxes


def _overlap(a, b, tolerance: float = 0.5) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > tolerance and min(a[3], b[3]) - max(a[1], b[1]) > tolerance


def layout_problems(pdf: Path) -> list[str]:
    """Text pieces that overlap each other or a picture, or leave the page, on every page."""
    problems = []
    for number, page in enumerate(PdfReader(pdf).pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        texts = text_boxes(page)
        pictures = picture_boxes(page)
        for index, box in enumerate(texts):
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                problems.append(f"page {number}: {box[4][:40]!r} leaves the page {box[:4]}")
            for other in texts[index + 1 :]:
                if _overlap(box, other):
                    problems.append(f"page {number}: {box[4][:40]!r} overlaps {other[4][:40]!r}")
            for picture in pictures:
                if _overlap(box, picture):
                    problems.append(f"page {number}: {box[4][:40]!r} overlaps a picture")
    return problems


def poppler_problems(pdf: Path) -> list[str]:
    """The cross-check by poppler (``pdftotext -bbox-layout``: each word's box from the font's
    ascent and descent): words off the page, and words of different lines drawn over each
    other (by more than 40 % of the smaller one's height: lines of one paragraph touch by
    their font boxes, text drawn over text covers far more)."""
    import xml.etree.ElementTree as ET

    xhtml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True).stdout
    space = "{http://www.w3.org/1999/xhtml}"
    problems = []
    for number, page in enumerate(ET.fromstring(xhtml).iter(f"{space}page"), start=1):
        width, height = float(page.get("width")), float(page.get("height"))
        words = []
        for line_number, line in enumerate(page.iter(f"{space}line")):
            for word in line.iter(f"{space}word"):
                box = tuple(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
                words.append((line_number, box, word.text or ""))
                if box[0] < -0.5 or box[1] < -0.5 or box[2] > width + 0.5 or box[3] > height + 0.5:
                    problems.append(f"page {number}: {word.text!r} leaves the page")
        for index, (line, a, text) in enumerate(words):
            for other_line, b, other in words[index + 1 :]:
                if line == other_line:
                    continue
                across = min(a[2], b[2]) - max(a[0], b[0])
                down = min(a[3], b[3]) - max(a[1], b[1])
                if across > 1 and down > 0.4 * min(a[3] - a[1], b[3] - b[1]):
                    problems.append(f"page {number}: {text!r} overlaps {other!r}")
    return problems


RENDERED = [f"{case}-{kind}" for case in CASES for kind in ("deck", "pack")]


@pytest.mark.slow
@pytest.mark.parametrize("name", RENDERED)
def test_no_text_overlaps_another_or_a_picture_or_leaves_the_page(rendered, name):
    assert layout_problems(rendered[name]) == []
    assert poppler_problems(rendered[name]) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", RENDERED)
def test_every_page_is_there_and_the_title_page_carries_its_number(rendered, name):
    lang = name[:2]
    pages = PdfReader(rendered[name]).pages
    fmt = "pptx" if name.endswith("deck") else "pdf"
    made = _content(lang, fmt)
    total = made.pages if fmt == "pptx" else briefing.page_count(made, "pdf")
    assert len(pages) == total
    with i18n.using(lang):
        number = i18n.t("briefing.page_number", page=1, total=total)
    assert "".join(number.split()) in "".join(pages[0].extract_text().split())


def text_sizes(page) -> list[tuple[float, float, str]]:
    """(size in pt as shown, baseline height, text) of every piece of text on a PDF page."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((round(abs(size * (tm[3] or 1.0) * (cm[3] or 1.0)), 1), tm[5] * cm[3] + cm[5], text.strip()))

    page.extract_text(visitor_text=visit)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in RENDERED if n.endswith("deck")])
def test_deck_text_is_14_pt_or_more_as_libreoffice_draws_it(rendered, name):
    """Read from the back of the room: every text of every slide at 14 pt or more; only the
    footer line (source, date, page number) may shrink, to 12 pt, when it must to fit."""
    for number, page in enumerate(PdfReader(rendered[name]).pages, start=1):
        footer_top = (briefing.PPT_HEIGHT_IN - briefing.FOOTER_TOP_IN) * 72
        small = [
            (size, text[:30])
            for size, y, text in text_sizes(page)
            if size < 14 and not (size >= min(briefing.FOOTER_SIZES) and y < footer_top)
        ]
        assert small == [], (name, number)


@pytest.mark.slow
def test_an_unbreakable_title_breaks_between_characters_and_is_shown_whole(rendered):
    for name in ("en-unbreakable-deck", "en-unbreakable-pack"):
        first = PdfReader(rendered[name]).pages[0]
        lines = [text for *_, text in text_boxes(first) if set(text) == {"X"}]
        assert len(lines) > 1 and sum(map(len, lines)) == briefing.MAX_TITLE, name


@pytest.mark.slow
def test_a_chinese_deck_is_drawn_in_a_chinese_face(rendered):
    """LibreOffice has no Microsoft YaHei here: the East Asian face falls back to the system's
    CJK face, never to boxes; the words come out as Chinese text."""
    converted = rendered["zh-longest-deck"]
    fonts = subprocess.run(["pdffonts", str(converted)], check=True, capture_output=True, text=True).stdout
    assert "CJK" in fonts or "WenQuanYi" in fonts
    second = "".join(PdfReader(converted).pages[1].extract_text().split())
    assert "主要发现" in second and "筛选条件" in second


def test_the_checker_finds_overlaps_and_text_off_the_page(tmp_path):
    """The layout check can fail: two lines drawn over each other, and one past the right edge."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "bad.pdf"
    regular, _ = briefing._pdf_fonts()
    pdf = canvas.Canvas(str(path), pagesize=(400, 300))
    pdf.setFont(regular, 20)
    pdf.drawString(20, 100, "Exchanges per year")
    pdf.drawString(60, 110, "Exchanges by region")
    pdf.drawString(300, 200, "Off the page")
    pdf.save()
    problems = layout_problems(path)
    assert any("overlaps 'Exchanges by region'" in p for p in problems)
    assert any("'Off the page' leaves the page" in p for p in problems)
    assert len(problems) == 2
    assert any("overlaps" in p for p in poppler_problems(path))  # (poppler leaves out what is off the page)


def test_a_title_cut_at_the_floor_is_whole_in_the_speaker_notes():
    from pptx import Presentation

    made = _content("zh", "pptx")  # 200 Chinese characters do not fit at 24 pt: cut with an ellipsis
    deck = Presentation(io.BytesIO(briefing.build_pptx(made)))
    assert deck.slides[0].shapes.title.text.endswith("…")
    assert made.title in deck.slides[0].notes_slide.notes_text_frame.text
