"""The payer performance page in a real browser (Debian's Chromium through Playwright): a
screenshot for people to look at, and no WCAG 2.1 A/AA problem found by axe.

The page reads the store only, so the app is served in this process (`served`, conftest).
"""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import Engine

from tests.store.payer_history import build
from tests.web.browser import Chromium, look, sign_in
from tests.web.conftest import PASSWORD, add_person


async def test_the_page_in_a_browser(engine: Engine, database_url: str, served: str) -> None:
    build(engine)
    add_person(engine, "uri", role="ur_staff")
    chromium = Chromium()
    await chromium.start()
    try:
        page = await chromium.new_page()
        await sign_in(page, served, "uri", PASSWORD)
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
