"""Synthetic prior-auth cases, messages and a driver that steps a case the way its workflow
does (validate, ask the deadline engine, `on_<event>`), without Temporal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.case import prior_auth as case
from domain.case import prior_auth_appeals as appeals
from domain.case import prior_auth_payer as payer
from domain.case.appeal_result import AppealResult
from domain.case.facts import CaseFacts, LineFacts
from domain.case.messages import (
    AcceptDenialInput,
    AssignInput,
    FileAppealInput,
    NoteInput,
    PayerDecisionInput,
    PayerExtensionInput,
    PeerToPeerInput,
    SupplyInformationInput,
    WithdrawInput,
)
from domain.case.prior_auth_rules import (
    accept_denial_problem,
    decision_problem,
    extension_problem,
    file_appeal_problem,
    open_problem,
    peer_to_peer_problem,
    supply_problem,
    withdraw_problem,
)
from domain.case.state import CaseState
from domain.case.step import Stamp, deadline_unknown
from domain.case.transition import Transition
from domain.case.vocabulary import Phase
from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline
from domain.enums import ItemOutcome, Regime
from domain.models import Attachment, ItemDecision, PayerDecision, RequestForInformation

CASE = "case-pa-1"
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def facts(regime: Regime = Regime.MEDICARE_ADVANTAGE, lines: int = 2) -> CaseFacts:
    return CaseFacts(
        case_id=CASE,
        regime=regime,
        payer_id="EXH01",
        received_at=T0,
        lines=[LineFacts(sequence=n, code=f"2744{n}") for n in range(1, lines + 1)],
    )


def item(sequence: int, outcome: ItemOutcome, **fields: object) -> ItemDecision:
    if outcome == ItemOutcome.DENIED:
        fields.setdefault("reason_text", "Not medically necessary")
    return ItemDecision.model_validate({"sequence": sequence, "outcome": outcome, **fields})


def decision(
    decision_id: str,
    *items: ItemDecision,
    at: datetime = T0 + timedelta(days=3),
    rfi: RequestForInformation | None = None,
) -> PayerDecisionInput:
    return PayerDecisionInput(
        decision=PayerDecision(decision_id=decision_id, decided_at=at, items=list(items)),
        information_request=rfi,
    )


def rfi(respond_by: datetime | None = T0 + timedelta(days=14)) -> RequestForInformation:
    return RequestForInformation(
        requested_at=T0 + timedelta(days=2),
        items_requested=["Imaging report"],
        respond_by=respond_by,
    )


def supply(submission_id: str = "sup-1") -> SupplyInformationInput:
    return SupplyInformationInput(
        submission_id=submission_id,
        actor="cm-ann",
        attachments=[Attachment(reference="doc-1", title="Imaging report")],
    )


def engine(question: DeadlineQuery) -> DeadlineResult | None:
    """The real deadline engine; None when no rule applies (as the activity reports it)."""
    try:
        return compute_deadline(question)
    except DeadlineError:
        return None


@dataclass
class Driver:
    """A case stepped like `PriorAuthCase` steps it: every recorded `Transition` is kept."""

    facts: CaseFacts = field(default_factory=facts)
    now: datetime = T0
    state: CaseState = field(init=False)
    seq: int = 0
    transitions: list[Transition] = field(default_factory=list)
    answer: Callable[[DeadlineQuery], DeadlineResult | None] = engine
    filing: bool = False

    def __post_init__(self) -> None:
        self.state = case.initial_state(self.facts)

    def stamp(self) -> Stamp:
        return Stamp(CASE, "case", self.seq + 1, self.now)

    def record(self, transition: Transition | None) -> Transition | None:
        if transition is not None:
            assert transition.key == self.stamp().key
            self.seq += 1
            self.transitions.append(transition)
        return transition

    def apply(self, step: tuple[CaseState, Transition | None]) -> Transition | None:
        self.state = step[0]
        return self.record(step[1])

    def ask(self, question: DeadlineQuery | None) -> DeadlineResult | None:
        if question is None:
            return None
        found = self.answer(question)
        if found is None:
            self.record(deadline_unknown(self.stamp(), question, state=self.state))
        return found

    # ------------------------------------------------------------ the workflow's steps

    def open(self, *, submit: bool = True) -> None:
        found = self.ask(case.opening_query(self.state, self.facts))
        self.apply(
            case.on_opened(self.state, self.facts, self.stamp(), found, submit_to_payer=submit)
        )
        if submit:
            self.submitted()

    def submitted(self) -> None:
        self.state, kind, number = case.on_submission_started(self.state)
        self.apply(case.on_submitted(self.state, self.stamp(), kind, f"sub-{number}", None))

    def decide(self, message: PayerDecisionInput) -> str | None:
        problem = decision_problem(self.state, message)
        if problem is not None:
            return problem
        question = payer.appeal_window_query(self.state, self.facts, message)
        window = self.ask(question)
        peer_to_peer = payer.peer_to_peer_question(self.state, self.facts, message, question)
        self.apply(
            payer.on_payer_decision(
                self.state,
                self.facts,
                message,
                now=self.now,
                stamp=self.stamp(),
                window=window,
                peer_to_peer_due=peer_to_peer.due() if peer_to_peer else None,
            )
        )
        if self.state.phase == Phase.DONE and self.state.closed_reason is None:
            self.apply(case.on_nothing_to_decide(self.state, self.stamp()))
        return None

    def extend(self, message: PayerExtensionInput) -> str | None:
        problem = extension_problem(self.state, message, self.now)
        if problem is not None:
            return problem
        found = self.ask(payer.extension_query(self.state, self.facts, message))
        self.apply(
            payer.on_payer_extension(
                self.state, self.facts, message, stamp=self.stamp(), found=found
            )
        )
        return None

    def supply(self, message: SupplyInformationInput) -> str | None:
        problem = supply_problem(self.state, message)
        if problem is not None:
            return problem
        question = case.supply_query(self.state, self.facts, message, self.now)
        found = self.answer(question) if question is not None else None
        self.apply(
            case.on_information_supplied(
                self.state, message, now=self.now, stamp=self.stamp(), found=found
            )
        )
        if self.state.phase == Phase.SUBMIT:
            self.submitted()
        return None

    def peer_to_peer(self) -> str | None:
        problem = peer_to_peer_problem(self.state)
        if problem is None:
            self.apply(
                case.on_peer_to_peer_requested(
                    self.state, PeerToPeerInput(actor="cm-ann"), self.stamp()
                )
            )
        return problem

    def accept(self) -> str | None:
        problem = accept_denial_problem(self.state)
        if problem is None:
            message = AcceptDenialInput(actor="cm-ann", reason="Patient declines")
            self.apply(case.on_denial_accepted(self.state, message, self.stamp()))
        return problem

    def withdraw(self) -> str | None:
        problem = withdraw_problem(self.state)
        if problem is None:
            message = WithdrawInput(actor="cm-ann", reason="Surgery cancelled")
            self.apply(case.on_withdrawn(self.state, message, self.stamp()))
        return problem

    def note(self) -> str | None:
        problem = open_problem(self.state)
        if problem is None:
            self.apply(case.on_note(self.state, NoteInput(actor="cm-ann", text="x"), self.stamp()))
        return problem

    def assign(self, who: str = "cm-bob") -> str | None:
        problem = open_problem(self.state)
        if problem is None:
            message = AssignInput(actor="cm-ann", assignee=who)
            self.apply(case.on_assigned(self.state, message, self.stamp()))
        return problem

    def window_missed(self) -> str | None:
        return None if self.apply(case.on_window_missed(self.state, self.stamp())) else "no"

    def file_appeal(self) -> str | None:
        request = FileAppealInput(actor="cm-ann")
        problem = file_appeal_problem(self.state, request, filing=False)
        if problem is not None:
            return problem
        filing = appeals.plan_appeal(self.state, self.facts, request, auto=False)
        workflow_id = f"case-{CASE}-appeal-{filing.spec.number}"
        self.apply(
            appeals.on_appeal_filed(
                self.state, filing, request, workflow_id=workflow_id, stamp=self.stamp()
            )
        )
        self.state = appeals.on_appeal_started(self.state, filing, workflow_id)
        return None

    def appeal_result(self, result: AppealResult) -> str | None:
        if self.state.phase != Phase.IN_APPEAL:
            return "not in appeal"
        window = self.ask(appeals.next_level_query(self.state, self.facts, result, self.now))
        self.apply(
            appeals.on_appeal_result(
                self.state, self.facts, result, now=self.now, stamp=self.stamp(), window=window
            )
        )
        forward = appeals.auto_forward_request(self.state)
        if forward is not None:
            filing = appeals.plan_appeal(self.state, self.facts, forward, auto=True)
            workflow_id = f"case-{CASE}-appeal-{filing.spec.number}"
            self.apply(
                appeals.on_appeal_filed(
                    self.state, filing, forward, workflow_id=workflow_id, stamp=self.stamp()
                )
            )
            self.state = appeals.on_appeal_started(self.state, filing, workflow_id)
        return None
