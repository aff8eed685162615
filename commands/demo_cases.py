"""The scripted cases `priorauth demo` runs through the running dev stack, then their timelines.

Needs `priorauth dev` (dev server + `python worker.py`) running. The worker's simulated payer
knows the demo members (`integrations.simulated_payer.DEMO_SCRIPTS`): an approval, a pend then
approval, a denial that is appealed and overturned, and a silent payer whose expedited clock
has already run out (so the escalation ladder fires at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from config.settings import Settings, get_settings
from config.temporal import connect
from domain.case.facts import CaseFacts
from domain.case.messages import FileAppealInput, SignOffInput, SupplyInformationInput
from domain.case.views import CaseView
from domain.case.vocabulary import AppealStatus, CaseStatus, Phase
from domain.models import Attachment, PriorAuthRequest
from store import cases
from store.database import make_engine, transaction
from workflows.appeal import AppealWorkflow
from workflows.prior_auth import PriorAuthWorkflow
from workflows.start import start_case


def _request(member_id: str, *, expedited: bool = False) -> PriorAuthRequest:
    return PriorAuthRequest.model_validate(
        {
            "member": {
                "member_id": member_id,
                "first_name": "Demo",
                "last_name": "Patient",
                "birth_date": "1955-06-01",
            },
            "coverage": {
                "regime": "medicare_advantage",
                "payer": {
                    "name": "Demo Advantage Plan",
                    "payer_id": "DEMO01",
                    "timezone": "America/Chicago",
                    "appeals_fax": "(555) 010-0199",
                },
                "plan_name": "Demo Advantage PPO",
            },
            "requesting_provider": {"npi": "1234567893", "name": "Dr. Demo Ortho"},
            "service_lines": [
                {
                    "sequence": 1,
                    "code": "27447",
                    "description": "Total knee arthroplasty",
                    "start_date": "2026-12-15",
                }
            ],
            "diagnoses": [{"code": "M17.11", "primary": True}],
            "urgency": "expedited" if expedited else "standard",
            "urgency_justification": "Delay would jeopardize function" if expedited else None,
            "clinical_summary": "Severe osteoarthritis after six months of conservative care.",
            "attachments": [{"reference": "demo-xray", "title": "Knee X-ray report"}],
        }
    )


async def _until(
    handle: WorkflowHandle[Any, Any], check: Callable[[CaseView], bool], seconds: float = 30
) -> CaseView:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while True:
        view: CaseView = await handle.query(PriorAuthWorkflow.status)
        if check(view) or loop.time() > end:
            return view
        await asyncio.sleep(0.2)


async def _start(
    client: Client, settings: Settings, engine: Any, member: str, **kw: Any
) -> WorkflowHandle[PriorAuthWorkflow, CaseView]:
    received = kw.pop("received_at", datetime.now(UTC))
    req = _request(member, **kw)
    case_id = f"demo{uuid.uuid4().hex[:10]}"
    with transaction(engine) as session:
        cases.create_case(session=session, case_id=case_id, request=req, received_at=received)
    return await start_case(
        client,
        CaseFacts.from_request(case_id, req, received, "demo-cm"),
        task_queue=settings.task_queue,
    )


async def _sign(client: Client, workflow_id: str) -> None:
    appeal = client.get_workflow_handle_for(AppealWorkflow.run, workflow_id)
    for _ in range(150):
        try:
            status = await appeal.query(AppealWorkflow.appeal_status)
        except Exception:
            await asyncio.sleep(0.2)
            continue
        if status.status == AppealStatus.AWAITING_SIGNOFF:
            # temporalio's stubs type an async update's result as its coroutine; unused here.
            _ = await appeal.execute_update(
                AppealWorkflow.sign_off,
                SignOffInput(actor="demo-physician", letter_id=status.letter_id or "none"),
            )
            return
        await asyncio.sleep(0.2)


async def _print_timeline(title: str, handle: WorkflowHandle[Any, Any]) -> None:
    view = await handle.query(PriorAuthWorkflow.status)
    timeline = await handle.query(PriorAuthWorkflow.timeline)
    print(f"\n== {title}: {handle.id} -> {view.status.value} ({view.phase.value})")
    for entry in timeline.entries:
        print(f"  {entry.at:%Y-%m-%d %H:%M:%S}Z  {entry.event:<24} {entry.summary}")


class DemoUnavailableError(Exception):
    """The stack the demo drives is not running."""


async def run_demo(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    try:
        client = await connect(settings)
    except RuntimeError as exc:  # the SDK's bridge reports a refused connection this way
        raise DemoUnavailableError(
            f"cannot reach Temporal at {settings.temporal_address}: start the stack with "
            "`make run` (or `priorauth dev`) in another terminal first"
        ) from exc
    engine = make_engine(settings.resolved_database_url)
    try:
        approval = await _start(client, settings, engine, "DEMO-APPROVE")
        pend = await _start(client, settings, engine, "DEMO-PEND")
        denial = await _start(client, settings, engine, "DEMO-DENY")
        silent = await _start(
            client,
            settings,
            engine,
            "DEMO-SILENT",
            expedited=True,
            received_at=datetime.now(UTC) - timedelta(hours=73),
        )
        await _until(approval, lambda v: v.phase == Phase.AUTHORIZED)
        pended = await _until(pend, lambda v: v.phase == Phase.PENDED)
        if pended.phase == Phase.PENDED:
            # The sandbox payer may decide a pended case on its own meanwhile.
            with contextlib.suppress(WorkflowUpdateFailedError):
                _ = await pend.execute_update(
                    PriorAuthWorkflow.supply_information,
                    SupplyInformationInput(
                        submission_id="demo-1",
                        actor="demo-cm",
                        attachments=[Attachment(reference="demo-notes", title="Clinical notes")],
                    ),
                )
        await _until(pend, lambda v: v.phase == Phase.AUTHORIZED)
        await _until(denial, lambda v: v.phase == Phase.ADVERSE)
        view = cast(
            CaseView,
            await denial.execute_update(
                PriorAuthWorkflow.file_appeal,
                FileAppealInput(actor="demo-cm", arguments=["Meets every criterion of the policy"]),
            ),
        )
        await _sign(client, view.appeals[0].workflow_id)
        await _until(denial, lambda v: v.status == CaseStatus.APPROVED)
        await asyncio.sleep(1)  # let the silent case's overdue rung fire
        for title, handle in (
            ("Approval", approval),
            ("Pend, information, approval", pend),
            ("Denial, appeal, overturned", denial),
            ("Silent payer, escalated", silent),
        ):
            await _print_timeline(title, handle)
    finally:
        engine.dispose()
