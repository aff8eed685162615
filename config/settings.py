"""One validated `Settings` object; every value comes from `PRIORAUTH_*` environment variables.

Nested values use a double underscore: `PRIORAUTH_ORGANIZATION__NAME="Mercy General"`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.payer_channel import NON_PRODUCTION_ENVIRONMENTS, PayerChannel
from domain import limits
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


DEFAULT_TEAM = "default"
TEAM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
TeamName = Annotated[str, Field(min_length=1, max_length=limits.TEAM, pattern=TEAM_PATTERN)]


class ApiKey(BaseModel):
    """One API key: who it is (recorded in the audit trail as the actor) and what it may do."""

    name: str = Field(min_length=1, max_length=80)
    key: SecretStr
    role: Role
    # The teams whose cases a case_manager key sees; the first is where its new cases go.
    teams: list[TeamName] = Field(default_factory=lambda: [DEFAULT_TEAM], min_length=1)
    payer_id: str | None = Field(default=None, max_length=120)


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

    # Production unless chosen: `priorauth dev` sets dev, the test suite sets test. What a
    # server needs in production is checked where it starts (config.readiness), so commands
    # that need no server configuration run with none.
    environment: Literal["dev", "test", "production"] = "production"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: a SQLite file under data_dir",
    )
    # Production runs migrations apart from the application: `python -m store.migrate` as the
    # schema owner (this URL; default: database_url) grants the runtime role (which
    # database_url logs in as) what store.roles allows, and the API and the worker only check
    # that the schema is at head. migrate_on_start: None means on in dev/test, off in production.
    migration_database_url: str | None = None
    database_runtime_role: str | None = None
    migrate_on_start: bool | None = None
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    # A managed or TLS-terminated Temporal cluster: TLS (with a private CA and a server name
    # override if needed), mTLS with a client certificate and key (PEM file paths), or an API
    # key (which turns TLS on by itself). Checked at start by `_temporal_tls_is_complete`.
    temporal_tls: bool = False
    temporal_tls_server_ca_cert: Path | None = None
    temporal_tls_client_cert: Path | None = None
    temporal_tls_client_key: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr | None = None
    task_queue: str = "priorauth"
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    organization: Organization = Field(default_factory=Organization)
    template_override_dir: Path | None = None
    # Keys for the Temporal payload codec: "key-id:base64-32-bytes", newest first.
    codec_keys: list[str] = Field(default_factory=list)
    # HMAC keys for `priorauth audit anchor` / `audit verify --anchor`, JSON list of
    # "key-id:base64-32-or-more-bytes", newest first (it signs; every listed key verifies).
    # Give them to the anchoring job and the verifier only, never to the API or the worker.
    audit_anchor_keys: list[SecretStr] = Field(default_factory=list)
    # API keys as JSON: [{"name": "alice", "key": "...", "role": "case_manager"}]; in dev (only
    # when chosen explicitly) the documented DEV_API_KEYS are used when none are configured.
    api_keys: list[ApiKey] = Field(default_factory=list)
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # The web workspace (api.web): a session ends after this many idle minutes (PHI is on
    # screen) and after web_session_hours whatever happens; the cookie is Secure except in
    # dev and test unless set here.
    web_idle_timeout_minutes: int = Field(default=15, ge=1, le=720)
    web_session_hours: int = Field(default=12, ge=1, le=168)
    web_cookie_secure: bool | None = None
    # Wrong passwords in a row before sign-in is refused for web_lockout_minutes.
    web_sign_in_attempts: int = Field(default=5, ge=1, le=100)
    web_lockout_minutes: int = Field(default=15, ge=1, le=1440)
    # Per-payer secrets for the signed webhook (payer id -> secret).
    webhook_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    # Standard Webhooks' own window is 5 minutes; this can only narrow it.
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=300)
    # Where submissions go (config.payer_channel); production accepts only a real payer.
    payer_channel: PayerChannel | None = None
    # The payer's Da Vinci PAS base URL (channel `pas`).
    pas_base_url: str | None = None
    # Identifies priorauth to the payer (PAS subscription `org-identifier` filter).
    pas_submitter_id: str = "priorauth"
    sandbox_payer_port: int = 8100
    # The clearinghouse channel (docs/clearinghouse.md): the CAQH CORE real-time endpoint, our
    # ids in the envelope and the ISA (sender) and the clearinghouse's (receiver), the CORE
    # UsernameToken credentials, TRN03 (1 + EIN or 9 + an assigned id), ISA15 usage (P or T).
    clearinghouse_url: str | None = None
    clearinghouse_submitter_id: str = "PRIORAUTH"
    clearinghouse_receiver_id: str = "CLEARINGHOUSE"
    clearinghouse_username: str | None = None
    clearinghouse_password: SecretStr | None = None
    clearinghouse_originator: str = "9PRIORAUTH"
    clearinghouse_usage: Literal["P", "T"] = "P"
    clearinghouse_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    # The batch mailbox (an SFTP drop): 278 files out, 278 / 999 / TA1 files in, polled every
    # interval by the worker (0 turns polling off). Default: under data_dir/clearinghouse/.
    clearinghouse_outbound_dir: Path | None = None
    clearinghouse_inbound_dir: Path | None = None
    clearinghouse_poll_seconds: float = Field(default=2.0, ge=0)
    # Route a payer's cases by its directory line (`channel.kind`): `clearinghouse` lines go to
    # the clearinghouse channel, the others to PRIORAUTH_PAYER_CHANNEL (worker.gateway_for).
    route_by_directory: bool = True
    sandbox_clearinghouse_port: int = 8110
    # Regime assumed for PAS intake bundles (a PAS bundle does not say which rules govern).
    pas_default_regime: str = "medicare_advantage"
    # The worker's reconciler (runtime.reconcile): every stored case without a running
    # workflow is started, at worker start and then every interval (0 turns it off). Cases
    # younger than the grace period are left to the API call still opening them.
    reconcile_interval_seconds: float = Field(default=60.0, ge=0)
    reconcile_grace_seconds: float = Field(default=30.0, ge=0)
    reconcile_batch_size: int = Field(default=200, ge=1, le=5_000)
    # Request limits (api/limits.py): bytes of a request body on FHIR routes (PAS bundles,
    # `/fhir/...`) and on every other route, and how deeply a JSON body may nest.
    max_fhir_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=100 * 1024 * 1024)
    max_json_depth: int = Field(default=32, ge=4, le=512)
    # When a case asks the payer (`$inquire`) while its decision is awaited, for a lost
    # notification: PRIORAUTH_POLLING__FIRST / __EARLY_EVERY / __EARLY_PERIOD / __LATE_EVERY /
    # __MAX_GAP as ISO 8601 durations such as PT5M (default: 5 min, then every 30 min for 6 h,
    # then hourly). New cases take the schedule at their start.
    polling: PollSchedule = Field(default_factory=PollSchedule)

    @model_validator(mode="after")
    def _temporal_tls_is_complete(self) -> Settings:
        files = {
            "PRIORAUTH_TEMPORAL_TLS_SERVER_CA_CERT": self.temporal_tls_server_ca_cert,
            "PRIORAUTH_TEMPORAL_TLS_CLIENT_CERT": self.temporal_tls_client_cert,
            "PRIORAUTH_TEMPORAL_TLS_CLIENT_KEY": self.temporal_tls_client_key,
        }
        given = [name for name, path in files.items() if path is not None]
        if self.temporal_tls_server_name:
            given.append("PRIORAUTH_TEMPORAL_TLS_SERVER_NAME")
        if given and not self.temporal_tls:
            raise ValueError(f"{given[0]} is set but PRIORAUTH_TEMPORAL_TLS is not true")
        pair = ("PRIORAUTH_TEMPORAL_TLS_CLIENT_CERT", "PRIORAUTH_TEMPORAL_TLS_CLIENT_KEY")
        if (files[pair[0]] is None) != (files[pair[1]] is None):
            present, missing = pair if files[pair[1]] is None else pair[::-1]
            raise ValueError(f"{present} is set without {missing} (mTLS needs both)")
        for name, path in files.items():
            if path is None:
                continue
            try:
                pem = path.read_bytes()
            except OSError as exc:
                raise ValueError(f"{name}: cannot read {path} ({exc.strerror})") from None
            if b"-----BEGIN " not in pem:
                raise ValueError(f"{name}: {path} is not a PEM file")
        return self

    @property
    def effective_api_keys(self) -> list[ApiKey]:
        if self.api_keys or self.environment != "dev":
            return self.api_keys
        return DEV_API_KEYS

    @property
    def effective_web_cookie_secure(self) -> bool:
        if self.web_cookie_secure is not None:
            return self.web_cookie_secure
        return self.environment not in NON_PRODUCTION_ENVIRONMENTS

    @property
    def effective_migrate_on_start(self) -> bool:
        if self.migrate_on_start is not None:
            return self.migrate_on_start
        return self.environment != "production"

    @property
    def resolved_migration_database_url(self) -> str:
        return self.migration_database_url or self.resolved_database_url

    @property
    def effective_payer_channel(self) -> PayerChannel | None:
        """The configured channel; in dev and test without one, PAS when a base URL is set and
        else the simulated payer. None: production without a channel (refused at start)."""
        if self.payer_channel is not None or self.environment not in NON_PRODUCTION_ENVIRONMENTS:
            return self.payer_channel
        return PayerChannel.PAS if self.pas_base_url else PayerChannel.SIMULATED

    @property
    def sandbox_payer_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_payer_port}"

    @property
    def sandbox_clearinghouse_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_clearinghouse_port}/core/realtime"

    @property
    def clearinghouse_mailbox(self) -> tuple[Path, Path]:
        """(outbound, inbound) batch folders, resolved."""
        base = self.data_dir / "clearinghouse"
        outbound = self.clearinghouse_outbound_dir or base / "outbound"
        inbound = self.clearinghouse_inbound_dir or base / "inbound"
        return outbound.resolve(), inbound.resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'priorauth.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
