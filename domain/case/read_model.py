"""The read models of a case and of its appeal levels: what the store gives back and letters,
the API and the worker's activities take. They sit in `domain.case` because they carry the case's
status vocabulary; `domain.models` (the request and decision shapes) stays below `domain.case`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from domain import limits
from domain.appeals import AppealLevel
from domain.case.vocabulary import AppealStatus, CaseStatus
from domain.models import (
    CASE_ID_PATTERN,
    ContactLogEntry,
    DomainModel,
    ItemDecision,
    PayerDecision,
    PriorAuthRequest,
)


class Case(DomainModel):
    """The read model of one case: request plus everything that happened to it."""

    case_id: Annotated[str, Field(pattern=CASE_ID_PATTERN)]
    case_number: Annotated[str, Field(min_length=1, max_length=limits.CASE_NUMBER)]
    request: PriorAuthRequest
    status: CaseStatus = CaseStatus.OPENED
    assignee: limits.ActorName | None = None
    received_at: AwareDatetime
    decisions: list[PayerDecision] = Field(default_factory=list)
    contacts: list[ContactLogEntry] = Field(default_factory=list)

    @property
    def workflow_id(self) -> str:
        return f"case-{self.case_id}"

    def latest_item_decisions(self) -> dict[int, ItemDecision]:
        latest: dict[int, ItemDecision] = {}
        for decision in sorted(self.decisions, key=lambda d: d.decided_at):
            for item in decision.items:
                latest[item.sequence] = item
        return latest

    @property
    def timezone(self) -> str:
        return self.request.coverage.payer.timezone


class Appeal(DomainModel):
    """One appeal level of a case (a child workflow in the engine)."""

    level: AppealLevel
    number: Annotated[int, Field(ge=1, le=5)]
    expedited: bool = False
    status: AppealStatus = AppealStatus.DRAFTING
    sequences: Annotated[list[int], Field(min_length=1)]
    filed_at: AwareDatetime | None = None
    decided_at: AwareDatetime | None = None
    arguments: list[str] = Field(default_factory=list)
    requested_peer_to_peer: bool = False
    outcome_note: str | None = None
