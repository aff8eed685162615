"""End to end on the real dev server with the real store (SQLite; PostgreSQL when configured).

Covers: scripted payer responses arriving as Updates, letters rendered by `letters/`, the store
read model, the search attributes, PHI absent from the server-side history, and a worker killed
while an activity is in flight.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHandle, WorkflowHistory, WorkflowUpdateStage
from temporalio.common import TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from activities.letters_renderer import LettersPackageRenderer
from domain.case.facts import CaseFacts
from domain.case.messages import SignOffInput
from domain.case.views import CaseView
from domain.case.vocabulary import AppealStatus, CaseStatus, Phase, SubmissionKind
from domain.models import PriorAuthRequest
from domain.payer_gateway import GatewayReceipt, GatewaySubmission
from integrations.simulated_payer import AppealBehaviour, Behaviour, Script, SimulatedPayer
from store import appeals, audit, cases, deadlines, letters, tasks
from store.database import read_session, transaction
from store.records import TaskStatus
from tests.workflows.conftest import MEMBER_ID, PHI_STRINGS, request, start_local
from worker import TemporalDecisionSink, make_worker
from workflows.appeal import AppealWorkflow
from workflows.constants import CASE_STATUS, NEXT_DUE_AT, PAYER
from workflows.prior_auth import PriorAuthWorkflow
from workflows.start import start_case as start_workflow_for

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]


@pytest.fixture(scope="module")
async def local_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_local()
    try:
        yield env
    finally:
        await env.shutdown()


def open_case(engine: Engine, req: PriorAuthRequest, received_at: datetime) -> str:
    case_id = f"e2e{uuid.uuid4().hex[:10]}"
    with transaction(engine) as session:
        cases.create_case(session=session, case_id=case_id, request=req, received_at=received_at)
    return case_id


async def start_case(
    client: Client, case_id: str, req: PriorAuthRequest, received_at: datetime, queue: str
) -> WorkflowHandle[PriorAuthWorkflow, CaseView]:
    return await start_workflow_for(
        client, CaseFacts.from_request(case_id, req, received_at, "cm-ann"), task_queue=queue
    )


async def until(handle: WorkflowHandle[Any, Any], check: Any, *, seconds: float = 20.0) -> CaseView:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        view: CaseView = await handle.query(PriorAuthWorkflow.status)
        if check(view):
            return view
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"case stuck at {view.status} / {view.phase}")
        await asyncio.sleep(0.1)


async def sign_when_ready(client: Client, workflow_id: str, *, wait: bool = True) -> None:
    appeal = client.get_workflow_handle_for(AppealWorkflow.run, workflow_id)
    for _ in range(200):
        try:
            status = await appeal.query(AppealWorkflow.appeal_status)
        except Exception:
            status = None
        if status is not None and status.status == AppealStatus.AWAITING_SIGNOFF:
            assert status.letter_id is not None
            await appeal.start_update(
                AppealWorkflow.sign_off,
                SignOffInput(actor="dr-b", letter_id=status.letter_id),
                wait_for_stage=WorkflowUpdateStage.COMPLETED
                if wait
                else WorkflowUpdateStage.ACCEPTED,
            )
            return
        await asyncio.sleep(0.1)
    raise AssertionError("appeal never awaited sign-off")


async def listed_as(
    handle: WorkflowHandle[Any, Any], status: str, *, seconds: float = 20.0
) -> TypedSearchAttributes:
    """The case's search attributes once it is listed with `status` (a case publishes them
    when it next waits, a moment after its state changed)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        attributes = (await handle.describe()).typed_search_attributes
        if attributes.get(CASE_STATUS) == status:
            return attributes
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"listed as {attributes.get(CASE_STATUS)}, not {status}")
        await asyncio.sleep(0.1)


def assert_no_phi(history: WorkflowHistory) -> None:
    """The events as the server stores them: payload bytes are searched raw (the JSON form
    base64-encodes them, where plain PHI would not be seen), the JSON for everything else."""
    stored = b"".join(event.SerializeToString() for event in history.events).lower()
    text = history.to_json().lower()
    leaked = [s for s in PHI_STRINGS if s.lower().encode() in stored or s.lower() in text]
    assert leaked == [], f"PHI in history: {leaked}"


async def test_a_case_is_listed_from_its_start_before_any_worker_runs(
    local_env: WorkflowEnvironment, engine: Engine
) -> None:
    client = local_env.client
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    received = datetime.now(UTC)
    req = request()
    case_id = open_case(engine, req, received)
    handle = await start_case(client, case_id, req, received, queue)  # no worker on `queue` yet
    listed = (await handle.describe()).typed_search_attributes
    assert listed.get(PAYER) == req.coverage.payer.payer_id
    assert listed.get(CASE_STATUS) == "opened"
    payer_clock = listed.get(NEXT_DUE_AT)
    assert payer_clock is not None and payer_clock > received

    payer = SimulatedPayer(TemporalDecisionSink(client), delay=0.1)
    async with make_worker(
        client, task_queue=queue, engine=engine, gateway=payer, renderer=LettersPackageRenderer()
    ):
        await until(handle, lambda v: v.status == CaseStatus.APPROVED)
        clocks = (await handle.query(PriorAuthWorkflow.deadlines)).deadlines
        await listed_as(handle, "approved")
    # The payer's clock the case listed with is the one the workflow computed.
    [clock] = [d for d in clocks if d.key == "initial_decision"]
    assert clock.due_at == payer_clock
    # It publishes changes only when it waits: nothing while it opens and submits, never the
    # payer again (the approved case is listed as approved, above).
    history = await handle.fetch_history()
    submitted = next(
        i
        for i, e in enumerate(history.events)
        if e.activity_task_scheduled_event_attributes.activity_type.name == "submit_to_payer"
    )
    upserts = [
        (i, e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
        for i, e in enumerate(history.events)
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    assert upserts and all(i > submitted and "Payer" not in fields for i, fields in upserts)


async def test_approval_and_denial_appeal_overturn_end_to_end(
    local_env: WorkflowEnvironment, engine: Engine
) -> None:
    client = local_env.client
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    payer = SimulatedPayer(TemporalDecisionSink(client), delay=0.1)
    payer.script_member(
        "W-DENY-1", Script(behaviour=Behaviour.DENY, appeal=AppealBehaviour.OVERTURN)
    )
    received = datetime.now(UTC)
    approve_req = request()
    deny_req = request(member_id="W-DENY-1")
    approve_id = open_case(engine, approve_req, received)
    deny_id = open_case(engine, deny_req, received)
    worker = make_worker(
        client, task_queue=queue, engine=engine, gateway=payer, renderer=LettersPackageRenderer()
    )
    async with worker:
        approved = await start_case(client, approve_id, approve_req, received, queue)
        denied = await start_case(client, deny_id, deny_req, received, queue)
        view = await until(approved, lambda v: v.status == CaseStatus.APPROVED)
        assert view.items[0].authorization_number
        view = await until(denied, lambda v: v.phase == Phase.ADVERSE)
        # What the Temporal UI lists: the case's status, payer and next due moment (the appeal
        # filing window), published once per step.
        attributes = await listed_as(denied, "denied")
        assert attributes.get(PAYER) == deny_req.coverage.payer.payer_id
        assert view.next_due_at is not None
        assert attributes.get(NEXT_DUE_AT) == view.next_due_at
        from domain.case.messages import FileAppealInput

        view = await denied.execute_update(
            PriorAuthWorkflow.file_appeal,
            FileAppealInput(actor="cm-ann", arguments=["Meets MP-101"]),
        )
        # The read model knows of the appeal when `file_appeal` returns.
        with read_session(engine) as session:
            [adverse] = [
                t
                for t in tasks.list_tasks(session=session, case_id=deny_id)
                if t.kind == "adverse_decision"
            ]
            assert (adverse.status, adverse.completed_by) == (TaskStatus.DONE, "cm-ann")
            queued = tasks.ur_queue(session=session, limit=500).items
            assert adverse.task_id not in {t.task_id for t in queued}
            [filed] = appeals.list_appeals(session=session, case_id=deny_id)
            assert filed.status in (AppealStatus.DRAFTING, AppealStatus.AWAITING_SIGNOFF)
            assert filed.arguments == ["Meets MP-101"] and filed.sequences == [1]
        await sign_when_ready(client, view.appeals[0].workflow_id)
        view = await until(denied, lambda v: v.status == CaseStatus.APPROVED)
        assert view.appeals[0].status == AppealStatus.OVERTURNED
        await listed_as(denied, "approved")

        # Server-side histories, read without the codec: no PHI anywhere.
        raw = await Client.connect(
            client.service_client.config.target_host, namespace=client.namespace
        )
        for wid in (approved.id, denied.id, view.appeals[0].workflow_id):
            assert_no_phi(await raw.get_workflow_handle(wid).fetch_history())
        assert MEMBER_ID not in approved.id

    with read_session(engine) as session:
        summary = cases.get_case_summary(session=session, case_id=deny_id)
        assert summary.status == CaseStatus.APPROVED
        events = [e.action for e in audit.timeline(session=session, case_id=deny_id)]
        assert events[:3] == ["case_opened", "submitted", "payer_decision"]
        assert "appeal_submitted" in events and "appeal_overturned" in events
        stored = letters.list_letters(session=session, case_id=deny_id)
        assert [s.kind for s in stored] == ["appeal_level1"]
        [appeal] = appeals.list_appeals(session=session, case_id=deny_id)
        assert appeal.status == AppealStatus.OVERTURNED
        assert appeal.filed_at is not None and appeal.decided_at is not None
        # One filing-window deadline (no copy under the appeal's own key), met on submission.
        recorded = deadlines.list_deadlines(
            session=session, case_id=deny_id, include_superseded=True
        )
        windows = [d for d in recorded if "filing_window" in d.key]
        assert [(d.key, d.met_at) for d in windows] == [("appeal_filing_window", appeal.filed_at)]
        still_open = [
            t.kind
            for t in tasks.list_tasks(session=session, case_id=deny_id, status=TaskStatus.OPEN)
            if t.deadline_key != "authorization_expiry"
        ]
        assert still_open == []
        assert audit.verify_chain(session=session).ok


class GatedPayer(SimulatedPayer):
    """Holds the first appeal submission until the test lets it go (or forever)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hold = True
        self.entered = asyncio.Event()

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        if submission.kind == SubmissionKind.APPEAL and self.hold:
            self.entered.set()
            await asyncio.sleep(3600)
        return await super().submit(submission)


async def test_worker_killed_mid_activity_finishes_without_duplicates(
    local_env: WorkflowEnvironment, engine: Engine
) -> None:
    client = local_env.client
    queue = f"restart-{uuid.uuid4().hex[:8]}"
    script = Script(behaviour=Behaviour.DENY, appeal=AppealBehaviour.OVERTURN)
    first = GatedPayer(TemporalDecisionSink(client), delay=0.1)
    first.script_member(MEMBER_ID, script)
    req = request()
    received = datetime.now(UTC)
    case_id = open_case(engine, req, received)
    renderer = LettersPackageRenderer()
    worker = make_worker(
        client,
        task_queue=queue,
        engine=engine,
        gateway=first,
        renderer=renderer,
        graceful_shutdown_timeout=timedelta(milliseconds=200),
    )
    async with worker:
        handle = await start_case(client, case_id, req, received, queue)
        await until(handle, lambda v: v.phase == Phase.ADVERSE)
        from domain.case.messages import FileAppealInput

        view = await handle.execute_update(
            PriorAuthWorkflow.file_appeal,
            FileAppealInput(actor="cm-ann", arguments=["Meets every criterion of MP-101"]),
        )
        # Sign-off completes only after the submission, which the gate holds.
        await sign_when_ready(client, view.appeals[0].workflow_id, wait=False)
        await asyncio.wait_for(first.entered.wait(), 20)
    # The worker is gone with the appeal submission in flight. A new one takes over.
    second = SimulatedPayer(TemporalDecisionSink(client), delay=0.1)
    second.script_member(MEMBER_ID, script)
    second.submissions = dict(first.submissions)  # the same payer, seen from a new process
    second._pended = set(first._pended)
    async with make_worker(
        client, task_queue=queue, engine=engine, gateway=second, renderer=renderer
    ):
        view = await until(handle, lambda v: v.status == CaseStatus.APPROVED, seconds=60)
    with read_session(engine) as session:
        events = audit.timeline(session=session, case_id=case_id)
        keys = Counter(e.idempotency_key for e in events)
        assert max(keys.values()) == 1
        actions = Counter(e.action for e in events)
        assert actions["appeal_submitted"] == 1
        assert actions["payer_decision"] == 1
        assert actions["appeal_letter_ready"] == 1
        stored = letters.list_letters(session=session, case_id=case_id)
        assert len(stored) == 1
        task_keys = Counter(
            t.idempotency_key for t in tasks.list_tasks(session=session, case_id=case_id)
        )
        assert max(task_keys.values()) == 1
        signed = [
            (t.status, t.completed_by)
            for t in tasks.list_tasks(session=session, case_id=case_id)
            if t.kind == "sign_appeal_letter"
        ]
        assert signed == [(TaskStatus.DONE, "dr-b")]
        [appeal] = appeals.list_appeals(session=session, case_id=case_id)
        assert appeal.status == AppealStatus.OVERTURNED
    assert [s.kind for s in second.submissions.values()].count(SubmissionKind.APPEAL) == 1
