"""The ledger schema, its constraints, migrations and the copy-on-write writer."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from analytics import ledger
from analytics.ledger import (
    LedgerError,
    LedgerExistsError,
    LedgerNotFoundError,
    connect_read_only,
    content_hash,
    create_ledger,
    write_transaction,
)

ROW = (
    "INSERT INTO exchanges (exchange_id, date, date_precision, party_id, party_status, form, direction, level) VALUES "
)


@pytest.fixture
def ledger_with_party(make_ledger):
    return make_ledger([{"date": "2001-05-02", "party": "Cedar Party", "country": "NAM"}])


def read(path, sql):
    con = connect_read_only(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("column", "bad_value"),
    [
        ("party_status", "governing"),
        ("form", "dinner"),
        ("direction", "sideways"),
        ("level", "boss"),
        ("date_precision", "week"),
    ],
)
def test_schema_rejects_each_bad_exchange_code(ledger_with_party, column, bad_value):
    values = {
        "party_status": "ruling",
        "form": "working_visit",
        "direction": "inbound",
        "level": "senior",
        "date_precision": "day",
    }
    values[column] = bad_value
    before = read(ledger_with_party, "SELECT count(*) FROM exchanges")
    with pytest.raises(LedgerError, match="CHECK constraint"), write_transaction(ledger_with_party) as con:
        con.execute(
            ROW + "(99, DATE '2002-01-01', ?, 1, ?, ?, ?, ?)",
            [values["date_precision"], values["party_status"], values["form"], values["direction"], values["level"]],
        )
    assert read(ledger_with_party, "SELECT count(*) FROM exchanges") == before == [(1,)]


def test_schema_rejects_bad_family_and_region(ledger_with_party):
    with pytest.raises(LedgerError, match="CHECK constraint"), write_transaction(ledger_with_party) as con:
        con.execute("INSERT INTO parties (party_id, name, country_iso3, family) VALUES (7, 'X', 'FRA', 'royalist')")
    with pytest.raises(LedgerError, match="CHECK constraint"), write_transaction(ledger_with_party) as con:
        con.execute("INSERT INTO countries VALUES ('ZZZ', 'ZZ', '999', 'Nowhere', 'Nowhere', 'Atlantis', 'Deep')")


def test_schema_rejects_duplicate_party_same_country_but_allows_other_country(ledger_with_party):
    with pytest.raises(LedgerError, match="(?i)duplicate|unique"), write_transaction(ledger_with_party) as con:
        con.execute(
            "INSERT INTO parties (party_id, name, country_iso3, family) VALUES (2, 'Cedar Party', 'NAM', 'liberal')"
        )
    with write_transaction(ledger_with_party) as con:
        con.execute(
            "INSERT INTO parties (party_id, name, country_iso3, family) VALUES (2, 'Cedar Party', 'PER', 'liberal')"
        )
    assert read(ledger_with_party, "SELECT count(*) FROM parties WHERE name = 'Cedar Party'") == [(2,)]


def test_schema_rejects_duplicate_international_organisation(ledger_with_party):
    with write_transaction(ledger_with_party) as con:
        con.execute(
            "INSERT INTO parties (party_id, name, country_iso3, family) VALUES (5, 'Harbour Forum', NULL, 'international_org')"
        )
    with pytest.raises(LedgerError, match="(?i)duplicate|unique"), write_transaction(ledger_with_party) as con:
        con.execute(
            "INSERT INTO parties (party_id, name, country_iso3, family) VALUES (6, 'Harbour Forum', NULL, 'international_org')"
        )


def test_schema_requires_country_unless_international_org(ledger_with_party):
    with pytest.raises(LedgerError, match="CHECK constraint"), write_transaction(ledger_with_party) as con:
        con.execute(
            "INSERT INTO parties (party_id, name, country_iso3, family) VALUES (5, 'Stateless', NULL, 'liberal')"
        )


def test_schema_rejects_exchange_with_unknown_party_or_country(ledger_with_party):
    """An exchange of an unknown party is refused at commit (the check that stands for the foreign
    key schema 4 dropped), a party of an unknown country by the foreign key; nothing changes."""
    before = read(ledger_with_party, "SELECT count(*) FROM exchanges")
    with pytest.raises(LedgerError, match="exchange 99.*party the ledger does not hold"):
        with write_transaction(ledger_with_party) as con:
            con.execute(ROW + "(99, DATE '2002-01-01', 'day', 42, 'ruling', 'working_visit', 'inbound', 'senior')")
    assert read(ledger_with_party, "SELECT count(*) FROM exchanges") == before
    with pytest.raises(LedgerError, match="exchange 1\\b"), write_transaction(ledger_with_party) as con:
        con.execute("DELETE FROM parties")  # the party of exchange 1 gone
    with pytest.raises(LedgerError, match="(?i)foreign key"), write_transaction(ledger_with_party) as con:
        con.execute("INSERT INTO parties (party_id, name, country_iso3, family) VALUES (5, 'P', 'XXX', 'liberal')")


def test_schema_requires_date_and_first_day_for_coarse_precision(ledger_with_party):
    with pytest.raises(LedgerError, match="(?i)NOT NULL"), write_transaction(ledger_with_party) as con:
        con.execute(ROW + "(99, NULL, 'day', 1, 'ruling', 'working_visit', 'inbound', 'senior')")
    with pytest.raises(LedgerError, match="CHECK constraint"), write_transaction(ledger_with_party) as con:
        con.execute(ROW + "(99, DATE '2002-03-05', 'month', 1, 'ruling', 'working_visit', 'inbound', 'senior')")


def test_failed_write_leaves_file_byte_identical(ledger_with_party):
    before = ledger_with_party.read_bytes()
    with pytest.raises(RuntimeError), write_transaction(ledger_with_party) as con:
        con.execute(ROW + "(2, DATE '2002-01-01', 'day', 1, 'ruling', 'working_visit', 'inbound', 'senior')")
        raise RuntimeError("crash in the middle of an import")
    assert ledger_with_party.read_bytes() == before
    assert not list(ledger_with_party.parent.glob(".*.tmp*"))


def test_write_raises_ledger_version_and_changes_signature(ledger_with_party):
    version_before = int(read(ledger_with_party, "SELECT value FROM meta WHERE key = 'ledger_version'")[0][0])
    signature_before = ledger.file_signature(ledger_with_party)
    with write_transaction(ledger_with_party) as con:
        con.execute(ROW + "(2, DATE '2002-01-01', 'day', 1, 'ruling', 'working_visit', 'inbound', 'senior')")
    assert (
        int(read(ledger_with_party, "SELECT value FROM meta WHERE key = 'ledger_version'")[0][0]) == version_before + 1
    )
    assert ledger.file_signature(ledger_with_party) != signature_before


def test_reader_sees_a_write_made_while_it_was_open(ledger_with_party):
    reader = ledger.LedgerReader(ledger_with_party)
    assert reader.connection().cursor().execute("SELECT count(*) FROM exchanges").fetchone() == (1,)
    with write_transaction(ledger_with_party) as con:
        con.execute(ROW + "(2, DATE '2002-01-01', 'day', 1, 'ruling', 'working_visit', 'inbound', 'senior')")
    assert reader.connection().cursor().execute("SELECT count(*) FROM exchanges").fetchone() == (2,)
    reader.close()


def test_create_refuses_to_overwrite_without_force(tmp_path):
    path = create_ledger(tmp_path / "l.duckdb", demo=False)
    before = path.read_bytes()
    with pytest.raises(LedgerExistsError, match="--force"):
        create_ledger(path, demo=False)
    assert path.read_bytes() == before
    create_ledger(path, demo=False, force=True)
    assert read(path, "SELECT count(*) FROM exchanges") == [(0,)]


def test_missing_ledger_is_a_clear_error(tmp_path):
    with pytest.raises(LedgerNotFoundError, match="python -m analytics init"):
        connect_read_only(tmp_path / "nope.duckdb")


def test_version_one_ledger_is_migrated_with_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    ledger.migrate(con, target=1)
    ledger._load_countries(con)
    ledger.set_meta(con, ledger_version=1, is_demo="false")
    con.execute("INSERT INTO parties VALUES (1, 'Old Party', 'VNM', 'communist')")
    con.execute(ROW + "(1, DATE '1980-06-01', 'month', 1, 'ruling', 'study_trip', 'outbound', 'working')")
    con.close()
    with pytest.raises(LedgerError, match="schema version 1"):
        connect_read_only(path)
    ledger.prepare_ledger(path)
    assert read(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(ledger.SCHEMA_VERSION),)]
    assert read(path, "SELECT party, country, year, batch_id FROM exchange_rows") == [
        ("Old Party", "Viet Nam", 1980, None)
    ]
    assert read(path, "SELECT count(*) FROM import_batches") == [(0,)]


def test_newer_schema_is_refused(tmp_path):
    path = create_ledger(tmp_path / "new.duckdb", demo=False)
    with write_transaction(path) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(LedgerError, match="newer"):
        ledger.prepare_ledger(path)


def test_content_hash_ignores_ids_and_order_but_not_content(make_ledger):
    rows = [
        {"date": "2001-05-02", "party": "A", "country": "PER"},
        {"date": "1999", "party": "B", "country": None, "family": "international_org"},
    ]
    first = make_ledger(rows, name="a.duckdb")
    reordered = make_ledger(list(reversed(rows)), name="b.duckdb")
    changed = make_ledger([rows[0], {**rows[1], "date": "1999-02"}], name="c.duckdb")
    hashes = [read(p, "SELECT 1") and content_hash(connect_read_only(p)) for p in (first, reordered, changed)]
    assert hashes[0] == hashes[1]
    assert hashes[0] != hashes[2]


def test_exchange_rows_view_buckets_international_organisations(make_ledger):
    path = make_ledger(
        [
            {"date": "2010-01-05", "party": "Forum", "country": None, "family": "international_org"},
            {"date": "2010", "party": "Lantern Party", "country": "PER", "event_id": "EV-1"},
        ]
    )
    rows = read(
        path,
        "SELECT party, country, region, subregion, event_key, date, date_precision FROM exchange_rows ORDER BY party",
    )
    assert rows == [
        (
            "Forum",
            "",
            "International organisations",
            "International organisations",
            "row:1",
            dt.date(2010, 1, 5),
            "day",
        ),
        (
            "Lantern Party",
            "Peru",
            "Latin America and the Caribbean",
            "South America",
            "EV-1",
            dt.date(2010, 1, 1),
            "year",
        ),
    ]


def test_reader_run_survives_connection_swapped_by_another_thread(ledger_with_party):
    reader = ledger.LedgerReader(ledger_with_party)
    stale = reader.connection()
    calls = []

    def count(con):
        calls.append(con)
        if len(calls) == 1:
            # Another thread saw a new file and closed this connection mid-query.
            with write_transaction(ledger_with_party) as writer:
                writer.execute(ROW + "(2, DATE '2002-01-01', 'day', 1, 'ruling', 'working_visit', 'inbound', 'senior')")
            reader.connection()
        return con.cursor().execute("SELECT count(*) FROM exchanges").fetchone()[0]

    assert reader.run(count) == 2
    assert calls[0] is stale and calls[1] is not stale
    reader.close()


# A released migration step is never edited (a ledger made by it would not match the code any
# more); a schema change is a new step. Update this table only when adding a step.
RELEASED_STEPS = {
    1: "13f1789c2b578c059cd3de9a0b69c1b67e278515b65e22cf3b2a1b2377396f27",
    2: "3bbac2eb3622364a6689e2d24cc7f3896ac82e2174f5256c003fd7ee78927398",
    3: "ffa33eff008743dc64070f2cefec3bc48b2158be0083223599283a59c6e7c854",
    4: "bb8f256fa54574889cbf13f303e329911f9b5430b2824dab16419df4c3e419f8",
    5: "e653624db0ca9a902f356ed1dea3bd564df4fa165ae2711be28bb38d99910de2",
}


def test_released_migration_steps_are_never_edited():
    import hashlib

    from analytics.ledger import MIGRATIONS

    found = {
        version: hashlib.sha256("\n".join(step).encode()).hexdigest() for version, step in enumerate(MIGRATIONS, 1)
    }
    assert {version: found[version] for version in RELEASED_STEPS} == RELEASED_STEPS
    assert set(found) == set(RELEASED_STEPS), "a new step: add its checksum to RELEASED_STEPS"


def test_opening_adds_the_countries_the_reference_data_gained(tmp_path):
    from analytics.ledger import connect_read_only, create_ledger, ledger_info, prepare_ledger, write_transaction

    path = create_ledger(tmp_path / "old.duckdb", demo=False)
    with write_transaction(path) as con:  # a ledger made before Zimbabwe was in data/countries.csv
        con.execute("DELETE FROM countries WHERE iso3 = 'ZWE'")
    con = connect_read_only(path)
    version = ledger_info(con, path).ledger_version
    con.close()

    prepare_ledger(path)

    con = connect_read_only(path)
    try:
        assert con.execute("SELECT name, region, subregion FROM countries WHERE iso3 = 'ZWE'").fetchall() == [
            ("Zimbabwe", "Africa", "Eastern Africa")
        ]
        assert ledger_info(con, path).ledger_version == version + 1  # a write: caches see it
    finally:
        con.close()
    prepare_ledger(path)  # nothing missing now: no write
    con = connect_read_only(path)
    assert ledger_info(con, path).ledger_version == version + 1
    con.close()


# content_hash as schema 2 computed it, before the Chinese name existed (old backups hold it).
SCHEMA_2_HASH = r"""SELECT md5(coalesce(string_agg(line, chr(10) ORDER BY line), '')) FROM (
      SELECT concat_ws('|', e.date, e.date_precision, p.name, coalesce(p.country_iso3, '\N'),
                       p.family, e.party_status, e.form, e.direction, e.level,
                       coalesce(e.event_id, '\N'), coalesce(CAST(e.delegation_size AS VARCHAR), '\N'),
                       coalesce(e.topic, '\N'), coalesce(e.source, '\N')) AS line
      FROM exchanges e JOIN parties p USING (party_id))"""


def test_version_two_ledger_gains_the_chinese_party_name_column(tmp_path):
    """A ledger written before party_zh existed opens (migrated on a copy, renamed over the file),
    keeps its rows and its content hash, and its parties have no Chinese name."""
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    ledger.migrate(con, target=2)
    ledger._load_countries(con)
    ledger.set_meta(con, ledger_version=4, is_demo="false")
    con.execute(
        "INSERT INTO parties (party_id, name, country_iso3, family) VALUES (1, 'Old Party', 'VNM', 'communist')"
    )
    con.execute(ROW + "(1, DATE '1980-06-01', 'month', 1, 'ruling', 'study_trip', 'outbound', 'working')")
    before = con.execute(SCHEMA_2_HASH).fetchall()[0][0]
    con.close()
    with pytest.raises(LedgerError, match="schema version 2"):
        connect_read_only(path)
    ledger.prepare_ledger(path)
    assert read(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(ledger.SCHEMA_VERSION),)]
    assert read(path, "SELECT value FROM meta WHERE key = 'ledger_version'") == [("5",)]
    assert read(path, "SELECT party, party_zh, country, year FROM exchange_rows") == [
        ("Old Party", None, "Viet Nam", 1980)
    ]
    con = connect_read_only(path)
    try:
        assert content_hash(con) == before
    finally:
        con.close()
    with write_transaction(path) as con:
        con.execute(
            "INSERT INTO parties (party_id, name, country_iso3, family, name_zh) VALUES (2, 'New Party', 'VNM', 'communist', '新党')"
        )
        con.execute(ROW + "(2, DATE '2020-06-01', 'month', 2, 'ruling', 'study_trip', 'outbound', 'working')")
    assert read(path, "SELECT party, party_zh FROM exchange_rows ORDER BY 1") == [
        ("New Party", "新党"),
        ("Old Party", None),
    ]


def test_chinese_party_name_is_part_of_the_content_hash(make_ledger):
    rows = [{"date": "2001-05-02", "party": "A", "country": "PER"}]
    plain = make_ledger(rows, name="plain.duckdb")
    named = make_ledger([{**rows[0], "party_zh": "甲党"}], name="named.duckdb")
    renamed = make_ledger([{**rows[0], "party_zh": "乙党"}], name="renamed.duckdb")
    hashes = []
    for path in (plain, named, renamed):
        con = connect_read_only(path)
        hashes.append(content_hash(con))
        con.close()
    assert len(set(hashes)) == 3
