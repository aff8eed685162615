"""The payer performance page in a real browser (Debian's Chromium through Playwright): a
screenshot for people to look at, and no WCAG 2.1 A/AA problem found by axe.

The page reads the store only, so the app is served in this process by uvicorn on a free
local port, over this test's store (no Temporal, worker or payer needed).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import expect
from sqlalchemy import Engine

from api.app import create_app
from tests.store.payer_history import build
from tests.web.browser import Chromium, look
from tests.web.conftest import PASSWORD, add_person, web_settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def served(engine: Engine, database_url: str, tmp_path: Path) -> AsyncIterator[str]:
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


async def test_the_page_in_a_browser(engine: Engine, database_url: str, served: str) -> None:
    build(engine)
    add_person(engine, "uri", role="ur_staff")
    chromium = Chromium()
    await chromium.start()
    try:
        page = await chromium.new_page()
        await page.goto(f"{served}/login")
        await page.get_by_label("User name").fill("uri")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("link", name="Payer performance").click()
        await expect(page.get_by_role("heading", name="Payer performance")).to_be_visible()
        await page.get_by_label("From", exact=True).fill("2026-01-01")
        await page.get_by_label("To", exact=True).fill("2026-06-30")
        await page.get_by_role("button", name="Show").click()
        chart = page.get_by_role("img", name="ACME Plan: decided requests per period by outcome")
        await expect(chart).to_be_visible()
        folder = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        await look(page, folder, "payer-performance")
    finally:
        await chromium.stop()
