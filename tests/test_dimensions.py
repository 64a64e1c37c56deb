"""The dimension registry: one record per dimension, and the views other modules derive from it."""

from __future__ import annotations

import dataclasses

import pytest

from analytics import chart_catalog, charts, dimensions, explore, filters, metrics, vocab
from analytics.commands.filter_args import DIMENSION_FLAGS
from analytics.errors import InvalidInputError
from analytics.i18n import vocabulary_label
from analytics.ledger import connect_read_only
from analytics.metrics import MetricError


def test_every_filters_dimension_field_has_exactly_one_record():
    tuple_fields = [
        f.name for f in dataclasses.fields(filters.Filters) if f.name not in ("year_from", "year_to", "party")
    ]
    assert [d.filter_field for d in dimensions.FILTERABLE] == tuple_fields


@pytest.mark.parametrize(
    "field, word, column",
    [
        ("regions", "region", "region"),
        ("subregions", "subregion", "subregion"),
        ("countries", "country", "country_iso3"),
        ("families", "family", "party_family"),
        ("statuses", "status", "party_status"),
        ("forms", "form", "form"),
        ("directions", "direction", "direction"),
        ("levels", "level", "level"),
    ],
)
def test_url_words_cli_flags_and_columns_are_pinned(field, word, column):
    assert filters.DIMENSION_PARAMS[field] == word
    assert filters.DIMENSION_COLUMNS[field] == column
    assert (f"--{word}", field) in [(flag, f) for flag, f, _, _ in DIMENSION_FLAGS]


@pytest.mark.parametrize(
    "typed, canonical",
    [
        ("family", "party_family"),
        ("Families", "party_family"),
        ("party-family", "party_family"),
        ("status", "party_status"),
        ("sub-region", "subregion"),
        ("sub_region", "subregion"),
        ("countries", "country_iso3"),
        ("ISO3", "country_iso3"),
        (" level ", "level"),
        ("regions", "region"),
    ],
)
def test_resolve_accepts_aliases(typed, canonical):
    assert dimensions.resolve(typed) == canonical
    assert metrics.resolve_dimension(typed) == canonical


@pytest.mark.parametrize("typed", ["year", "years", "decade", "colour", "", None])
def test_resolve_refuses_what_a_breakdown_cannot_take(typed):
    with pytest.raises(InvalidInputError, match="Unknown dimension"):
        dimensions.resolve(typed)
    with pytest.raises(MetricError, match="Valid dimensions: party_family, party_status, form"):
        metrics.resolve_dimension(typed)


def test_year_only_where_allowed():
    assert dimensions.resolve("years", allow_year=True) == "year"
    with pytest.raises(InvalidInputError, match="decade"):
        dimensions.resolve("decade", allow_year=True)


@pytest.mark.parametrize("dimension", dimensions.CODED, ids=lambda d: d.name)
def test_coded_dimensions_colour_every_code_and_order_by_vocabulary(dimension):
    assert set(dimension.colours) == set(dimension.vocabulary)
    assert dimension.category_order == dimension.vocabulary
    assert len(set(dimension.colours.values())) == len(dimension.colours)  # no two codes share a colour
    assert all(vocabulary_label(code) != code for code in dimension.vocabulary if code != "other")


def test_region_colours_cover_the_regions_and_the_international_bucket():
    assert list(dimensions.REGION.colours) == [*vocab.REGIONS, vocab.INTERNATIONAL_BUCKET]


def test_views_list_the_registry_in_its_order():
    assert list(metrics.DIMENSIONS) == [
        "party_family",
        "party_status",
        "form",
        "direction",
        "level",
        "region",
        "subregion",
        "country_iso3",
    ]
    assert list(explore.PIVOT_DIMENSIONS) == [
        "year",
        "decade",
        "region",
        "subregion",
        "country",
        "party_family",
        "party_status",
        "form",
        "direction",
        "level",
    ]
    assert chart_catalog.COMPARE_DIMENSIONS == tuple(d.name for d in dimensions.ALL[:8])
    assert dict(dimensions.CLICK_FIELDS) == {
        "region": "regions",
        "subregion": "subregions",
        "party_family": "families",
        "party_status": "statuses",
        "form": "forms",
        "direction": "directions",
        "level": "levels",
    }
    assert charts.DIMENSION_NAMES["party_family"] == "Party family"


def test_aliases_are_unambiguous():
    seen: dict[str, str] = {}
    for dimension in dimensions.ALL:
        for name in (dimension.name, *dimension.aliases):
            assert seen.setdefault(name, dimension.name) == dimension.name


def test_every_expression_runs_over_exchange_rows(make_ledger):
    path = make_ledger(
        [
            {"date": "2001-05-02", "party": "A"},
            {"date": "2002", "party": "Intl", "country": None, "family": "international_org"},
        ]
    )
    con = connect_read_only(path)
    try:
        for dimension in dimensions.ALL:
            for sql in {dimension.sql, dimension.pivot_sql or dimension.sql}:
                con.execute(f"SELECT {sql} FROM exchange_rows").fetchall()
            if dimension.column:
                con.execute(f"SELECT {dimension.column} FROM exchange_rows").fetchall()
    finally:
        con.close()
