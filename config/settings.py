"""Settings from environment variables (and `.env`), validated once at start-up.

Every setting of the product is here so that README can list them from one place and a bad
value stops start-up with one line naming the variable.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(Exception):
    """A configuration value is wrong; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- store and clock -------------------------------------------------------------
    data_dir: Path = Field(default=ROOT / "data", validation_alias="SUBBOT_DATA_DIR")
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    timezone: str = Field(default="UTC", validation_alias="SUBBOT_TIMEZONE")
    today: dt.date | None = Field(default=None, validation_alias="SUBBOT_TODAY")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="SUBBOT_LOG_LEVEL"
    )

    # --- knowledge -----------------------------------------------------------------
    embeddings: Literal["local", "openai"] = Field(
        default="local", validation_alias="SUBBOT_EMBEDDINGS"
    )
    chroma_host: str | None = Field(default=None, validation_alias="CHROMA_HOST")
    chroma_port: int = Field(default=8000, validation_alias="CHROMA_PORT", ge=1, le=65535)
    docs_dir: Path = Field(default=ROOT / "knowledge" / "docs", validation_alias="SUBBOT_DOCS_DIR")
    chroma_collection: str = Field(
        default="nimbus_knowledge",
        validation_alias="SUBBOT_CHROMA_COLLECTION",
        min_length=3,
        max_length=48,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$",
    )
    # Where the ONNX export of the local model and the document vector cache live; default
    # <venv>/share/subbot (written by `make setup`), else ~/.cache/subbot.
    model_cache: Path | None = Field(default=None, validation_alias="SUBBOT_MODEL_CACHE")
    openai_embedding_model: str = Field(
        default="text-embedding-3-small", validation_alias="SUBBOT_OPENAI_EMBEDDING_MODEL"
    )
    # Below this cosine similarity (0–1) between question and best passage the bot says it has
    # no good answer instead of showing a weak passage (tuned in bench/retrieval.py).
    retrieval_min_score: float = Field(
        default=0.25, validation_alias="SUBBOT_RETRIEVAL_MIN_SCORE", ge=0.0, le=1.0
    )

    # --- LLM -----------------------------------------------------------------------
    openai_api_key: str | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    model: str = Field(default="gpt-4o-mini", validation_alias="SUBBOT_MODEL", min_length=1)
    llm_timeout: float = Field(default=30.0, validation_alias="SUBBOT_LLM_TIMEOUT", gt=0, le=600)
    llm_max_retries: int = Field(default=2, validation_alias="SUBBOT_LLM_MAX_RETRIES", ge=0, le=10)
    agent_max_model_calls: int = Field(
        default=8, validation_alias="SUBBOT_AGENT_MAX_CALLS", ge=1, le=50
    )
    agent_turn_seconds: float = Field(
        default=90.0, validation_alias="SUBBOT_AGENT_TURN_SECONDS", gt=0, le=900
    )
    memory_tokens: int = Field(
        default=3000, validation_alias="SUBBOT_MEMORY_TOKENS", ge=200, le=200_000
    )

    # --- Slack ---------------------------------------------------------------------
    slack_bot_token: str | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: str | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_api_base_url: str | None = Field(default=None, validation_alias="SLACK_API_BASE_URL")
    slack_workers: int = Field(default=8, validation_alias="SUBBOT_SLACK_WORKERS", ge=1, le=64)
    # Seconds one Web API call may take before the client gives up on it (then retries it:
    # a timed-out post may have been accepted, so a retry can show a message twice).
    slack_api_timeout: float = Field(
        default=10.0, validation_alias="SUBBOT_SLACK_API_TIMEOUT", gt=0, le=120
    )
    # A replica that took a Slack request keeps a lease on it while it works; when the lease
    # runs out (the replica died) another one finishes the request.
    slack_lease_seconds: float = Field(
        default=30.0, validation_alias="SUBBOT_SLACK_LEASE_SECONDS", ge=1, le=3600
    )

    # --- web server (run_bot.py serve) and metrics ------------------------------------
    # Bearer token of POST /usage/storage (BRIEF §13: daily storage per account, CSV); the
    # endpoint answers 404 while it is unset.
    usage_token: str | None = Field(
        default=None, validation_alias="SUBBOT_USAGE_TOKEN", min_length=16, max_length=256
    )
    # Where people reach this web server: the links it sends (a card to add, BRIEF §13) start
    # here. The default is `run_bot.py --http`'s own address, for a demo on this machine.
    public_url: str = Field(default="http://127.0.0.1:3000", validation_alias="SUBBOT_PUBLIC_URL")
    web_workers: int = Field(default=2, validation_alias="SUBBOT_WEB_WORKERS", ge=1, le=64)
    web_threads: int = Field(default=8, validation_alias="SUBBOT_WEB_THREADS", ge=1, le=256)
    web_graceful_seconds: float = Field(
        default=30.0, validation_alias="SUBBOT_WEB_GRACEFUL_SECONDS", ge=0, le=600
    )
    metrics_port: int | None = Field(
        default=None, validation_alias="SUBBOT_METRICS_PORT", ge=1, le=65535
    )

    # --- payments ------------------------------------------------------------------
    # Stripe's secret key selects the Stripe gateway (billing/stripe_gateway.py); unset, the
    # simulated one. The base URL points the client at a Stripe-compatible server (localstripe).
    stripe_api_key: str | None = Field(default=None, validation_alias="STRIPE_API_KEY")
    stripe_api_base: str | None = Field(default=None, validation_alias="STRIPE_API_BASE")

    # --- scheduler and alerts -------------------------------------------------------
    scheduler_enabled: bool = Field(default=True, validation_alias="SUBBOT_SCHEDULER")
    billing_run_at: dt.time = Field(default=dt.time(6, 0), validation_alias="SUBBOT_BILLING_RUN_AT")
    alerts_at: dt.time = Field(default=dt.time(9, 0), validation_alias="SUBBOT_ALERTS_AT")
    business_hours: str = Field(
        default="09:00-18:00",
        validation_alias="SUBBOT_BUSINESS_HOURS",
        pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
    )
    channel_renewals: str = Field(default="#renewals", validation_alias="SUBBOT_CHANNEL_RENEWALS")
    channel_billing: str = Field(default="#billing", validation_alias="SUBBOT_CHANNEL_BILLING")
    channel_managers: str = Field(default="#managers", validation_alias="SUBBOT_CHANNEL_MANAGERS")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("model_cache", "stripe_api_key", "stripe_api_base", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("stripe_api_key")
    @classmethod
    def _stripe_key(cls, value: str | None) -> str | None:
        # The message never repeats the value: it is a secret.
        if value is not None and not re.fullmatch(r"(sk|rk)_(test|live)_[A-Za-z0-9_]+", value):
            raise ValueError("not a Stripe secret key (sk_test_…, sk_live_…, or rk_… restricted)")
        return value

    @field_validator("stripe_api_base")
    @classmethod
    def _stripe_base(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError(f"{value!r} is not an http(s) URL (e.g. http://127.0.0.1:8420)")
        if "stripe_api_key" in info.data and info.data["stripe_api_key"] is None:
            raise ValueError("needs STRIPE_API_KEY too (the base URL alone selects nothing)")
        return value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value.strip()):
            raise ValueError(f"{value!r} is not an http(s) URL (e.g. https://subbot.example.com)")
        return value.strip().rstrip("/")

    @field_validator("today", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a date in YYYY-MM-DD form") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if value and "://" not in value:
            raise ValueError(f"{value!r} is not a database URL (e.g. sqlite:///data/subbot.db)")
        return value

    @property
    def llm_enabled(self) -> bool:
        """The agent runs when a key or an OpenAI-compatible server is configured."""
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def stripe_enabled(self) -> bool:
        """Payments go through Stripe when a key is set, else through the simulated gateway."""
        return self.stripe_api_key is not None

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL: DATABASE_URL, or a SQLite file under the data directory."""
        if self.database_url:
            return normalise_db_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'subbot.db'}"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"


def normalise_db_url(url: str) -> str:
    """Point bare postgres URLs at psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_ALIASES = {
    name: (field.validation_alias or name).upper()  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else "?"
            var = _ALIASES.get(key, key.upper())
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{var}: {msg}")
        raise SettingsError("; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
