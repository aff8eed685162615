"""What a server needs before it may start, checked where it starts (API and worker).

Settings load anywhere (a `priorauth deadline` needs no database, keys or payer), so the checks
that make production real live here instead of in the settings model: a PostgreSQL store, codec
keys, real API keys and a payer channel that reaches a payer. `require_production_ready` raises
with every problem in one paragraph; `exit_unless_ready` prints that paragraph and ends the
process with exit code 2, no traceback (the command-line entry points and the uvicorn factory).
"""

from __future__ import annotations

import sys
from enum import StrEnum

from config.payer_channel import NON_PRODUCTION_ENVIRONMENTS, PRODUCTION_CHANNELS, PayerChannel
from config.settings import Settings

MIN_API_KEY_LENGTH = 24


class ServerRole(StrEnum):
    API = "api"
    WORKER = "worker"


class NotProductionReadyError(RuntimeError):
    """The settings cannot run a server; the message names each variable to set."""

    def __init__(self, role: ServerRole, environment: str, problems: list[str]) -> None:
        self.role = role
        self.problems = problems
        super().__init__(_paragraph(role, environment, problems))


def _real_channels() -> str:
    return ", ".join(f"`{channel.value}`" for channel in sorted(PRODUCTION_CHANNELS))


def _dev_only_channels() -> str:
    dev_only = sorted(set(PayerChannel) - PRODUCTION_CHANNELS)
    return " and ".join(f"`{channel.value}`" for channel in dev_only)


def channel_problems(settings: Settings) -> list[str]:
    """Payer-channel problems in any environment (production adds its own)."""
    channel = settings.effective_payer_channel
    if channel is None:
        return [
            f"PRIORAUTH_PAYER_CHANNEL is not set: choose a channel that reaches a payer "
            f"({_real_channels()}); for `pas` also set PRIORAUTH_PAS_BASE_URL to the payer's "
            f"Da Vinci PAS endpoint"
        ]
    if (
        channel not in PRODUCTION_CHANNELS
        and settings.environment not in NON_PRODUCTION_ENVIRONMENTS
    ):
        return [
            f"PRIORAUTH_PAYER_CHANNEL={channel.value} reaches no payer: {_dev_only_channels()} "
            f"exist only with PRIORAUTH_ENVIRONMENT=dev or test; choose {_real_channels()}"
        ]
    if channel is PayerChannel.PAS and not settings.pas_base_url:
        return [
            "PRIORAUTH_PAYER_CHANNEL=pas needs PRIORAUTH_PAS_BASE_URL (the payer's Da Vinci PAS "
            "endpoint)"
        ]
    routed = channel is PayerChannel.PAS and settings.route_by_directory
    if channel is PayerChannel.CLEARINGHOUSE or (routed and settings.clearinghouse_url):
        return clearinghouse_problems(settings)
    return []


def clearinghouse_problems(settings: Settings) -> list[str]:
    """What the clearinghouse channel needs: its CORE endpoint and the envelope credentials."""
    problems = []
    if not settings.clearinghouse_url:
        problems.append(
            "the clearinghouse channel needs PRIORAUTH_CLEARINGHOUSE_URL (the clearinghouse's "
            "CAQH CORE real-time endpoint)"
        )
    if not settings.clearinghouse_username or settings.clearinghouse_password is None:
        problems.append(
            "the clearinghouse channel needs PRIORAUTH_CLEARINGHOUSE_USERNAME and "
            "PRIORAUTH_CLEARINGHOUSE_PASSWORD (the CORE envelope's UsernameToken)"
        )
    return problems


def production_problems(settings: Settings, role: ServerRole) -> list[str]:
    """Everything that keeps these settings from running `role` as a production server. Both
    check the payer channel (API and worker are deployed with one configuration)."""
    problems = channel_problems(settings)
    if settings.environment in NON_PRODUCTION_ENVIRONMENTS:
        return problems
    url = settings.database_url
    if url is None or url.startswith("sqlite"):
        problems.append(
            "PRIORAUTH_DATABASE_URL must name the PostgreSQL case store "
            "(postgresql+psycopg://user:password@host:5432/priorauth), not SQLite"
        )
    if not settings.codec_keys:
        problems.append(
            "PRIORAUTH_CODEC_KEYS is empty: set a JSON list of `key-id:base64-32-bytes` keys "
            "that encrypt workflow payloads"
        )
    if role is ServerRole.API:
        problems.extend(_api_key_problems(settings))
    return problems


def _api_key_problems(settings: Settings) -> list[str]:
    problems: list[str] = []
    if not settings.api_keys:
        problems.append(
            "PRIORAUTH_API_KEYS is empty: set a JSON list of "
            '{"name", "key", "role"} (the dev keys exist only with PRIORAUTH_ENVIRONMENT=dev)'
        )
    for api_key in settings.api_keys:
        secret = api_key.key.get_secret_value()
        if secret.startswith("dev-") or len(secret) < MIN_API_KEY_LENGTH:
            problems.append(
                f"PRIORAUTH_API_KEYS: key {api_key.name!r} looks like a placeholder "
                f"(use {MIN_API_KEY_LENGTH} or more random characters)"
            )
    return problems


def _paragraph(role: ServerRole, environment: str, problems: list[str]) -> str:
    if environment in NON_PRODUCTION_ENVIRONMENTS:
        return f"priorauth {role.value} cannot start: " + "; ".join(problems) + "."
    return (
        f"priorauth {role.value} cannot start with PRIORAUTH_ENVIRONMENT={environment}: "
        + "; ".join(problems)
        + ". Set these variables (docker-compose reads them from the environment or .env; see "
        "the README's Production section). For a local stack on development defaults run "
        "`make run` (`priorauth dev`), which sets PRIORAUTH_ENVIRONMENT=dev."
    )


def require_production_ready(settings: Settings, role: ServerRole) -> None:
    """Raise `NotProductionReadyError` unless these settings can run `role` for real."""
    problems = production_problems(settings, role)
    if problems:
        raise NotProductionReadyError(role, settings.environment, problems)


def exit_unless_ready(settings: Settings, role: ServerRole) -> None:
    """`require_production_ready` for entry points: the paragraph on stderr, then exit 2."""
    try:
        require_production_ready(settings, role)
    except NotProductionReadyError as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(2) from None
