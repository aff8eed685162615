"""The prior-authorization case's payer steps as pure functions: a payer decision (per item,
with the stale-decision rule and dedupe) and a payer extension.

Same conventions as `domain.case.prior_auth`: a `Stamp` per step, the engine's answer passed in
(`appeal_window_query`, `extension_query` ask the question), a new state returned.
"""

from __future__ import annotations

from datetime import datetime

from domain.case.facts import CaseFacts
from domain.case.messages import PayerDecisionInput, PayerExtensionInput
from domain.case.prior_auth import Step, closing, query, with_deadlines
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
    PEER_TO_PEER_WINDOW,
    summarize,
)
from domain.case.state import CaseState, ItemState
from domain.case.step import Stamp, find_deadline, to_case_deadline
from domain.case.transition import TaskClosure, TaskSpec
from domain.case.vocabulary import CaseEvent, Phase, TaskKind
from domain.deadlines import DeadlineEvent, DeadlineQuery, DeadlineResult, calendars
from domain.enums import ItemOutcome
from domain.escalation import AUTHORIZATION_EXPIRY_KEY, Priority, TaskQueue
from domain.models import CaseDeadline, ItemDecision, Obligor, PayerDecision
from domain.peer_to_peer import PeerToPeerWindow, WindowQuestion


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
        closed += closing(
            state, (APPEAL_WINDOW, NEXT_LEVEL_WINDOW, PEER_TO_PEER_WINDOW), now, met=False
        )
    if phase != Phase.AWAIT_DECISION:
        closed += closing(state, (INITIAL_DECISION,), now, met=True)
        closed += closing(state, (INFORMATION_RESPONSE,), now, met=False)
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
    peer_to_peer_due: datetime | None = None,
) -> Step:
    """Apply one payer response. `now`: when the step began (deadlines met then); `window`:
    the engine's answer to `appeal_window_query`; `actor` (the credential that delivered it)
    defaults to the decision's channel (`payer:<source>`); `peer_to_peer_due`: the answer to
    `peer_to_peer_question`.

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
        if facts.peer_to_peer_window is not None and peer_to_peer_due is not None:
            changed.append(
                peer_to_peer_deadline(facts, facts.peer_to_peer_window, decision, peer_to_peer_due)
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


def peer_to_peer_question(
    state: CaseState,
    facts: CaseFacts,
    message: PayerDecisionInput,
    appeal_window: DeadlineQuery | None,
) -> WindowQuestion | None:
    """When the decision is a denial (it opens an appeal window: `appeal_window` is the
    `appeal_window_query` answer) at a payer with a peer-to-peer window, none asked for yet:
    the question of the window's end, for the deadline activity."""
    window = facts.peer_to_peer_window
    if window is None or state.peer_to_peer_requested or appeal_window is None:
        return None
    decision = message.decision
    return WindowQuestion(
        window=window,
        decided_at=decision.decided_at,
        notice_date=decision.notice_date,
        timezone=facts.payer_timezone,
    )


def peer_to_peer_deadline(
    facts: CaseFacts, window: PeerToPeerWindow, decision: PayerDecision, due_at: datetime
) -> CaseDeadline:
    """The last moment to ask this payer for a peer-to-peer conversation about the denial."""
    return CaseDeadline(
        key=PEER_TO_PEER_WINDOW,
        label="Ask for a peer-to-peer review",
        obligor=Obligor.PROVIDER,
        due_at=due_at,
        rule=f"Payer policy (payer directory): peer-to-peer {window.description}",
        rule_id="payer-peer-to-peer-window",
        convention="payer_policy",
        explanation=f"Payer {facts.payer_id} grants a peer-to-peer conversation only "
        f"{window.description}; after that only the written appeal remains.",
        starts_at=decision.decided_at,
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
