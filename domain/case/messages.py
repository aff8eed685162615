"""The messages a case takes: one model per Update (payer answers and people's actions).

Each is validated where it enters (API, CLI, payer channel) and again by the workflow's
Update validator; the same model travels all the way, so no layer copies its fields.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from domain.case.base import Actor, Model, Text
from domain.case.vocabulary import AppealOutcome
from domain.models import (
    Attachment,
    ContactLogEntry,
    ItemDecision,
    PayerDecision,
    RequestForInformation,
)


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
