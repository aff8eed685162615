"""Inputs, outputs and state of the case and appeal workflows (one model per handler).

Pure pydantic. The workflow input carries the case id and non-identifying facts only (regime,
state, urgency, timing, service codes and units, dates); names, birth dates and member ids stay
in the store and are loaded by activities when they need them. Fields are only ever added with
defaults, so running workflows keep decoding their histories.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from domain import limits
from domain.appeals import AppealLevel
from domain.deadlines import DeadlineEvent, DeadlineQuery
from domain.enums import (
    CaseStatus,
    ItemOutcome,
    ItemType,
    Regime,
    RequestType,
    ServiceTiming,
    Urgency,
)
from domain.escalation import EscalationLadder
from domain.models import (
    CASE_ID_PATTERN,
    AppealStatus,
    Attachment,
    CaseDeadline,
    ContactLogEntry,
    ItemDecision,
    PayerDecision,
    PriorAuthRequest,
    RequestForInformation,
)
from domain.polling import PollSchedule
from integrations.gateway import AppealOutcome

CaseId = Annotated[str, Field(pattern=CASE_ID_PATTERN)]
Actor = limits.ActorName
Text = Annotated[str, Field(min_length=1, max_length=5_000)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)


# ---------------------------------------------------------------- case input


class LineFacts(Model):
    sequence: Annotated[int, Field(ge=1, le=999)]
    code: Annotated[str, Field(min_length=1, max_length=limits.SERVICE_CODE)]
    units: Annotated[int, Field(ge=1)] = 1


class CaseFacts(Model):
    """What the workflow may know about a case: no names, birth dates or member ids."""

    case_id: CaseId
    regime: Regime
    payer_id: limits.ShortText
    received_at: AwareDatetime
    lines: Annotated[list[LineFacts], Field(min_length=1, max_length=50)]
    state: str | None = None
    urgency: Urgency = Urgency.STANDARD
    service_timing: ServiceTiming = ServiceTiming.PRE_SERVICE
    item_type: ItemType = ItemType.SERVICE
    request_type: RequestType = RequestType.BENEFIT
    payer_timezone: str = "America/New_York"
    rating_period_start: date | None = None
    appeal_levels: Annotated[int, Field(ge=1, le=2)] = 1
    hospitalized: bool = False
    subject_to_prior_authorization: bool = True
    assignee: Actor | None = None

    @classmethod
    def from_request(
        cls,
        case_id: str,
        request: PriorAuthRequest,
        received_at: datetime,
        assignee: str | None = None,
    ) -> CaseFacts:
        """The non-identifying facts of a validated request (what the API starts a case with)."""
        coverage = request.coverage
        return cls(
            case_id=case_id,
            regime=coverage.regime,
            payer_id=coverage.payer.payer_id,
            received_at=received_at,
            lines=[
                LineFacts(sequence=line.sequence, code=line.code, units=line.units)
                for line in request.service_lines
            ],
            state=coverage.state,
            urgency=request.urgency,
            service_timing=request.service_timing,
            item_type=request.item_type,
            request_type=request.request_type,
            payer_timezone=coverage.payer.timezone,
            rating_period_start=coverage.rating_period_start,
            appeal_levels=coverage.appeal_levels,
            hospitalized=request.hospitalized,
            subject_to_prior_authorization=request.subject_to_prior_authorization,
            assignee=assignee,
        )

    def deadline_query(self, event: DeadlineEvent, **changes: object) -> DeadlineQuery:
        """The deadline engine's question about `event` for this case (`changes` override)."""
        fields: dict[str, object] = {
            "regime": self.regime,
            "event": event,
            "state": self.state,
            "urgency": self.urgency,
            "service_timing": self.service_timing,
            "item_type": self.item_type,
            "request_type": self.request_type,
            "received_at": self.received_at,
            "timezone": self.payer_timezone,
            "rating_period_start": self.rating_period_start,
            "appeal_levels": self.appeal_levels,
            "hospitalized": self.hospitalized,
            "subject_to_prior_authorization": self.subject_to_prior_authorization,
        }
        fields.update(changes)
        return DeadlineQuery.model_validate(fields)


class CaseOptions(Model):
    ladder: EscalationLadder = Field(default_factory=EscalationLadder)
    # Let the payer decide without us submitting (tests, or a request the payer already has).
    submit_to_payer: bool = True
    # When to ask the payer while its decision is awaited (`domain.polling`).
    polling: PollSchedule = Field(default_factory=PollSchedule)


class Phase(StrEnum):
    """Where the case workflow's main loop is (finer than `CaseStatus`)."""

    SUBMIT = "submit"
    AWAIT_DECISION = "await_decision"
    PENDED = "pended"
    ADVERSE = "adverse"
    IN_APPEAL = "in_appeal"
    NEXT_LEVEL_OFFERED = "next_level_offered"
    AUTHORIZED = "authorized"
    DONE = "done"


class ItemState(Model):
    sequence: int
    code: str
    units: int
    outcome: ItemOutcome | None = None
    decision_id: str | None = None
    authorization_number: str | None = None
    approved_units: int | None = None
    authorized_start: date | None = None
    authorized_end: date | None = None
    reason_code: str | None = None
    reason_text: str | None = None
    policy_cited: str | None = None
    modification: str | None = None
    # When the payer made the decision now applied: an older one arriving later is stale.
    decided_at: datetime | None = None

    def is_newer(self, decided_at: datetime) -> bool:
        """Whether a decision made at `decided_at` may replace this item's current one."""
        return self.decided_at is None or decided_at >= self.decided_at

    def apply(
        self, item: ItemDecision, decision_id: str, decided_at: datetime | None = None
    ) -> ItemState:
        return self.model_copy(
            update={
                "outcome": item.resolved_outcome,
                "decision_id": decision_id,
                "decided_at": decided_at,
                "authorization_number": item.authorization_number,
                "approved_units": item.approved_units,
                "authorized_start": item.authorized_start,
                "authorized_end": item.authorized_end,
                "reason_code": item.reason_code,
                "reason_text": item.reason_text,
                "policy_cited": item.policy_cited,
                "modification": item.modification,
            }
        )


class TimelineEntry(Model):
    seq: int
    at: datetime
    event: str
    summary: str
    actor: str = "system"


class AppealSummary(Model):
    level: AppealLevel
    number: int
    workflow_id: str
    status: AppealStatus
    auto_forwarded: bool = False
    filed_at: datetime | None = None
    decided_at: datetime | None = None
    letter_id: str | None = None


class NextLevelOffer(Model):
    level: AppealLevel
    number: int
    title: str
    decided_by: str
    auto_forwarded: bool = False
    filing_due: CaseDeadline | None = None


class CaseState(Model):
    """Everything the case workflow knows, in one model (continued-as-new as a whole)."""

    phase: Phase = Phase.SUBMIT
    status: CaseStatus = CaseStatus.OPENED
    seq: int = 0
    opened: bool = False
    assignee: str | None = None
    items: list[ItemState] = Field(default_factory=list)
    decision_ids: list[str] = Field(default_factory=list)
    extension_ids: list[str] = Field(default_factory=list)
    supply_ids: list[str] = Field(default_factory=list)
    submission_kind: str = "initial"
    submissions: int = 0
    pending_attachments: list[Attachment] = Field(default_factory=list)
    rfi: RequestForInformation | None = None
    extension_taken: bool = False
    deadlines: list[CaseDeadline] = Field(default_factory=list)
    rungs_done: list[str] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    appeals: list[AppealSummary] = Field(default_factory=list)
    offer: NextLevelOffer | None = None
    peer_to_peer_requested: bool = False
    closed_reason: str | None = None
    # Reconciliation polls (`domain.polling`): when the submission being waited on was
    # accepted (None: nothing to ask about), the last poll made, and how many so far.
    poll_from: datetime | None = None
    last_poll_at: datetime | None = None
    polls: int = 0


class CaseInput(Model):
    facts: CaseFacts
    options: CaseOptions = Field(default_factory=CaseOptions)
    resume: CaseState | None = None


# ---------------------------------------------------------------- case updates


class PayerDecisionInput(Model):
    """A payer response: decisions per item, plus the request for information of a pend."""

    decision: PayerDecision
    information_request: RequestForInformation | None = None
    # Who delivered it, from the caller's credential (e.g. `staff:case_manager:alice`); None:
    # the payer channel named by `decision.source` (`payer:<source>`).
    actor: Actor | None = None


class PayerExtensionInput(Model):
    """The payer takes its extension, or tells us a new date to expect its decision by."""

    notice_id: Annotated[str, Field(min_length=1, max_length=120)]
    noticed_at: AwareDatetime
    reason: Text
    new_due_at: AwareDatetime | None = None


class SupplyInformationInput(Model):
    submission_id: Annotated[str, Field(min_length=1, max_length=120)]
    actor: Actor
    attachments: Annotated[list[Attachment], Field(min_length=1, max_length=50)]
    note: str | None = Field(default=None, max_length=5_000)


class FileAppealInput(Model):
    actor: Actor
    sequences: list[int] | None = None
    expedited: bool = False
    arguments: list[Text] = Field(default_factory=list, max_length=20)


class PeerToPeerInput(Model):
    actor: Actor
    note: str | None = Field(default=None, max_length=5_000)
    preferred_windows: list[str] = Field(default_factory=list, max_length=4)


class AcceptDenialInput(Model):
    actor: Actor
    reason: Text


class WithdrawInput(Model):
    actor: Actor
    reason: Text


class AssignInput(Model):
    actor: Actor
    assignee: Actor


class NoteInput(Model):
    actor: Actor
    text: Text


class ContactInput(Model):
    actor: Actor
    contact: ContactLogEntry


# ---------------------------------------------------------------- case queries


class CaseView(Model):
    case_id: str
    status: CaseStatus
    phase: Phase
    assignee: str | None = None
    items: list[ItemState] = Field(default_factory=list)
    information_request: RequestForInformation | None = None
    appeals: list[AppealSummary] = Field(default_factory=list)
    next_level_offer: NextLevelOffer | None = None
    peer_to_peer_requested: bool = False
    next_due_at: datetime | None = None
    closed_reason: str | None = None
    decision_ids: list[str] = Field(default_factory=list)


class TimelineView(Model):
    case_id: str
    entries: list[TimelineEntry]


class DeadlinesView(Model):
    case_id: str
    deadlines: list[CaseDeadline]
    next_escalation_at: datetime | None = None
    next_escalation: str | None = None
    rungs_done: list[str] = Field(default_factory=list)


class StatusQueryInput(Model):
    """Queries take no arguments; kept for symmetry with the one-model rule."""


# ---------------------------------------------------------------- appeal workflow


class AppealInput(Model):
    facts: CaseFacts
    level: AppealLevel
    number: Annotated[int, Field(ge=1, le=5)]
    sequences: Annotated[list[int], Field(min_length=1)]
    notice_date: date
    filing_due: CaseDeadline | None = None
    expedited: bool = False
    auto_forwarded: bool = False
    arguments: list[str] = Field(default_factory=list)
    requested_by: str = "system"
    requested_peer_to_peer: bool = False
    ladder: EscalationLadder = Field(default_factory=EscalationLadder)
    # Escalation rungs of `filing_due` the case already fired (they never fire twice).
    rungs_done: list[str] = Field(default_factory=list)


class SignOffInput(Model):
    actor: Actor
    letter_id: Annotated[str, Field(min_length=1, max_length=120)]


class AppealDecisionInput(Model):
    decision_id: Annotated[str, Field(min_length=1, max_length=120)]
    outcome: AppealOutcome
    decided_at: AwareDatetime
    items: list[ItemDecision] = Field(default_factory=list)
    note: str | None = Field(default=None, max_length=10_000)


class AppealWithdrawInput(Model):
    actor: Actor
    reason: Text


class AppealView(Model):
    case_id: str
    level: AppealLevel
    number: int
    status: AppealStatus
    letter_id: str | None = None
    filed_at: datetime | None = None
    decided_at: datetime | None = None
    decision_id: str | None = None
    deadlines: list[CaseDeadline] = Field(default_factory=list)
    next_escalation_at: datetime | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)


class AppealResult(Model):
    level: AppealLevel
    number: int
    status: AppealStatus
    filed_at: datetime | None = None
    decided_at: datetime | None = None
    decision_id: str | None = None
    items: list[ItemDecision] = Field(default_factory=list)
    letter_id: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _decided_has_date(self) -> Self:
        decided = {AppealStatus.OVERTURNED, AppealStatus.PARTIALLY_OVERTURNED, AppealStatus.UPHELD}
        if self.status in decided and self.decided_at is None:
            raise ValueError("a decided appeal needs decided_at")
        return self
