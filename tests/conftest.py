"""Shared fixtures: tiny ledgers in tmp_path, and one demo ledger per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.ledger import create_ledger
from tests.ledgers import build_ledger

OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"


# The longest test files run first: the test command shares whole files out between processes
# (scripts/test.sh), and a long file taken last would leave the other process idle at the end.
LONGEST_FIRST = (
    "test_browser.py",
    "test_briefing.py",
    "test_write_kills.py",
    "test_export.py",
    "test_bench.py",
    "test_signin_browser.py",
    "test_changes_properties.py",
    "test_counts.py",
    "test_briefing_render.py",
    "test_presets.py",
    "test_metrics_properties.py",
    "test_findings_properties.py",
    "test_hostile.py",
)


def pytest_collection_modifyitems(config, items):
    """The files of ``LONGEST_FIRST`` first, in that order; the others after, as collected."""
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(autouse=True)
def access_db(tmp_path_factory, monkeypatch) -> Path:
    """Each test audits into an access database of its own, never the project's data/ folder."""
    path = tmp_path_factory.mktemp("access") / "access.sqlite"
    monkeypatch.setenv("LEDGER_ACCESS_DB", str(path))
    return path


@pytest.fixture
def make_ledger(tmp_path):
    """Factory: make_ledger(rows, name='ledger.duckdb', demo=False) -> path of a new ledger."""

    def factory(rows, name="ledger.duckdb", demo=False):
        return build_ledger(tmp_path / name, rows, demo=demo)

    return factory


@pytest.fixture(scope="session")
def demo_ledger(tmp_path_factory) -> Path:
    """The default demo ledger (seed 1951), built once per session. Do not write to it."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    create_ledger(path, demo=True, seed=1951)
    return path


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Folder for test artefacts kept after the run (screenshots, exports)."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR
