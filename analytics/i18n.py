"""Languages: the message catalogues, the language of a run, and names, numbers and dates in it.

Every word a user reads comes from a gettext catalogue per language, ``analytics/locale/<lang>/
LC_MESSAGES/*.po`` (one file per area so parallel edits do not collide), compiled in memory with
Babel on first use. Keys are stable identifiers (``page.overview.title``), not English sentences,
so a copy edit of the English never orphans its Chinese; ``en`` is a full catalogue like ``zh``.
Messages take ``str.format`` fields by name (``{count}``); a literal brace is doubled.

The language of a run is ambient, like gettext's own ``_``: the CLI sets it from ``--lang`` or
``LEDGER_LANG``, a page run from the sidebar switch, through ``using()``/``set_language()``; it is a
``ContextVar``, so Streamlit sessions on their own threads never see each other's. Anything cached
that holds words must take the language as a key. Country names in Chinese come from CLDR through
Babel (by ISO code), region and sub-region names from CLDR's UN M49 territory names; numbers,
percentages and dates use Babel's CLDR formats for the language; Chinese names sort by pinyin
(pypinyin).
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from analytics import vocab
from analytics.errors import InvalidInputError
from analytics.settings import Settings, load_settings

LANGUAGES: tuple[str, ...] = ("en", "zh")
# Each language's name in itself: what the switch shows, whatever the current language.
LANGUAGE_NAMES: Mapping[str, str] = {"zh": "简体中文", "en": "English"}
LOCALES: Mapping[str, str] = {"en": "en", "zh": "zh_Hans_CN"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN_GLOB = "*.po"

# UN M49 codes of the regions and sub-regions the reference table uses (its English names are the
# ledger's codes); CLDR names these territories in every language.
M49_REGIONS: Mapping[str, str] = {
    "Africa": "002",
    "Asia": "142",
    "Europe": "150",
    "Latin America and the Caribbean": "419",
    "Northern America": "021",
    "Oceania": "009",
    "Australia and New Zealand": "053",
    "Caribbean": "029",
    "Central America": "013",
    "Central Asia": "143",
    "Eastern Africa": "014",
    "Eastern Asia": "030",
    "Eastern Europe": "151",
    "Melanesia": "054",
    "Micronesia": "057",
    "Middle Africa": "017",
    "Northern Africa": "015",
    "Northern Europe": "154",
    "Polynesia": "061",
    "South America": "005",
    "South-eastern Asia": "035",
    "Southern Africa": "018",
    "Southern Asia": "034",
    "Southern Europe": "039",
    "Western Africa": "011",
    "Western Asia": "145",
    "Western Europe": "155",
}

LANGUAGE_VARIABLE = next(f.metadata["env"] for f in fields(Settings) if f.name == "lang")

_current: ContextVar[str | None] = ContextVar("ledger_language", default=None)


class LanguageError(InvalidInputError):
    """A language other than the ones the dashboard speaks."""


def _code(value: object) -> str | None:
    word = str(value or "").strip().lower().replace("_", "-")
    code = word.split("-", 1)[0]
    return code if code in LANGUAGES else None


def normalise(value: object) -> str:
    """``en`` or ``zh`` for a language as typed (``zh-CN``, ``ZH_hans``, ``en-GB``...); else LanguageError."""
    code = _code(value)
    if code is None:
        raise LanguageError(t("language.error.unknown", value=repr(value), valid=", ".join(LANGUAGES)))
    return code


def default_language() -> str:
    """The language set by ``LEDGER_LANG`` (``en`` when unset)."""
    # Read on every message, so the setting is parsed once per value it takes.
    return _language_setting(os.environ.get(LANGUAGE_VARIABLE, ""))


@cache
def _language_setting(raw: str) -> str:
    raw = load_settings({LANGUAGE_VARIABLE: raw}).lang
    code = _code(raw)
    if code is None:  # in English: with no valid default, no language is known yet
        raise LanguageError(f"LEDGER_LANG={raw!r} is not a language: use one of {', '.join(LANGUAGES)}")
    return code


def current() -> str:
    """The language of this run: the one set by ``using``/``set_language``, else the default."""
    return _current.get() or default_language()


def set_language(lang: str) -> None:
    """Make ``lang`` the language of the rest of this run (a page run; a CLI command)."""
    _current.set(normalise(lang))


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Speak ``lang`` inside the block (the current language when None); yields the code."""
    code = normalise(lang) if lang else current()
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


def catalogue_files(lang: str) -> list[Path]:
    """The .po files of one language, in a stable order."""
    return sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob(DOMAIN_GLOB))


def read_catalogue(lang: str) -> Catalog:
    """Every .po file of ``lang`` merged into one Babel catalogue; a key defined twice is an error."""
    merged = Catalog(locale=LOCALES[lang], domain="messages")
    for path in catalogue_files(lang):
        with path.open("rb") as handle:
            part = read_po(handle, locale=LOCALES[lang])
        for message in part:
            if not message.id:
                continue
            if message.id in merged:
                raise ValueError(f"{path.name}: key {message.id!r} is defined in another catalogue file too")
            merged[message.id] = message
    return merged


@cache
def _translations(lang: str) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(lang))
    buffer.seek(0)
    translations = gettext.GNUTranslations(buffer)
    if lang != "en":
        translations.add_fallback(_translations("en"))
    return translations


def t(key: str, /, **values: object) -> str:
    """The message ``key`` in the current language, its ``{fields}`` filled from ``values``.

    Values are inserted as they are: escape untrusted text for its destination before (or after)
    formatting, as for any other string.
    """
    message = _translations(current()).gettext(key)
    return message.format_map(values) if values else message


def t_in(lang: str, key: str, /, **values: object) -> str:
    """``t`` in a given language (the language switch names; a file recording its language)."""
    with using(lang):
        return t(key, **values)


def plural(key: str, count: int, /, **values: object) -> str:
    """The singular or plural form of ``key`` for ``count`` (gettext plural rules); ``{count}`` is formatted."""
    message = _translations(current()).ngettext(key, key + ".plural", count)
    return message.format_map({"count": number(count), **values})


def vocabulary_label(code: object) -> str:
    """The label of a vocabulary code (party family, status, form, direction, level); others unchanged."""
    key = f"vocab.{code}"
    message = t(key)
    return str(code) if message == key else message


def locale() -> Locale:
    """Babel's locale of the current language."""
    return _locale(current())


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(LOCALES[lang])


@cache
def _number_symbols(lang: str) -> tuple[dict[int, str], str]:
    """CLDR's group and decimal signs as a translation of Python's ',' and '.', and the percent sign."""
    symbols = _locale(lang).number_symbols["latn"]
    return str.maketrans({",": symbols["group"], ".": symbols["decimal"]}), symbols["percentSign"]


def number(value: float | int, *, digits: int = 0) -> str:
    """A number with the language's grouping (12,345), rounded to ``digits`` decimals.

    CLDR's signs on Python's formatting: Babel's own formatter is the reference (a test compares
    them) but costs 20 µs a number, too slow for a table's every cell.
    """
    signs, _ = _number_symbols(current())
    return f"{value:,.{digits}f}".translate(signs)


def percent(share: float, *, digits: int = 1) -> str:
    """A share (0.123) as a percentage in the language's format (12.3%)."""
    signs, percent_sign = _number_symbols(current())
    return f"{share * 100:,.{digits}f}".translate(signs) + percent_sign


def month(day: dt.date) -> str:
    """A month as the language writes it: 'Mar 2025', '2025年3月'."""
    return format_skeleton("yMMM", day, locale=locale())


def date(day: dt.date) -> str:
    """A day as the language writes it: '2025-03-01' in English (ISO, as the ledger), '2025年3月1日'."""
    if current() == "en":
        return day.isoformat()
    return format_skeleton("yMMMd", day, locale=locale())


def sort_key(text: object) -> tuple[str, ...]:
    """A key that sorts names as a reader of the current language expects: by pinyin, syllable by
    syllable with its tone, in Chinese (阿尔及利亚, 澳大利亚, 巴西, 德国...); case-blind in English."""
    word = str(text)
    if current() == "zh":
        # Imported on first use: its dictionaries take about a second to load, which every
        # command would pay at start.
        from pypinyin import Style, lazy_pinyin

        return (*lazy_pinyin(word, style=Style.TONE3), word)
    return (word.casefold(), word)


def country_name(iso2: str | None, recorded: str) -> str:
    """A country's name: as recorded in English; CLDR's standard short name in Chinese."""
    if current() == "en" or not iso2:
        return recorded
    return locale().territories.get(iso2.upper(), recorded)


def region_name(name: str) -> str:
    """A region or sub-region (its English UN M49 name) in the current language; others unchanged."""
    if current() == "en":
        return name
    if name == vocab.INTERNATIONAL_BUCKET:
        return t("region.international")
    code = M49_REGIONS.get(name)
    return name if code is None else locale().territories.get(code, name)
