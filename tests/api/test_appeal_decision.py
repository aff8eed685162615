"""A payer's answer to an appeal, entered by staff from its decision letter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.simulated_payer import AppealBehaviour, Behaviour, Script
from tests.api.conftest import MEMBER_ID, Stack, denial, request_body
from workflows.appeal import AppealWorkflow
from workflows.constants import appeal_workflow_id

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]


async def _appeal_status(stack: Stack, case_id: str) -> str:
    handle = stack.client.get_workflow_handle_for(
        AppealWorkflow.run, appeal_workflow_id(case_id, 1)
    )
    try:
        view = await handle.query(AppealWorkflow.appeal_status)
    except Exception:
        return "not started"
    return str(view.status.value)


def _upheld(decision_id: str) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "outcome": "upheld",
        "decided_at": datetime.now(UTC).isoformat(),
        "note": "Reconsideration upheld the denial",
    }


async def test_upheld_appeal_entered_by_hand_forwards_to_the_next_level(stack: Stack) -> None:
    # This payer never answers appeals itself: staff type in its decision letter.
    stack.payer.script_member(
        MEMBER_ID, Script(behaviour=Behaviour.SILENT, appeal=AppealBehaviour.SILENT)
    )
    opened = await stack.post("/api/v1/cases", request_body())
    case_id = opened.json()["case_id"]
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s == "submitted")
    denied = await stack.post(
        f"/api/v1/cases/{case_id}/decisions", {"decision": denial("D-1")}, "integration"
    )
    assert denied.status_code == 200, denied.text
    filed = await stack.post(
        f"/api/v1/cases/{case_id}/appeals", {"arguments": ["Meets every criterion (Exhibit 1)"]}
    )
    assert filed.status_code == 200, filed.text

    early = await stack.post(f"/api/v1/cases/{case_id}/appeals/1/decision", _upheld("R-1"))
    assert early.status_code == 409  # nothing submitted yet: the workflow refuses

    await stack.eventually(
        lambda: _appeal_status(stack, case_id), lambda s: s == "awaiting_signoff"
    )
    signed = await stack.post(f"/api/v1/cases/{case_id}/appeals/1/sign-off", {})
    assert signed.status_code == 200, signed.text
    await stack.eventually(lambda: _appeal_status(stack, case_id), lambda s: s == "submitted")

    bad = await stack.post(
        f"/api/v1/cases/{case_id}/appeals/1/decision", {**_upheld("R-1"), "outcome": "maybe"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "outcome"
    upheld = await stack.post(
        f"/api/v1/cases/{case_id}/appeals/1/decision", _upheld("R-1"), "integration"
    )
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "upheld"
    again = await stack.post(f"/api/v1/cases/{case_id}/appeals/1/decision", _upheld("R-1"))
    assert again.status_code in (200, 409)  # applied once either way
    assert await _appeal_status(stack, case_id) == "upheld"

    # Medicare Advantage: an upheld reconsideration goes to the IRE by itself.
    await stack.eventually(
        lambda: _appeal_status_of(stack, case_id, 2), lambda s: s != "not started"
    )


async def _appeal_status_of(stack: Stack, case_id: str, number: int) -> str:
    handle = stack.client.get_workflow_handle_for(
        AppealWorkflow.run, appeal_workflow_id(case_id, number)
    )
    try:
        view = await handle.query(AppealWorkflow.appeal_status)
    except Exception:
        return "not started"
    return str(view.status.value)
