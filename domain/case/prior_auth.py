"""The prior-authorization case's steps as pure functions: `on_<event>(state, ...) -> (state,
Transition)`.

Each step takes the current `CaseState`, the message, the `Stamp` it is recorded under (its
sequence number and moment) and, where a clock is set, the deadline engine's answer: the
`*_query` functions ask the question, the caller asks the engine and passes its answer in
(None: no rule applies; the caller first records that as a step of its own,
`domain.case.step.deadline_unknown`). A step that does not apply returns the state unchanged
and no transition. Functions never mutate their inputs: the state returned is a copy.

Appeals (filing, their outcome, the next level) are in `domain.case.prior_auth_appeals`; the
validators' rules in `domain.case.prior_auth_rules`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.case.facts import CaseFacts
from domain.case.messages import (
    AcceptDenialInput,
    AssignInput,
    ContactInput,
    NoteInput,
    PayerDecisionInput,
    PayerExtensionInput,
    PeerToPeerInput,
    SupplyInformationInput,
    WithdrawInput,
)
from domain.case.prior_auth_rules import (
    APPEAL_WINDOW,
    APPEALABLE,
    ATTENTION,
    AWAITING,
    DECISION_TASKS,
    GRANTED,
    INFORMATION_RESPONSE,
    INITIAL_DECISION,
    NEXT_LEVEL_WINDOW,
    summarize,
)
from domain.case.state import CaseState, ItemState
from domain.case.step import (
    Stamp,
    active_deadlines,
    closed_deadline,
    find_deadline,
    set_deadline,
    to_case_deadline,
)
from domain.case.transition import TaskClosure, TaskSpec, Transition
from domain.case.vocabulary import CaseEvent, CaseStatus, Phase, SubmissionKind, TaskKind
from domain.deadlines import DeadlineEvent, DeadlineQuery, DeadlineResult, calendars
from domain.enums import ItemOutcome
from domain.escalation import AUTHORIZATION_EXPIRY_KEY, Priority, TaskQueue
from domain.models import CaseDeadline, ItemDecision, Obligor, PayerDecision
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
    deadlines = state.deadlines
    for deadline in changed:
        deadlines = set_deadline(deadlines, deadline)
    return state.model_copy(update={"deadlines": deadlines})


def _closing(
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


def on_opened(
    state: CaseState,
    facts: CaseFacts,
    stamp: Stamp,
    found: DeadlineResult | None,
    *,
    submit_to_payer: bool = True,
) -> Step:
    changed = []
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


# ---------------------------------------------------------------- payer decisions


def _fresh(state: CaseState, decision: PayerDecision) -> dict[int, ItemDecision]:
    """The decision's items that are newer than what the case holds for them."""
    current = {item.sequence: item for item in state.items}
    return {
        item.sequence: item
        for item in decision.items
        if current[item.sequence].is_newer(decision.decided_at)
    }


def _decided(
    state: CaseState, decision: PayerDecision, fresh: dict[int, ItemDecision]
) -> list[ItemState]:
    return [
        item.apply(fresh[item.sequence], decision.decision_id, decision.decided_at)
        if item.sequence in fresh
        else item
        for item in state.items
    ]


def _applies(state: CaseState, message: PayerDecisionInput) -> bool:
    return message.decision.decision_id not in state.decision_ids and state.phase != Phase.DONE


def appeal_window_query(
    state: CaseState, facts: CaseFacts, message: PayerDecisionInput
) -> DeadlineQuery | None:
    """The engine's question for the appeal window this decision opens (None: it opens none)."""
    if not _applies(state, message):
        return None
    decision = message.decision
    fresh = _fresh(state, decision)
    if not fresh or summarize(_decided(state, decision, fresh))[1] != Phase.ADVERSE:
        return None
    notice = decision.notice_date or calendars.local_date(
        decision.decided_at, calendars.zone(facts.payer_timezone)
    )
    return query(
        state,
        facts,
        DeadlineEvent.APPEAL_FILING_WINDOW,
        received_at=decision.decided_at,
        notice_date=notice,
    )


def _decide(
    state: CaseState, message: PayerDecisionInput, now: datetime
) -> tuple[CaseState, list[CaseDeadline]]:
    """The decision applied to the items, and the clocks it closes closed (status and phase
    not moved yet): the case as it stands while the engine is asked for an appeal window."""
    decision = message.decision
    fresh = _fresh(state, decision)
    state = state.model_copy(update={"decision_ids": [*state.decision_ids, decision.decision_id]})
    if not fresh:
        return state, []
    state = state.model_copy(update={"items": _decided(state, decision, fresh)})
    phase = summarize(state.items)[1]
    closed: list[CaseDeadline] = []
    if phase not in APPEALABLE:
        closed += _closing(state, (APPEAL_WINDOW, NEXT_LEVEL_WINDOW), now, met=False)
    if phase != Phase.AWAIT_DECISION:
        closed += _closing(state, (INITIAL_DECISION,), now, met=True)
        closed += _closing(state, (INFORMATION_RESPONSE,), now, met=False)
        state = state.model_copy(update={"rfi": None})
    return with_deadlines(state, closed), closed


def deciding_state(state: CaseState, message: PayerDecisionInput, now: datetime) -> CaseState:
    """The case while the engine is asked for the appeal window this decision opens: what its
    waiting loop and a `deadline_unknown` step see (as the workflow's histories record)."""
    return _decide(state, message, now)[0]


def on_payer_decision(
    state: CaseState,
    facts: CaseFacts,
    message: PayerDecisionInput,
    *,
    now: datetime,
    stamp: Stamp,
    window: DeadlineResult | None = None,
    actor: str | None = None,
) -> Step:
    """Apply one payer response. `now`: when the step began (deadlines met then); `window`:
    the engine's answer to `appeal_window_query`; `actor` (the credential that delivered it)
    defaults to the decision's channel (`payer:<source>`).

    A duplicate, or one reaching a closed case, changes nothing. Payer messages can arrive out
    of order (a synchronous "pended" answer delivered after the final decision's notification):
    an item keeps its newer decision, and a decision with nothing newer is kept for the record
    only. When the decision leaves nothing to do, the caller closes the case (`on_closed`).
    """
    decision = message.decision
    actor = actor or message.actor or f"payer:{decision.source.value}"
    if not _applies(state, message):
        return state, None
    by_sequence = _fresh(state, decision)
    state, changed = _decide(state, message, now)
    closed = len(changed)
    if not by_sequence:
        return state, stamp.transition(
            CaseEvent.PAYER_DECISION_STALE,
            f"Payer decision {decision.decision_id} is older than the decision already "
            "applied: kept for the record, not applied",
            state=state,
            actor=actor,
            decision=decision,
        )
    status, phase = summarize(state.items)
    tasks: list[TaskSpec] = []
    outcomes = {item.resolved_outcome for item in by_sequence.values()}
    rfi = state.rfi
    request = message.information_request
    if ItemOutcome.PENDED in outcomes and request is not None:
        phase = Phase.PENDED
        rfi = request
        tasks.append(
            stamp.task(
                TaskKind.INFORMATION_REQUESTED,
                "Payer requests more information: " + "; ".join(request.items_requested),
                priority=Priority.HIGH,
                due_at=request.respond_by,
            )
        )
        if request.respond_by is not None:
            changed.append(
                CaseDeadline(
                    key=INFORMATION_RESPONSE,
                    label="Answer the payer's request for information",
                    obligor=Obligor.PROVIDER,
                    due_at=request.respond_by,
                    rule="Payer's request for information",
                    rule_id="payer-rfi",
                    convention="payer_date",
                    explanation="The date the payer gave in its request.",
                    starts_at=request.requested_at,
                )
            )
    if outcomes & ATTENTION:
        tasks.append(
            stamp.task(
                TaskKind.PAYER_NEEDS_ATTENTION,
                "Payer response needs a person: contact the payer or review the action code",
                queue=TaskQueue.UR,
                priority=Priority.HIGH,
            )
        )
    if phase == Phase.ADVERSE:
        if window is not None:
            changed.append(
                to_case_deadline(
                    APPEAL_WINDOW, "File the appeal", Obligor.PROVIDER, window, decision.decided_at
                )
            )
        tasks.append(
            stamp.task(
                TaskKind.ADVERSE_DECISION,
                "Adverse decision: appeal, request a peer-to-peer review, or accept",
                priority=Priority.HIGH,
            )
        )
    if phase == Phase.AUTHORIZED:
        changed += authorization_deadline(state, facts, stamp.now)
    state = with_deadlines(state, changed[closed:]).model_copy(
        update={
            "rfi": rfi,
            "status": status,
            "phase": phase,
            "poll_from": state.poll_from if phase in AWAITING else None,
        }
    )
    return state, stamp.transition(
        CaseEvent.PAYER_DECISION,
        f"Payer decision {decision.decision_id}: "
        + ", ".join(f"item {i.sequence} {i.resolved_outcome.value}" for i in decision.items),
        state=state,
        actor=actor,
        decision=decision,
        deadlines=changed,
        tasks=tasks,
        close_tasks=[TaskClosure(kind=kind) for kind in DECISION_TASKS],
    )


def authorization_deadline(state: CaseState, facts: CaseFacts, now: datetime) -> list[CaseDeadline]:
    """The end of the authorization period (the last granted item's end date), if any."""
    ends = [
        item.authorized_end
        for item in state.items
        if item.outcome in GRANTED and item.authorized_end is not None
    ]
    if not ends:
        return []
    return [
        CaseDeadline(
            key=AUTHORIZATION_EXPIRY_KEY,
            label="Authorization period ends",
            obligor=Obligor.PROVIDER,
            due_at=calendars.end_of_day(max(ends), calendars.zone(facts.payer_timezone)),
            rule="Payer authorization (validity window)",
            rule_id="payer-authorization-window",
            convention="end_of_day_local",
            explanation="Renew or extend the authorization before it lapses.",
            starts_at=now,
        )
    ]


def extension_query(
    state: CaseState, facts: CaseFacts, message: PayerExtensionInput
) -> DeadlineQuery | None:
    """The engine's question for an extension without a payer date (None: nothing to ask)."""
    if message.notice_id in state.extension_ids:
        return None
    if message.new_due_at is not None and find_deadline(state.deadlines, INITIAL_DECISION):
        return None
    return query(state, facts, DeadlineEvent.INITIAL_REQUEST_DECISION, extension_taken=True)


def on_payer_extension(
    state: CaseState,
    facts: CaseFacts,
    message: PayerExtensionInput,
    *,
    stamp: Stamp,
    found: DeadlineResult | None = None,
) -> Step:
    """The payer takes its extension (`found`: the extended clock) or names its own date."""
    if message.notice_id in state.extension_ids:
        return state, None
    current = find_deadline(state.deadlines, INITIAL_DECISION)
    moved: CaseDeadline | None = None
    extension_taken = state.extension_taken
    if message.new_due_at is not None and current is not None:
        moved = current.model_copy(
            update={
                "due_at": message.new_due_at,
                "rule": f"Payer notice {message.notice_id} ({current.rule})",
                "convention": "payer_date",
            }
        )
    else:
        extension_taken = True
        if found is not None:
            moved = to_case_deadline(
                INITIAL_DECISION,
                "Payer decision on the request (extended)",
                Obligor.PAYER,
                found,
                facts.received_at,
            )
    changed = [moved] if moved is not None else []
    state = with_deadlines(state, changed).model_copy(
        update={
            "extension_ids": [*state.extension_ids, message.notice_id],
            "extension_taken": extension_taken,
        }
    )
    return state, stamp.transition(
        CaseEvent.PAYER_EXTENSION,
        f"Payer extension {message.notice_id}: decision now due "
        + (moved.due_at.isoformat() if moved else "(unknown)"),
        state=state,
        actor="payer",
        deadlines=changed,
        rule=moved.rule if moved else None,
        details={"old_due_at": current.due_at.isoformat() if current else ""},
    )


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
    closed = _closing(state, (INFORMATION_RESPONSE,), now, met=True)
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
    state = state.model_copy(update={"peer_to_peer_requested": True})
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
    changed = list(deadlines or []) + _closing(
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
