"""The prior-authorization case's steps as pure functions: `on_<event>(state, ...) -> (state,
Transition)`.

Each step takes the current `CaseState`, the message, the `Stamp` it is recorded under (its
sequence number and moment) and, where a clock is set, the deadline engine's answer: the
`*_query` functions ask the question, the caller asks the engine and passes its answer in
(None: no rule applies; the caller first records that as a step of its own,
`domain.case.step.deadline_unknown`). A step that does not apply returns the state unchanged
and no transition. Functions never mutate their inputs: the state returned is a copy.

Payer decisions and extensions are in `domain.case.prior_auth_payer`, appeals (filing, their
outcome, the next level) in `domain.case.prior_auth_appeals`; the validators' rules in
`domain.case.prior_auth_rules`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.case.facts import CaseFacts
from domain.case.messages import (
    AcceptDenialInput,
    AssignInput,
    ContactInput,
    NoteInput,
    PeerToPeerInput,
    SupplyInformationInput,
    UnitsUsedInput,
    WithdrawInput,
)
from domain.case.prior_auth_rules import (
    APPEALABLE,
    AWAITING,
    INFORMATION_RESPONSE,
    INITIAL_DECISION,
    PEER_TO_PEER_WINDOW,
)
from domain.case.state import CaseState, ItemState
from domain.case.step import (
    Stamp,
    active_deadlines,
    closed_deadline,
    merged,
    to_case_deadline,
)
from domain.case.transition import TaskClosure, TaskSpec, Transition
from domain.case.vocabulary import CaseEvent, CaseStatus, Phase, SubmissionKind, TaskKind
from domain.deadline_keys import CONTINUITY_OF_CARE
from domain.deadlines import DeadlineEvent, DeadlineQuery, DeadlineResult
from domain.escalation import AUTHORIZATION_EXPIRY_KEY, Priority, TaskQueue
from domain.models import CaseDeadline, Obligor
from domain.polling import PollSchedule, next_poll_at

Step = tuple[CaseState, Transition | None]
INQUIRY_ACTOR = "payer:inquire"


def initial_state(facts: CaseFacts) -> CaseState:
    return CaseState(
        assignee=facts.assignee,
        items=[
            ItemState(sequence=line.sequence, code=line.code, units=line.units)
            for line in facts.lines
        ],
    )


def query(
    state: CaseState, facts: CaseFacts, event: DeadlineEvent, **changes: object
) -> DeadlineQuery:
    """The engine's question about `event` for this case as it stands."""
    return facts.deadline_query(event, **{"extension_taken": state.extension_taken, **changes})


def with_deadlines(state: CaseState, changed: list[CaseDeadline]) -> CaseState:
    return state.model_copy(update={"deadlines": merged(state.deadlines, changed)})


def closing(
    state: CaseState, keys: tuple[str, ...], now: datetime, *, met: bool
) -> list[CaseDeadline]:
    return [
        closed
        for key in keys
        if (closed := closed_deadline(state.deadlines, key, now, met=met)) is not None
    ]


# ---------------------------------------------------------------- opening and submitting


def opening_query(state: CaseState, facts: CaseFacts) -> DeadlineQuery:
    return query(state, facts, DeadlineEvent.INITIAL_REQUEST_DECISION)


def continuity_query(facts: CaseFacts) -> DeadlineQuery | None:
    """The engine's question for the continuity-of-care transition of a member who joined the
    plan in an active course of treatment (None: the case says nothing of it)."""
    if facts.continuity_of_care_from is None:
        return None
    return facts.deadline_query(
        DeadlineEvent.CONTINUITY_OF_CARE_TRANSITION_END,
        enrollment_date=facts.continuity_of_care_from,
    )


def on_opened(
    state: CaseState,
    facts: CaseFacts,
    stamp: Stamp,
    found: DeadlineResult | None,
    *,
    submit_to_payer: bool = True,
    continuity: DeadlineResult | None = None,
) -> Step:
    """`continuity`: the engine's answer to `continuity_query`, if the case asked it."""
    changed = []
    if continuity is not None:
        changed.append(
            to_case_deadline(
                CONTINUITY_OF_CARE,
                "Continuity of care: the prior course of treatment is honored through",
                Obligor.PAYER,
                continuity,
                None,
            )
        )
    if found is not None:
        changed.append(
            to_case_deadline(
                INITIAL_DECISION,
                "Payer decision on the request",
                Obligor.PAYER,
                found,
                facts.received_at,
            )
        )
    state = with_deadlines(state, changed).model_copy(
        update={
            "opened": True,
            "phase": Phase.SUBMIT if submit_to_payer else Phase.AWAIT_DECISION,
        }
    )
    return state, stamp.transition(
        CaseEvent.CASE_OPENED,
        f"Case opened ({facts.regime.value}, {facts.urgency.value}, {len(facts.lines)} item(s))",
        state=state,
        status=CaseStatus.OPENED,
        deadlines=changed,
        rule=found.rule if found else None,
    )


def on_submission_started(state: CaseState) -> tuple[CaseState, SubmissionKind, int]:
    """Count the submission about to be made: (state, its kind, its number)."""
    submissions = state.submissions + 1
    return (
        state.model_copy(update={"submissions": submissions}),
        SubmissionKind(state.submission_kind),
        submissions,
    )


def on_submitted(
    state: CaseState,
    stamp: Stamp,
    kind: SubmissionKind,
    submission_id: str,
    payer_reference: str | None,
) -> Step:
    state = state.model_copy(
        update={
            "pending_attachments": [],
            "phase": Phase.AWAIT_DECISION,
            "status": CaseStatus.SUBMITTED,
            "poll_from": stamp.now,
            "last_poll_at": None,
        }
    )
    return state, stamp.transition(
        CaseEvent.SUBMITTED if kind == SubmissionKind.INITIAL else CaseEvent.RESUBMITTED,
        f"{kind.value.capitalize()} submission accepted by the payer ({submission_id})",
        state=state,
        close_tasks=[TaskClosure(kind=TaskKind.PAYER_REJECTED, status="done")],
        details={"submission_id": submission_id, "payer_reference": payer_reference or ""},
    )


def on_submission_rejected(state: CaseState) -> CaseState:
    """After `domain.case.step.payer_rejected`: a person fixes the request; nothing is
    awaited from the payer."""
    return state.model_copy(
        update={
            "poll_from": None,
            "status": CaseStatus.NEEDS_ATTENTION,
            "phase": Phase.AWAIT_DECISION,
        }
    )


# ---------------------------------------------------------------- reconciliation polls


def poll_due_at(state: CaseState, schedule: PollSchedule) -> datetime | None:
    """The next inquiry while a submitted request awaits the payer; None once the payer's
    decision clock has passed (the escalation ladder has that case) or nothing is awaited."""
    if state.poll_from is None or state.phase not in AWAITING:
        return None
    at = next_poll_at(state.poll_from, state.last_poll_at, schedule)
    clock = [d.due_at for d in active_deadlines(state.deadlines) if d.key == INITIAL_DECISION]
    if clock and at >= clock[0]:
        return None
    return at


def on_poll(state: CaseState, now: datetime) -> CaseState:
    return state.model_copy(update={"last_poll_at": now, "polls": state.polls + 1})


def on_polling_unsupported(state: CaseState) -> CaseState:
    """The payer channel cannot be asked (it only pushes answers): stop polling."""
    return state.model_copy(update={"poll_from": None})


# ---------------------------------------------------------------- people's actions


def supply_query(
    state: CaseState, facts: CaseFacts, message: SupplyInformationInput, now: datetime
) -> DeadlineQuery | None:
    """The engine's question for the payer's clock once the information is in (optional: no
    answer leaves the clock as it is)."""
    if message.submission_id in state.supply_ids or state.rfi is None:
        return None
    return query(
        state,
        facts,
        DeadlineEvent.PENDING_INFORMATION_DECISION,
        info_request_sent_at=state.rfi.requested_at,
        claimant_response_at=now,
        all_information_received_at=now,
    )


def supplying_state(state: CaseState, message: SupplyInformationInput, now: datetime) -> CaseState:
    """The case while the engine is asked for the payer's clock again: the documents taken and
    the information request's clock met (what the workflow's waiting loop sees meanwhile)."""
    return _supply(state, message, now)[0]


def _supply(
    state: CaseState, message: SupplyInformationInput, now: datetime
) -> tuple[CaseState, list[CaseDeadline]]:
    closed = closing(state, (INFORMATION_RESPONSE,), now, met=True)
    state = with_deadlines(state, closed).model_copy(
        update={
            "supply_ids": [*state.supply_ids, message.submission_id],
            "pending_attachments": message.attachments,
            "submission_kind": SubmissionKind.RESUBMISSION.value,
        }
    )
    return state, closed


def on_information_supplied(
    state: CaseState,
    message: SupplyInformationInput,
    *,
    now: datetime,
    stamp: Stamp,
    found: DeadlineResult | None = None,
) -> Step:
    """The documents the payer asked for: the case resubmits them (phase back to submit)."""
    if message.submission_id in state.supply_ids:
        return state, None
    state, changed = _supply(state, message, now)
    closed = len(changed)
    if state.rfi is not None and found is not None:
        changed.append(
            to_case_deadline(
                INITIAL_DECISION,
                "Payer decision after the information was supplied",
                Obligor.PAYER,
                found,
                stamp.now,
            )
        )
    state = with_deadlines(state, changed[closed:]).model_copy(
        update={"rfi": None, "phase": Phase.SUBMIT}
    )
    return state, stamp.transition(
        CaseEvent.INFORMATION_SUPPLIED,
        f"{len(message.attachments)} document(s) supplied for the payer's request",
        state=state,
        actor=message.actor,
        deadlines=changed,
        close_tasks=[
            TaskClosure(kind=TaskKind.INFORMATION_REQUESTED, status="done", by=message.actor)
        ],
    )


def on_peer_to_peer_requested(state: CaseState, message: PeerToPeerInput, stamp: Stamp) -> Step:
    met = closing(state, (PEER_TO_PEER_WINDOW,), stamp.now, met=True)
    state = with_deadlines(state, met).model_copy(update={"peer_to_peer_requested": True})
    return state, stamp.transition(
        CaseEvent.PEER_TO_PEER_REQUESTED,
        "Peer-to-peer review requested with a physician reviewer",
        state=state,
        actor=message.actor,
        tasks=[
            stamp.task(
                TaskKind.PEER_TO_PEER,
                "Schedule the peer-to-peer review (ask for a physician reviewer; "
                "prepare the one-page brief)",
                queue=TaskQueue.UR,
                priority=Priority.HIGH,
                due_at=stamp.now + timedelta(days=2),
            )
        ],
        deadlines=met,
        details={"windows": "; ".join(message.preferred_windows)},
    )


def on_assigned(state: CaseState, message: AssignInput, stamp: Stamp) -> Step:
    previous = state.assignee
    state = state.model_copy(update={"assignee": message.assignee})
    return state, stamp.transition(
        CaseEvent.ASSIGNED,
        f"Assigned to {message.assignee}" + (f" (was {previous})" if previous else ""),
        state=state,
        actor=message.actor,
    )


def on_note(state: CaseState, message: NoteInput, stamp: Stamp) -> Step:
    return state, stamp.transition(
        CaseEvent.NOTE,
        "Note added",
        state=state,
        actor=message.actor,
        details={"text": message.text},
    )


def on_units_used(state: CaseState, message: UnitsUsedInput, stamp: Stamp) -> Step:
    """Units delivered against an authorized item. When the approved units are used up (or
    overrun), a task says so: renew, or ask the payer for more units."""
    items = []
    item: ItemState | None = None
    for current in state.items:
        if current.sequence == message.sequence:
            current = current.model_copy(update={"units_used": current.units_used + message.units})
            item = current
        items.append(current)
    if item is None:
        return state, None
    state = state.model_copy(update={"items": items})
    approved = item.approved_units
    left = "" if approved is None else f": {item.units_used} of {approved} approved units used"
    tasks = []
    if approved is not None and item.units_used > approved:
        tasks.append(
            stamp.task(
                TaskKind.UNITS_EXHAUSTED,
                f"Item {item.sequence} ({item.code}): {item.units_used} units used, "
                f"{approved} authorized: ask the payer to extend the authorization",
                priority=Priority.URGENT,
            )
        )
    elif approved is not None and item.units_used == approved:
        tasks.append(
            stamp.task(
                TaskKind.UNITS_EXHAUSTED,
                f"Item {item.sequence} ({item.code}): all {approved} authorized units used: "
                "renew the authorization if care continues",
                priority=Priority.HIGH,
            )
        )
    return state, stamp.transition(
        CaseEvent.UNITS_USED,
        f"{message.units} unit(s) of item {item.sequence} ({item.code}) used on "
        f"{message.used_on.isoformat()}{left}",
        state=state,
        actor=message.actor,
        tasks=tasks,
        details={
            "sequence": str(item.sequence),
            "units": str(message.units),
            "used_on": message.used_on.isoformat(),
            "units_used": str(item.units_used),
            **({"approved_units": str(approved)} if approved is not None else {}),
            **({"note": message.note} if message.note else {}),
        },
    )


def on_contact(state: CaseState, message: ContactInput, stamp: Stamp) -> Step:
    contact = message.contact
    return state, stamp.transition(
        CaseEvent.CONTACT,
        f"{contact.direction.value.capitalize()} {contact.channel.value}"
        + (f" ref {contact.reference_number}" if contact.reference_number else ""),
        state=state,
        actor=message.actor,
        contact=contact,
    )


# ---------------------------------------------------------------- closing


def on_closed(
    state: CaseState,
    stamp: Stamp,
    reason: str,
    *,
    status: CaseStatus | None = None,
    event: str = CaseEvent.CASE_CLOSED,
    actor: str = "system",
    tasks: list[TaskSpec] | None = None,
    close_tasks: list[TaskClosure] | None = None,
    deadlines: list[CaseDeadline] | None = None,
) -> Step:
    """Close the case: every open deadline (not met) and, after `close_tasks`, every open task.

    `status`: the case's final status (None: it keeps its own, e.g. approved); `deadlines`:
    ones the caller already closed (met).
    """
    state = with_deadlines(state, list(deadlines or []))
    changed = list(deadlines or []) + closing(
        state, tuple(d.key for d in active_deadlines(state.deadlines)), stamp.now, met=False
    )
    state = with_deadlines(state, changed).model_copy(
        update={
            "phase": Phase.DONE,
            "closed_reason": reason,
            "status": status if status is not None else state.status,
        }
    )
    return state, stamp.transition(
        event,
        reason,
        state=state,
        actor=actor,
        deadlines=changed,
        tasks=tasks,
        close_tasks=[*(close_tasks or []), TaskClosure(by=actor)],
    )


def on_nothing_to_decide(state: CaseState, stamp: Stamp) -> Step:
    """The payer's decision left nothing to authorize or appeal (not required, cancelled)."""
    return on_closed(
        state,
        stamp,
        "No authorization needed or the request was cancelled",
        status=CaseStatus.CLOSED,
    )


def on_window_missed(state: CaseState, stamp: Stamp) -> Step:
    """The appeal filing window passed without an appeal (it closes with the case, not met)."""
    if state.phase not in APPEALABLE:
        return state, None
    return on_closed(
        state,
        stamp,
        "The appeal filing window passed without an appeal",
        status=CaseStatus.CLOSED,
        event=CaseEvent.APPEAL_WINDOW_MISSED,
        tasks=[
            stamp.task(
                TaskKind.APPEAL_WINDOW_MISSED,
                "Appeal filing window missed: review for good-cause late filing",
                queue=TaskQueue.SUPERVISOR,
                priority=Priority.URGENT,
            )
        ],
    )


def on_denial_accepted(state: CaseState, message: AcceptDenialInput, stamp: Stamp) -> Step:
    if state.phase not in APPEALABLE:
        return state, None
    return on_closed(
        state,
        stamp,
        f"Decision accepted: {message.reason}",
        status=CaseStatus.CLOSED,
        event=CaseEvent.DENIAL_ACCEPTED,
        actor=message.actor,
        close_tasks=[
            TaskClosure(kind=kind, status="done", by=message.actor)
            for kind in (TaskKind.ADVERSE_DECISION, TaskKind.NEXT_LEVEL_OFFERED)
        ],
    )


def on_withdrawn(state: CaseState, message: WithdrawInput, stamp: Stamp) -> Step:
    return on_closed(
        state,
        stamp,
        f"Withdrawn: {message.reason}",
        status=CaseStatus.WITHDRAWN,
        event=CaseEvent.CASE_WITHDRAWN,
        actor=message.actor,
    )


def on_authorization_ended(state: CaseState, stamp: Stamp) -> Step:
    """The authorization period is over: its clock is met and the case closes (approved)."""
    ended = closed_deadline(state.deadlines, AUTHORIZATION_EXPIRY_KEY, stamp.now)
    return on_closed(
        state, stamp, "The authorization period has ended", deadlines=[ended] if ended else []
    )


def on_nothing_to_watch(state: CaseState, stamp: Stamp) -> Step:
    return on_closed(state, stamp, "Approved; no authorization end date to watch")
