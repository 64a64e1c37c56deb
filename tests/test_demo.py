"""The demo ledger: deterministic, and true to the calibration facts of the domain brief."""

from __future__ import annotations

import pytest

from analytics.ledger import connect_read_only, content_hash, create_ledger, is_demo

pytestmark = pytest.mark.slow  # demo ledgers built from scratch


@pytest.fixture(scope="module", params=[1951, 7, 42], ids=lambda seed: f"seed{seed}")
def demo(request, demo_ledger, tmp_path_factory):
    """A query function on the demo ledger of each seed: the facts must not hold by luck of one seed."""
    seed = request.param
    path = demo_ledger if seed == 1951 else create_ledger(tmp_path_factory.mktemp("demo") / "d.duckdb", seed=seed)
    con = connect_read_only(path)
    yield lambda sql, params=None: con.execute(sql, params or []).fetchall()
    con.close()


def test_same_seed_same_content_other_seed_other_content(tmp_path, demo_ledger):
    again = create_ledger(tmp_path / "again.duckdb", seed=1951)
    other = create_ledger(tmp_path / "other.duckdb", seed=7)
    hashes = {}
    for name, path in {"first": demo_ledger, "again": again, "other": other}.items():
        con = connect_read_only(path)
        hashes[name] = content_hash(con)
        con.close()
    assert hashes["first"] == hashes["again"]
    assert hashes["first"] != hashes["other"]


def test_rows_option_gives_exactly_that_many_rows(tmp_path):
    path = create_ledger(tmp_path / "sized.duckdb", rows=12_345, seed=3)
    con = connect_read_only(path)
    assert con.execute("SELECT count(*) FROM exchanges").fetchone() == (12_345,)
    con.close()


def test_too_few_rows_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least"):
        create_ledger(tmp_path / "tiny.duckdb", rows=100)
    assert not (tmp_path / "tiny.duckdb").exists()


def test_demo_is_flagged_and_party_names_are_invented(demo, demo_ledger):
    con = connect_read_only(demo_ledger)
    assert is_demo(con)
    con.close()
    # Names follow "<qualifier> <invented noun> <type>"; none is a bare well-known party name.
    real_names = ["Communist Party of Viet Nam", "Labour Party", "Socialist International", "Liberal International"]
    assert demo("SELECT count(*) FROM parties WHERE name IN (SELECT unnest(?))", [real_names]) == [(0,)]
    assert demo("SELECT count(DISTINCT source) FROM exchanges WHERE source LIKE 'Synthetic demo data%'") == [(1,)]


def test_default_size_is_realistic(demo):
    per_year = dict(demo("SELECT year, count(*) FROM exchange_rows GROUP BY year"))
    assert min(per_year) == 1951 and max(per_year) == 2025
    assert all(10 <= per_year[y] <= 300 for y in range(1951, 1990))
    assert all(per_year[y] >= 400 for y in range(2012, 2020))


def test_sparse_and_communist_dominated_before_1978(demo):
    families = dict(demo("SELECT party_family, count(*) FROM exchange_rows WHERE year < 1978 GROUP BY 1"))
    total = sum(families.values())
    assert families["communist"] / total > 0.6
    assert set(families) <= {"communist", "socialist", "national_democratic"}
    per_year_before = demo("SELECT count(*) / count(DISTINCT year) FROM exchange_rows WHERE year < 1978")[0][0]
    per_year_after = demo("SELECT count(*) / count(DISTINCT year) FROM exchange_rows WHERE year BETWEEN 1985 AND 2000")[
        0
    ][0]
    assert per_year_after > 4 * per_year_before


def test_widening_after_1978(demo):
    families_after = demo("SELECT count(DISTINCT party_family) FROM exchange_rows WHERE year BETWEEN 1979 AND 1995")[0][
        0
    ]
    assert families_after >= 8
    assert demo("SELECT count(*) FROM exchange_rows WHERE year < 1978 AND party_family = 'conservative'") == [(0,)]
    # Afterwards also national democratic parties of developing countries and the organisations of parties.
    share = dict(
        demo(
            "SELECT year >= 1979, avg(CASE WHEN party_family = 'national_democratic' THEN 1 ELSE 0 END) "
            "FROM exchange_rows WHERE year <= 2003 GROUP BY 1"
        )
    )
    assert share[True] > share[False]
    organisations = dict(
        demo(
            "SELECT year >= 1979, count(*) FROM exchange_rows WHERE party_family = 'international_org' "
            "AND year <= 2003 GROUP BY 1"
        )
    )
    assert organisations.get(False, 0) == 0 and organisations[True] > 20
    assert (
        demo("SELECT count(*) FROM exchange_rows WHERE year BETWEEN 1979 AND 2003 AND party_family = 'conservative'")[
            0
        ][0]
        > 100
    )


def test_more_than_400_parties_in_more_than_140_countries_by_2003(demo):
    parties, countries = demo(
        "SELECT count(DISTINCT party_id), count(DISTINCT country_iso3) FROM exchange_rows WHERE year <= 2003"
    )[0]
    assert parties > 400  # "more than 400 parties and organisations"
    assert countries > 140  # "in more than 140 countries"
    ruling_or_coalition = demo(
        "SELECT avg(CASE WHEN party_status IN ('ruling', 'coalition') THEN 1 ELSE 0 END) FROM exchange_rows "
        "WHERE year BETWEEN 1990 AND 2003"
    )[0][0]
    assert ruling_or_coalition > 0.5  # "most of them ruling or in government"


def test_latin_america_milestones(demo):
    def latin(first, last):
        return demo(
            "SELECT count(DISTINCT party_id), count(DISTINCT country_iso3) FROM exchange_rows "
            "WHERE region = 'Latin America and the Caribbean' AND year BETWEEN ? AND ?",
            [first, last],
        )[0]

    assert 20 <= latin(1970, 1979)[0] <= 45  # about 30 in the 1970s
    assert 45 <= latin(1980, 1989)[0] <= 80  # about 60 in the 1980s
    parties_2012, countries_2012 = latin(1900, 2012)
    assert parties_2012 > 90 and countries_2012 > 30


def test_growth_after_2012(demo):
    before = demo("SELECT count(*) FROM exchange_rows WHERE year BETWEEN 2005 AND 2011")[0][0] / 7
    after = demo("SELECT count(*) FROM exchange_rows WHERE year BETWEEN 2013 AND 2019")[0][0] / 7
    assert after > 1.4 * before


def test_pandemic_moves_meetings_online(demo):
    virtual_share = dict(
        demo(
            "SELECT year, avg(CASE WHEN form = 'virtual_meeting' AND direction = 'virtual' THEN 1 ELSE 0 END) "
            "FROM exchange_rows WHERE year IN (2019, 2020, 2021) GROUP BY year"
        )
    )
    assert virtual_share[2020] > 0.6 and virtual_share[2021] > 0.6
    assert virtual_share[2019] < 0.1
    assert demo("SELECT count(*) FROM exchange_rows WHERE (form = 'virtual_meeting') <> (direction = 'virtual')") == [
        (0,)
    ]


def test_big_multilateral_events(demo):
    dialogue = demo(
        "SELECT count(*), count(DISTINCT party_id), count(DISTINCT country_iso3), min(date), max(date) "
        "FROM exchange_rows WHERE event_id = 'EV-2017-HLD'"
    )[0]
    assert dialogue[0] == dialogue[1] >= 300 and dialogue[2] > 120
    assert dialogue[3] == dialogue[4] and dialogue[3].year == 2017 and dialogue[3].month >= 10
    summit = demo(
        "SELECT count(DISTINCT party_id), min(date), bool_and(form = 'virtual_meeting') "
        "FROM exchange_rows WHERE event_id = 'EV-2021-SUMMIT'"
    )[0]
    assert summit[0] > 500 and summit[1].year == 2021 and summit[1].month == 7 and summit[2]
    with_many = demo(
        "SELECT count(*) FROM (SELECT event_id FROM exchange_rows WHERE event_id IS NOT NULL "
        "GROUP BY event_id HAVING count(*) >= 5)"
    )[0][0]
    assert with_many >= 50


def test_no_exchange_with_own_party_or_territories(demo):
    assert demo("SELECT count(*) FROM exchange_rows WHERE country_iso3 IN ('CHN', 'HKG', 'MAC', 'TWN')") == [(0,)]


def test_same_party_name_in_two_countries_exists(demo):
    assert (
        demo("SELECT count(*) FROM (SELECT name FROM parties GROUP BY name HAVING count(DISTINCT country_iso3) > 1)")[
            0
        ][0]
        > 0
    )


def _many_parties(path, rows, parties):
    """A demo of ``parties`` parties written straight into an empty ledger (what create_ledger's
    demo does), read back as a query function."""
    import duckdb

    from analytics import demo

    create_ledger(path, demo=False)
    con = duckdb.connect(str(path))
    try:
        demo.generate_demo(con, rows=rows, seed=1951, parties=parties)
        return con.execute(
            """SELECT count(*), count(DISTINCT (name, country_iso3)), count(name_zh),
                      (SELECT count(DISTINCT party_id) FROM exchanges), (SELECT count(*) FROM exchanges),
                      (SELECT value FROM meta WHERE key = 'demo_parties')
               FROM parties"""
        ).fetchone(), con.execute("SELECT country_iso3, count(*) FROM parties GROUP BY 1").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("parties", [877, 5_000])
def test_many_parties_exactly_that_many_unique_per_country(tmp_path, demo_ledger, parties):
    counts, per_country = _many_parties(tmp_path / "many.duckdb", 30_000, parties)
    assert counts[:3] == (parties, parties, parties)  # unique (name, country); every one has a Chinese name
    assert counts[4:] == (30_000, str(parties))
    assert counts[3] > 0.8 * parties  # most of them have exchanges
    con = connect_read_only(demo_ledger)
    default = dict(con.execute("SELECT country_iso3, count(*) FROM parties GROUP BY 1").fetchall())
    con.close()
    spread = dict(per_country)
    assert set(spread) == set(default)  # the same countries (and the international organisations)
    # Spread as the default's: a country with more parties there has at least as many here, give or take one.
    for a in default:
        for b in default:
            if a and b and default[a] > default[b]:
                assert spread[a] >= spread[b] - 1, (a, b)


def test_fewer_parties_than_the_demos_own_is_refused(tmp_path):
    with pytest.raises(ValueError, match="--parties must be at least 877"):
        _many_parties(tmp_path / "few.duckdb", 20_000, 500)


def test_a_country_short_of_names_numbers_them():
    import numpy as np

    from analytics import demo

    used = {f"{q} {n} {k}" for q in demo.QUALIFIERS["green"] for n in demo.NOUNS for k in demo.PARTY_TYPES}
    name = demo._numbered_name("green", np.random.default_rng(1), used)
    assert name.endswith(" 2") and name[:-2] in used and name in used
    assert demo.chinese_name(name) == demo.chinese_name(name[:-2]) + "2"
