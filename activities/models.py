"""Inputs and outputs of every activity: pure pydantic, no I/O at import (safe in workflows).

Activities receive references (case id, idempotency key) and load PHI from the store themselves;
nothing here carries a name, birth date or member id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain import limits
from domain.appeals import AppealLevel
from domain.case.transition import TaskSpec
from domain.case.vocabulary import SubmissionKind
from domain.models import Attachment, CaseDeadline

IdempotencyKey = Annotated[str, Field(min_length=3, max_length=limits.IDEMPOTENCY_KEY)]
ActorName = limits.ActorName


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class TransitionResult(Payload):
    key: str
    duplicate: bool = False


class SubmitInput(Payload):
    case_id: str
    key: IdempotencyKey
    kind: SubmissionKind
    attachments: list[Attachment] = Field(default_factory=list)
    appeal_level: AppealLevel | None = None
    appeal_number: int | None = None
    letter_id: str | None = None


class InquireInput(Payload):
    """Ask the payer where the case's last submission stands (read-only; `key` names the poll)."""

    case_id: str
    key: IdempotencyKey
    kind: SubmissionKind = SubmissionKind.INITIAL


class SubmitResult(Payload):
    submission_id: str
    accepted_at: AwareDatetime
    payer_reference: str | None = None
    duplicate: bool = False


class LetterInput(Payload):
    """Render one letter for a case; `key` makes it once-only (a retry returns the same letter)."""

    case_id: str
    key: IdempotencyKey
    kind: Annotated[str, Field(min_length=1, max_length=limits.LETTER_KIND)]
    appeal_level: AppealLevel | None = None
    appeal_number: int | None = None
    sequences: list[int] = Field(default_factory=list)
    arguments: list[str] = Field(default_factory=list)
    # Titles of the documents enclosed with an appeal beyond the request's attachments.
    exhibits: list[str] = Field(default_factory=list)
    deadline: CaseDeadline | None = None
    requested_by: str = "system"


class LetterRef(Payload):
    letter_id: str
    kind: str
    template_version: str
    checksum: str
    created_at: datetime | None = None


class EscalationInput(Payload):
    """One rung of the escalation ladder: a task plus its audit event, keyed by the rung."""

    case_id: str
    key: IdempotencyKey
    task: TaskSpec
    summary: str
    occurred_at: AwareDatetime
    rule: str | None = None
