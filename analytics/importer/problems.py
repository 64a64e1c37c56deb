"""The problems an import finds, as one table (row, column, value, reason, suggestion, severity):
``CheckedRows`` (a checked table and its problems), the builders of problem frames used by
``validate`` and ``crosscheck``, their sorting by spreadsheet row and ``problem_lines`` that
writes one readable line per problem for the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import i18n
from analytics.importer.columns import CODE_COLUMNS, COLUMNS, SHOWN_CHARS, SourceTable, _shown

PROBLEM_COLUMNS = ["row", "column", "value", "reason", "suggestion", "severity"]
# The column of a problem about the whole row (a duplicate, too many cells), not one cell.
WHOLE_ROW = "(row)"


class HasProblems:
    """The errors and warnings of anything holding a ``problems`` table (an import, one record)."""

    problems: pd.DataFrame

    @property
    def errors(self) -> pd.DataFrame:
        """The problems that block a row."""
        return self.problems[self.problems["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        """The problems that do not block a row."""
        return self.problems[self.problems["severity"] == "warning"]


@dataclass
class CheckedRows:
    """The table's rows in ledger form (``clean``) and the problems found without the ledger."""

    table: SourceTable
    clean: pd.DataFrame
    problems: pd.DataFrame  # columns: pos, column, value, reason, suggestion, severity

    @property
    def error_positions(self) -> np.ndarray:
        """Positions of the rows with at least one error."""
        return _error_positions(self.problems)


def _error_positions(problems: pd.DataFrame) -> np.ndarray:
    return np.unique(problems.loc[problems["severity"] == "error", "pos"].to_numpy(dtype=np.int64))


def _problem_frame(positions, column: str, values, reason, suggestion="", severity: str = "error") -> pd.DataFrame:
    positions = np.asarray(positions, dtype=np.int64)
    if not len(positions):
        return _empty_problems()
    values = pd.Series(values, dtype=str).reset_index(drop=True)
    long = values.str.len() > SHOWN_CHARS
    if long.any():
        values = values.where(~long, values.map(_shown))
    return pd.DataFrame(
        {
            "pos": positions,
            "column": column,
            "value": values.to_numpy(),
            "reason": np.asarray(reason, dtype=object) if not isinstance(reason, str) else reason,
            "suggestion": np.asarray(suggestion, dtype=object) if not isinstance(suggestion, str) else suggestion,
            "severity": severity,
        }
    )


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pos": pd.Series(dtype=np.int64),
            "column": pd.Series(dtype=object),
            "value": pd.Series(dtype=object),
            "reason": pd.Series(dtype=object),
            "suggestion": pd.Series(dtype=object),
            "severity": pd.Series(dtype=object),
        }
    )


def severity_word(severity: str) -> str:
    """'error' or 'warning' in the current language (the report's Severity column, the CLI's lines)."""
    return i18n.t(f"importer.severity.{severity}")


def column_word(column: str) -> str:
    """A problem's column as the report shows it: the format's column name, or the whole row."""
    return i18n.t("importer.whole_row") if column == WHOLE_ROW else column


# Columns whose suggestion is a value to type instead ("did you mean ...?").
_CODED_COLUMNS = (*CODE_COLUMNS, "country", "country_iso3", "date", "date_precision", "delegation_size")


def problem_hint(column: str, reason: str, suggestion: str) -> str:
    """What follows a problem's reason: '(did you mean X?)' for a code, '; X' for free text, ''
    when there is no suggestion or the reason already names it."""
    if not suggestion:
        return ""
    if column in _CODED_COLUMNS:
        return i18n.t("importer.line.did_you_mean", suggestion=suggestion)
    if f"'{suggestion}'" in reason:
        return ""  # the reason already names it (a party matched to the ledger's name)
    return i18n.t("importer.line.hint", suggestion=suggestion)


def problem_lines(problems: pd.DataFrame) -> list[str]:
    """One readable line per problem, e.g. ``error: row 5, form 'visit': not a form code ...``."""
    lines = []
    for row, column, value, reason, suggestion, severity in problems[PROBLEM_COLUMNS].itertuples(
        index=False, name=None
    ):
        if column == WHOLE_ROW:
            where = i18n.t("importer.line.row", row=row)
        else:
            where = i18n.t("importer.line.cell", row=row, column=column, value=repr(value))
        hint = problem_hint(column, reason, suggestion)
        lines.append(i18n.t("importer.line", severity=severity_word(severity), where=where, reason=reason, hint=hint))
    return lines


def _with_rows(problems: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    if problems.empty:
        return pd.DataFrame(
            {column: pd.Series(dtype=np.int64 if column == "row" else object) for column in PROBLEM_COLUMNS}
        )
    out = problems.assign(row=rows[problems["pos"].to_numpy(dtype=np.int64)])
    out["suggestion"] = out["suggestion"].fillna("")
    order = {WHOLE_ROW: -1, **{column: index for index, column in enumerate(COLUMNS)}}
    out["_order"] = out["column"].map(order).fillna(len(order))
    out = out.sort_values(["row", "_order"], kind="stable")
    return out[PROBLEM_COLUMNS].reset_index(drop=True)
