"""The filter flags shared by every command that reads a slice of the ledger (``metric``,
``export``, ``briefing``): ``add_filter_arguments(parser)`` adds them and
``filters_from_args(args)`` turns the parsed values into a validated ``Filters``.

Each dimension flag may be repeated: values of one flag are OR-ed, different flags AND-ed.
Years are parsed here (not by argparse) so that a bad year is reported like any other bad
value: one line on standard error and exit code 2.
"""

from __future__ import annotations

import argparse

from analytics import dimensions, reference
from analytics.filters import FilterError, Filters, country_codes
from analytics.i18n import t
from analytics.reference import match_country

# (flag, Filters field, metavar, help), from the dimension registry.
DIMENSION_FLAGS: tuple[tuple[str, str, str, str], ...] = tuple(
    (f"--{d.word}", d.filter_field, d.cli_metavar, d.cli_help)
    for d in dimensions.FILTERABLE
    if d.word and d.filter_field
)


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --from, --to, the dimension flags and --party to ``parser`` (in an argument group)."""
    group = parser.add_argument_group(
        "filters", "Each flag may be repeated: values of one flag are OR-ed, different flags AND-ed."
    )
    group.add_argument("--from", dest="year_from", metavar="YEAR", help="first year (default 1978)")
    group.add_argument("--to", dest="year_to", metavar="YEAR", help="last year (default: the last year with data)")
    for flag, field, metavar, help_text in DIMENSION_FLAGS:
        group.add_argument(flag, dest=f"filter_{field}", action="append", default=[], metavar=metavar, help=help_text)
    group.add_argument(
        "--party",
        dest="filter_party",
        action="append",
        default=[],
        metavar="NAME",
        help="one party, by its name or its Chinese name (any case); the same name in two countries matches both, add --country to pick one",
    )


def _year(text: str | None, flag: str) -> int | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        return int(str(text).strip())
    except ValueError:
        raise FilterError(t("error.cli.year", flag=flag, text=repr(text))) from None


def country_code(text: str) -> str:
    """An ISO3 code (any case), or the ISO3 of an English name or alias (UAE, DRC, Viet Nam...);
    unknown text is left for validation, which lists the valid codes."""
    text = str(text).strip()
    if text.upper() in country_codes():
        return text.upper()
    folded = reference.fold(text)
    if folded in reference.AMBIGUOUS_COUNTRIES:
        raise FilterError(
            t("error.cli.country_ambiguous", text=repr(text), codes=", ".join(reference.AMBIGUOUS_COUNTRIES[folded]))
        )
    if former := reference.former_state(text):
        name, _, successor = reference.FORMER_STATES[former]
        raise FilterError(t("error.cli.former_state", text=repr(text), name=name, successor=successor))
    return match_country(text) or text


def filters_from_args(args: argparse.Namespace) -> Filters:
    """The validated Filters of parsed arguments; raises FilterError with the valid values."""
    parties = [p for p in getattr(args, "filter_party", []) if p and p.strip()]
    if len(set(parties)) > 1:
        raise FilterError(t("error.cli.party_once", parties=", ".join(map(repr, parties))))
    values = {field: tuple(getattr(args, f"filter_{field}", []) or ()) for _, field, _, _ in DIMENSION_FLAGS}
    values["countries"] = tuple(country_code(c) for c in values["countries"])
    return Filters(
        year_from=_year(getattr(args, "year_from", None), "--from"),
        year_to=_year(getattr(args, "year_to", None), "--to"),
        party=parties[0] if parties else None,
        **values,
    ).validated()
