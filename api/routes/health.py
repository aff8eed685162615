"""Health endpoint: is the case store reachable, is Temporal reachable."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import EngineDep


class ComponentHealth(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: ComponentHealth
    temporal: ComponentHealth


router = APIRouter(tags=["health"])


def _database(engine: EngineDep) -> ComponentHealth:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return ComponentHealth(ok=False, detail=f"unreachable: {type(exc).__name__}")
    return ComponentHealth(ok=True, detail=engine.url.get_backend_name())


async def _temporal(request: Request) -> ComponentHealth:
    client = request.app.state.temporal
    try:
        if client is None:
            client = await asyncio.wait_for(request.app.state.temporal_connector(), timeout=3)
            request.app.state.temporal = client
        await asyncio.wait_for(client.service_client.check_health(), timeout=3)
    except Exception as exc:
        return ComponentHealth(ok=False, detail=f"unreachable: {type(exc).__name__}")
    return ComponentHealth(ok=True, detail=f"{client.service_client.config.target_host}")


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "A component is unreachable"}},
)
async def health(request: Request, response: Response, engine: EngineDep) -> Health:
    """Reports the database and Temporal connections; 503 when either is down."""
    database = await asyncio.to_thread(_database, engine)
    temporal = await _temporal(request)
    ok = database.ok and temporal.ok
    if not ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="ok" if ok else "degraded", database=database, temporal=temporal)
