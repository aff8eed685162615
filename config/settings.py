"""One validated `Settings` object; every value comes from `PRIORAUTH_*` environment variables.

Nested values use a double underscore: `PRIORAUTH_ORGANIZATION__NAME="Mercy General"`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.polling import PollSchedule

DEFAULT_DATA_DIR = Path("var")


class Organization(BaseModel):
    """The provider organization that sends letters (letterhead and signature defaults)."""

    name: str = "priorauth Demo Hospital"
    department: str = "Case Management and Utilization Review"
    address_lines: list[str] = Field(
        default_factory=lambda: ["100 Main Street", "Springfield, IL 62701"]
    )
    phone: str = "(555) 010-0100"
    fax: str = "(555) 010-0101"
    email: str | None = "case.management@example.org"
    timezone: str = "America/Chicago"


class Role(StrEnum):
    CASE_MANAGER = "case_manager"
    UR_STAFF = "ur_staff"
    INTEGRATION = "integration"
    ADMIN = "admin"


class ApiKey(BaseModel):
    """One API key: who it is (recorded in the audit trail as the actor) and what it may do."""

    name: str = Field(min_length=1, max_length=80)
    key: SecretStr
    role: Role


DEV_API_KEYS = [
    ApiKey(name="dev-case-manager", key=SecretStr("dev-case-manager-key"), role=Role.CASE_MANAGER),
    ApiKey(name="dev-ur-staff", key=SecretStr("dev-ur-staff-key"), role=Role.UR_STAFF),
    ApiKey(name="dev-integration", key=SecretStr("dev-integration-key"), role=Role.INTEGRATION),
    ApiKey(name="dev-admin", key=SecretStr("dev-admin-key"), role=Role.ADMIN),
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PRIORAUTH_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    environment: Literal["dev", "test", "production"] = "dev"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: a SQLite file under data_dir",
    )
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "priorauth"
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    organization: Organization = Field(default_factory=Organization)
    template_override_dir: Path | None = None
    # Keys for the Temporal payload codec: "key-id:base64-32-bytes", newest first.
    codec_keys: list[str] = Field(default_factory=list)
    # API keys as JSON: [{"name": "alice", "key": "...", "role": "case_manager"}]; in dev the
    # documented DEV_API_KEYS are used when none are configured.
    api_keys: list[ApiKey] = Field(default_factory=list)
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Per-payer secrets for the signed webhook (payer id -> secret).
    webhook_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    webhook_tolerance_seconds: int = 300
    # The payer's Da Vinci PAS base URL (the sandbox payer in dev).
    pas_base_url: str | None = None
    # Identifies priorauth to the payer (PAS subscription `org-identifier` filter).
    pas_submitter_id: str = "priorauth"
    sandbox_payer_port: int = 8100
    # Regime assumed for PAS intake bundles (a PAS bundle does not say which rules govern).
    pas_default_regime: str = "medicare_advantage"
    # When a case asks the payer (`$inquire`) while its decision is awaited, for a lost
    # notification: PRIORAUTH_POLLING__FIRST / __EARLY_EVERY / __EARLY_PERIOD / __LATE_EVERY /
    # __MAX_GAP as ISO 8601 durations such as PT5M (default: 5 min, then every 30 min for 6 h,
    # then hourly). New cases take the schedule at their start.
    polling: PollSchedule = Field(default_factory=PollSchedule)

    @model_validator(mode="after")
    def _production_needs_real_config(self) -> Settings:
        if self.environment == "production":
            if self.database_url is None or self.database_url.startswith("sqlite"):
                raise ValueError("production needs PRIORAUTH_DATABASE_URL for PostgreSQL")
            if not self.codec_keys:
                raise ValueError("production needs PRIORAUTH_CODEC_KEYS to encrypt payloads")
            if not self.api_keys:
                raise ValueError("production needs PRIORAUTH_API_KEYS")
            for api_key in self.api_keys:
                secret = api_key.key.get_secret_value()
                if secret.startswith("dev-") or len(secret) < 24:
                    raise ValueError(
                        f"API key {api_key.name!r} looks like a placeholder: "
                        "use 24 or more random characters"
                    )
        return self

    @property
    def effective_api_keys(self) -> list[ApiKey]:
        if self.api_keys or self.environment == "production":
            return self.api_keys
        return DEV_API_KEYS

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'priorauth.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
