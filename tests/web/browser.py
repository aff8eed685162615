"""The browser of the journey tests: Playwright for Python driving Debian's Chromium.

Playwright's own browser download is not used (it is blocked here, and a hospital's machines
may not allow it either): the tests launch `/usr/bin/chromium` (`make browser` installs it) with
the flags a closed network needs. Screenshots of every page a journey visits are saved under
`test-artifacts/screenshots/` (kept by CI as artefacts), and each is checked for accessibility
with axe-core (the copy bundled in the axe-playwright-python wheel) against WCAG 2.1 A and AA.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = os.environ.get("PRIORAUTH_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def chromium_path() -> str:
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not found:
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium)"
        )
    return found


class Chromium:
    """One Chromium process for a module's journeys; each journey gets a fresh context."""

    def __init__(self) -> None:
        self._playwright = None
        self.browser: Browser | None = None

    async def start(self) -> None:
        self._playwright = await async_playwright().start()  # type: ignore[assignment]
        assert self._playwright is not None
        self.browser = await self._playwright.chromium.launch(  # type: ignore[attr-defined]
            executable_path=chromium_path(), args=ARGS, headless=True
        )

    async def new_page(self) -> Page:
        assert self.browser is not None
        context = await self.browser.new_context(viewport={"width": 1360, "height": 900})
        return await context.new_page()

    async def stop(self) -> None:
        if self.browser is not None:
            await self.browser.close()
        if self._playwright is not None:
            await self._playwright.stop()  # type: ignore[attr-defined]


async def screenshot(page: Page, folder: str, name: str) -> Path:
    target = SCREENSHOTS / folder / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(target), full_page=True)
    return target


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def accessibility_problems(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now: rule, impact, where."""
    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]


async def look(page: Page, folder: str, name: str) -> None:
    """What a person would look at: a screenshot of the page, and no accessibility problem."""
    await screenshot(page, folder, name)
    problems = await accessibility_problems(page)
    assert problems == [], f"{name}: {problems}"


async def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Sign in through the page, as a person would."""
    await page.goto(f"{base_url}/login")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
