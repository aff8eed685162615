"""Shared request dependencies: settings, database sessions and the Temporal client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client

from config.settings import Settings
from store.database import read_session, transaction


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_read_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with read_session(engine) as session:
        yield session


def get_write_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with transaction(engine) as session:
        yield session


async def get_temporal(request: Request) -> Client:
    """The client created at start-up; reconnects once if Temporal was down then."""
    client: Client | None = request.app.state.temporal
    if client is None:
        connector = request.app.state.temporal_connector
        try:
            client = await connector()
        except Exception as exc:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail="Temporal is unreachable; the case engine cannot take this action now",
            ) from exc
        request.app.state.temporal = client
    return client


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ReadSession = Annotated[Session, Depends(get_read_session)]
WriteSession = Annotated[Session, Depends(get_write_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
