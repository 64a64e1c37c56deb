"""Hostile input through the whole app (Streamlit's AppTest, from ``dashboard.py``): party names
in the ledger, query strings, upload names and briefing files that try Markdown, HTML, links,
formulas, SQL, templates, NUL, direction controls, huge values and repeated keys. Each row of a
table is an input and its harmless outcome; ``docs/security.md`` ("Hostile input") lists them.

What "harmless" means here: the app raises no exception, every Markdown text it draws renders
(as CommonMark) to no link, image, HTML tag or emphasis coming from the input, and what it echoes
is short. The browser test (``tests/test_browser.py``) checks the same in Chromium.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import markdown_it
import pytest
from streamlit.testing.v1 import AppTest

from analytics.cli import main

pytestmark = pytest.mark.slow  # the app through Streamlit's AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
TIMEOUT = 120
MARKDOWN = markdown_it.MarkdownIt("commonmark").enable("strikethrough")

IMAGE = "![x](http://example.invalid/p.png)"
LINK = '<a href="http://example.invalid/a">x</a>'
SCRIPT = "<script>alert(1)</script>"
JS_LINK = "[click](javascript:alert(1))"
FORMULA = '=HYPERLINK("http://example.invalid","x")'
SQL = "' OR 1=1 --"
TEMPLATE = "{{7*7}}"
BOLD = "**bold** _it_"
BACKTICK = "`x` ![y](http://example.invalid/q.png)"
LONG = "Long Party " * 500  # 5,500 characters, then A or B
HOSTILE_PARTIES = [IMAGE, LINK, SCRIPT, JS_LINK, FORMULA, SQL, TEMPLATE, BOLD, LONG + "A", LONG + "B"]

HOSTILE_TEXTS = [*HOSTILE_PARTIES, BACKTICK]


def open_app(monkeypatch, ledger, query: dict | None = None, page: str | None = None) -> AppTest:
    monkeypatch.setenv("LEDGER_DB", str(ledger))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    return at


def drawn_markdown(at: AppTest) -> list[str]:
    """Every Markdown text on the screen (markdown, captions, alerts)."""
    groups = (at.markdown, at.caption, at.info, at.warning, at.error, at.success)
    return [element.value for group in groups for element in group]


def assert_harmless(at: AppTest, *, longest: int = 2_000) -> None:
    """No exception; no link, image, HTML or emphasis from data in any Markdown; nothing huge echoed."""
    assert not at.exception, [e.value for e in at.exception]
    for text in drawn_markdown(at):
        rendered = MARKDOWN.render(text)
        assert "<img" not in rendered and "<a " not in rendered, text
        assert "<script" not in rendered, text
        for strong in re.findall(r"<(strong|em|del|code)>(.*?)</\1>", rendered):
            words = html.unescape(strong[1])
            if strong[0] == "code" or not re.search(r"[A-Za-z]{2}", words):  # an echoed value, a number
                continue
            assert not any(words in hostile for hostile in HOSTILE_TEXTS), (strong, text)
        assert len(text) <= longest, text[:200]


# ---------------------------------------------------------------------------------------------
# Ledger text: hostile party names, on every page and as the party filter


@pytest.fixture(scope="module")
def hostile_ledger(tmp_path_factory):
    from tests.ledgers import build_ledger

    rows = [{"date": f"2025-0{1 + i % 9}-10", "party": party} for i, party in enumerate(HOSTILE_PARTIES)]
    rows += [{"date": "2024-05-10", "party": "Red Party", "country": "KEN"}]
    return build_ledger(tmp_path_factory.mktemp("hostile") / "hostile.duckdb", rows)


@pytest.mark.parametrize("page", ["overview", "party_types", "explorer", "profiles", "relationships"])
def test_pages_with_hostile_party_names_draw_them_as_text(monkeypatch, hostile_ledger, page):
    at = open_app(monkeypatch, hostile_ledger, page=page)
    assert_harmless(at)


@pytest.mark.parametrize("party", [IMAGE, LINK, SCRIPT, JS_LINK, FORMULA, SQL, TEMPLATE, BOLD, BACKTICK])
def test_a_hostile_party_filter_is_shown_literally_in_the_summary(monkeypatch, hostile_ledger, party):
    at = open_app(monkeypatch, hostile_ledger, {"party": party})
    assert_harmless(at)
    summary = next(text for text in drawn_markdown(at) if "**Showing:**" in text)
    rendered = html.unescape(re.sub(r"<[^>]+>", "", MARKDOWN.render(summary))).replace("\u2060", "")
    if party in HOSTILE_PARTIES:
        assert f"Party: {party}" in rendered  # the filter applies, and reads as typed


# ---------------------------------------------------------------------------------------------
# Query strings: (query, page, expected outcome in the warnings)

QUERY_ROWS = [
    ({"party": IMAGE}, "overview", None),
    ({"region": SCRIPT}, "overview", "Ignored `region=<script>alert(1)</script>`"),
    ({"region": BACKTICK}, "overview", "Ignored ``region=`x` ![y](http://example.invalid/q.png)``"),
    ({"from": SQL}, "overview", "Ignored `from=' OR 1=1 --`"),
    ({"family": TEMPLATE}, "overview", "Ignored `family={{7*7}}`"),
    ({"region": "Africa\x00"}, "overview", "Ignored `region=Africa\ufffd`"),
    ({"party": "Evil\u202eParty"}, "overview", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ({"region": "x" * 100_000}, "overview", "characters long (at most 1,000 are read)"),
    ({"party": ["Red Party", IMAGE]}, "overview", None),  # repeated key: the first value is used
    ({"sort": JS_LINK}, "explorer", "Ignored `sort=[click](javascript:alert(1))`"),
    ({"q": IMAGE}, "explorer", None),
    ({"q": "q" * 5_000}, "explorer", "characters long"),
    ({"profile": f"party:FRA:{LINK}"}, "profiles", None),  # a party of the ledger: its profile opens
    ({"profile": "party:FRA:<img src=x onerror=alert(1)>"}, "profiles", "Ignored `profile=party:FRA:<img src=x"),
    ({"a": FORMULA}, "compare", "Ignored `a==HYPERLINK("),
]


@pytest.mark.parametrize(("query", "page", "warning"), QUERY_ROWS)
def test_hostile_query_strings_are_ignored_or_shown_literally(monkeypatch, hostile_ledger, query, page, warning):
    at = open_app(monkeypatch, hostile_ledger, query, page=page)
    assert_harmless(at, longest=1_500)
    warnings = [w.value for w in at.warning]
    if warning is not None:
        assert any(warning in text for text in warnings), warnings
    assert all(len(text) < 1_500 for text in warnings)


def test_repeated_party_key_uses_the_first_value(monkeypatch, hostile_ledger):
    at = open_app(monkeypatch, hostile_ledger, {"party": ["Red Party", IMAGE]})
    assert at.session_state["filters"].party == "Red Party"


def test_hostile_search_in_the_explorer_is_echoed_literally(monkeypatch, hostile_ledger):
    at = open_app(monkeypatch, hostile_ledger, {"q": IMAGE + " nothing matches"}, page="explorer")
    assert_harmless(at)
    (empty,) = [i.value for i in at.info if "No exchange matches the search" in i.value]
    assert "`![x](http://example.invalid/p.png) nothing matches`" in empty


# ---------------------------------------------------------------------------------------------
# Upload names on the Data page

UPLOAD_NAMES = [IMAGE + ".csv", LINK + ".csv", SCRIPT + ".csv", "`a`" + BOLD + ".csv", "x" * 3_000 + ".csv"]


@pytest.mark.parametrize("name", UPLOAD_NAMES)
def test_hostile_upload_names_are_shown_as_text(monkeypatch, hostile_ledger, name):
    monkeypatch.setenv("LEDGER_DB", str(hostile_ledger))
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=TIMEOUT).run()
    good = b"date,party,country,party_family,form,direction\n2001,Dawn Party,FRA,socialist,working_visit,inbound\n"
    for data in (good, b"\x00\x01\x02" * 100):  # a readable file (preview), then an unreadable one (error)
        at.file_uploader[0].set_value((name, data, "text/csv"))
        at.run()
        assert_harmless(at)


# ---------------------------------------------------------------------------------------------
# Briefing files: the page says what is wrong, the CLI exits 2

BRIEFING_FILES = [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"charts": ["regions"], "filters": {"from": 5}}', "not a plausible year"),
    ('{"charts": ["regions"], "filters": {"region": 5}}', "must be text or a list of texts"),
    ('{"charts": ["regions"], "filters": {"from": [[1990]]}}', "must be text or a list of texts"),
    ('{"charts": ["regions"], "filters": {"party": [5]}}', "must be text or a list of texts"),
    (json.dumps({"charts": [IMAGE]}), "unknown chart"),
    (json.dumps({"title": LINK, "charts": ["regions"], "filters": {"party": "a\u202eb"}}), "U+202E"),
    (json.dumps({"charts": ["regions"], "filters": {"region": ["x" * 50_000]}}), "Unknown region"),
    ('{"charts": ["regions"], "title": "a\\u0000b", "filters": {"family": ["{{7*7}}"]}}', "Unknown party family"),
]


@pytest.mark.parametrize(("text", "message"), BRIEFING_FILES)
def test_malformed_briefing_files_get_an_error_box(monkeypatch, hostile_ledger, text, message):
    at = open_app(monkeypatch, hostile_ledger, page="briefing")
    at.file_uploader(key="briefing_upload").set_value((IMAGE + ".json", text.encode(), "application/json"))
    at.run()
    assert_harmless(at)
    errors = [e.value for e in at.error]
    assert any("was not loaded" in e and message in e for e in errors), errors


@pytest.mark.parametrize(("text", "message"), BRIEFING_FILES)
def test_malformed_briefing_files_exit_2_on_the_cli(hostile_ledger, tmp_path, capsys, text, message):
    spec = tmp_path / "spec.json"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "deck.pptx"
    assert main(["briefing", "--db", str(hostile_ledger), "--spec", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err) < 2_000
