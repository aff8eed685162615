"""The state of a case: its items, timeline, appeals and the offer of a next level.

`CaseState` is everything the case workflow knows, in one model (what a continue-as-new
carries). Fields are only ever added with defaults, so running workflows keep decoding their
histories.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from domain.appeals import AppealLevel
from domain.case.base import Model
from domain.case.vocabulary import AppealStatus, CaseStatus, Phase
from domain.enums import ItemOutcome
from domain.models import Attachment, CaseDeadline, ItemDecision, RequestForInformation


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
    # Units delivered against the authorization (`record_units_used`).
    units_used: int = 0
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
