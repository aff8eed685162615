"""Request and response bodies of the HTTP API (the `XCreate` / `XPublic` shapes).

Domain models (`PriorAuthRequest`, `PayerDecision`, `ContactLogEntry`, `CaseDeadline`, ...) and
store DTOs (`CaseSummary`, `TaskRecord`, `AuditEvent`) are reused as they are; the classes here
are what only the API needs: the composed views, the answers to case actions, and the bodies
that are not case actions (a case action's body is declared with its message in
`domain.case.messages` and listed in `domain.case.actions`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain import limits
from domain.case.messages import PayerExtensionBody
from domain.case.read_model import Appeal
from domain.case.views import CaseView
from domain.models import (
    CaseDeadline,
    ContactLogEntry,
    PayerDecision,
    PriorAuthRequest,
    RequestForInformation,
)
from letters import LetterDetails, LetterKind, Signer
from store._base import MAX_PAGE
from store.cursor import MAX_CURSOR
from store.records import AuditEvent, CaseState, CaseSummary, TaskRecord

Text = Annotated[str, Field(min_length=1, max_length=5_000)]
Name = limits.ShortText


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)


# ---------------------------------------------------------------- cases


class CaseOpened(BaseModel):
    """The answer to "open a case": the opaque id to use from now on, and the human number."""

    case_id: str
    case_number: str
    workflow_id: str
    status: str
    created: bool = Field(description="False when an Idempotency-Key replay found the case")


class CaseSearch(Body):
    """A search whose terms are PHI (member id, patient name): sent in the body of a POST, so
    they stay out of URLs and access logs. Every term given must match (prefixes)."""

    member_id: Annotated[str | None, Field(min_length=1, max_length=limits.SHORT_TEXT)] = None
    patient_name: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=2 * limits.SHORT_TEXT + 1,
            description='Last name, optionally followed by the first: "Smith", "smith jo", '
            '"Smith, John" (case, accents and punctuation do not matter)',
        ),
    ] = None
    case_number: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    state: CaseState = Field(
        default=CaseState.ALL, description="open, closed or all (default: all)"
    )
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50
    cursor: Annotated[str | None, Field(max_length=MAX_CURSOR)] = None


class LetterSummary(BaseModel):
    """A stored letter without its rendering context (that holds PHI and stays in the store)."""

    letter_id: str
    case_id: str
    kind: str
    template_version: str
    content_type: str
    size_bytes: int
    checksum_sha256: str
    created_at: datetime
    signed_off_at: datetime | None
    signed_off_by: str | None
    download_url: str


class CaseDetail(BaseModel):
    """One case: the store's read model plus, when Temporal answers, the workflow's live view."""

    model_config = ConfigDict(hide_input_in_errors=True)  # it carries the request (PHI)

    summary: CaseSummary
    request: PriorAuthRequest
    decisions: list[PayerDecision]
    deadlines: list[CaseDeadline]
    appeals: list[Appeal]
    tasks: list[TaskRecord]
    letters: list[LetterSummary]
    contacts: list[ContactLogEntry]
    workflow_id: str
    live: CaseView | None = Field(
        default=None, description="The workflow's status query; null when it cannot be reached"
    )
    live_error: str | None = None


class Timeline(BaseModel):
    case_id: str
    events: list[AuditEvent]


# ---------------------------------------------------------------- actions


class ActionResult(BaseModel):
    """The workflow's view of the case after it applied the action."""

    case_id: str
    view: CaseView


class AppealSignedOff(BaseModel):
    case_id: str
    appeal_number: int
    letter_id: str | None
    status: str


# ---------------------------------------------------------------- letters


class LetterPreviewBody(Body):
    kind: LetterKind
    details: LetterDetails | None = None
    signer: Signer | None = Field(default=None, description="Default: the caller's key name")


# ---------------------------------------------------------------- tasks


class ReassignBody(Body):
    assignee: Name | None = Field(description="null: nobody in particular (the queue)")
    queue: str | None = Field(default=None, max_length=limits.TASK_QUEUE)


# ---------------------------------------------------------------- payer events


class PayerEvent(Body):
    """A signed event from a payer without FHIR (Standard Webhooks signature, see docs/api.md).

    Exactly one of `case_id` / `case_number` finds the case; `type` says which of `decision`,
    `extension`, `information_request` is given.
    """

    payer_id: Name | None = Field(
        default=None,
        description="Optional; the payer is the one whose secret signed the body, and a "
        "different payer_id here is refused (403)",
    )
    event_id: Name = Field(description="The payer's id of this event; a redelivery is a no-op")
    case_id: str | None = None
    case_number: str | None = None
    type: Literal["decision", "extension", "information_request"]
    decision: PayerDecision | None = None
    extension: PayerExtensionBody | None = None
    information_request: RequestForInformation | None = None


class PayerEventResult(BaseModel):
    case_id: str
    applied: bool
    duplicate: bool
    status: str | None = None


class NotificationResult(BaseModel):
    """How a PAS rest-hook notification was handled."""

    handled: Literal["applied", "duplicate", "no_decision"]
    case_id: str | None = None
    decision_id: str | None = None
    notification_type: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
