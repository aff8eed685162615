"""Each appeal transition called directly (no Temporal): status, clocks, tasks, audit event."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.appeals import AppealLevel
from domain.case import appeal, appeal_rules
from domain.case.appeal_state import AppealState, appeal_row, opening_state
from domain.case.messages import AppealWithdrawInput, SignOffInput
from domain.case.vocabulary import (
    AppealOutcome,
    AppealStatus,
    CaseEvent,
    CaseStatus,
    TaskKind,
)
from domain.enums import Regime
from tests.domain.case.appeal_factories import (
    CASE,
    DECISION_KEY,
    FILING_KEY,
    T0,
    Ledger,
    appeal_decision,
    engine_answer,
    forwarded,
    setup,
)

SIGN = SignOffInput(actor="dr-b", letter_id="L-1")


def awaiting_signoff(ledger: Ledger | None = None) -> Ledger:
    ledger = ledger or Ledger(setup())
    ledger.take(appeal.on_opened(ledger.setup, ledger.state, T0, seq=ledger.next_seq))
    ledger.take(appeal.on_letter_ready(ledger.setup, ledger.state, "L-1", T0, seq=ledger.next_seq))
    return ledger


def submitted(ledger: Ledger | None = None) -> Ledger:
    ledger = awaiting_signoff(ledger)
    ledger.state = appeal.on_signed_off(ledger.state, SIGN)
    at = T0 + timedelta(days=2)
    ledger.take(
        appeal.on_submitted(
            ledger.setup, ledger.state, "S-1", at, seq=ledger.next_seq, deadlines=ledger.deadlines
        )
    )
    return ledger


def clock_running(ledger: Ledger | None = None) -> Ledger:
    ledger = submitted(ledger)
    at = T0 + timedelta(days=2)
    ledger.state, query = appeal.on_clock_requested(ledger.setup, ledger.state, at)
    assert query is not None
    ledger.take(
        appeal.on_clock_started(
            ledger.setup,
            ledger.state,
            engine_answer(),
            at,
            seq=ledger.next_seq,
            deadlines=ledger.deadlines,
        )
    )
    return ledger


def test_opened_records_the_level_with_the_filing_window_handed_over() -> None:
    ledger = Ledger(setup())
    assert ledger.state.status == AppealStatus.DRAFTING
    assert [d.key for d in ledger.deadlines] == [FILING_KEY]
    t = ledger.take(appeal.on_opened(ledger.setup, ledger.state, T0, seq=1))
    assert t is not None
    assert (t.key, t.event, t.actor, t.status) == (
        f"{CASE}:appeal-1:00001",
        CaseEvent.APPEAL_OPENED,
        "cm-ann",
        CaseStatus.IN_APPEAL,
    )
    assert t.summary == "Plan reconsideration opened for item(s) [1]"
    # The case recorded the window already: the opening does not record it again.
    assert t.deadlines == [] and t.appeal is not None
    assert t.appeal.status == AppealStatus.DRAFTING


def test_letter_ready_opens_the_sign_off_task_due_with_the_filing_window() -> None:
    ledger = awaiting_signoff()
    t = ledger.transitions[-1]
    assert ledger.state.status == AppealStatus.AWAITING_SIGNOFF
    assert ledger.state.letter_id == "L-1"
    assert t.event == CaseEvent.APPEAL_LETTER_READY
    assert t.details == {"letter_id": "L-1"}
    [task] = t.tasks
    assert task.key == f"{CASE}:appeal-1:task:{TaskKind.SIGN_APPEAL_LETTER}:00002"
    assert task.kind == TaskKind.SIGN_APPEAL_LETTER
    assert task.due_at == ledger.setup.filing_due.due_at  # type: ignore[union-attr]
    assert task.title == "Review and sign the plan reconsideration letter"


def test_letter_missing_asks_for_a_hand_written_letter() -> None:
    ledger = Ledger(setup())
    state, t = appeal.on_letter_missing(ledger.setup, ledger.state, T0, seq=1)
    assert t is not None and t.event == CaseEvent.APPEAL_LETTER_MISSING
    assert state.letter_id is None and state.status == AppealStatus.AWAITING_SIGNOFF
    assert t.details == {"letter_id": ""}
    # Any letter id may then be signed off.
    appeal_rules.check_sign_off(state, SignOffInput(actor="dr-b", letter_id="hand-1"))


def test_sign_off_rules() -> None:
    ledger = Ledger(setup())
    with pytest.raises(ValueError, match="not awaiting sign-off \\(drafting\\)"):
        appeal_rules.check_sign_off(ledger.state, SIGN)
    ledger = awaiting_signoff()
    appeal_rules.check_sign_off(ledger.state, SIGN)
    with pytest.raises(ValueError, match="letter_id does not match"):
        appeal_rules.check_sign_off(ledger.state, SignOffInput(actor="dr-b", letter_id="L-2"))
    signed = appeal.on_signed_off(ledger.state, SIGN)
    assert signed.signed_by == "dr-b" and ledger.state.signed_by is None
    # The first signer counts.
    assert appeal.on_signed_off(signed, SignOffInput(actor="dr-c", letter_id="L-1")) is signed


def test_submitted_meets_the_filing_window_and_completes_the_sign_off() -> None:
    ledger = submitted()
    t = ledger.transitions[-1]
    at = T0 + timedelta(days=2)
    assert ledger.state.status == AppealStatus.SUBMITTED and ledger.state.filed_at == at
    assert t.event == CaseEvent.APPEAL_SUBMITTED and t.actor == "dr-b"
    assert t.summary == "Plan reconsideration submitted (S-1), signed by dr-b"
    [met] = t.deadlines
    assert (met.key, met.met_at, met.superseded) == (FILING_KEY, at, False)
    [closure] = t.close_tasks
    assert (closure.kind, closure.status, closure.by) == (
        TaskKind.SIGN_APPEAL_LETTER,
        "done",
        "dr-b",
    )
    assert ledger.tasks == {}
    assert t.appeal is not None and t.appeal.filed_at == at


def test_submission_needs_a_signature() -> None:
    ledger = awaiting_signoff()
    state, t = appeal.on_submitted(
        ledger.setup, ledger.state, "S-1", T0, seq=ledger.next_seq, deadlines=ledger.deadlines
    )
    assert t is None and state is ledger.state


def test_clock_started_from_the_filing_with_the_engine_answer() -> None:
    ledger = clock_running()
    t = ledger.transitions[-1]
    [clock] = t.deadlines
    assert clock.key == DECISION_KEY and clock.due_at == engine_answer().due_at
    assert clock.starts_at == T0 + timedelta(days=2)
    assert clock.label == "plan decides the plan reconsideration"
    assert t.rule == "42 CFR 422.590(a)"
    assert t.summary == f"{clock.label}: due {clock.due_at.isoformat()}"
    # A second answer for the same clock is a no-op.
    again = appeal.on_clock_started(
        ledger.setup,
        ledger.state,
        engine_answer(T0 + timedelta(days=40)),
        T0,
        seq=ledger.next_seq,
        deadlines=ledger.deadlines,
    )
    assert again == (ledger.state, None)


def test_clock_question_is_asked_about_the_filing_moment() -> None:
    ledger = submitted()
    state, query = appeal.on_clock_requested(ledger.setup, ledger.state, T0 + timedelta(days=9))
    assert state.filed_at == T0 + timedelta(days=2)
    assert query is not None and query.received_at == T0 + timedelta(days=2)
    assert query.event == "appeal_decision" and query.regime == Regime.MEDICARE_ADVANTAGE


def test_forwarded_level_starts_submitted_and_is_filed_when_its_clock_starts() -> None:
    ledger = Ledger(forwarded())
    assert ledger.state.status == AppealStatus.SUBMITTED and ledger.deadlines == []
    ledger.take(appeal.on_opened(ledger.setup, ledger.state, T0, seq=1))
    state, query = appeal.on_clock_requested(ledger.setup, ledger.state, T0 + timedelta(hours=1))
    assert state.filed_at == T0 + timedelta(hours=1)
    assert query is not None and query.event == "next_level_auto_forward"
    _, t = appeal.on_clock_started(
        ledger.setup, state, engine_answer(), T0, seq=2, deadlines=ledger.deadlines
    )
    assert t is not None
    assert t.deadlines[0].label == "Plan forwards the case to the independent reviewer"


def test_level_without_a_decision_clock_asks_nothing() -> None:
    alj = setup(level=AppealLevel.ALJ_HEARING, number=3, auto_forwarded=True)
    state, query = appeal.on_clock_requested(alj, opening_state(alj), T0)
    assert query is None and state.filed_at == T0


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (AppealOutcome.OVERTURNED, AppealStatus.OVERTURNED),
        (AppealOutcome.PARTIALLY_OVERTURNED, AppealStatus.PARTIALLY_OVERTURNED),
        (AppealOutcome.UPHELD, AppealStatus.UPHELD),
    ],
)
def test_decided_meets_the_clock_and_ends_the_level(
    outcome: AppealOutcome, status: AppealStatus
) -> None:
    ledger = clock_running()
    message = appeal_decision(outcome, note="see letter")
    appeal_rules.check_decision(ledger.setup, ledger.state, message)
    ledger.state = appeal.on_decision_received(ledger.state, message)
    at = T0 + timedelta(days=11)
    t = ledger.take(
        appeal.on_decided(
            ledger.setup, ledger.state, at, seq=ledger.next_seq, deadlines=ledger.deadlines
        )
    )
    assert t is not None and t.event == CaseEvent.APPEAL_DECIDED
    assert ledger.state.status == status
    assert t.summary == f"Plan reconsideration decided: {outcome.value}"
    assert t.details == {"status": status.value}
    [met] = t.deadlines
    assert met.key == DECISION_KEY and met.met_at == at
    assert t.appeal is not None
    assert (t.appeal.decided_at, t.appeal.outcome_note) == (message.decided_at, "see letter")
    # The same decision delivered again passes validation and changes nothing.
    appeal_rules.check_decision(ledger.setup, ledger.state, message)
    assert appeal.on_decision_received(ledger.state, message) is ledger.state


def test_decision_rules() -> None:
    ledger = awaiting_signoff()
    with pytest.raises(ValueError, match="does not await a decision \\(awaiting_signoff\\)"):
        appeal_rules.check_decision(ledger.setup, ledger.state, appeal_decision())
    ledger = clock_running()
    with pytest.raises(ValueError, match="items outside this appeal: \\[2\\]"):
        appeal_rules.check_decision(ledger.setup, ledger.state, appeal_decision(sequences=(2,)))
    received = appeal.on_decision_received(ledger.state, appeal_decision())
    with pytest.raises(ValueError, match="does not await a decision"):
        appeal_rules.check_decision(ledger.setup, received, appeal_decision(decision_id="ad-2"))
    # A second, different decision never replaces the first.
    assert appeal.on_decision_received(received, appeal_decision(decision_id="ad-2")) is received


def test_missed_decision_deadline_upholds_where_the_plan_must_forward() -> None:
    ledger = clock_running()
    due = engine_answer().due_at
    t = ledger.take(
        appeal.on_deadline_missed(
            ledger.setup,
            ledger.state,
            due + timedelta(minutes=1),
            seq=ledger.next_seq,
            deadlines=ledger.deadlines,
        )
    )
    assert t is not None and t.event == CaseEvent.APPEAL_DEADLINE_MISSED
    assert ledger.state.status == AppealStatus.UPHELD and ledger.state.deemed_at == due
    assert t.summary.startswith("plan missed the plan reconsideration deadline (42 CFR")
    [closed] = t.deadlines
    assert closed.key == DECISION_KEY and closed.superseded and closed.met_at is None
    assert t.appeal is not None and t.appeal.decided_at == due


def test_missed_decision_deadline_is_no_affirmation_elsewhere() -> None:
    ledger = clock_running(
        Ledger(setup(regime=Regime.ERISA_GROUP, level=AppealLevel.INTERNAL_APPEAL))
    )
    assert not ledger.setup.silence_affirms
    step = appeal.on_deadline_missed(
        ledger.setup, ledger.state, T0, seq=ledger.next_seq, deadlines=ledger.deadlines
    )
    assert step == (ledger.state, None)


def test_withdrawn_before_filing_closes_the_window_and_the_sign_off_task() -> None:
    ledger = awaiting_signoff()
    appeal_rules.check_withdraw(ledger.state)
    ledger.state = appeal.on_withdraw_requested(
        ledger.state, AppealWithdrawInput(actor="cm-ann", reason="member declined")
    )
    assert ledger.state.status == AppealStatus.AWAITING_SIGNOFF  # applied by the next step
    t = ledger.take(
        appeal.on_withdrawn(
            ledger.setup, ledger.state, T0, seq=ledger.next_seq, deadlines=ledger.deadlines
        )
    )
    assert t is not None and t.event == CaseEvent.APPEAL_CLOSED
    assert t.summary == "Appeal withdrawn: member declined"
    assert ledger.state.status == AppealStatus.WITHDRAWN
    assert ledger.state.outcome_note == t.summary
    [closed] = t.deadlines
    assert closed.key == FILING_KEY and closed.superseded
    assert ledger.tasks == {}
    with pytest.raises(ValueError, match="already withdrawn"):
        appeal_rules.check_withdraw(ledger.state)


def test_parent_withdrawal_reason_and_the_first_one_counts() -> None:
    state = appeal.on_withdraw_requested(AppealState(), "case withdrawn")
    assert appeal.on_withdraw_requested(state, "again") is state
    assert state.withdrawn == "case withdrawn"


def test_expired_misses_the_filing_window() -> None:
    ledger = awaiting_signoff()
    ledger.escalate(FILING_KEY)
    t = ledger.take(
        appeal.on_expired(
            ledger.setup,
            ledger.state,
            T0 + timedelta(days=61),
            seq=ledger.next_seq,
            deadlines=ledger.deadlines,
        )
    )
    assert t is not None and ledger.state.status == AppealStatus.EXPIRED
    assert t.summary == "The filing window closed before the letter was signed"
    [missed] = t.deadlines
    assert missed.key == FILING_KEY and missed.superseded and missed.met_at is None
    assert ledger.tasks == {}  # the sign-off task and the window's escalation


def test_signed_appeal_does_not_expire() -> None:
    ledger = awaiting_signoff()
    state = appeal.on_signed_off(ledger.state, SIGN)
    assert appeal.on_expired(ledger.setup, state, T0, seq=3, deadlines=ledger.deadlines) == (
        state,
        None,
    )


def test_rejected_submission_expires_the_level() -> None:
    ledger = awaiting_signoff()
    ledger.state = appeal.on_signed_off(ledger.state, SIGN)
    t = ledger.take(
        appeal.on_submission_rejected(
            ledger.setup, ledger.state, T0, seq=ledger.next_seq, deadlines=ledger.deadlines
        )
    )
    assert t is not None and t.summary == "The payer rejected the appeal submission"
    assert ledger.state.status == AppealStatus.EXPIRED and ledger.state.filed_at is None
    assert ledger.deadline(FILING_KEY).superseded  # type: ignore[union-attr]


def test_closed_level_takes_no_more_steps() -> None:
    ledger = clock_running()
    ledger.state = appeal.on_decision_received(ledger.state, appeal_decision())
    ledger.take(
        appeal.on_decided(
            ledger.setup, ledger.state, T0, seq=ledger.next_seq, deadlines=ledger.deadlines
        )
    )
    closed = ledger.state
    for step in (
        appeal.on_closed(
            ledger.setup, closed, AppealStatus.WITHDRAWN, "x", T0, seq=9, deadlines=[]
        ),
        appeal.on_withdrawn(ledger.setup, closed, T0, seq=9, deadlines=[]),
        appeal.on_decided(ledger.setup, closed, T0, seq=9, deadlines=[]),
    ):
        assert step == (closed, None)
    assert appeal.on_withdraw_requested(closed, "late") is closed


def test_inputs_are_never_mutated() -> None:
    ledger = awaiting_signoff()
    before_state = ledger.state.model_copy(deep=True)
    before_deadlines = [d.model_copy(deep=True) for d in ledger.deadlines]
    appeal.on_expired(ledger.setup, ledger.state, T0, seq=3, deadlines=ledger.deadlines)
    appeal.on_signed_off(ledger.state, SIGN)
    assert ledger.state == before_state and ledger.deadlines == before_deadlines


def test_appeal_row_shows_the_state() -> None:
    ledger = submitted()
    row = appeal_row(ledger.setup, ledger.state)
    assert (row.level, row.number, row.status, row.sequences) == (
        AppealLevel.PLAN_RECONSIDERATION,
        1,
        AppealStatus.SUBMITTED,
        [1],
    )
