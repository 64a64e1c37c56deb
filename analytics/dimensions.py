"""The dimensions the ledger is sliced by, one ``Dimension`` record each; every other view derives from it.

A dimension (region, sub-region, country, party family, status, form, direction, level, and the
year and decade a pivot or cross table can take) is described once here: its column and SQL
expression over the ``exchange_rows`` view, its ``Filters`` field, its URL and CLI word, the other
names a user may type for it, the catalogue key of its label and of the words messages use
(``analytics/locale``), its vocabulary of codes, their
colours and order, the columns that travel with it, and whether it filters, pivots, compares and
takes a chart click. ``filters``, ``metrics``, ``explore``, ``charts``, ``chart_catalog``, the
importer, the CLI flags and the pages read these records; none keeps a table of its own. Adding or
renaming a dimension touches this file only (``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from analytics import vocab
from analytics.errors import InvalidInputError
from analytics.i18n import t


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Dimension:
    """One way of slicing the ledger.

    ``name`` is the canonical name and the result column of metrics; ``sql`` groups by it over
    ``exchange_rows`` (an identifier, never a user value). Filterable dimensions have a
    ``filter_field`` (the ``Filters`` attribute) and a ``word`` (URL key and CLI flag).
    """

    name: str
    sql: str
    column: str = ""  # column of exchange_rows a filter compares; "" when it cannot filter
    filter_field: str | None = None
    word: str | None = None  # URL key and CLI flag: ?family=..., --family
    cli_metavar: str = "CODE"
    cli_help: str = ""
    aliases: tuple[str, ...] = ()  # other names accepted for the dimension itself
    vocabulary: tuple[str, ...] = ()  # the codes a coded dimension takes (empty: free values)
    colours: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    order: tuple[str, ...] = ()  # category order in legends and stacks (default: the vocabulary)
    companions: tuple[str, ...] = ()  # columns returned beside it in by_subregion / by_country
    pivot_name: str | None = None  # its name in the Explorer's pivot (None: does not pivot)
    pivot_sql: str = ""  # the pivot's expression, when it differs from ``sql``
    breaks_down: bool = True  # a metric can break counts down by it
    compares: bool = False  # the Compare page and compare-periods take it
    clickable: bool = False  # a click on its bar or colour filters to it

    @property
    def coded(self) -> bool:
        """True when its values are vocabulary codes shown through their labels."""
        return bool(self.vocabulary)

    @property
    def category_order(self) -> tuple[str, ...]:
        """Codes in legend and stack order."""
        return self.order or self.vocabulary

    @property
    def label_key(self) -> str:
        """Key of its label in the message catalogue."""
        return f"dimension.{self.name}"

    @property
    def label(self) -> str:
        """What a chart, a widget or a table calls it, in the current language: 'Party family'."""
        return t(self.label_key)

    @property
    def short_label(self) -> str:
        """Its name in the filters in words: 'Family' (of 'Family: Communist')."""
        return t(self.label_key + ".short")

    @property
    def value_word(self) -> str:
        """What an error message calls one of its values: 'Unknown party family: ...'."""
        return t(self.label_key + ".value")


# One colour per code, the same on every chart. Paul Tol's "muted" palette for the nine families.
FAMILY_COLOURS = _frozen(
    {
        "communist": "#882255",
        "socialist": "#CC6677",
        "social_democratic": "#AA4499",
        "national_democratic": "#999933",
        "liberal": "#DDCC77",
        "conservative": "#332288",
        "green": "#117733",
        "international_org": "#88CCEE",
        "other": "#BBBBBB",
    }
)
# Okabe-Ito for the six regions; grey for the international organisations bucket.
REGION_COLOURS = _frozen(
    {
        "Africa": "#E69F00",
        "Asia": "#D55E00",
        "Europe": "#0072B2",
        "Latin America and the Caribbean": "#009E73",
        "Northern America": "#56B4E9",
        "Oceania": "#CC79A7",
        vocab.INTERNATIONAL_BUCKET: "#999999",
    }
)
STATUS_COLOURS = _frozen(
    {"ruling": "#0072B2", "coalition": "#56B4E9", "opposition": "#E69F00", "other": "#CC79A7", "unknown": "#BBBBBB"}
)
FORM_COLOURS = _frozen(
    {
        "high_level_visit": "#332288",
        "working_visit": "#88CCEE",
        "study_trip": "#44AA99",
        "theoretical_discussion": "#117733",
        "economic_cooperation": "#999933",
        "cultural_exchange": "#DDCC77",
        "multilateral_meeting": "#CC6677",
        "virtual_meeting": "#AA4499",
        "other": "#BBBBBB",
    }
)
DIRECTION_COLOURS = _frozen(
    {"inbound": "#0072B2", "outbound": "#E69F00", "third_country": "#009E73", "virtual": "#CC79A7"}
)
LEVEL_COLOURS = _frozen({"leader": "#882255", "senior": "#CC6677", "working": "#DDCC77", "unknown": "#BBBBBB"})

REGION = Dimension(
    name="region",
    sql="region",
    column="region",
    filter_field="regions",
    word="region",
    cli_metavar="NAME",
    cli_help="region, any case: " + ", ".join((*vocab.REGIONS, vocab.INTERNATIONAL_BUCKET)),
    aliases=("regions",),
    colours=REGION_COLOURS,
    order=(*vocab.REGIONS, vocab.INTERNATIONAL_BUCKET),
    pivot_name="region",
    compares=True,
    clickable=True,
)
SUBREGION = Dimension(
    name="subregion",
    sql="subregion",
    column="subregion",
    filter_field="subregions",
    word="subregion",
    cli_metavar="NAME",
    cli_help="UN M49 sub-region, e.g. 'South America', 'Eastern Africa'",
    aliases=("sub_region", "subregions"),
    companions=("region",),
    pivot_name="subregion",
    compares=True,
    clickable=True,
)
COUNTRY = Dimension(
    name="country_iso3",
    # An international organisation has no country: its bucket is ''.
    sql="coalesce(country_iso3, '')",
    column="country_iso3",
    filter_field="countries",
    word="country",
    cli_metavar="ISO3",
    cli_help="country as ISO3 code (or English name), e.g. FRA",
    aliases=("country", "countries", "iso3"),
    companions=("country", "region", "subregion"),
    pivot_name="country",
    pivot_sql=f"coalesce(nullif(country, ''), '{vocab.INTERNATIONAL_BUCKET}')",
    compares=True,
)
FAMILY = Dimension(
    name="party_family",
    sql="party_family",
    column="party_family",
    filter_field="families",
    word="family",
    cli_help="party family: " + ", ".join(vocab.PARTY_FAMILIES),
    aliases=("family", "families"),
    vocabulary=vocab.PARTY_FAMILIES,
    colours=FAMILY_COLOURS,
    pivot_name="party_family",
    compares=True,
    clickable=True,
)
STATUS = Dimension(
    name="party_status",
    sql="party_status",
    column="party_status",
    filter_field="statuses",
    word="status",
    cli_help="party status at the time: " + ", ".join(vocab.PARTY_STATUSES),
    aliases=("status", "statuses"),
    vocabulary=vocab.PARTY_STATUSES,
    colours=STATUS_COLOURS,
    pivot_name="party_status",
    compares=True,
    clickable=True,
)
FORM = Dimension(
    name="form",
    sql="form",
    column="form",
    filter_field="forms",
    word="form",
    cli_help="form of exchange: " + ", ".join(vocab.FORMS),
    aliases=("forms",),
    vocabulary=vocab.FORMS,
    colours=FORM_COLOURS,
    pivot_name="form",
    compares=True,
    clickable=True,
)
DIRECTION = Dimension(
    name="direction",
    sql="direction",
    column="direction",
    filter_field="directions",
    word="direction",
    cli_help="direction: " + ", ".join(vocab.DIRECTIONS),
    aliases=("directions",),
    vocabulary=vocab.DIRECTIONS,
    colours=DIRECTION_COLOURS,
    pivot_name="direction",
    compares=True,
    clickable=True,
)
LEVEL = Dimension(
    name="level",
    sql="level",
    column="level",
    filter_field="levels",
    word="level",
    cli_help="level of the lead participant: " + ", ".join(vocab.LEVELS),
    aliases=("levels",),
    vocabulary=vocab.LEVELS,
    colours=LEVEL_COLOURS,
    pivot_name="level",
    compares=True,
    clickable=True,
)
YEAR = Dimension(name="year", sql="year", aliases=("years",), pivot_name="year", breaks_down=False)
DECADE = Dimension(
    name="decade",
    sql="CAST(year // 10 * 10 AS INTEGER)",
    pivot_name="decade",
    breaks_down=False,
)

# Every dimension, in the order filters, URLs, CLI flags, captions and the Compare page list them.
ALL: tuple[Dimension, ...] = (REGION, SUBREGION, COUNTRY, FAMILY, STATUS, FORM, DIRECTION, LEVEL, YEAR, DECADE)
BY_NAME: Mapping[str, Dimension] = MappingProxyType({d.name: d for d in ALL})

# Views the modules read (derived, never edited by hand).
FILTERABLE: tuple[Dimension, ...] = tuple(d for d in ALL if d.filter_field)
CODED: tuple[Dimension, ...] = tuple(d for d in ALL if d.coded)
# Breakdowns list the coded dimensions first, then the geography (the metric CLI's order).
BREAKDOWNS: tuple[Dimension, ...] = CODED + tuple(d for d in ALL if d.breaks_down and not d.coded)
PIVOTS: tuple[Dimension, ...] = (YEAR, DECADE) + tuple(d for d in ALL if d.pivot_name and d.breaks_down)
COMPARABLE: tuple[Dimension, ...] = tuple(d for d in ALL if d.compares)
BY_FILTER_FIELD: Mapping[str, Dimension] = MappingProxyType({d.filter_field: d for d in FILTERABLE if d.filter_field})
BY_PIVOT_NAME: Mapping[str, Dimension] = MappingProxyType({d.pivot_name: d for d in PIVOTS if d.pivot_name})
CLICK_FIELDS: Mapping[str, str] = MappingProxyType(
    {d.name: d.filter_field for d in FILTERABLE if d.clickable and d.filter_field}
)
# Accepted spellings of a breakdown or cross-table dimension: canonical names, CLI words, Filters fields.
_ALIASES: Mapping[str, str] = MappingProxyType({alias: d.name for d in ALL for alias in d.aliases})


def get(name: str) -> Dimension:
    """The dimension named ``name`` (canonical name only); KeyError for anything else."""
    return BY_NAME[name]


def coded(name: str) -> bool:
    """True when ``name`` is a dimension whose values are vocabulary codes."""
    dimension = BY_NAME.get(name)
    return dimension is not None and dimension.coded


def label(name: str) -> str:
    """The label of a dimension (or of a year/decade pivot), else ``name`` unchanged."""
    dimension = BY_NAME.get(name) or BY_PIVOT_NAME.get(name)
    return dimension.label if dimension is not None else name


def resolve(name: object, *, allow_year: bool = False, error: type[InvalidInputError] = InvalidInputError) -> str:
    """The canonical name of a breakdown dimension typed as ``name`` ('family', 'countries', 'Sub-region'...).

    With ``allow_year`` the year is accepted too (cross tables). Raises ``error`` listing the valid names.
    """
    valid = [d.name for d in BREAKDOWNS] + (["year"] if allow_year else [])
    key = str(name).strip().lower().replace("-", "_") if name is not None else ""
    key = _ALIASES.get(key, key)
    if key not in valid:
        raise error(t("error.dimension.unknown", name=repr(name), valid=", ".join(valid)))
    return key
