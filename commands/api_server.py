"""`priorauth api`: serve the HTTP API with uvicorn (the app factory `api.app:create_app`)."""

from __future__ import annotations


def api(host: str | None = None, port: int | None = None) -> None:
    """Run the API until interrupted; host and port default to the settings (127.0.0.1:8000)."""
    # Imported here, not at the top: the rest of the command line starts without them.
    import asyncio
    import contextlib

    import uvicorn

    from config.logging import configure_logging
    from config.readiness import ServerRole, exit_unless_ready
    from config.settings import get_settings
    from store.migrate import exit_unless_schema_ready

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    exit_unless_ready(settings, ServerRole.API)
    exit_unless_schema_ready(
        settings.resolved_database_url, migrate=settings.effective_migrate_on_start
    )
    # uvicorn shuts down gracefully on SIGINT, then re-raises it (and the lifespan task's
    # cancellation on top): the shutdown is done, nothing left to report.
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host or settings.api_host,
            port=port or settings.api_port,
            log_config=None,  # structlog (config.logging) renders uvicorn's records too
            proxy_headers=True,
        )
    from config.temporal import exit_process

    exit_process(0)
