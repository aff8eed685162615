"""Inputs, outputs and state of the case and appeal workflows (one model per handler).

Pure pydantic. The workflow input carries the case id and non-identifying facts only (regime,
state, urgency, timing, service codes and units, dates); names, birth dates and member ids stay
in the store and are loaded by activities when they need them. Fields are only ever added with
defaults, so running workflows keep decoding their histories.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import Field, model_validator

from domain.appeals import AppealLevel
from domain.case.base import Model
from domain.case.facts import CaseFacts, CaseOptions
from domain.case.state import CaseState
from domain.case.vocabulary import AppealStatus
from domain.escalation import EscalationLadder
from domain.models import (
    CaseDeadline,
    ItemDecision,
)

# ---------------------------------------------------------------- case input


class CaseInput(Model):
    facts: CaseFacts
    options: CaseOptions = Field(default_factory=CaseOptions)
    resume: CaseState | None = None


# ---------------------------------------------------------------- case updates


# ---------------------------------------------------------------- case queries


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
