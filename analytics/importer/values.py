"""Reading one distinct cell value of each column group: dates (and their stated precision),
delegation sizes, countries (names, ISO3 codes, former states), codes and free text, each with
the reason it is not valid and a suggestion of what was meant.

Pure functions of one value, called by ``validate`` once per distinct value of a column; they
hold the wording of every reason and suggestion, so a file import and ``check_record`` say the same.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from analytics import i18n, reference
from analytics.importer.columns import DATE_PRECISIONS, FORMULA_CHARACTERS, MAX_DELEGATION
from analytics.untrusted import bidi_controls

_DATE_PATTERN = r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ]00:00(?::00(?:\.0+)?)?)?$"


def _close(value: str, candidates, n: int = 3, cutoff: float = 0.6) -> list[str]:
    if len(value) > 100:
        return []
    return difflib.get_close_matches(value, list(candidates), n=n, cutoff=cutoff)


def either(options) -> str:
    """Options joined as the language writes "a or b or c" ('a or b', 'a 或 b')."""
    return i18n.t("importer.or").join(options)


def code_shown(code: str) -> str:
    """A vocabulary code as a suggestion: the code a user types, followed by its label outside
    English (where the code is not a word of the language): 'communist（共产党）'."""
    if i18n.current() == "en":
        return code
    label = i18n.vocabulary_label(code)
    return code if label == code else i18n.t("importer.code_with_label", code=code, label=label)


def _code_suggestion(value: str, codes: tuple[str, ...]) -> str:
    matches = _close(value, codes)
    if not matches:
        matches = [code for code in codes if value and (value in code or code in value)][:3]
    return either(code_shown(code) for code in matches)


def _country_candidates() -> dict[str, str]:
    """Folded ISO3 code, UN name and common name -> 'Common name (ISO3)' to suggest."""
    shown: dict[str, str] = {}
    for row in reference.countries().itertuples(index=False):
        label = country_label(row.iso3, row.iso2, row.common_name)
        for key in (row.common_name, row.name, row.iso3):
            shown.setdefault(reference.fold(key), label)
    return shown


def _country_suggestion(value: str, candidates: dict[str, str]) -> str:
    matches = _close(reference.fold(value), candidates, cutoff=0.75)
    return either(dict.fromkeys(candidates[match] for match in matches))


def _direction_reason(text: str) -> str | None:
    """Why a cell is refused for holding an invisible direction control (any column), or None:
    'contains U+202E RIGHT-TO-LEFT OVERRIDE, which can make text read backwards: ...'."""
    found = bidi_controls(text)
    if not found:
        return None
    names = i18n.t("importer.and").join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'DIRECTION CONTROL')}" for ch in found)
    return i18n.t("importer.reason.direction_control", names=names)


def _text_value(text: str) -> str:
    text = text.strip()
    # An apostrophe before = + - @ is a spreadsheet's text marker (and that of our exports).
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_CHARACTERS:
        return text[1:]
    return text


def _code_value(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


_DATE_RE = re.compile(_DATE_PATTERN)


def _date_value(
    text: str, earliest_year: int, today: dt.date, stated: str = ""
) -> tuple[str, dt.date | None, str | None]:
    """(status, date, precision) of one date cell; status is '' when the date is valid.

    ``stated`` is the row's ``date_precision`` (day, month, year or empty): a full date with a
    coarser stated precision is kept at that precision when it is the first day of its month or year.
    """
    text = text.strip()
    if not text:
        return "missing", None, None
    match = _DATE_RE.match(text)
    if not match:
        return "unparsed", None, None
    year = int(match[1])
    month = int(match[2]) if match[2] else None
    day = int(match[3]) if match[3] else None
    if year < earliest_year:
        return "early", None, None
    if year > today.year:
        return "future", None, None
    try:
        date = dt.date(year, month or 1, day or 1)
    except ValueError:
        return "impossible", None, None
    if date > today:
        return "future", None, None
    written = "day" if day else "month" if month else "year"
    if stated and stated != written:
        if DATE_PRECISIONS.index(stated) < DATE_PRECISIONS.index(written):
            return f"coarse:{stated}:{written}", None, None
        if (stated == "year" and (date.month, date.day) != (1, 1)) or (stated == "month" and date.day != 1):
            return f"inconsistent:{stated}", None, None
        return "", date, stated
    return "", date, written


def _iso_date(year: int, month: int, day: int | None = None) -> str:
    """'YYYY-MM-DD' (or 'YYYY-MM' without a day) when it is a calendar date, else ''."""
    try:
        date = dt.date(year, month, day or 1)
    except ValueError:
        return ""
    return f"{date:%Y-%m-%d}" if day else f"{date:%Y-%m}"


_NAMED_DATE_FORMATS = (
    ("%d %B %Y", "%Y-%m-%d"),
    ("%d %b %Y", "%Y-%m-%d"),
    ("%B %d, %Y", "%Y-%m-%d"),
    ("%b %d, %Y", "%Y-%m-%d"),
    ("%B %d %Y", "%Y-%m-%d"),
    ("%B %Y", "%Y-%m"),
    ("%b %Y", "%Y-%m"),
)


EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date_suggestion(text: str) -> str:
    """The format's spelling of a date written another way ('' when there is no likely reading)."""
    text = text.strip()
    if match := re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?", text):
        return _iso_date(int(match[1]), int(match[2]), int(match[3]) if match[3] else None)  # 2019年3月5日
    if match := re.fullmatch(r"(\d{4})[/.](\d{1,2})(?:[/.](\d{1,2}))?", text):
        return _iso_date(int(match[1]), int(match[2]), int(match[3]) if match[3] else None)
    if match := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text):
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        day_month, month_day = _iso_date(year, second, first), _iso_date(year, first, second)
        if day_month and month_day and day_month != month_day:
            return i18n.t("importer.suggest.day_or_month_first", day_month=day_month, month_day=month_day)
        return day_month or month_day
    if match := re.fullmatch(r"(\d{1,2})[/.\-](\d{4})", text):
        return _iso_date(int(match[2]), int(match[1]))
    if match := re.fullmatch(r"(\d{5})(?:\.0+)?", text):
        day = f"{EXCEL_EPOCH + dt.timedelta(days=int(match[1])):%Y-%m-%d}"
        return i18n.t("importer.suggest.excel_serial", date=day, serial=match[1])
    for pattern, shown in _NAMED_DATE_FORMATS:
        try:
            return f"{dt.datetime.strptime(text, pattern):{shown}}"
        except ValueError:
            continue
    return ""


def _delegation_value(text: str) -> tuple[str, int | None, str]:
    """(reason, size, suggestion) of one delegation_size cell; reason is '' when it is valid."""
    text = text.strip()
    if not text:
        return "", None, ""
    try:
        number = float(text)
    except ValueError:
        if re.fullmatch(r"\d{1,3}(?:[,' \u00a0\u202f]\d{3})+", text):
            digits = re.sub(r"\D", "", text)  # thousands separators: 1,200 is 1200
        else:
            numbers = re.findall(r"\d+", text)
            digits = numbers[0] if len(numbers) == 1 else ""
        fits = digits and 0 < int(digits) <= MAX_DELEGATION
        return i18n.t("importer.reason.delegation_not_number"), None, str(int(digits)) if fits else ""
    if not np.isfinite(number) or not number.is_integer() or not 0 < number <= MAX_DELEGATION:
        return i18n.t("importer.reason.delegation_range", most=i18n.number(MAX_DELEGATION)), None, ""
    return "", int(number), ""


@dataclass(frozen=True)
class _Countries:
    """What the country checks look names and codes up in."""

    codes: frozenset[str]
    labels: dict[str, str]  # ISO3 -> 'Common name (ISO3)' (in English), 'ISO3（中文名）'
    names: dict[str, str]  # ISO3 -> UN name
    common: dict[str, str]  # ISO3 -> common English name


def country_label(iso3: str, iso2: str | None, common_name: str) -> str:
    """A country as a suggestion: 'Germany (DEU)' in English (a name or code the file may hold);
    outside English the code to type, then the country's name in the language: 'DEU（德国）'."""
    if i18n.current() == "en":
        return f"{common_name} ({iso3})"
    return i18n.t("importer.code_with_label", code=iso3, label=i18n.country_name(iso2, common_name))


def _countries() -> _Countries:
    table = reference.countries()
    return _Countries(
        codes=frozenset(table["iso3"]),
        labels={row.iso3: country_label(row.iso3, row.iso2, row.common_name) for row in table.itertuples(index=False)},
        names=dict(zip(table["iso3"], table["name"], strict=True)),
        common=dict(zip(table["iso3"], table["common_name"], strict=True)),
    )


def _named_country(name: str) -> str | None:
    """ISO3 of a country name, alias or code; None when unknown or ambiguous."""
    if reference.fold(name) in reference.AMBIGUOUS_COUNTRIES:
        return None
    return reference.match_country(name)


def _country_value(
    name: str, code: str, known: _Countries, candidates: dict[str, str]
) -> tuple[str | None, str, str, str]:
    """(ISO3, problem column, reason, suggestion) of one row's ``country`` and ``country_iso3``
    (empty when the file has no such column); the reason is '' when the country is valid or missing."""
    name, code = name.strip(), code.strip().upper()
    if code:
        if code in known.codes:
            named = _named_country(name) if name else None
            if named is not None and named != code:
                reason = i18n.t("importer.reason.country_conflict", named=known.labels[named], code=code)
                return None, "country", reason, known.labels[code]
            return code, "", "", ""
        if former := reference.former_state(code):
            return (None, "country_iso3", *_former_problem(former, known))
        return None, "country_iso3", i18n.t("importer.reason.not_iso3"), _country_suggestion(code, candidates)
    if not name:
        return None, "", "", ""
    folded = reference.fold(name)
    if folded in reference.AMBIGUOUS_COUNTRIES:
        options = reference.AMBIGUOUS_COUNTRIES[folded]
        shown = [
            f"{known.names[iso] if reference.fold(known.names[iso]) != folded else known.common[iso]} ({iso})"
            for iso in options
        ]
        return (
            None,
            "country",
            i18n.t("importer.reason.country_ambiguous", options=either(shown)),
            either(known.labels[iso] for iso in options),
        )
    matched = reference.match_country(name)
    if matched is not None:
        return matched, "", "", ""
    if former := reference.former_state(name):
        return (None, "country", *_former_problem(former, known))
    return (
        None,
        "country",
        i18n.t("importer.reason.country_unknown"),
        _country_suggestion(name, candidates),
    )


def _former_problem(code: str, known: _Countries) -> tuple[str, str]:
    name, _, successor = reference.FORMER_STATES[code]
    return (
        i18n.t("importer.reason.former_state", name=name, code=code),
        known.labels[successor],
    )
