"""The one set of filters every metric, chart, page, export and CLI command takes.

A ``Filters`` value is immutable and hashable (so it can key a cache). Values within one
dimension are OR-ed, dimensions are AND-ed, an empty dimension means no restriction.
``Filters.where()`` compiles it to a parameterised WHERE clause over the ``exchange_rows``
view: user values only ever travel as parameters. ``Filters.validated()`` rejects unknown
codes with a message listing the valid ones. ``describe()`` says the filters in words, and the
errors say what is wrong, in the current language (catalogue messages, ``analytics.i18n``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any

from analytics import dimensions, vocab
from analytics.errors import InvalidInputError
from analytics.i18n import current, region_name, t, vocabulary_label
from analytics.reference import countries as reference_countries
from analytics.untrusted import bidi_problem, capped

DEFAULT_FIRST_YEAR = 1978


class FilterError(InvalidInputError):
    """A filter value that is not a known code, region, country or year."""


# Views of the dimension registry (analytics.dimensions), by Filters field. Identifiers come only
# from the registry.
DIMENSION_COLUMNS: dict[str, str] = {d.filter_field: d.column for d in dimensions.FILTERABLE if d.filter_field}
CODE_DIMENSIONS: dict[str, tuple[str, ...]] = {
    d.filter_field: d.vocabulary for d in dimensions.FILTERABLE if d.filter_field and d.coded
}
# Short words used in the URL and the CLI for each dimension.
DIMENSION_PARAMS: dict[str, str] = {d.filter_field: d.word for d in dimensions.FILTERABLE if d.filter_field and d.word}


def region_names() -> tuple[str, ...]:
    """Valid region values: the six regions and the international organisations bucket."""
    return vocab.REGIONS + (vocab.INTERNATIONAL_BUCKET,)


@lru_cache(maxsize=1)
def subregion_names() -> tuple[str, ...]:
    """Valid sub-region values, from the reference countries, plus the international bucket."""
    return tuple(sorted(set(reference_countries()["subregion"]))) + (vocab.INTERNATIONAL_BUCKET,)


@lru_cache(maxsize=1)
def country_codes() -> tuple[str, ...]:
    """Valid ISO3 codes."""
    return tuple(reference_countries()["iso3"])


def _quoted(value: object) -> str:
    """A value in a message, quoted as the language quotes: 'Afrika' (its repr), “Afrika”; both
    escape what a repr escapes (direction controls, line breaks)."""
    return f"“{repr(str(value))[1:-1]}”" if current() == "zh" else repr(value)


def _canonical(values: tuple[str, ...], valid: tuple[str, ...], what: str, fold=str.casefold) -> tuple[str, ...]:
    by_key = {fold(v): v for v in valid}
    result, unknown = [], []
    for value in values:
        match = by_key.get(fold(str(value).strip()))
        (result.append(match) if match else unknown.append(value))
    if unknown:
        separator = t("filters.list_separator")
        shown = separator.join(valid) if len(valid) <= 40 else separator.join(valid[:40]) + t("filters.error.more")
        hints = []
        for value in unknown[:5]:
            if len(str(value)) > 100:
                continue  # no close match to find, and matching a long value is slow
            close = difflib.get_close_matches(fold(str(value).strip()), list(by_key), n=3, cutoff=0.6)
            if close:
                options = t("filters.error.or").join(_quoted(by_key[c]) for c in close)
                hints.append(t("filters.error.did_you_mean", value=_quoted(capped(value)), options=options))
        hint = t("filters.error.hints", hints=t("filters.error.hint_separator").join(hints)) if hints else ""
        raise FilterError(
            t(
                "filters.error.unknown",
                what=what,
                values=separator.join(_quoted(capped(value)) for value in unknown[:5]),
                more=t("filters.error.more") if len(unknown) > 5 else "",
                hint=hint,
                valid=shown,
            )
        )
    return tuple(dict.fromkeys(result))


@dataclass(frozen=True)
class Filters:
    """A slice of the ledger. Years are inclusive; ``None`` means the default window."""

    year_from: int | None = None
    year_to: int | None = None
    regions: tuple[str, ...] = ()
    subregions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    party: str | None = None

    def __post_init__(self):
        for name in DIMENSION_COLUMNS:
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value))

    def validated(self) -> Filters:
        """The same filters with codes checked and names made canonical; raises FilterError."""
        years: dict[str, Any] = {}
        for bound, bound_key in (("year_from", "filters.bound.year_from"), ("year_to", "filters.bound.year_to")):
            year = getattr(self, bound)
            if year is not None:
                try:
                    year = int(str(year).strip())
                except (ValueError, TypeError):
                    raise FilterError(
                        t("filters.error.not_a_year", bound=t(bound_key), value=_quoted(capped(year)))
                    ) from None
                if not (1900 <= year <= 2200):
                    raise FilterError(t("filters.error.implausible_year", bound=t(bound_key), year=year))
            years[bound] = year
        if years["year_from"] is not None and years["year_to"] is not None and years["year_from"] > years["year_to"]:
            raise FilterError(t("filters.error.empty_range", first=years["year_from"], last=years["year_to"]))
        changes: dict[str, Any] = {
            "regions": _canonical(self.regions, region_names(), dimensions.REGION.value_word),
            "subregions": _canonical(self.subregions, subregion_names(), dimensions.SUBREGION.value_word),
            "countries": _canonical(self.countries, country_codes(), dimensions.COUNTRY.value_word),
        }
        for name, valid in CODE_DIMENSIONS.items():
            changes[name] = _canonical(getattr(self, name), valid, dimensions.BY_FILTER_FIELD[name].value_word)
        if self.party is not None and not isinstance(self.party, str):
            raise FilterError(t("filters.error.party_not_text", value=_quoted(capped(self.party))))
        party = self.party.strip() if self.party else None
        problem = bidi_problem(party) if party else None
        if problem:
            raise FilterError(t("filters.error.party_controls", party=_quoted(capped(party)), problem=problem))
        return replace(self, party=party or None, **years, **changes)

    def where(self, *, include_years: bool = True, default_first_year: int | None = None) -> tuple[str, list]:
        """(SQL condition, parameters) over ``exchange_rows``; ``TRUE`` when nothing is set."""
        clauses: list[str] = []
        params: list = []
        if include_years:
            first = self.year_from if self.year_from is not None else default_first_year
            if first is not None:
                clauses.append("year >= ?")
                params.append(int(first))
            if self.year_to is not None:
                clauses.append("year <= ?")
                params.append(int(self.year_to))
        for name, column in DIMENSION_COLUMNS.items():
            values = getattr(self, name)
            if values:
                clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        if self.party:  # the recorded name or the Chinese one, in any case
            clauses.append("(lower(party) = lower(?) OR lower(party_zh) = lower(?))")
            params.extend([self.party, self.party])
        return (" AND ".join(clauses) if clauses else "TRUE"), params

    def with_years(self, year_from: int | None, year_to: int | None) -> Filters:
        """The same filters over another year range."""
        return replace(self, year_from=year_from, year_to=year_to)

    def is_empty(self) -> bool:
        """True when no dimension and no year bound is set."""
        return self == Filters()

    def describe(self) -> str:
        """The filters in words in the current language, for captions and exported images:
        '2015–2025; Family: Communist' ('2015—2025年；类别：共产党'), 'All exchanges' when none.
        Codes are shown by their labels, regions by their names in the language; countries as
        given (``chart_catalog.filters_caption`` gives their names). Plain text (a party name may
        hold anything): escape it for Markdown or Plotly."""
        parts = []
        if self.year_from is not None and self.year_to is not None:
            parts.append(t("filters.years", first=self.year_from, last=self.year_to))
        elif self.year_from is not None:
            parts.append(t("filters.years.from", first=self.year_from))
        elif self.year_to is not None:
            parts.append(t("filters.years.to", last=self.year_to))
        separator = t("filters.list_separator")
        for dimension in dimensions.FILTERABLE:
            values = getattr(self, dimension.filter_field or "")
            if values:
                if dimension.coded:
                    shown = [vocabulary_label(v) for v in values]
                elif dimension.name in ("region", "subregion"):
                    shown = [region_name(v) for v in values]
                else:
                    shown = list(values)
                parts.append(t("filters.part", dimension=dimension.short_label, values=separator.join(shown)))
        if self.party:
            # capped: a 5,000-character name would fill the caption
            parts.append(t("filters.part", dimension=t("filters.party"), values=capped(self.party)))
        return t("filters.part_separator").join(parts) if parts else t("filters.all")

    def to_params(self) -> dict[str, list[str]]:
        """URL query / JSON form: short names to lists of strings (empty dimensions left out)."""
        params: dict[str, list[str]] = {}
        if self.year_from is not None:
            params["from"] = [str(self.year_from)]
        if self.year_to is not None:
            params["to"] = [str(self.year_to)]
        for name, short in DIMENSION_PARAMS.items():
            if getattr(self, name):
                params[short] = list(getattr(self, name))
        if self.party:
            params["party"] = [self.party]
        return params

    @classmethod
    def from_params(cls, params: dict[str, list[str] | str]) -> Filters:
        """Inverse of ``to_params``; validates, so bad values raise FilterError."""

        def values(key) -> list[str]:
            raw = params.get(key, [])
            if raw is None:
                return []
            raw = [raw] if isinstance(raw, str) else raw
            if not isinstance(raw, (list, tuple)) or not all(isinstance(v, str) for v in raw):
                example = '["1990"]' if key in ("from", "to") else '["Africa"]'
                raise FilterError(
                    t("filters.error.not_texts", key=_quoted(key), example=example, value=capped(repr(raw)))
                )
            return list(raw)

        def year(key):
            given = params.get(key)
            if isinstance(given, int) and not isinstance(given, bool):
                raw = [str(given)]  # a year written as a JSON number
            else:
                raw = values(key)
            if not raw or raw[0] == "":
                return None
            try:
                return int(raw[0])
            except ValueError:
                raise FilterError(
                    t("filters.error.param_not_a_year", key=_quoted(key), value=_quoted(capped(raw[0])))
                ) from None

        kwargs = {name: tuple(values(short)) for name, short in DIMENSION_PARAMS.items()}
        party = values("party")
        return cls(year_from=year("from"), year_to=year("to"), party=party[0] if party else None, **kwargs).validated()


def filter_field_names() -> tuple[str, ...]:
    """Every field of Filters, in order."""
    return tuple(f.name for f in fields(Filters))
