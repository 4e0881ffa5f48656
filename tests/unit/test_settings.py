"""Settings: defaults that run offline, and one clear line naming a bad variable."""

from __future__ import annotations

import datetime as dt

import pytest

from config.clock import Clock, clock_from_settings
from config.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in (
        "DATABASE_URL",
        "SUBBOT_TIMEZONE",
        "SUBBOT_TODAY",
        "SUBBOT_EMBEDDINGS",
        "CHROMA_PORT",
        "SUBBOT_DATA_DIR",
        "STRIPE_API_KEY",
        "STRIPE_API_BASE",
        "SUBBOT_PUBLIC_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_a_local_sqlite_file_and_utc():
    s = load_settings()
    assert s.public_url == "http://127.0.0.1:3000"  # `--http`'s own address: links work here
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("data/subbot.db")
    assert s.timezone == "UTC" and s.today is None and s.embeddings == "local"


@pytest.mark.parametrize(
    ("var", "value", "named"),
    [
        ("SUBBOT_TODAY", "2026-13-01", "SUBBOT_TODAY"),
        ("SUBBOT_TODAY", "next tuesday", "SUBBOT_TODAY"),
        ("SUBBOT_TIMEZONE", "Mars/Olympus", "SUBBOT_TIMEZONE"),
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("CHROMA_PORT", "99999", "CHROMA_PORT"),
        ("SUBBOT_EMBEDDINGS", "magic", "SUBBOT_EMBEDDINGS"),
        ("SUBBOT_SLACK_API_TIMEOUT", "0", "SUBBOT_SLACK_API_TIMEOUT"),
        ("SUBBOT_SLACK_API_TIMEOUT", "soon", "SUBBOT_SLACK_API_TIMEOUT"),
        ("STRIPE_API_KEY", "pk_test_publishable", "STRIPE_API_KEY"),
        ("STRIPE_API_BASE", "http://127.0.0.1:8420", "STRIPE_API_BASE"),  # without a key
        ("SUBBOT_PUBLIC_URL", "subbot.example.com", "SUBBOT_PUBLIC_URL"),  # no scheme
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch, var, value, named):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith(f"{named}:") and "\n" not in message


def test_stripe_is_chosen_by_its_key_and_a_bad_key_is_never_echoed(monkeypatch):
    assert not load_settings().stripe_enabled  # the simulated gateway by default
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_abc123")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:8420/")
    s = load_settings()
    assert s.stripe_enabled and s.stripe_api_base == "http://127.0.0.1:8420"
    monkeypatch.setenv("STRIPE_API_BASE", "localhost:8420")
    with pytest.raises(SettingsError, match=r"^STRIPE_API_BASE: 'localhost:8420' is not an http"):
        load_settings()
    monkeypatch.setenv("STRIPE_API_KEY", "sk_secret with spaces")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith("STRIPE_API_KEY:") and "secret with" not in str(err.value)


def test_postgres_urls_use_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h:5432/db")
    assert load_settings().db_url == "postgresql+psycopg://u@h:5432/db"


def test_the_clock_follows_subbot_today_and_the_zone(monkeypatch):
    monkeypatch.setenv("SUBBOT_TODAY", "2026-02-28")
    monkeypatch.setenv("SUBBOT_TIMEZONE", "Asia/Tokyo")
    clock = clock_from_settings(load_settings())
    assert clock.today() == dt.date(2026, 2, 28)
    assert clock.now().date() == dt.date(2026, 2, 28)
    assert str(clock.now().tzinfo) == "Asia/Tokyo"


def test_an_unfixed_clock_is_the_real_day_in_its_zone():
    clock = Clock()
    assert abs((clock.today() - dt.datetime.now(dt.UTC).date()).days) <= 1
