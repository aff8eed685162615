"""The Escalations page and the deadline calculator in a real browser (Debian's Chromium via
Playwright), with the keyboard only: tick two tasks and claim them; fill in and submit the
calculator. The app runs under uvicorn on this test's store (no Temporal: these pages read and
write the store only). Screenshots go to test-artifacts/screenshots/escalations/; axe finds no
problem on either page."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from playwright.async_api import Page, expect
from sqlalchemy import Engine

from api.app import create_app
from api.web.clock_display import local
from domain.deadlines import DeadlineQuery, compute_deadline
from tests.web.browser import Chromium, look
from tests.web.conftest import PASSWORD, web_settings
from tests.web.escalation_seed import reread, seed_world

FOLDER = "escalations"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def served(engine: Engine, database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    app = create_app(web_settings(database_url, tmp_path), engine=engine, temporal_client=None)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    chromium = Chromium()
    await chromium.start()
    try:
        yield await chromium.new_page()
    finally:
        await chromium.stop()


async def sign_in(page: Page, url: str, username: str) -> None:
    await page.goto(f"{url}/login")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="My work")).to_be_visible()


async def tab_to(page: Page, selector: str, most: int = 80) -> None:
    """Press Tab until the element `selector` has the keyboard focus."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement === document.querySelector('{selector}')"):
            return
    raise AssertionError(f"{selector} never got the focus by Tab")


async def test_claim_two_tasks_and_use_the_calculator_with_the_keyboard(
    engine: Engine, served: str, page: Page
) -> None:
    world = seed_world(engine)
    await sign_in(page, served, "uma")
    await page.get_by_role("link", name="Escalations").click()
    await expect(page.get_by_role("heading", name="Escalations", level=1)).to_be_visible()
    await look(page, FOLDER, "01-escalations")

    late, other = world["late"], world["other"]
    for task in (late, other):
        await tab_to(page, f"#select-task-{task.task_id}")
        await page.keyboard.press("Space")
    await tab_to(page, "#bulk-claim")
    await page.keyboard.press("Enter")
    result = page.locator("#bulk-result")
    await expect(result).to_contain_text("2 tasks claimed (assigned to you)")
    await look(page, FOLDER, "02-escalations-claimed")
    assert reread(engine, late).assignee == "uma" and reread(engine, other).assignee == "uma"
    assert reread(engine, world["later"]).assignee is None

    await page.get_by_role("link", name="Deadline calculator").click()
    await expect(page.get_by_role("heading", name="Deadline calculator")).to_be_visible()
    await look(page, FOLDER, "03-deadline-calculator")
    await tab_to(page, "#f-regime")
    await page.keyboard.press("End")  # the last regime, then back to Medicare Advantage
    await page.keyboard.press("Home")
    await page.keyboard.press("ArrowDown")
    await tab_to(page, "#f-event")
    await page.keyboard.press("ArrowDown")
    await tab_to(page, "#f-received-at")
    await page.keyboard.type("03022026")
    await page.keyboard.press("Tab")
    await page.keyboard.type("0930AM")
    await tab_to(page, "#f-timezone")
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.type("America/Chicago")
    await tab_to(page, "#deadline-submit")
    await page.keyboard.press("Enter")
    answer = page.locator("#deadline-answer")
    await expect(answer).to_be_visible()
    expected = compute_deadline(
        DeadlineQuery(
            regime="medicare_advantage",
            event="initial_request_decision",
            received_at=datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("America/Chicago")),
            timezone="America/Chicago",
        )
    )
    await expect(answer).to_contain_text(local(expected.due_at, "America/Chicago"))
    await expect(answer).to_contain_text(expected.rule)
    await look(page, FOLDER, "04-deadline-answer")
