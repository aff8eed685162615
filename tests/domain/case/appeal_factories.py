"""Synthetic appeal levels, clocks and messages for the appeal transition tests (no Temporal)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.appeals import AppealLevel
from domain.case.appeal_state import (
    AppealSetup,
    AppealState,
    handed_over_deadlines,
    opening_state,
)
from domain.case.facts import CaseFacts, LineFacts
from domain.case.messages import AppealDecisionInput
from domain.case.step import find_deadline, is_active, merged
from domain.case.transition import TaskSpec, Transition
from domain.case.vocabulary import AppealOutcome
from domain.deadlines import DeadlineEvent, DeadlineResult
from domain.enums import ItemOutcome, Regime
from domain.escalation import TaskQueue
from domain.models import CaseDeadline, ItemDecision, Obligor

CASE = "case-appeal-1"
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
FILING_KEY = "appeal_window"
DECISION_KEY = "appeal_1_decision"


def facts(regime: Regime = Regime.MEDICARE_ADVANTAGE) -> CaseFacts:
    return CaseFacts(
        case_id=CASE,
        regime=regime,
        payer_id="EXH01",
        received_at=T0 - timedelta(days=20),
        lines=[LineFacts(sequence=1, code="27447"), LineFacts(sequence=2, code="20610")],
    )


def filing_window(due_at: datetime = T0 + timedelta(days=60)) -> CaseDeadline:
    return CaseDeadline(
        key=FILING_KEY,
        label="File the appeal",
        obligor=Obligor.PROVIDER,
        due_at=due_at,
        rule="42 CFR 422.582(b)",
        rule_id="ma-appeal-filing",
        convention="calendar days",
        explanation="60 days from the notice",
        starts_at=T0,
    )


def setup(
    *,
    regime: Regime = Regime.MEDICARE_ADVANTAGE,
    level: AppealLevel = AppealLevel.PLAN_RECONSIDERATION,
    number: int = 1,
    auto_forwarded: bool = False,
    filing_due: CaseDeadline | None = None,
) -> AppealSetup:
    return AppealSetup(
        facts=facts(regime),
        level=level,
        number=number,
        sequences=[1],
        notice_date=date(2026, 12, 1),
        filing_key=FILING_KEY,
        decision_key=f"appeal_{number}_decision",
        filing_due=filing_due if filing_due is not None or auto_forwarded else filing_window(),
        auto_forwarded=auto_forwarded,
        requested_by="cm-ann",
    )


def forwarded() -> AppealSetup:
    """Medicare Advantage's IRE level: the plan forwards it, nobody files it."""
    return setup(level=AppealLevel.IRE_RECONSIDERATION, number=2, auto_forwarded=True)


def engine_answer(due_at: datetime = T0 + timedelta(days=30)) -> DeadlineResult:
    return DeadlineResult(
        due_at=due_at,
        rule="42 CFR 422.590(a)",
        convention="calendar days",
        explanation="30 days from the request",
        rule_id="ma-reconsideration",
        regime=Regime.MEDICARE_ADVANTAGE,
        event=DeadlineEvent.APPEAL_DECISION,
    )


def appeal_decision(
    outcome: AppealOutcome = AppealOutcome.OVERTURNED,
    *,
    decision_id: str = "ad-1",
    sequences: tuple[int, ...] = (1,),
    note: str | None = None,
) -> AppealDecisionInput:
    return AppealDecisionInput(
        decision_id=decision_id,
        outcome=outcome,
        decided_at=T0 + timedelta(days=10),
        items=[ItemDecision(sequence=s, outcome=ItemOutcome.APPROVED) for s in sequences],
        note=note,
    )


class Ledger:
    """What the appeal workflow and the store keep around the pure functions: the state, the
    clocks, the event sequence and the open tasks (closed and opened as the store does)."""

    def __init__(self, appeal: AppealSetup) -> None:
        self.setup = appeal
        self.state = opening_state(appeal)
        self.deadlines: list[CaseDeadline] = handed_over_deadlines(appeal)
        self.seq = 0
        self.tasks: dict[str, TaskSpec] = {}
        self.transitions: list[Transition] = []

    @property
    def next_seq(self) -> int:
        return self.seq + 1

    def take(self, step: tuple[AppealState, Transition | None]) -> Transition | None:
        state, transition = step
        self.state = state
        if transition is None:
            return None
        assert transition.key == f"{CASE}:{self.setup.scope}:{self.next_seq:05d}"
        self.seq += 1
        self.deadlines = merged(self.deadlines, transition.deadlines)
        for key, task in list(self.tasks.items()):
            if transition.closing(
                kind=task.kind, key=key, deadline_key=task.deadline_key, due_at=task.due_at
            ):
                del self.tasks[key]
        for task in transition.tasks:
            self.tasks[task.key] = task
        self.transitions.append(transition)
        return transition

    def deadline(self, key: str) -> CaseDeadline | None:
        return find_deadline(self.deadlines, key)

    def escalate(self, deadline_key: str) -> None:
        """An escalation rung fires for a running clock (a task tied to it, as the mixin opens)."""
        deadline = self.deadline(deadline_key)
        if deadline is None or not is_active(deadline):
            return
        key = f"{CASE}:rung:{deadline_key}:{len(self.tasks)}"
        self.tasks[key] = TaskSpec(
            key=key,
            kind="escalation_due",
            queue=TaskQueue.SUPERVISOR,
            title=f"{deadline.label} is due",
            due_at=deadline.due_at,
            deadline_key=deadline.key,
        )
