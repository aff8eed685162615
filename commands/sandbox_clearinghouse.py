"""`priorauth sandbox-clearinghouse`: run the scripted CAQH CORE clearinghouse locally
(docs/clearinghouse.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def sandbox_clearinghouse(
    port: Annotated[int, typer.Option(help="Port to listen on (loopback).")] = 8110,
    script: Annotated[
        Path | None,
        typer.Option(help="A JSON or YAML ClearinghouseScript (default: the built-in script)."),
    ] = None,
    inbound_dir: Annotated[
        Path | None,
        typer.Option(help="priorauth's inbound mailbox folder: 999s and final 278s go there."),
    ] = None,
    username: Annotated[str | None, typer.Option(help="The UsernameToken user it accepts.")] = None,
    password: Annotated[
        str | None, typer.Option(help="The UsernameToken password it accepts.")
    ] = None,
    host: str = "127.0.0.1",
) -> None:
    """Serve the sandbox clearinghouse: POST {base}/core/realtime (CORE SOAP, X12 278)."""
    from config.logging import configure_logging
    from config.settings import get_settings
    from integrations.sandbox_clearinghouse import run_sandbox_clearinghouse

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    if script is not None and not script.is_file():
        typer.echo(f"--script: {script} is not a file", err=True)
        raise typer.Exit(2)
    run_sandbox_clearinghouse(
        host=host,
        port=port,
        script_path=script,
        inbound=inbound_dir,
        username=username,
        password=password,
    )
