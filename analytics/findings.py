"""What changed, in words: the ranked findings of a slice of the ledger, each with its numbers,
the chart that shows it and a sentence in the current language.

``findings(source, filters)`` compares the window's latest year with the year before (and with
the mean of the three before), looks for record years, the largest rises and falls by every
breakdown dimension in exchanges and in share, the parties and countries met for the first
time, and the relationships resumed after a long gap or gone dormant. Every number comes from
the metrics that already exist (``analytics.metrics``: exchanges_per_year, breakdown per year,
first_contacts, leaderboard), except the per-party years of the resumed and dormant findings,
read by one query of their own here (``_party_years``). Only findings above ``THRESHOLDS``
are kept, ranked by a score; ``docs/findings.md`` defines each kind, its numbers, its threshold
and its score. Sentences come from one catalogue template per kind (``findings.*`` in
``core.po``) filled only with the row's numbers, formatted for the language.

Callers: the ``findings`` command (``analytics.commands.findings_commands``) and the "What
changed" panel of the pages (``pages.findings_panel``, cached at the UI edge).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from analytics import dimensions, metrics
from analytics.filters import DEFAULT_FIRST_YEAR, Filters
from analytics.i18n import number, percent, region_name, t, using, vocabulary_label
from analytics.reference import countries as reference_countries
from analytics.reference import country_label

COLUMNS: tuple[str, ...] = (
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
)
KINDS: tuple[str, ...] = (
    "rise",
    "fall",
    "record_high",
    "record_low",
    "share_rise",
    "share_fall",
    "first_met",
    "resumed",
    "dormant",
)
MEASURES: tuple[str, ...] = ("exchanges", "events", "parties", "countries", "share")
# The dimensions a finding is about: the breakdowns and the party.
DIMENSIONS: tuple[str, ...] = tuple(d.name for d in dimensions.BREAKDOWNS) + ("party",)


@dataclass(frozen=True)
class Thresholds:
    """The thresholds and the weights of the score, in one place (``docs/findings.md``)."""

    min_exchanges: int = 5  # a comparison needs this many in the larger of its two values
    min_change_pct: float = 10.0  # and a change of at least this percent (any change from zero)
    min_share_change: float = 0.05  # a share must move by 5 percentage points
    min_share_exchanges: int = 20  # and each year must hold this many exchanges of the slice
    record_min_years: int = 5  # a record needs this many earlier years since 1978
    record_bonus: float = 1.0  # added to a record's score
    min_new: int = 1  # parties or countries met for the first time
    gap_years: int = 3  # resumed: at least this many whole years without an exchange before
    dormant_years: int = 3  # dormant: no exchange in the window's last N years...
    dormant_min_exchanges: int = 3  # ...after at least K in the N years before them
    per_dimension: int = 3  # at most this many rises (and falls) per dimension and measure


THRESHOLDS = Thresholds()

# Dimension -> the chart that shows its counts per year (or the latest year against the one before).
CHARTS: dict[str, str] = {
    "total": "exchanges-per-year",
    "region": "region-by-year",
    "subregion": "subregions",
    "country_iso3": "top-countries",
    "party_family": "families-per-year",
    "party_status": "status-share-per-year",
    "form": "forms-per-year",
    "direction": "directions-per-year",
    "level": "levels-per-year",
    "party": "exchanges-per-year",
}
SHARE_CHARTS: dict[str, str] = {**CHARTS, "party_family": "families-share-per-year"}


# --------------------------------------------------------------------------- plumbing


def period_text(first: int, last: int) -> str:
    """A period as the CSV writes it: 'YYYY' or 'YYYY-YYYY'."""
    return str(first) if first == last else f"{first}-{last}"


def period_years(text: str) -> tuple[int, int]:
    """The (first, last) years of a period written by ``period_text``."""
    first, _, last = str(text).partition("-")
    return int(first), int(last or first)


def party_subject(name: str, iso3: str | None) -> str:
    """A party as a finding names it: 'NAME (ISO3)'; an organisation without a country: 'NAME'."""
    return f"{name} ({iso3})" if iso3 else str(name)


def split_party(subject: str) -> tuple[str, str | None]:
    """The (name, ISO3 or None) of a party written by ``party_subject``."""
    name, bracket, rest = subject.rpartition(" (")
    if bracket and rest.endswith(")") and len(rest) == 4 and rest[:3].isalpha() and rest[:3].isupper():
        return name, rest[:3]
    return subject, None


def _whole(value: float) -> int | float:
    """An integer when the value is whole (so the CSV writes 12, not 12.0), else one decimal."""
    rounded = round(float(value), 1)
    return int(rounded) if rounded == int(rounded) else rounded


def _pct(change: float, base: float) -> float:
    return round(change / base * 100.0, 1) if base else math.nan


def _z(value: float, previous: float, ratio: float = 1.0) -> float:
    """|value - previous| over its Poisson standard deviation; ``ratio``: previous is a mean of
    ``ratio`` periods (its variance is previous / ratio)."""
    spread = math.sqrt(value + previous / ratio)
    return abs(value - previous) / spread if spread else 0.0


def _share_z(x1: float, n1: float, x0: float, n0: float) -> float:
    """The two-proportion z statistic of shares x1/n1 against x0/n0 (pooled)."""
    if not n1 or not n0:
        return 0.0
    pooled = (x1 + x0) / (n1 + n0)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    return abs(x1 / n1 - x0 / n0) / spread if spread else 0.0


def _passes(value: float, previous: float, limits: Thresholds) -> bool:
    """A count comparison worth saying: big enough and moved enough (any move from zero)."""
    if max(value, previous) < limits.min_exchanges or value == previous:
        return False
    if previous == 0:
        return True
    return abs(value - previous) / previous * 100.0 >= limits.min_change_pct - 1e-9


def _passing(value: pd.Series, previous: pd.Series, limits: Thresholds) -> pd.Series:
    """``_passes`` over two columns at once."""
    value, previous = value.astype("float64"), previous.astype("float64")
    big = (value.where(value > previous, previous) >= limits.min_exchanges) & (value != previous)
    pct = (value - previous).abs() / previous.where(previous != 0) * 100.0
    return big & ((previous == 0) | (pct >= limits.min_change_pct - 1e-9))


def _row(kind, measure, dimension, subject, period, value, previous_period, previous_value, score, chart) -> dict:
    change = _whole(value - previous_value) if measure != "share" else value - previous_value
    pct = _pct(value - previous_value, previous_value) if measure != "share" else math.nan
    return {
        "kind": kind,
        "measure": measure,
        "dimension": dimension,
        "subject": subject,
        "period": period,
        "value": value,
        "previous_period": previous_period,
        "previous_value": previous_value,
        "change": change,
        "change_pct": pct,
        "chart": chart,
        "score": score,
    }


# --------------------------------------------------------------------------- the kinds


def _totals(con, filters: Filters, last: int, limits: Thresholds) -> list[dict]:
    """Rises and falls of the four measures against the year before; of exchanges and events
    against the mean of the three years before; record years of exchanges."""
    start = min(DEFAULT_FIRST_YEAR, last - 3)
    per_year = metrics.exchanges_per_year(con, filters.with_years(start, last)).set_index("year")
    rows = []
    year, before = str(last), str(last - 1)
    for measure in metrics.KPIS:
        value, previous = int(per_year.at[last, measure]), int(per_year.at[last - 1, measure])
        if _passes(value, previous, limits):
            kind = "rise" if value > previous else "fall"
            chart = CHARTS["total"] if measure == "exchanges" else "activity-per-year"
            rows.append(_row(kind, measure, "total", "", year, value, before, previous, _z(value, previous), chart))
    for measure in ("exchanges", "events"):
        value = int(per_year.at[last, measure])
        total = int(per_year.loc[last - 3 : last - 1, measure].sum())
        mean = _whole(total / 3)
        # against three empty years the year before is empty too, and its finding says it
        if total > 0 and _passes(value, total / 3, limits):
            kind = "rise" if value > total / 3 else "fall"
            chart = CHARTS["total"] if measure == "exchanges" else "activity-per-year"
            row = _row(
                kind,
                measure,
                "total",
                "",
                year,
                value,
                period_text(last - 3, last - 1),
                mean,
                _z(value, total / 3, 3),
                chart,
            )
            row["change"] = _whole(value - total / 3)
            row["change_pct"] = _pct(value * 3 - total, total)
            rows.append(row)
    rows.extend(_records(per_year, last, limits))
    return rows


def _records(per_year: pd.DataFrame, last: int, limits: Thresholds) -> list[dict]:
    """The latest year's exchanges above (below) every earlier year since 1978, counted from the
    first year with an exchange; a tie is no record."""
    counts = per_year.loc[DEFAULT_FIRST_YEAR:last, "exchanges"].astype("int64")
    active = counts[counts > 0]
    if active.empty or last not in counts.index:
        return []
    earlier = counts.loc[active.index[0] : last - 1]
    if len(earlier) < limits.record_min_years:
        return []
    value = int(counts.at[last])
    rows = []
    high_year = int(earlier.idxmax())  # the first year of the highest count
    high = int(earlier.max())
    if value > high and value >= limits.min_exchanges:
        rows.append(
            _row(
                "record_high",
                "exchanges",
                "total",
                "",
                str(last),
                value,
                str(high_year),
                high,
                _z(value, high) + limits.record_bonus,
                CHARTS["total"],
            )
        )
    low_year, low = int(earlier.idxmin()), int(earlier.min())
    if value < low and low >= limits.min_exchanges:
        rows.append(
            _row(
                "record_low",
                "exchanges",
                "total",
                "",
                str(last),
                value,
                str(low_year),
                low,
                _z(value, low) + limits.record_bonus,
                CHARTS["total"],
            )
        )
    return rows


def _dimension_changes(con, filters: Filters, last: int, limits: Thresholds) -> list[dict]:
    """For each breakdown dimension: the largest rises and falls in exchanges and in share, the
    latest year against the one before (``metrics.breakdown`` per year)."""
    two = filters.with_years(last - 1, last)
    rows: list[dict] = []
    for dimension in (d.name for d in dimensions.BREAKDOWNS):
        frame = metrics.breakdown(con, two, dimension, per_year=True)
        now = frame[frame["year"] == last].set_index(dimension)
        before = frame[frame["year"] == last - 1].set_index(dimension)
        if dimension == "country_iso3":  # the international bucket is a region, not a country
            now, before = now.drop(index="", errors="ignore"), before.drop(index="", errors="ignore")
        if (pd.concat([now["exchanges"], before["exchanges"]], axis=1).sum(axis=1) > 0).sum() < 2:
            continue  # one value only (the filters chose it): its numbers are the total's
        previous = before[["exchanges", "share"]].rename(columns=lambda c: f"{c}_before")
        both = now[["exchanges", "share"]].join(previous)
        total_now, total_before = int(both["exchanges"].sum()), int(both["exchanges_before"].sum())
        counts, shares = [], []
        # Sifted in pandas first: only the few subjects past the thresholds become rows.
        moved = _passing(both["exchanges"], both["exchanges_before"], limits)
        for subject, item in both[moved].iterrows():
            value, previous = int(item["exchanges"]), int(item["exchanges_before"])
            counts.append(
                _row(
                    "rise" if value > previous else "fall",
                    "exchanges",
                    dimension,
                    str(subject),
                    str(last),
                    value,
                    str(last - 1),
                    previous,
                    _z(value, previous),
                    CHARTS[dimension],
                )
            )
        if min(total_now, total_before) >= limits.min_share_exchanges:
            shifted = (both["share"] - both["share_before"]).abs() >= limits.min_share_change - 1e-12
            for subject, item in both[shifted.fillna(False)].iterrows():
                share, share_before = float(item["share"]), float(item["share_before"])
                shares.append(
                    _row(
                        "share_rise" if share > share_before else "share_fall",
                        "share",
                        dimension,
                        str(subject),
                        str(last),
                        share,
                        str(last - 1),
                        share_before,
                        _share_z(item["exchanges"], total_now, item["exchanges_before"], total_before),
                        SHARE_CHARTS[dimension],
                    )
                )
        rows.extend(_strongest(counts, limits) + _strongest(shares, limits))
    return rows


def _strongest(rows: list[dict], limits: Thresholds) -> list[dict]:
    """The ``per_dimension`` highest-scoring rises and as many falls."""
    kept = []
    for sign in (1, -1):
        same = [r for r in rows if (r["value"] > r["previous_value"]) == (sign > 0)]
        same.sort(key=lambda r: (-r["score"], r["subject"]))
        kept.extend(same[: limits.per_dimension])
    return kept


def _party_changes(con, filters: Filters, last: int, limits: Thresholds) -> list[dict]:
    """The parties that rose or fell most, the latest year against the one before
    (``metrics.leaderboard`` of parties over the latest year, its previous window the year before).
    A party without an exchange in the latest year is for the dormant findings."""
    if filters.party:
        return []
    board = metrics.leaderboard(con, filters.with_years(last, last), kind="party", top=10**9)
    if len(board) < 2:
        return []
    rows = []
    for item in board.itertuples():
        value, previous = int(item.exchanges), int(item.previous_exchanges)
        if _passes(value, previous, limits):
            kind = "rise" if value > previous else "fall"
            subject = party_subject(item.party, item.country_iso3 or None)
            rows.append(
                _row(
                    kind,
                    "exchanges",
                    "party",
                    subject,
                    str(last),
                    value,
                    str(last - 1),
                    previous,
                    _z(value, previous),
                    CHARTS["party"],
                )
            )
    return _strongest(rows, limits)


def _first_met(con, filters: Filters, last: int, limits: Thresholds) -> list[dict]:
    """Parties and countries met for the first time in the latest year (``metrics.first_contacts``)."""
    firsts = metrics.first_contacts(con, filters.with_years(last - 1, last)).set_index("year")
    rows = []
    for measure, column in (("parties", "new_parties"), ("countries", "new_countries")):
        value, previous = int(firsts.at[last, column]), int(firsts.at[last - 1, column])
        if value >= limits.min_new:
            rows.append(
                _row(
                    "first_met",
                    measure,
                    "total",
                    "",
                    str(last),
                    value,
                    str(last - 1),
                    previous,
                    math.sqrt(value) / 2,
                    "first-contacts",
                )
            )
    return rows


def _relationships(con, filters: Filters, last: int, limits: Thresholds) -> list[dict]:
    """Relationships resumed in the latest year after at least ``gap_years`` whole years without
    an exchange, and gone dormant: no exchange in the last ``dormant_years`` years of the window
    after at least ``dormant_min_exchanges`` in the as many years before, the last of them in the
    year just before the quiet years (so a relationship is reported once, when it goes quiet)."""
    if filters.party:
        return []
    years = metrics.party_years(con, filters, last)
    if years.empty:
        return []
    years = years.astype({"year": "int64", "exchanges": "int64"})
    names = years.groupby("party_id").agg(party=("party", "first"), country_iso3=("country_iso3", "first"))
    latest = years.groupby("party_id")["year"].max()
    now = years[years["year"] == last].set_index("party_id")["exchanges"]
    before = years[years["year"] < last].groupby("party_id")["year"].max()
    resumed, dormant = [], []
    for party_id, value in now.items():
        gap = last - int(before.get(party_id, last)) - 1
        if party_id in before.index and gap >= limits.gap_years:
            subject = party_subject(names.at[party_id, "party"], names.at[party_id, "country_iso3"] or None)
            resumed.append(
                _row(
                    "resumed",
                    "exchanges",
                    "party",
                    subject,
                    str(last),
                    int(value),
                    period_text(last - gap, last - 1),
                    0,
                    math.sqrt(value),
                    CHARTS["party"],
                )
            )
    quiet = limits.dormant_years
    span = (last - 2 * quiet + 1, last - quiet)
    gone = latest[latest == span[1]].index
    totals = years[years["party_id"].isin(gone) & years["year"].between(*span)].groupby("party_id")["exchanges"].sum()
    for party_id, previous in totals.items():
        if previous >= limits.dormant_min_exchanges:
            subject = party_subject(names.at[party_id, "party"], names.at[party_id, "country_iso3"] or None)
            dormant.append(
                _row(
                    "dormant",
                    "exchanges",
                    "party",
                    subject,
                    period_text(last - quiet + 1, last),
                    0,
                    period_text(*span),
                    int(previous),
                    math.sqrt(previous),
                    CHARTS["party"],
                )
            )
    return resumed + dormant


# --------------------------------------------------------------------------- sentences


def _count(value) -> str:
    """A count or a mean in the language's format: no decimals when whole, else one."""
    value = float(value)
    return number(value, digits=0 if value == int(value) else 1)


def _period(text: str) -> str:
    first, last = period_years(text)
    return t("chart.period.year", year=first) if first == last else t("chart.period.range", first=first, last=last)


def subject_label(dimension: str, subject: str) -> str:
    """The subject of a finding in the current language: a region or country by its name, a code
    by its label, a party by its recorded name and its country's name. Plain text (a party name
    may hold anything): escape it for its destination."""
    if dimension in ("region", "subregion"):
        return region_name(subject)
    if dimension == "country_iso3":
        return country_label(subject, english="common")
    if dimension == "party":
        name, iso3 = split_party(subject)
        return t("findings.party", party=name, country=country_label(iso3, english="common")) if iso3 else name
    return vocabulary_label(subject)


# The numbers each kind's sentence says (besides its periods).
SAID: dict[str, tuple[str, ...]] = {
    "rise": ("value", "previous_value", "change_pct"),
    "fall": ("value", "previous_value", "change_pct"),
    "share_rise": ("value", "previous_value", "change"),
    "share_fall": ("value", "previous_value", "change"),
    "record_high": ("value", "previous_value"),
    "record_low": ("value", "previous_value"),
    "first_met": ("value", "previous_value"),
    "resumed": ("value",),
    "dormant": ("previous_value",),
}


def numbers(row) -> dict[str, str]:
    """The row's numbers its sentence says, by field name, as the language writes them (a change
    from zero has no percent); the tests check that the sentence holds these and no other."""
    if row["measure"] == "share":
        fields = {
            "value": percent(row["value"], digits=1),
            "previous_value": percent(row["previous_value"], digits=1),
            "change": number(abs(row["change"]) * 100, digits=1),
        }
    else:
        fields = {"value": _count(row["value"]), "previous_value": _count(row["previous_value"])}
        if not pd.isna(row["change_pct"]):
            pct = abs(float(row["change_pct"]))
            fields["change_pct"] = percent(pct / 100, digits=0 if pct == int(pct) else 1)
    return {name: text for name, text in fields.items() if name in SAID[row["kind"]]}


def sentence(row) -> str:
    """The finding in words in the current language, from the template of its kind; every number
    in it is one of the row's (``numbers``)."""
    kind, measure, dimension = row["kind"], row["measure"], row["dimension"]
    fields = {
        **numbers(row),
        "period": _period(row["period"]),
        "previous_period": _period(row["previous_period"]),
    }
    subject = subject_label(dimension, row["subject"]) if dimension != "total" else ""
    if kind in ("rise", "fall"):
        what = (
            t(f"findings.what.{measure}") if dimension == "total" else t(f"findings.with.{dimension}", subject=subject)
        )
        mean = period_years(row["previous_period"])[0] != period_years(row["previous_period"])[1]
        variant = "from_zero" if "change_pct" not in fields else ("mean" if mean else "year")
        return t(f"findings.{kind}.{variant}", what=what, **fields)
    if kind in ("share_rise", "share_fall"):
        return t(f"findings.{kind}", what=t(f"findings.share_of.{dimension}", subject=subject), **fields)
    if kind == "first_met":
        return t(f"findings.first_met.{measure}", **fields)
    return t(f"findings.{kind}", subject=subject, **fields)


def _parent(dimension: str, subject: str) -> tuple[str, str] | None:
    """What holds a subject: a party its country, a country its sub-region, a sub-region its
    region; the events of the total their exchanges (None: nothing)."""
    if dimension == "party":
        iso3 = split_party(subject)[1]
        return ("country_iso3", iso3) if iso3 else None
    table = reference_countries()
    if dimension == "country_iso3":
        found = table.loc[table["iso3"] == subject, "subregion"]
        return ("subregion", str(found.iloc[0])) if not found.empty else None
    if dimension == "subregion":
        found = table.loc[table["subregion"] == subject, "region"]
        return ("region", str(found.iloc[0])) if not found.empty else None
    return None


def _without_nested_repeats(found: list[dict]) -> list[dict]:
    """The findings less those that repeat, number for number, the finding of what holds them
    (Eastern Africa when all of Africa's exchanges were East African; a country's only party;
    the events when every exchange was its own event): said once, of the larger subject."""

    def numbers_of(row: dict) -> tuple:
        return (row["kind"], row["period"], row["previous_period"], row["value"], row["previous_value"])

    said = {(r["dimension"], r["subject"], r["measure"], numbers_of(r)) for r in found}
    kept = []
    for row in found:
        if row["dimension"] == "total" and row["measure"] == "events":
            holder: tuple[str, str] | None = ("total", "")
            measure = "exchanges"
        else:
            holder, measure = _parent(row["dimension"], row["subject"]), row["measure"]
        if holder is not None and (*holder, measure, numbers_of(row)) in said:
            continue
        kept.append(row)
    return kept


# --------------------------------------------------------------------------- the findings


def empty() -> pd.DataFrame:
    """No findings: the columns, no rows."""
    return pd.DataFrame({column: pd.Series(dtype="object") for column in COLUMNS})


def findings(
    source: metrics.Source,
    filters: Filters | None = None,
    *,
    top: int | None = None,
    lang: str | None = None,
    thresholds: Thresholds = THRESHOLDS,
) -> pd.DataFrame:
    """The ranked findings of the slice: one row per finding, columns ``COLUMNS`` in order.

    The latest year of the window (``metrics.window``) against the year before, the mean of the
    three before and every year since 1978; the sentences in ``lang`` (the current language when
    None). ``top`` keeps the N best. Ties in score share a rank.
    """
    filters = (filters or Filters()).validated()
    with metrics.opened(source) as con:
        _, last = metrics.window(con, filters)
        found = [
            *_totals(con, filters, last, thresholds),
            *_dimension_changes(con, filters, last, thresholds),
            *_party_changes(con, filters, last, thresholds),
            *_first_met(con, filters, last, thresholds),
            *_relationships(con, filters, last, thresholds),
        ]
    found = _without_nested_repeats(found)
    if not found:
        return empty()
    frame = pd.DataFrame(found)
    frame["score"] = frame["score"].round(6)
    frame["_kind"] = frame["kind"].map(KINDS.index)
    frame["_dimension"] = frame["dimension"].map(["total", *DIMENSIONS].index)
    frame["_measure"] = frame["measure"].map(MEASURES.index)
    frame = frame.sort_values(
        ["score", "_kind", "_dimension", "_measure", "subject"],
        ascending=[False, True, True, True, True],
        kind="stable",
    ).reset_index(drop=True)
    frame["rank"] = frame["score"].rank(method="min", ascending=False).astype("int64")
    if top is not None:
        frame = frame.head(top)
    for column in ("value", "previous_value", "change"):  # counts as integers, means with one decimal
        frame[column] = pd.Series(
            [v if m == "share" else _whole(v) for v, m in zip(frame[column], frame["measure"], strict=True)],
            dtype="object",
            index=frame.index,
        )
    with using(lang):
        frame["text"] = [sentence(row) for _, row in frame.iterrows()]
    return frame[list(COLUMNS)].reset_index(drop=True)


def finding_filters(filters: Filters, dimension: str, subject: str) -> Filters:
    """The filters that show one finding: the slice's, narrowed to the finding's subject (a
    region, a country, a code, a party and its country); the slice's own for a total."""
    if dimension == "total" or not subject:
        return filters  # (the country_iso3 findings leave the international bucket out)
    if dimension == "party":
        name, iso3 = split_party(subject)
        return replace(filters, party=name, countries=(iso3,) if iso3 else filters.countries)
    field = dimensions.get(dimension).filter_field
    if not field:
        return filters
    narrowed: dict[str, tuple[str, ...]] = {field: (subject,)}
    return replace(filters, **narrowed)  # type: ignore[arg-type]
