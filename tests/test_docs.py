"""The docs follow the registries: every CLI subcommand is in the README's command table, every
metric in docs/metrics.md, every chart and output format in docs/export.md, and every kind of
thing docs/architecture.md promises to locate is named there with a file that exists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from analytics import chart_catalog, cli, export, formats, metrics

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
METRICS_DOC = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
EXPORT_DOC = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
ARCHITECTURE_DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _subcommands() -> list[str]:
    parser = cli.build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(actions[0].choices)


def _word(name: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")


def test_the_registries_are_not_empty():
    assert len(_subcommands()) >= 12 and len(metrics.METRICS) >= 20 and len(chart_catalog.CHARTS) >= 25


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_is_in_the_readme_command_table(command):
    first_cells = [line.split("|")[1] for line in README.splitlines() if line.startswith("| `")]
    assert any(_word(command).search(cell) and f"`{command}" in cell for cell in first_cells), (
        f"README command table lacks `{command}`"
    )


@pytest.mark.parametrize("name", list(metrics.METRICS))
def test_every_metric_has_a_heading_in_metrics_doc(name):
    headings = [line for line in METRICS_DOC.splitlines() if line.startswith("#")]
    assert any(_word(name).search(line) for line in headings), f"docs/metrics.md has no heading naming {name}"


@pytest.mark.parametrize("name", list(chart_catalog.CHARTS))
def test_every_chart_is_in_the_export_doc_table(name):
    assert f"| `{name}` |" in EXPORT_DOC


@pytest.mark.parametrize("fmt", list(export.FORMATS))
def test_every_chart_format_is_in_the_export_doc_formats_table(fmt):
    assert f"| `{fmt}` |" in EXPORT_DOC


@pytest.mark.parametrize("fmt", list(formats.FORMATS))
def test_every_registered_format_is_in_the_export_doc(fmt):
    rows = [line.split("|")[1] for line in EXPORT_DOC.splitlines() if line.startswith("| `")]
    assert any(f"`{fmt}`" in cell for cell in rows), f"docs/export.md has no table row for {fmt}"


@pytest.mark.parametrize(
    "path", sorted(set(re.findall(r"`((?:analytics|pages|tests|docs|data|scripts)/[\w/.-]+)`", ARCHITECTURE_DOC)))
)
def test_every_file_named_in_the_architecture_doc_exists(path):
    assert (ROOT / path.rstrip("/")).exists(), f"docs/architecture.md names {path}, which does not exist"


@pytest.mark.parametrize(
    "kind", ["dimension", "metric", "chart", "format", "import rule", "page", "error", "text", "message"]
)
def test_architecture_doc_says_where_each_kind_lives_and_how_to_add_one(kind):
    assert re.search(rf"^\| (an? )?{kind}\b", ARCHITECTURE_DOC, re.IGNORECASE | re.MULTILINE), kind
    assert re.search(rf"^### (Add|A new) (an? )?{kind}", ARCHITECTURE_DOC, re.IGNORECASE | re.MULTILINE), kind
