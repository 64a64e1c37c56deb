"""Data: bring the real ledger in. Upload a CSV, Excel or Parquet file, read the preview and the
validation report (every problem with its spreadsheet row), confirm the import, follow its
progress; see the history of imports and of changes made by hand (records, parties) and undo a
batch; download the templates, the whole ledger in the import format and a backup, restore one;
and leave the demo data for an empty ledger.

The page only draws: reading, checking and writing are ``analytics.importer`` and
``analytics.backup``, the same functions the command line runs, and they get the signed-in
actor (they check the role and audit too). Import, an import's undo, backup, restore and the
switch to an empty ledger are drawn for admins only, with the ledger's path, the importers' login
names and the audit log (``analytics.access``); the other roles get one line saying who can. An
analyst may undo a change batch (as ``importer.undo_batch`` allows), never an import.
"""

import datetime as dt

import pandas as pd
import streamlit as st

from analytics import access, backup, changes, export, formats, i18n, importer
from analytics.access import Action, Actor
from analytics.errors import DomainError
from analytics.i18n import plural, t
from analytics.import_policy import ImportBlock, import_block
from analytics.ledger import LedgerError, create_ledger
from analytics.settings import load_settings
from analytics.untrusted import capped, markdown_literal
from analytics.untrusted import shown as shown_value
from pages import cache, downloads, entry, furniture, signin
from pages.export_menu import in_language

FLASH_KEY = "data_flash"
PREPARED_KEY = "data_prepared"
UNDO_KEY = "data_undo_pending"
ROUND_KEY = "data_upload_round"
REJECTED_KEY = "data_last_rejected"
PROBLEMS_SHOWN = 5_000
HISTORY_SHOWN = 50
AUDIT_ALL = "(all)"  # the selectbox's value for "every user / action" (shown in the language)
AUDIT_READ_KEY = "_data_audit_read"
# The validation report's columns: the problem table's column -> its header's key.
REPORT_HEADERS = {
    "row": "data_page.report.row",
    "column": "data_page.report.column",
    "value": "data_page.report.value",
    "reason": "data_page.report.reason",
    "suggestion": "data_page.report.suggestion",
    "severity": "data_page.report.severity",
}
# The audit log's columns (access.AUDIT_COLUMNS) -> their header's key.
AUDIT_HEADERS = {column: f"data_page.audit.column.{column}" for column in access.AUDIT_COLUMNS}


def blocked_message(block: ImportBlock) -> str:
    """What the page says when analytics.import_policy blocks the Import button."""
    return t(f"data_page.blocked.{block.value}")


def when(moment) -> str:
    """A time from the ledger (UTC) as the language writes its day, then hours and minutes."""
    return f"{i18n.date(moment.date())} {moment:%H:%M}"


def flash(kind: str, message: str) -> None:
    """A message to show once, after the rerun that follows a write."""
    st.session_state[FLASH_KEY] = (kind, message)


def show_flash() -> None:
    kind, message = st.session_state.pop(FLASH_KEY, (None, None))
    if kind == "success":
        st.success(message, icon=":material/check_circle:")
    elif kind == "error":
        st.error(message, icon=":material/error:")


def _name(text: object) -> str:
    """A file name, sheet or user name from an upload or the ledger, for Markdown."""
    return markdown_literal(capped(text, 120))


def progress_bar(bar):
    """A progress callback for the importer drawing on a Streamlit progress bar."""

    def update(message: str, fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    return update


def prepared_import(uploaded, sheet: str | None, path: str):
    """The checked upload, kept in the session until the file, the sheet or the ledger changes."""
    # The language is part of the key: the report's reasons are worded when the file is checked.
    key = (uploaded.file_id, uploaded.name, sheet, cache.ledger_version(), i18n.current())
    stored = st.session_state.get(PREPARED_KEY)
    if stored and stored[0] == key:
        return stored[1]
    bar = st.progress(0.0, text=t("importer.progress.reading"))
    try:
        prepared = importer.prepare_import(
            uploaded.getvalue(), uploaded.name, path, sheet=sheet, progress=progress_bar(bar), check_write=True
        )
    finally:
        bar.empty()
    st.session_state[PREPARED_KEY] = (key, prepared)
    return prepared


def import_section(path: str, actor: Actor) -> None:
    settings = load_settings()
    limit = settings.upload_limit_mb
    st.subheader(t("data_page.import.header"))
    st.caption(t("data_page.import.formats", limit=i18n.number(limit)))
    # A new key after each import empties the uploader, so the imported file is not checked again.
    round_ = st.session_state.get(ROUND_KEY, 0)
    uploaded = st.file_uploader(
        t("data_page.import.uploader"),
        type=["csv", "tsv", "txt", "xlsx", "parquet"],
        key="data_upload" if not round_ else f"data_upload_{round_}",
        max_upload_size=limit,
    )
    if uploaded is None:
        last_rejected()
        return
    st.session_state.pop(REJECTED_KEY, None)
    if uploaded.size > limit * 1024 * 1024:
        st.error(
            t(
                "data_page.import.too_large",
                file=_name(uploaded.name),
                size=i18n.number(uploaded.size / 1024 / 1024, digits=1),
                limit=i18n.number(limit),
                command=shown_value("python -m analytics import " + uploaded.name, 200),
            ),
            icon=":material/block:",
        )
        return
    sheets = importer.sheet_names(uploaded.getvalue())
    sheet = st.selectbox(t("data_page.import.sheet"), sheets, key="data_sheet") if len(sheets) > 1 else None
    try:
        prepared = prepared_import(uploaded, sheet, path)
    except LedgerError as error:
        lines = getattr(error, "lines", None) or [str(error)]
        st.error(
            t("data_page.import.refused")
            + "\n\n"
            + "\n".join(f"- {markdown_literal(capped(line, 600))}" for line in lines),
            icon=":material/error:",
        )
        return
    result = prepared.result

    if result.sheet:
        st.markdown(t("data_page.preview.sheet", file=_name(uploaded.name), sheet=_name(result.sheet)))
    else:
        st.markdown(t("data_page.preview", file=_name(uploaded.name)))
    st.dataframe(
        prepared.preview(10),
        hide_index=True,
        key="data_preview",
        column_config={"row": st.column_config.NumberColumn(t("data_page.report.row"), format="%d")},
    )
    read, valid, bad, warned = st.columns(4)
    read.metric(t("data_page.metric.read"), i18n.number(result.rows_read))
    valid.metric(t("data_page.metric.valid"), i18n.number(result.rows_valid))
    bad.metric(t("data_page.metric.rejected"), i18n.number(result.rows_rejected))
    warned.metric(t("data_page.metric.warnings"), i18n.number(len(result.warnings)))
    for note in result.notes:
        st.info(markdown_literal(note), icon=":material/info:")

    if len(result.problems):
        st.markdown(t("data_page.report.intro"))
        st.dataframe(
            report_table(result.problems.head(PROBLEMS_SHOWN)),
            hide_index=True,
            key="data_problems",
            column_config={
                column: st.column_config.NumberColumn(t(header), format="%d") if column == "row" else t(header)
                for column, header in REPORT_HEADERS.items()
            },
        )
        if len(result.problems) > PROBLEMS_SHOWN:
            st.caption(
                t(
                    "data_page.report.first",
                    shown=i18n.number(PROBLEMS_SHOWN),
                    total=i18n.number(len(result.problems)),
                )
            )
        if result.rows_rejected:
            downloads.download_csv(
                in_language(prepared.rejected_rows),
                f"{uploaded.name}.rejected",
                key="data_rejected_csv",
                label=t("data_page.report.download_rejected"),
            )
    else:
        st.success(t("data_page.report.none"), icon=":material/check_circle:")

    force = False
    if result.previous_batch is not None:
        st.warning(t("data_page.import.imported_before", batch=result.previous_batch), icon=":material/content_copy:")
        if result.rows_valid:
            force = st.checkbox(t("data_page.import.force"), key="data_force")
    skip = False
    if result.rows_rejected and result.rows_valid:
        skip = st.checkbox(
            t(
                "data_page.import.skip",
                rejected=i18n.number(result.rows_rejected),
                valid=i18n.number(result.rows_valid),
            ),
            key="data_skip_invalid",
        )
    block = import_block(result, path, skip_invalid=skip, force=force)
    blocked = blocked_message(block) if block is not None else None
    if blocked:
        st.info(blocked, icon=":material/info:")
    count = result.rows_valid
    if st.button(
        plural("data_page.import.button", count), key="data_import", type="primary", disabled=blocked is not None
    ):
        bar = st.progress(0.6, text=t("data_page.import.progress"))
        try:
            done = importer.commit_import(
                prepared, path, skip_invalid=skip, force=force, progress=progress_bar(bar), actor=actor
            )
        except DomainError as error:
            bar.empty()
            st.error(t("data_page.import.failed", error=markdown_literal(error)), icon=":material/error:")
            return
        st.session_state.pop(PREPARED_KEY, None)
        if done.written:
            st.session_state[ROUND_KEY] = round_ + 1
            skipped = ""
            if done.rows_rejected:
                st.session_state[REJECTED_KEY] = (
                    done.file_name,
                    importer.rejected_frame(prepared.table, done.problems),
                )
                skipped = t(
                    "data_page.import.skipped",
                    rejected=i18n.number(done.rows_rejected),
                    read=i18n.number(done.rows_read),
                )
            flash(
                "success",
                t(
                    "data_page.import.done",
                    rows=i18n.number(done.rows_written),
                    file=_name(done.file_name),
                    batch=done.batch_id,
                    parties=i18n.number(done.new_parties),
                    skipped=skipped,
                ),
            )
        else:
            flash("error", t("data_page.import.changed", rejected=i18n.number(done.rows_rejected)))
        st.rerun()


def last_rejected() -> None:
    """The rows the last import skipped, downloadable until the next upload."""
    stored = st.session_state.get(REJECTED_KEY)
    if stored is None:
        return
    file_name, rows = stored
    st.caption(t("data_page.last_rejected", file=_name(file_name), rows=i18n.number(len(rows))))
    downloads.download_csv(
        rows,
        f"{file_name}.rejected",
        key="data_last_rejected_csv",
        label=t("data_page.last_rejected.download"),
    )


def report_table(problems: pd.DataFrame) -> pd.DataFrame:
    """The problems as the report shows them: the whole-row column and the severity in the language."""
    return problems.assign(
        column=problems["column"].map(importer.column_word), severity=problems["severity"].map(importer.severity_word)
    )


def last_import(batches: pd.DataFrame) -> str:
    """The newest import in words ('batch 3: mine.csv at 2025-03-01 14:05, 120 rows'), or 'none'
    (a change made by hand is not an import)."""
    imports = batches[batches["kind"] == "import"] if "kind" in batches else batches
    if imports.empty:
        return t("data_page.last_import.none")
    row = imports.sort_values(["imported_at", "batch_id"]).iloc[-1]
    text = t(
        "data_page.last_import",
        batch=row["batch_id"],
        file=_name(row["file_name"]),
        at=when(row["imported_at"]),
        rows=i18n.number(row["rows_written"]),
    )
    if not pd.isna(row["undone_at"]):
        text += t("data_page.last_import.undone", at=when(row["undone_at"]))
    return text


def may_undo(actor: Actor, kind: str) -> bool:
    """Whether the actor may undo a batch of ``kind``: an import needs an admin, a change made
    by hand an analyst (``importer.undo_batch`` checks the same)."""
    return actor.may(Action.UNDO if kind == "import" else Action.EDIT)


def history_line(row, admin: bool) -> str:
    """One batch of the history in Markdown: an import with its file and rows, a change with
    its kind and summary (ledger text escaped)."""
    undone = row.undone_at is not None and row.undone_at == row.undone_at
    if row.kind == "import":
        what = _name(row.file_name) + (t("data_page.history.sheet", sheet=_name(row.sheet)) if row.sheet else "")
        size = t("data_page.history.rows", written=i18n.number(row.rows_written), read=i18n.number(row.rows_read))
    else:
        what = t(
            "data_page.history.change",
            kind=t(f"core.batch_kind.{row.kind}"),
            summary=markdown_literal(capped(changes.describe(row.summary), 400)),
        )
        size = ""
    parts = [
        t("data_page.history.batch", batch=row.batch_id),
        what,
        t("data_page.history.at", at=when(row.imported_at))
        + (t("data_page.history.by", user=_name(row.imported_by)) if row.imported_by and admin else "")
        + ("" if size else (t("data_page.history.undone", at=when(row.undone_at)) if undone else "")),
    ]
    if size:
        parts.append(size + (t("data_page.history.undone", at=when(row.undone_at)) if undone else ""))
    return " · ".join(parts)


def history_section(path: str, actor: Actor, batches: pd.DataFrame) -> None:
    st.subheader(t("data_page.history.header"))
    if batches.empty:
        st.caption(t("data_page.history.empty"))
        return
    admin = actor.may(Action.UNDO)
    pending = st.session_state.get(UNDO_KEY) if actor.may(Action.EDIT) else None
    for row in batches.head(HISTORY_SHOWN).itertuples(index=False):
        text, action = st.columns([5, 1], vertical_alignment="center")
        undone = row.undone_at is not None and row.undone_at == row.undone_at
        text.markdown(history_line(row, admin))
        if (
            may_undo(actor, row.kind)
            and not undone
            and action.button(t("data_page.history.undo"), key=f"data_undo_{row.batch_id}", icon=":material/undo:")
        ):
            st.session_state[UNDO_KEY] = pending = int(row.batch_id)
    if len(batches) > HISTORY_SHOWN:
        st.caption(t("data_page.history.newest", shown=i18n.number(HISTORY_SHOWN), total=i18n.number(len(batches))))
    if pending is None:
        return
    target = batches[batches["batch_id"] == pending]
    if target.empty or not may_undo(actor, str(target["kind"].iloc[0])):
        st.session_state.pop(UNDO_KEY, None)
        return
    kind = str(target["kind"].iloc[0])
    if kind == "import":
        written = int(target["rows_written"].iloc[0])
        question = t(
            "data_page.undo.ask",
            batch=pending,
            file=_name(target["file_name"].iloc[0]),
            exchanges=i18n.number(written),
        )
    else:
        question = t(
            "data_page.undo.ask_change",
            batch=pending,
            kind=t(f"core.batch_kind.{kind}"),
            summary=markdown_literal(capped(changes.describe(target["summary"].iloc[0]), 400)),
        )
    st.warning(question, icon=":material/undo:")
    yes, no = st.columns(2)
    if yes.button(t("data_page.undo.yes", batch=pending), key="data_undo_confirm", type="primary"):
        st.session_state.pop(UNDO_KEY, None)
        try:
            done = importer.undo_batch(path, pending, actor=actor)
        except DomainError as error:
            flash("error", t("data_page.undo.failed", batch=pending, error=markdown_literal(error)))
        else:
            if done.kind == "import":
                message = t(
                    "data_page.undo.done",
                    batch=done.batch_id,
                    exchanges=i18n.number(done.exchanges_removed),
                    parties=i18n.number(done.parties_removed),
                )
            else:
                message = t(
                    "data_page.undo.done_change",
                    batch=done.batch_id,
                    summary=markdown_literal(capped(changes.describe(done.summary), 400)),
                    rows=i18n.number(done.rows_restored),
                )
            flash("success", message)
        st.rerun()
    if no.button(t("data_page.undo.cancel"), key="data_undo_cancel"):
        st.session_state.pop(UNDO_KEY, None)
        st.rerun()


def files_section(path: str, actor: Actor) -> None:
    admin = actor.may(Action.BACKUP)
    st.subheader(t("data_page.files.header_admin") if admin else t("data_page.files.header"))
    template_csv, template_xlsx, backup_zip = st.columns(3)
    template_csv.download_button(
        t("data_page.files.template_csv"),
        data=importer.template_csv(),
        file_name="ledger-template.csv",
        mime=formats.get("csv").mime,
        key="data_template_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    template_xlsx.download_button(
        t("data_page.files.template_xlsx"),
        data=importer.template_xlsx,
        file_name="ledger-template.xlsx",
        mime=formats.get("xlsx").mime,
        key="data_template_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )
    if admin:
        backup_zip.download_button(
            t("data_page.files.backup"),
            data=lambda: backup.backup_bytes(path, actor=actor)[0],
            file_name=f"ledger-backup-{dt.date.today():%Y%m%d}.zip",
            mime=formats.get("zip").mime,
            key="data_backup",
            on_click="ignore",
            icon=":material/backup:",
        )
    if not actor.may(Action.DOWNLOAD):
        return
    st.caption(t("data_page.files.export_intro"))
    export_csv, export_xlsx, _ = st.columns(3)
    stem = f"ledger-{dt.date.today():%Y%m%d}"
    export_csv.download_button(
        t("data_page.files.export_csv"),
        data=lambda: _exported(path, "csv", actor),
        file_name=f"{stem}.csv",
        mime=formats.get("csv").mime,
        key="data_export_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    export_xlsx.download_button(
        t("data_page.files.export_xlsx"),
        data=lambda: _exported(path, "xlsx", actor),
        file_name=f"{stem}.xlsx",
        mime=formats.get("xlsx").mime,
        key="data_export_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )
    if admin:
        restore_section(path, actor)


def _exported(path: str, kind: str, actor: Actor) -> bytes:
    """The whole ledger in the import format, the download audited (as the CLI's export-ledger)."""
    body = importer.export_bytes(path, kind)
    export.audit_export(actor, "ledger", kind, "", action=Action.DOWNLOAD, details="the whole ledger, import format")
    return body


def restore_section(path: str, actor: Actor) -> None:
    with st.expander(t("data_page.restore.header")):
        st.caption(t("data_page.restore.intro"))
        upload = st.file_uploader(t("data_page.restore.uploader"), type=["zip"], key="data_restore_upload")
        sure = st.checkbox(t("data_page.restore.confirm"), key="data_restore_confirm")
        if (
            st.button(t("data_page.restore.button"), key="data_restore", disabled=upload is None or not sure)
            and upload is not None
        ):
            try:
                done = backup.restore_ledger(path, upload.getvalue(), force=True, actor=actor)
            except DomainError as error:
                st.error(t("data_page.restore.failed", error=markdown_literal(error)), icon=":material/error:")
            else:
                flash(
                    "success",
                    t(
                        "data_page.restore.done",
                        exchanges=i18n.number(done.info.exchanges),
                        created=markdown_literal(done.info.created_at),
                    ),
                )
                st.rerun()


def switch_section(path: str, actor: Actor) -> None:
    st.subheader(t("data_page.switch.header"))
    st.markdown(t("data_page.switch.intro"))
    sure = st.checkbox(t("data_page.switch.confirm"), key="data_switch_confirm")
    if st.button(t("data_page.switch.button"), key="data_switch", type="primary", disabled=not sure):
        try:
            create_ledger(path, demo=False, force=True, actor=actor)
        except DomainError as error:
            st.error(t("data_page.switch.failed", error=markdown_literal(error)), icon=":material/error:")
            return
        st.session_state.pop(PREPARED_KEY, None)
        flash("success", t("data_page.switch.done"))
        st.rerun()


def audit_section() -> None:
    """The audit log for admins: filtered by user, action and dates, downloadable as CSV."""
    st.subheader(t("data_page.audit.header"))
    reader = access.require(signin.current_actor(), Action.READ_AUDIT, "audit log")
    if not st.session_state.get(AUDIT_READ_KEY):  # once per browser session, not on every rerun
        access.audit(reader, Action.READ_AUDIT, "audit log", "the Data page")
        st.session_state[AUDIT_READ_KEY] = True
    log = access.audit_log()
    if log.empty:
        st.caption(t("data_page.audit.empty"))
        return
    who, what, since, until = st.columns(4)
    everyone = t("data_page.audit.all")
    user = who.selectbox(
        t("data_page.audit.user"),
        [AUDIT_ALL, *sorted(log["user"].unique())],
        key="data_audit_user",
        format_func=lambda value: everyone if value == AUDIT_ALL else value,
    )
    action = what.selectbox(
        t("data_page.audit.action"),
        [AUDIT_ALL, *sorted(log["action"].unique())],
        key="data_audit_action",
        format_func=lambda value: everyone if value == AUDIT_ALL else value,
    )
    first = since.date_input(t("data_page.audit.from"), value=log["at"].min().date(), key="data_audit_from")
    last = until.date_input(t("data_page.audit.to"), value=log["at"].max().date(), key="data_audit_to")
    shown = access.audit_log(
        since=first if isinstance(first, dt.date) else None,
        user=None if user == AUDIT_ALL else user,
        action=None if action == AUDIT_ALL else action,
    )
    if isinstance(last, dt.date):  # access.audit_log has no end date (yet): the one filter done here
        shown = shown[shown["at"] < dt.datetime.combine(last + dt.timedelta(days=1), dt.time())]
    st.dataframe(
        shown.iloc[::-1],
        hide_index=True,
        key="data_audit_table",
        column_config={column: t(header) for column, header in AUDIT_HEADERS.items()},
    )
    st.caption(t("data_page.audit.count", shown=i18n.number(len(shown)), total=i18n.number(len(log))))
    downloads.download_csv(
        shown, f"audit-log-{dt.date.today():%Y%m%d}", key="data_audit_csv", label=t("data_page.audit.download")
    )


entry.ensure_entry()
actor = signin.current_actor()
st.title(t("nav.data"))
furniture.demo_badge()
show_flash()
ledger = cache.ledger_path()
info = cache.info()
admin = actor.may(Action.IMPORT)
batches = importer.batch_history(cache.reader().connection().cursor())
span = t("data_page.summary.span", first=info.first_year, last=info.last_year) if info.first_year else ""
# The server's file path: admins only.
where = t("data_page.summary.path", path=shown_value(ledger, 300)) if admin else t("data_page.summary.ledger")
st.caption(
    t(
        "data_page.summary",
        where=where,
        exchanges=i18n.number(info.exchanges),
        parties=i18n.number(info.parties),
        countries=i18n.number(info.countries),
        span=span,
        last=last_import(batches),
    )
)
if admin:
    import_section(ledger, actor)
else:
    st.info(t("data_page.admins_only", role=actor.role.title), icon=":material/lock:")
history_section(ledger, actor, batches)
files_section(ledger, actor)
if info.is_demo and actor.may(Action.REPLACE_LEDGER):
    switch_section(ledger, actor)
if actor.may(Action.READ_AUDIT):
    audit_section()
