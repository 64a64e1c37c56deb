"""Profiles of one country or one party: the choices for the selectors, the filters that scope a
profile, and a one-row summary (first and last contact, totals).

The charts of a profile are the ordinary catalog charts drawn with the profile's filters
(``profile_filters``), so a profile's numbers are the same metrics as everywhere else. Called
by the Profiles page through ``pages/cache.py``. Its error messages are in the current language.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
import pandas as pd

from analytics import vocab
from analytics.errors import InvalidInputError
from analytics.filters import Filters
from analytics.i18n import t
from analytics.ledger import query_frame
from analytics.metrics import window

KINDS = ("country", "party")


class ProfileError(InvalidInputError):
    """A profile asked for with an unknown kind or without an entity."""


@dataclass(frozen=True)
class Profile:
    """What a profile is of: a country (``iso3``) or a party (``party`` and its country, ``iso3``
    '' for an international organisation)."""

    kind: str
    iso3: str = ""
    party: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ProfileError(t("profiles.error.kind", kind=repr(self.kind)))
        if self.kind == "country" and not self.iso3:
            raise ProfileError(t("profiles.error.no_country"))
        if self.kind == "party" and not self.party:
            raise ProfileError(t("profiles.error.no_party"))

    def to_param(self) -> str:
        """URL form: 'country:FRA' or 'party:FRA:Socialist Party' ('party::Name' for an organisation)."""
        return f"country:{self.iso3}" if self.kind == "country" else f"party:{self.iso3}:{self.party}"

    @classmethod
    def from_param(cls, text: str) -> Profile:
        """Inverse of ``to_param``; raises ProfileError on a malformed value."""
        kind, _, rest = str(text).partition(":")
        if kind == "country" and rest:
            return cls("country", iso3=rest.strip().upper())
        if kind == "party":
            iso3, sep, name = rest.partition(":")
            if sep and name.strip():
                return cls("party", iso3=iso3.strip().upper(), party=name.strip())
        raise ProfileError(t("profiles.error.not_a_profile", text=repr(text)))


def profile_filters(filters: Filters, profile: Profile) -> Filters:
    """The shared filters scoped to one country or party: its geography replaces the filters'
    regions, sub-regions and countries; years and the other dimensions are kept."""
    base = replace(filters, regions=(), subregions=(), countries=(), party=None)
    if profile.kind == "country":
        return replace(base, countries=(profile.iso3,))
    if profile.iso3:
        return replace(base, countries=(profile.iso3,), party=profile.party)
    return replace(base, regions=(vocab.INTERNATIONAL_BUCKET,), party=profile.party)


def country_choices(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every country with at least one exchange, most exchanges first.

    Columns: country_iso3, country, region, exchanges.
    """
    return query_frame(
        con,
        """
        SELECT country_iso3, any_value(country) AS country, any_value(region) AS region, count(*) AS exchanges
        FROM exchange_rows WHERE country_iso3 IS NOT NULL
        GROUP BY country_iso3 ORDER BY exchanges DESC, country""",
        [],
    )


def party_choices(con: duckdb.DuckDBPyConnection, iso3: str | None = None) -> pd.DataFrame:
    """Every party with at least one exchange (of one country when ``iso3`` is given; '' for the
    international organisations), most exchanges first.

    Columns: party, party_zh (its Chinese name, or null), country_iso3 ('' for an organisation), country,
    party_family, exchanges.
    """
    where, params = "TRUE", []
    if iso3 is not None:
        where, params = "coalesce(country_iso3, '') = ?", [iso3]
    frame = query_frame(
        con,
        f"""
        SELECT party, any_value(party_zh) AS party_zh, coalesce(country_iso3, '') AS country_iso3,
               any_value(country) AS country,
               any_value(party_family) AS party_family, count(*) AS exchanges
        FROM exchange_rows WHERE {where}
        GROUP BY party, coalesce(country_iso3, '') ORDER BY exchanges DESC, party""",
        params,
    )
    frame.loc[frame["country_iso3"] == "", "country"] = vocab.INTERNATIONAL_BUCKET
    return frame


def summary(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict:
    """Totals of a profile's filters in their window and over all years: exchanges, events,
    parties, first and last date, the most frequent family, status and form."""
    filters = filters.validated()
    first, last = window(con, filters)
    in_window, params = filters.with_years(first, last).where()
    all_years, all_params = filters.where(include_years=False)
    frame = query_frame(
        con,
        f"""
        SELECT count(*) AS exchanges, count(DISTINCT event_key) AS events, count(DISTINCT party_id) AS parties,
               min(date) AS first_date, max(date) AS last_date, mode(party_family) AS family,
               mode(party_status) AS status, mode(form) AS form
        FROM exchange_rows WHERE {in_window}""",
        params,
    )
    ever = query_frame(
        con, f"SELECT count(*) AS n, min(date) AS first_ever FROM exchange_rows WHERE {all_years}", all_params
    )
    row = frame.iloc[0].to_dict()
    row.update(
        window_from=first,
        window_to=last,
        all_years_exchanges=int(ever["n"].iloc[0]),
        first_ever=ever["first_ever"].iloc[0],
    )
    for key in ("exchanges", "events", "parties"):
        row[key] = int(row[key])
    return row
