"""`priorauth demo`: scripted cases through the running dev stack (`commands.demo_cases`)."""

from __future__ import annotations

import typer


def demo() -> None:
    """Entry point the `priorauth demo` command calls."""
    # The Temporal client, the workflows and the store load here, not for the other commands.
    import asyncio

    from commands.demo_cases import DemoUnavailableError, run_demo
    from config.temporal import exit_process

    try:
        asyncio.run(run_demo())
    except DemoUnavailableError as exc:
        typer.echo(f"priorauth demo: {exc}", err=True)
        exit_process(1)
    exit_process(0)
