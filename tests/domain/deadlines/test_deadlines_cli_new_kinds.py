"""`priorauth deadline` and POST /api/v1/deadlines/calculate take the new kinds from the typed
query: the Part D IRE window, the MA transition period, the Texas care categories, tolling."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import typer
from fastapi import FastAPI
from typer.testing import CliRunner

from api.error_handlers import install_error_handlers
from api.routes import tools
from api.security import Actor, authenticate
from commands.deadline import deadline
from config.settings import Role

app = typer.Typer()
app.command("deadline")(deadline)


@app.callback()
def root() -> None:
    """Stand-in for the root `priorauth` app."""


runner = CliRunner()

QUERIES: list[tuple[dict[str, Any], str, str]] = [
    (
        {
            "regime": "medicare_part_d",
            "event": "ire_reconsideration_filing_window",
            "notice_date": "2026-03-02",
        },
        "2026-05-06T23:59:59-04:00",
        "42 CFR 423.600(a)",
    ),
    (
        {
            "regime": "medicare_advantage",
            "event": "continuity_of_care_transition_end",
            "enrollment_date": "2026-01-01",
        },
        "2026-03-31T23:59:59-04:00",
        "42 CFR 422.112(b)(8)(ii) as amended by CMS-4201-F (88 FR 22120)",
    ),
    (
        {
            "regime": "medicaid_managed_care",
            "state": "TX",
            "timezone": "America/Chicago",
            "event": "initial_request_decision",
            "rating_period_start": "2026-01-01",
            "hospitalized": True,
            "care_category": "post_stabilization",
            "received_at": "2026-03-08T01:30:00-06:00",
        },
        "2026-03-08T03:30:00-05:00",
        "Tex. Gov't Code § 540.0302(b)(3)",
    ),
    (
        {
            "regime": "erisa_group",
            "timezone": "America/Chicago",
            "event": "extension",
            "base_event": "initial_request_decision",
            "received_at": "2026-02-20T10:00:00-06:00",
            "info_request_sent_at": "2026-03-06T09:00:00-06:00",
            "claimant_response_at": "2026-03-09T16:00:00-05:00",
        },
        "2026-03-25T23:59:59-05:00",
        "29 CFR 2560.503-1(f)(2)(iii)(A), (f)(4)",
    ),
]


@pytest.mark.parametrize(("query", "due", "rule"), QUERIES)
def test_cli_answers_the_new_kinds(query: dict[str, Any], due: str, rule: str) -> None:
    result = runner.invoke(app, ["deadline"], input=json.dumps(query))
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["due_at"], body["rule"], body["event"]) == (due, rule, query["event"])
    assert body["explanation"]


def test_cli_names_a_bad_care_category_and_exits_2() -> None:
    query = {**QUERIES[2][0], "care_category": "urgent"}
    result = runner.invoke(app, ["deadline"], input=json.dumps(query))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "care_category" in result.stderr


def test_cli_names_a_missing_enrollment_date_and_exits_2() -> None:
    query = {"regime": "medicare_advantage", "event": "continuity_of_care_transition_end"}
    result = runner.invoke(app, ["deadline"], input=json.dumps([query]))
    assert result.exit_code == 2
    assert "item 0: missing input 'enrollment_date'" in result.stderr


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    """The tools router alone, behind the app's error handlers, for a case manager."""
    web = FastAPI()
    web.include_router(tools.router)
    install_error_handlers(web)
    web.dependency_overrides[authenticate] = lambda: Actor(name="cm", role=Role.CASE_MANAGER)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://priorauth") as client:
        yield client


@pytest.mark.parametrize(("query", "due", "rule"), QUERIES)
async def test_api_answers_the_new_kinds(
    api: httpx.AsyncClient, query: dict[str, Any], due: str, rule: str
) -> None:
    response = await api.post("/api/v1/deadlines/calculate", json=query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["due_at"], body["rule"]) == (due, rule)


async def test_api_refuses_what_no_rule_answers_with_400(api: httpx.AsyncClient) -> None:
    query = {**QUERIES[1][0], "regime": "medicare_part_d"}
    response = await api.post("/api/v1/deadlines/calculate", json=query)
    assert response.status_code == 400
    assert "423.120(b)(3)" in response.text


async def test_api_names_a_bad_care_category_with_422(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/deadlines/calculate", json={**QUERIES[2][0], "care_category": "urgent"}
    )
    assert response.status_code == 422
    assert "care_category" in response.text


async def test_the_openapi_schema_lists_the_new_events(api: httpx.AsyncClient) -> None:
    schemas = (await api.get("/openapi.json")).json()["components"]["schemas"]
    assert {
        "ire_reconsideration_filing_window",
        "continuity_of_care_transition_end",
    } <= set(schemas["DeadlineEvent"]["enum"])
    assert set(schemas["CareCategory"]["enum"]) == {
        "post_stabilization",
        "life_threatening",
        "discharge_services",
    }
