"""One error root: every error ``analytics`` raises for a user derives from ``DomainError``; the
CLI reports those (exit 2) and lets anything else, a bug, surface as a bug."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil

import pytest

import analytics
from analytics import cli
from analytics.errors import DomainError, InvalidInputError

MODULES = [
    importlib.import_module(info.name) for info in pkgutil.walk_packages(analytics.__path__, prefix="analytics.")
]
ERRORS = sorted(
    {
        obj
        for module in MODULES
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, Exception) and obj.__module__.startswith("analytics.") and not obj.__name__.startswith("_")
    },
    key=lambda cls: f"{cls.__module__}.{cls.__name__}",
)


def test_the_table_finds_the_errors():
    names = {cls.__name__ for cls in ERRORS}
    assert {"LedgerError", "FilterError", "MetricError", "ExportError", "ChartNotFoundError", "CommandError"} <= names


@pytest.mark.parametrize("error", ERRORS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_error_derives_from_the_root(error):
    assert issubclass(error, DomainError)


def test_bad_values_are_still_value_errors():
    assert issubclass(InvalidInputError, ValueError)


def _parser_with(handler) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.set_defaults(handler=handler)
    return parser


def test_cli_reports_a_domain_error_as_one_line_and_exit_2(monkeypatch, capsys):
    def fails(args):
        raise InvalidInputError("the value 'x' is not valid here")

    monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(fails))
    assert cli.main([]) == 2
    assert capsys.readouterr().err == "error: the value 'x' is not valid here\n"


@pytest.mark.parametrize("bug", [ValueError("bad int"), KeyError("k"), TypeError("t")])
def test_cli_lets_a_bug_surface(monkeypatch, bug):
    def fails(args):
        raise bug

    monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(fails))
    with pytest.raises(type(bug)):
        cli.main([])
