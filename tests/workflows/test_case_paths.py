"""Every path of a case on the time-skipping server, with the SQLite test store and fake letters."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.service import RPCError

from domain.case.messages import SupplyInformationInput
from domain.case.vocabulary import AppealStatus, CaseStatus, Phase, SubmissionKind
from domain.enums import ItemOutcome
from domain.escalation import EscalationLadder
from domain.models import Attachment
from tests.workflows.conftest import Harness, approve, decision, deny, pend, request, rfi
from tests.workflows.helpers import appeal_awaiting_signoff, wait_phase
from tests.workflows.stored import TaskState
from workflows.prior_auth import PriorAuthWorkflow

pytestmark = pytest.mark.temporal


async def test_approval(harness: Harness) -> None:
    handle = await harness.start()
    await wait_phase(handle, Phase.AWAIT_DECISION)
    now = await harness.now()
    view = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision, decision("d1", approve(), at=now)
    )
    assert view.status == CaseStatus.APPROVED
    assert view.phase == Phase.AUTHORIZED
    assert view.items[0].authorization_number == "AUTH-1"
    # The authorization ends 2027-02-28; sleep past it rather than `result()`, which lets the
    # shared test server skip far ahead.
    await harness.env.sleep(timedelta(days=200))
    final = await wait_phase(handle, Phase.DONE)
    assert final.status == CaseStatus.APPROVED
    assert final.closed_reason == "The authorization period has ended"
    case_id = view.case_id
    kinds = sorted(t.kind for t in harness.recorder.case_tasks(case_id))
    assert [k for k in kinds if k.startswith("escalation_renew")] == [
        "escalation_renew_d14",
        "escalation_renew_d30",
        "escalation_renew_d7",
    ]
    events = [row.event for row in harness.recorder.case_audit(case_id)]
    assert events[:3] == ["case_opened", "submitted", "payer_decision"]
    assert events[-1] == "case_closed"
    assert [s.kind for s in harness.payer.submissions.values()] == [SubmissionKind.INITIAL]


async def test_pend_supply_information_then_approval(harness: Harness) -> None:
    handle = await harness.start()
    await wait_phase(handle, Phase.AWAIT_DECISION)
    now = await harness.now()
    pended = decision("d1", pend(), at=now)
    pended.information_request = rfi(now)
    view = await handle.execute_update(PriorAuthWorkflow.record_payer_decision, pended)
    assert view.status == CaseStatus.PENDED
    assert view.phase == Phase.PENDED
    assert view.information_request is not None
    await harness.env.sleep(timedelta(days=2))
    view = await handle.execute_update(
        PriorAuthWorkflow.supply_information,
        SupplyInformationInput(
            submission_id="s1",
            actor="cm-ann",
            attachments=[Attachment(reference="doc-1", title="PT notes")],
        ),
    )
    assert view.phase == Phase.AWAIT_DECISION
    assert view.status == CaseStatus.SUBMITTED
    kinds = [s.kind for s in harness.payer.submissions.values()]
    assert kinds == [SubmissionKind.INITIAL, SubmissionKind.RESUBMISSION]
    view = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision, decision("d2", approve(), at=await harness.now())
    )
    assert view.status == CaseStatus.APPROVED
    deadlines = await handle.query(PriorAuthWorkflow.deadlines)
    rfi_deadline = next(d for d in deadlines.deadlines if d.key == "information_response")
    assert rfi_deadline.met_at is not None


async def test_partial_approval_opens_appeal_window(harness: Harness) -> None:
    handle = await harness.start(request(lines=2))
    await wait_phase(handle, Phase.AWAIT_DECISION)
    view = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision,
        decision("d1", approve(1), deny(2), at=await harness.now()),
    )
    assert view.status == CaseStatus.PARTIALLY_APPROVED
    assert view.phase == Phase.ADVERSE
    assert [i.outcome for i in view.items] == [ItemOutcome.APPROVED, ItemOutcome.DENIED]
    deadlines = await handle.query(PriorAuthWorkflow.deadlines)
    window = next(d for d in deadlines.deadlines if d.key == "appeal_filing_window")
    assert "422.582" in window.rule


async def test_modified_and_unknown_codes(harness: Harness) -> None:
    handle = await harness.start(request(lines=2))
    await wait_phase(handle, Phase.AWAIT_DECISION)
    from domain.models import ItemDecision

    view = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision,
        decision(
            "d1",
            ItemDecision(sequence=1, review_action_code="A6", modification="Outpatient site"),
            ItemDecision(sequence=2, review_action_code="PENDEDCODE"),
            at=await harness.now(),
        ),
    )
    assert view.status == CaseStatus.NEEDS_ATTENTION
    assert view.items[1].outcome == ItemOutcome.NEEDS_HUMAN_REVIEW
    tasks = harness.recorder.case_tasks(view.case_id)
    assert any(t.kind == "payer_needs_attention" for t in tasks)


async def test_duplicate_payer_decision_is_applied_once(harness: Harness) -> None:
    handle = await harness.start()
    await wait_phase(handle, Phase.AWAIT_DECISION)
    now = await harness.now()
    first = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision, decision("d1", deny(), at=now)
    )
    again = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision, decision("d1", deny(), at=now)
    )
    assert again == first
    events = [r.event for r in harness.recorder.case_audit(first.case_id)]
    assert events.count("payer_decision") == 1
    assert first.decision_ids == ["d1"]


async def test_an_older_decision_arriving_late_does_not_undo_a_newer_one(
    harness: Harness,
) -> None:
    # A payer's synchronous "pended" answer may reach the case after the notification carrying
    # its final decision: the item keeps the newer decision.
    handle = await harness.start()
    await wait_phase(handle, Phase.AWAIT_DECISION)
    now = await harness.now()
    denied = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision, decision("final", deny(), at=now)
    )
    late = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision,
        decision("early", pend(), at=now - timedelta(seconds=5)),
    )
    assert denied.status == CaseStatus.DENIED
    assert late.status == CaseStatus.DENIED and late.phase == Phase.ADVERSE
    assert late.items[0].decision_id == "final"
    events = [r.event for r in harness.recorder.case_audit(late.case_id)]
    assert events.count("payer_decision") == 1
    assert events.count("payer_decision_stale") == 1


async def test_validator_rejects_bad_update_input(harness: Harness) -> None:
    handle = await harness.start()
    await wait_phase(handle, Phase.AWAIT_DECISION)
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(
            PriorAuthWorkflow.record_payer_decision,
            decision("d1", approve(7), at=await harness.now()),
        )
    assert "items the case does not have" in str(failure.value.cause)
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            PriorAuthWorkflow.supply_information,
            SupplyInformationInput(
                submission_id="s1", actor="cm", attachments=[Attachment(reference="x", title="y")]
            ),
        )
    history = await handle.fetch_history()
    accepted = [
        e
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert accepted == []
    view = await handle.query(PriorAuthWorkflow.status)
    assert view.decision_ids == []


async def test_denial_appeal_overturned_approves_case(harness: Harness) -> None:
    from domain.case.messages import AppealDecisionInput, FileAppealInput, SignOffInput
    from workflows.appeal import AppealWorkflow

    handle = await harness.start()
    await wait_phase(handle, Phase.AWAIT_DECISION)
    view = await handle.execute_update(
        PriorAuthWorkflow.record_payer_decision, decision("d1", deny(), at=await harness.now())
    )
    assert view.status == CaseStatus.DENIED
    await harness.env.sleep(timedelta(days=3))
    view = await handle.execute_update(
        PriorAuthWorkflow.file_appeal, FileAppealInput(actor="cm-ann", arguments=["Criteria met"])
    )
    assert view.status == CaseStatus.IN_APPEAL
    assert view.appeals[0].workflow_id.endswith("-appeal-1")
    case_id = view.case_id
    recorder = harness.recorder
    # Written before `file_appeal` returned: the task it resolves, the appeal's row.
    assert recorder.task_state(case_id, "adverse_decision") == [TaskState("done", "cm-ann")]
    [stored] = recorder.case_appeals(case_id)
    assert (stored.level, stored.number, stored.sequences) == ("plan_reconsideration", 1, [1])
    assert stored.status == AppealStatus.DRAFTING and stored.arguments == ["Criteria met"]
    # One filing-window deadline, still open: the appeal workflow now watches it.
    deadlines = await handle.query(PriorAuthWorkflow.deadlines)
    assert "appeal_filing_window" not in {d.key for d in deadlines.deadlines}
    appeal, status = await appeal_awaiting_signoff(harness, view.appeals[0].workflow_id)
    assert status.letter_id is not None
    assert [d.key for d in status.deadlines] == ["appeal_filing_window"]
    # The workflow's state changes before its store write lands: wait for the write.
    for _ in range(100):
        if recorder.case_appeals(case_id)[0].status == AppealStatus.AWAITING_SIGNOFF:
            break
        await asyncio.sleep(0.05)
    assert recorder.case_appeals(case_id)[0].status == AppealStatus.AWAITING_SIGNOFF
    assert recorder.task_state(case_id, "sign_appeal_letter") == [TaskState("open")]
    with pytest.raises(WorkflowUpdateFailedError):
        await appeal.execute_update(
            AppealWorkflow.sign_off, SignOffInput(actor="dr-b", letter_id="LTR-WRONG")
        )
    status = await appeal.execute_update(
        AppealWorkflow.sign_off, SignOffInput(actor="dr-b", letter_id=status.letter_id)
    )
    assert status.status == AppealStatus.SUBMITTED
    assert any(d.key == "appeal_1_decision" for d in status.deadlines)
    assert recorder.task_state(case_id, "sign_appeal_letter") == [TaskState("done", "dr-b")]
    [stored] = recorder.case_appeals(case_id)
    assert stored.status == AppealStatus.SUBMITTED and stored.filed_at is not None
    windows = {k: d for k, d in recorder.case_deadlines(case_id).items() if "filing_window" in k}
    assert list(windows) == ["appeal_filing_window"]
    assert windows["appeal_filing_window"].met_at == stored.filed_at
    await harness.env.sleep(timedelta(days=10))
    status = await appeal.execute_update(
        AppealWorkflow.record_appeal_decision,
        AppealDecisionInput(
            decision_id="ap1", outcome="overturned", decided_at=await harness.now()
        ),
    )
    assert status.status == AppealStatus.OVERTURNED
    for _ in range(100):
        view = await handle.query(PriorAuthWorkflow.status)
        if view.status == CaseStatus.APPROVED:
            break
        await asyncio.sleep(0.05)
    assert view.status == CaseStatus.APPROVED
    assert view.appeals[0].status == AppealStatus.OVERTURNED
    assert view.items[0].outcome == ItemOutcome.APPROVED
    [stored] = recorder.case_appeals(case_id)
    assert stored.status == AppealStatus.OVERTURNED and stored.decided_at is not None
    assert recorder.open_tasks(case_id) == []
    letters = [key for key in harness.recorder.letters if key.startswith(f"{case_id}:appeal-1:")]
    assert len(letters) == 1
    appeal_kinds = [s.kind for s in harness.payer.submissions.values()]
    assert appeal_kinds == [SubmissionKind.INITIAL, SubmissionKind.APPEAL]


async def test_appeal_upheld_medicare_auto_forwards_to_ire(harness: Harness) -> None:
    from domain.case.messages import AppealDecisionInput
    from tests.workflows.helpers import denied_and_appealed
    from workflows.appeal import AppealWorkflow

    handle = await harness.start()
    appeal, _ = await denied_and_appealed(harness, handle)
    await appeal.execute_update(
        AppealWorkflow.record_appeal_decision,
        AppealDecisionInput(decision_id="ap1", outcome="upheld", decided_at=await harness.now()),
    )
    for _ in range(100):
        view = await handle.query(PriorAuthWorkflow.status)
        if len(view.appeals) == 2:
            break
        await asyncio.sleep(0.05)
    assert [a.status for a in view.appeals] == [AppealStatus.UPHELD, AppealStatus.SUBMITTED]
    assert view.appeals[1].auto_forwarded
    assert view.appeals[1].workflow_id.endswith("-appeal-2")
    assert view.status == CaseStatus.IN_APPEAL
    ire = harness.client.get_workflow_handle_for(AppealWorkflow.run, view.appeals[1].workflow_id)
    for _ in range(100):
        ire_view = await ire.query(AppealWorkflow.appeal_status)
        if ire_view.deadlines:
            break
        await asyncio.sleep(0.05)
    assert ire_view.deadlines[0].rule_id.startswith("ma.ire_forward")
    stored = harness.recorder.case_appeals(view.case_id)
    assert [(a.number, a.status) for a in stored] == [
        (1, AppealStatus.UPHELD),
        (2, AppealStatus.SUBMITTED),
    ]
    assert stored[1].filed_at is not None


async def test_appeal_upheld_erisa_offers_external_review(harness: Harness) -> None:
    from domain.case.messages import AppealDecisionInput, FileAppealInput
    from tests.workflows.helpers import appeal_awaiting_signoff, denied_and_appealed
    from workflows.appeal import AppealWorkflow

    handle = await harness.start(request(regime="erisa_group"))
    appeal, _ = await denied_and_appealed(harness, handle)
    await appeal.execute_update(
        AppealWorkflow.record_appeal_decision,
        AppealDecisionInput(decision_id="ap1", outcome="upheld", decided_at=await harness.now()),
    )
    view = await wait_phase(handle, Phase.NEXT_LEVEL_OFFERED)
    assert view.status == CaseStatus.DENIED
    offer = view.next_level_offer
    assert offer is not None and offer.level == "external_review"
    assert (
        offer.filing_due is not None and offer.filing_due.rule_id == "erisa.external_review.filing"
    )
    view = await handle.execute_update(PriorAuthWorkflow.file_appeal, FileAppealInput(actor="cm"))
    assert view.appeals[-1].workflow_id.endswith("-appeal-2")
    _, status = await appeal_awaiting_signoff(harness, view.appeals[-1].workflow_id)
    recorder = harness.recorder
    assert recorder.task_state(view.case_id, "next_level_offered") == [TaskState("done", "cm")]
    assert [d.key for d in status.deadlines] == ["next_level_filing_window"]
    assert [(a.level, a.status) for a in recorder.case_appeals(view.case_id)] == [
        ("internal_appeal", AppealStatus.UPHELD),
        ("external_review", AppealStatus.AWAITING_SIGNOFF),
    ]


@pytest.mark.parametrize("state", ["submitted", "pended", "denied", "in_appeal", "approved"])
async def test_withdrawal_in_each_state(harness: Harness, state: str) -> None:
    from domain.case.messages import WithdrawInput
    from tests.workflows.helpers import denied_and_appealed

    handle = await harness.start()
    await wait_phase(handle, Phase.AWAIT_DECISION)
    now = await harness.now()
    appeal = None
    if state == "pended":
        pended = decision("d1", pend(), at=now)
        pended.information_request = rfi(now)
        await handle.execute_update(PriorAuthWorkflow.record_payer_decision, pended)
    elif state == "denied":
        await handle.execute_update(
            PriorAuthWorkflow.record_payer_decision, decision("d1", deny(), at=now)
        )
    elif state == "in_appeal":
        appeal, _ = await denied_and_appealed(harness, handle, sign=False)
    elif state == "approved":
        await handle.execute_update(
            PriorAuthWorkflow.record_payer_decision, decision("d1", approve(), at=now)
        )
    # The time-skipping server forgets an update's outcome when the workflow closes in the
    # same task (the dev server does not): wait for acceptance, then read the result.
    await handle.start_update(
        PriorAuthWorkflow.withdraw,
        WithdrawInput(actor="cm-ann", reason="patient moved"),
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    final = await handle.result()
    assert final.status == CaseStatus.WITHDRAWN
    assert final.phase == Phase.DONE
    assert final.next_due_at is None
    kinds = [s.kind for s in harness.payer.submissions.values()]
    assert (SubmissionKind.CANCEL in kinds) == (state in ("submitted", "pended"))
    if appeal is not None:
        assert (await appeal.result()).status == AppealStatus.WITHDRAWN
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await handle.execute_update(
            PriorAuthWorkflow.withdraw, WithdrawInput(actor="cm-ann", reason="again")
        )


async def test_a_member_in_a_course_of_treatment_keeps_it_through_the_transition(
    harness: Harness,
) -> None:
    # Joined the plan on 1 November 2026 mid-treatment: 90 days with 1 November as day 1.
    base = request()
    coverage = base.coverage.model_copy(update={"continuity_of_care_from": date(2026, 11, 1)})
    handle = await harness.start(base.model_copy(update={"coverage": coverage}))
    await wait_phase(handle, Phase.AWAIT_DECISION)
    deadlines = await handle.query(PriorAuthWorkflow.deadlines)
    (transition,) = [d for d in deadlines.deadlines if d.key == "continuity_of_care"]
    assert transition.due_at.date() == date(2027, 1, 29)
    assert "422.112(b)(8)" in transition.rule
    # Its reminders are the transition's own, not a payer clock's escalation.
    rungs = [rung.name for rung in EscalationLadder().rungs_for(transition)]
    assert rungs == ["transition_d14", "transition_d3"]
