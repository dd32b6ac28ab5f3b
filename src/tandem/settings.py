"""Settings read from the environment (prefix ``TANDEM_``) or a ``.env`` file.

Nothing reads settings at import time: the CLI and `create_app` build a `Settings` and pass it
down, so tests can run several differently configured instances side by side.
"""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEV_SECRET = "dev-only-secret-change-me"


class SettingsError(ValueError):
    """A setting is unusable; the message is one line meant for the operator."""


class Settings(BaseSettings):
    """Runtime configuration of one Tandem instance."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/tandem.db"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    session_hours: int = 12
    session_idle_minutes: int = 120
    cookie_secure: bool = False
    # Permissions (docs/security.md): what a sales rep sees besides their own records.
    reps_see_unassigned: bool = True
    reps_see_all_pipeline: bool = False
    upload_max_bytes: int = 200 * 1024 * 1024  # the import upload page
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    data_dir: Path = Path("var")
    page_size: int = 50
    ingest_max_body_bytes: int = 20 * 1024 * 1024  # event API request bodies
    # An activities file of at least this many rows (and more than the table holds) is a bulk
    # load: indexes dropped and built once at its end (tandem.ingest.deferred).
    ingest_bulk_min_rows: int = 500_000
    # The handoff (docs/handoff.md): config files, the SLA scheduler, email notifications.
    routing_path: Path | None = None
    sla_path: Path | None = None
    sla_scheduler: bool = True
    sla_tick_seconds: int = 60
    digest_hours: int = 24
    public_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "tandem@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    # Dashboards and the weekly review (docs/analytics.md).
    analytics_refresh_seconds: float = 5.0
    analytics_background_refresh: bool = True
    report_weekday: int = 1
    report_hour: int = 7
    # Where the scan-everything analytics run (docs/scaling.md): in-process DuckDB, or Apache
    # Spark at `spark_master` (``local[2]``, ``spark://host:7077``...).
    analytics_engine: str = "duckdb"
    spark_master: str = "local[2]"
    # How pages show money and time (a user's own time zone overrides the workspace's).
    currency: str = "USD"
    # Outgoing webhooks (tandem.webhooks): sent by a worker inside `tandem serve`.
    webhook_worker: bool = True
    webhook_poll_seconds: float = 5.0
    time_zone: str = "UTC"

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                f"TANDEM_DATABASE_URL {value!r} is not a database URL "
                "(expected sqlite:///path.db or postgresql+psycopg://user@host/db)"
            ) from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(
                f"TANDEM_DATABASE_URL uses {url.get_backend_name()!r}; "
                "Tandem supports sqlite and postgresql"
            )
        return value

    @field_validator("analytics_engine")
    @classmethod
    def _engine_is_known(cls, value: str) -> str:
        from tandem.engines.choice import check_name

        return check_name(value)

    @model_validator(mode="after")
    def _engine_can_start(self) -> "Settings":
        from tandem.engines.choice import check_reachable

        check_reachable(self.analytics_engine, self.spark_master)
        return self

    @field_validator("currency")
    @classmethod
    def _currency_is_a_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"TANDEM_CURRENCY {value!r} is not a three-letter code such as USD")
        return value.upper()

    @field_validator("time_zone")
    @classmethod
    def _time_zone_is_known(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"TANDEM_TIME_ZONE {value!r} is not a time zone such as Europe/Paris"
            ) from None
        return value

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> "Settings":
        if self.environment == "production" and self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError("TANDEM_SECRET_KEY must be set to a real secret in production")
        return self


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation failures into one readable `SettingsError` line."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages = "; ".join(str(err["msg"]).removeprefix("Value error, ") for err in exc.errors())
        raise SettingsError(messages) from None
