"""The prior-authorization case's appeal steps as pure functions: filing a level, its outcome
and the offer of the next level (the level itself runs in the appeal workflow).

Same conventions as `domain.case.prior_auth`: a `Stamp` per step, the engine's answer passed in
(`next_level_query` asks the question), a new state returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.appeals import AppealLevelSpec, appeal_ladder, next_level
from domain.case.appeal_result import AppealResult
from domain.case.facts import CaseFacts
from domain.case.messages import FileAppealInput
from domain.case.prior_auth import Step, on_closed, query, with_deadlines
from domain.case.prior_auth_payer import authorization_deadline
from domain.case.prior_auth_rules import (
    APPEAL_WINDOW,
    NEXT_LEVEL_WINDOW,
    adverse_sequences,
    summarize,
)
from domain.case.read_model import Appeal
from domain.case.state import AppealSummary, CaseState, NextLevelOffer
from domain.case.step import Stamp, find_deadline, is_active, to_case_deadline, without_deadline
from domain.case.transition import TaskClosure
from domain.case.vocabulary import AppealStatus, CaseEvent, CaseStatus, Phase, TaskKind
from domain.deadlines import DeadlineEvent, DeadlineQuery, DeadlineResult, calendars
from domain.enums import ADVERSE_OUTCOMES, ItemOutcome, Urgency
from domain.escalation import Priority
from domain.models import CaseDeadline, Obligor


@dataclass(frozen=True)
class AppealFiling:
    """What filing the next appeal level means for this case (decided before it is recorded).

    `window`: the open filing window handed to the appeal workflow (None: none to hand over).
    """

    spec: AppealLevelSpec
    window_key: str
    window: CaseDeadline | None
    sequences: list[int]
    expedited: bool
    status: AppealStatus
    auto: bool
    # The filing window's start (the notice of the decision appealed), when it has one.
    anchor: datetime | None

    def notice_date(self, facts: CaseFacts, now: datetime) -> date:
        """The date of the notice appealed (today, in the payer's zone, if there is none)."""
        return calendars.local_date(self.anchor or now, calendars.zone(facts.payer_timezone))


def level_to_file(state: CaseState, facts: CaseFacts) -> AppealLevelSpec:
    ladder = appeal_ladder(facts.regime, facts.appeal_levels)
    if state.offer is not None:
        for spec in ladder:
            if spec.level == state.offer.level:
                return spec
    return ladder[0]


def plan_appeal(
    state: CaseState, facts: CaseFacts, request: FileAppealInput, *, auto: bool
) -> AppealFiling:
    window_key = NEXT_LEVEL_WINDOW if state.offer is not None else APPEAL_WINDOW
    window = None if auto else find_deadline(state.deadlines, window_key)
    if window is not None and not is_active(window):
        window = None
    anchor = window.starts_at if window is not None and window.starts_at else None
    return AppealFiling(
        spec=level_to_file(state, facts),
        window_key=window_key,
        window=window,
        sequences=request.sequences or adverse_sequences(state),
        expedited=request.expedited or facts.urgency == Urgency.EXPEDITED,
        status=AppealStatus.SUBMITTED if auto else AppealStatus.DRAFTING,
        auto=auto,
        anchor=anchor,
    )


def on_appeal_filed(
    state: CaseState,
    filing: AppealFiling,
    request: FileAppealInput,
    *,
    workflow_id: str,
    stamp: Stamp,
) -> Step:
    """The case goes into appeal. The filing window (same key, still open) goes to the appeal
    workflow, which escalates it and marks it met when the appeal reaches the payer; the store
    learns of the appeal here, before its workflow starts, so only that workflow writes its row
    from then on."""
    spec = filing.spec
    deadlines = state.deadlines
    if filing.window is not None:
        deadlines = without_deadline(deadlines, filing.window_key)
    state = state.model_copy(
        update={
            "offer": None,
            "phase": Phase.IN_APPEAL,
            "status": CaseStatus.IN_APPEAL,
            "deadlines": deadlines,
        }
    )
    return state, stamp.transition(
        CaseEvent.APPEAL_FORWARDED if filing.auto else CaseEvent.APPEAL_FILED,
        f"{spec.title} "
        + ("forwarded automatically" if filing.auto else f"requested by {request.actor}"),
        state=state,
        actor=request.actor,
        close_tasks=[
            TaskClosure(kind=TaskKind.ADVERSE_DECISION, status="done", by=request.actor),
            TaskClosure(kind=TaskKind.NEXT_LEVEL_OFFERED, status="done", by=request.actor),
            TaskClosure(kind=TaskKind.PEER_TO_PEER),
        ],
        appeal=Appeal(
            level=spec.level,
            number=spec.number,
            expedited=filing.expedited,
            status=filing.status,
            sequences=filing.sequences,
            arguments=request.arguments,
            requested_peer_to_peer=state.peer_to_peer_requested,
        )
        if filing.sequences
        else None,
        details={"level": spec.level.value, "workflow_id": workflow_id},
    )


def on_appeal_started(state: CaseState, filing: AppealFiling, workflow_id: str) -> CaseState:
    """The appeal level's workflow runs: the case lists it."""
    summary = AppealSummary(
        level=filing.spec.level,
        number=filing.spec.number,
        workflow_id=workflow_id,
        status=filing.status,
        auto_forwarded=filing.auto,
    )
    return state.model_copy(update={"appeals": [*state.appeals, summary]})


def _with_result(state: CaseState, result: AppealResult) -> CaseState:
    """The level's summary and, when it overturned the denial, the items it decided."""
    appeals = list(state.appeals)
    appeals[-1] = appeals[-1].model_copy(
        update={
            "status": result.status,
            "filed_at": result.filed_at,
            "decided_at": result.decided_at,
            "letter_id": result.letter_id,
        }
    )
    items = list(state.items)
    if result.status in (AppealStatus.OVERTURNED, AppealStatus.PARTIALLY_OVERTURNED):
        decided = {item.sequence: item for item in result.items}
        for index, item in enumerate(items):
            if item.sequence in decided:
                items[index] = item.apply(
                    decided[item.sequence], result.decision_id or "appeal", result.decided_at
                )
            elif result.status == AppealStatus.OVERTURNED and item.outcome in ADVERSE_OUTCOMES:
                items[index] = item.model_copy(
                    update={
                        "outcome": ItemOutcome.APPROVED,
                        "decision_id": result.decision_id,
                        "approved_units": item.units,
                    }
                )
    return state.model_copy(update={"appeals": appeals, "items": items})


def offering_state(state: CaseState, result: AppealResult) -> CaseState:
    """The case while the next level's filing window is asked for (already denied again)."""
    return _with_result(state, result).model_copy(update={"status": CaseStatus.DENIED})


def _authorized(state: CaseState, result: AppealResult) -> bool:
    overturned = result.status in (AppealStatus.OVERTURNED, AppealStatus.PARTIALLY_OVERTURNED)
    return overturned and summarize(state.items)[1] == Phase.AUTHORIZED


def _offers_next(result: AppealResult) -> bool:
    return result.status in (AppealStatus.UPHELD, AppealStatus.PARTIALLY_OVERTURNED)


def next_level_query(
    state: CaseState, facts: CaseFacts, result: AppealResult, now: datetime
) -> DeadlineQuery | None:
    """The engine's question for the next level's filing window (None: nothing to ask)."""
    after = _with_result(state, result)
    if _authorized(after, result) or not _offers_next(result):
        return None
    spec = next_level(facts.regime, result.level, facts.appeal_levels)
    if spec is None or spec.filing_event is None or spec.auto_forwarded:
        return None
    decided_at = result.decided_at or now
    return query(
        after,
        facts,
        DeadlineEvent(spec.filing_event),
        received_at=decided_at,
        notice_date=calendars.local_date(decided_at, calendars.zone(facts.payer_timezone)),
    )


def on_appeal_result(
    state: CaseState,
    facts: CaseFacts,
    result: AppealResult,
    *,
    now: datetime,
    stamp: Stamp,
    window: DeadlineResult | None = None,
) -> Step:
    """An appeal level ended: approved (overturned), the next level offered (upheld; `window`
    answers `next_level_query`), or the case closes (withdrawn, expired, the ladder's end).

    `now`: when the step began (the filing window of a level decided without a date runs from
    then)."""
    state = _with_result(state, result)
    if _authorized(state, result):
        status, phase = summarize(state.items)
        state = state.model_copy(update={"status": status, "phase": phase})
        changed = authorization_deadline(state, facts, stamp.now)
        state = with_deadlines(state, changed)
        return state, stamp.transition(
            CaseEvent.APPEAL_OVERTURNED,
            f"Appeal level {result.number} overturned the denial: approved",
            state=state,
            deadlines=changed,
        )
    if _offers_next(result):
        return _offer_next_level(state, facts, result, now=now, stamp=stamp, window=window)
    reason = {
        AppealStatus.WITHDRAWN: "The appeal was withdrawn",
        AppealStatus.EXPIRED: "The appeal was not signed before its filing window closed",
    }.get(result.status, f"Appeal ended: {result.status.value}")
    return on_closed(state, stamp, reason, status=CaseStatus.CLOSED)


def _offer_next_level(
    state: CaseState,
    facts: CaseFacts,
    result: AppealResult,
    *,
    now: datetime,
    stamp: Stamp,
    window: DeadlineResult | None,
) -> Step:
    spec = next_level(facts.regime, result.level, facts.appeal_levels)
    if spec is None:
        return on_closed(
            state,
            stamp,
            f"Appeal level {result.number} upheld; no further level to offer",
            status=CaseStatus.CLOSED,
        )
    decided_at = result.decided_at or now
    filing_due: CaseDeadline | None = None
    if window is not None and spec.filing_event is not None and not spec.auto_forwarded:
        filing_due = to_case_deadline(
            NEXT_LEVEL_WINDOW,
            f"File the {spec.title.lower()}",
            Obligor.PROVIDER,
            window,
            decided_at,
        )
    offer = NextLevelOffer(
        level=spec.level,
        number=spec.number,
        title=spec.title,
        decided_by=spec.decided_by,
        auto_forwarded=spec.auto_forwarded,
        filing_due=filing_due,
    )
    state = with_deadlines(state, [filing_due] if filing_due else []).model_copy(
        update={
            "status": CaseStatus.DENIED,
            "offer": offer,
            "phase": Phase.IN_APPEAL if spec.auto_forwarded else Phase.NEXT_LEVEL_OFFERED,
        }
    )
    return state, stamp.transition(
        CaseEvent.APPEAL_UPHELD,
        f"Appeal level {result.number} upheld; next: {spec.title}"
        + (" (forwarded automatically)" if spec.auto_forwarded else ""),
        state=state,
        deadlines=[filing_due] if filing_due else [],
        rule=filing_due.rule if filing_due else None,
        tasks=[]
        if spec.auto_forwarded
        else [
            stamp.task(
                TaskKind.NEXT_LEVEL_OFFERED,
                f"Appeal upheld: decide whether to request the {spec.title.lower()}",
                priority=Priority.HIGH,
                due_at=filing_due.due_at if filing_due else None,
            )
        ],
    )


def auto_forward_request(state: CaseState) -> FileAppealInput | None:
    """The request that files the offered level by itself (None: a person decides)."""
    offer = state.offer
    if offer is None or not offer.auto_forwarded or state.phase == Phase.DONE:
        return None
    return FileAppealInput(actor="system", sequences=adverse_sequences(state) or None)
