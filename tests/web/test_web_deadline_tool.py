"""The deadline calculator: the engine's answer, citation and explanation for a real query,
errors beside their fields with the values kept, refusals of the engine shown as they are."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from api.web.clock_display import local
from domain.deadlines import DeadlineQuery, compute_deadline
from tests.web.conftest import Browser, add_person

MA_STANDARD = {
    "regime": "medicare_advantage",
    "event": "initial_request_decision",
    "urgency": "standard",
    "service_timing": "pre_service",
    "received_at": "2026-03-02T09:30",
    "timezone": "America/Chicago",
    "subject_to_prior_authorization": "1",
}


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return html.unescape(page[start : page.index("</section>", start)])


async def test_a_medicare_advantage_standard_request_gets_the_engines_answer(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey")
    await browser.sign_in("casey")
    form = await browser.get("/tools/deadline")
    assert form.status_code == 200
    assert 'id="deadline-form"' in form.text and 'id="deadline-submit"' in form.text
    assert 'id="deadline-answer"' not in form.text

    answered = await browser.post("/tools/deadline", MA_STANDARD)
    assert answered.status_code == 200
    expected = compute_deadline(
        DeadlineQuery(
            regime="medicare_advantage",
            event="initial_request_decision",
            received_at=datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("America/Chicago")),
            timezone="America/Chicago",
        )
    )
    answer = section(answered.text, "deadline-answer")
    assert local(expected.due_at, "America/Chicago") in answer
    assert expected.rule in answer
    assert expected.explanation in answer
    # The values typed stay in the form.
    assert 'value="2026-03-02T09:30"' in answered.text
    assert 'value="America/Chicago"' in answered.text


async def test_a_bad_field_comes_back_beside_the_field_with_the_values_kept(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey")
    await browser.sign_in("casey")
    await browser.get("/tools/deadline")
    sent = {**MA_STANDARD, "timezone": "Mars/Olympus", "appeal_levels": "7"}
    refused = await browser.post("/tools/deadline", sent)
    assert refused.status_code == 422
    assert 'id="deadline-answer"' not in refused.text
    page = html.unescape(refused.text)
    timezone_error = page[page.index('id="f-timezone"') :]
    assert "'Mars/Olympus' is not an IANA time zone" in timezone_error.split("</div>")[0]
    levels = page[page.index('id="f-appeal-levels"') :].split("</div>")[0]
    assert 'value="7"' in levels and "less than or equal to 2" in levels
    assert 'value="2026-03-02T09:30"' in refused.text  # the other values are kept


async def test_a_query_the_engine_cannot_answer_says_why_beside_the_missing_input(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey")
    await browser.sign_in("casey")
    await browser.get("/tools/deadline")
    refused = await browser.post("/tools/deadline", {**MA_STANDARD, "received_at": ""})
    assert refused.status_code == 422
    answer = section(refused.text, "deadline-answer")
    assert "missing input 'received_at'" in answer
    field = html.unescape(refused.text[refused.text.index('id="f-received-at"') :])
    assert "missing input 'received_at'" in field.split("</div>")[0]


async def test_the_calculator_needs_a_session_and_its_csrf_token(
    engine: Engine, browser: Browser
) -> None:
    signed_out = await browser.http.get("/tools/deadline")
    assert signed_out.status_code == 303
    add_person(engine, "casey")
    await browser.sign_in("casey")
    await browser.get("/tools/deadline")
    forged = await browser.http.post("/tools/deadline", data=MA_STANDARD)
    assert forged.status_code == 403
