"""The FastAPI application: lifespan (store engine, Temporal client), middleware, routers.

`create_app()` is the uvicorn factory (`uvicorn api.app:create_app --factory`). Tests pass their
own settings, engine or Temporal client.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.docs_assets import install_docs
from api.error_handlers import install_error_handlers
from api.limits import install_input_limits
from api.routes import (
    actions,
    cases,
    clearinghouse,
    health,
    letters,
    payer_directory,
    payers,
    queues,
    tools,
)
from api.web.install import install_web
from config.logging import ensure_logging, get_logger
from config.readiness import ServerRole, exit_unless_ready, require_production_ready
from config.settings import Settings, get_settings
from config.temporal import connect
from store.database import make_engine
from store.migrate import prepare_schema

log = get_logger("priorauth.api")


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    temporal_client: Client | None = None,
) -> FastAPI:
    if settings is None:  # the uvicorn factory: refuse with a message and exit 2, no traceback
        settings = get_settings()
        exit_unless_ready(settings, ServerRole.API)
    require_production_ready(settings, ServerRole.API)
    ensure_logging(settings.log_level, settings.log_format)  # plain uvicorn configures nothing

    async def connector() -> Client:
        return await connect(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        app.state.settings = settings
        if own_engine:
            await asyncio.to_thread(_migrate, settings)
        app.state.engine = engine or make_engine(settings.resolved_database_url)
        app.state.temporal_connector = connector
        app.state.temporal = temporal_client
        if app.state.temporal is None:
            try:
                app.state.temporal = await connector()
            except Exception as exc:
                log.warning("temporal unreachable at start-up", error=type(exc).__name__)
        yield
        if own_engine:
            app.state.engine.dispose()

    app = FastAPI(
        title="priorauth",
        version="0.1.0",
        summary="Prior-authorization and appeals workflow engine",
        description=(
            "Cases, payer decisions, appeals, letters and escalation queues. Authenticate with "
            "an API key in the `X-API-Key` header; each key has a role (case_manager, "
            "ur_staff, integration, admin)."
        ),
        lifespan=lifespan,
        docs_url=None,  # served without a CDN by api.docs_assets
        redoc_url=None,
    )
    install_docs(app)
    install_error_handlers(app)
    app.middleware("http")(_request_context)
    install_input_limits(app, settings)
    app.include_router(health.router)
    for module in (cases, actions, letters, queues, payers, payer_directory, tools):
        app.include_router(module.router)
    app.include_router(clearinghouse.router)
    install_web(app, settings)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _migrate(settings: Settings) -> None:
    """Bring the store to the latest revision (safe when the worker does it at the same time),
    or, when not migrating on start (production), check that it is there."""
    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    prepare_schema(
        url,
        migrate=settings.effective_migrate_on_start,
        migration_url=settings.migration_database_url,
        runtime_role=settings.database_runtime_role,
    )


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document plus the models of bodies read raw (signed webhooks)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in payers.OPENAPI_MODELS:
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(found.pop("$defs", {}))
        components[model.__name__] = found
    app.openapi_schema = schema
    return schema


async def _request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """One canonical log line per request, with a request id bound for everything it logs."""
    structlog.contextvars.clear_contextvars()
    request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Request-ID"] = request_id
    log.info(
        "request",
        method=request.method,
        path=request.url.path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return response
