"""Invariants of the appeal rules over random message sequences (hypothesis, no Temporal).

Each sequence is played as the workflow plays it: an Update passes its validator first (a
rejected one changes nothing), and each step's transition is applied to the clocks and the
open tasks as the store applies it (`Ledger`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.appeals import AppealLevel
from domain.case import appeal, appeal_rules
from domain.case.appeal_state import DECIDED_STATUSES, AppealSetup
from domain.case.messages import AppealDecisionInput, AppealWithdrawInput, SignOffInput
from domain.case.step import is_active
from domain.case.transition import Transition
from domain.case.vocabulary import AppealOutcome, AppealStatus, CaseEvent
from domain.enums import Regime
from tests.domain.case.appeal_factories import (
    FILING_KEY,
    T0,
    Ledger,
    appeal_decision,
    engine_answer,
    forwarded,
    setup,
)

ENDED = frozenset({*DECIDED_STATUSES, AppealStatus.WITHDRAWN, AppealStatus.EXPIRED})

setups = st.sampled_from(
    [
        setup(),  # Medicare Advantage reconsideration: the plan's silence affirms
        setup(regime=Regime.ERISA_GROUP, level=AppealLevel.INTERNAL_APPEAL),
        forwarded(),
    ]
)

Action = tuple[str, object]
letter_ids = st.sampled_from(["L-1", "L-2"])
decisions = st.builds(
    appeal_decision,
    st.sampled_from(list(AppealOutcome)),
    decision_id=st.sampled_from(["ad-1", "ad-2"]),
    sequences=st.sampled_from([(1,), (2,)]),
)
actions: st.SearchStrategy[Action] = st.one_of(
    st.tuples(st.just("opened"), st.none()),
    st.tuples(st.just("letter"), st.none() | letter_ids),
    st.tuples(
        st.just("sign"),
        st.builds(SignOffInput, actor=st.sampled_from(["dr-b", "dr-c"]), letter_id=letter_ids),
    ),
    st.tuples(st.just("submit"), st.sampled_from(["S-1", "S-2"])),
    st.tuples(st.just("submit_rejected"), st.none()),
    st.tuples(st.just("clock"), st.integers(min_value=1, max_value=60)),
    st.tuples(st.just("decision"), decisions),
    st.tuples(st.just("decide"), st.none()),
    st.tuples(st.just("missed"), st.none()),
    st.tuples(
        st.just("withdraw"),
        st.builds(AppealWithdrawInput, actor=st.just("cm-ann"), reason=st.just("declined")),
    ),
    st.tuples(st.just("parent_withdrew"), st.just("case withdrawn")),
    st.tuples(st.just("apply_withdrawal"), st.none()),
    st.tuples(st.just("expire"), st.none()),
    st.tuples(st.just("escalate"), st.sampled_from([FILING_KEY, "appeal_1_decision"])),
)


@st.composite
def scripts(draw: st.DrawFn) -> list[Action]:
    """The workflow's own order of steps, some left out or repeated, with random messages in
    between (so that most sequences get somewhere: filed, decided, forwarded)."""
    spine: list[Action] = [
        ("opened", None),
        ("letter", "L-1"),
        ("sign", SignOffInput(actor="dr-b", letter_id="L-1")),
        ("submit", "S-1"),
        ("clock", 30),
        ("decision", appeal_decision(draw(st.sampled_from(list(AppealOutcome))))),
        (draw(st.sampled_from(["decide", "decide", "missed", "apply_withdrawal"])), None),
    ]
    script = [step for step in spine if draw(st.integers(0, 9)) > 0]
    for _ in range(draw(st.integers(0, 10))):
        script.insert(draw(st.integers(0, len(script))), draw(actions))
    return script


def play(ledger: Ledger, action: Action, now: datetime) -> Transition | None:
    """One message or step, as the workflow would take it (validators first)."""
    s, state, kind, arg = ledger.setup, ledger.state, action[0], action[1]
    seq, deadlines = ledger.next_seq, ledger.deadlines
    if kind == "opened":
        return ledger.take(appeal.on_opened(s, state, now, seq=seq))
    if kind == "letter":
        if arg is None:
            return ledger.take(appeal.on_letter_missing(s, state, now, seq=seq))
        assert isinstance(arg, str)
        return ledger.take(appeal.on_letter_ready(s, state, arg, now, seq=seq))
    if kind == "sign":
        assert isinstance(arg, SignOffInput)
        if accepted(lambda: appeal_rules.check_sign_off(state, arg)):
            ledger.state = appeal.on_signed_off(state, arg)
        return None
    if kind == "submit":
        assert isinstance(arg, str)
        return ledger.take(appeal.on_submitted(s, state, arg, now, seq=seq, deadlines=deadlines))
    if kind == "submit_rejected":
        return ledger.take(
            appeal.on_submission_rejected(s, state, now, seq=seq, deadlines=deadlines)
        )
    if kind == "clock":
        assert isinstance(arg, int)
        state, query = appeal.on_clock_requested(s, state, now)
        if query is None:
            ledger.state = state
            return None
        answer = engine_answer(query.received_at + timedelta(days=arg))
        return ledger.take(
            appeal.on_clock_started(s, state, answer, now, seq=seq, deadlines=deadlines)
        )
    if kind == "decision":
        assert isinstance(arg, AppealDecisionInput)
        if accepted(lambda: appeal_rules.check_decision(s, state, arg)):
            ledger.state = appeal.on_decision_received(state, arg)
        return None
    if kind == "decide":
        return ledger.take(appeal.on_decided(s, state, now, seq=seq, deadlines=deadlines))
    if kind == "missed":
        return ledger.take(appeal.on_deadline_missed(s, state, now, seq=seq, deadlines=deadlines))
    if kind == "withdraw":
        assert isinstance(arg, AppealWithdrawInput)
        if accepted(lambda: appeal_rules.check_withdraw(state)):
            ledger.state = appeal.on_withdraw_requested(state, arg)
        return None
    if kind == "parent_withdrew":
        assert isinstance(arg, str)
        ledger.state = appeal.on_withdraw_requested(state, arg)
        return None
    if kind == "apply_withdrawal":
        return ledger.take(appeal.on_withdrawn(s, state, now, seq=seq, deadlines=deadlines))
    if kind == "expire":
        return ledger.take(appeal.on_expired(s, state, now, seq=seq, deadlines=deadlines))
    assert kind == "escalate" and isinstance(arg, str)
    ledger.escalate(arg)
    return None


def accepted(validate: Callable[[], None]) -> bool:
    try:
        validate()
    except ValueError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(setups, scripts())
def test_an_ended_appeal_stays_ended(s: AppealSetup, script: list[Action]) -> None:
    ledger = Ledger(s)
    ended: AppealStatus | None = None
    for n, action in enumerate(script):
        play(ledger, action, T0 + timedelta(hours=n))
        status = ledger.state.status
        if ended is not None:
            # Never back to drafting, sign-off or awaiting a decision, nor to another ending.
            assert status == ended
        elif status in ENDED:
            ended = status


@settings(max_examples=300, deadline=None)
@given(setups, scripts())
def test_an_ended_appeal_has_no_open_tasks_nor_running_clocks(
    s: AppealSetup, script: list[Action]
) -> None:
    ledger = Ledger(s)
    for n, action in enumerate(script):
        play(ledger, action, T0 + timedelta(hours=n))
        if ledger.state.status in ENDED:
            assert ledger.tasks == {}
            assert not [d for d in ledger.deadlines if is_active(d)]


@settings(max_examples=300, deadline=None)
@given(setups, scripts(), st.data())
def test_the_same_message_twice_is_a_no_op(
    s: AppealSetup, script: list[Action], data: st.DataObject
) -> None:
    ledger = Ledger(s)
    for n, action in enumerate(script):
        now = T0 + timedelta(hours=n)
        play(ledger, action, now)
        state, deadlines, seq = ledger.state, ledger.deadlines, ledger.seq
        tasks = dict(ledger.tasks)
        again = data.draw(st.sampled_from([now, now + timedelta(minutes=5)]))
        assert play(ledger, action, again) is None
        if action[0] == "escalate":
            continue  # a rung is keyed by its moment; the mixin never fires one twice
        assert (ledger.state, ledger.deadlines, ledger.tasks, ledger.seq) == (
            state,
            deadlines,
            tasks,
            seq,
        )


@settings(max_examples=300, deadline=None)
@given(setups, scripts())
def test_the_filing_window_is_met_exactly_when_the_appeal_reaches_the_payer(
    s: AppealSetup, script: list[Action]
) -> None:
    ledger = Ledger(s)
    for n, action in enumerate(script):
        play(ledger, action, T0 + timedelta(hours=n))
        window = ledger.deadline(FILING_KEY)
        submitted = [t for t in ledger.transitions if t.event == CaseEvent.APPEAL_SUBMITTED]
        if s.auto_forwarded:
            assert window is None and not submitted
            continue
        # The window is never lost, and met by the one submission, when it was filed.
        assert window is not None
        assert len(submitted) <= 1
        assert (window.met_at is not None) == bool(submitted)
        assert (ledger.state.filed_at is not None) == bool(submitted)
        if submitted:
            assert window.met_at == ledger.state.filed_at == submitted[0].occurred_at


@settings(max_examples=200, deadline=None)
@given(setups, scripts())
def test_keys_follow_the_sequence_and_every_step_is_in_appeal(
    s: AppealSetup, script: list[Action]
) -> None:
    ledger = Ledger(s)
    for n, action in enumerate(script):
        play(ledger, action, T0 + timedelta(hours=n))
    assert [t.key for t in ledger.transitions] == [
        f"{s.case_id}:{s.scope}:{n:05d}" for n in range(1, len(ledger.transitions) + 1)
    ]
    for t in ledger.transitions:
        assert t.appeal is not None and t.appeal.number == s.number
        # A decided step carries the decision moment (AppealResult requires one).
        if t.appeal.status in DECIDED_STATUSES:
            assert t.appeal.decided_at is not None
