"""What a case and an appeal show when asked (the workflows' Query answers)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from domain.appeals import AppealLevel
from domain.case.base import Model
from domain.case.state import AppealSummary, ItemState, NextLevelOffer, TimelineEntry
from domain.case.vocabulary import AppealStatus, CaseStatus, Phase
from domain.models import CaseDeadline, RequestForInformation


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
