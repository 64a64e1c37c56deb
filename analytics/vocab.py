"""The ledger's controlled vocabularies: the codes every table, filter and import accepts.

Imported by the schema (CHECK constraints) and by the dimension registry
(``analytics.dimensions``), through which the filters, the importer and the charts read them;
a code's label in each language is in the message catalogue (``i18n.vocabulary_label``). The meaning of each code is in ``../shared/domain.md`` and in
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

# What a change made by hand is: the kind of its batch in the ledger (an import's kind is
# "import") and its word in the audit log.
CHANGE_KINDS: tuple[str, ...] = (
    "record_add",
    "record_edit",
    "record_delete",
    "bulk_edit",
    "party_rename",
    "party_merge",
    "party_family",
)

# Exchanges with a party organisation that has no country stand in this bucket.
INTERNATIONAL_BUCKET = "International organisations"


def sql_in_list(codes: tuple[str, ...]) -> str:
    """A SQL list literal of fixed vocabulary codes, for CHECK constraints only.

    Only ever called on the constants above, never on user input.
    """
    return "(" + ", ".join("'" + code.replace("'", "''") + "'" for code in codes) + ")"
