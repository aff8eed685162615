"""The case page without a running workflow: the stored facts, clocks with their rules, scope,
the PHI read record; actions need the workflow (the journeys take them)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import select

from store.database import read_session
from store.tables import ContactRow, PhiReadRow
from tests.web.conftest import Browser, add_person
from tests.web.test_web_my_work import open_case


async def test_the_case_page_shows_clocks_with_rule_and_explanation(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey", teams=("ortho",))
    open_case(
        engine,
        "case-1",
        team="ortho",
        assignee="casey",
        last_name="Hartley",
        due_in=timedelta(hours=5),
    )
    await browser.sign_in("casey")
    page = await browser.get("/cases/case-1")
    assert page.status_code == 200, page.text
    assert "Hartley, Testa" in page.text
    assert "42 CFR 422.568(b)(1)" in page.text  # the clock's rule
    assert "7 calendar days for a standard pre-service request" in page.text
    assert "live state is unavailable" in page.text  # no Temporal here: no actions offered
    with read_session(engine) as session:
        reads = session.exec(select(PhiReadRow.case_id, PhiReadRow.route)).all()
    assert ("case-1", "GET /cases/{case_id}") in reads


async def test_another_teams_case_is_not_found_like_a_missing_one(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "olga", teams=("cardio",))
    open_case(
        engine,
        "case-1",
        team="ortho",
        assignee=None,
        last_name="Hartley",
        due_in=timedelta(hours=5),
    )
    await browser.sign_in("olga")
    theirs = await browser.get("/cases/case-1")
    missing = await browser.get("/cases/no-such-case")
    assert theirs.status_code == missing.status_code == 404
    assert "Hartley" not in theirs.text
    assert theirs.text.replace("case-1", "x") == missing.text.replace("no-such-case", "x")
    letter = await browser.get("/cases/case-1/letters/LTR-0000000000000000/download")
    assert letter.status_code == 404
    refused = await browser.post("/cases/case-1/actions/add_note", {"text": "hello"})
    assert refused.status_code == 404


async def test_an_action_with_errors_comes_back_with_the_values_and_changes_nothing(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey", teams=("ortho",))
    open_case(
        engine,
        "case-1",
        team="ortho",
        assignee="casey",
        last_name="Hartley",
        due_in=timedelta(hours=5),
    )
    await browser.sign_in("casey")
    await browser.get("/cases/case-1")
    answer = await browser.post(
        "/cases/case-1/actions/record_contact",
        {
            "channel": "call",
            "occurred_at": "2026-12-01T09:30",
            "summary": "Spoke with Dana at the plan about the pending request",
        },
    )
    assert answer.status_code == 422
    assert "reference_number is required for a call" in answer.text
    assert "Spoke with Dana at the plan" in answer.text  # the person's words are kept
    assert 'id="action-record_contact" open' in answer.text
    with read_session(engine) as session:
        assert session.exec(select(ContactRow)).all() == []

    future = await browser.post(
        "/cases/case-1/actions/record_contact",
        {"channel": "portal", "occurred_at": "2099-01-01T09:30", "summary": "Checked"},
    )
    assert future.status_code == 422
    assert "future" in future.text
