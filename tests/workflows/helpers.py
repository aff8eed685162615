"""Small helpers shared by the workflow test modules."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import WorkflowHandle

from domain.case.messages import FileAppealInput, SignOffInput
from domain.case.views import AppealView, CaseView
from domain.case.vocabulary import AppealStatus, Phase
from tests.workflows.conftest import Harness, decision, deny
from workflows.appeal import AppealWorkflow
from workflows.prior_auth import PriorAuthWorkflow


async def wait_phase(handle: WorkflowHandle[Any, Any], phase: Phase, tries: int = 200) -> CaseView:
    view: CaseView | None = None
    for _ in range(tries):
        view = await handle.query(PriorAuthWorkflow.status)
        if view.phase == phase:
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"phase stayed {view.phase if view else None}, wanted {phase}")


async def appeal_awaiting_signoff(
    harness: Harness, workflow_id: str
) -> tuple[WorkflowHandle[AppealWorkflow, Any], AppealView]:
    appeal = harness.client.get_workflow_handle_for(AppealWorkflow.run, workflow_id)
    for _ in range(200):
        try:
            status = await appeal.query(AppealWorkflow.appeal_status)
        except Exception:  # the child may not have run its first task yet
            await asyncio.sleep(0.05)
            continue
        if status.status == AppealStatus.AWAITING_SIGNOFF:
            return appeal, status
        await asyncio.sleep(0.05)
    raise AssertionError("appeal never reached awaiting_signoff")


async def denied_and_appealed(
    harness: Harness, handle: WorkflowHandle[Any, Any], *, sign: bool = True
) -> tuple[WorkflowHandle[AppealWorkflow, Any], AppealView]:
    """Deny item 1, file the appeal, and (optionally) sign the letter."""
    await wait_phase(handle, Phase.AWAIT_DECISION)
    await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision, decision("d-deny", deny(), at=await harness.now())
    )
    view = await handle.execute_update(
        PriorAuthWorkflow.file_appeal, FileAppealInput(actor="cm-ann")
    )
    appeal, status = await appeal_awaiting_signoff(harness, view.appeals[-1].workflow_id)
    if sign:
        assert status.letter_id is not None
        status = await appeal.execute_update(
            AppealWorkflow.sign_off, SignOffInput(actor="dr-b", letter_id=status.letter_id)
        )
    return appeal, status
