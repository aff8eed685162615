"""Journeys through the web workspace in a real browser against a whole running stack.

The stack is separate processes as an operator runs them (Temporal dev server, sandbox PAS
payer, worker, API: `tests.drills.stack`), on SQLite and on PostgreSQL when configured. The
people are users in the store; each journey signs in through the page like a person would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import Engine

from store.database import make_engine
from store.migrate import upgrade
from tests.conftest import backends, empty_database
from tests.drills.stack import Stack
from tests.web.browser import Chromium, look
from tests.web.conftest import PASSWORD, add_person
from tests.workflows.conftest import TEST_CODEC_KEYS

pytestmark = [pytest.mark.temporal]

SANDBOX_SCRIPT = {
    "rules": [
        {
            "code_prefix": "E0601",
            "behaviour": "deny",
            "reason": "Not medically necessary per policy MP-123",
        },
        {"code_prefix": "2744", "behaviour": "approve"},
    ],
    "pend_seconds": 1.0,
}


@pytest.fixture(scope="module", params=backends())
def journey_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    return empty_database(request, tmp_path_factory, "journey")


@pytest.fixture(scope="module")
def store(journey_database: str) -> Iterator[Engine]:
    upgrade(journey_database)
    engine = make_engine(journey_database)
    add_person(engine, "casey", "case_manager", ("ortho",))
    add_person(engine, "uri", "ur_staff")
    add_person(engine, "olga", "case_manager", ("cardio",))
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
async def stack(
    store: Engine, journey_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    running = Stack(
        root=tmp_path_factory.mktemp("journey-stack"),
        database_url=journey_database,
        codec_keys=TEST_CODEC_KEYS,
        sandbox_script=SANDBOX_SCRIPT,
    )
    try:
        await running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Chromium]:
    browser = Chromium()
    await browser.start()
    try:
        yield browser
    finally:
        await browser.stop()


@pytest.fixture
def folder(journey_database: str) -> str:
    return "postgresql" if journey_database.startswith("postgresql") else "sqlite"


async def sign_in(page: Page, stack: Stack, username: str) -> None:
    await page.goto(f"{stack.api_url}/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="My work")).to_be_visible()


async def test_sign_in_my_work_and_sign_out(stack: Stack, chromium: Chromium, folder: str) -> None:
    page = await chromium.new_page()
    await page.goto(f"{stack.api_url}/")
    await look(page, folder, "01-sign-in")
    await page.get_by_label("User name").fill("casey")
    await page.get_by_label("Password").fill("wrong password, surely")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("user name or password is wrong")
    await sign_in(page, stack, "casey")
    await look(page, folder, "02-my-work")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_text("You are signed out.")).to_be_visible()
    await page.goto(f"{stack.api_url}/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
