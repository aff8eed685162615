"""Actions forwarded to the workflow as Updates: accepted, refused (409/422), audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from store import payer_directory as directory
from store.database import transaction
from tests.api.conftest import DENIAL_REASON, PAYER_ID, Stack, denial, request_body
from tests.domain.payer_entries import entry
from tests.web.conftest import Browser, add_person

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]


async def opened_case(stack: Stack) -> str:
    response = await stack.post("/api/v1/cases", request_body())
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    await stack.eventually(
        lambda: stack.live_status(case_id), lambda s: s in ("opened", "submitted")
    )
    return case_id


async def action(stack: Stack, case_id: str, name: str, body: Any, role: str = "case_manager"):  # type: ignore[no-untyped-def]
    return await stack.post(f"/api/v1/cases/{case_id}/{name}", body, role)


async def test_denial_peer_to_peer_contact_note_accept(stack: Stack) -> None:
    case_id = await opened_case(stack)
    # Nothing to appeal yet: the workflow's validator refuses, the reason is passed on.
    early = await action(stack, case_id, "appeals", {})
    assert early.status_code == 409
    assert "nothing to appeal" in early.json()["detail"]

    decided = await action(stack, case_id, "decisions", {"decision": denial("D-1")}, "integration")
    assert decided.status_code == 200, decided.text
    assert decided.json()["view"]["status"] == "denied"
    again = await action(stack, case_id, "decisions", {"decision": denial("D-1")}, "integration")
    assert again.status_code == 200 and again.json()["view"]["decision_ids"] == ["D-1"]

    unknown_item = await action(stack, case_id, "decisions", {"decision": denial("D-2", 7)})
    assert unknown_item.status_code == 422
    assert unknown_item.json()["errors"][0]["field"] == "decision.items.0.sequence"

    p2p = await action(
        stack, case_id, "peer-to-peer", {"preferred_windows": ["Mon 8-10"]}, "ur_staff"
    )
    assert p2p.status_code == 200 and p2p.json()["view"]["peer_to_peer_requested"]
    outcome = await action(
        stack,
        case_id,
        "peer-to-peer/outcome",
        {
            "occurred_at": datetime.now(UTC).isoformat(),
            "summary": "Reviewer upheld; suggested written appeal",
            "counterpart": "Dr. Reviewer",
        },
    )
    assert outcome.status_code == 200, outcome.text

    call = {
        "channel": "call",
        "occurred_at": datetime.now(UTC).isoformat(),
        "summary": "Asked for the criteria",
        "reference_number": "REF-991",
    }
    assert (await action(stack, case_id, "contacts", call)).status_code == 200
    no_ref = await action(stack, case_id, "contacts", {**call, "reference_number": None})
    assert no_ref.status_code == 422
    future = {**call, "occurred_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    assert (await action(stack, case_id, "contacts", future)).status_code == 422

    assert (await action(stack, case_id, "notes", {"text": "Patient called"})).status_code == 200
    assigned = await action(stack, case_id, "assign", {"assignee": "dev-ur-staff"})
    assert assigned.json()["view"]["assignee"] == "dev-ur-staff"

    accepted = await action(stack, case_id, "accept-denial", {"reason": "Patient chose PT"})
    assert accepted.status_code == 200
    assert accepted.json()["view"]["status"] == "closed"
    closed = await action(stack, case_id, "notes", {"text": "late"})
    assert closed.status_code == 409

    detail = await stack.eventually(
        lambda: stack.case(case_id), lambda d: len(d["contacts"]) == 2 and d["decisions"]
    )
    assert detail["decisions"][0]["items"][0]["reason_text"] == DENIAL_REASON
    assert {c["channel"] for c in detail["contacts"]} == {"call", "peer_to_peer"}
    events = (await stack.get(f"/api/v1/cases/{case_id}/timeline")).json()["events"]
    actors = {e["action"]: e["actor"] for e in events}
    assert actors["payer_decision_received"] == "integration:dev-integration"
    assert actors["peer_to_peer_requested"] == "ur_staff:dev-ur-staff"
    assert actors["note"] == "case_manager:dev-case-manager"
    assert actors["denial_accepted"] == "case_manager:dev-case-manager"


async def test_pend_supply_information_extension_and_withdraw(stack: Stack) -> None:
    case_id = await opened_case(stack)
    now = datetime.now(UTC)
    pend = {
        "decision": {
            "decision_id": "P-1",
            "decided_at": now.isoformat(),
            "items": [{"sequence": 1, "review_action_code": "A4"}],
        },
        "information_request": {
            "requested_at": now.isoformat(),
            "items_requested": ["Physical therapy notes"],
            "respond_by": (now + timedelta(days=10)).isoformat(),
        },
    }
    pended = await action(stack, case_id, "decisions", pend, "integration")
    assert pended.json()["view"]["status"] == "pended", pended.text
    ext = {
        "notice_id": "EXT-1",
        "noticed_at": now.isoformat(),
        "reason": "Needs clinical review",
        "new_due_at": (now + timedelta(days=20)).isoformat(),
    }
    assert (await action(stack, case_id, "extensions", ext, "integration")).status_code == 200
    supplied = await action(
        stack,
        case_id,
        "supply-information",
        {"attachments": [{"reference": "doc-1", "title": "PT notes"}]},
    )
    assert supplied.status_code == 200, supplied.text
    assert supplied.json()["view"]["phase"] != "pended"
    gone = await action(stack, case_id, "withdraw", {"reason": "Service no longer needed"})
    assert gone.status_code == 200
    assert gone.json()["view"]["status"] == "withdrawn"
    twice = await action(stack, case_id, "withdraw", {"reason": "again"})
    assert twice.status_code == 409


async def test_bodies_are_validated_field_by_field(stack: Stack) -> None:
    case_id = await opened_case(stack)
    response = await action(stack, case_id, "notes", {"text": "", "extra": 1})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"text", "extra"}
    bad = await action(
        stack,
        case_id,
        "decisions",
        {"decision": {"decision_id": "X", "decided_at": "2026-11-01T00:00:00", "items": []}},
    )
    assert {e["field"] for e in bad.json()["errors"]} == {
        "decision.decided_at",
        "decision.items",
    }


async def test_a_payer_with_a_peer_to_peer_window_in_the_directory_gives_the_case_its_clock(
    stack: Stack,
) -> None:
    # Business days: the holiday calendar is read by the deadline activity, not the workflow.
    window = {"amount": 3, "unit": "business_days", "counted_from": "denial_decision"}
    line = {"regime": "medicare_advantage", "channel": {"kind": "fax", "fax": "(555) 010-0199"}}
    with transaction(stack.engine) as session:
        directory.put_payer(
            session,
            entry(PAYER_ID, lines=[{**line, "peer_to_peer_window": window}], pa_rules=[]),
            actor="admin:ada",
            now=datetime.now(UTC),
        )
    case_id = await opened_case(stack)
    decided = await action(stack, case_id, "decisions", {"decision": denial("D-1")}, "integration")
    assert decided.status_code == 200, decided.text

    def clock(detail: dict[str, Any]) -> dict[str, Any] | None:
        found = [d for d in detail["deadlines"] if d["key"] == "peer_to_peer_window"]
        return found[-1] if found else None

    detail = await stack.eventually(lambda: stack.case(case_id), lambda d: clock(d) is not None)
    opened = clock(detail)
    assert opened is not None and opened["obligor"] == "provider" and opened["met_at"] is None
    assert "within 3 business days of the denial decision" in opened["rule"]
    zone = ZoneInfo(request_body()["coverage"]["payer"]["timezone"])
    due = datetime.fromisoformat(opened["due_at"]).astimezone(zone)
    assert due.time().isoformat() == "23:59:59"  # the end of a day in the payer's zone

    p2p = await action(stack, case_id, "peer-to-peer", {}, "ur_staff")
    assert p2p.status_code == 200, p2p.text
    detail = await stack.eventually(
        lambda: stack.case(case_id), lambda d: (clock(d) or {}).get("met_at") is not None
    )


def approved(**item: Any) -> dict[str, Any]:
    """The payer's approval of item 1, with the authorization's facts in `item`."""
    return {
        "decision_id": "A-1",
        "decided_at": datetime.now(UTC).isoformat(),
        "items": [{"sequence": 1, "review_action_code": "A1", **item}],
    }


async def test_units_used_are_counted_against_the_approved_units(stack: Stack) -> None:
    case_id = await opened_case(stack)
    today = datetime.now(UTC).date()
    approval = approved(
        authorization_number="AUTH-77",
        approved_units=3,
        authorized_start=(today - timedelta(days=1)).isoformat(),
        authorized_end=(today + timedelta(days=90)).isoformat(),
    )
    decided = await action(stack, case_id, "decisions", {"decision": approval}, "integration")
    assert decided.status_code == 200, decided.text
    assert decided.json()["view"]["phase"] == "authorized"

    used = {"sequence": 1, "units": 2, "used_on": today.isoformat()}
    first = await action(stack, case_id, "units-used", used)
    assert first.status_code == 200, first.text
    assert first.json()["view"]["items"][0]["units_used"] == 2
    second = await action(stack, case_id, "units-used", {**used, "units": 1})
    assert second.json()["view"]["items"][0]["units_used"] == 3

    future = {**used, "used_on": (today + timedelta(days=3)).isoformat()}
    refused = await action(stack, case_id, "units-used", future)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "used_on"
    unknown = await action(stack, case_id, "units-used", {**used, "sequence": 9})
    assert unknown.status_code == 409 and "no item 9" in unknown.json()["detail"]

    detail = await stack.eventually(
        lambda: stack.case(case_id),
        lambda d: any(t["kind"] == "units_exhausted" for t in d["tasks"]),
    )
    (task,) = [t for t in detail["tasks"] if t["kind"] == "units_exhausted"]
    assert "all 3 authorized units used" in task["title"]


async def test_renewing_an_authorization_opens_one_linked_concurrent_review_case(
    stack: Stack,
) -> None:
    case_id = await opened_case(stack)
    refused = await stack.post(f"/api/v1/cases/{case_id}/renew", {})
    assert refused.status_code == 409 and "no authorized item" in refused.json()["detail"]

    end = datetime.now(UTC).date() + timedelta(days=30)
    approval = approved(authorization_number="AUTH-5", authorized_end=end.isoformat())
    decided = await action(stack, case_id, "decisions", {"decision": approval}, "integration")
    assert decided.status_code == 200, decided.text

    renewed = await stack.post(f"/api/v1/cases/{case_id}/renew", {})
    assert renewed.status_code == 201, renewed.text
    renewal_id = renewed.json()["case_id"]
    assert renewal_id != case_id
    again = await stack.post(f"/api/v1/cases/{case_id}/renew", {})
    assert again.status_code == 200 and again.json()["case_id"] == renewal_id

    renewal = await stack.case(renewal_id)
    assert renewal["request"]["service_timing"] == "concurrent"
    line = renewal["request"]["service_lines"][0]
    assert line["start_date"] == (end + timedelta(days=1)).isoformat()
    original_number = (await stack.case(case_id))["summary"]["case_number"]
    assert renewal["request"]["external_reference"] == (
        f"Renewal of {original_number} (authorization AUTH-5)"
    )
    events = (await stack.get(f"/api/v1/cases/{case_id}/timeline")).json()["events"]
    (link,) = [e for e in events if e["action"] == "renewal_opened"]
    assert link["details"]["renewal_case_id"] == renewal_id
    opened = (await stack.get(f"/api/v1/cases/{renewal_id}/timeline")).json()["events"][0]
    assert opened["details"]["channel"] == "renewal"
    assert original_number in opened["summary"]

    # The case page offers the same renewal to a case manager, and goes to it.
    add_person(stack.engine, "casey", "case_manager", ("default",))
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://priorauth") as http:
        person = Browser(http)
        assert (await person.sign_in("casey")).status_code == 303
        page = await person.get(f"/cases/{case_id}")
        assert 'id="renew-form"' in page.text
        answer = await person.post(f"/cases/{case_id}/renew")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/cases/{renewal_id}"
