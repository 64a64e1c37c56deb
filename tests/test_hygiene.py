"""Import hygiene, one table over every module of ``analytics``: none loads Streamlit, each opens
with a docstring. The layer contracts themselves are checked by ``lint-imports`` (pyproject.toml)
in the test command; this table proves the runtime side, module by module, in a fresh interpreter.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import analytics

ROOT = Path(__file__).resolve().parent.parent
MODULES: list[str] = sorted(
    ["analytics"] + [info.name for info in pkgutil.walk_packages(analytics.__path__, prefix="analytics.")]
)


def _source(module: str) -> Path:
    path = ROOT / Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def test_the_table_finds_the_modules():
    assert {"analytics.cli", "analytics.dimensions", "analytics.metrics", "analytics.commands.filter_args"} <= set(
        MODULES
    )


@pytest.mark.slow  # a fresh interpreter per module
@pytest.mark.parametrize("module", MODULES)
def test_module_does_not_load_streamlit(module):
    code = (
        f"import sys, importlib; m = importlib.import_module({module!r}); "
        "getattr(m, 'build_parser', lambda: None)(); print('streamlit' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", f"importing {module} loads streamlit"


@pytest.mark.parametrize("module", MODULES)
def test_module_opens_with_a_docstring(module):
    tree = ast.parse(_source(module).read_text(encoding="utf-8"))
    docstring = ast.get_docstring(tree)
    assert docstring and len(docstring.split()) >= 8, f"{module} needs a docstring saying what it is for"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_nothing_imports_the_streamlit_entry_and_it_runs_no_sql():
    # dashboard.py is a module, which import-linter's contracts cannot name.
    sources = [*ROOT.glob("analytics/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("scripts/*.py")]
    assert [p for p in sources if "dashboard" in _imported(p)] == []
    assert "duckdb" not in _imported(ROOT / "dashboard.py")


def test_every_analytics_module_has_a_place_in_the_layer_contract():
    # A module missing from the contract would escape the layer check unseen.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c.get("containers") == ["analytics"])
    placed = {name.strip() for layer in contract["layers"] for name in layer.split(":")}
    top_level = {module.split(".")[1] for module in MODULES if module != "analytics"}
    assert top_level - placed == set()
