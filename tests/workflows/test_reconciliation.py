"""Reconciliation polls: a pended case whose notification is lost learns the decision by asking.

The payer here is the simulated payer without a sink (its notifications never arrive) plus a
scripted `inquire_decision` (the `InquiringGateway` capability, as PAS `$inquire` provides).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from temporalio import activity
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.letters import PlainTextRenderer
from domain.case.prior_auth import INQUIRY_ACTOR
from domain.case.vocabulary import CaseStatus, Phase
from domain.enums import DecisionSource, ItemOutcome
from domain.models import PayerDecision
from domain.payer_gateway import GatewaySubmission, InquiringGateway, InquiryUnsupportedError
from domain.polling import POLL_FIRST, next_poll_at
from integrations.routing import ManualAppealChannel, RoutingGateway
from integrations.simulated_payer import SimulatedPayer
from tests.workflows.conftest import Harness, decision, deny, pend, request, rfi
from tests.workflows.helpers import wait_phase
from worker import make_worker
from workflows.prior_auth import PriorAuthWorkflow

pytestmark = pytest.mark.temporal
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SLACK = timedelta(seconds=2)  # workflow tasks and activity scheduling take a moment


def minutes_after(start: datetime, moments: list[datetime]) -> list[int]:
    """Each moment's offset from `start` in whole minutes (asserting it is within SLACK)."""
    offsets = [round((m - start).total_seconds() / 60) for m in moments]
    for moment, minutes in zip(moments, offsets, strict=True):
        assert abs(moment - start - timedelta(minutes=minutes)) < SLACK
    return offsets


class InquiringPayer(SimulatedPayer):
    """Answers `inquire_decision` from `answer(poll number)`; records each poll's moment."""

    def __init__(self) -> None:
        super().__init__(None)
        self.answer: Callable[[int], PayerDecision | None] = lambda n: None
        self.polled_at: list[datetime] = []
        self.keys: list[str] = []
        self.hold: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def inquire_decision(self, submission: GatewaySubmission) -> PayerDecision | None:
        self.polled_at.append(activity.info().current_attempt_scheduled_time)
        self.keys.append(submission.submission_key)
        self.started.set()
        if self.hold is not None:
            await self.hold.wait()
        return self.answer(len(self.polled_at))


@pytest.fixture
async def polled(ts_env: WorkflowEnvironment) -> AsyncIterator[tuple[Harness, InquiringPayer]]:
    payer = InquiringPayer()
    h = Harness(env=ts_env, task_queue=f"tq-{uuid.uuid4().hex[:8]}", payer=payer)
    async with make_worker(
        ts_env.client,
        task_queue=h.task_queue,
        recorder=h.recorder,
        gateway=payer,
        renderer=PlainTextRenderer(),
    ):
        yield h, payer
        for handle in h.handles:
            with contextlib.suppress(RPCError):
                await handle.terminate("test finished")


def payer_decision(decision_id: str, *, at: datetime, outcome: str) -> PayerDecision:
    item = deny() if outcome == "deny" else pend()
    return PayerDecision(
        decision_id=decision_id, source=DecisionSource.PAS, decided_at=at, items=[item]
    )


async def submitted_at(handle) -> datetime:  # type: ignore[no-untyped-def]
    timeline = await handle.query(PriorAuthWorkflow.timeline)
    return next(e.at for e in timeline.entries if e.event == "submitted")


async def pended_case(harness: Harness):  # type: ignore[no-untyped-def]
    """A submitted case the payer pended synchronously (A4 + request for information)."""
    handle = await harness.start()
    await wait_phase(handle, Phase.AWAIT_DECISION)
    now = await harness.now()
    pended = decision("d-pend", pend(), at=now)
    pended.information_request = rfi(now)
    view = await handle.execute_update(PriorAuthWorkflow.record_payer_decision, pended)
    assert view.phase == Phase.PENDED
    return handle, await submitted_at(handle)


def test_schedule_is_5_minutes_then_30_then_hourly() -> None:
    moments = []
    last: datetime | None = None
    for _ in range(16):
        last = next_poll_at(T0, last)
        moments.append(last - T0)
    assert moments[0] == POLL_FIRST
    assert moments[1:3] == [timedelta(minutes=35), timedelta(minutes=65)]
    # 30-minute steps while under 6 h (the poll at 5 h 35 min), hourly after.
    assert moments[11] == timedelta(hours=5, minutes=35)
    assert moments[12] == timedelta(hours=6, minutes=5)
    assert moments[13] == timedelta(hours=7, minutes=5)
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert max(gaps) <= timedelta(hours=12)
    # A worker that was down polls once on return, then resumes the schedule from there.
    late = T0 + timedelta(days=2)
    assert next_poll_at(T0, late) == late + timedelta(hours=1)


async def test_lost_notification_is_reconciled_by_the_poll(
    polled: tuple[Harness, InquiringPayer],
) -> None:
    harness, payer = polled
    handle, start = await pended_case(harness)
    denial = payer_decision("pas-denial", at=start + timedelta(minutes=20), outcome="deny")
    payer.answer = lambda n: denial if n >= 3 else None  # a denial from the 3rd poll on
    await harness.env.sleep(timedelta(hours=2))
    view = await wait_phase(handle, Phase.ADVERSE)
    assert view.status == CaseStatus.DENIED
    assert view.items[0].outcome == ItemOutcome.DENIED
    assert view.decision_ids == ["d-pend", "pas-denial"]
    assert minutes_after(start, payer.polled_at) == [5, 35, 65]
    timeline = await handle.query(PriorAuthWorkflow.timeline)
    applied = [e for e in timeline.entries if e.event == "payer_decision"]
    assert [e.actor for e in applied] == ["payer:manual", INQUIRY_ACTOR]
    assert minutes_after(start, [applied[-1].at]) == [65]
    # The polled decision goes through the same path: store transition, tasks, appeal window.
    windows = await handle.query(PriorAuthWorkflow.deadlines)
    assert any(d.key == "appeal_filing_window" for d in windows.deadlines)
    # Decided: no more polls, however long the case waits in the appeal window.
    await harness.env.sleep(timedelta(days=1))
    assert len(payer.polled_at) == 3
    assert len(set(payer.keys)) == 3


async def test_notification_first_then_an_older_polled_answer_changes_nothing(
    polled: tuple[Harness, InquiringPayer],
) -> None:
    harness, payer = polled
    handle, start = await pended_case(harness)
    # The first poll is in flight when the final notification arrives; it then returns the
    # payer's older pended answer (its own id, decided at the submission).
    payer.hold = asyncio.Event()
    payer.answer = lambda n: payer_decision("pas-pended", at=start, outcome="pend")
    # Time stands still while the poll is in flight, so the sleep ends only after it returns.
    sleeping = asyncio.create_task(harness.env.sleep(POLL_FIRST + timedelta(seconds=30)))
    await asyncio.wait_for(payer.started.wait(), timeout=10)
    view = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision,
        decision("d-deny", deny(), at=await harness.now()),
    )
    assert view.status == CaseStatus.DENIED
    payer.hold.set()
    await sleeping
    for _ in range(200):
        timeline = await handle.query(PriorAuthWorkflow.timeline)
        if any(e.event == "payer_decision_stale" for e in timeline.entries):
            break
        await asyncio.sleep(0.05)
    stale = next(e for e in timeline.entries if e.event == "payer_decision_stale")
    assert stale.actor == INQUIRY_ACTOR
    view = await handle.query(PriorAuthWorkflow.status)
    assert view.status == CaseStatus.DENIED
    assert view.phase == Phase.ADVERSE
    assert view.items[0].outcome == ItemOutcome.DENIED
    assert view.items[0].decision_id == "d-deny"
    await harness.env.sleep(timedelta(days=1))
    assert len(payer.polled_at) == 1


async def test_polls_stop_once_the_notification_decides(
    polled: tuple[Harness, InquiringPayer],
) -> None:
    harness, payer = polled
    payer.answer = lambda n: payer_decision("pas-pended", at=T0, outcome="pend")
    handle, start = await pended_case(harness)
    await harness.env.sleep(timedelta(minutes=40))
    assert minutes_after(start, payer.polled_at) == [5, 35]
    view = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision,
        decision("d-deny", deny(), at=await harness.now()),
    )
    assert view.status == CaseStatus.DENIED
    await harness.env.sleep(timedelta(days=2))
    assert len(payer.polled_at) == 2
    timeline = await handle.query(PriorAuthWorkflow.timeline)
    # The repeated old pended answer (one id) was stale once and a duplicate afterwards.
    assert [e.event for e in timeline.entries].count("payer_decision_stale") == 1


class AnsweringChannel(ManualAppealChannel):
    async def inquire_decision(self, submission: GatewaySubmission) -> PayerDecision | None:
        return payer_decision(f"pas-{submission.case_id}", at=T0, outcome="deny")


async def test_routing_gateway_asks_the_requests_channel_only_if_it_can() -> None:
    submission = GatewaySubmission(
        case_id="c1", submission_key="c1:inquire:1:1", kind="initial", request=request()
    )
    routed = RoutingGateway(AnsweringChannel(), ManualAppealChannel())
    assert isinstance(routed, InquiringGateway)
    found = await routed.inquire_decision(submission)
    assert found is not None and found.decision_id == "pas-c1"
    no_inquiry = RoutingGateway(ManualAppealChannel(), AnsweringChannel())
    with pytest.raises(InquiryUnsupportedError):
        await no_inquiry.inquire_decision(submission)
    # The simulator only pushes its answers: the workflow stops polling it.
    assert not isinstance(SimulatedPayer(None), InquiringGateway)
