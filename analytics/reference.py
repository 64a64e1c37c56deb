"""Reference data shipped in ``data/``: countries with their UN M49 region and sub-region,
name aliases used to match an imported ``country`` column, and the era markers of time charts.

Read by the ledger (to fill the countries table), the importer (name matching) and the charts
(era markers, with their labels in English and Chinese). Provenance of the files: ``data/README.md``.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analytics import vocab
from analytics.errors import DomainError
from analytics.i18n import country_name, region_name, t
from analytics.settings import DATA_DIR

COUNTRIES_CSV = DATA_DIR / "countries.csv"
ALIASES_CSV = DATA_DIR / "country_aliases.csv"
ERAS_CSV = DATA_DIR / "eras.csv"
# Names that stand for more than one country: folded name -> the candidates' ISO3 codes. Not
# "Congo": it is the UN short name of COG, which the import format accepts as such.
AMBIGUOUS_COUNTRIES: dict[str, tuple[str, ...]] = {
    "korea": ("PRK", "KOR"),
    "virgin islands": ("VGB", "VIR"),
}
# Former states, not in the countries table: code -> (name, other names, ISO3 of the main successor).
# The ledger records a party's country by today's ISO3 code.
FORMER_STATES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "SUN": ("Soviet Union", ("USSR", "Union of Soviet Socialist Republics"), "RUS"),
    "DDR": ("German Democratic Republic", ("East Germany", "GDR"), "DEU"),
    "YUG": ("Yugoslavia", ("Socialist Federal Republic of Yugoslavia", "Federal Republic of Yugoslavia"), "SRB"),
    "SCG": ("Serbia and Montenegro", (), "SRB"),
    "CSK": ("Czechoslovakia", ("Czechoslovak Socialist Republic", "Czechoslovak Republic"), "CZE"),
    "YMD": ("South Yemen", ("People's Democratic Republic of Yemen", "Democratic Yemen"), "YEM"),
}


class ReferenceDataError(DomainError, ValueError):
    """A reference file is missing or malformed."""


@lru_cache(maxsize=1)
def countries() -> pd.DataFrame:
    """The countries table: iso3, iso2, m49, name, common_name, region, subregion."""
    # keep_default_na=False: Namibia's ISO2 code is the string "NA", not a missing value.
    frame = pd.read_csv(COUNTRIES_CSV, dtype=str, keep_default_na=False)
    return frame


@lru_cache(maxsize=1)
def _iso2_codes() -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
    """ISO3 -> (ISO2, name, common name), and English name (official or common) -> ISO2."""
    table = countries()
    by_iso3 = {row.iso3: (row.iso2, row.name, row.common_name or row.name) for row in table.itertuples()}
    by_name = {
        **dict(zip(table["common_name"], table["iso2"], strict=True)),
        **dict(zip(table["name"], table["iso2"], strict=True)),
    }
    by_name.pop("", None)
    return by_iso3, by_name


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def country_label(iso3: object = None, recorded: object = None, *, english: str = "code") -> str:
    """A country in the current language, by ISO3 code or by its English name as recorded: CLDR's
    name in Chinese; in English the recorded name, else by ``english``: the code (a chart's
    category), the table's official ``name`` or its ``common`` name. No country (or the bucket's
    name) is the international bucket."""
    code, name = _text(iso3).upper(), _text(recorded)
    if (not code and not name) or name == vocab.INTERNATIONAL_BUCKET:
        return region_name(vocab.INTERNATIONAL_BUCKET)
    by_iso3, by_name = _iso2_codes()
    if code in by_iso3:
        iso2, official, common = by_iso3[code]
        return country_name(iso2, name or {"name": official, "common": common}.get(english, code))
    return country_name(by_name.get(name), name or code)


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive key for matching country names."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().replace("\u2019", "'").split())


@lru_cache(maxsize=1)
def _former_states_by_key() -> dict[str, str]:
    return {fold(key): code for code, (name, others, _) in FORMER_STATES.items() for key in (code, name, *others)}


def former_state(text: str) -> str | None:
    """The code of the former state ``text`` names or codes ('USSR', 'East Germany', 'yug'), else None."""
    return _former_states_by_key().get(fold(text))


@lru_cache(maxsize=1)
def country_lookup() -> dict[str, str]:
    """Folded name, common name, alias, ISO3 or ISO2 -> ISO3."""
    lookup: dict[str, str] = {}
    table = countries()
    for row in table.itertuples(index=False):
        for key in (row.iso3, row.name, row.common_name):
            lookup.setdefault(fold(key), row.iso3)
    if ALIASES_CSV.exists():
        with ALIASES_CSV.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                lookup.setdefault(fold(row["alias"]), row["iso3"].strip().upper())
    return lookup


def match_country(text: str) -> str | None:
    """ISO3 code for a country given as ISO3 or an English name or alias; None when unknown."""
    if text is None:
        return None
    return country_lookup().get(fold(str(text)))


def country_names() -> list[str]:
    """Every name a country may be given by, for suggestions on a misspelling."""
    return sorted({name for name in countries()["name"]} | {name for name in countries()["common_name"]})


ERA_COLUMNS: tuple[str, ...] = ("year", "label", "description", "label_zh", "description_zh")
_HAN = re.compile(r"[\u3400-\u9fff]")


def eras(path: Path | None = None) -> pd.DataFrame:
    """Era markers for time charts: columns year (int), label, description, label_zh,
    description_zh (the Chinese ones '' where the file has none: the chart then shows the English).

    Users may edit ``data/eras.csv``; a malformed file raises ReferenceDataError naming the line:
    a year that is not a year, an empty label, or a Chinese label or description without a
    Chinese character (most likely a value typed in the wrong column).
    """
    path = path or ERAS_CSV
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        return pd.DataFrame(
            {column: pd.Series(dtype="int64" if column == "year" else "object") for column in ERA_COLUMNS}
        )
    missing = {"year", "label"} - set(frame.columns)
    if missing:
        raise ReferenceDataError(t("reference.error.eras_columns", path=path, columns=", ".join(sorted(missing))))
    years = pd.to_numeric(frame["year"], errors="coerce")
    bad = years.isna()
    if bad.any():
        line = int(bad.idxmax()) + 2
        raise ReferenceDataError(
            t("reference.error.eras_year", path=path, line=line, value=repr(frame.loc[bad.idxmax(), "year"]))
        )
    frame["year"] = years.astype("int64")
    for column in ERA_COLUMNS[2:]:
        if column not in frame.columns:
            frame[column] = ""
        frame[column] = frame[column].str.strip()
    frame["label"] = frame["label"].str.strip()
    for index, row in frame.iterrows():
        line = int(index) + 2  # the header is line 1
        if not row["label"]:
            raise ReferenceDataError(t("reference.error.eras_label", path=path, line=line))
        for column in ("label_zh", "description_zh"):
            if row[column] and not _HAN.search(row[column]):
                raise ReferenceDataError(
                    t("reference.error.eras_not_chinese", path=path, line=line, column=column, value=repr(row[column]))
                )
    return frame[list(ERA_COLUMNS)].sort_values("year", ignore_index=True)
