"""The ledger's controlled vocabularies: the codes every table, filter and import accepts.

Imported by the schema (CHECK constraints) and by the dimension registry
(``analytics.dimensions``), through which the filters, the importer and the charts read them;
``label()`` gives a code's English label. The meaning of each code is in ``../shared/domain.md`` and in
``docs/ledger-format.md``.
"""

from __future__ import annotations

PARTY_FAMILIES: tuple[str, ...] = (
    "communist",
    "socialist",
    "social_democratic",
    "national_democratic",
    "liberal",
    "conservative",
    "green",
    "international_org",
    "other",
)
PARTY_STATUSES: tuple[str, ...] = ("ruling", "coalition", "opposition", "other", "unknown")
FORMS: tuple[str, ...] = (
    "high_level_visit",
    "working_visit",
    "study_trip",
    "theoretical_discussion",
    "economic_cooperation",
    "cultural_exchange",
    "multilateral_meeting",
    "virtual_meeting",
    "other",
)
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound", "third_country", "virtual")
LEVELS: tuple[str, ...] = ("leader", "senior", "working", "unknown")
REGIONS: tuple[str, ...] = (
    "Africa",
    "Asia",
    "Europe",
    "Latin America and the Caribbean",
    "Northern America",
    "Oceania",
)
DATE_PRECISIONS: tuple[str, ...] = ("day", "month", "year")

# Exchanges with a party organisation that has no country stand in this bucket.
INTERNATIONAL_BUCKET = "International organisations"

LABELS: dict[str, str] = {
    "communist": "Communist",
    "socialist": "Socialist and workers'",
    "social_democratic": "Social democratic and labour",
    "national_democratic": "National democratic",
    "liberal": "Liberal",
    "conservative": "Conservative and Christian democratic",
    "green": "Green",
    "international_org": "International organisation",
    "other": "Other",
    "ruling": "Ruling",
    "coalition": "In coalition government",
    "opposition": "Opposition",
    "unknown": "Unknown",
    "high_level_visit": "High-level visit",
    "working_visit": "Working visit",
    "study_trip": "Study trip",
    "theoretical_discussion": "Theoretical discussion",
    "economic_cooperation": "Economic cooperation",
    "cultural_exchange": "Cultural exchange",
    "multilateral_meeting": "Multilateral meeting",
    "virtual_meeting": "Virtual meeting",
    "inbound": "Inbound (delegation visits)",
    "outbound": "Outbound (delegation goes abroad)",
    "third_country": "In a third country",
    "virtual": "Virtual",
    "leader": "Leader",
    "senior": "Senior",
    "working": "Working level",
}


def label(code: str) -> str:
    """Human label of a vocabulary code; unknown strings are returned unchanged."""
    return LABELS.get(code, code)


def sql_in_list(codes: tuple[str, ...]) -> str:
    """A SQL list literal of fixed vocabulary codes, for CHECK constraints only.

    Only ever called on the constants above, never on user input.
    """
    return "(" + ", ".join("'" + code.replace("'", "''") + "'" for code in codes) + ")"
