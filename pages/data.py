"""Data: bring the real ledger in. Upload a CSV, Excel or Parquet file, read the preview and the
validation report (every problem with its spreadsheet row), confirm the import, follow its
progress; see the import history and undo a batch; download the templates, the whole ledger in
the import format and a backup, restore one; and leave the demo data for an empty ledger.

The page only draws: reading, checking and writing are ``analytics.importer`` and
``analytics.backup``, the same functions the command line runs, and they get the signed-in
actor (they check the role and audit too). Import, undo, backup, restore and the switch to an
empty ledger are drawn for admins only, with the ledger's path, the importers' login names and
the audit log (``analytics.access``); the other roles get one line saying who can.
"""

import datetime as dt

import streamlit as st

from analytics import access, backup, export, formats, importer
from analytics.access import Action, Actor
from analytics.errors import DomainError
from analytics.import_policy import ImportBlock, import_block
from analytics.ledger import LedgerError, create_ledger
from analytics.settings import load_settings
from analytics.untrusted import capped, markdown_literal
from analytics.untrusted import shown as shown_value
from pages import cache, downloads, entry, furniture, signin

FLASH_KEY = "data_flash"
PREPARED_KEY = "data_prepared"
UNDO_KEY = "data_undo_pending"
ROUND_KEY = "data_upload_round"
REJECTED_KEY = "data_last_rejected"
PROBLEMS_SHOWN = 5_000
HISTORY_SHOWN = 50
ADMINS_ONLY = (
    "Importing, undoing an import, backups, restoring one and starting the real ledger are for admins "
    "(your role: {role}); ask an admin of the dashboard."
)
AUDIT_ALL = "(all)"
AUDIT_READ_KEY = "_data_audit_read"
# What the page says when analytics.import_policy blocks the Import button.
BLOCKED: dict[ImportBlock, str] = {
    ImportBlock.DEMO_LEDGER: "The ledger holds demo data: switch to an empty ledger (at the bottom of this page) "
    "before importing.",
    ImportBlock.NOTHING_NEW: "Nothing new to import: every row of this file is already in the ledger or has an error "
    "(see the report above).",
    ImportBlock.NOTHING_VALID: "No row can be imported: fix the errors above and upload the file again.",
    ImportBlock.MUST_SKIP: "Nothing is imported while a row has an error: fix the file, or tick the box to skip "
    "those rows.",
    ImportBlock.MUST_FORCE: "Tick the box above to import this file a second time.",
}


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
    key = (uploaded.file_id, uploaded.name, sheet, cache.ledger_version())
    stored = st.session_state.get(PREPARED_KEY)
    if stored and stored[0] == key:
        return stored[1]
    bar = st.progress(0.0, text="Reading the file")
    try:
        prepared = importer.prepare_import(
            uploaded.getvalue(), uploaded.name, path, sheet=sheet, progress=progress_bar(bar)
        )
    finally:
        bar.empty()
    st.session_state[PREPARED_KEY] = (key, prepared)
    return prepared


def import_section(path: str, actor: Actor) -> None:
    settings = load_settings()
    limit = settings.upload_limit_mb
    st.subheader("Import a file")
    st.caption(
        f"CSV (UTF-8; comma, semicolon or tab), Excel (.xlsx) or Parquet, up to {limit} MB "
        "(setting LEDGER_UPLOAD_LIMIT_MB; larger files: `python -m analytics import FILE`). "
        "The columns and codes are described in docs/ledger-format.md; the templates below have them."
    )
    # A new key after each import empties the uploader, so the imported file is not checked again.
    round_ = st.session_state.get(ROUND_KEY, 0)
    uploaded = st.file_uploader(
        "Ledger file",
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
            f"**{_name(uploaded.name)} is {uploaded.size / 1024 / 1024:,.1f} MB, above the upload limit of {limit} MB.** "
            f"Import it with the command line ({shown_value('python -m analytics import ' + uploaded.name, 200)}), or raise "
            "LEDGER_UPLOAD_LIMIT_MB.",
            icon=":material/block:",
        )
        return
    sheets = importer.sheet_names(uploaded.getvalue())
    sheet = st.selectbox("Sheet", sheets, key="data_sheet") if len(sheets) > 1 else None
    try:
        prepared = prepared_import(uploaded, sheet, path)
    except LedgerError as error:
        lines = getattr(error, "lines", None) or [str(error)]
        st.error(
            "**This file cannot be imported.**\n\n"
            + "\n".join(f"- {markdown_literal(capped(line, 600))}" for line in lines),
            icon=":material/error:",
        )
        return
    result = prepared.result

    st.markdown(
        f"**Preview** of {_name(uploaded.name)}{f' (sheet {_name(result.sheet)})' if result.sheet else ''}: "
        "the first rows as read, with their spreadsheet row numbers."
    )
    st.dataframe(prepared.preview(10), hide_index=True, key="data_preview")
    read, valid, bad, warned = st.columns(4)
    read.metric("Rows read", f"{result.rows_read:,}")
    valid.metric("Valid rows", f"{result.rows_valid:,}")
    bad.metric("Rows with errors", f"{result.rows_rejected:,}")
    warned.metric("Warnings", f"{len(result.warnings):,}")
    for note in result.notes:
        st.info(markdown_literal(note), icon=":material/info:")

    if len(result.problems):
        st.markdown("**Validation report**: one line per problem; errors block their row, warnings do not.")
        shown = result.problems.head(PROBLEMS_SHOWN)
        st.dataframe(
            shown,
            hide_index=True,
            key="data_problems",
            column_config={
                "row": st.column_config.NumberColumn("Row", format="%d"),
                "column": "Column",
                "value": "Value",
                "reason": "Problem",
                "suggestion": "Suggestion",
                "severity": "Severity",
            },
        )
        if len(result.problems) > PROBLEMS_SHOWN:
            st.caption(
                f"First {PROBLEMS_SHOWN:,} of {len(result.problems):,} problems; the rejected rows "
                "file lists every row with all its reasons."
            )
        if result.rows_rejected:
            downloads.download_csv(
                prepared.rejected_rows,
                f"{uploaded.name}.rejected",
                key="data_rejected_csv",
                label="Download the rejected rows with their reasons (CSV)",
            )
    else:
        st.success("No problems found.", icon=":material/check_circle:")

    force = False
    if result.previous_batch is not None:
        st.warning(
            f"This file was already imported as batch {result.previous_batch} (same content). Its rows "
            "already in the ledger are refused as duplicates (listed above), so importing it again writes "
            "only the rows that are not in the ledger yet.",
            icon=":material/content_copy:",
        )
        if result.rows_valid:
            force = st.checkbox("Import this file again (only the rows not in the ledger yet)", key="data_force")
    skip = False
    if result.rows_rejected and result.rows_valid:
        skip = st.checkbox(
            f"Skip the {result.rows_rejected:,} rows with errors and import the {result.rows_valid:,} valid rows",
            key="data_skip_invalid",
        )
    block = import_block(result, path, skip_invalid=skip, force=force)
    blocked = BLOCKED[block] if block is not None else None
    if blocked:
        st.info(blocked, icon=":material/info:")
    count = result.rows_valid
    if st.button(f"Import {count:,} rows", key="data_import", type="primary", disabled=blocked is not None):
        bar = st.progress(0.6, text="Importing")
        try:
            done = importer.commit_import(
                prepared, path, skip_invalid=skip, force=force, progress=progress_bar(bar), actor=actor
            )
        except DomainError as error:
            bar.empty()
            st.error(f"**Nothing was imported.** {markdown_literal(error)}", icon=":material/error:")
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
                skipped = (
                    f" {done.rows_rejected:,} of {done.rows_read:,} rows had errors and were skipped: "
                    "download them with their reasons below."
                )
            flash(
                "success",
                f"Imported {done.rows_written:,} rows from {_name(done.file_name)} as batch {done.batch_id} "
                f"({done.new_parties:,} new parties). Every page now shows them.{skipped}",
            )
        else:
            flash(
                "error",
                f"Nothing was imported: the ledger changed meanwhile and {done.rows_rejected:,} rows now "
                "have errors. Check the report again.",
            )
        st.rerun()


def last_rejected() -> None:
    """The rows the last import skipped, downloadable until the next upload."""
    stored = st.session_state.get(REJECTED_KEY)
    if stored is None:
        return
    file_name, rows = stored
    st.caption(f"The last import of {_name(file_name)} skipped {len(rows):,} rows with errors.")
    downloads.download_csv(
        rows,
        f"{file_name}.rejected",
        key="data_last_rejected_csv",
        label="Download the skipped rows with their reasons (CSV)",
    )


def history_section(path: str, actor: Actor) -> None:
    st.subheader("Import history")
    batches = importer.batch_history(cache.reader().connection().cursor())
    if batches.empty:
        st.caption("No import yet.")
        return
    admin = actor.may(Action.UNDO)
    pending = st.session_state.get(UNDO_KEY) if admin else None
    for row in batches.head(HISTORY_SHOWN).itertuples(index=False):
        text, action = st.columns([5, 1], vertical_alignment="center")
        undone = row.undone_at is not None and row.undone_at == row.undone_at
        state = f" — *undone {row.undone_at:%Y-%m-%d %H:%M}*" if undone else ""
        sheet = f" ({_name(row.sheet)})" if row.sheet else ""
        text.markdown(
            f"**Batch {row.batch_id}** · {_name(row.file_name)}{sheet} · "
            f"{row.imported_at:%Y-%m-%d %H:%M} UTC{f' by {_name(row.imported_by)}' if row.imported_by and admin else ''} · "
            f"{row.rows_written:,} of {row.rows_read:,} rows written{state}"
        )
        if admin and not undone and action.button("Undo", key=f"data_undo_{row.batch_id}", icon=":material/undo:"):
            st.session_state[UNDO_KEY] = pending = int(row.batch_id)
    if len(batches) > HISTORY_SHOWN:
        st.caption(f"The {HISTORY_SHOWN} newest of {len(batches)} batches; all of them: `python -m analytics history`.")
    if pending is None:
        return
    target = batches[batches["batch_id"] == pending]
    if target.empty:
        st.session_state.pop(UNDO_KEY, None)
        return
    written = int(target["rows_written"].iloc[0])
    st.warning(
        f"Undo batch {pending} ({_name(target['file_name'].iloc[0])})? Its {written:,} exchanges are removed, "
        "and the parties it created that have no other exchange.",
        icon=":material/undo:",
    )
    yes, no = st.columns(2)
    if yes.button(f"Yes, undo batch {pending}", key="data_undo_confirm", type="primary"):
        st.session_state.pop(UNDO_KEY, None)
        try:
            done = importer.undo_batch(path, pending, actor=actor)
        except DomainError as error:
            flash("error", f"Batch {pending} was not undone: {markdown_literal(error)}")
        else:
            flash(
                "success",
                f"Undid batch {done.batch_id}: removed {done.exchanges_removed:,} exchanges and "
                f"{done.parties_removed:,} parties.",
            )
        st.rerun()
    if no.button("Cancel", key="data_undo_cancel"):
        st.session_state.pop(UNDO_KEY, None)
        st.rerun()


def files_section(path: str, actor: Actor) -> None:
    admin = actor.may(Action.BACKUP)
    st.subheader("Templates, export and backup" if admin else "Templates and export")
    template_csv, template_xlsx, backup_zip = st.columns(3)
    template_csv.download_button(
        "Template (CSV)",
        data=importer.template_csv(),
        file_name="ledger-template.csv",
        mime=formats.get("csv").mime,
        key="data_template_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    template_xlsx.download_button(
        "Template (Excel)",
        data=importer.template_xlsx,
        file_name="ledger-template.xlsx",
        mime=formats.get("xlsx").mime,
        key="data_template_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )
    if admin:
        backup_zip.download_button(
            "Backup of the ledger (Parquet, .zip)",
            data=lambda: backup.backup_bytes(path, actor=actor)[0],
            file_name=f"ledger-backup-{dt.date.today():%Y%m%d}.zip",
            mime=formats.get("zip").mime,
            key="data_backup",
            on_click="ignore",
            icon=":material/backup:",
        )
    if not actor.may(Action.DOWNLOAD):
        return
    st.caption(
        "The whole ledger in the import format (dates at their precision, countries as ISO3 codes): "
        "edit it in a spreadsheet, or import it into another ledger. Same as "
        "`python -m analytics export-ledger --out FILE`."
    )
    export_csv, export_xlsx, _ = st.columns(3)
    stem = f"ledger-{dt.date.today():%Y%m%d}"
    export_csv.download_button(
        "Ledger in the import format (CSV)",
        data=lambda: _exported(path, "csv", actor),
        file_name=f"{stem}.csv",
        mime=formats.get("csv").mime,
        key="data_export_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    export_xlsx.download_button(
        "Ledger in the import format (Excel)",
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
    with st.expander("Restore a backup"):
        st.caption(
            "Replaces the whole ledger by a backup downloaded above (or made with "
            "`python -m analytics backup`). Back up the current ledger first."
        )
        upload = st.file_uploader("Backup file (.zip)", type=["zip"], key="data_restore_upload")
        sure = st.checkbox("Replace the whole ledger by this backup", key="data_restore_confirm")
        if st.button("Restore", key="data_restore", disabled=upload is None or not sure) and upload is not None:
            try:
                done = backup.restore_ledger(path, upload.getvalue(), force=True, actor=actor)
            except DomainError as error:
                st.error(f"**Nothing was restored.** {markdown_literal(error)}", icon=":material/error:")
            else:
                flash(
                    "success", f"Restored {done.info.exchanges:,} exchanges from the backup of {done.info.created_at}."
                )
                st.rerun()


def switch_section(path: str, actor: Actor) -> None:
    st.subheader("Start your real ledger")
    st.markdown(
        "The ledger now holds **synthetic demo data**. Replace it by an empty ledger, then import "
        "your own file above. The demo data can be made again at any time with "
        "`python -m analytics init --demo --force`."
    )
    sure = st.checkbox("I understand that the demo data will be deleted", key="data_switch_confirm")
    if st.button("Replace the demo data by an empty ledger", key="data_switch", type="primary", disabled=not sure):
        try:
            create_ledger(path, demo=False, force=True, actor=actor)
        except DomainError as error:
            st.error(f"**The ledger was not replaced.** {markdown_literal(error)}", icon=":material/error:")
            return
        st.session_state.pop(PREPARED_KEY, None)
        flash("success", "The ledger is now empty and ready for your data.")
        st.rerun()


def audit_section() -> None:
    """The audit log for admins: filtered by user, action and dates, downloadable as CSV."""
    st.subheader("Audit log")
    reader = access.require(signin.current_actor(), Action.READ_AUDIT, "audit log")
    if not st.session_state.get(AUDIT_READ_KEY):  # once per browser session, not on every rerun
        access.audit(reader, Action.READ_AUDIT, "audit log", "the Data page")
        st.session_state[AUDIT_READ_KEY] = True
    log = access.audit_log()
    if log.empty:
        st.caption("Nothing recorded yet.")
        return
    who, what, since, until = st.columns(4)
    user = who.selectbox("User", [AUDIT_ALL, *sorted(log["user"].unique())], key="data_audit_user")
    action = what.selectbox("Action", [AUDIT_ALL, *sorted(log["action"].unique())], key="data_audit_action")
    first = since.date_input("From", value=log["at"].min().date(), key="data_audit_from")
    last = until.date_input("To", value=log["at"].max().date(), key="data_audit_to")
    shown = access.audit_log(
        since=first if isinstance(first, dt.date) else None,
        user=None if user == AUDIT_ALL else user,
        action=None if action == AUDIT_ALL else action,
    )
    if isinstance(last, dt.date):  # access.audit_log has no end date (yet): the one filter done here
        shown = shown[shown["at"] < dt.datetime.combine(last + dt.timedelta(days=1), dt.time())]
    st.dataframe(shown.iloc[::-1], hide_index=True, key="data_audit_table")
    st.caption(f"{len(shown):,} of {len(log):,} entries, newest first; times in UTC.")
    downloads.download_csv(shown, f"audit-log-{dt.date.today():%Y%m%d}", key="data_audit_csv", label="Download (CSV)")


entry.ensure_entry()
actor = signin.current_actor()
st.title("Data")
furniture.demo_badge()
show_flash()
ledger = cache.ledger_path()
info = cache.info()
admin = actor.may(Action.IMPORT)
span = f", {info.first_year}–{info.last_year}" if info.first_year else ""
where = f"Ledger `{ledger}`" if admin else "The ledger"  # the server's file path: admins only
st.caption(
    f"{where}: {info.exchanges:,} exchanges with {info.parties:,} parties in "
    f"{info.countries:,} countries{span}. Last import: {info.last_import or 'none'}."
)
if admin:
    import_section(ledger, actor)
else:
    st.info(ADMINS_ONLY.format(role=actor.role.word), icon=":material/lock:")
history_section(ledger, actor)
files_section(ledger, actor)
if info.is_demo and actor.may(Action.REPLACE_LEDGER):
    switch_section(ledger, actor)
if actor.may(Action.READ_AUDIT):
    audit_section()
