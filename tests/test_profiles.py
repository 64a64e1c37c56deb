"""Profiles: the URL form of a profile, the filters that scope it, the selector choices and the
summary, on a tiny ledger (numbers worked out by hand).

    row  date        party / country       family             status
    1    2001-03-01  Red Party / FRA        communist          ruling
    2    2003-07-01  Red Party / FRA        communist          opposition
    3    2003-08-01  Rose Party / FRA       socialist          ruling
    4    2010-01-01  Red Party / KEN        communist          ruling      (same name, other country)
    5    2011-01-01  Blue League / (none)   international_org  other
"""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.filters import Filters
from analytics.i18n import using
from analytics.ledger import connect_read_only
from analytics.profiles import Profile, ProfileError, country_choices, party_choices, profile_filters, summary
from tests.ledgers import build_ledger

ROWS = [
    {"date": "2001-03-01", "party": "Red Party", "family": "communist"},
    {"date": "2003-07-01", "party": "Red Party", "family": "communist", "status": "opposition"},
    {"date": "2003-08-01", "party": "Rose Party", "family": "socialist"},
    {"date": "2010-01-01", "party": "Red Party", "country": "KEN", "family": "communist"},
    {"date": "2011-01-01", "party": "Blue League", "country": None, "family": "international_org", "status": "other"},
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = build_ledger(tmp_path_factory.mktemp("profiles") / "tiny.duckdb", ROWS)
    connection = connect_read_only(path)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    "profile",
    [
        Profile("country", iso3="FRA"),
        Profile("party", iso3="FRA", party="Red Party"),
        Profile("party", iso3="", party="Blue League: the second"),
    ],
)
def test_profile_url_round_trip(profile):
    assert Profile.from_param(profile.to_param()) == profile


@pytest.mark.parametrize("text", ["", "country:", "party:FRA", "party:FRA:", "region:Africa", "FRA"])
def test_bad_profile_param(text):
    with pytest.raises(ProfileError):
        Profile.from_param(text)


def test_profile_filters_replace_geography_keep_the_rest():
    shared = Filters(year_from=2000, regions=("Asia",), countries=("CHN",), forms=("study_trip",), party="X")
    assert profile_filters(shared, Profile("country", iso3="FRA")) == Filters(
        year_from=2000, countries=("FRA",), forms=("study_trip",)
    )
    assert profile_filters(shared, Profile("party", iso3="", party="Blue League")) == Filters(
        year_from=2000, regions=("International organisations",), forms=("study_trip",), party="Blue League"
    )


def test_choices(con):
    countries = country_choices(con)
    assert list(countries["country_iso3"]) == ["FRA", "KEN"] and list(countries["exchanges"]) == [3, 1]
    parties = party_choices(con)
    assert [
        (p, c, n) for p, c, n in zip(parties["party"], parties["country_iso3"], parties["exchanges"], strict=True)
    ] == [("Red Party", "FRA", 2), ("Blue League", "", 1), ("Red Party", "KEN", 1), ("Rose Party", "FRA", 1)]
    assert parties.loc[parties["country_iso3"] == "", "country"].item() == "International organisations"
    assert list(party_choices(con, "KEN")["party"]) == ["Red Party"]


def test_summary_of_one_party_in_one_country(con):
    scope = profile_filters(Filters(year_from=2000), Profile("party", iso3="FRA", party="Red Party"))
    result = summary(con, scope)
    assert (result["exchanges"], result["events"], result["parties"]) == (2, 2, 1)
    assert result["first_date"].date() == dt.date(2001, 3, 1) and result["last_date"].date() == dt.date(2003, 7, 1)
    assert result["family"] == "communist"
    later = summary(con, scope.with_years(2002, 2011))
    assert later["exchanges"] == 1 and later["all_years_exchanges"] == 2


@pytest.mark.parametrize(
    ("make", "chinese"),
    [
        (lambda: Profile("region"), "未知的概况类型'region'；请选择国家（country）或政党（party）。"),
        (lambda: Profile("country"), "国家概况需要指定国家（ISO3代码）。"),
        (lambda: Profile("party", iso3="FRA"), "政党概况需要指定政党名称。"),
        (
            lambda: Profile.from_param("party:FRA"),
            "'party:FRA'不是有效的概况（应为 country:ISO3 或 party:ISO3:名称）。",
        ),
    ],
)
def test_profile_errors_in_chinese(make, chinese):
    with using("zh"), pytest.raises(ProfileError) as caught:
        make()
    assert str(caught.value) == chinese
