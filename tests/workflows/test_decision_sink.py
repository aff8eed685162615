"""The payer's answer to a submission is in the case's history before the submission completes.

A gateway such as PAS hands its synchronous answer to `TemporalDecisionSink` from inside the
submit activity. If the worker died between the activity completing and the answer being
delivered, the answer would be gone until a reconciliation poll found it (minutes later). So
the sink returns only once the case workflow has accepted the Update: in the history, the
Update is accepted before the submit activity completes.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.letters import PlainTextRenderer
from domain.case.vocabulary import CaseStatus, Phase
from domain.payer_gateway import GatewayReceipt, GatewaySubmission
from integrations.simulated_payer import SimulatedPayer
from tests.workflows.conftest import Harness
from tests.workflows.helpers import wait_phase
from worker import TemporalDecisionSink, make_worker

pytestmark = pytest.mark.temporal


class AnswersOnSubmit(SimulatedPayer):
    """Approves in the answer to the submission, handing it to the sink before returning."""

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        receipt = await super().submit(submission)
        decision, rfi = self.respond(submission)
        assert decision is not None and self.sink is not None
        await self.sink.payer_decision(submission.case_id, decision, rfi)
        return receipt


@pytest.fixture
async def answered(ts_env: WorkflowEnvironment) -> AsyncIterator[Harness]:
    payer = AnswersOnSubmit(None)
    payer.sink = TemporalDecisionSink(ts_env.client)
    h = Harness(env=ts_env, task_queue=f"tq-{uuid.uuid4().hex[:8]}", payer=payer)
    async with make_worker(
        ts_env.client,
        task_queue=h.task_queue,
        recorder=h.recorder,
        gateway=payer,
        renderer=PlainTextRenderer(),
    ):
        yield h
        for handle in h.handles:
            with contextlib.suppress(RPCError):
                await handle.terminate("test finished")


async def test_a_synchronous_answer_is_accepted_before_the_submission_completes(
    answered: Harness,
) -> None:
    handle = await answered.start()
    view = await wait_phase(handle, Phase.AUTHORIZED)
    assert view.status == CaseStatus.APPROVED
    events = [(e.event_type, e) for e in (await handle.fetch_history()).events]
    [submitted] = [
        i
        for i, (kind, e) in enumerate(events)
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "submit_to_payer"
    ]
    [completed] = [
        i
        for i, (kind, e) in enumerate(events)
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and e.activity_task_completed_event_attributes.scheduled_event_id == submitted + 1
    ]
    accepted = [
        i
        for i, (kind, e) in enumerate(events)
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
        == f"payer-{view.decision_ids[0]}"
    ]
    assert len(accepted) == 1 and accepted[0] < completed
