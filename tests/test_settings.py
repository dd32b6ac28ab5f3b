"""Settings: one readable line for each bad value."""

import pytest

from tandem.settings import SettingsError, load_settings


def test_defaults_to_embedded_sqlite():
    assert load_settings().database_url.startswith("sqlite:///")


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("TANDEM_PORT", "9001")
    assert load_settings().port == 9001


def test_production_refuses_the_development_secret():
    with pytest.raises(SettingsError, match="TANDEM_SECRET_KEY must be set"):
        load_settings(environment="production")


def test_bad_url_message_names_the_setting():
    with pytest.raises(SettingsError, match="TANDEM_DATABASE_URL 'x' is not a database URL"):
        load_settings(database_url="x")
