"""Inputs and outputs of every activity: pure pydantic, no I/O at import (safe in workflows).

Activities receive references (case id, idempotency key) and load PHI from the store themselves;
nothing here carries a name, birth date or member id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.appeals import AppealLevel
from domain.enums import CaseStatus
from domain.escalation import Priority, TaskQueue
from domain.models import Attachment, CaseDeadline, ContactLogEntry, PayerDecision
from integrations.gateway import SubmissionKind

IdempotencyKey = Annotated[str, Field(min_length=3, max_length=200)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskSpec(Payload):
    """A work item for people (assignee, UR queue, supervisor); upserted by `key`."""

    key: IdempotencyKey
    kind: str
    queue: TaskQueue
    title: str
    priority: Priority = Priority.NORMAL
    due_at: AwareDatetime | None = None
    deadline_key: str | None = None


class TransitionRecord(Payload):
    """One step of a case, written to the store in one idempotent transaction.

    `key` is `<case id>:<scope>:<event sequence>` (never an attempt number): the audit event,
    the status change, the deadlines and the tasks are written once however often it is retried.
    """

    case_id: str
    key: IdempotencyKey
    event: str
    summary: str
    occurred_at: AwareDatetime
    actor: str = "system"
    status: CaseStatus | None = None
    assignee: str | None = None
    rule: str | None = None
    details: dict[str, str] = Field(default_factory=dict)
    deadlines: list[CaseDeadline] = Field(default_factory=list)
    tasks: list[TaskSpec] = Field(default_factory=list)
    decision: PayerDecision | None = None
    contact: ContactLogEntry | None = None


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


class SubmitResult(Payload):
    submission_id: str
    accepted_at: AwareDatetime
    payer_reference: str | None = None
    duplicate: bool = False


class LetterInput(Payload):
    """Render one letter for a case; `key` makes it once-only (a retry returns the same letter)."""

    case_id: str
    key: IdempotencyKey
    kind: str
    appeal_level: AppealLevel | None = None
    appeal_number: int | None = None
    sequences: list[int] = Field(default_factory=list)
    arguments: list[str] = Field(default_factory=list)
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
