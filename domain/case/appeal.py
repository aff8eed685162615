"""The appeal level's rules as pure functions: each step takes the state and returns the new
state and the `Transition` to record (None when the step does not apply: a no-op).

drafting -> (letter ready / missing) awaiting sign-off -> (signed off, submitted) submitted ->
(decision clock started) -> overturned, partially overturned or upheld (decided, or the plan's
silence at a level it must forward from) | withdrawn | expired (filing window passed unsigned,
or the payer rejected the submission). A level the plan forwards by itself starts submitted.

The caller owns the clocks and the event sequence: each step is given `now`, `seq` (the
sequence number the step is recorded under: its store key is `<case>:<scope>:<seq>`) and the
level's current `deadlines`, and names in `Transition.deadlines` every deadline it changes.
Answers of the deadline engine come in as arguments (`on_clock_requested` asks the question).
Functions never mutate their inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.case.appeal_state import (
    OPEN_STATUSES,
    AppealSetup,
    AppealState,
    appeal_row,
)
from domain.case.messages import AppealDecisionInput, AppealWithdrawInput, SignOffInput
from domain.case.step import closed_deadline, find_deadline, is_active, merged
from domain.case.transition import TaskClosure, TaskSpec, Transition
from domain.case.vocabulary import (
    AppealOutcome,
    AppealStatus,
    CaseEvent,
    CaseStatus,
    TaskKind,
)
from domain.deadlines import DeadlineEvent, DeadlineQuery, DeadlineResult
from domain.enums import Urgency
from domain.escalation import Priority, TaskQueue
from domain.models import CaseDeadline, Obligor

Step = tuple[AppealState, Transition | None]

_OUTCOME_STATUS = {
    AppealOutcome.OVERTURNED: AppealStatus.OVERTURNED,
    AppealOutcome.PARTIALLY_OVERTURNED: AppealStatus.PARTIALLY_OVERTURNED,
    AppealOutcome.UPHELD: AppealStatus.UPHELD,
}


def _transition(
    setup: AppealSetup,
    state: AppealState,
    event: CaseEvent,
    summary: str,
    now: datetime,
    seq: int,
    **changes: Any,
) -> Transition:
    return Transition(
        case_id=setup.case_id,
        key=f"{setup.case_id}:{setup.scope}:{seq:05d}",
        event=event,
        summary=summary,
        occurred_at=now,
        status=CaseStatus.IN_APPEAL,
        appeal=appeal_row(setup, state),
        **changes,
    )


def _task(
    setup: AppealSetup,
    kind: TaskKind,
    title: str,
    seq: int,
    *,
    priority: Priority = Priority.NORMAL,
    due_at: datetime | None = None,
) -> TaskSpec:
    return TaskSpec(
        key=f"{setup.task_prefix}{kind}:{seq:05d}",
        kind=kind,
        queue=TaskQueue.ASSIGNEE,
        title=title,
        priority=priority,
        due_at=due_at,
    )


# ---------------------------------------------------------------- opening and the letter


def on_opened(setup: AppealSetup, state: AppealState, now: datetime, *, seq: int) -> Step:
    """The level opens (for a filed level, with the filing window the case handed over)."""
    if state.opened:
        return state, None
    state = state.model_copy(update={"opened": True})
    summary = f"{setup.spec.title} opened for item(s) {setup.sequences}"
    return state, _transition(
        setup, state, CaseEvent.APPEAL_OPENED, summary, now, seq, actor=setup.requested_by
    )


def on_letter_ready(
    setup: AppealSetup, state: AppealState, letter_id: str, now: datetime, *, seq: int
) -> Step:
    """The appeal letter is rendered: it awaits sign-off (a task for the assignee)."""
    return _letter(setup, state, letter_id, now, seq)


def on_letter_missing(setup: AppealSetup, state: AppealState, now: datetime, *, seq: int) -> Step:
    """No template fits this appeal: someone writes the letter by hand, then signs off."""
    return _letter(setup, state, None, now, seq)


def _letter(
    setup: AppealSetup, state: AppealState, letter_id: str | None, now: datetime, seq: int
) -> Step:
    if state.status != AppealStatus.DRAFTING:
        return state, None
    state = state.model_copy(
        update={"letter_id": letter_id, "status": AppealStatus.AWAITING_SIGNOFF}
    )
    due = setup.filing_due
    task = _task(
        setup,
        TaskKind.SIGN_APPEAL_LETTER,
        f"Review and sign the {setup.spec.title.lower()} letter",
        seq,
        priority=Priority.HIGH,
        due_at=due.due_at if due else None,
    )
    if letter_id is not None:
        event = CaseEvent.APPEAL_LETTER_READY
        summary = f"Appeal letter {letter_id} ready for sign-off"
    else:
        event = CaseEvent.APPEAL_LETTER_MISSING
        summary = "No letter template for this appeal: write the letter by hand"
    return state, _transition(
        setup,
        state,
        event,
        summary,
        now,
        seq,
        tasks=[task],
        details={"letter_id": letter_id or ""},
    )


# ---------------------------------------------------------------- messages received


def on_signed_off(state: AppealState, message: SignOffInput) -> AppealState:
    """Someone signed the letter (the first signer counts); recorded with the submission."""
    if state.signed_by is not None or not state.is_open:
        return state
    return state.model_copy(update={"signed_by": message.actor})


def on_decision_received(state: AppealState, message: AppealDecisionInput) -> AppealState:
    """The deciding body's decision arrives (the first one counts; `on_decided` applies it)."""
    if state.decision is not None or state.withdrawn is not None or not state.is_open:
        return state
    return state.model_copy(update={"decision": message})


def on_withdraw_requested(state: AppealState, message: AppealWithdrawInput | str) -> AppealState:
    """A withdrawal is asked for, by a person (the Update) or by the parent case (its reason);
    the first one counts, and `on_withdrawn` applies it."""
    if state.withdrawn is not None or not state.is_open:
        return state
    reason = message if isinstance(message, str) else message.reason
    return state.model_copy(update={"withdrawn": reason})


# ---------------------------------------------------------------- filing


def on_submitted(
    setup: AppealSetup,
    state: AppealState,
    submission_id: str,
    now: datetime,
    *,
    seq: int,
    deadlines: Sequence[CaseDeadline],
) -> Step:
    """The signed appeal reached the payer: the filing window is met and the sign-off done."""
    if state.status != AppealStatus.AWAITING_SIGNOFF or state.signed_by is None:
        return state, None
    state = state.model_copy(update={"filed_at": now, "status": AppealStatus.SUBMITTED})
    met = closed_deadline(deadlines, setup.filing_key, now)
    signer = state.signed_by or "system"
    return state, _transition(
        setup,
        state,
        CaseEvent.APPEAL_SUBMITTED,
        f"{setup.spec.title} submitted ({submission_id}), signed by {state.signed_by}",
        now,
        seq,
        actor=signer,
        deadlines=[met] if met else [],
        close_tasks=[
            TaskClosure(
                kind=TaskKind.SIGN_APPEAL_LETTER,
                key_prefix=setup.task_prefix,
                status="done",
                by=signer,
            )
        ],
        details={"submission_id": submission_id},
    )


def on_submission_rejected(
    setup: AppealSetup,
    state: AppealState,
    now: datetime,
    *,
    seq: int,
    deadlines: Sequence[CaseDeadline],
) -> Step:
    """The payer refused the signed appeal for good: the level ends expired."""
    if state.status != AppealStatus.AWAITING_SIGNOFF or state.signed_by is None:
        return state, None
    return on_closed(
        setup,
        state,
        AppealStatus.EXPIRED,
        "The payer rejected the appeal submission",
        now,
        seq=seq,
        deadlines=deadlines,
    )


def on_expired(
    setup: AppealSetup,
    state: AppealState,
    now: datetime,
    *,
    seq: int,
    deadlines: Sequence[CaseDeadline],
) -> Step:
    """The filing window passed before anyone signed: it is missed and the level ends."""
    if (
        state.status not in (AppealStatus.DRAFTING, AppealStatus.AWAITING_SIGNOFF)
        or state.signed_by is not None
        or state.withdrawn is not None
    ):
        return state, None
    missed = closed_deadline(deadlines, setup.filing_key, now, met=False)
    return on_closed(
        setup,
        state,
        AppealStatus.EXPIRED,
        "The filing window closed before the letter was signed",
        now,
        seq=seq,
        deadlines=deadlines,
        changed=[missed] if missed else [],
    )


# ---------------------------------------------------------------- the deciding body's clock


def on_clock_requested(
    setup: AppealSetup, state: AppealState, now: datetime
) -> tuple[AppealState, DeadlineQuery | None]:
    """The level is filed (a forwarded level: now): the question for the deciding body's
    clock, counted from the filing, or None if this level has no such clock."""
    if state.status != AppealStatus.SUBMITTED:
        return state, None
    if state.filed_at is None:
        state = state.model_copy(update={"filed_at": now})
    event = setup.spec.decision_event
    if event is None or state.filed_at is None:
        return state, None
    facts = setup.facts
    return state, DeadlineQuery(
        regime=facts.regime,
        event=DeadlineEvent(event),
        state=facts.state,
        urgency=Urgency.EXPEDITED if setup.expedited else Urgency.STANDARD,
        service_timing=facts.service_timing,
        item_type=facts.item_type,
        request_type=facts.request_type,
        received_at=state.filed_at,
        timezone=facts.payer_timezone,
        notice_date=setup.notice_date,
        appeal_levels=facts.appeal_levels,
        hospitalized=facts.hospitalized,
    )


def on_clock_started(
    setup: AppealSetup,
    state: AppealState,
    found: DeadlineResult,
    now: datetime,
    *,
    seq: int,
    deadlines: Sequence[CaseDeadline],
) -> Step:
    """The deadline engine answered `on_clock_requested`: the deciding body's clock runs."""
    if state.status != AppealStatus.SUBMITTED or find_deadline(deadlines, setup.decision_key):
        return state, None
    spec = setup.spec
    label = (
        "Plan forwards the case to the independent reviewer"
        if setup.auto_forwarded
        else f"{spec.decided_by} decides the {spec.title.lower()}"
    )
    deadline = CaseDeadline(
        key=setup.decision_key,
        label=label,
        obligor=Obligor.PAYER,
        due_at=found.due_at,
        rule=found.rule,
        rule_id=found.rule_id,
        convention=found.convention,
        explanation=found.explanation,
        starts_at=state.filed_at,
    )
    return state, _transition(
        setup,
        state,
        CaseEvent.APPEAL_CLOCK_STARTED,
        f"{label}: due {deadline.due_at.isoformat()}",
        now,
        seq,
        deadlines=[deadline],
        rule=deadline.rule,
    )


# ---------------------------------------------------------------- endings


def on_decided(
    setup: AppealSetup,
    state: AppealState,
    now: datetime,
    *,
    seq: int,
    deadlines: Sequence[CaseDeadline],
) -> Step:
    """Apply the decision received: overturned, partially overturned or upheld."""
    decision = state.decision
    if decision is None or state.status != AppealStatus.SUBMITTED:
        return state, None
    met = closed_deadline(deadlines, setup.decision_key, now)
    return on_closed(
        setup,
        state,
        _OUTCOME_STATUS[decision.outcome],
        f"{setup.spec.title} decided: {decision.outcome.value}",
        now,
        seq=seq,
        deadlines=deadlines,
        event=CaseEvent.APPEAL_DECIDED,
        changed=[met] if met else [],
    )


def on_deadline_missed(
    setup: AppealSetup,
    state: AppealState,
    now: datetime,
    *,
    seq: int,
    deadlines: Sequence[CaseDeadline],
) -> Step:
    """The deciding body let its deadline pass at a level it must forward from: its silence
    upholds the denial, and the case forwards it to the independent review entity."""
    if (
        state.status != AppealStatus.SUBMITTED
        or state.decision is not None
        or state.withdrawn is not None
        or not setup.silence_affirms
    ):
        return state, None
    spec = setup.spec
    missed = find_deadline(deadlines, setup.decision_key)
    rule = f" ({missed.rule})" if missed is not None else ""
    state = state.model_copy(update={"deemed_at": missed.due_at if missed is not None else now})
    return on_closed(
        setup,
        state,
        AppealStatus.UPHELD,
        f"{spec.decided_by} missed the {spec.title.lower()} deadline{rule}: "
        "treated as an affirmation of the denial, to be forwarded to the independent "
        "review entity",
        now,
        seq=seq,
        deadlines=deadlines,
        event=CaseEvent.APPEAL_DEADLINE_MISSED,
    )


def on_withdrawn(
    setup: AppealSetup,
    state: AppealState,
    now: datetime,
    *,
    seq: int,
    deadlines: Sequence[CaseDeadline],
) -> Step:
    """Apply the withdrawal asked for (unless a decision came first)."""
    if state.withdrawn is None or state.decision is not None or not state.is_open:
        return state, None
    return on_closed(
        setup,
        state,
        AppealStatus.WITHDRAWN,
        f"Appeal withdrawn: {state.withdrawn}",
        now,
        seq=seq,
        deadlines=deadlines,
    )


def on_closed(
    setup: AppealSetup,
    state: AppealState,
    status: AppealStatus,
    summary: str,
    now: datetime,
    *,
    seq: int,
    deadlines: Sequence[CaseDeadline],
    event: CaseEvent = CaseEvent.APPEAL_CLOSED,
    changed: Sequence[CaseDeadline] = (),
) -> Step:
    """The level ends in `status`: every clock still running closes unmet (after `changed`,
    the ones the ending step itself met or missed) and every task the level opened is moot."""
    if status in OPEN_STATUSES:
        raise ValueError(f"an appeal cannot end {status.value}")
    if not state.is_open:
        return state, None
    decision = state.decision
    state = state.model_copy(
        update={
            "status": status,
            "outcome_note": decision.note if decision and decision.note else summary,
        }
    )
    closing = list(changed)
    for active in merged(deadlines, closing):
        if is_active(active):
            closing.append(active.model_copy(update={"superseded": True}))
    return state, _transition(
        setup,
        state,
        event,
        summary,
        now,
        seq,
        deadlines=closing,
        # Whatever this level still asked of people (sign-off, a rejected submission) is moot.
        close_tasks=[TaskClosure(key_prefix=setup.task_prefix)],
        details={"status": status.value},
    )
