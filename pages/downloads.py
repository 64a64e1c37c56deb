"""The table download buttons (CSV and Excel) of every page: the one place where the app turns
a table into a spreadsheet file, formulas neutralised.

Pages pass a table, or a function making one that runs only when the button is clicked. The
bytes come from ``analytics.importer.safe_frame`` / ``write_xlsx`` for now; the spreadsheet-safety
module will take over their bodies without the pages changing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import pandas as pd
import streamlit as st

from analytics import formats, spreadsheet

Table: TypeAlias = pd.DataFrame | Callable[[], pd.DataFrame]


def _table(data: Table) -> pd.DataFrame:
    return data() if callable(data) else data


def download_csv(data: Table, file_stem: str, *, key: str, label: str = "CSV") -> None:
    """A download button for a table or a function making one, run only when clicked
    (formulas neutralised, UTF-8 with BOM so Excel reads the accents)."""
    st.download_button(
        label,
        data=lambda: spreadsheet.csv_bytes(_table(data)),
        file_name=f"{file_stem}.csv",
        mime=formats.get("csv").mime,
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def download_xlsx(data: Table, file_stem: str, *, key: str, label: str = "Excel") -> None:
    """A download button writing the table to .xlsx when clicked (text cells never evaluated)."""

    st.download_button(
        label,
        data=lambda: spreadsheet.xlsx_bytes(_table(data)),
        file_name=f"{file_stem}.xlsx",
        key=key,
        on_click="ignore",
        mime=formats.get("xlsx").mime,
        icon=":material/download:",
    )
