"""Journeys through the web workspace in a real browser against a whole running stack.

The stack is separate processes as an operator runs them (Temporal dev server, sandbox PAS
payer, worker, API: `tests.drills.stack`), on SQLite and on PostgreSQL when configured. The
people are users in the store; each journey signs in through the page like a person would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from docx import Document
from playwright.async_api import Page, expect
from sqlalchemy import Engine

from store.database import make_engine
from store.migrate import upgrade
from tests.conftest import backends, empty_database
from tests.drills.stack import Stack, eventually
from tests.web.browser import Chromium, look, screenshot
from tests.web.conftest import PASSWORD, add_person
from tests.web.escalation_seed import audit_actions, escalate, reread
from tests.workflows.conftest import TEST_CODEC_KEYS, request

pytestmark = [pytest.mark.temporal]

SANDBOX_SCRIPT = {
    "rules": [
        {
            "code_prefix": "E0601",
            "behaviour": "deny",
            "reason": "Not medically necessary per policy MP-123",
        },
        {"code_prefix": "2744", "behaviour": "approve"},
        {"code_prefix": "70551", "behaviour": "never_answer"},
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
    add_person(engine, "casey", "case_manager", ("default",))
    add_person(engine, "uri", "ur_staff")
    add_person(engine, "ursula", "ur_staff")
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


async def status_becomes(page: Page, wanted: str, seconds: float = 30.0) -> None:
    """Reload the case page until its status reads `wanted` (the payer answers on its own)."""
    status = page.locator("#case-status")
    if not await status.count():
        raise AssertionError(f"no case status on {page.url}:\n{await page.inner_text('body')}")
    for _ in range(int(seconds * 2)):
        if (await status.inner_text()).strip() == wanted:
            return
        await page.wait_for_timeout(500)
        await page.reload()
    await expect(status).to_have_text(wanted)


async def text_appears(page: Page, text: str, seconds: float = 30.0) -> None:
    for _ in range(int(seconds * 2)):
        if await page.get_by_text(text).count():
            return
        await page.wait_for_timeout(500)
        await page.reload()
    await expect(page.get_by_text(text).first).to_be_visible()


async def fill_new_case(page: Page, npi: str) -> None:
    """The new-case form for a CPAP device (E0601), which the sandbox payer denies."""
    await page.get_by_label("Member id").fill("W987654321")
    await page.get_by_label("First name").first.fill("Testa")
    await page.get_by_label("Last name").first.fill("Patientson")
    await page.get_by_label("Birth date").first.fill("1958-04-12")
    await page.get_by_label("Regime").select_option("medicare_advantage")
    await page.get_by_label("Plan name").fill("Example Advantage PPO")
    await page.get_by_label("Payer name").fill("Example Health Plan")
    await page.get_by_label("Payer id", exact=True).fill("EXH01")
    await page.locator("#requesting_provider-npi").fill(npi)
    await page.locator("#requesting_provider-name").fill("Dr. Sleep Example")
    await page.locator("#service_lines-0-code").fill("E0601")
    await page.locator("#service_lines-0-description").fill("CPAP device")
    await page.locator("#service_lines-0-units").fill("1")
    await page.locator("#diagnoses-0-code").fill("G47.33")
    await page.get_by_label("Clinical summary").fill("Obstructive sleep apnea, AHI 32.")


async def test_denied_case_appealed_signed_off_and_overturned(
    stack: Stack, chromium: Chromium, folder: str
) -> None:
    page = await chromium.new_page()
    await sign_in(page, stack, "casey")
    await page.get_by_role("link", name="New case").click()
    await look(page, folder, "03-new-case")
    await fill_new_case(page, npi="1234567890")  # a wrong check digit
    await page.get_by_role("button", name="Open case", exact=True).click()
    await expect(page.locator("#requesting_provider-npi-error")).to_be_visible()
    await expect(page.locator("#member-member_id")).to_have_value("W987654321")  # kept
    await look(page, folder, "04-new-case-error")
    await page.locator("#requesting_provider-npi").fill("1234567893")
    await page.get_by_role("button", name="Open case", exact=True).click()
    await expect(page.locator("#case-status")).to_be_visible()
    case_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    await status_becomes(page, "denied")
    clocks = page.locator("#clocks")
    await expect(clocks).to_contain_text("42 CFR 422.582")  # the appeal window's rule
    await expect(page.locator("q.reason")).to_have_text("Not medically necessary per policy MP-123")
    await look(page, folder, "05-case-denied")

    await page.locator("#action-file_appeal summary").click()
    await page.get_by_label("Arguments").fill(
        "CPAP is medically necessary: AHI 32 on the sleep study."
    )
    await page.get_by_label("Exhibits").fill("Polysomnography report, 2026-11-20")
    await page.locator("#action-file_appeal").get_by_role("button", name="File an appeal").click()
    await expect(page.locator("#case-notice")).to_contain_text("File an appeal: done")
    await text_appears(page, "awaiting sign-off")
    async with page.expect_download() as download_info:
        await page.locator(".letter-download").first.click()
    download = await download_info.value
    letter = Document(str(await download.path()))
    words = "\n".join(p.text for p in letter.paragraphs)
    assert "reconsideration" in words.lower()
    assert "AHI 32" in words
    assert "1.\tPolysomnography report, 2026-11-20" in words  # the exhibit, enclosed

    await page.locator("#action-sign_off_appeal summary").click()
    await page.locator("#action-sign_off_appeal").get_by_role("button").click()
    await expect(page.locator("#case-notice")).to_contain_text("Sign the appeal letter off: done")
    await text_appears(page, "Record the payer's answer to the appeal")
    await look(page, folder, "06-case-appeal-submitted")

    answer = page.locator("#action-record_appeal_decision")
    await answer.locator("summary").click()
    await answer.get_by_label("Decision id").fill("APL-OVT-1")
    await answer.get_by_label("Outcome").first.select_option("overturned")
    now = datetime.now(ZoneInfo("America/Chicago")).strftime("%Y-%m-%dT%H:%M")
    await answer.get_by_label("Decided at").fill(now)
    await answer.get_by_role("button", name="Record the payer's answer to the appeal").click()
    await expect(page.locator("#case-notice")).to_contain_text("done")
    await status_becomes(page, "approved")
    await look(page, folder, "07-case-overturned")
    await page.emulate_media(media="print")  # the print stylesheet: facts, no forms
    await expect(page.locator("#actions-heading")).to_be_hidden()
    await expect(page.locator("#clocks")).to_be_visible()
    await screenshot(page, folder, "08-case-printed")
    await page.emulate_media(media="screen")
    assert re.search(r"overturned", await page.locator("#appeals").inner_text())

    await page.get_by_role("link", name="My work").click()  # the case is on casey's list
    await expect(page.locator("#cases-table")).to_contain_text("Patientson, Testa")
    await look(page, folder, "09-my-work")

    other = await chromium.new_page()  # a case manager of another team
    await sign_in(other, stack, "olga")
    await other.goto(f"{stack.api_url}/cases/{case_id}")
    await expect(other.get_by_role("heading", name="Case not found")).to_be_visible()
    assert "Patientson" not in await other.content()
    await look(other, folder, "10-other-team-not-found")


async def test_ur_staff_find_an_escalated_case_assign_it_and_complete_its_task(
    stack: Stack, store: Engine, chromium: Chromium, folder: str
) -> None:
    # A real case the payer never answers; the ladder's 80 % rung is written as the workflow
    # writes it (the ladder's firing itself is proven on the time-skipping server).
    payload = request(member_id="W555000111").model_dump(mode="json")
    payload["member"]["last_name"] = "Escalante"
    payload["service_lines"][0]["code"] = "70551"
    async with httpx.AsyncClient(timeout=30) as http:
        case_id = await stack.open_case(http, payload)

        async def pended() -> bool | None:
            reply = await http.get(
                f"{stack.api_url}/api/v1/cases/{case_id}",
                headers={"X-API-Key": stack.case_manager_key},
            )
            return True if reply.json()["summary"]["status"] == "pended" else None

        # Once the payer pended it, the workflow waits (its earlier steps close stale tasks).
        await eventually(pended, seconds=30, what="the payer pends the case")
    task = escalate(store, case_id, rung="eighty", due_in=timedelta(hours=5))

    page = await chromium.new_page()
    await sign_in(page, stack, "uri")
    await page.get_by_role("link", name="Escalations").click()
    row = page.locator(f'tr[data-task-id="{task.task_id}"]')
    await expect(row).to_contain_text("Escalante")
    await look(page, folder, "11-escalations")

    await page.get_by_label(f"Select task {task.case_number}").check()
    await page.locator("#bulk-person").select_option("ursula")
    await page.locator("#bulk-assign").click()
    await expect(page.locator("#bulk-result")).to_contain_text("assigned to Ursula")
    assert reread(store, task).assignee == "ursula"

    # Taken off Uri's list (it is Ursula's now); Ursula finds it on hers and completes it.
    await expect(page.locator(f'tr[data-task-id="{task.task_id}"]')).to_have_count(0)
    page = await chromium.new_page()
    await sign_in(page, stack, "ursula")
    await page.get_by_role("link", name="Escalations").click()
    await page.get_by_label(f"Select task {task.case_number}").check()
    await page.locator("#bulk-note").fill("Called the payer: decision expected today")
    await page.locator("#bulk-complete").click()
    await expect(page.locator("#bulk-result")).to_contain_text("completed")
    await look(page, folder, "12-escalation-completed")
    done = reread(store, task)
    assert done.status == "done" and done.completed_by == "ur_staff:ursula"
    assert "task_completed" in audit_actions(store, case_id)

    # The case page no longer lists the task among the open ones.
    await page.goto(f"{stack.api_url}/cases/{case_id}")
    await expect(page.locator("#case-status")).to_be_visible()
    tasks = page.locator("section[aria-labelledby=tasks-heading]")
    await expect(tasks).to_be_visible()
    assert "eighty: payer deadline approaching" not in await tasks.inner_text()
    await look(page, folder, "13-case-after-escalation")
