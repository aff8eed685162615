"""New case page opening cases: the form and a PAS bundle upload against a real Temporal dev
server and worker (the API tests' stack), so each case is stored and its workflow started."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from api import service
from store import audit as store_audit
from store.cases import get_case, get_case_summary
from store.database import read_session
from store.queries import list_cases
from store.records import CaseSummary
from tests.api.conftest import Stack, running_stack, temporal_env, unique_case_ids
from tests.integrations.pas_helpers import FIXTURES
from tests.web.conftest import Browser, add_person
from tests.web.test_web_new_case import VALID, Page

pytestmark = [pytest.mark.temporal]
__all__ = ["temporal_env", "unique_case_ids"]  # fixtures of the API tests, used here


@pytest.fixture
async def stack(
    temporal_env: WorkflowEnvironment, engine: Engine, database_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    async with running_stack(temporal_env, engine, database_url, tmp_path) as running:
        yield running


@pytest.fixture
async def casey(stack: Stack) -> Browser:
    add_person(stack.engine, "casey", "case_manager", ("ortho", "spine"))
    add_person(stack.engine, "nico", "case_manager", ("spine",))
    browser = Browser(stack.http)
    assert (await browser.sign_in("casey")).status_code == 303
    await browser.get("/cases/new")
    return browser


def cases(engine: Engine) -> list[CaseSummary]:
    with read_session(engine) as session:
        return list_cases(session=session, limit=50).items


TWO_LINES = {
    **VALID,
    "service_lines.0.modifiers": "rt",
    "service_lines.0.place_of_service": "22",
    "service_lines.5.code_system": "cpt_hcpcs",
    "service_lines.5.code": "97110",
    "service_lines.5.description": "Therapeutic exercise",
    "service_lines.5.units": "12",
    "service_lines.5.start_date": "2026-12-10",
    "service_lines.5.end_date": "2027-01-31",
    "diagnoses.0.code": "M17.11",
    "diagnoses.0.description": "Primary osteoarthritis, right knee",
    "diagnoses.4.code": "M25.561",
    "diagnoses.4.description": "Pain in right knee",
    "diagnoses.primary": "4",
    "attachments.0.title": "Orthopedic consult note",
    "attachments.0.reference": "DOC-2026-0042",
    "attachments.0.content_type": "application/pdf",
    "attachments.0.loinc_code": "11488-4",
    "hospitalized": "true",
    "care_category": "discharge_services",
    "team": "spine",
    "assignee": "nico",
    "idempotency_key": "new-case-two-lines",
}


async def test_a_valid_form_opens_the_case_and_goes_to_it(casey: Browser, stack: Stack) -> None:
    response = await casey.post("/cases/new", TWO_LINES)
    assert response.status_code == 303, response.text
    (summary,) = cases(stack.engine)
    assert response.headers["location"] == f"/cases/{summary.case_id}"
    assert (summary.team, summary.assignee) == ("spine", "nico")
    with read_session(stack.engine) as session:
        request = get_case(session=session, case_id=summary.case_id).request
        events = store_audit.timeline(session=session, case_id=summary.case_id)
    lines = [
        (line.sequence, line.code, line.units, line.modifiers) for line in request.service_lines
    ]
    assert lines == [(1, "27447", 1, ["RT"]), (2, "97110", 12, [])]
    assert request.service_lines[1].end_date is not None
    assert [(d.code, d.primary) for d in request.diagnoses] == [
        ("M17.11", False),
        ("M25.561", True),
    ]
    assert [(a.title, a.loinc_code) for a in request.attachments] == [
        ("Orthopedic consult note", "11488-4")
    ]
    assert request.hospitalized and request.member.last_name == "Patientson"
    assert request.care_category == "discharge_services"
    opened = events[0]
    assert (opened.action, opened.actor) == ("case_created", "case_manager:casey")
    assert opened.details["channel"] == "web"
    # The redirect lands on the case's own page.
    case_page = await casey.get(response.headers["location"])
    assert case_page.status_code == 200
    assert summary.case_number in case_page.text
    # Its workflow runs and answers.
    view, _ = await stack.eventually(
        lambda: service.live_view(stack.client, summary.case_id), lambda found: found[0]
    )
    assert view.case_id == summary.case_id


async def test_submitting_the_same_form_twice_opens_one_case(casey: Browser, stack: Stack) -> None:
    first = await casey.post("/cases/new", TWO_LINES)
    second = await casey.post("/cases/new", TWO_LINES)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(cases(stack.engine)) == 1
    # The same form sent again with other values opens nothing either, and says why.
    changed = await casey.post("/cases/new", {**TWO_LINES, "member.last_name": "Other"})
    assert changed.status_code == 409
    (summary,) = cases(stack.engine)
    assert f"already opened case {summary.case_number}" in Page(changed).text("error-summary")
    assert Page(changed).value_of("member.last_name") == "Other"


async def test_a_corrected_form_opens_its_case_once(casey: Browser, stack: Stack) -> None:
    """The journey: an error first, then the same form corrected."""
    wrong = await casey.post("/cases/new", {**VALID, "requesting_provider.npi": "123"})
    assert wrong.status_code == 422
    key = Page(wrong).value_of("idempotency_key")
    assert key == VALID["idempotency_key"] and cases(stack.engine) == []
    right = await casey.post("/cases/new", {**VALID, "team": "ortho"})
    assert right.status_code == 303
    (summary,) = cases(stack.engine)
    assert (summary.team, summary.assignee) == ("ortho", "casey")


async def test_a_pas_bundle_upload_opens_a_case(casey: Browser, stack: Stack) -> None:
    bundle = (FIXTURES / "conformant_pas_bundle_v110.json").read_bytes()

    async def upload() -> Any:
        return await casey.post(
            "/cases/new/pas",
            {"team": "spine"},
            files={"bundle": ("claim.json", bundle, "application/fhir+json")},
        )

    response = await upload()
    assert response.status_code == 303, response.text
    (summary,) = cases(stack.engine)
    assert response.headers["location"] == f"/cases/{summary.case_id}"
    assert (summary.team, summary.assignee) == ("spine", "casey")
    with read_session(stack.engine) as session:
        stored = get_case_summary(session=session, case_id=summary.case_id)
        events = store_audit.timeline(session=session, case_id=summary.case_id)
    assert stored.payer_id and events[0].details.get("channel") == "pas"
    # The same bundle again: the same case, not a second one.
    again = await upload()
    assert again.headers["location"] == response.headers["location"]
    assert len(cases(stack.engine)) == 1
