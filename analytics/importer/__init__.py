"""Import of a user's own ledger file (CSV, Excel or Parquet) into the ledger, one batch at a time.

Called by the ``import``, ``history``, ``undo``, ``template`` and ``export-ledger`` commands
(``analytics/commands/import_commands.py``), by ``analytics.backup`` and by the Data page; this
package's ``__init__`` only re-exports the names they use, the work is done by one module per job.
Three steps: ``decode.read_table`` turns the file's bytes into a table of text cells with the
spreadsheet row number of each row and the headers matched to the format of
``docs/ledger-format.md`` (``headers``); ``validate.check_rows`` validates every cell at once with
pandas (no Python loop over rows, one check per column group, the cell readings in ``values``) and
lists each problem with its row, column, value, reason and a suggestion (``problems``);
``validate.check_record`` runs the same checks on one record typed in a form;
``batch.commit_import`` re-checks what depends on the ledger (``crosscheck``, whose
``resolve_parties`` finds the ledger party a name means, case and spaces aside or through an alias) and writes the valid
rows as one batch inside ``ledger.write_transaction``, so an import is all or nothing even when the
process is killed. ``history`` lists and undoes batches; ``rows`` writes ledger rows back in the
import format (``export_ledger`` / ``export_bytes``) and the templates, through
``analytics.spreadsheet`` so that no CSV or Excel file runs a formula.
"""

# ``hashlib`` and ``vocab`` stay reachable as ``importer.hashlib`` / ``importer.vocab`` (tests use them).
import hashlib  # noqa: F401

from analytics import vocab  # noqa: F401
from analytics.importer.batch import (
    FORCE_NOTE,
    ImportResult,
    PreparedImport,
    _result,
    commit_import,
    force_note,
    import_file,
    prepare_import,
    refusal,
    rejected_frame,
    write_rejected,
    writes_nothing,
)
from analytics.importer.columns import (
    CODE_COLUMNS,
    CODE_DEFAULTS,
    COLUMNS,
    DATE_PRECISIONS,
    EXTRA_COLUMNS,
    FORMULA_CHARACTERS,
    KNOWN_COLUMNS,
    MAX_CELL_CHARS,
    MAX_DELEGATION,
    REQUIRED,
    SHOWN_CHARS,
    TEXT_COLUMNS,
    Progress,
    SourceTable,
)
from analytics.importer.crosscheck import PARTY_MATCHES, check_against_ledger, resolve_parties
from analytics.importer.decode import SEPARATORS, read_table, sheet_names
from analytics.importer.errors import BatchError, DemoLedgerError, DuplicateFileError, ImportFileError
from analytics.importer.history import UndoResult, batch_history, restart_transaction, undo_batch
from analytics.importer.problems import (
    PROBLEM_COLUMNS,
    WHOLE_ROW,
    CheckedRows,
    _empty_problems,
    column_word,
    problem_lines,
    severity_word,
)
from analytics.importer.rows import (
    ROW_FORMATS,
    TEMPLATE_EXAMPLES,
    export_bytes,
    export_frame,
    export_ledger,
    ledger_rows,
    rows_bytes,
    template_csv,
    template_frame,
    template_xlsx,
    write_rows,
    write_template,
)
from analytics.importer.validate import CheckedRecord, check_record, check_rows
from analytics.importer.values import EXCEL_EPOCH
from analytics.spreadsheet import safe_cell, safe_frame, write_xlsx  # the pages' table downloads use them

__all__ = [
    "BatchError",
    "CODE_COLUMNS",
    "CODE_DEFAULTS",
    "COLUMNS",
    "CheckedRecord",
    "CheckedRows",
    "DATE_PRECISIONS",
    "DemoLedgerError",
    "DuplicateFileError",
    "EXCEL_EPOCH",
    "EXTRA_COLUMNS",
    "FORCE_NOTE",
    "force_note",
    "FORMULA_CHARACTERS",
    "ImportFileError",
    "ImportResult",
    "KNOWN_COLUMNS",
    "MAX_CELL_CHARS",
    "MAX_DELEGATION",
    "PARTY_MATCHES",
    "PROBLEM_COLUMNS",
    "PreparedImport",
    "Progress",
    "REQUIRED",
    "ROW_FORMATS",
    "SEPARATORS",
    "SHOWN_CHARS",
    "SourceTable",
    "TEMPLATE_EXAMPLES",
    "TEXT_COLUMNS",
    "UndoResult",
    "WHOLE_ROW",
    "_empty_problems",
    "_result",
    "batch_history",
    "check_against_ledger",
    "check_record",
    "check_rows",
    "column_word",
    "commit_import",
    "export_bytes",
    "export_frame",
    "export_ledger",
    "import_file",
    "ledger_rows",
    "prepare_import",
    "problem_lines",
    "read_table",
    "refusal",
    "writes_nothing",
    "rejected_frame",
    "resolve_parties",
    "restart_transaction",
    "rows_bytes",
    "safe_cell",
    "safe_frame",
    "severity_word",
    "sheet_names",
    "template_csv",
    "template_frame",
    "template_xlsx",
    "undo_batch",
    "write_rejected",
    "write_rows",
    "write_template",
    "write_xlsx",
]
