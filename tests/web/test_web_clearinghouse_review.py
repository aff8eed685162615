"""Clearinghouse review in the web workspace: UR staff see the messages no case was matched to
(never their X12 text), and mark them handled; case managers do not see the queue."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy import Engine

from store import clearinghouse
from store.database import read_session, transaction
from store.types import utcnow
from tests.web.browser import Chromium, look, sign_in
from tests.web.conftest import PASSWORD, Browser, add_person

SECRET_TEXT = "NM1*IL*1*SAMPLE*MARIA"  # stands for PHI in the message's X12


def queue(engine: Engine, trace: str, reason: str) -> int:
    with transaction(engine) as session:
        queued = clearinghouse.queue_for_review(
            session=session,
            source="inbound/zz-unknown.x12",
            kind="278",
            trace_numbers=[trace],
            case_id=None,
            reason=reason,
            payload=f"ISA*...~{SECRET_TEXT}~",
            now=utcnow(),
        )
    return queued.id


async def test_ur_staff_review_and_mark_a_message_handled(engine: Engine, browser: Browser) -> None:
    first = queue(engine, "TRACE-A1", "no submission has this trace number")
    queue(engine, "TRACE-B2", "no submission has this trace number")
    add_person(engine, "uma", "ur_staff")
    await browser.sign_in("uma")
    page = await browser.get("/clearinghouse/review")
    assert page.status_code == 200
    assert 'href="/clearinghouse/review"' in page.text  # in the navigation
    assert "TRACE-A1" in page.text and "TRACE-B2" in page.text
    assert "no submission has this trace number" in page.text
    assert SECRET_TEXT not in page.text

    handled = await browser.post(f"/clearinghouse/review/{first}/resolve")
    assert handled.status_code == 303
    with read_session(engine) as session:
        (open_one,) = clearinghouse.list_unmatched(session=session)
        every = clearinghouse.list_unmatched(session=session, include_resolved=True)
    assert open_one.trace_numbers == ["TRACE-B2"]
    (done,) = [m for m in every if m.id == first]
    assert done.resolved_by == "ur_staff:uma"
    after = await browser.get("/clearinghouse/review")
    assert "TRACE-A1" not in after.text and "TRACE-B2" in after.text
    assert "TRACE-A1" in (await browser.get("/clearinghouse/review", resolved="true")).text

    unknown = await browser.post("/clearinghouse/review/999999/resolve")
    assert "Message 999999 is not in the review queue." in unknown.text
    forged = await browser.http.post(
        f"/clearinghouse/review/{first}/resolve", data={"csrf_token": "forged"}
    )
    assert forged.status_code == 403


async def test_case_managers_do_not_see_the_queue(engine: Engine, browser: Browser) -> None:
    queue(engine, "TRACE-C3", "the case does not exist")
    add_person(engine, "casey", "case_manager")
    await browser.sign_in("casey")
    home = await browser.get("/")
    assert 'href="/clearinghouse/review"' not in home.text
    refused = await browser.get("/clearinghouse/review")
    assert refused.status_code == 403 and "TRACE-C3" not in refused.text


async def test_the_queue_in_a_browser(engine: Engine, database_url: str, served: str) -> None:
    queue(engine, "TRACE-D4", "no submission has this trace number")
    add_person(engine, "uri", role="ur_staff")
    chromium = Chromium()
    await chromium.start()
    try:
        page = await chromium.new_page()
        await sign_in(page, served, "uri", PASSWORD)
        await page.get_by_role("link", name="Clearinghouse review").click()
        folder = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        await look(page, folder, "clearinghouse-review")  # screenshot and axe
        await page.get_by_role("button", name=re.compile("Mark message .* handled")).click()
        await expect(page.locator("#review-handled")).to_be_visible()
        await expect(page.locator("#review-empty")).to_be_visible()
    finally:
        await chromium.stop()
