"""One validated `Settings` object; every value comes from `PRIORAUTH_*` environment variables.

Nested values use a double underscore: `PRIORAUTH_ORGANIZATION__NAME="Mercy General"`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    @model_validator(mode="after")
    def _production_needs_real_config(self) -> Settings:
        if self.environment == "production":
            if self.database_url is None or self.database_url.startswith("sqlite"):
                raise ValueError("production needs PRIORAUTH_DATABASE_URL for PostgreSQL")
            if not self.codec_keys:
                raise ValueError("production needs PRIORAUTH_CODEC_KEYS to encrypt payloads")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'priorauth.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
