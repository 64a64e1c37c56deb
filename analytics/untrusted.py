"""Untrusted text made harmless: ledger text, upload file names, briefing files and URL values.

``markdown_literal`` escapes text for any Streamlit call that reads Markdown (``st.markdown``,
captions, alerts, toasts, help texts, widget labels), ``plotly_literal`` for Plotly text (which
reads ``<a>``, ``<b>``, ``<br>`` and entities), ``shown`` caps a value echoed back to the user,
``short_label`` shortens an axis or legend label, and ``bidi_controls`` finds the invisible
direction controls that make text read backwards. The pages and ``analytics.charts`` call them;
``analytics.filters``, ``analytics.importer`` and the URL parsing refuse what ``bidi_controls``
finds. Plain functions, no Streamlit.
"""

from __future__ import annotations

import html
import re
import unicodedata

from analytics.i18n import number, t

ELLIPSIS = "…"
# Longest value echoed in a message, and the longest axis or legend label.
ECHO_LIMIT = 80
LABEL_LIMIT = 40

# Characters that open Markdown anywhere in a line: emphasis and strike-through, code, links and
# images (``[``), Streamlit's :colour[...] directives, $math$, HTML and <autolinks>, entities,
# and the backslash itself.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>~$&])")
# At the start of the text only: headings, lists, quotes, rules.
_LINE_START = re.compile(r"^(\s*)([#>+=|-]|\d+[.)])")
# GFM turns bare "http://...", "www...." and "name@host" into links after parsing, escapes or
# not: an invisible WORD JOINER (U+2060) between "http"/"www" and what follows, and before "@",
# keeps them plain text.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?=@)")
_NEWLINES = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")

# Direction controls: embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069), the
# marks (U+200E, U+200F) and the Arabic letter mark (U+061C).
BIDI_CONTROLS: frozenset[str] = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _one_line(text: str) -> str:
    """``text`` on one line, with NUL shown as the replacement character."""
    return _NEWLINES.sub(" ", text).replace("\x00", "\ufffd")


def markdown_literal(text: object) -> str:
    """``text`` escaped so that Streamlit Markdown shows it as typed: no link, image, emphasis,
    heading, list, code, HTML, directive, autolink or line break comes from it (bare URLs and
    addresses get an invisible word joiner, which GFM's autolinks stop at)."""
    value = _one_line(str(text))
    value = _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match[0], value)
    value = _AUTOLINK.sub(WORD_JOINER, value)
    return _LINE_START.sub(
        lambda match: (
            match[1] + "\\" + match[2] if not match[2][0].isdigit() else match[1] + match[2][:-1] + "\\" + match[2][-1]
        ),
        value,
    )


def capped(text: object, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for echoing a value in a message."""
    value = str(text)
    return value if len(value) <= limit else value[:limit] + ELLIPSIS


def shown(text: object, limit: int = ECHO_LIMIT) -> str:
    """A value echoed back in Markdown: capped at ``limit`` characters, as inline code that
    nothing in the value can close (the fence is longer than any run of backticks in it)."""
    value = _one_line(capped(text, limit))
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {value} " if value.startswith("`") or value.endswith("`") or not value.strip() else value
    return f"{fence}{padded}{fence}"


def plotly_literal(text: object) -> str:
    """``text`` for Plotly text (titles, tick text, legend names, hover, annotations): its
    ``<``, ``>`` and ``&`` as entities, so Plotly draws them and makes no tag, link or line break
    (quotes only matter inside a tag, and no tag can open)."""
    return html.escape(str(text).replace("\x00", "\ufffd"), quote=False)


def short_label(text: object, limit: int = LABEL_LIMIT) -> str:
    """An axis or legend label: at most ``limit`` characters, then an ellipsis (not escaped)."""
    return capped(text, limit)


def bidi_controls(text: str) -> list[str]:
    """The direction-control characters in ``text``, each once, in order of appearance."""
    return list(dict.fromkeys(ch for ch in text if ch in BIDI_CONTROLS))


def bidi_problem(text: str) -> str | None:
    """Why ``text`` is refused ('contains U+202E RIGHT-TO-LEFT OVERRIDE, ...'), or None."""
    found = bidi_controls(text)
    if not found:
        return None
    names = t("untrusted.and").join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'DIRECTION CONTROL')}" for ch in found)
    return t("untrusted.bidi", names=names)


# A URL value longer than this is dropped unread (a filter, a page option or a search).
MAX_URL_VALUE = 1_000


def url_value_problem(value: str) -> str | None:
    """Why a value from the URL is dropped unread (absurdly long, or a direction control), or None."""
    if len(value) > MAX_URL_VALUE:
        return t("untrusted.too_long", length=number(len(value)), limit=number(MAX_URL_VALUE))
    return bidi_problem(value)
