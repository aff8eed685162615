"""Listings through the API: cursor pages, refused cursors (422 naming `cursor`), open cases by
default, search by PHI in a POST body, scope kept on every page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.case.vocabulary import CaseStatus
from domain.models import PriorAuthRequest
from store.cases import create_case
from store.database import transaction
from tests.api.conftest import Stack, request_body
from tests.store.writes import set_case_columns

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]

START = datetime(2026, 11, 1, tzinfo=UTC)


def seed(stack: Stack, count: int) -> None:
    """`count` cases of team-a and team-b alternately; every fifth one closed."""
    with transaction(stack.engine) as session:
        for n in range(count):
            body = request_body()
            body["member"] = {**body["member"], "member_id": f"M{n:04d}", "last_name": f"Lee{n}"}
            create_case(
                session=session,
                case_id=f"c-page-{n:03d}",
                request=PriorAuthRequest.model_validate(body),
                received_at=START + timedelta(minutes=n),
                team="team-a" if n % 2 == 0 else "team-b",
            )
            set_case_columns(
                session=session,
                case_id=f"c-page-{n:03d}",
                status=CaseStatus.CLOSED if n % 5 == 0 else CaseStatus.SUBMITTED,
                next_due_at=None if n % 6 == 0 else START + timedelta(hours=(n * 7) % 11),
            )


async def walk(stack: Stack, path: str, role: str, **params: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        response = await stack.get(path, role, limit=3, **params, **extra)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["case_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def test_cursor_pages_through_the_api(stack: Stack) -> None:
    seed(stack, 20)
    whole = (await stack.get("/api/v1/cases", "ur_staff", limit=500)).json()
    assert whole["total"] == 16 and whole["total_capped"] is False  # open cases by default
    ids = [item["case_id"] for item in whole["items"]]
    assert await walk(stack, "/api/v1/cases", "ur_staff") == ids
    everything = await walk(stack, "/api/v1/cases", "ur_staff", state="all")
    assert len(everything) == len(set(everything)) == 20
    closed = (await stack.get("/api/v1/cases", "ur_staff", status="closed")).json()
    assert closed["total"] == 4  # a status filter reaches closed cases
    team_a = await walk(stack, "/api/v1/cases", "team_a", state="all")
    assert sorted(team_a) == [f"c-page-{n:03d}" for n in range(0, 20, 2)]  # scope on every page


async def test_a_bad_cursor_is_422_naming_the_cursor(stack: Stack) -> None:
    seed(stack, 8)
    first = (await stack.get("/api/v1/cases", "ur_staff", limit=2)).json()
    cursor = first["next_cursor"]
    bad = [
        ("/api/v1/cases", {"cursor": "garbage"}),
        ("/api/v1/cases", {"cursor": cursor[:-4]}),
        ("/api/v1/cases", {"cursor": cursor, "payer": "OTHER"}),  # another listing's
        ("/api/v1/cases", {"cursor": cursor, "offset": 2}),
        ("/api/v1/cases", {"cursor": "x" * 513}),
        ("/api/v1/queues/overdue", {"cursor": cursor}),
        ("/api/v1/queues/escalations", {"cursor": cursor}),
    ]
    for path, params in bad:
        response = await stack.get(path, "ur_staff", **params)
        assert response.status_code == 422, (path, params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["cursor"], response.text


async def test_search_by_member_and_name_in_a_post_body(stack: Stack) -> None:
    seed(stack, 12)
    found = await stack.post("/api/v1/cases/search", {"patient_name": "lee1"}, "ur_staff")
    assert found.status_code == 200, found.text
    assert [i["case_id"] for i in found.json()["items"]] == [
        "c-page-001",
        "c-page-010",
        "c-page-011",
    ]
    member = await stack.post("/api/v1/cases/search", {"member_id": "m000"}, "team_a")
    assert [i["case_id"] for i in member.json()["items"]] == [
        f"c-page-{n:03d}" for n in (0, 2, 4, 6, 8)
    ]
    paged = await stack.post("/api/v1/cases/search", {"member_id": "M00", "limit": 4}, "ur_staff")
    cursor = paged.json()["next_cursor"]
    assert "M00" not in cursor and "Lee" not in cursor
    rest = await stack.post(
        "/api/v1/cases/search", {"member_id": "M00", "limit": 4, "cursor": cursor}, "ur_staff"
    )
    assert [i["case_id"] for i in rest.json()["items"]] == [f"c-page-{n:03d}" for n in (4, 5, 6, 7)]
    empty = await stack.post("/api/v1/cases/search", {}, "ur_staff")
    assert empty.status_code == 422
    unknown = await stack.post("/api/v1/cases/search", {"name": "x"}, "ur_staff")
    assert unknown.status_code == 422
