"""Fixtures of the web workspace tests: the real app on this test's store, people who sign in.

`web` runs the app in-process (httpx + ASGITransport) without a Temporal server: the pages that
only read the store need none (a case page says its live state is unavailable). The browser
journeys against a whole running stack are in tests/web/test_web_journeys.py.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from api.app import create_app
from api.web.passwords import hash_password
from config.settings import Settings
from store import users as store_users
from store.database import transaction
from store.types import utcnow

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_person(
    engine: Engine,
    username: str,
    role: str = "case_manager",
    teams: tuple[str, ...] = ("default",),
    password: str = PASSWORD,
) -> None:
    with transaction(engine) as session:
        store_users.add_user(
            session,
            username=username,
            display_name=username.title(),
            role=role,
            teams=list(teams),
            password_hash=hash_password(password),
            now=utcnow(),
        )


@dataclass
class Browser:
    """A person's browser without JavaScript: cookies kept, the CSRF token read off pages."""

    http: httpx.AsyncClient
    csrf: str = ""
    pages: list[str] = field(default_factory=list)

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.http.post(
            "/login", data={"username": username, "password": password, "next": "/"}
        )
        if response.status_code == 303:
            await self.get("/")
        return response

    async def get(self, path: str, **params: Any) -> httpx.Response:
        response = await self.http.get(path, params=params)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        return await self.http.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)


def web_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path,
        database_url=database_url,
        temporal_address="127.0.0.1:1",  # no Temporal: these pages read the store only
        **overrides,
    )


@pytest.fixture
async def web_app(engine: Engine, database_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    app = create_app(web_settings(database_url, tmp_path), engine=engine, temporal_client=None)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def browser(web_app: Any) -> AsyncIterator[Browser]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web_app), base_url="http://priorauth"
    ) as http:
        yield Browser(http)


@pytest.fixture
async def second_browser(web_app: Any) -> AsyncIterator[Browser]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web_app), base_url="http://priorauth"
    ) as http:
        yield Browser(http)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def served(engine: Engine, database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """The app served by uvicorn in this process on a free local port, over this test's store
    (no Temporal: for pages that read the store only, in a real browser)."""
    app = create_app(web_settings(database_url, tmp_path), engine=engine, temporal_client=None)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    # uvicorn.Server says it is listening by a flag only, no event to wait on.
    for _ in range(200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
