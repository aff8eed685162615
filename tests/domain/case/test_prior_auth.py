"""Each prior-auth case step and Update rule called directly (no Temporal)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.appeals import AppealLevel
from domain.case import prior_auth as case
from domain.case import prior_auth_payer as payer
from domain.case.appeal_result import AppealResult
from domain.case.messages import ContactInput, PayerExtensionInput, UnitsUsedInput
from domain.case.prior_auth_rules import (
    APPEAL_WINDOW,
    INFORMATION_RESPONSE,
    INITIAL_DECISION,
    PEER_TO_PEER_WINDOW,
    contact_problem,
    decision_problem,
    extension_problem,
    summarize,
    units_used_problem,
)
from domain.case.step import find_deadline, is_active, payer_rejected
from domain.case.vocabulary import AppealStatus, CaseEvent, CaseStatus, Phase, TaskKind
from domain.enums import ContactChannel, ItemOutcome
from domain.escalation import AUTHORIZATION_EXPIRY_KEY
from domain.models import ContactLogEntry, Obligor
from domain.peer_to_peer import PeerToPeerWindow
from tests.domain.case.prior_auth_factories import (
    CASE,
    T0,
    Driver,
    decision,
    facts,
    item,
    rfi,
    supply,
)

DENIED = ItemOutcome.DENIED
APPROVED = ItemOutcome.APPROVED


def opened() -> Driver:
    driver = Driver()
    driver.open()
    return driver


def denied() -> Driver:
    driver = opened()
    assert driver.decide(decision("d-1", item(1, DENIED), item(2, DENIED))) is None
    return driver


def test_opening_sets_the_payers_clock_and_submits() -> None:
    driver = opened()
    opening, submitted = driver.transitions
    assert opening.key == f"{CASE}:case:00001"
    assert opening.event == CaseEvent.CASE_OPENED and opening.status == CaseStatus.OPENED
    assert [d.key for d in opening.deadlines] == [INITIAL_DECISION]
    assert opening.rule == opening.deadlines[0].rule
    assert submitted.event == CaseEvent.SUBMITTED
    assert driver.state.phase == Phase.AWAIT_DECISION
    assert driver.state.status == CaseStatus.SUBMITTED
    assert driver.state.poll_from == T0


def test_steps_never_mutate_their_input() -> None:
    driver = opened()
    before = driver.state.model_dump()
    message = decision("d-1", item(1, DENIED), item(2, DENIED))
    payer.on_payer_decision(
        driver.state, driver.facts, message, now=T0, stamp=driver.stamp(), window=None
    )
    assert driver.state.model_dump() == before


def test_a_rule_less_clock_is_a_deadline_unknown_step_of_its_own() -> None:
    driver = Driver(answer=lambda question: None)
    driver.open(submit=False)
    unknown, opening = driver.transitions
    assert unknown.event == CaseEvent.DEADLINE_UNKNOWN
    assert [t.kind for t in unknown.tasks] == [TaskKind.DEADLINE_UNKNOWN]
    assert unknown.key.endswith(":00001") and opening.key.endswith(":00002")
    assert opening.deadlines == []


def test_payer_rejection_is_recorded_before_the_case_changes() -> None:
    driver = Driver()
    driver.open(submit=False)
    state, kind, number = case.on_submission_started(driver.state)
    rejected = payer_rejected(driver.stamp(), kind, "invalid_request", state=state)
    assert rejected.status == CaseStatus.NEEDS_ATTENTION
    assert [t.kind for t in rejected.tasks] == [TaskKind.PAYER_REJECTED]
    after = case.on_submission_rejected(state)
    assert (after.status, after.phase, after.poll_from) == (
        CaseStatus.NEEDS_ATTENTION,
        Phase.AWAIT_DECISION,
        None,
    )
    assert number == 1 and state.submissions == 1


def test_a_denial_opens_the_appeal_window_and_a_task() -> None:
    driver = denied()
    step = driver.transitions[-1]
    assert step.event == CaseEvent.PAYER_DECISION
    assert driver.state.status == CaseStatus.DENIED and driver.state.phase == Phase.ADVERSE
    keys = {d.key: d for d in step.deadlines}
    assert keys[INITIAL_DECISION].met_at == T0
    assert APPEAL_WINDOW in keys and is_active(keys[APPEAL_WINDOW])
    assert [t.kind for t in step.tasks] == [TaskKind.ADVERSE_DECISION]
    assert driver.state.poll_from is None


def test_an_approval_watches_the_authorization_period() -> None:
    driver = opened()
    end = (T0 + timedelta(days=90)).date()
    driver.decide(decision("d-1", item(1, APPROVED, authorized_end=end), item(2, APPROVED)))
    assert driver.state.phase == Phase.AUTHORIZED
    expiry = find_deadline(driver.state.deadlines, AUTHORIZATION_EXPIRY_KEY)
    assert expiry is not None and expiry.due_at.date() >= end
    ended = case.on_authorization_ended(driver.state, driver.stamp())
    assert ended[0].phase == Phase.DONE and ended[0].status == CaseStatus.APPROVED
    assert all(not is_active(d) for d in ended[0].deadlines)


def test_a_pend_asks_for_information_and_supply_resubmits() -> None:
    driver = opened()
    driver.decide(decision("d-1", item(1, ItemOutcome.PENDED), rfi=rfi()))
    assert driver.state.phase == Phase.PENDED and driver.state.rfi is not None
    pend = driver.transitions[-1]
    assert [t.kind for t in pend.tasks] == [TaskKind.INFORMATION_REQUESTED]
    assert INFORMATION_RESPONSE in {d.key for d in pend.deadlines}
    assert driver.supply(supply()) is None
    supplied = driver.transitions[-2]
    assert supplied.event == CaseEvent.INFORMATION_SUPPLIED
    response = find_deadline(driver.state.deadlines, INFORMATION_RESPONSE)
    assert response is not None and response.met_at is not None
    assert driver.transitions[-1].event == CaseEvent.RESUBMITTED
    assert driver.state.rfi is None and driver.state.pending_attachments == []
    assert driver.supply(supply()) is None  # a duplicate: accepted, nothing recorded
    assert driver.transitions[-1].event == CaseEvent.RESUBMITTED


def test_a_duplicate_decision_is_a_no_op() -> None:
    driver = denied()
    message = decision("d-1", item(1, DENIED), item(2, DENIED))
    assert decision_problem(driver.state, message) is None
    state, transition = payer.on_payer_decision(
        driver.state, driver.facts, message, now=T0, stamp=driver.stamp()
    )
    assert transition is None and state == driver.state


def test_an_older_decision_is_kept_for_the_record_only() -> None:
    driver = denied()
    late = decision("d-0", item(1, ItemOutcome.PENDED), at=T0 + timedelta(days=1))
    driver.decide(late)
    assert driver.transitions[-1].event == CaseEvent.PAYER_DECISION_STALE
    assert driver.state.status == CaseStatus.DENIED
    assert [i.decision_id for i in driver.state.items] == ["d-1", "d-1"]
    assert "d-0" in driver.state.decision_ids


def test_extension_with_and_without_a_payer_date() -> None:
    driver = opened()
    due = find_deadline(driver.state.deadlines, INITIAL_DECISION)
    assert due is not None
    named = PayerExtensionInput(
        notice_id="n-1",
        noticed_at=T0,
        reason="More time",
        new_due_at=due.due_at + timedelta(days=9),
    )
    assert extension_problem(driver.state, named, T0) is None
    driver.extend(named)
    moved = driver.transitions[-1].deadlines[0]
    assert moved.due_at == due.due_at + timedelta(days=9) and "n-1" in moved.rule
    taken = PayerExtensionInput(notice_id="n-2", noticed_at=T0, reason="Extension")
    driver.extend(taken)
    assert driver.state.extension_taken
    assert driver.extend(taken) is None and driver.transitions[-1].details  # duplicate: no step
    assert len([t for t in driver.transitions if t.event == CaseEvent.PAYER_EXTENSION]) == 2
    past = PayerExtensionInput(notice_id="n-3", noticed_at=T0, reason="x", new_due_at=T0)
    assert extension_problem(driver.state, past, T0) == "new_due_at is in the past"


def test_peer_to_peer_accept_and_their_rules() -> None:
    driver = opened()
    assert driver.peer_to_peer() is not None and driver.accept() is not None
    driver = denied()
    assert driver.peer_to_peer() is None
    assert driver.state.peer_to_peer_requested
    assert driver.accept() is None
    closing = driver.transitions[-1]
    assert closing.event == CaseEvent.DENIAL_ACCEPTED and driver.state.phase == Phase.DONE
    assert driver.state.status == CaseStatus.CLOSED
    assert all(not is_active(d) for d in driver.state.deadlines)


def test_window_missed_closes_with_a_supervisor_task() -> None:
    driver = denied()
    assert driver.window_missed() is None
    missed = driver.transitions[-1]
    assert missed.event == CaseEvent.APPEAL_WINDOW_MISSED
    assert [t.kind for t in missed.tasks] == [TaskKind.APPEAL_WINDOW_MISSED]
    window = find_deadline(driver.state.deadlines, APPEAL_WINDOW)
    assert window is not None and window.superseded
    assert driver.window_missed() == "no"


def test_withdraw_assign_note_contact() -> None:
    driver = opened()
    driver.assign("cm-bob")
    assert driver.transitions[-1].assignee == "cm-bob"
    driver.note()
    contact = ContactInput(
        actor="cm-ann",
        contact=ContactLogEntry(
            channel=ContactChannel.PORTAL, occurred_at=T0 + timedelta(hours=1), summary="x"
        ),
    )
    assert contact_problem(driver.state, contact, T0) == "occurred_at is in the future"
    assert contact_problem(driver.state, contact, T0 + timedelta(hours=1)) is None
    driver.apply(case.on_contact(driver.state, contact, driver.stamp()))
    assert driver.transitions[-1].contact == contact.contact
    assert driver.withdraw() is None
    assert driver.state.status == CaseStatus.WITHDRAWN and driver.state.phase == Phase.DONE
    assert driver.withdraw() is not None and driver.note() is not None


def test_filing_hands_the_window_over_and_an_upheld_level_offers_the_next() -> None:
    driver = denied()
    assert driver.file_appeal() is None
    filed = driver.transitions[-1]
    assert filed.event == CaseEvent.APPEAL_FILED and filed.appeal is not None
    assert find_deadline(driver.state.deadlines, APPEAL_WINDOW) is None  # the child's now
    assert driver.state.status == CaseStatus.IN_APPEAL
    upheld = AppealResult(
        level=AppealLevel.PLAN_RECONSIDERATION,
        number=1,
        status=AppealStatus.UPHELD,
        decided_at=T0 + timedelta(days=30),
    )
    driver.appeal_result(upheld)
    # Medicare Advantage forwards the upheld reconsideration to the IRE by itself.
    assert [t.event for t in driver.transitions[-2:]] == [
        CaseEvent.APPEAL_UPHELD,
        CaseEvent.APPEAL_FORWARDED,
    ]
    assert driver.state.phase == Phase.IN_APPEAL and len(driver.state.appeals) == 2
    assert driver.state.appeals[0].status == AppealStatus.UPHELD


def test_an_overturned_appeal_authorizes() -> None:
    driver = denied()
    driver.file_appeal()
    overturned = AppealResult(
        level=AppealLevel.PLAN_RECONSIDERATION,
        number=1,
        status=AppealStatus.OVERTURNED,
        decided_at=T0 + timedelta(days=30),
        decision_id="a-1",
    )
    driver.appeal_result(overturned)
    assert driver.transitions[-1].event == CaseEvent.APPEAL_OVERTURNED
    assert driver.state.status == CaseStatus.APPROVED and driver.state.phase == Phase.AUTHORIZED
    assert {i.outcome for i in driver.state.items} == {APPROVED}


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([None, APPROVED], (CaseStatus.SUBMITTED, Phase.AWAIT_DECISION)),
        ([ItemOutcome.PENDED, APPROVED], (CaseStatus.PENDED, Phase.AWAIT_DECISION)),
        ([DENIED, APPROVED], (CaseStatus.PARTIALLY_APPROVED, Phase.ADVERSE)),
        ([APPROVED, APPROVED], (CaseStatus.APPROVED, Phase.AUTHORIZED)),
        ([ItemOutcome.NOT_REQUIRED], (CaseStatus.CLOSED, Phase.DONE)),
        ([ItemOutcome.NEEDS_HUMAN_REVIEW], (CaseStatus.NEEDS_ATTENTION, Phase.AWAIT_DECISION)),
    ],
)
def test_summarize(outcomes: list[ItemOutcome | None], expected: tuple[CaseStatus, Phase]) -> None:
    items = [
        case.initial_state(Driver().facts).items[0].model_copy(update={"outcome": o, "sequence": n})
        for n, o in enumerate(outcomes, start=1)
    ]
    assert summarize(items) == expected


def with_window() -> Driver:
    window = PeerToPeerWindow(amount=2, unit="business_days")
    driver = Driver(facts=facts().model_copy(update={"peer_to_peer_window": window}))
    driver.open()
    return driver


def test_a_denial_at_a_payer_with_a_peer_to_peer_window_opens_its_clock() -> None:
    driver = with_window()
    driver.decide(decision("d-1", item(1, DENIED), item(2, DENIED)))  # Fri 4 Dec, 15:00 UTC
    clock = find_deadline(driver.state.deadlines, PEER_TO_PEER_WINDOW)
    assert clock is not None and is_active(clock)
    assert clock.obligor == Obligor.PROVIDER
    # Two business days after Friday 4 December: Tuesday 8 December, end of day in New York.
    assert clock.due_at.isoformat() == "2026-12-08T23:59:59-05:00"
    assert "within 2 business days of the denial decision" in clock.rule
    # Asking for the peer-to-peer meets it.
    assert driver.peer_to_peer() is None
    met = find_deadline(driver.state.deadlines, PEER_TO_PEER_WINDOW)
    assert met is not None and met.met_at == driver.now
    assert met in driver.transitions[-1].deadlines


def test_an_approval_after_the_denial_retires_the_peer_to_peer_clock() -> None:
    driver = with_window()
    driver.decide(decision("d-1", item(1, DENIED), item(2, DENIED)))
    later = T0 + timedelta(days=4)
    driver.decide(decision("d-2", item(1, APPROVED), item(2, APPROVED), at=later))
    clock = find_deadline(driver.state.deadlines, PEER_TO_PEER_WINDOW)
    assert clock is not None and clock.superseded and clock.met_at is None


def test_without_a_window_a_denial_opens_no_peer_to_peer_clock() -> None:
    driver = denied()
    assert find_deadline(driver.state.deadlines, PEER_TO_PEER_WINDOW) is None


def authorized(units: int = 12) -> Driver:
    driver = opened()
    start, end = T0.date(), (T0 + timedelta(days=60)).date()
    granted = item(1, APPROVED, approved_units=units, authorized_start=start, authorized_end=end)
    driver.decide(decision("d-1", granted, item(2, APPROVED)))
    assert driver.state.phase == Phase.AUTHORIZED
    return driver


def use(driver: Driver, units: int, days: int = 5, sequence: int = 1) -> str | None:
    message = UnitsUsedInput(
        actor="cm-ann",
        sequence=sequence,
        units=units,
        used_on=(T0 + timedelta(days=days)).date(),
    )
    problem = units_used_problem(driver.state, message, T0 + timedelta(days=90))
    if problem is None:
        driver.apply(case.on_units_used(driver.state, message, driver.stamp()))
    return problem


def test_units_used_count_against_the_authorization_and_a_task_says_when_they_run_out() -> None:
    driver = authorized(units=12)
    assert use(driver, 10) is None
    step = driver.transitions[-1]
    assert step.event == CaseEvent.UNITS_USED and step.tasks == []
    assert step.details["units_used"] == "10" and step.details["approved_units"] == "12"
    assert driver.state.items[0].units_used == 10
    assert use(driver, 2, days=6) is None
    (used_up,) = driver.transitions[-1].tasks
    assert used_up.kind == TaskKind.UNITS_EXHAUSTED and "all 12 authorized units" in used_up.title
    assert use(driver, 1, days=7) is None
    (over,) = driver.transitions[-1].tasks
    assert "13 units used, 12 authorized" in over.title and over.priority == "urgent"


def test_units_are_refused_outside_the_authorization() -> None:
    driver = authorized()
    assert use(driver, 1, days=61) == "item 1's authorization ended on 2027-01-30: renew it"
    assert use(driver, 1, days=-1) == "item 1 is authorized from 2026-12-01"
    assert use(driver, 1, sequence=9) == "the case has no item 9"
    assert use(driver, 1, days=95) == (
        "used_on is in the future: record units once they are delivered"
    )
    assert use(denied(), 1) == (
        "units are recorded against an authorization: the case has none in force"
    )
    assert driver.state.items[0].units_used == 0
