"""The worker's production sandbox (`worker.WORKFLOW_RUNNER`, which re-imports the domain in the
sandbox) can deny a case at a payer whose peer-to-peer window counts business days: the
window's end comes from the deadline activity, so the holiday calendar is never built inside
the workflow (where `holidays` would read the clock and its translation catalogue, which the
sandbox forbids)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.letters import PlainTextRenderer
from domain.case.facts import CaseFacts
from domain.case.vocabulary import CaseStatus, Phase
from domain.deadlines.calendars import holiday_dates
from domain.peer_to_peer import PeerToPeerWindow, WindowUnit
from integrations.simulated_payer import SimulatedPayer
from tests.workflows.conftest import decision, deny, request
from tests.workflows.helpers import wait_phase
from tests.workflows.stored import ObservedRecorder
from worker import WORKFLOW_RUNNER, make_worker
from workflows.prior_auth import PriorAuthWorkflow
from workflows.start import start_case


async def test_a_business_day_window_opens_under_the_production_sandbox(
    ts_env: WorkflowEnvironment,
) -> None:
    holiday_dates.cache_clear()  # as in a fresh worker process
    task_queue = f"tq-{uuid.uuid4().hex[:8]}"
    recorder = ObservedRecorder()
    worker = make_worker(
        ts_env.client,
        task_queue=task_queue,
        recorder=recorder,
        gateway=SimulatedPayer(None),
        renderer=PlainTextRenderer(),
        workflow_runner=WORKFLOW_RUNNER,
    )
    async with worker:
        req = request()
        case_id = f"c{uuid.uuid4().hex[:12]}"
        now = await ts_env.get_current_time()
        recorder.open_case(case_id, req, now, "cm-ann")
        window = PeerToPeerWindow(amount=5, unit=WindowUnit.BUSINESS_DAYS)
        facts = CaseFacts.from_request(case_id, req, now, "cm-ann").model_copy(
            update={"peer_to_peer_window": window}
        )
        handle: WorkflowHandle[Any, Any] = await start_case(
            ts_env.client, facts, task_queue=task_queue
        )
        try:
            await wait_phase(handle, Phase.AWAIT_DECISION)
            # A calendar built inside the workflow would fail the workflow task, retried for
            # ever: the update would never complete.
            await asyncio.wait_for(
                handle.execute_update(
                    PriorAuthWorkflow.record_payer_decision, decision("d-deny", deny(), at=now)
                ),
                timeout=20,
            )
            view = await handle.query(PriorAuthWorkflow.status)
            assert view.status == CaseStatus.DENIED
            deadlines = await handle.query(PriorAuthWorkflow.deadlines)
            assert "peer_to_peer_window" in {d.key for d in deadlines.deadlines}
        finally:
            with contextlib.suppress(RPCError):
                await handle.terminate("test finished")
