"""The messages a case takes: one model per Update (payer answers and people's actions).

Each is validated where it enters (API, CLI, payer channel) and again by the workflow's
Update validator; the same model travels all the way, so no layer copies its fields. Where a
message carries who sent it, its `...Body` base is what a caller writes (the HTTP request body:
the actor comes from the caller's credential, never from the body) and the message adds the
actor to it.

A message that carries the payer's own id (a decision, an extension notice) names the id of its
Update (`update_id`): the same on every channel (API, webhook, PAS notification, the worker's
gateway), so Temporal drops a second delivery.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Protocol, runtime_checkable

from pydantic import AwareDatetime, Field

from domain import limits
from domain.case.base import Actor, ExhibitTitle, Model, Text
from domain.case.vocabulary import AppealOutcome
from domain.enums import ContactChannel, ContactDirection
from domain.models import (
    Attachment,
    ContactLogEntry,
    ItemDecision,
    PayerDecision,
    RequestForInformation,
)

# How far ahead of our clock a caller's clock may run before its "now" is in the future.
CLOCK_SKEW = timedelta(minutes=5)


def future_problem(at: datetime, now: datetime) -> str | None:
    """ "is in the future" when `at` lies ahead of `now` by more than the clock skew."""
    return "is in the future" if at > now + CLOCK_SKEW else None


def contact_problems(contact: ContactLogEntry, now: datetime) -> dict[str, str]:
    """What the case refuses in a contact-log entry at `now`, by field: the API answers 422
    with these before sending, the workflow's validator refuses the Update with them."""
    problem = future_problem(contact.occurred_at, now)
    return {"occurred_at": problem} if problem else {}


def units_used_problems(body: UnitsUsedBody, now: datetime) -> dict[str, str]:
    """A date of service cannot be in the future (a local date: at most 14 hours ahead of UTC)."""
    if body.used_on > (now + timedelta(hours=14)).date():
        return {"used_on": "is in the future: record units once they are delivered"}
    return {}


@runtime_checkable
class PayerMessage(Protocol):
    """A message carrying the payer's own id: its Update id is derived from that id, the same
    on every channel."""

    def update_id(self) -> str: ...


# ---------------------------------------------------------------- payer answers


class PayerDecisionBody(Model):
    """A payer response entered by hand (or by an integration): decisions per item."""

    decision: PayerDecision
    information_request: RequestForInformation | None = None


class PayerDecisionInput(PayerDecisionBody):
    """A payer response: decisions per item, plus the request for information of a pend."""

    # Who delivered it, from the caller's credential (e.g. `staff:case_manager:alice`); None:
    # the payer channel named by `decision.source` (`payer:<source>`).
    actor: Actor | None = None

    def update_id(self) -> str:
        return f"payer-{self.decision.decision_id}"


class PayerExtensionBody(Model):
    """The payer takes its extension, or tells us a new date to expect its decision by."""

    notice_id: Annotated[str, Field(min_length=1, max_length=limits.SHORT_TEXT)]
    noticed_at: AwareDatetime
    reason: Text
    new_due_at: AwareDatetime | None = None


class PayerExtensionInput(PayerExtensionBody):
    """The extension notice as the case takes it (who delivered it goes to the receipt)."""

    def update_id(self) -> str:
        return f"payer-extension-{self.notice_id}"


class AppealDecisionBody(Model):
    """The payer's answer to an appeal, entered from its decision letter (or by an integration)."""

    decision_id: str = Field(
        min_length=1, max_length=120, description="The payer's reference of this decision"
    )
    outcome: AppealOutcome
    decided_at: AwareDatetime
    items: list[ItemDecision] = Field(
        default_factory=list, description="Per-item detail for a partial overturn"
    )
    note: str | None = Field(default=None, max_length=10_000)


class AppealDecisionInput(AppealDecisionBody):
    """The appeal decision as the appeal workflow takes it (from the API or the worker's
    gateway: the same decision gets the same Update id from both)."""

    def update_id(self) -> str:
        return f"appeal-decision-{self.decision_id}"


# ---------------------------------------------------------------- people's actions


class SupplyInformationBody(Model):
    attachments: Annotated[list[Attachment], Field(min_length=1, max_length=50)]
    note: str | None = Field(default=None, max_length=5_000)


class SupplyInformationInput(SupplyInformationBody):
    submission_id: Annotated[str, Field(min_length=1, max_length=120)]
    actor: Actor


class FileAppealBody(Model):
    sequences: list[int] | None = Field(
        default=None, description="Adverse items to appeal; default: every adverse item"
    )
    expedited: bool = False
    arguments: list[Text] = Field(default_factory=list, max_length=20)
    exhibits: list[ExhibitTitle] = Field(
        default_factory=list,
        max_length=30,
        description="Documents enclosed with the appeal, one title each (after the request's "
        "own attachments in the letter's numbered enclosures)",
    )


class FileAppealInput(FileAppealBody):
    actor: Actor


class PeerToPeerRequestBody(Model):
    note: str | None = Field(default=None, max_length=5_000)
    preferred_windows: list[str] = Field(default_factory=list, max_length=4)


class PeerToPeerInput(PeerToPeerRequestBody):
    actor: Actor


class PeerToPeerOutcomeBody(Model):
    """What happened on the call: logged as a peer-to-peer contact (evidence for the appeal)."""

    occurred_at: AwareDatetime
    summary: Text
    counterpart: str | None = Field(default=None, max_length=limits.COUNTERPART)
    reference_number: str | None = Field(default=None, max_length=limits.REFERENCE_NUMBER)
    direction: ContactDirection = ContactDirection.OUTBOUND

    def contact(self) -> ContactLogEntry:
        return ContactLogEntry(channel=ContactChannel.PEER_TO_PEER, **dict(self))


class ReasonBody(Model):
    reason: Text


class AcceptDenialInput(ReasonBody):
    actor: Actor


class WithdrawInput(ReasonBody):
    actor: Actor


class AssignBody(Model):
    assignee: Actor


class AssignInput(AssignBody):
    actor: Actor


class NoteBody(Model):
    text: Text


class NoteInput(NoteBody):
    actor: Actor


class UnitsUsedBody(Model):
    """Units of an authorized item delivered (a visit, a session, a supply): recorded against
    the authorization so the case knows what is left."""

    sequence: Annotated[int, Field(ge=1, description="The authorized item (service line)")]
    units: Annotated[int, Field(ge=1, le=limits.STORED_INT, description="Units delivered")]
    used_on: date = Field(description="The date of service")
    note: str | None = Field(default=None, max_length=2_000)


class UnitsUsedInput(UnitsUsedBody):
    actor: Actor


class ContactInput(Model):
    actor: Actor
    contact: ContactLogEntry


class SignOffBody(Model):
    letter_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="The letter awaiting sign-off; default: the one the appeal is waiting on",
    )


class SignOffInput(SignOffBody):
    letter_id: Annotated[str, Field(min_length=1, max_length=120)]
    actor: Actor


class AppealWithdrawInput(ReasonBody):
    actor: Actor
