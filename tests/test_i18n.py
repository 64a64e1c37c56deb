"""The message catalogues and the language helpers: both languages complete, every key used, no
user-facing literal outside the catalogue, and names, numbers and dates in each language."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string
from pathlib import Path

import pytest

from analytics import dimensions, i18n, reference, texts, vocab
from analytics.i18n import LANGUAGES, read_catalogue, t, using
from analytics.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
CODE_FILES = sorted([ROOT / "dashboard.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "analytics").rglob("*.py")])
# Where a string shown to users must come from the catalogue: the pages and the chart builders.
SCANNED_FILES = sorted(
    [
        ROOT / "dashboard.py",
        *(ROOT / "pages").glob("*.py"),
        ROOT / "analytics" / "charts.py",
        ROOT / "analytics" / "chart_catalog.py",
    ]
)
KEY_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+$")
# A literal on a line carrying this mark is not user text (a CSS rule, a Plotly format code...).
NOT_TEXT_MARK = "# i18n: not text"
# Dotted names that are not catalogue keys although their first word is a key family.
NOT_KEYS = frozenset({"display.unicode.east_asian_width"})  # a pandas option


def _messages(lang: str) -> dict[str, str | tuple]:
    return {str(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in read_catalogue(lang) if m.id}


def _fields(message: str | tuple) -> set[str]:
    parts = message if isinstance(message, tuple) else (message,)
    return {name for part in parts for _, name, _, _ in string.Formatter().parse(part) if name}


# ---------------------------------------------------------------------------------------------
# The catalogues


def test_both_languages_have_the_same_keys():
    en, zh = _messages("en"), _messages("zh")
    assert sorted(set(en) - set(zh)) == [] and sorted(set(zh) - set(en)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_is_empty(lang):
    empty = [
        key
        for key, message in _messages(lang).items()
        if not all(message if isinstance(message, tuple) else (message,))
    ]
    assert empty == []


def test_both_languages_take_the_same_fields():
    en, zh = _messages("en"), _messages("zh")
    differ = {
        key: (_fields(en[key]), _fields(zh[key])) for key in en if key in zh and _fields(en[key]) != _fields(zh[key])
    }
    assert differ == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_formats(lang):
    for message in _messages(lang).values():
        for part in message if isinstance(message, tuple) else (message,):
            part.format_map({name: "x" for name in _fields(part)})  # raises on a stray brace


def test_every_key_has_the_shape_of_a_key():
    assert [key for key in _messages("en") if not KEY_SHAPE.match(key)] == []


def test_a_key_defined_in_two_files_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    for name in ("a.po", "b.po"):
        (folder / name).write_text('msgid "x.y"\nmsgstr "Z"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with pytest.raises(ValueError, match="x.y"):
        read_catalogue("en")


def _literals(path: Path) -> tuple[set[str], set[str]]:
    """Every string constant of a file, and the leading constant of each f-string (a key prefix)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    prefixes = {
        n.values[0].value
        for n in ast.walk(tree)
        if isinstance(n, ast.JoinedStr) and n.values and isinstance(n.values[0], ast.Constant)
    }
    return constants, {str(p) for p in prefixes}


def _used_keys() -> tuple[set[str], set[str]]:
    constants: set[str] = set()
    prefixes: set[str] = set()
    for path in CODE_FILES:
        found, leading = _literals(path)
        constants |= found
        prefixes |= {p for p in leading if KEY_SHAPE.match(p.rstrip(".") + ".x") and p.endswith(".")}
    return constants, prefixes


def test_every_key_is_used():
    constants, prefixes = _used_keys()
    dynamic = {f"vocab.{code}" for d in dimensions.ALL for code in d.vocabulary}
    dynamic |= {f"language.{lang}" for lang in LANGUAGES}
    plural = {key for key in _messages("en") if key.endswith(".plural")}
    unused = [
        key
        for key in _messages("en")
        if key not in constants
        and key not in dynamic
        and key not in plural
        and not any(key.startswith(prefix) for prefix in prefixes)
    ]
    assert unused == []


def test_every_key_the_code_names_exists():
    known = set(_messages("en"))
    constants, _ = _used_keys()
    families = {key.split(".", 1)[0] for key in known}
    missing = sorted(
        c
        for c in constants
        if KEY_SHAPE.match(c) and c.split(".", 1)[0] in families and c not in known and c not in NOT_KEYS
    )
    assert missing == []


# Calls whose text a user reads: Streamlit elements and widgets, and Plotly's words.
SHOWN_CALLS = frozenset(
    "title header subheader markdown caption write text info warning error success toast exception button "
    "download_button link_button page_link form_submit_button selectbox multiselect radio checkbox toggle "
    "text_input text_area number_input slider select_slider date_input time_input file_uploader metric "
    "expander tabs popover status spinner segmented_control pills color_picker Page set_page_config dialog "
    "data_editor".split()
)
SHOWN_KEYWORDS = frozenset(
    "label help placeholder title body caption text name hovertemplate texttemplate title_text "
    "legend_title_text xaxis_title yaxis_title message subtitle footnote page_title".split()
)
_MARKUP = re.compile(r"%\{[^}]*\}|\{[^}]*\}|<[^>]*>|&[a-z]+;")


def _is_words(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        if KEY_SHAPE.match(text):
            return False
        return bool(re.search(r"[A-Za-z]{2,}", _MARKUP.sub("", text)))
    if isinstance(node, ast.JoinedStr):
        return any(_is_words(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_is_words(item) for item in node.elts)
    return False


def _shown_literals(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        candidates = [kw.value for kw in node.keywords if kw.arg in SHOWN_KEYWORDS]
        if name in SHOWN_CALLS and node.args:
            candidates.append(node.args[0])
        for candidate in candidates:
            line = lines[candidate.lineno - 1]
            if _is_words(candidate) and NOT_TEXT_MARK not in line:
                found.append(f"{path.name}:{candidate.lineno}: {line.strip()}")
    return found


@pytest.mark.parametrize("path", SCANNED_FILES, ids=lambda p: p.name)
def test_no_user_text_outside_the_catalogue(path):
    assert _shown_literals(path) == []


def test_the_scan_finds_an_inline_label(tmp_path):
    page = tmp_path / "page.py"
    page.write_text(
        'import streamlit as st\nst.button("Import rows")\nst.caption(t("page.x"))\n'
        'fig.update_layout(title="Exchanges per year")\nst.markdown("<style>a{}</style>")  # i18n: not text\n',
        encoding="utf-8",
    )
    assert [hit.split(":")[1] for hit in _shown_literals(page)] == ["2", "4"]


# ---------------------------------------------------------------------------------------------
# The language of a run


def test_the_default_language_is_the_setting(monkeypatch):
    monkeypatch.setenv("LEDGER_LANG", "zh")
    assert i18n.default_language() == "zh" and t("dimension.region") == "地区"
    monkeypatch.setenv("LEDGER_LANG", "fr")
    with pytest.raises(i18n.LanguageError, match="LEDGER_LANG='fr'"):
        i18n.default_language()
    monkeypatch.delenv("LEDGER_LANG")
    assert i18n.default_language() == "en" and load_settings().lang == "en"


@pytest.mark.parametrize(
    ("typed", "code"), [("zh", "zh"), ("zh-CN", "zh"), ("ZH_Hans", "zh"), ("en", "en"), (" en-GB ", "en")]
)
def test_languages_as_typed(typed, code):
    assert i18n.normalise(typed) == code


@pytest.mark.parametrize("typed", ["fr", "", None, "chinese"])
def test_unknown_languages_are_refused(typed):
    with pytest.raises(i18n.LanguageError, match="use one of en, zh"):
        i18n.normalise(typed)


def test_using_sets_and_restores_the_language():
    with using("zh"):
        assert i18n.current() == "zh" and dimensions.FAMILY.label == "政党类别"
        with using("en"):
            assert dimensions.FAMILY.label == "Party family"
        assert texts.demo_mark() == "演示数据"
    assert i18n.current() == "en" and texts.demo_mark() == "Demo data"


def test_a_language_name_is_written_in_itself():
    assert i18n.t_in("en", "language.zh") == "简体中文" and i18n.t_in("zh", "language.en") == "English"


def test_messages_take_their_fields():
    with using("zh"):
        assert texts.demo_warning() == "演示数据：虚构政党的合成台账：此处所示交往均未发生。"
    assert texts.demo_warning() == "Demo data: synthetic ledger with invented parties: no meeting shown here happened."


def test_settings_error_is_an_input_error():
    assert issubclass(i18n.LanguageError, SettingsError.__mro__[1])


# ---------------------------------------------------------------------------------------------
# Vocabulary, regions, countries


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_vocabulary_code_has_a_label(lang):
    with using(lang):
        codes = {code for d in dimensions.ALL for code in d.vocabulary}
        assert [code for code in codes if i18n.vocabulary_label(code) == code] == []


def test_vocabulary_labels_differ_between_languages():
    codes = {code for d in dimensions.ALL for code in d.vocabulary}
    same = [code for code in codes if i18n.t_in("en", f"vocab.{code}") == i18n.t_in("zh", f"vocab.{code}")]
    assert same == []


def test_an_unknown_code_is_shown_as_it_is():
    with using("zh"):
        assert i18n.vocabulary_label("Banana party") == "Banana party"


def test_every_country_has_a_cldr_name_in_chinese():
    table = reference.countries()
    with using("zh"):
        names = {row.iso3: i18n.country_name(row.iso2, row.name) for row in table.itertuples()}
    assert [iso3 for iso3, name in names.items() if not re.search(r"[\u4e00-\u9fff]", name)] == []
    assert names["FRA"] == "法国" and names["CHN"] == "中国" and names["ZAF"] == "南非"


def test_english_country_names_are_the_recorded_ones():
    assert i18n.country_name("FR", "France") == "France"


def test_every_region_and_subregion_has_a_chinese_name():
    table = reference.countries()
    names = {*table["region"], *table["subregion"], vocab.INTERNATIONAL_BUCKET}
    with using("zh"):
        shown = {name: i18n.region_name(name) for name in names}
    assert [name for name, word in shown.items() if not re.search(r"[\u4e00-\u9fff]", word)] == []
    assert (
        shown["Africa"] == "非洲"
        and shown["Eastern Asia"] == "东亚"
        and shown[vocab.INTERNATIONAL_BUCKET] == "国际组织"
    )
    assert i18n.region_name("Africa") == "Africa"


# ---------------------------------------------------------------------------------------------
# Numbers and dates


@pytest.mark.parametrize(
    ("lang", "number", "percent", "month", "day"),
    [
        ("en", "12,345", "12.3%", "Mar 2025", "2025-03-01"),
        ("zh", "12,345", "12.3%", "2025年3月", "2025年3月1日"),
    ],
)
def test_numbers_and_dates_in_each_language(lang, number, percent, month, day):
    with using(lang):
        assert i18n.number(12345) == number
        assert i18n.percent(0.1234) == percent
        assert i18n.month(dt.date(2025, 3, 1)) == month
        assert i18n.date(dt.date(2025, 3, 1)) == day
        assert i18n.number(1234.5, digits=1) == "1,234.5"


def test_plural_forms_follow_the_language(tmp_path, monkeypatch):
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "a.po").write_text(
        'msgid ""\nmsgstr "Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "rows.count"\nmsgid_plural "rows.count.plural"\nmsgstr[0] "{count} row"\nmsgstr[1] "{count} rows"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._translations.cache_clear()
    try:
        assert i18n.plural("rows.count", 1) == "1 row" and i18n.plural("rows.count", 1200) == "1,200 rows"
    finally:
        monkeypatch.undo()
        i18n._translations.cache_clear()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("value", [0, 7, 999, 1000, 12345, 1234567, -4321, 0.5, 2.25, 1234.75, 99.95])
def test_numbers_match_babels_cldr_formats(lang, value):
    from babel.numbers import format_decimal, format_percent

    with using(lang):
        assert i18n.number(value, digits=1) == format_decimal(value, format="#,##0.0", locale=i18n.locale())
        assert i18n.percent(value / 100) == format_percent(value / 100, format="#,##0.0%", locale=i18n.locale())
        if float(value).is_integer():
            assert i18n.number(value) == format_decimal(value, format="#,##0", locale=i18n.locale())


def test_chinese_names_sort_by_pinyin_and_english_ones_case_blind():
    names = ["德国", "中国", "阿尔及利亚", "巴西", "澳大利亚", "重庆"]
    with using("zh"):
        assert sorted(names, key=i18n.sort_key) == ["阿尔及利亚", "澳大利亚", "巴西", "重庆", "德国", "中国"]
    assert sorted(["germany", "Brazil", "algeria"], key=i18n.sort_key) == ["algeria", "Brazil", "germany"]


def test_every_chart_names_its_page_as_the_menu_does():
    from analytics import chart_catalog

    for lang in LANGUAGES:
        with using(lang):
            titles = {spec.page_title for spec in chart_catalog.CHARTS.values()}
            assert not any(title.startswith("nav.") for title in titles)
    with using("zh"):
        assert chart_catalog.CHARTS["regions"].page_title == "地区分布"
