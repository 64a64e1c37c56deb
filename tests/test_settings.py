"""Settings: declared as data, each overridable by its variable, each documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.settings import SettingsError, load_settings, settings_help

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme():
    text = README.read_text()
    for variable, _default, _help in settings_help():
        assert f"`{variable}`" in text, variable


def test_environment_overrides():
    settings = load_settings(
        {"LEDGER_DB": "/tmp/x.duckdb", "LEDGER_UPLOAD_LIMIT_MB": "5", "LEDGER_EARLIEST_YEAR": "1950"}
    )
    assert settings.db_path == Path("/tmp/x.duckdb")
    assert settings.upload_limit_mb == 5
    assert settings.earliest_year == 1950
    assert load_settings({}).upload_limit_mb == 50


def test_bad_value_names_the_variable():
    with pytest.raises(SettingsError, match="LEDGER_UPLOAD_LIMIT_MB='lots'"):
        load_settings({"LEDGER_UPLOAD_LIMIT_MB": "lots"})
