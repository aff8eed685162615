"""Opening, listing and reading cases through the real app, worker and dev server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import MEMBER_ID, Stack, denial, request_body

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]


async def open_case(stack: Stack, role: str = "case_manager", **headers: str) -> dict[str, Any]:
    response = await stack.post("/api/v1/cases", request_body(), role, **headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_open_case_starts_workflow_and_reads_back(stack: Stack) -> None:
    opened = await open_case(stack)
    case_id = opened["case_id"]
    assert opened["workflow_id"] == f"case-{case_id}"
    assert opened["case_number"].startswith("PA-")
    assert MEMBER_ID not in case_id  # opaque id, no PHI

    detail = await stack.eventually(
        lambda: stack.case(case_id),
        lambda d: d["live"] is not None and d["deadlines"],
    )
    assert detail["summary"]["assignee"] == "dev-case-manager"
    assert detail["request"]["member"]["member_id"] == MEMBER_ID
    deadline = detail["deadlines"][0]
    assert deadline["rule"] and deadline["rule_id"]  # every deadline carries its citation
    assert detail["live"]["case_id"] == case_id

    timeline = (await stack.get(f"/api/v1/cases/{case_id}/timeline")).json()
    actions = [event["action"] for event in timeline["events"]]
    assert actions[0] == "case_created"
    assert timeline["events"][0]["actor"] == "case_manager:dev-case-manager"
    assert "case_opened" in actions


async def test_idempotency_key_returns_the_same_case(stack: Stack) -> None:
    first = await open_case(stack, **{"Idempotency-Key": "req-42"})
    again = await stack.post(
        "/api/v1/cases", request_body(), "case_manager", **{"Idempotency-Key": "req-42"}
    )
    assert again.status_code == 200
    assert again.json()["case_id"] == first["case_id"]
    assert again.json()["created"] is False
    page = (await stack.get("/api/v1/cases")).json()
    assert page["total"] == 1

    changed = request_body(urgency="expedited", urgency_justification="Worsening fast")
    conflict = await stack.post(
        "/api/v1/cases", changed, "case_manager", **{"Idempotency-Key": "req-42"}
    )
    assert conflict.status_code == 409


async def test_invalid_request_names_each_field_and_writes_nothing(stack: Stack) -> None:
    body = request_body()
    body["member"].pop("member_id")
    body["service_lines"][0]["code"] = "not-a-code"
    body["coverage"]["payer"]["timezone"] = "Mars/Olympus"
    response = await stack.post("/api/v1/cases", body)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"member.member_id", "service_lines.0.code", "coverage.payer.timezone"} <= fields
    assert (await stack.get("/api/v1/cases")).json()["total"] == 0


async def test_list_filters_and_pagination(stack: Stack) -> None:
    opened = [await open_case(stack) for _ in range(3)]
    await open_case(stack, role="integration")
    page = (await stack.get("/api/v1/cases", limit=2)).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    second = (await stack.get("/api/v1/cases", limit=2, offset=2)).json()
    assert {i["case_id"] for i in page["items"]}.isdisjoint(i["case_id"] for i in second["items"])

    mine = (await stack.get("/api/v1/cases", assignee="dev-case-manager")).json()
    assert mine["total"] == 3
    by_payer = (await stack.get("/api/v1/cases", payer="EXH01", regime="medicare_advantage")).json()
    assert by_payer["total"] == 4
    number = opened[1]["case_number"]
    found = (await stack.get("/api/v1/cases", q=number[-6:])).json()
    assert [i["case_id"] for i in found["items"]] == [opened[1]["case_id"]]
    due = (await stack.get("/api/v1/cases", due_before="2000-01-01T00:00:00Z")).json()
    assert due["total"] == 0
    assert (await stack.get("/api/v1/cases", overdue="true")).json()["total"] == 0
    naive = await stack.get("/api/v1/cases", due_before="2026-01-01T00:00:00")
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "due_before"
    bad = await stack.get("/api/v1/cases", status="nonsense", limit=0)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"status.0", "limit"}


async def test_unknown_case_is_404(stack: Stack) -> None:
    for path in ("/api/v1/cases/cnope000", "/api/v1/cases/cnope000/timeline"):
        assert (await stack.get(path)).status_code == 404
    response = await stack.post("/api/v1/cases/cnope000/notes", {"text": "hello"})
    assert response.status_code == 404
    response = await stack.post("/api/v1/cases/cnope000/decisions", {"decision": denial("D-1")})
    assert response.status_code == 404
