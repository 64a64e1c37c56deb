"""Deterministic generator of the synthetic demo ledger.

Called by ``ledger.create_ledger`` (``python -m analytics init --demo``) on first run and in
smoke tests. The shape follows the public facts in ``../shared/domain.md``: sparse and
communist-dominated before 1978, widening after the 1978 reform, more than 400 parties in
more than 140 countries by 2003, growth after 2012, a 2017 high-level dialogue and a 2021
online summit with hundreds of parties under one event id, and the 2020-2021 move online.
Party names are invented so that no invented meeting is attributed to a real organisation.
Everything is vectorised with NumPy; the same seed always gives the same ledger.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics import reference, vocab
from analytics.errors import InvalidInputError
from analytics.i18n import number, t

FIRST_YEAR = 1951
LAST_YEAR = 2025
MIN_ROWS = 5_000
TERM_YEARS = 5
MAX_ROWS = 50_000_000  # about 1.7 GB on disk; more needs more memory than a laptop has
CHUNK_ROWS = 1_000_000

# Countries whose parties are not foreign counterparts in this ledger.
EXCLUDED_COUNTRIES = ("CHN", "HKG", "MAC", "TWN")
TERRITORY_WEIGHT = 0.15
# Cumulative number of countries engaged by the end of each year (interpolated between).
COUNTRY_JOIN_CURVE = {1951: 6, 1956: 22, 1965: 42, 1977: 58, 1985: 105, 1990: 122, 2003: 156, 2012: 178, 2025: 192}
LATIN_AMERICA = "Latin America and the Caribbean"

QUALIFIERS = {
    "communist": ["Communist", "Workers'", "Proletarian", "Red Banner"],
    "socialist": ["Socialist", "Workers' Socialist", "Popular Left", "United Left"],
    "social_democratic": ["Social Democratic", "Labour", "Democratic Labour", "Social Labour"],
    "national_democratic": ["National Democratic", "Patriotic", "People's", "Liberation"],
    "liberal": ["Liberal", "Free Democratic", "Civic", "Reform"],
    "conservative": ["Conservative", "Christian Democratic", "National Union", "Heritage"],
    "green": ["Green", "Ecological", "Green Future"],
    "other": ["Centre", "Citizens'", "Regional", "Independent"],
}
NOUNS = [
    "Dawn",
    "Horizon",
    "Compass",
    "Meridian",
    "Harvest",
    "Beacon",
    "Keystone",
    "Lantern",
    "Bridge",
    "Anchor",
    "Summit",
    "Crossroads",
    "Covenant",
    "Tide",
    "Cedar",
    "Flame",
    "Orchard",
    "River",
    "Pillar",
    "Mosaic",
    "Harmony",
    "Evergreen",
    "Sunrise",
    "Frontier",
    "Hearth",
    "Granary",
]
PARTY_TYPES = ["Party", "Party", "Party", "Movement", "Alliance", "Front", "Union", "Congress", "League"]
ORG_TYPES = [
    "Network of Parties",
    "Forum of Parties",
    "Association of Parties",
    "Council of Parties",
    "Conference of Parties",
]

# Relative share of each family among a region's parties (international_org excluded).
FAMILY_MIX = {
    "Africa": [6, 8, 10, 40, 10, 12, 2, 12],
    "Asia": [12, 10, 8, 30, 12, 16, 3, 9],
    "Europe": [10, 10, 26, 2, 16, 24, 8, 4],
    LATIN_AMERICA: [12, 22, 14, 18, 12, 14, 2, 6],
    "Northern America": [4, 6, 16, 0, 30, 30, 8, 6],
    "Oceania": [4, 6, 26, 10, 14, 26, 6, 8],
}
COUNTRY_FAMILIES = [f for f in vocab.PARTY_FAMILIES if f != "international_org"]
EARLY_FAMILIES = {"communist": 6.0, "socialist": 2.5, "national_democratic": 0.6}

ERA_BOUNDS = (1978, 2012, 2020, 2022)  # pre-reform | reform | new era | pandemic | after
FORMS_BY_ERA = {
    # high_level, working, study, theory, economic, cultural, multilateral, virtual, other
    0: [0.34, 0.30, 0.10, 0.16, 0.00, 0.05, 0.00, 0.00, 0.05],
    1: [0.25, 0.30, 0.20, 0.08, 0.07, 0.06, 0.00, 0.00, 0.04],
    2: [0.22, 0.28, 0.22, 0.10, 0.08, 0.06, 0.00, 0.02, 0.02],
    3: [0.04, 0.07, 0.02, 0.04, 0.02, 0.01, 0.00, 0.79, 0.01],
    4: [0.20, 0.27, 0.20, 0.10, 0.08, 0.05, 0.00, 0.08, 0.02],
}
TOPICS = {
    "high_level_visit": [
        "State of bilateral relations",
        "Party-to-party cooperation agreement",
        "Exchange of views on the international situation",
    ],
    "working_visit": [
        "Working consultations",
        "Preparation of a leadership visit",
        "Follow-up of cooperation projects",
    ],
    "study_trip": [
        "Governance experience",
        "Poverty reduction",
        "Party building",
        "Rural development",
        "Urban planning",
    ],
    "theoretical_discussion": ["Theory of party building", "Development paths", "Modernisation and reform"],
    "economic_cooperation": ["Trade and investment", "Infrastructure cooperation", "Agricultural cooperation"],
    "cultural_exchange": ["Youth exchange", "Media and culture", "Think-tank dialogue"],
    "multilateral_meeting": ["Multilateral dialogue"],
    "virtual_meeting": ["Online consultation", "Video conference on cooperation"],
    "other": ["Courtesy call", "Exchange of messages"],
}


def _era(years: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array(ERA_BOUNDS), years, side="right")


def bilateral_weights() -> pd.Series:
    """Relative number of bilateral exchanges per year at the default size."""
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    anchors = {
        1951: 18,
        1960: 40,
        1965: 40,
        1966: 18,
        1976: 20,
        1977: 35,
        1978: 55,
        1984: 140,
        1989: 190,
        1991: 170,
        2002: 300,
        2011: 370,
        2012: 430,
        2019: 650,
        2020: 230,
        2021: 330,
        2022: 470,
        2025: 620,
    }
    values = np.interp(years, list(anchors), list(anchors.values()))
    return pd.Series(values, index=years)


def _curve(year_values: dict[int, int], years: np.ndarray) -> np.ndarray:
    return np.interp(years, list(year_values), list(year_values.values()))


def _make_parties(countries: pd.DataFrame, rng: np.random.Generator, total: int | None = None) -> pd.DataFrame:
    """Invented parties, each with a family, a country, a first-contact year and a weight; with
    ``total``, parties are added until there are that many (see ``_more_parties``)."""
    countries = countries[~countries["iso3"].isin(EXCLUDED_COUNTRIES)].reset_index(drop=True)
    is_state = countries.get("un_status", pd.Series("member", index=countries.index)).isin(["member", "observer"])
    # Engagement order: states first, in random order; territories may join late or never.
    order_key = rng.random(len(countries)) + np.where(is_state, 0.0, 1.0)
    ordered = countries.iloc[np.argsort(order_key, kind="stable")].reset_index(drop=True)
    ranks = np.arange(1, len(ordered) + 1)
    curve_years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    joined_by = _curve(COUNTRY_JOIN_CURVE, curve_years)
    join_year = curve_years[np.minimum(np.searchsorted(joined_by, ranks, side="left"), len(curve_years) - 1)]
    join_year = np.where(ranks > joined_by[-1], 9999, join_year)
    # Latin America: about 30 parties engaged in the 1970s and 60 in the 1980s (domain brief).
    latin = (ordered["region"] == LATIN_AMERICA).to_numpy()
    latin_ranks = np.cumsum(latin)
    latin_join = np.select([latin_ranks <= 10, latin_ranks <= 19, latin_ranks <= 31], [1964, 1972, 1986], default=9999)
    latin_join = np.where(latin_join < 9999, latin_join + rng.integers(0, 8, len(ordered)), 9999)
    join_year = np.where(latin & is_state.iloc[np.argsort(order_key, kind="stable")].to_numpy(), latin_join, join_year)

    rows = []
    names_by_country: dict[str, set[str]] = {}
    for index, country in ordered.iterrows():
        joined = int(join_year[index])
        count = 1 + int(rng.integers(1, 6)) if joined < 9999 else int(rng.integers(1, 3))
        mix = np.array(FAMILY_MIX[country["region"]], dtype=float)
        families = list(rng.choice(COUNTRY_FAMILIES, size=count, p=mix / mix.sum()))
        if joined < 1978:
            families[0] = "communist" if rng.random() < 0.8 else "socialist"
        used_names: set[str] = names_by_country.setdefault(country["iso3"], set())
        for position, family in enumerate(families):
            name = _party_name(family, rng, used_names)
            if position == 0:
                first = joined
            else:
                earliest = max(joined, 1978 if family not in EARLY_FAMILIES else joined)
                first = earliest + int(rng.exponential(9.0))
            rows.append((name, country["iso3"], family, first, country["region"]))
    for _ in range(26):
        qualifier = rng.choice(
            ["Progressive", "Democratic", "Left", "Centrist", "Labour", "Green", "Conservative", "Socialist"]
        )
        name = f"{qualifier} {rng.choice(NOUNS)} {rng.choice(ORG_TYPES)}"
        while any(r[0] == name and r[1] is None for r in rows):
            name = f"{qualifier} {rng.choice(NOUNS)} {rng.choice(ORG_TYPES)}"
        rows.append((name, None, "international_org", 1982 + int(rng.exponential(14.0)), vocab.INTERNATIONAL_BUCKET))
    if total is not None:
        if total < len(rows):
            raise InvalidInputError(t("error.demo.parties", value=number(total), least=number(len(rows))))
        joined_in = dict(zip(ordered["iso3"], join_year.tolist(), strict=True))
        rows += _more_parties(rows, total - len(rows), joined_in, names_by_country, rng)
    parties = pd.DataFrame(rows, columns=["name", "country_iso3", "family", "first_year", "region"])
    parties["first_year"] = parties["first_year"].where(parties["first_year"] <= LAST_YEAR, 9999)
    parties["weight"] = rng.gamma(1.5, 1.0, len(parties))
    # Parties of dependent territories are rare partners: none should top a country ranking.
    territories = set(countries.loc[~is_state, "iso3"])
    parties.loc[parties["country_iso3"].isin(territories), "weight"] *= TERRITORY_WEIGHT
    parties["governing"] = np.clip(
        rng.beta(4.0, 2.0, len(parties)) + np.where(parties["family"] == "national_democratic", 0.15, 0.0), 0, 0.97
    )
    parties["party_id"] = np.arange(1, len(parties) + 1, dtype=np.int32)
    return parties


def _more_parties(
    rows: list[tuple], extra: int, joined_in: dict[str, int], names: dict[str, set[str]], rng: np.random.Generator
) -> list[tuple]:
    """``extra`` more invented parties (the many-parties demo of the benchmark), spread over the
    countries as the parties above are (in proportion to each country's count, largest remainders
    first), with the families of the country's region and first contacts as a country's later
    parties have them; names stay unique within a country."""
    counts = pd.Series([row[1] for row in rows if row[1] is not None]).value_counts(sort=False)
    regions = {row[1]: row[4] for row in rows if row[1] is not None}
    exact = counts / counts.sum() * extra
    share = np.floor(exact).astype(int)
    share.iloc[np.argsort(-(exact - share).to_numpy(), kind="stable")[: extra - int(share.sum())]] += 1
    more = []
    for iso3, count in share.items():
        if count == 0:
            continue
        mix = np.array(FAMILY_MIX[regions[iso3]], dtype=float)
        families = rng.choice(COUNTRY_FAMILIES, size=int(count), p=mix / mix.sum())
        joined = joined_in[iso3]
        delays = rng.exponential(9.0, int(count))
        for family, delay in zip(families.tolist(), delays.tolist(), strict=True):
            earliest = max(joined, 1978 if family not in EARLY_FAMILIES else joined)
            first = 9999 if joined >= 9999 else earliest + int(delay)
            more.append((_numbered_name(family, rng, names[iso3]), iso3, family, first, regions[iso3]))
    return more


def _numbered_name(family: str, rng: np.random.Generator, used: set[str], tries: int = 20) -> str:
    """A name not in ``used``: drawn as ``_party_name`` draws them, or, once a country's names run
    short, one of them with the first free number after it ("Green Dawn Party 2")."""
    for _ in range(tries):
        name = f"{rng.choice(QUALIFIERS[family])} {rng.choice(NOUNS)} {rng.choice(PARTY_TYPES)}"
        if name not in used:
            used.add(name)
            return name
    n = 2
    while f"{name} {n}" in used:
        n += 1
    used.add(f"{name} {n}")
    return f"{name} {n}"


# The invented names in Chinese, part by part: a name is "<qualifier> <noun> <type>", "<qualifier>
# Party of the <noun>" or (an organisation) "<qualifier> <noun> <organisation type>", and reads in
# Chinese noun first, as party names do there ("Communist Dawn Party" is 曙光共产党).
QUALIFIERS_ZH = {
    "Communist": "共产主义",
    "Workers'": "工人",
    "Proletarian": "无产阶级",
    "Red Banner": "红旗",
    "Socialist": "社会主义",
    "Workers' Socialist": "社会主义工人",
    "Popular Left": "人民左翼",
    "United Left": "联合左翼",
    "Social Democratic": "社会民主",
    "Labour": "劳工",
    "Democratic Labour": "民主劳工",
    "Social Labour": "社会劳工",
    "National Democratic": "民族民主",
    "Patriotic": "爱国",
    "People's": "人民",
    "Liberation": "解放",
    "Liberal": "自由",
    "Free Democratic": "自由民主",
    "Civic": "公民",
    "Reform": "改革",
    "Conservative": "保守",
    "Christian Democratic": "基督教民主",
    "National Union": "民族团结",
    "Heritage": "传承",
    "Green": "绿色",
    "Ecological": "生态",
    "Green Future": "绿色未来",
    "Centre": "中间",
    "Citizens'": "市民",
    "Regional": "地区",
    "Independent": "独立",
    "Progressive": "进步",
    "Democratic": "民主",
    "Left": "左翼",
    "Centrist": "中间派",
}
NOUNS_ZH = {
    "Dawn": "曙光",
    "Horizon": "地平线",
    "Compass": "罗盘",
    "Meridian": "子午线",
    "Harvest": "丰收",
    "Beacon": "灯塔",
    "Keystone": "基石",
    "Lantern": "明灯",
    "Bridge": "桥梁",
    "Anchor": "船锚",
    "Summit": "高峰",
    "Crossroads": "十字路口",
    "Covenant": "盟约",
    "Tide": "潮流",
    "Cedar": "雪松",
    "Flame": "火焰",
    "Orchard": "果园",
    "River": "江河",
    "Pillar": "支柱",
    "Mosaic": "多彩",
    "Harmony": "和谐",
    "Evergreen": "长青",
    "Sunrise": "旭日",
    "Frontier": "前沿",
    "Hearth": "家园",
    "Granary": "粮仓",
}
TYPES_ZH = {
    "Party": "党",
    "Movement": "运动",
    "Alliance": "联盟",
    "Front": "阵线",
    "Union": "同盟",
    "Congress": "大会党",
    "League": "联合会",
    "Network of Parties": "政党网络",
    "Forum of Parties": "政党论坛",
    "Association of Parties": "政党协会",
    "Council of Parties": "政党理事会",
    "Conference of Parties": "政党会议",
}


def chinese_name(name: str) -> str | None:
    """The Chinese name of an invented demo party (None for a name not made of the parts above); a
    numbered name of the many-parties demo ("Green Dawn Party 2") keeps its number ("…党2")."""
    base, _, suffix = name.rpartition(" ")
    if base and suffix.isdigit():
        zh = chinese_name(base)
        return None if zh is None else f"{zh}{suffix}"
    if " Party of the " in name:
        qualifier, noun = name.split(" Party of the ", 1)
        parts = (QUALIFIERS_ZH.get(qualifier), NOUNS_ZH.get(noun))
        # Qualifier first, so that it differs from "<qualifier> <noun> Party" of the same country.
        return None if None in parts else f"{parts[0]}{parts[1]}党".replace("共产主义党", "共产党")
    for kind, kind_zh in sorted(TYPES_ZH.items(), key=lambda item: -len(item[0])):
        if name.endswith(" " + kind):
            words = name[: -len(kind) - 1].rsplit(" ", 1)
            if len(words) == 2 and words[0] in QUALIFIERS_ZH and words[1] in NOUNS_ZH:
                return (NOUNS_ZH[words[1]] + QUALIFIERS_ZH[words[0]] + kind_zh).replace("共产主义党", "共产党")
            return None
    return None


def _party_name(family: str, rng: np.random.Generator, used: set[str]) -> str:
    while True:
        qualifier = rng.choice(QUALIFIERS[family])
        noun = rng.choice(NOUNS)
        if rng.random() < 0.15:
            name = f"{qualifier} Party of the {noun}"
        else:
            name = f"{qualifier} {noun} {rng.choice(PARTY_TYPES)}"
        if name not in used:
            used.add(name)
            return str(name)


def _family_multiplier(families: np.ndarray, year: int) -> np.ndarray:
    if year < 1978:
        return np.array([EARLY_FAMILIES.get(f, 0.2) for f in families])
    if year < 1990:
        return np.array([1.6 if f in ("communist", "socialist") else 1.0 for f in families])
    return np.ones(len(families))


def _pick_participants(rng, parties, year, size, countries_at_least=0):
    """Party ids for one multilateral event, without repeats, spread over countries."""
    active = parties[parties["first_year"] <= year]
    size = min(size, len(active))
    chosen: list[int] = []
    if countries_at_least:
        per_country = active.dropna(subset=["country_iso3"]).groupby("country_iso3")["party_id"].first()
        picks = rng.choice(per_country.to_numpy(), size=min(countries_at_least, len(per_country)), replace=False)
        chosen = list(picks)
    rest = active[~active["party_id"].isin(chosen)]
    weights = rest["weight"].to_numpy()
    extra = rng.choice(
        rest["party_id"].to_numpy(), size=max(size - len(chosen), 0), replace=False, p=weights / weights.sum()
    )
    return np.concatenate([np.array(chosen, dtype=np.int64), extra.astype(np.int64)])


def _events(parties: pd.DataFrame, rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """Multilateral events: the two big ones of the brief, plus seminars that grow with time.

    Returns one row per participant with integer codes (form, direction, event); the event id
    strings are in ``attrs["event_ids"]``.
    """
    multilateral = vocab.FORMS.index("multilateral_meeting")
    virtual_form = vocab.FORMS.index("virtual_meeting")
    inbound, third, virtual = (vocab.DIRECTIONS.index(d) for d in ("inbound", "third_country", "virtual"))
    dialogue = _pick_participants(rng, parties, 2017, 330, countries_at_least=125)
    summit = _pick_participants(rng, parties, 2021, 520, countries_at_least=140)
    per_year = {1985: 1, 1999: 2, 2000: 3, 2011: 5, 2012: 8, 2019: 12, 2020: 6, 2021: 6, 2022: 8, 2025: 10}
    years = np.arange(1985, LAST_YEAR + 1)
    counts = np.rint(np.interp(years, list(per_year), list(per_year.values())) * scale).astype(int)
    event_years = np.repeat(years, counts)
    numbers = np.concatenate([np.arange(1, c + 1) for c in counts])
    event_ids = ["EV-2017-HLD", "EV-2021-SUMMIT"] + [
        f"EV-{y}-{n:05d}" for y, n in zip(event_years.tolist(), numbers.tolist(), strict=True)
    ]
    sizes = np.clip(rng.geometric(1 / 14, len(event_years)) + 4, 5, 60)
    rows_year = np.repeat(event_years, sizes)
    rows_event = np.repeat(np.arange(2, len(event_years) + 2), sizes)
    rows_day = np.repeat(rng.integers(0, 365, len(event_years)), sizes)
    # Participants drawn per year among active parties; repeats inside one event are dropped below.
    party_ids = np.empty(len(rows_year), dtype=np.int64)
    starts = np.searchsorted(rows_year, years)
    stops = np.searchsorted(rows_year, years, side="right")
    for year, first, last in zip(years, starts, stops, strict=True):
        if last > first:
            active = parties[parties["first_year"] <= year]
            weights = active["weight"].to_numpy()
            party_ids[first:last] = rng.choice(
                active["party_id"].to_numpy(), size=last - first, p=weights / weights.sum()
            )
    online = (rows_year >= 2020) & (rows_year <= 2021)
    seminars = pd.DataFrame(
        {
            "party_id": party_ids,
            "year": rows_year,
            "event_code": rows_event,
            "day": rows_day,
            "form_code": np.where(online, virtual_form, multilateral),
            "direction_code": np.where(online, virtual, np.where(rng.random(len(rows_year)) < 0.7, inbound, third)),
        }
    )
    big = pd.DataFrame(
        {
            "party_id": np.concatenate([dialogue, summit]),
            "year": np.repeat([2017, 2021], [len(dialogue), len(summit)]),
            "event_code": np.repeat([0, 1], [len(dialogue), len(summit)]),
            "day": np.repeat([333, 186], [len(dialogue), len(summit)]),
            "form_code": np.repeat([multilateral, virtual_form], [len(dialogue), len(summit)]),
            "direction_code": np.repeat([inbound, virtual], [len(dialogue), len(summit)]),
        }
    )
    events = pd.concat([big, seminars], ignore_index=True).drop_duplicates(
        ["event_code", "party_id"], ignore_index=True
    )
    events.attrs["event_ids"] = event_ids
    return events


def _bilateral(parties: pd.DataFrame, rng: np.random.Generator, total: int) -> pd.DataFrame:
    weights = bilateral_weights()
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(int)
    remainder = total - counts.sum()
    counts.iloc[np.argsort(-(exact - counts).to_numpy(), kind="stable")[:remainder]] += 1
    party_ids, years = [], []
    for year, count in counts.items():
        active = parties[parties["first_year"] <= year]
        if count == 0 or active.empty:
            continue
        weights_now = active["weight"].to_numpy() * _family_multiplier(active["family"].to_numpy(), year)
        party_ids.append(rng.choice(active["party_id"].to_numpy(), size=count, p=weights_now / weights_now.sum()))
        years.append(np.full(count, year))
    return pd.DataFrame({"party_id": np.concatenate(party_ids), "year": np.concatenate(years)})


def _choose(rng, count, probabilities, size):
    """Codes 0..count-1 drawn with the given probabilities."""
    probabilities = np.asarray(probabilities, dtype=float)
    return rng.choice(count, size=size, p=probabilities / probabilities.sum())


def _categorical(codes, categories) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes), categories=list(categories))


def _attributes(rows: pd.DataFrame, parties: pd.DataFrame, rng: np.random.Generator, seed: int) -> pd.DataFrame:
    """Fill form, direction, level, status, date, size, topic and source for every row.

    Works on integer codes throughout (strings only as categories) so 10 million rows stay fast.
    """
    n = len(rows)
    years = rows["year"].to_numpy()
    era = _era(years)
    form = rows["form_code"].to_numpy().astype(np.int16)
    for era_index, probabilities in FORMS_BY_ERA.items():
        mask = (form < 0) & (era == era_index)
        form[mask] = _choose(rng, len(vocab.FORMS), probabilities, int(mask.sum()))
    virtual_form = vocab.FORMS.index("virtual_meeting")
    high_form = vocab.FORMS.index("high_level_visit")
    direction = rows["direction_code"].to_numpy().astype(np.int16)
    missing_direction = direction < 0
    direction[missing_direction] = _choose(rng, 3, [0.55, 0.35, 0.10], int(missing_direction.sum()))
    direction[form == virtual_form] = vocab.DIRECTIONS.index("virtual")

    level = _choose(rng, len(vocab.LEVELS), [0.06, 0.36, 0.48, 0.10], n)
    high = form == high_form
    level[high] = _choose(rng, 2, [0.6, 0.4], int(high.sum()))  # leader, senior
    level[(years < 1990) & (rng.random(n) < 0.2)] = vocab.LEVELS.index("unknown")

    party_index = rows["party_id"].to_numpy() - 1  # party ids are 1..n in order
    governing = parties["governing"].to_numpy()[party_index]
    is_org = (parties["family"].to_numpy() == "international_org")[party_index]
    # A party's status changes with elections, not from one meeting to the next: one draw per
    # party and term of office (terms of TERM_YEARS, each party's starting in its own year).
    offsets = rng.integers(0, TERM_YEARS, len(parties))
    terms = (years - FIRST_YEAR + offsets[party_index]) // TERM_YEARS
    draw = rng.random((len(parties), (LAST_YEAR - FIRST_YEAR) // TERM_YEARS + 2))[party_index, terms]
    status = np.select(
        [draw < governing * 0.72, draw < governing, draw < governing + (1 - governing) * 0.9],
        [vocab.PARTY_STATUSES.index(code) for code in ("ruling", "coalition", "opposition")],
        default=vocab.PARTY_STATUSES.index("other"),
    )
    status[(years < 1990) & (rng.random(n) < 0.15)] = vocab.PARTY_STATUSES.index("unknown")
    status[is_org] = vocab.PARTY_STATUSES.index("other")

    day = rows["day"].to_numpy()
    day = np.where(day < 0, rng.integers(0, 365, n), day)
    dates = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day.astype("timedelta64[D]")
    precision_draw = rng.random(n)
    precision = np.select(  # codes of DATE_PRECISIONS: day 0, month 1, year 2
        [
            (years < 1978) & (precision_draw < 0.10),
            (years < 1978) & (precision_draw < 0.40),
            (years < 2000) & (precision_draw < 0.03),
            (years < 2000) & (precision_draw < 0.15),
        ],
        [2, 1, 2, 1],
        default=0,
    )
    precision[rows["event_code"].to_numpy() >= 0] = 0
    dates = np.where(precision == 1, dates.astype("datetime64[M]").astype("datetime64[D]"), dates)
    dates = np.where(precision == 2, dates.astype("datetime64[Y]").astype("datetime64[D]"), dates)

    size = np.where(high, rng.integers(5, 31, n), rng.integers(2, 13, n)).astype(float)
    size[rng.random(n) < np.where(years < 1990, 0.4, 0.1)] = np.nan

    topics = [topic for code in vocab.FORMS for topic in TOPICS[code]]
    topic_counts = np.array([len(TOPICS[code]) for code in vocab.FORMS])
    topic_offsets = np.concatenate([[0], np.cumsum(topic_counts)[:-1]])
    topic = topic_offsets[form] + np.floor(rng.random(n) * topic_counts[form]).astype(int)
    return pd.DataFrame(
        {
            "date": dates,
            "date_precision": _categorical(precision, vocab.DATE_PRECISIONS),
            "party_id": rows["party_id"].to_numpy(dtype=np.int32),
            "party_status": _categorical(status, vocab.PARTY_STATUSES),
            "form": _categorical(form, vocab.FORMS),
            "direction": _categorical(direction, vocab.DIRECTIONS),
            "level": _categorical(level, vocab.LEVELS),
            "event_id": _categorical(rows["event_code"].to_numpy(), rows.attrs["event_ids"]),
            "delegation_size": pd.array(size, dtype="Int32"),
            "topic": _categorical(topic, topics),
            "source": _categorical(np.zeros(n, dtype=np.int8), [f"Synthetic demo data (seed {seed})"]),
        }
    )


def default_rows() -> int:
    """Size of the default demo ledger."""
    return 20_000


def generate_demo(con, *, rows: int | None = None, seed: int = 1951, parties: int | None = None, progress=None) -> int:
    """Fill an empty ledger (schema and countries loaded) with demo data; returns rows written.

    ``parties``: invent that many parties in all (the benchmark's many-parties ledger) instead of
    the few hundred of the default; None keeps the default demo, the same for the same seed."""
    rows = default_rows() if rows is None else int(rows)
    if rows < MIN_ROWS:
        raise InvalidInputError(t("error.demo.rows_calibration", least=number(MIN_ROWS)))
    report = progress or (lambda message, fraction: None)
    rng = np.random.default_rng(seed)
    countries = con.execute("SELECT * FROM countries ORDER BY iso3").df()
    status = reference.countries().set_index("iso3")["un_status"]
    countries["un_status"] = countries["iso3"].map(status).fillna("territory")
    report(t("progress.demo.parties"), 0.02)
    invented = _make_parties(countries, rng, parties)
    scale = rows / default_rows()
    engaged = invented[invented["first_year"] <= LAST_YEAR]
    first_contacts = pd.DataFrame(
        {"party_id": engaged["party_id"].to_numpy(), "year": engaged["first_year"].to_numpy()}
    )
    report(t("progress.demo.events"), 0.05)
    events = _events(invented, rng, scale)
    bilateral_total = rows - len(first_contacts) - len(events)
    if bilateral_total < 0:
        raise InvalidInputError(t("error.demo.rows_seed", least=number(len(first_contacts) + len(events))))
    report(t("progress.demo.bilateral"), 0.10)
    bilateral = _bilateral(invented, rng, bilateral_total)
    plan = pd.concat([first_contacts, bilateral], ignore_index=True)
    plan = plan.assign(form_code=-1, direction_code=-1, event_code=-1, day=-1)
    plan = pd.concat([plan, events], ignore_index=True)
    plan.attrs["event_ids"] = events.attrs["event_ids"]
    report(t("progress.demo.attributes"), 0.25)
    table = _attributes(plan, invented, rng, seed)
    # Ids in year order; a full date sort of 10 million rows costs more than it gives.
    order = np.argsort(plan["year"].to_numpy(), kind="stable")
    table = table.take(order).reset_index(drop=True)
    table.insert(0, "exchange_id", np.arange(1, len(table) + 1, dtype=np.int64))

    # Every invented party has its Chinese name, so the demo reads fully in Chinese; a real ledger
    # may have some (the import column party_zh), and the views fall back to the recorded name.
    party_table = invented[["party_id", "name", "country_iso3", "family"]].assign(
        name_zh=invented["name"].map(chinese_name)
    )
    con.register("demo_parties", party_table)
    con.execute("INSERT INTO parties (party_id, name, country_iso3, family, name_zh) SELECT * FROM demo_parties")
    con.unregister("demo_parties")
    columns = ", ".join(table.columns)
    for start in range(0, len(table), CHUNK_ROWS):
        chunk = table.iloc[start : start + CHUNK_ROWS]
        con.register("demo_chunk", chunk)
        con.execute(f"INSERT INTO exchanges ({columns}) SELECT {columns} FROM demo_chunk")
        con.unregister("demo_chunk")
        report(
            t("progress.demo.writing", done=number(min(start + CHUNK_ROWS, len(table))), total=number(len(table))),
            0.3 + 0.7 * min(start + CHUNK_ROWS, len(table)) / len(table),
        )
    con.execute(
        "INSERT OR REPLACE INTO meta VALUES ('is_demo', 'true'), ('demo_seed', ?), ('demo_rows', ?)",
        [str(seed), str(len(table))],
    )
    if parties is not None:
        con.execute("INSERT OR REPLACE INTO meta VALUES ('demo_parties', ?)", [str(len(party_table))])
    return len(table)
