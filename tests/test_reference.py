"""Reference countries and their matching."""

from __future__ import annotations

import pytest

from analytics import reference, vocab


def test_namibia_keeps_its_iso2_code():
    namibia = reference.countries().set_index("iso3").loc["NAM"]
    assert namibia["iso2"] == "NA"
    assert namibia["region"] == "Africa" and namibia["subregion"] == "Southern Africa"


def test_every_region_present_and_valid():
    table = reference.countries()
    assert set(table["region"]) == set(vocab.REGIONS)
    assert table["iso3"].is_unique and table["name"].is_unique
    assert (table == "").drop(columns=["m49"]).sum().sum() == 0  # only Kosovo lacks an M49 code


def test_un_members_and_observers():
    table = reference.countries()
    assert (table["un_status"] == "member").sum() == 193
    assert set(table.loc[table["un_status"] == "observer", "iso3"]) == {"PSE", "VAT"}


@pytest.mark.parametrize(
    ("region", "subregion"),
    [
        ("Africa", "Eastern Africa"),
        ("Asia", "South-eastern Asia"),
        ("Europe", "Northern Europe"),
        ("Latin America and the Caribbean", "Caribbean"),
        ("Northern America", "Northern America"),
        ("Oceania", "Melanesia"),
    ],
)
def test_subregions_sit_in_their_region(region, subregion):
    table = reference.countries()
    assert set(table.loc[table["subregion"] == subregion, "region"]) == {region}


# UN M49 with the Americas split; the sub-region is the intermediate region where there is one.
SUBREGIONS = {
    "Africa": {"Northern Africa", "Eastern Africa", "Middle Africa", "Southern Africa", "Western Africa"},
    "Asia": {"Central Asia", "Eastern Asia", "South-eastern Asia", "Southern Asia", "Western Asia"},
    "Europe": {"Eastern Europe", "Northern Europe", "Southern Europe", "Western Europe"},
    "Latin America and the Caribbean": {"Caribbean", "Central America", "South America"},
    "Northern America": {"Northern America"},
    "Oceania": {"Australia and New Zealand", "Melanesia", "Micronesia", "Polynesia"},
}


def test_the_sub_regions_are_exactly_those_of_m49():
    table = reference.countries()
    found = {region: set(group["subregion"]) for region, group in table.groupby("region")}
    assert found == SUBREGIONS


@pytest.mark.parametrize(
    ("iso3", "region", "subregion"),
    [
        ("MEX", "Latin America and the Caribbean", "Central America"),
        ("CUB", "Latin America and the Caribbean", "Caribbean"),
        ("JAM", "Latin America and the Caribbean", "Caribbean"),
        ("BRA", "Latin America and the Caribbean", "South America"),
        ("USA", "Northern America", "Northern America"),
        ("CAN", "Northern America", "Northern America"),
        ("SDN", "Africa", "Northern Africa"),
        ("EGY", "Africa", "Northern Africa"),
        ("ETH", "Africa", "Eastern Africa"),
        ("ZWE", "Africa", "Eastern Africa"),
        ("AGO", "Africa", "Middle Africa"),
        ("ZAF", "Africa", "Southern Africa"),
        ("NGA", "Africa", "Western Africa"),
        ("CYP", "Asia", "Western Asia"),
        ("TUR", "Asia", "Western Asia"),
        ("KAZ", "Asia", "Central Asia"),
        ("PRK", "Asia", "Eastern Asia"),
        ("VNM", "Asia", "South-eastern Asia"),
        ("IRN", "Asia", "Southern Asia"),
        ("RUS", "Europe", "Eastern Europe"),
        ("GBR", "Europe", "Northern Europe"),
        ("SRB", "Europe", "Southern Europe"),
        ("DEU", "Europe", "Western Europe"),
        ("AUS", "Oceania", "Australia and New Zealand"),
        ("PNG", "Oceania", "Melanesia"),
        ("FSM", "Oceania", "Micronesia"),
        ("WSM", "Oceania", "Polynesia"),
    ],
)
def test_countries_sit_in_their_m49_region(iso3, region, subregion):
    row = reference.countries().set_index("iso3").loc[iso3]
    assert (row["region"], row["subregion"]) == (region, subregion)


@pytest.mark.parametrize(
    ("text", "iso3"),
    [
        ("Viet Nam", "VNM"),
        ("vietnam", "VNM"),
        ("Russian Federation", "RUS"),
        ("Russia", "RUS"),
        ("Lao People's Democratic Republic", "LAO"),
        ("Laos", "LAO"),
        ("United Republic of Tanzania", "TZA"),
        ("tanzania", "TZA"),
        ("  côte d'ivoire ", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("nam", "NAM"),
        ("Namibia", "NAM"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_match_country(text, iso3):
    assert reference.match_country(text) == iso3


def test_eras_file_loads_in_order():
    eras = reference.eras()
    assert list(eras["year"]) == [1978, 1982, 1989, 2002, 2012, 2017, 2020]


def test_bad_eras_file_names_the_line(tmp_path):
    bad = tmp_path / "eras.csv"
    bad.write_text("year,label\n1978,Reform\nsoon,Later\n")
    with pytest.raises(reference.ReferenceDataError, match="line 3"):
        reference.eras(bad)


def test_eras_have_chinese_labels():
    eras = reference.eras().set_index("year")
    assert eras.loc[1978, "label_zh"] == "改革开放" and eras.loc[2012, "label_zh"] == "党的十八大"
    assert eras.loc[1982, "description_zh"] == "独立自主、完全平等、互相尊重、互不干涉内部事务"
    assert (eras["label_zh"] != "").all() and (eras["description_zh"] != "").all()
    assert eras.loc[1978, "label"] == "Reform and opening"  # the English columns as before


def test_an_eras_file_of_the_old_format_still_loads(tmp_path):
    old = tmp_path / "eras.csv"
    old.write_text("year,label,description\n1978,Reform,\n")
    eras = reference.eras(old)
    assert list(eras.columns) == ["year", "label", "description", "label_zh", "description_zh"]
    assert eras.iloc[0].to_dict() == {
        "year": 1978,
        "label": "Reform",
        "description": "",
        "label_zh": "",
        "description_zh": "",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year,label,label_zh\n1978,Reform,改革开放\n1982,Principles,Principles\n", "line 3: label_zh 'Principles'"),
        ("year,label,label_zh,description_zh\n1978,Reform,改革开放,December 1978\n", "line 2: description_zh"),
        ("year,label,label_zh\n1978, ,改革开放\n", "line 2: the label is empty"),
    ],
)
def test_bad_chinese_era_columns_name_the_line(tmp_path, text, message):
    bad = tmp_path / "eras.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(reference.ReferenceDataError, match=message):
        reference.eras(bad)


def test_eras_errors_in_chinese(tmp_path):
    from analytics.i18n import using

    bad = tmp_path / "eras.csv"
    bad.write_text("year,label\n1978,Reform\nsoon,Later\n")
    with using("zh"), pytest.raises(reference.ReferenceDataError, match="第3行：year 列的值'soon'不是年份"):
        reference.eras(bad)


@pytest.mark.parametrize(
    ("iso3", "recorded", "english", "en", "zh"),
    [
        ("GBR", None, "code", "GBR", "英国"),
        ("GBR", None, "name", "United Kingdom of Great Britain and Northern Ireland", "英国"),
        ("GBR", None, "common", "United Kingdom", "英国"),
        ("KEN", "Kenya", "code", "Kenya", "肯尼亚"),
        (None, "Kenya", "code", "Kenya", "肯尼亚"),
        ("", None, "code", "International organisations", "国际组织"),
        (None, "International organisations", "code", "International organisations", "国际组织"),
        (None, "Atlantis", "code", "Atlantis", "Atlantis"),
    ],
)
def test_country_label_in_each_language(iso3, recorded, english, en, zh):
    from analytics.i18n import using

    assert reference.country_label(iso3, recorded, english=english) == en
    with using("zh"):
        assert reference.country_label(iso3, recorded, english=english) == zh
