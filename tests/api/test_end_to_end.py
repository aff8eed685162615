"""End to end: a PAS bundle from an EHR opens a case, priorauth submits it to the sandbox payer
over PAS (in-process HTTP), the payer pends and later denies by signed rest-hook notification,
the case manager appeals, downloads the letter (python-docx), signs it off, the appeal is
overturned and the case is approved. Also: queues, tasks, letter preview."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from domain.models import PriorAuthRequest
from integrations.pas.gateway import PasGateway
from integrations.pas.request_builder import build_pas_request_bundle
from integrations.routing import RoutingGateway
from integrations.sandbox_payer import SandboxScript, create_sandbox_app
from integrations.sandbox_payer.script import SandboxBehaviour, SandboxRule
from integrations.simulated_payer import AppealBehaviour, Script, SimulatedPayer
from tests.api.conftest import (
    KEYS,
    MEMBER_ID,
    PAYER_ID,
    PAYER_SECRET,
    Stack,
    request_body,
    running_stack,
)
from worker import TemporalDecisionSink

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]

SANDBOX_DENIAL = "Home sleep study results do not meet policy MP-123 criteria (AHI < 15)"


async def test_pas_intake_to_overturned_appeal(
    temporal_env: WorkflowEnvironment, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    script = SandboxScript.default().model_copy(
        update={
            "pend_seconds": 0.2,
            "webhook_secret": PAYER_SECRET,
            "rules": [
                SandboxRule(
                    code_prefix="E0601",
                    behaviour=SandboxBehaviour.PEND_THEN_DENY,
                    reason=SANDBOX_DENIAL,
                )
            ],
        }
    )
    sandbox = create_sandbox_app(script, "http://priorauth/fhir/notifications")
    payer_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url="http://payer"
    )
    sink = TemporalDecisionSink(temporal_env.client)
    # The worker's own wiring: PAS for requests, appeals by their own channel, answers
    # delivered to the workflow in the background.
    gateway = RoutingGateway(
        PasGateway("http://payer", submitter_id="1234567893", sink=sink, client=payer_http),
        SimulatedPayer(sink, default=Script(appeal=AppealBehaviour.OVERTURN), delay=0.2),
    )
    async with running_stack(temporal_env, engine, database_url, tmp_path, gateway) as stack:
        # The sandbox's rest-hook notifications land on this app (signed, no API key).
        sandbox.state.sandbox.notify_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=stack.app), base_url="http://priorauth"
        )
        await _run(stack)
    await sandbox.state.sandbox.aclose()
    await payer_http.aclose()


async def _run(stack: Stack) -> None:
    request = PriorAuthRequest.model_validate(
        request_body(
            service_lines=[
                {
                    "sequence": 1,
                    "code": "E0601",
                    "description": "CPAP device",
                    "units": 1,
                    "start_date": "2026-12-01",
                }
            ]
        )
    )
    bundle = build_pas_request_bundle(
        request, case_id="ehr-order-1", submitter_id="EHR-01", now=datetime.now(UTC)
    )
    response = await stack.http.post(
        "/fhir/Claim/$submit",
        json=bundle,
        headers={"X-API-Key": KEYS["integration"], "Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 200, response.text
    claim_response = response.json()["entry"][0]["resource"]
    # The EHR's own trace number comes first; priorauth's case id is the one it added.
    case_id = [
        i["value"] for i in claim_response["identifier"] if i["system"] == "urn:priorauth:case"
    ][-1]

    denied = await stack.eventually(
        lambda: stack.case(case_id), lambda d: d["live"] and d["live"]["status"] == "denied", 30
    )
    assert denied["live"]["items"][0]["reason_text"] == SANDBOX_DENIAL
    receipts = await stack.eventually(
        lambda: _receipts(stack, case_id), lambda found: len(found) >= 1, 10
    )
    assert receipts[0]["details"]["channel"] == "pas_notification"
    assert receipts[0]["actor"] == f"payer:{PAYER_ID}"  # the signer, from its secret

    # The UR queue sees the adverse decision; the case manager appeals.
    filed = await stack.post(
        f"/api/v1/cases/{case_id}/appeals", {"arguments": ["AHI of 22 on the home study"]}
    )
    assert filed.status_code == 200, filed.text
    letters = await stack.eventually(
        lambda: _letters(stack, case_id), lambda items: len(items) >= 1, 30
    )
    letter = letters[0]
    download = await stack.get(letter["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "attachment; filename=" in download.headers["content-disposition"]
    assert MEMBER_ID not in download.headers["content-disposition"]
    text = _docx_text(download.content)
    assert SANDBOX_DENIAL in text  # quoted verbatim
    assert MEMBER_ID in text
    # PAS carries no appeals address, clinical summary or attachments: the draft argues from
    # the case manager's arguments, goes to the payer's appeals department and says what to
    # confirm before signing; nothing is invented.
    assert "AHI of 22 on the home study" in text
    assert "Attn: Appeals Department" in text
    assert "confirm from the denial notice" in text
    assert "Enclosures: none." in text

    # An integration may not sign letters off; a case manager does.
    forbidden = await stack.post(f"/api/v1/cases/{case_id}/appeals/1/sign-off", {}, "integration")
    assert forbidden.status_code == 403
    signed = await stack.post(f"/api/v1/cases/{case_id}/appeals/1/sign-off", {})
    assert signed.status_code == 200, signed.text
    assert signed.json()["letter_id"] == letter["letter_id"]

    approved = await stack.eventually(
        lambda: stack.case(case_id), lambda d: d["live"] and d["live"]["status"] == "approved", 30
    )
    assert approved["summary"]["status"] in ("approved", "in_appeal")
    stored = await stack.eventually(
        lambda: _letters(stack, case_id), lambda items: items[0]["signed_off_by"] is not None
    )
    assert stored[0]["signed_off_by"] == "case_manager:dev-case-manager"


async def _receipts(stack: Stack, case_id: str) -> list[dict[str, Any]]:
    events = (await stack.get(f"/api/v1/cases/{case_id}/timeline")).json()["events"]
    return [e for e in events if e["action"] == "payer_decision_received"]


async def _letters(stack: Stack, case_id: str) -> list[dict[str, Any]]:
    response = await stack.get(f"/api/v1/cases/{case_id}/letters")
    items: list[dict[str, Any]] = response.json()
    return items


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


async def test_queues_tasks_and_letter_preview(stack: Stack) -> None:
    response = await stack.post("/api/v1/cases", request_body())
    case_id = response.json()["case_id"]
    await stack.eventually(
        lambda: stack.live_status(case_id), lambda s: s in ("opened", "submitted")
    )
    mine = (await stack.get("/api/v1/queues/mine")).json()
    assert [c["case_id"] for c in mine["items"]] == [case_id]
    assert (await stack.get("/api/v1/queues/mine", "ur_staff")).json()["total"] == 0
    assert (await stack.get("/api/v1/queues/overdue")).json()["total"] == 0

    denial = {
        "decision_id": "D-Q",
        "decided_at": datetime.now(UTC).isoformat(),
        "items": [{"sequence": 1, "review_action_code": "A3", "reason_text": "Not necessary"}],
    }
    await stack.post(f"/api/v1/cases/{case_id}/decisions", {"decision": denial}, "integration")
    await stack.post(f"/api/v1/cases/{case_id}/peer-to-peer", {})
    escalations = await stack.eventually(
        lambda: _json(stack.get("/api/v1/queues/escalations", "ur_staff")),
        lambda page: page["total"] >= 1,
    )
    task = escalations["items"][0]
    assert task["queue"] in ("ur", "supervisor")
    path = f"/api/v1/tasks/{task['task_id']}"
    assert (await stack.post(f"{path}/complete", {}, "case_manager")).status_code == 403
    moved = await stack.post(f"{path}/reassign", {"assignee": "dev-ur-staff"}, "ur_staff")
    assert moved.status_code == 200 and moved.json()["assignee"] == "dev-ur-staff"
    done = await stack.post(f"{path}/complete", {}, "ur_staff")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert done.json()["completed_by"] == "ur_staff:dev-ur-staff"
    assert (await stack.post(f"{path}/reassign", {"assignee": "x"}, "ur_staff")).status_code == 409
    assert (await stack.post("/api/v1/tasks/999999/complete", {}, "ur_staff")).status_code == 404
    # Each change by a person is in the audit trail once; the refused reassignment is not.
    events = (await stack.get(f"/api/v1/cases/{case_id}/timeline")).json()["events"]
    by_people = [
        (e["action"], e["actor"], e["details"]["task_id"])
        for e in events
        if e["action"] in ("task_reassigned", "task_completed")
    ]
    assert by_people == [
        ("task_reassigned", "ur_staff:dev-ur-staff", task["task_id"]),
        ("task_completed", "ur_staff:dev-ur-staff", task["task_id"]),
    ]

    preview = await stack.post(
        f"/api/v1/cases/{case_id}/letters/preview", {"kind": "claim_file_request"}
    )
    assert preview.status_code == 200, preview.text
    assert MEMBER_ID in _docx_text(preview.content)
    lacking = await stack.post(
        f"/api/v1/cases/{case_id}/letters/preview", {"kind": "letter_of_medical_necessity"}
    )
    assert lacking.status_code in (200, 422)
    if lacking.status_code == 422:
        assert lacking.json()["errors"]
    assert (await stack.get(f"/api/v1/cases/{case_id}/letters")).json() == []


async def _json(call: Any) -> Any:
    return (await call).json()
