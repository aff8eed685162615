"""Escalation rungs fire at the right moments, and moved deadlines leave no stale timer."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from domain.case.messages import PayerExtensionInput
from domain.case.vocabulary import CaseStatus, Phase
from domain.escalation import TaskQueue
from domain.models import CaseDeadline
from tests.workflows.conftest import Harness, approve, decision, deny, request
from tests.workflows.helpers import wait_phase
from tests.workflows.stored import TaskState
from workflows.prior_auth import PriorAuthWorkflow

pytestmark = pytest.mark.temporal
SLACK = timedelta(seconds=5)


async def deadline(handle, key: str) -> CaseDeadline:  # type: ignore[no-untyped-def]
    view = await handle.query(PriorAuthWorkflow.deadlines)
    return next(d for d in view.deadlines if d.key == key)


def fired(harness: Harness, case_id: str) -> list[tuple[str, datetime, TaskQueue]]:
    return [
        (e.task.kind.removeprefix("escalation_"), e.occurred_at, e.task.queue)
        for e in harness.recorder.escalations
        if e.case_id == case_id
    ]


async def sleep_until(harness: Harness, moment: datetime) -> None:
    gap = moment - await harness.now()
    if gap > timedelta(0):
        await harness.env.sleep(gap)


async def test_expedited_72_hour_medicare_advantage_clock(harness: Harness) -> None:
    received = await harness.now()
    handle = await harness.start(request(urgency="expedited"), received_at=received)
    view = await wait_phase(handle, Phase.AWAIT_DECISION)
    clock = await deadline(handle, "initial_decision")
    assert clock.due_at - received == timedelta(hours=72)
    assert clock.rule.startswith("42 CFR 422.572")

    await sleep_until(harness, received + timedelta(hours=35))
    assert fired(harness, view.case_id) == []
    await sleep_until(harness, received + timedelta(hours=37))
    await sleep_until(harness, received + timedelta(hours=58))
    await sleep_until(harness, received + timedelta(hours=73))
    await wait_phase(handle, Phase.AWAIT_DECISION)
    rungs = fired(harness, view.case_id)
    assert [(name, queue) for name, _, queue in rungs] == [
        ("half", TaskQueue.ASSIGNEE),
        ("eighty", TaskQueue.UR),
        ("missed", TaskQueue.SUPERVISOR),
    ]
    expected = [timedelta(hours=36), timedelta(hours=57.6), timedelta(hours=72)]
    for (_, at, _), offset in zip(rungs, expected, strict=True):
        assert abs(at - (received + offset)) < SLACK
    letters = [k for k in harness.recorder.letters if ":letter:missed:" in k]
    assert len(letters) == 1
    tasks = {t.kind for t in harness.recorder.case_tasks(view.case_id)}
    assert {"escalation_half", "escalation_eighty", "escalation_missed"} <= tasks


async def test_standard_7_day_medicare_advantage_clock(harness: Harness) -> None:
    received = await harness.now()
    handle = await harness.start(request(), received_at=received)
    view = await wait_phase(handle, Phase.AWAIT_DECISION)
    clock = await deadline(handle, "initial_decision")
    assert "422.568" in clock.rule
    window = clock.due_at - received
    assert timedelta(days=7) <= window < timedelta(days=8)
    await sleep_until(harness, clock.due_at + timedelta(hours=1))
    await wait_phase(handle, Phase.AWAIT_DECISION)
    rungs = fired(harness, view.case_id)
    assert [name for name, _, _ in rungs] == ["half", "eighty", "missed"]
    for (_, at, _), fraction in zip(rungs, (0.5, 0.8, 1.0), strict=True):
        assert abs(at - (received + window * fraction)) < SLACK
    assert {t.kind for t in harness.recorder.open_tasks(view.case_id)} == {
        "escalation_half",
        "escalation_eighty",
        "escalation_missed",
    }
    # The payer decides late: its clock is met and the chase after it ends.
    await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision, decision("d1", approve(), at=await harness.now())
    )
    assert harness.recorder.open_tasks(view.case_id) == []
    for kind in ("escalation_half", "escalation_eighty", "escalation_missed"):
        assert harness.recorder.task_state(view.case_id, kind) == [TaskState("cancelled", "system")]
    assert harness.recorder.case_deadlines(view.case_id)["initial_decision"].met_at is not None


async def test_extension_moves_the_timers_without_stale_rungs(harness: Harness) -> None:
    received = await harness.now()
    handle = await harness.start(request(), received_at=received)
    view = await wait_phase(handle, Phase.AWAIT_DECISION)
    original = await deadline(handle, "initial_decision")
    await sleep_until(harness, received + timedelta(days=2))
    await handle.execute_update(
        PriorAuthWorkflow.record_payer_extension,
        PayerExtensionInput(
            notice_id="ext-1", noticed_at=await harness.now(), reason="Awaiting outside records"
        ),
    )
    extended = await deadline(handle, "initial_decision")
    assert extended.due_at - original.due_at == timedelta(days=14)
    assert extended.rule_id.endswith("extended")
    # Past the original due moment: neither the old 50 %, 80 % nor "missed" rung fires.
    await sleep_until(harness, original.due_at + timedelta(days=1))
    assert fired(harness, view.case_id) == []
    window = extended.due_at - received
    await sleep_until(harness, received + window * 0.5 + timedelta(minutes=1))
    await wait_phase(handle, Phase.AWAIT_DECISION)
    rungs = fired(harness, view.case_id)
    assert [name for name, _, _ in rungs] == ["half"]
    assert abs(rungs[0][1] - (received + window * 0.5)) < SLACK
    # A payer date moves it again; the rung plan follows.
    new_due = extended.due_at - timedelta(days=3)
    await handle.execute_update(
        PriorAuthWorkflow.record_payer_extension,
        PayerExtensionInput(
            notice_id="ext-2",
            noticed_at=await harness.now(),
            reason="Payer date",
            new_due_at=new_due,
        ),
    )
    assert (await deadline(handle, "initial_decision")).due_at == new_due
    # The reminder of the replaced due moment is withdrawn; the new one (already due) is open.
    for _ in range(100):
        halves = harness.recorder.task_state(view.case_id, "escalation_half")
        if len(halves) == 2:
            break
        await asyncio.sleep(0.05)
    assert halves == [TaskState("cancelled", "system"), TaskState("open")]
    view_deadlines = await handle.query(PriorAuthWorkflow.deadlines)
    assert view_deadlines.next_escalation is not None
    assert view_deadlines.next_escalation.endswith("#eighty")


async def test_missed_appeal_window_closes_the_case(harness: Harness) -> None:
    handle = await harness.start(request())
    await wait_phase(handle, Phase.AWAIT_DECISION)
    decided = await harness.now()
    view = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision, decision("d1", deny(), at=decided)
    )
    window = await deadline(handle, "appeal_filing_window")
    assert "422.582" in window.rule
    await sleep_until(harness, window.due_at + timedelta(minutes=1))
    final = await wait_phase(handle, Phase.DONE)
    assert final.status == CaseStatus.CLOSED
    assert final.closed_reason == "The appeal filing window passed without an appeal"
    rungs = fired(harness, view.case_id)
    assert [name for name, _, _ in rungs] == ["d7", "d3", "d1", "due"]
    for (_, at, _), days in zip(rungs, (7, 3, 1, 0), strict=True):
        assert abs(at - (window.due_at - timedelta(days=days))) < SLACK
    tasks = {t.kind for t in harness.recorder.case_tasks(view.case_id)}
    assert "appeal_window_missed" in tasks
    # Only the supervisor's review stays open; the window is recorded once, closed unmet.
    open_kinds = [t.kind for t in harness.recorder.open_tasks(view.case_id)]
    assert open_kinds == ["appeal_window_missed"]
    assert harness.recorder.task_state(view.case_id, "adverse_decision") == [
        TaskState("cancelled", "system")
    ]
    windows = {
        key: d
        for key, d in harness.recorder.case_deadlines(view.case_id).items()
        if "filing_window" in key
    }
    assert list(windows) == ["appeal_filing_window"]
    assert windows["appeal_filing_window"].superseded
    assert windows["appeal_filing_window"].met_at is None


async def _appeal_decision_clock(harness: Harness, appeal) -> CaseDeadline:  # type: ignore[no-untyped-def]
    from workflows.appeal import AppealWorkflow

    for _ in range(200):
        view = await appeal.query(AppealWorkflow.appeal_status)
        found = [d for d in view.deadlines if d.key.endswith("decision")]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError("the appeal's decision clock never started")


async def test_ma_plan_missing_its_reconsideration_deadline_forwards_to_the_ire(
    harness: Harness,
) -> None:
    from domain.case.vocabulary import AppealStatus
    from tests.workflows.helpers import denied_and_appealed

    handle = await harness.start(request())
    appeal, _ = await denied_and_appealed(harness, handle)
    clock = await _appeal_decision_clock(harness, appeal)
    assert "422.590" in clock.rule
    case_id = (await handle.query(PriorAuthWorkflow.status)).case_id

    from workflows.appeal import AppealWorkflow

    await sleep_until(harness, clock.due_at - timedelta(minutes=5))
    assert (await appeal.query(AppealWorkflow.appeal_status)).status == AppealStatus.SUBMITTED

    await sleep_until(harness, clock.due_at + timedelta(minutes=1))
    for _ in range(200):
        view = await handle.query(PriorAuthWorkflow.status)
        if len(view.appeals) == 2:
            break
        await asyncio.sleep(0.05)
    # Silence is an affirmation: level 1 upheld, the IRE level forwarded without a filing.
    assert [a.status for a in view.appeals] == [AppealStatus.UPHELD, AppealStatus.SUBMITTED]
    assert view.appeals[1].auto_forwarded
    assert view.status == CaseStatus.IN_APPEAL
    stored = harness.recorder.case_appeals(case_id)
    assert [(a.number, a.status) for a in stored] == [
        (1, AppealStatus.UPHELD),
        (2, AppealStatus.SUBMITTED),
    ]
    assert stored[0].outcome_note is not None and "missed" in stored[0].outcome_note
    # The missed rung still fired for the supervisor, once.
    missed = [(n, q) for n, _, q in fired(harness, case_id) if n == "missed"]
    assert missed == [("missed", TaskQueue.SUPERVISOR)]
    events = [row.event for row in harness.recorder.audit if row.case_id == case_id]
    assert events.count("appeal_deadline_missed") == 1


async def test_erisa_plan_missing_its_appeal_deadline_escalates_without_deciding(
    harness: Harness,
) -> None:
    from domain.case.vocabulary import AppealStatus
    from tests.workflows.helpers import denied_and_appealed

    handle = await harness.start(request(regime="erisa_group"))
    appeal, _ = await denied_and_appealed(harness, handle)
    clock = await _appeal_decision_clock(harness, appeal)
    case_id = (await handle.query(PriorAuthWorkflow.status)).case_id
    from workflows.appeal import AppealWorkflow

    await sleep_until(harness, clock.due_at + timedelta(hours=1))
    view = await wait_phase(handle, Phase.IN_APPEAL)
    # No deemed outcome under ERISA here: the case waits in appeal, the supervisor is told.
    assert len(view.appeals) == 1
    assert (await appeal.query(AppealWorkflow.appeal_status)).status == AppealStatus.SUBMITTED
    assert ("missed", TaskQueue.SUPERVISOR) in [(n, q) for n, _, q in fired(harness, case_id)]
