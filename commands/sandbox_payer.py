"""`priorauth sandbox-payer`: run the scripted PAS payer locally (see docs/pas.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def sandbox_payer(
    port: int = 8100,
    script: Path | None = None,
    notify_url: str | None = None,
    host: str = "127.0.0.1",
    webhook_secret: Annotated[
        str | None,
        typer.Option(
            envvar="PRIORAUTH_SANDBOX_WEBHOOK_SECRET",
            help="Sign notifications with this secret (Standard Webhooks webhook-* headers).",
        ),
    ] = None,
) -> None:
    """Serve the sandbox PAS payer: POST {base}/Claim/$submit and /Claim/$inquire.

    SCRIPT is a JSON or YAML SandboxScript (default: the built-in script); pended decisions
    are POSTed as PAS subscription notifications to NOTIFY_URL.
    """
    from config.logging import configure_logging
    from config.settings import get_settings
    from integrations.sandbox_payer import run_sandbox_payer

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)

    run_sandbox_payer(
        host=host,
        port=port,
        script_path=script,
        notify_url=notify_url,
        webhook_secret=webhook_secret,
    )
