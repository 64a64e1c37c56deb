"""The table download buttons (CSV and Excel) of every page: the one place where the app turns
a table into a spreadsheet file, formulas neutralised.

Pages pass a table, or a function making one that runs only when the button is clicked. The
bytes come from ``analytics.spreadsheet``. Each download is the guarded action ``download`` of
the signed-in actor (``pages/signin.py``): the button is disabled for a role below it, and the
file, when made, is checked and written to the audit log (``analytics.export.audit_export``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import pandas as pd
import streamlit as st

from analytics import access, export, formats, spreadsheet
from analytics.access import Action, Actor
from analytics.i18n import t
from pages import signin

Table: TypeAlias = pd.DataFrame | Callable[[], pd.DataFrame]


def _table(data: Table) -> pd.DataFrame:
    return data() if callable(data) else data


def _audited(actor: Actor, file_name: str, kind: str, make: Callable[[], bytes]) -> Callable[[], bytes]:
    """``make``, run when the browser asks for the file, then checked against the actor's role
    and written to the audit log (``export.audit_export`` as a download)."""

    def produce() -> bytes:
        body = make()
        export.audit_export(actor, file_name, kind, "", action=Action.DOWNLOAD, details=f"{len(body):,} bytes")
        return body

    return produce


def _refused(actor: Actor) -> str | None:
    """The help line of a disabled button, or None when the actor may download."""
    if actor.may(Action.DOWNLOAD):
        return None
    return t(
        "download_button.refused",
        role=access.MINIMUM_ROLE[Action.DOWNLOAD].title,
        yours=actor.role.title,
    )


def _table_button(
    data: Table, file_stem: str, fmt: str, write: Callable[[pd.DataFrame], bytes], *, key: str, label: str
) -> None:
    """One table download button: the file made by ``write`` when clicked, checked and audited."""
    actor = signin.current_actor()
    file_name = f"{file_stem}.{formats.get(fmt).extension}"
    st.download_button(
        label,
        data=_audited(actor, file_name, fmt, lambda: write(_table(data))),
        disabled=_refused(actor) is not None,
        help=_refused(actor),
        file_name=file_name,
        mime=formats.get(fmt).mime,
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def download_csv(data: Table, file_stem: str, *, key: str, label: str | None = None) -> None:
    """A download button for a table or a function making one, run only when clicked
    (formulas neutralised, UTF-8 with BOM so Excel reads the accents); ``label`` in the
    current language, 'CSV' by default."""
    _table_button(data, file_stem, "csv", spreadsheet.csv_bytes, key=key, label=label or t("download_button.csv"))


def download_xlsx(data: Table, file_stem: str, *, key: str, label: str | None = None) -> None:
    """A download button writing the table to .xlsx when clicked (text cells never evaluated);
    ``label`` in the current language, 'Excel' by default."""
    _table_button(data, file_stem, "xlsx", spreadsheet.xlsx_bytes, key=key, label=label or t("download_button.xlsx"))
