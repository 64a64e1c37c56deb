"""Filters: validation, the parameterised WHERE clause, the URL form, the description, and the
shared CLI filter flags (``analytics.commands.filter_args``)."""

from __future__ import annotations

import argparse

import pytest

from analytics.commands.filter_args import add_filter_arguments, filters_from_args
from analytics.filters import DIMENSION_COLUMNS, FilterError, Filters, filter_field_names
from analytics.i18n import using


def test_empty_filters_compile_to_true():
    assert Filters().where() == ("TRUE", [])
    assert Filters().is_empty()
    assert Filters().describe() == "All exchanges"


def test_where_values_are_parameters_only():
    hostile = "x') OR 1=1 --"
    sql, params = Filters(regions=("Europe", "Asia"), party=hostile, year_from=1990, year_to=1999).where()
    assert sql == (
        "year >= ? AND year <= ? AND region IN (?, ?) AND (lower(party) = lower(?) OR lower(party_zh) = lower(?))"
    )
    assert params == [1990, 1999, "Europe", "Asia", hostile, hostile]
    assert hostile not in sql


def test_where_without_years_and_default_first_year():
    filters = Filters(year_from=1990, families=("green",))
    assert filters.where(include_years=False) == ("party_family IN (?)", ["green"])
    assert Filters().where(default_first_year=1978) == ("year >= ?", [1978])


@pytest.mark.parametrize(
    ("field", "value", "column"),
    [
        ("regions", "Africa", "region"),
        ("subregions", "Caribbean", "subregion"),
        ("countries", "KEN", "country_iso3"),
        ("families", "green", "party_family"),
        ("statuses", "ruling", "party_status"),
        ("forms", "study_trip", "form"),
        ("directions", "virtual", "direction"),
        ("levels", "leader", "level"),
    ],
)
def test_every_dimension_compiles_to_its_column(field, value, column):
    assert DIMENSION_COLUMNS[field] == column
    assert Filters(**{field: (value,)}).validated().where() == (f"{column} IN (?)", [value])


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            Filters(regions=("africa", "LATIN AMERICA AND THE CARIBBEAN")),
            Filters(regions=("Africa", "Latin America and the Caribbean")),
        ),
        (Filters(regions=("international organisations",)), Filters(regions=("International organisations",))),
        (Filters(subregions=("south america",)), Filters(subregions=("South America",))),
        (Filters(countries=("fra", " deu ")), Filters(countries=("FRA", "DEU"))),
        (Filters(families=("Green", "green")), Filters(families=("green",))),  # duplicates dropped
        (Filters(party="  Socialist Party "), Filters(party="Socialist Party")),
        (Filters(party="   "), Filters()),
        (Filters(year_from="1990", year_to=" 1999"), Filters(year_from=1990, year_to=1999)),
        (Filters(regions="Asia"), Filters(regions=("Asia",))),  # a single string is one value
    ],
)
def test_validated_makes_values_canonical(given, expected):
    assert given.validated() == expected


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (Filters(regions=("Atlantis",)), "Unknown region: 'Atlantis'. Valid values: Africa, Asia, Europe"),
        (Filters(subregions=("Middle Earth",)), "Unknown sub-region"),
        (Filters(countries=("XXX",)), r"Unknown country code \(ISO3\): 'XXX'"),
        (Filters(families=("maoist",)), "Unknown party family: 'maoist'. Valid values: communist, socialist"),
        (Filters(statuses=("exiled",)), "Unknown status: 'exiled'. Valid values: ruling, coalition"),
        (Filters(forms=("dinner",)), "Unknown form: 'dinner'. Valid values: high_level_visit"),
        (Filters(directions=("sideways",)), "Unknown direction: 'sideways'. Valid values: inbound"),
        (Filters(levels=("minister",)), "Unknown level: 'minister'. Valid values: leader"),
        (Filters(families=("comunist",)), "did you mean 'communist'"),
        (Filters(year_from=1850), "not a plausible year"),
        (Filters(year_to="19x9"), "must be a year"),
        (Filters(year_from=2000, year_to=1990), "The year range is empty"),
    ],
)
def test_validated_rejects_bad_values_listing_valid_ones(filters, message):
    with pytest.raises(FilterError, match=message):
        filters.validated()


def test_params_round_trip():
    filters = Filters(
        year_from=1990,
        year_to=2000,
        regions=("Europe",),
        countries=("FRA", "DEU"),
        families=("green",),
        statuses=("ruling",),
        forms=("study_trip",),
        directions=("inbound",),
        levels=("leader",),
        subregions=("Western Europe",),
        party="Green Union",
    )
    params = filters.to_params()
    assert params["country"] == ["FRA", "DEU"] and params["from"] == ["1990"]
    assert Filters.from_params(params) == filters
    assert Filters.from_params({}) == Filters()
    with pytest.raises(FilterError, match="'from' must be a year"):
        Filters.from_params({"from": "soon"})


def test_describe_in_words():
    text = Filters(year_from=1990, regions=("Europe",), families=("social_democratic",), party="X").describe()
    assert text == "1990–latest; Region: Europe; Family: Social democratic and labour; Party: X"


def test_filters_are_hashable_and_fields_listed():
    assert hash(Filters(regions=("Asia",))) == hash(Filters(regions=("Asia",)))
    assert filter_field_names()[:2] == ("year_from", "year_to") and filter_field_names()[-1] == "party"


# ---------------------------------------------------------------- CLI flags


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_filter_arguments(parser)
    return parser.parse_args(argv)


def test_filters_from_args_every_flag_repeatable():
    args = parse(
        [
            "--from",
            "1990",
            "--to",
            "1999",
            "--region",
            "europe",
            "--region",
            "Asia",
            "--subregion",
            "Western Europe",
            "--country",
            "fra",
            "--country",
            "Germany",
            "--family",
            "green",
            "--status",
            "ruling",
            "--form",
            "study_trip",
            "--direction",
            "inbound",
            "--level",
            "leader",
            "--level",
            "senior",
            "--party",
            "Green Union",
        ]
    )
    assert filters_from_args(args) == Filters(
        year_from=1990,
        year_to=1999,
        regions=("Europe", "Asia"),
        subregions=("Western Europe",),
        countries=("FRA", "DEU"),
        families=("green",),
        statuses=("ruling",),
        forms=("study_trip",),
        directions=("inbound",),
        levels=("leader", "senior"),
        party="Green Union",
    )


def test_filters_from_args_defaults():
    assert filters_from_args(parse([])) == Filters()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "nineteen"], "--from must be a year"),
        (["--to", "1990.5"], "--to must be a year"),
        (["--from", "2001", "--to", "2000"], "year range is empty"),
        (["--country", "Narnia"], "Unknown country code"),
        (["--party", "A", "--party", "B"], "Give --party once"),
        (["--status", "exiled"], "Valid values: ruling"),
    ],
)
def test_filters_from_args_errors(argv, message):
    with pytest.raises(FilterError, match=message):
        filters_from_args(parse(argv))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": 5}, "from 5 is not a plausible year"),
        ({"region": 5}, "'region' must be text or a list of texts"),
        ({"from": [[1990]]}, "'from' must be text or a list of texts"),
        ({"party": [5]}, "'party' must be text or a list of texts"),
        ({"party": "Evil\u202eParty"}, "contains U\\+202E RIGHT-TO-LEFT OVERRIDE, which can make text read backwards"),
        ({"party": "a\u2066b"}, "U\\+2066 LEFT-TO-RIGHT ISOLATE"),
        ({"region": ["x" * 100_000]}, "Unknown region: 'x{80}…'\\. Valid"),
    ],
)
def test_from_params_refuses_wrong_types_and_direction_controls(params, message):
    """Values of the wrong JSON type are a FilterError naming the key, never a TypeError; an
    echoed value is capped."""
    with pytest.raises(FilterError, match=message) as raised:
        Filters.from_params(params)
    assert len(str(raised.value)) < 1000


def test_from_params_reads_a_year_given_as_a_number():
    assert Filters.from_params({"from": 1990}).year_from == 1990


def test_describe_cuts_a_very_long_party_name():
    assert Filters(party="Rose Party").describe() == "Party: Rose Party"
    assert Filters(party="x" * 5000).describe() == "Party: " + "x" * 80 + "…"


# ---------------------------------------------------------------------------------------------
# The filters in words and their errors in Chinese (worked out by hand)


@pytest.mark.parametrize(
    ("filters", "chinese"),
    [
        (Filters(families=("communist",), year_from=2015, year_to=2025), "2015—2025年；类别：共产党"),
        (Filters(), "全部交往"),
        (Filters(year_from=1990), "1990年至今"),
        (Filters(year_to=1999), "截至1999年"),
        (
            Filters(regions=("Africa", "Latin America and the Caribbean"), statuses=("ruling", "coalition")),
            "地区：非洲、拉丁美洲；地位：执政、参加联合政府",
        ),
        (Filters(subregions=("Eastern Africa",), forms=("study_trip",)), "次区域：东非；形式：考察学习"),
        (Filters(regions=("International organisations",), party="Blue League"), "地区：国际组织；政党：Blue League"),
    ],
)
def test_describe_in_chinese(filters, chinese):
    with using("zh"):
        assert filters.describe() == chinese


def test_describe_in_english_is_unchanged():
    assert Filters(families=("communist",), year_from=2015, year_to=2025).describe() == "2015–2025; Family: Communist"
    assert Filters(year_to=1999).describe() == "start–1999" and Filters().describe() == "All exchanges"


@pytest.mark.parametrize(
    ("filters", "chinese"),
    [
        (Filters(regions=("Atlantis",)), "未知的地区：“Atlantis”。有效值：Africa、Asia、Europe、"),
        (Filters(families=("comunist",)), "未知的政党类别：“comunist”（“comunist”是否应为“communist”？）。有效值："),
        (Filters(year_from=1850), "起始年份1850不是合理的年份（应在1900至2200之间）。"),
        (Filters(year_to="19x9"), "截止年份应为年份（如1990），而不是“19x9”。"),
        (Filters(year_from=2000, year_to=1990), "年份范围为空：起始年份2000晚于截止年份1990。"),
    ],
)
def test_errors_in_chinese(filters, chinese):
    with using("zh"), pytest.raises(FilterError) as caught:
        filters.validated()
    assert str(caught.value).startswith(chinese)


def test_param_errors_in_chinese():
    with using("zh"), pytest.raises(FilterError, match="^“from”应为年份，而不是“soon”。$"):
        Filters.from_params({"from": "soon"})


def test_a_chinese_error_escapes_what_it_quotes():
    from analytics.i18n import using

    with using("zh"), pytest.raises(FilterError) as raised:
        Filters(families=("comm\u202eunist\n",)).validated()
    message = str(raised.value)
    assert "\u202e" not in message and "\n" not in message and "“comm\\u202eunist\\n”" in message
