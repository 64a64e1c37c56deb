"""Snapshot of every README command's output on a fresh demo ledger, to compare two versions.

Usage: ``.venv/bin/python scripts/cli_snapshot.py OUT_DIR [--root PROJECT]``. Runs each command
of the README's command table (and each metric, chart list and help text) with ``python -m
analytics`` from PROJECT (default: this checkout) against a demo ledger made in a temporary folder,
and writes one file per command to OUT_DIR: the exit code, standard output and standard error,
and a text form of every file the command wrote (CSV as it is; Excel, Parquet, zip and PPTX
through their readable content, so that timestamps inside the containers do not differ). Then
``diff -r BEFORE AFTER`` shows every change in words. Used for structural changes, which must
leave every output byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

METRIC_RUNS: list[list[str]] = [
    ["exchanges-per-year"],
    ["by-family"],
    ["by-family", "--per-year", "--from", "2015"],
    ["by-status"],
    ["by-form"],
    ["by-direction"],
    ["by-level"],
    ["by-region"],
    ["by-subregion"],
    ["by-country", "--top", "15"],
    ["breakdown", "--dimension", "family"],
    ["cross-table", "--rows", "region", "--columns", "family"],
    ["cross-table", "--rows", "year", "--columns", "status", "--from", "2010"],
    ["region-by-year"],
    ["family-by-year"],
    ["family-by-region"],
    ["first-contacts"],
    ["leaderboard"],
    ["leaderboard", "--kind", "party", "--top", "5"],
    ["compare-periods", "--period-a", "1990-1999", "--period-b", "2010-2019", "--dimension", "region"],
    ["change-levels"],
    ["change-levels", "--baseline-years", "3", "--min-exchanges", "2"],
    ["concentration"],
    ["kpis"],
    ["kpis", "--format", "json"],
    ["kpis", "--format", "table"],
    ["by-family", "--region", "africa", "--family", "communist", "--family", "socialist", "--from", "2000"],
    ["by-country", "--country", "kenya", "--country", "UAE", "--format", "table"],
    ["exchanges-per-year", "--status", "ruling", "--form", "study_trip", "--direction", "inbound", "--level", "senior"],
    ["exchanges-per-year", "--subregion", "South America", "--to", "1990"],
]
ERROR_RUNS: list[list[str]] = [
    ["metric", "nope"],
    ["metric", "by-family", "--family", "commie"],
    ["metric", "by-family", "--region", "Atlantis"],
    ["metric", "by-family", "--country", "Korea"],
    ["metric", "by-family", "--country", "SUN"],
    ["metric", "by-family", "--from", "2020", "--to", "2010"],
    ["metric", "by-family", "--party", "No Such Party"],
    ["metric", "breakdown", "--dimension", "colour"],
    ["metric", "compare-periods", "--period-a", "1999-1990", "--period-b", "2010-2019"],
    ["metric", "leaderboard", "--top", "zero"],
    ["metric", "by-family", "--top", "3"],
    ["export", "no-such-chart", "--out", "x.png"],
    ["undo", "999"],
    ["import", "missing.csv"],
    ["template", "--out", "t.txt"],
    ["export-ledger", "--out", "l.txt"],
    ["init"],
]


def _describe_file(path: Path) -> str:
    """A readable, timestamp-free text of a written file."""
    suffix = path.suffix.lower()
    if suffix == ".csv" or suffix == ".json":
        return path.read_text(encoding="utf-8-sig", errors="replace")
    if suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
        return "\n".join(f"[sheet {name}]\n{frame.to_csv(index=False)}" for name, frame in sheets.items())
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
        return f"{frame.dtypes.to_string()}\n{frame.to_csv(index=False)}"
    if suffix in (".zip", ".pptx"):
        with zipfile.ZipFile(path) as archive:
            lines = []
            for name in sorted(archive.namelist()):
                data = archive.read(name)
                if name.endswith(".parquet"):
                    lines.append(f"[{name}]\n{pd.read_parquet(io.BytesIO(data)).to_csv(index=False)}")
                elif name.endswith((".xml", ".json", ".rels")):
                    text = data.decode("utf-8", "replace")
                    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", "<time>", text)
                    lines.append(f"[{name}]\n{text}")
                else:
                    lines.append(f"[{name}] {len(data)} bytes")
            return "\n".join(lines)
    data = path.read_bytes()
    return (
        f"{len(data)} bytes, {path.suffix} file, sha256 {hashlib.sha256(data).hexdigest()[:16]} (binary, not compared)"
    )


def _run(root: Path, work: Path, args: list[str], out: Path, name: str) -> None:
    before = {p: p.stat().st_mtime_ns for p in work.rglob("*") if p.is_file()}
    done = subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LEDGER_DB": str(work / "ledger.duckdb"), "LEDGER_USER": "snapshot"},
    )
    text = f"$ {' '.join(args)}\nexit {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        if path.name.startswith("ledger.duckdb") or path.suffix in (".lock", ".wal"):
            continue
        if before.get(path) != path.stat().st_mtime_ns:
            text += f"--- wrote {path.relative_to(work)}\n{_describe_file(path)}\n"
    text = text.replace(str(work), "<work>").replace(str(root), "<root>")
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "<time>", text)
    text = re.sub(r" in \d+(\.\d+)? s\b", " in <seconds> s", text)
    (out / f"{name}.txt").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    out, root = args.out.resolve(), args.root.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        steps: list[tuple[str, list[str]]] = [("00-init", ["init", "--demo", "--rows", "20000"]), ("01-info", ["info"])]
        steps += [("02-help", ["--help"])]
        for command in ("init", "info", "metric", "import", "export-ledger", "history", "undo", "backup"):
            steps.append((f"03-help-{command}", [command, "--help"]))
        for command in ("restore", "template", "export", "briefing"):
            steps.append((f"03-help-{command}", [command, "--help"]))
        for i, run in enumerate(METRIC_RUNS):
            steps.append((f"10-metric-{i:02d}-{run[0]}", ["metric", *run]))
        for i, run in enumerate(ERROR_RUNS):
            steps.append((f"20-error-{i:02d}-{run[0]}", [*run]))
        steps += [
            ("30-export-list", ["export", "--list"]),
            ("31-export-csv", ["export", "exchanges-per-year", "--out", str(work / "trend.csv")]),
            ("32-export-xlsx", ["export", "top-countries", "--out", str(work / "top.xlsx"), "--region", "Asia"]),
            ("33-template-csv", ["template", "--out", str(work / "template.csv")]),
            ("34-template-xlsx", ["template", "--out", str(work / "template.xlsx")]),
            ("35-export-ledger-csv", ["export-ledger", "--out", str(work / "demo-ledger.csv")]),
            ("36-backup", ["backup", "--out", str(work / "backup.zip")]),
            ("40-import-demo-refused", ["import", str(work / "demo-ledger.csv"), "--dry-run"]),
            ("41-init-empty", ["init", "--empty", "--force"]),
            ("42-import-dry", ["import", str(work / "template.csv"), "--dry-run"]),
            ("43-import", ["import", str(work / "demo-ledger.csv")]),
            ("44-import-again", ["import", str(work / "demo-ledger.csv")]),
            ("45-history", ["history"]),
            ("46-info", ["info"]),
            ("47-export-ledger-xlsx", ["export-ledger", "--out", str(work / "real.xlsx")]),
            ("48-export-ledger-parquet", ["export-ledger", "--out", str(work / "real.parquet")]),
            ("49-undo", ["undo", "1"]),
            ("50-undo-again", ["undo", "1"]),
            ("51-restore-refused", ["restore", str(work / "backup.zip")]),
            ("52-restore", ["restore", str(work / "backup.zip"), "--force"]),
            ("53-info", ["info"]),
            (
                "60-briefing-pptx",
                ["briefing", "--out", str(work / "b.pptx"), "--charts", "exchanges-per-year,top-countries"],
            ),
            ("61-export-png", ["export", "by-family", "--out", str(work / "family.png")]),
        ]
        for name, command in steps:
            _run(root, work, command, out, name)
    print(f"{len(steps)} commands written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
