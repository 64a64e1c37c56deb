"""The pages in both languages, through Streamlit's AppTest from the real entry script.

Every page renders in English and in Chinese; in Chinese, no English vocabulary label, region,
sub-region or country name shows anywhere the page draws words (titles, Markdown, captions,
alerts, metrics, widget labels, options, placeholders and help, table headers and the cells of
the columns that hold codes and places; party names, topics and sources are data and stay as
recorded; the chart figures are the chart builders' and are tested with them). The language is
kept in the URL as ``lang``, survives a page change, switches without losing the filters, and a
bad ``lang=`` falls back to ``LEDGER_LANG`` with an escaped warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import dimensions, i18n, profiles, reference, vocab
from analytics.ledger import LedgerReader

pytestmark = pytest.mark.slow  # every page through Streamlit's AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
PAGES = ["overview", "trends", "party_types", "regions", "compare", "explorer", "profiles", "relationships"]
TIMEOUT = 120
CJK = re.compile(r"[\u4e00-\u9fff]")
# The page titles in each language (the catalogue's words, checked here as a reader sees them).
TITLES = {
    "en": ["Overview", "Trends", "Party types", "Regions", "Compare", "Explorer", "Profiles", "Relationships"],
    "zh": ["总览", "趋势", "政党类型", "地区分布", "时段对比", "数据查询", "国别与政党", "交往关系"],
}
# Table columns whose cells are recorded data, not words of the dashboard (party names aside).
DATA_COLUMNS = {"party", "topic", "source", "event_id", "政党", "主题", "来源", "活动"}
TINY = [
    {"date": "2025-01-10", "party": "Red Party"},
    {"date": "2025-03-10", "party": "Rose Party", "family": "social_democratic"},
    {"date": "2025-04-10", "party": "Sun Party", "country": "KEN", "family": "national_democratic"},
    {"date": "2024-05-10", "party": "Red Party"},
]


def open_app(monkeypatch, ledger, query: dict | None = None, page: str = "overview") -> AppTest:
    monkeypatch.setenv("LEDGER_DB", str(ledger))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@cache
def english_words() -> tuple[str, ...]:
    """What must not show in Chinese: the English labels of the vocabulary, the region and
    sub-region names (and the international bucket), and every country's English names."""
    codes = {code for d in dimensions.ALL for code in d.vocabulary}
    words = {i18n.t_in("en", f"vocab.{code}") for code in codes}
    table = reference.countries()
    words |= {*table["region"], *table["subregion"], vocab.INTERNATIONAL_BUCKET}
    words |= {*table["name"], *(name for name in table["common_name"] if isinstance(name, str))}
    return tuple(sorted(words, key=len, reverse=True))


def _strings(message) -> Iterator[str]:
    """Every string field of a protobuf message, nested ones included, less a link's query
    string (the URL's codes, as the address bar shows them: ``region=Africa``)."""
    for field, value in message.ListFields():
        if field.name == "query_string":
            continue
        single = isinstance(value, (str, bytes)) or hasattr(value, "ListFields") or not hasattr(value, "__len__")
        values = [value] if single else list(value)
        if field.type == field.TYPE_STRING:
            yield from (v for v in values if isinstance(v, str))
        elif field.type == field.TYPE_MESSAGE:
            for item in values:
                if hasattr(item, "ListFields"):
                    yield from _strings(item)


def _elements(node, skip_popover: str) -> Iterator:
    """The elements under ``node``, leaving out popovers other than ``skip_popover``-labelled
    ones: the export menu (``pages/export_menu.py``, tested with the exports) words a chart by
    its figure's own title and filter line, which the chart builders own."""
    proto = getattr(node, "proto", None)
    popover = getattr(proto, "popover", None) if proto is not None and hasattr(proto, "HasField") else None
    if popover is not None and proto.HasField("popover") and popover.label != skip_popover:
        return
    yield node
    children = getattr(node, "children", None) or {}
    for child in children.values():
        yield from _elements(child, skip_popover)


def shown_text(at: AppTest, lang: str = "zh") -> list[str]:
    """Every word of the rendered elements outside the chart figures: their protobuf strings
    (labels, options, placeholders, help, bodies, table column settings) and, for tables,
    the headers, the index and the cells of columns that are not recorded data."""
    parts: list[str] = []
    for element in _elements(at._tree, i18n.t_in(lang, "display.data")):
        kind = getattr(element, "type", "")
        proto = getattr(element, "proto", None)
        if kind == "plotly_chart" or proto is None or not hasattr(proto, "ListFields"):
            continue
        parts += list(_strings(proto))
        if kind in ("dataframe", "arrow_data_frame"):
            frame: pd.DataFrame = element.value
            parts += [str(c) for c in frame.columns] + [str(i) for i in frame.index]
            for column in frame.columns:
                if str(column) not in DATA_COLUMNS and frame[column].dtype == object:
                    parts += [str(v) for v in frame[column].dropna()]
    return parts


@cache
def party_names(ledger: str) -> tuple[str, ...]:
    names = set(profiles.party_choices(LedgerReader(ledger).connection())["party"])
    return tuple(sorted(names, key=len, reverse=True))


def english_in(parts: list[str], parties: tuple[str, ...]) -> list[tuple[str, str]]:
    """(English word, the text it was found in) for each leak, party names taken out first."""
    found = []
    for part in parts:
        text = part
        for name in parties:
            text = text.replace(name, " ")
        for word in english_words():
            if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text):
                found.append((word, part[:160]))
    return found


# ---------------------------------------------------------------------------------------------
# Every page in both languages


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders_in_both_languages(monkeypatch, demo_ledger, lang):
    at = open_app(monkeypatch, demo_ledger, {"lang": lang})
    for page, title in zip(PAGES, TITLES[lang], strict=True):
        if page != "overview":
            at.switch_page(f"pages/{page}.py").run()
        no_exception(at)
        assert [t.value for t in at.title] == [title], page
        assert len(at.get("plotly_chart")) >= 1, page
        words = "\n".join(shown_text(at, lang))
        assert i18n.t_in(lang, "text.demo_mark") in words, page
        if lang == "zh":
            assert len(CJK.findall(words)) > 100, page
            assert at.query_params["lang"] == "zh", page
        else:
            switch = (i18n.t_in("en", "language.switch"), "简体中文")  # the switch names Chinese in Chinese
            assert not CJK.search(words.replace(switch[0], "").replace(switch[1], "")), page
            assert "lang" not in at.query_params


@pytest.mark.parametrize("page", PAGES)
def test_a_page_in_chinese_shows_no_english_label_region_or_country(monkeypatch, demo_ledger, page):
    # Filters on every coded dimension and on places, so the summary and the sidebar name them.
    query = {"lang": "zh", "region": ["Africa", "Asia"], "subregion": "Eastern Africa", "family": "communist"}
    if page == "profiles":
        query = {"lang": "zh", "country": "KEN"}
    at = open_app(monkeypatch, demo_ledger, query, page)
    no_exception(at)
    parts = shown_text(at)
    assert any(CJK.search(part) for part in parts)
    assert english_in(parts, party_names(str(demo_ledger))) == []
    summary = next(m.value for m in at.markdown if "当前显示" in m.value)
    if page != "profiles":
        assert "非洲" in summary and "东非" in summary and "共产党" in summary
    else:
        assert "肯尼亚" in summary


def test_the_explorer_pivot_and_rows_in_chinese(monkeypatch, make_ledger):
    ledger = make_ledger(TINY)
    at = open_app(monkeypatch, ledger, {"lang": "zh", "rows": "country", "cols": "year"}, "explorer")
    no_exception(at)
    pivot = at.dataframe[0].value
    assert pivot.loc["法国", "合计"] == 3 and pivot.loc["肯尼亚", "2025"] == 1 and pivot.index.name == "国家"
    rows = at.dataframe[-1].value
    assert set(rows["country"]) == {"法国", "肯尼亚"} and set(rows["region"]) == {"欧洲", "非洲"}
    assert "社会民主党和工党" in set(rows["party_family"])
    assert "共有**4**条交往记录相符。" in [m.value for m in at.markdown]
    labels = {b.label for b in at.get("download_button")}
    assert {"CSV（4条）", "Excel（4条）", "下载透视表（CSV）"} <= labels


def test_the_overview_numbers_and_words_in_chinese(monkeypatch, make_ledger):
    at = open_app(monkeypatch, make_ledger(TINY), {"lang": "zh"})
    no_exception(at)
    card = next(m for m in at.metric if m.label == "2025年交往次数")
    assert card.value == "3" and card.proto.delta.startswith("+2")  # the arrow reads the sign
    assert any(re.match(r"\*\*\d{4}—2025年\*\*：共4次交往、4场活动", c.value) for c in at.caption)


# ---------------------------------------------------------------------------------------------
# The language in the URL and the switch


def test_the_switch_changes_the_language_and_keeps_the_filters(monkeypatch, make_ledger):
    at = open_app(monkeypatch, make_ledger(TINY), {"region": "Africa"})
    switch = at.sidebar.radio(key="ui_language")
    assert switch.label == i18n.t_in("en", "language.switch") and switch.options == ["简体中文", "English"]
    assert at.title[0].value == "Overview" and "lang" not in at.query_params
    switch.set_value("zh").run()
    no_exception(at)
    assert at.title[0].value == "总览"
    assert at.multiselect(key="filter_regions").value == ["Africa"]
    assert at.query_params["lang"] == "zh" and at.query_params["region"] == "Africa"
    assert next(m for m in at.metric if m.label == "2025年交往次数").value == "1"
    at.sidebar.radio(key="ui_language").set_value("en").run()
    assert at.title[0].value == "Overview" and "lang" not in at.query_params
    assert at.query_params["region"] == "Africa"


def test_the_language_survives_a_page_change_that_clears_the_query_string(monkeypatch, make_ledger):
    at = open_app(monkeypatch, make_ledger(TINY), {"lang": "zh", "family": "communist"})
    assert at.title[0].value == "总览"
    at.query_params.clear()  # Streamlit's page menu clears the query string
    at.switch_page("pages/trends.py").run()
    no_exception(at)
    assert at.title[0].value == "趋势"
    assert at.query_params["lang"] == "zh" and at.query_params["family"] == "communist"


def test_a_link_without_lang_opens_in_the_default_language(monkeypatch, make_ledger):
    at = open_app(monkeypatch, make_ledger(TINY), {"lang": "zh"})
    assert at.title[0].value == "总览"
    at.query_params.clear()
    at.query_params["region"] = "Africa"  # a link from outside that names no language
    at.run()
    assert at.title[0].value == "Overview"


def test_ledger_lang_sets_the_default(monkeypatch, make_ledger):
    monkeypatch.setenv("LEDGER_LANG", "zh")
    at = open_app(monkeypatch, make_ledger(TINY))
    no_exception(at)
    assert at.title[0].value == "总览" and "lang" not in at.query_params
    at.sidebar.radio(key="ui_language").set_value("en").run()
    assert at.title[0].value == "Overview" and at.query_params["lang"] == "en"


@pytest.mark.parametrize(
    ("raw", "echo"),
    [("fr", "`lang=fr`"), ("**zh**<b>x</b>", "`lang=**zh**<b>x</b>`"), ("zh`x", "``lang=zh`x``")],
)
def test_a_bad_lang_warns_escaped_and_falls_back(monkeypatch, make_ledger, raw, echo):
    at = open_app(monkeypatch, make_ledger(TINY), {"lang": raw})
    no_exception(at)
    assert at.title[0].value == "Overview"
    warning = next(w.value for w in at.warning if "lang=" in w.value)
    assert warning == f"Ignored {echo} from the link: not one of en, zh; the page is shown in English."
    assert "lang" not in at.query_params  # the URL now says what is shown
    at.run()  # still shown until the language changes
    assert any("lang=" in w.value for w in at.warning)
    at.sidebar.radio(key="ui_language").set_value("zh").run()
    assert not any("lang=" in w.value for w in at.warning)


def test_a_bad_lang_under_chinese_default_warns_in_chinese(monkeypatch, make_ledger):
    monkeypatch.setenv("LEDGER_LANG", "zh")
    at = open_app(monkeypatch, make_ledger(TINY), {"lang": "xx"})
    no_exception(at)
    assert "已忽略链接中的`lang=xx`：可选值为en, zh；页面以简体中文显示。" in [w.value for w in at.warning]


def test_a_page_run_on_its_own_speaks_the_language_of_the_link(monkeypatch, make_ledger):
    monkeypatch.setenv("LEDGER_DB", str(make_ledger(TINY)))
    at = AppTest.from_file(str(ROOT / "pages" / "regions.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = "zh"
    at.run()
    no_exception(at)
    assert at.title[0].value == "地区分布"
    assert any("点击国家" in c.value for c in at.caption)


def test_an_empty_ledger_in_chinese(monkeypatch, make_ledger):
    at = open_app(monkeypatch, make_ledger([]), {"lang": "zh"})
    for page in PAGES:
        if page != "overview":
            at.switch_page(f"pages/{page}.py").run()
        no_exception(at)
        words = "\n".join(i.value for i in at.info)
        assert (
            "没有符合这些筛选条件的交往" in words or "均没有符合筛选条件的交往记录" in words
        ) or "台账中尚无交往记录" in words, page


def test_the_leak_check_finds_english_names_but_not_in_party_names():
    parties = ("Sun Party of Kenya",)
    assert english_in(["地区: Africa", "政党: Sun Party of Kenya"], parties) == [("Africa", "地区: Africa")]
    assert english_in(["形式: High-level visit"], ()) == [("High-level visit", "形式: High-level visit")]
    assert english_in(["国家: 肯尼亚; Nigerian", "Oman's"], ()) == [("Oman", "Oman's")]


def test_the_country_list_sorts_by_pinyin_in_chinese(monkeypatch, make_ledger):
    at = open_app(monkeypatch, make_ledger(TINY), {"lang": "zh", "region": "Europe"})
    no_exception(at)
    options = at.multiselect(key="filter_countries").options
    with i18n.using("zh"):
        assert options == sorted(options, key=i18n.sort_key)
    # 爱尔兰 (ài), 奥地利 (ào), 比利时 (bǐ) ... 西班牙 (xī), 意大利 (yì), 英国 (yīng) come in that order.
    assert options.index("爱尔兰") < options.index("奥地利") < options.index("比利时") < options.index("德国")
    assert options.index("西班牙") < options.index("意大利") < options.index("英国")
    english = open_app(monkeypatch, make_ledger(TINY), {"region": "Europe"}).multiselect(key="filter_countries").options
    assert (
        english.index("Austria")
        < english.index("Belgium")
        < english.index("United Kingdom of Great Britain and Northern Ireland")
    )


def test_the_compare_page_in_chinese_says_each_year_once(monkeypatch, make_ledger):
    at = open_app(monkeypatch, make_ledger(TINY), {"lang": "zh", "a": "2016-2020", "b": "2021-2025"}, page="compare")
    no_exception(at)
    words = " ".join(shown_text(at))
    assert "年年" not in words and not at.warning  # a link's periods are not "ignored" in Chinese
    assert "2016—2020年交往次数" in words or "2016—2020年" in words
