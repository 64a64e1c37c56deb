"""``python -m analytics metric NAME``: every metric once on a small ledger, the output formats,
and each kind of bad argument (one line on standard error, exit code 2)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from analytics import metrics
from analytics.cli import main
from tests.ledgers import build_ledger

ROWS = [
    {"date": "1980-03-10", "party": "Socialist Party"},
    {"date": "1982-06", "party": "Socialist Party", "country": "PRT", "status": "opposition"},
    {
        "date": "1982-11-05",
        "party": "Workers' Front",
        "country": "KEN",
        "family": "national_democratic",
        "form": "multilateral_meeting",
        "direction": "third_country",
        "event_id": "M1",
    },
    {
        "date": "1982-11-05",
        "party": "Left Network",
        "country": None,
        "family": "international_org",
        "form": "multilateral_meeting",
        "direction": "third_country",
        "event_id": "M1",
    },
    {"date": "1985", "party": "Green Union", "country": "BRA", "family": "green", "status": "coalition"},
]

# Metric -> (extra arguments, expected first columns of the CSV header)
EVERY_METRIC = {
    "exchanges-per-year": ([], "year,exchanges,events,parties,countries,exchanges_change"),
    "by-family": ([], "party_family,exchanges,share"),
    "by-status": ([], "party_status,exchanges,share"),
    "by-form": ([], "form,exchanges,share"),
    "by-direction": ([], "direction,exchanges,share"),
    "by-level": ([], "level,exchanges,share"),
    "by-region": ([], "region,exchanges,share"),
    "by-subregion": ([], "subregion,region,exchanges,share"),
    "by-country": ([], "country_iso3,country,region,subregion,exchanges,share,events,parties"),
    "breakdown": (["--dimension", "level"], "level,exchanges,share"),
    "cross-table": (["--rows", "direction", "--columns", "year"], "direction,year,exchanges,share"),
    "region-by-year": ([], "region,year,exchanges,share"),
    "family-by-year": ([], "party_family,year,exchanges,share"),
    "family-by-region": ([], "party_family,region,exchanges,share"),
    "first-contacts": ([], "year,new_parties,new_countries,cumulative_parties,cumulative_countries"),
    "leaderboard": ([], "rank,country_iso3,country,exchanges,share,last_date,previous_exchanges,change,change_pct"),
    "compare-periods": (
        ["--period-a", "1980-1981", "--period-b", "1982-1985", "--dimension", "region"],
        "region,exchanges_a,exchanges_b,change,change_pct",
    ),
    "change-levels": (
        [],
        "country_iso3,country,region,window_exchanges,window_average,baseline_average,change_pct,level",
    ),
    "concentration": ([], "year,exchanges,top10_country_share,top10_party_share,hhi_country"),
    "kpis": ([], "kpi,value,previous,change,change_pct"),
    "relationships": (
        [],
        "party,country_iso3,party_family,first_date,last_date,exchanges,years_active,longest_gap_years,"
        "years_since_last,last_status",
    ),
    "co-attendance": (["--min-events", "1"], "party_a,country_a,party_b,country_b,shared_events"),
}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return str(build_ledger(tmp_path_factory.mktemp("cli") / "cli.duckdb", ROWS))


def run(capsys, *argv):
    code = main(["metric", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_metric_is_covered():
    assert set(EVERY_METRIC) == set(metrics.METRICS)


@pytest.mark.parametrize("name", list(EVERY_METRIC))
def test_every_metric_prints_csv_with_its_header(capsys, ledger, name):
    extra, header = EVERY_METRIC[name]
    code, out, err = run(capsys, name, "--db", ledger, *extra)
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith(header)
    assert len(out.splitlines()) >= 2


def test_csv_numbers(capsys, ledger):
    code, out, _ = run(capsys, "by-region", "--db", ledger)
    assert code == 0
    assert out == (
        "region,exchanges,share\n"
        "Europe,2,0.4\n"
        "Africa,1,0.2\n"
        "International organisations,1,0.2\n"
        "Latin America and the Caribbean,1,0.2\n"
    )


def test_filters_on_the_command_line(capsys, ledger):
    code, out, _ = run(
        capsys,
        "exchanges-per-year",
        "--db",
        ledger,
        "--from",
        "1982",
        "--to",
        "1982",
        "--region",
        "europe",
        "--region",
        "Africa",
        "--status",
        "ruling",
    )
    assert code == 0
    assert list(csv.DictReader(io.StringIO(out)))[0]["exchanges"] == "1"  # KEN; PRT is in opposition


def test_party_filter_matches_the_name_in_every_country(capsys, ledger):
    code, out, _ = run(capsys, "by-country", "--db", ledger, "--party", "socialist party")
    assert code == 0
    assert [r["country_iso3"] for r in csv.DictReader(io.StringIO(out))] == ["FRA", "PRT"]


def test_per_year_and_top(capsys, ledger):
    code, out, _ = run(capsys, "by-family", "--db", ledger, "--per-year", "--from", "1985")
    assert (code, out) == (0, "year,party_family,exchanges,share\n1985,green,1,1.0\n")
    code, out, _ = run(capsys, "leaderboard", "--db", ledger, "--top", "2", "--kind", "party")
    assert code == 0
    # Five parties with one exchange each: all rank 1, by name.
    assert [(r["rank"], r["party"]) for r in csv.DictReader(io.StringIO(out))] == [
        ("1", "Green Union"),
        ("1", "Left Network"),
    ]


def test_relationships_and_co_attendance_numbers(capsys, ledger):
    code, out, _ = run(
        capsys, "relationships", "--db", ledger, "--from", "1982", "--country", "FRA", "--country", "PRT"
    )
    assert code == 0
    # Window 1982 (the last year with data in France and Portugal): FRA met only in 1980, before it.
    assert out.splitlines()[1:] == [
        "Socialist Party,PRT,socialist,1982-06-01,1982-06-01,1,1,0,0,opposition,2,,Portugal,1,0,,",
        "Socialist Party,FRA,socialist,1980-03-10,1980-03-10,0,0,0,2,ruling,1,,France,1,0,,",
    ]
    code, out, _ = run(capsys, "co-attendance", "--db", ledger, "--min-events", "1")
    assert (code, out.splitlines()[1:]) == (
        0,
        ["Left Network,,Workers' Front,KEN,1,4,3,,,international_org,national_democratic"],
    )
    code, out, _ = run(capsys, "co-attendance", "--db", ledger)  # at least 2 shared events by default
    assert (code, len(out.splitlines())) == (0, 1)


def test_json_format(capsys, ledger):
    code, out, _ = run(capsys, "leaderboard", "--db", ledger, "--format", "json", "--top", "2")
    assert code == 0
    records = json.loads(out)
    assert [(r["rank"], r["country_iso3"], r["exchanges"]) for r in records] == [(1, "BRA", 1), (1, "FRA", 1)]
    assert records[0]["last_date"] == "1985-01-01" and records[0]["change_pct"] is None


def test_table_format(capsys, ledger):
    code, out, _ = run(capsys, "kpis", "--db", ledger, "--format", "table", "--from", "1982", "--to", "1985")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["kpi", "value", "previous", "change", "change_pct"]
    assert lines[1].split()[:5] == ["exchanges", "4", "1", "3", "300.0"]


def test_empty_result_still_has_a_header(capsys, ledger):
    code, out, _ = run(capsys, "by-family", "--db", ledger, "--country", "JPN")
    assert (code, out) == (0, "party_family,exchanges,share\n")
    code, out, _ = run(capsys, "by-family", "--db", ledger, "--country", "JPN", "--format", "table")
    assert (code, out) == (0, "party_family  exchanges  share\n(no rows)\n")


def test_demo_ledger_is_named_on_stderr(capsys, tmp_path):
    path = build_ledger(tmp_path / "demo.duckdb", ROWS[:1], demo=True)
    code, out, err = run(capsys, "kpis", "--db", str(path))
    assert code == 0 and out.startswith("kpi,") and "demo ledger" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bogus"], "Unknown metric 'bogus'. Valid metrics: exchanges-per-year, by-family"),
        (["by-regoin"], "Did you mean 'by-region'"),
        ([], "Name a metric"),
        (["by-family", "--family", "maoist"], "Unknown party family: 'maoist'. Valid values: communist"),
        (["by-family", "--region", "Atlantis"], "Valid values: Africa, Asia"),
        (["by-family", "--country", "XXX"], "Unknown country code"),
        (["by-family", "--status", "exiled"], "Valid values: ruling"),
        (["by-family", "--form", "dinner"], "Valid values: high_level_visit"),
        (["by-family", "--direction", "up"], "Valid values: inbound"),
        (["by-family", "--level", "minister"], "Valid values: leader"),
        (["by-family", "--subregion", "Mordor"], "Unknown sub-region"),
        (["by-family", "--from", "19x0"], "--from must be a year"),
        (["by-family", "--to", "3000"], "not a plausible year"),
        (["by-family", "--from", "2000", "--to", "1990"], "year range is empty"),
        (["by-family", "--format", "xml"], "Unknown format 'xml'. Valid formats: csv, json, table"),
        (["by-family", "--party", "Nobody Party"], "No party named 'Nobody Party'"),
        (["by-family", "--party", "A", "--party", "B"], "Give --party once"),
        (["kpis", "--per-year"], "--per-year does not apply to kpis"),
        (["by-family", "--top", "3"], "--top does not apply to by-family; it applies to: by-country, leaderboard"),
        (["leaderboard", "--top", "0"], "top must be at least 1"),
        (["leaderboard", "--top", "many"], "top must be a whole number"),
        (["leaderboard", "--kind", "region"], "Valid kinds: country, party"),
        (["compare-periods", "--period-a", "1990-1999"], "compare-periods needs --dimension, --period-b"),
        (
            ["compare-periods", "--period-a", "1999-1990", "--period-b", "2000", "--dimension", "region"],
            "period A is empty",
        ),
        (
            ["compare-periods", "--period-a", "1990s", "--period-b", "2000", "--dimension", "region"],
            "period A must be a year range",
        ),
        (
            ["compare-periods", "--period-a", "1990", "--period-b", "2000", "--dimension", "colour"],
            "Unknown dimension 'colour'. Valid dimensions: party_family",
        ),
        (
            ["compare-periods", "--period-a", "1990", "--period-b", "2000", "--dimension", "region", "--from", "1990"],
            "not --from/--to",
        ),
        (["change-levels", "--baseline-years", "0"], "baseline years must be at least 1"),
        (["change-levels", "--min-exchanges", "-1"], "min exchanges must be zero or more"),
        (["cross-table", "--rows", "region"], "cross-table needs --columns"),
        (["co-attendance", "--min-events", "0"], "min events must be at least 1"),
        (["relationships", "--min-events", "2"], "--min-events does not apply to relationships"),
    ],
)
def test_bad_arguments(capsys, ledger, argv, message):
    code, out, err = run(capsys, *argv, "--db", ledger)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_flag_is_an_argparse_error(capsys, ledger):
    with pytest.raises(SystemExit) as exit_info:
        main(["metric", "kpis", "--db", ledger, "--regoin", "Asia"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --regoin" in capsys.readouterr().err


def test_missing_ledger(capsys, tmp_path):
    code, _, err = run(capsys, "kpis", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "No ledger at" in err


def test_help_lists_every_metric(capsys):
    with pytest.raises(SystemExit):
        main(["metric", "--help"])
    out = capsys.readouterr().out
    for name in metrics.METRICS:
        assert f"  {name} " in out


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("KEN", "KEN"),
        ("ken", "KEN"),
        ("Kenya", "KEN"),
        ("UAE", "ARE"),
        ("DRC", "COD"),
        ("Viet Nam", "VNM"),
        ("vietnam", "VNM"),
        ("Russia", "RUS"),
    ],
)
def test_country_flag_takes_codes_names_and_three_letter_aliases(given, code):
    from analytics.commands.filter_args import country_code

    assert country_code(given) == code


def test_country_flag_in_any_form_gives_the_same_numbers(capsys, ledger):
    outputs = {run(capsys, "by-family", "--db", ledger, "--country", given)[1] for given in ("KEN", "ken", "Kenya")}
    assert outputs == {"party_family,exchanges,share\nnational_democratic,1,1.0\n"}


def test_metric_aliases_give_the_same_table(capsys, ledger):
    assert run(capsys, "leaderboards", "--db", ledger)[1] == run(capsys, "leaderboard", "--db", ledger)[1] != ""


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("Korea", "--country 'Korea' is ambiguous: give one of PRK, KOR"),
        (
            "Soviet Union",
            "Soviet Union is a former state; the ledger records parties by today's country code, e.g. RUS",
        ),
        ("SUN", "e.g. RUS"),
    ],
)
def test_ambiguous_and_former_country_names_are_explained(capsys, ledger, given, message):
    code, out, err = run(capsys, "kpis", "--db", ledger, "--country", given)
    assert code != 0 and out == ""
    assert message in err


# --------------------------------------------------------------------------- languages

BY_FAMILY_ZH = "政党类别,交往次数,占比"
LEADERBOARD_ZH = "排名,国家代码（ISO3）,国家,政党,政党中文名称,交往次数,占比,最近交往日期,上一时期交往次数,变化,变化率,最近交往日期精度"


def test_lang_zh_puts_the_headers_in_chinese_and_keeps_the_codes(capsys, ledger):
    code, out, _ = run(capsys, "by-family", "--lang", "zh", "--db", ledger)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == BY_FAMILY_ZH
    _, plain, _ = run(capsys, "by-family", "--db", ledger)
    assert lines[1:] == plain.splitlines()[1:]  # the values: codes and numbers, unchanged
    assert "national_democratic" in out
    code, out, _ = run(capsys, "leaderboard", "--kind", "party", "--lang", "zh-CN", "--db", ledger)
    assert code == 0 and out.splitlines()[0] == LEADERBOARD_ZH


def test_lang_en_and_no_lang_give_the_column_names(capsys, ledger):
    _, english, _ = run(capsys, "change-levels", "--lang", "en", "--db", ledger)
    _, plain, _ = run(capsys, "change-levels", "--db", ledger)
    assert english == plain and plain.splitlines()[0].startswith("country_iso3,country,region,window_exchanges")
    _, chinese, _ = run(capsys, "change-levels", "--lang", "zh", "--db", ledger)
    assert chinese.splitlines()[0].startswith("国家代码（ISO3）,国家,地区,观察期交往次数,观察期年均交往次数")
    assert ",变化率,变化等级," in chinese.splitlines()[0]


@pytest.mark.parametrize("name", list(EVERY_METRIC))
def test_every_column_of_every_metric_has_a_chinese_header(capsys, ledger, name):
    extra, _ = EVERY_METRIC[name]
    code, out, _ = run(capsys, name, "--lang", "zh", "--format", "json", "--db", ledger, *extra)
    assert code == 0
    headers = list(json.loads(out)[0])
    _, plain, _ = run(capsys, name, "--format", "json", "--db", ledger, *extra)
    names = list(json.loads(plain)[0])
    assert len(headers) == len(names) and len(set(headers)) == len(headers)
    # English words left over; "period A" is 时段A, and HHI and ISO3 are names in Chinese too.
    untranslated = [h for h in headers if re.search("[A-Za-z]{2,}", h.replace("HHI", "").replace("ISO3", ""))]
    assert untranslated == []


def test_table_in_chinese_lines_up(capsys, ledger):
    _, out, _ = run(capsys, "by-family", "--lang", "zh", "--format", "table", "--db", ledger)
    from analytics.cli import width

    lines = out.splitlines()
    assert lines[0].split() == BY_FAMILY_ZH.split(",")
    assert len({width(line) for line in lines}) == 1


def test_an_unknown_lang_is_one_error_line(capsys, ledger):
    code, out, err = run(capsys, "kpis", "--lang", "fr", "--db", ledger)
    assert (code, out) == (2, "")
    assert err == "error: Unknown language 'fr': use one of en, zh\n"
