"""The findings engine (``analytics.findings``) and its command (``python -m analytics findings``),
on hand-built ledgers whose every finding is worked out by hand here (and in docs/findings.md)."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest

from analytics import chart_catalog, findings, i18n
from analytics.cli import main
from analytics.filters import Filters


def repeat(party: str, country: str | None, year: int, count: int, **extra) -> list[dict]:
    """``count`` exchanges with one party in one year (one a month, each its own event)."""
    return [{"date": f"{year}-{n % 12 + 1:02d}", "party": party, "country": country, **extra} for n in range(count)]


# The worked example of docs/findings.md: 2023 against 2024.
#   Kenya 4 -> 8 (+100 %: kept); France 10 -> 11 (+10 %: kept, on the threshold);
#   Germany 20 -> 21 (+5 %: too little); Ethiopia 1 -> 4 (+300 %, but fewer than 5: too small).
#   Totals 35 -> 44 (+25.7 %); Africa 5 -> 12, Europe 30 -> 32 (+6.7 %: too little);
#   Africa's share 5/35 = 14.3 % -> 12/44 = 27.3 % (+13.0 points), Europe's the opposite.
EXAMPLE = [
    *repeat("Kenya Union", "KEN", 2023, 4),
    *repeat("Kenya Union", "KEN", 2024, 8),
    *repeat("Parti A", "FRA", 2023, 10),
    *repeat("Parti A", "FRA", 2024, 11),
    *repeat("Deutsche Partei", "DEU", 2023, 20),
    *repeat("Deutsche Partei", "DEU", 2024, 21),
    *repeat("Ethiopian Front", "ETH", 2023, 1),
    *repeat("Ethiopian Front", "ETH", 2024, 4),
]


@pytest.fixture
def example(make_ledger):
    return make_ledger(EXAMPLE)


def _find(frame, kind, dimension, subject="", measure="exchanges", previous_period=None):
    rows = frame[
        (frame["kind"] == kind)
        & (frame["dimension"] == dimension)
        & (frame["subject"] == subject)
        & (frame["measure"] == measure)
    ]
    if previous_period is not None:
        rows = rows[rows["previous_period"] == previous_period]
    assert len(rows) <= 1
    return None if rows.empty else rows.iloc[0]


def test_columns_are_the_issues_in_order(example):
    frame = findings.findings(example)
    assert list(frame.columns) == [
        "rank",
        "kind",
        "measure",
        "dimension",
        "subject",
        "period",
        "value",
        "previous_period",
        "previous_value",
        "change",
        "change_pct",
        "chart",
        "text",
    ]


def test_a_rise_that_passes_and_ones_that_do_not(example):
    frame = findings.findings(example)
    kenya = _find(frame, "rise", "country_iso3", "KEN")
    assert (kenya["period"], kenya["value"], kenya["previous_period"], kenya["previous_value"]) == (
        "2024",
        8,
        "2023",
        4,
    )
    assert (kenya["change"], kenya["change_pct"], kenya["chart"]) == (4, 100.0, "top-countries")
    france = _find(frame, "rise", "country_iso3", "FRA")  # exactly +10 %: on the threshold, kept
    assert (france["value"], france["previous_value"], france["change_pct"]) == (11, 10, 10.0)
    assert _find(frame, "rise", "country_iso3", "DEU") is None  # +5 %
    assert _find(frame, "rise", "country_iso3", "ETH") is None  # +300 % of too few
    assert _find(frame, "rise", "region", "Europe") is None  # 30 -> 32, +6.7 %
    africa = _find(frame, "rise", "region", "Africa")
    assert (africa["value"], africa["previous_value"], africa["change"], africa["change_pct"]) == (12, 5, 7, 140.0)
    total = _find(frame, "rise", "total", previous_period="2023")
    assert (total["value"], total["previous_value"], total["change"], total["change_pct"]) == (44, 35, 9, 25.7)
    # against the mean of 2021-2023 (0, 0, 35): 11.7 a year, +277.1 %
    mean = _find(frame, "rise", "total", previous_period="2021-2023")
    assert (mean["period"], mean["value"], mean["previous_value"], mean["change"]) == ("2024", 44, 11.7, 32.3)
    assert mean["change_pct"] == 277.1
    # parties and countries: 4 in both years, no change
    assert _find(frame, "rise", "total", measure="parties") is None
    # one family, status, form... only: their numbers are the total's, not said twice
    assert not frame["dimension"].isin(["party_family", "party_status", "form", "direction", "level"]).any()


def test_shares_of_the_year_move_by_points(example):
    frame = findings.findings(example)
    africa = _find(frame, "share_rise", "region", "Africa", measure="share")
    assert africa["value"] == pytest.approx(12 / 44) and africa["previous_value"] == pytest.approx(5 / 35)
    assert africa["change"] == pytest.approx(12 / 44 - 5 / 35) and math.isnan(africa["change_pct"])
    europe = _find(frame, "share_fall", "region", "Europe", measure="share")
    assert europe["value"] == pytest.approx(32 / 44) and europe["chart"] == "region-by-year"


def test_score_ranks_and_ties_share_a_rank(example):
    frame = findings.findings(example)
    assert frame["rank"].is_monotonic_increasing and frame["rank"].iloc[0] == 1
    # Africa's share rose by what Europe's fell (the only two regions): the same score, the same
    # rank, the rise listed first (the order of the kinds)
    rise = frame.index[(frame["kind"] == "share_rise") & (frame["subject"] == "Africa")][0]
    fall = frame.index[(frame["kind"] == "share_fall") & (frame["subject"] == "Europe")][0]
    assert frame.at[rise, "rank"] == frame.at[fall, "rank"] and fall == rise + 1
    assert frame.at[fall + 1, "rank"] == frame.at[rise, "rank"] + 2  # the rank after a tie
    # Kenya's z score 4 / sqrt(12) = 1.155 is below Africa's 7 / sqrt(17) = 1.698
    kenya = frame.index[(frame["kind"] == "rise") & (frame["subject"] == "KEN")][0]
    africa = frame.index[(frame["kind"] == "rise") & (frame["subject"] == "Africa")][0]
    assert frame.at[kenya, "rank"] > frame.at[africa, "rank"]
    assert len(findings.findings(example, top=3)) == 3


def test_a_finding_that_repeats_what_holds_it_is_said_once(example):
    frame = findings.findings(example)
    # Eastern Africa is all of Africa here (5 -> 12), Kenya Union all of Kenya, and every
    # exchange its own event: said once, of the larger subject
    assert _find(frame, "rise", "region", "Africa") is not None
    assert _find(frame, "rise", "subregion", "Eastern Africa") is None
    assert _find(frame, "rise", "country_iso3", "KEN") is not None
    assert _find(frame, "rise", "party", "Kenya Union (KEN)") is None
    assert not (frame["measure"] == "events").any()


def test_a_record_year_and_a_tie_that_is_none(make_ledger):
    years = [row for year in range(2016, 2021) for row in repeat("Parti A", "FRA", year, 5)]
    high = findings.findings(make_ledger([*years, *repeat("Parti A", "FRA", 2021, 9)], name="high.duckdb"))
    record = _find(high, "record_high", "total")
    assert (record["period"], record["value"], record["previous_period"], record["previous_value"]) == (
        "2021",
        9,
        "2016",
        5,
    )
    assert record["chart"] == "exchanges-per-year"
    low = findings.findings(make_ledger([*years, *repeat("Parti A", "FRA", 2021, 2)], name="low.duckdb"))
    record = _find(low, "record_low", "total")
    assert (record["value"], record["previous_period"], record["previous_value"]) == (2, "2016", 5)
    tied = findings.findings(make_ledger([*years, *repeat("Parti A", "FRA", 2021, 5)], name="tie.duckdb"))
    assert not tied["kind"].isin(["record_high", "record_low"]).any()
    # four earlier years only: too short a history for a record
    short = [row for year in range(2017, 2021) for row in repeat("Parti A", "FRA", year, 5)]
    young = findings.findings(make_ledger([*short, *repeat("Parti A", "FRA", 2021, 9)], name="young.duckdb"))
    assert not young["kind"].isin(["record_high"]).any()


def test_parties_and_countries_met_for_the_first_time(make_ledger):
    path = make_ledger(
        [
            *repeat("Parti A", "FRA", 2020, 2),
            *repeat("Parti A", "FRA", 2021, 2),
            *repeat("Kenya Union", "KEN", 2021, 1),
            *repeat("Parti B", "FRA", 2021, 1),
        ]
    )
    frame = findings.findings(path)
    parties = _find(frame, "first_met", "total", measure="parties")
    assert (parties["period"], parties["value"], parties["previous_period"], parties["previous_value"]) == (
        "2021",
        2,
        "2020",
        1,
    )
    countries = _find(frame, "first_met", "total", measure="countries")
    assert (countries["value"], countries["previous_value"], countries["chart"]) == (1, 1, "first-contacts")


RELATIONSHIPS = [
    # gone dormant: last met 2021, 4 exchanges in 2019-2021, none in 2022-2024
    *repeat("Deutsche Partei", "DEU", 2019, 1),
    *repeat("Deutsche Partei", "DEU", 2020, 1),
    *repeat("Deutsche Partei", "DEU", 2021, 2),
    # quiet since 2020: it went dormant a year ago, not now
    *repeat("Parti A", "FRA", 2019, 5),
    *repeat("Parti A", "FRA", 2020, 5),
    # last met 2021 but only 2 exchanges before: too small a relationship
    *repeat("Partido B", "ESP", 2021, 2),
    # resumed: 2018, then nothing 2019-2023, then 3 in 2024
    *repeat("Kenya Union", "KEN", 2018, 2),
    *repeat("Kenya Union", "KEN", 2024, 3),
    # a gap of two years (2022, 2023) only
    *repeat("Ethiopian Front", "ETH", 2021, 1),
    *repeat("Ethiopian Front", "ETH", 2024, 1),
]


def test_dormant_and_resumed_relationships(make_ledger):
    frame = findings.findings(make_ledger(RELATIONSHIPS))
    dormant = frame[frame["kind"] == "dormant"]
    assert dormant["subject"].tolist() == ["Deutsche Partei (DEU)"]
    row = dormant.iloc[0]
    assert (row["period"], row["value"], row["previous_period"], row["previous_value"]) == (
        "2022-2024",
        0,
        "2019-2021",
        4,
    )
    assert (row["change"], row["change_pct"], row["dimension"]) == (-4, -100.0, "party")
    resumed = frame[frame["kind"] == "resumed"]
    assert resumed["subject"].tolist() == ["Kenya Union (KEN)"]
    row = resumed.iloc[0]
    assert (row["period"], row["value"], row["previous_period"], row["previous_value"]) == ("2024", 3, "2019-2023", 0)
    # a party filter: its relationship is the slice itself
    assert (
        findings.findings(make_ledger(RELATIONSHIPS, name="b.duckdb"), Filters(party="Kenya Union"))["dimension"]
        .ne("party")
        .all()
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Exchanges with Kenya rose by 100% in 2024: 8, against 4 in 2023."),
        ("zh", "2024年与肯尼亚的交往次数为8，比2023年的4增长100%。"),
    ],
)
def test_sentences_in_both_languages(example, lang, expected):
    frame = findings.findings(example, lang=lang)
    assert _find(frame, "rise", "country_iso3", "KEN")["text"] == expected


@pytest.mark.parametrize(
    ("lang", "kind", "dimension", "subject", "measure", "expected"),
    [
        (
            "en",
            "share_rise",
            "region",
            "Africa",
            "share",
            "The share of exchanges with Africa in all exchanges rose from 14.3% in 2023 to 27.3% in 2024, "
            "up 13.0 percentage points.",
        ),
        (
            "zh",
            "share_rise",
            "region",
            "Africa",
            "share",
            "与非洲的交往在全部交往中所占比重从2023年的14.3%升至2024年的27.3%，上升13.0个百分点。",
        ),
    ],
)
def test_share_sentences(example, lang, kind, dimension, subject, measure, expected):
    assert _find(findings.findings(example, lang=lang), kind, dimension, subject, measure)["text"] == expected


def test_mean_and_relationship_sentences(example, make_ledger):
    frame = findings.findings(example, lang="en")
    assert _find(frame, "rise", "total", previous_period="2021-2023")["text"] == (
        "Exchanges rose by 277.1% in 2024: 44, against a yearly mean of 11.7 in 2021–2023."
    )
    frame = findings.findings(make_ledger(RELATIONSHIPS, name="r.duckdb"), lang="zh")
    assert frame[frame["kind"] == "dormant"]["text"].iloc[0] == (
        "2022—2024年与Deutsche Partei（德国）没有交往，此前2019—2021年有4次。"
    )
    assert frame[frame["kind"] == "resumed"]["text"].iloc[0] == (
        "与Kenya Union（肯尼亚）的交往在2019—2023年中断后，于2024年恢复（3次）。"
    )


def test_a_rise_from_three_empty_years_is_said_once_against_the_year_before(make_ledger):
    # 5 exchanges in 2018, none in 2019-2023, 8 in 2024: 2023 had 0 and 2021-2023 a mean of 0;
    # the one rise is 0 -> 8 against 2023 and has no percent
    ledger = make_ledger([*repeat("Parti A", "FRA", 2018, 5), *repeat("Parti A", "FRA", 2024, 8)], name="gap.duckdb")
    frame = findings.findings(ledger, lang="en")
    assert _find(frame, "rise", "total", previous_period="2021-2023") is None
    rise = _find(frame, "rise", "total", previous_period="2023")
    assert (rise["value"], rise["previous_value"], rise["change"]) == (8, 0, 8)
    assert math.isnan(rise["change_pct"])
    assert rise["text"] == "Exchanges rose from 0 in 2023 to 8 in 2024."


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_sentence_holds_its_rows_numbers(example, make_ledger, lang):
    for path in (example, make_ledger(RELATIONSHIPS, name="r.duckdb")):
        frame = findings.findings(path, lang=lang)
        assert not frame.empty
        with i18n.using(lang):
            for _, row in frame.iterrows():
                said = findings.numbers(row)
                for text in said.values():
                    assert text in row["text"], (text, row["text"])
                assert numbers_in(row) <= set(said.values()), row["text"]


def numbers_in(row) -> set[str]:
    """The numbers a sentence writes, its periods taken out (subjects hold no digits here)."""
    text = row["text"]
    for period in (row["period"], row["previous_period"]):
        first, last = findings.period_years(period)
        for year in {first, last}:
            text = text.replace(str(year), " ")
    return {match.rstrip(".,") for match in re.findall(r"[\d][\d,.]*%?", text)}


def test_every_chart_is_in_the_catalog(example):
    assert set(findings.CHARTS.values()) | set(findings.SHARE_CHARTS.values()) <= set(chart_catalog.CHARTS)
    assert set(findings.findings(example)["chart"]) <= set(chart_catalog.CHARTS)


def test_a_finding_s_filters(example):
    base = Filters(year_from=2020)
    assert findings.finding_filters(base, "total", "") == base
    assert findings.finding_filters(base, "region", "Africa") == Filters(year_from=2020, regions=("Africa",))
    assert findings.finding_filters(base, "country_iso3", "KEN").countries == ("KEN",)
    party = findings.finding_filters(base, "party", "Union (of the Left) (KEN)")
    assert (party.party, party.countries) == ("Union (of the Left)", ("KEN",))
    assert findings.split_party("Left Network") == ("Left Network", None)


def test_no_rows_no_findings(make_ledger):
    frame = findings.findings(make_ledger([]))
    assert frame.empty and list(frame.columns) == list(findings.COLUMNS)


# --------------------------------------------------------------------------- the command


def test_command_prints_the_columns_in_order(capsys, example):
    assert main(["findings", "--db", str(example), "--top", "4"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == list(findings.COLUMNS)
    assert len(rows) == 5 and [r[0] for r in rows[1:]] == sorted((r[0] for r in rows[1:]), key=int)


def test_command_filters_language_and_json(capsys, example):
    assert main(["findings", "--db", str(example), "--country", "KEN", "--lang", "zh", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records and all(r["dimension"] != "country_iso3" for r in records)
    total = next(r for r in records if r["kind"] == "rise" and r["previous_period"] == "2023")
    assert total["measure"] == "exchanges"  # before the events, which tie with it
    assert (total["value"], total["previous_value"], total["change_pct"]) == (8, 4, 100.0)
    assert total["text"] == "2024年交往次数为8，比2023年的4增长100%。"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--top", "0"], "--top"),
        (["--top", "many"], "--top"),
        (["--format", "xml"], "xml"),
        (["--region", "Mars"], "Mars"),
        (["--lang", "fr"], "fr"),
        (["--party", "Nobody At All"], "Nobody At All"),
    ],
)
def test_command_errors_are_one_line_and_exit_2(capsys, example, args, message):
    assert main(["findings", "--db", str(example), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]


# --------------------------------------------------------------------------- the panel


@pytest.mark.slow  # through Streamlit's AppTest
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_overview_shows_what_changed(monkeypatch, example, lang):
    from streamlit.testing.v1 import AppTest

    from tests.test_pages import APP, TIMEOUT

    monkeypatch.setenv("LEDGER_DB", str(example))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    with i18n.using(lang):
        title = i18n.t("page.findings.title")
    best = findings.findings(example, top=4, lang=lang)
    shown = [m.value for m in at.markdown]
    assert any(title in text for text in shown)
    for sentence in best["text"]:  # escaped for Markdown: compare without the backslashes
        assert any(text.replace("\\", "") == sentence for text in shown), sentence
    links = [el for el in at.get("page_link")]
    assert len(links) >= len(best)
