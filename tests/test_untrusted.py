"""``analytics.untrusted``: each hostile text is shown as typed by Markdown and by Plotly, never as markup."""

from __future__ import annotations

import html
import re

import markdown_it
import pytest

from analytics.untrusted import bidi_problem, markdown_literal, plotly_literal, short_label, shown, url_value_problem

MARKDOWN = markdown_it.MarkdownIt("commonmark").enable("strikethrough")

HOSTILE = [
    "![x](http://example.invalid/p.png)",
    "[click](javascript:alert(1))",
    "<script>alert(1)</script>",
    '<a href="http://example.invalid/a">x</a>',
    "**bold** _it_ ~~gone~~ `code`",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "see http://example.invalid/x and www.example.invalid and a@example.invalid",
    "<http://example.invalid>",
    ":red[colour] $x^2$",
    "&lt;b&gt;entity&lt;/b&gt;",
    "back\\slash \\*",
    '=HYPERLINK("http://example.invalid","x")',
    "' OR 1=1 --",
    "{{7*7}}",
    "Normal Party (France)",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_literal_renders_the_text_as_typed(text):
    rendered = MARKDOWN.render(markdown_literal(text)).strip()
    assert re.fullmatch(r"<p>.*</p>", rendered), rendered
    inner = rendered[3:-4]
    assert "<" not in inner, rendered  # no tag at all: no link, image, emphasis or code
    assert html.unescape(inner).replace("\u2060", "") == text


@pytest.mark.parametrize("text", ["Region: Northern America", "Red Party (France)", "1978–2025; Party: Rose"])
def test_markdown_literal_leaves_ordinary_text_alone(text):
    assert markdown_literal(text) == text


def test_bare_urls_and_addresses_are_broken_by_a_word_joiner():
    """GFM autolinks bare URLs after parsing (escapes do not stop it); a word joiner does."""
    text = "http://example.invalid https://x.invalid www.example.invalid a@example.invalid"
    assert markdown_literal(text) == (
        "http\u2060://example.invalid https\u2060://x.invalid www\u2060.example.invalid a\u2060@example.invalid"
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [("a`b", "``a`b``"), ("`x`", "`` `x` ``"), ("x" * 100, "`" + "x" * 80 + "…`"), ("a\nb", "`a b`")],
)
def test_shown_is_one_code_span_that_the_value_cannot_close(text, code):
    assert shown(text) == code
    rendered = MARKDOWN.render(shown(text)).strip()
    assert rendered.count("<code>") == 1 and rendered.startswith("<p><code>") and rendered.endswith("</code></p>")


def test_plotly_literal_and_short_label():
    assert plotly_literal('<a href="x">y</a> & <br>') == '&lt;a href="x"&gt;y&lt;/a&gt; &amp; &lt;br&gt;'
    assert short_label("x" * 41) == "x" * 40 + "…" and short_label("short") == "short"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plain", None),
        ("a\u202eb", "contains U+202E RIGHT-TO-LEFT OVERRIDE, which can make text read backwards"),
        ("a\u2067b\u2069", "contains U+2067 RIGHT-TO-LEFT ISOLATE and U+2069 POP DIRECTIONAL ISOLATE"),
        ("\u200fx", "U+200F RIGHT-TO-LEFT MARK"),
        ("\u061cx", "U+061C ARABIC LETTER MARK"),
    ],
)
def test_bidi_problem_names_the_character(text, expected):
    problem = bidi_problem(text)
    assert (problem is None) if expected is None else (expected in problem)


def test_url_value_problem_drops_absurdly_long_values_without_echoing_them():
    problem = url_value_problem("x" * 100_000)
    assert problem == "it is 100,000 characters long (at most 1,000 are read)"
    assert url_value_problem("x" * 1000) is None


def test_refusal_reasons_follow_the_language():
    from analytics.i18n import using

    with using("zh"):
        assert bidi_problem("a\u202eb") == "含有 U+202E RIGHT-TO-LEFT OVERRIDE，可能使文字倒序显示"
        assert url_value_problem("x" * 1001) == "长度为 1,001 个字符（最多读取 1,000 个）"
    assert url_value_problem("x" * 1001) == "it is 1,001 characters long (at most 1,000 are read)"
