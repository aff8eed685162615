"""Every action a person or an integration takes on a case, declared once.

One row per action names what a caller writes (`body`), the message the case takes
(`message`, built from the body and the caller by `build`), who may do it (`performers`),
where it is offered (the HTTP route under `/api/v1/cases/{case_id}` and the `priorauth case`
command) and the event it leaves in the case's timeline and audit trail (`event`). `check` is
the action's rule that needs the clock (a contact cannot lie in the future): the API answers
422 with it before sending, the workflow's validator runs the same function.

The API's action routes and their OpenAPI docs are produced from this table (`api.case_actions`
binds each row to its workflow Update and to the roles of credentials); the CLI offers a
command per row (`commands.case_actions`). Adding an action: its message and rule in
`domain/case`, a row here, its Update binding in `api/case_actions.py` (docs/design.md,
"Adding a case action"). Pure: imports only `domain`, pydantic and the standard library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from domain.case.messages import (
    AcceptDenialInput,
    AppealDecisionBody,
    AppealDecisionInput,
    AssignBody,
    AssignInput,
    ContactInput,
    FileAppealBody,
    FileAppealInput,
    NoteBody,
    NoteInput,
    PayerDecisionBody,
    PayerDecisionInput,
    PayerExtensionBody,
    PayerExtensionInput,
    PeerToPeerInput,
    PeerToPeerOutcomeBody,
    PeerToPeerRequestBody,
    ReasonBody,
    SignOffBody,
    SignOffInput,
    SupplyInformationBody,
    SupplyInformationInput,
    UnitsUsedBody,
    UnitsUsedInput,
    WithdrawInput,
    contact_problems,
    units_used_problems,
)
from domain.case.vocabulary import CaseEvent
from domain.models import ContactLogEntry

B = TypeVar("B", bound=BaseModel)
M = TypeVar("M", bound=BaseModel)


class Performers(StrEnum):
    """Who may take an action (the API maps each to the roles of its credentials)."""

    STAFF = "staff"  # the people working cases: case managers, UR staff
    STAFF_AND_INTEGRATIONS = "staff_and_integrations"  # also integrations relaying the payer


class Target(StrEnum):
    """Which workflow takes the action's Update."""

    CASE = "case"
    APPEAL = "appeal"  # one appeal level of the case: `/appeals/{appeal_number}/...`


@dataclass(frozen=True)
class Caller:
    """Who takes the action (their audit name) and the Idempotency-Key they sent, if any."""

    actor: str
    key: str | None = None
    # A fresh id for this call (the API makes it): names a submission when no key was sent.
    call_id: str = ""


@dataclass(frozen=True, kw_only=True)
class CaseAction(Generic[B, M]):
    name: str  # also the route's operation name
    doc: str  # the route's description and the CLI command's help (first line)
    body: type[B]
    message: type[M]
    build: Callable[[B, Caller], M]
    path: str  # under /api/v1/cases/{case_id}
    performers: Performers
    event: CaseEvent
    cli: str
    target: Target = Target.CASE
    method: str = "POST"
    # The route takes an Idempotency-Key: a retried call is applied once.
    idempotency_key: bool = False
    # The action's rules that need the clock: field of the body -> what is wrong, at `now`.
    check: Callable[[B, datetime], Mapping[str, str]] | None = None

    def problems(self, body: B, now: datetime) -> Mapping[str, str]:
        return self.check(body, now) if self.check else {}


def with_actor(message: type[M]) -> Callable[[BaseModel, Caller], M]:
    """The message is the body plus who sent it."""

    def build(body: BaseModel, caller: Caller) -> M:
        return message.model_validate({**dict(body), "actor": caller.actor})

    return build


def as_is(message: type[M]) -> Callable[[BaseModel, Caller], M]:
    """The message is the body (the payer's own words; who delivered them goes to a receipt)."""

    def build(body: BaseModel, caller: Caller) -> M:
        return message.model_validate(dict(body))

    return build


def _supply(body: SupplyInformationBody, caller: Caller) -> SupplyInformationInput:
    return SupplyInformationInput(
        **dict(body), submission_id=caller.key or caller.call_id, actor=caller.actor
    )


def _contact(body: ContactLogEntry, caller: Caller) -> ContactInput:
    return ContactInput(actor=caller.actor, contact=body)


def _peer_to_peer_contact(body: PeerToPeerOutcomeBody, caller: Caller) -> ContactInput:
    return ContactInput(actor=caller.actor, contact=body.contact())


ACTIONS: tuple[CaseAction[Any, Any], ...] = (
    CaseAction(
        name="supply_information",
        doc="Answer the payer's request for information; the case is resubmitted with the "
        "documents.",
        body=SupplyInformationBody,
        message=SupplyInformationInput,
        build=_supply,
        path="/supply-information",
        performers=Performers.STAFF,
        event=CaseEvent.INFORMATION_SUPPLIED,
        cli="supply-information",
        idempotency_key=True,
    ),
    CaseAction(
        name="record_payer_decision",
        doc="Record a payer decision entered by hand (or pushed by an integration).\n\n"
        "The decision's source and the actor in the audit trail come from the API key (a "
        "person's entry is `manual` by `staff:<role>:<name>`); a `decision.source` naming "
        "anything else is refused with 422. The same `decision_id` again changes nothing.",
        body=PayerDecisionBody,
        message=PayerDecisionInput,
        build=with_actor(PayerDecisionInput),
        path="/decisions",
        performers=Performers.STAFF_AND_INTEGRATIONS,
        event=CaseEvent.PAYER_DECISION,
        cli="decide",
    ),
    CaseAction(
        name="record_payer_extension",
        doc="The payer takes its extension (or names a new date): the decision deadline moves.",
        body=PayerExtensionBody,
        message=PayerExtensionInput,
        build=as_is(PayerExtensionInput),
        path="/extensions",
        performers=Performers.STAFF_AND_INTEGRATIONS,
        event=CaseEvent.PAYER_EXTENSION,
        cli="extension",
    ),
    CaseAction(
        name="request_peer_to_peer",
        doc="Ask for a peer-to-peer review with a physician reviewer (after an adverse decision).",
        body=PeerToPeerRequestBody,
        message=PeerToPeerInput,
        build=with_actor(PeerToPeerInput),
        path="/peer-to-peer",
        performers=Performers.STAFF,
        event=CaseEvent.PEER_TO_PEER_REQUESTED,
        cli="peer-to-peer",
        idempotency_key=True,
    ),
    CaseAction(
        name="record_peer_to_peer",
        doc="Record how the peer-to-peer call went (a contact-log entry of channel peer_to_peer).",
        body=PeerToPeerOutcomeBody,
        message=ContactInput,
        build=_peer_to_peer_contact,
        path="/peer-to-peer/outcome",
        performers=Performers.STAFF,
        event=CaseEvent.CONTACT,
        cli="peer-to-peer-outcome",
        idempotency_key=True,
        check=lambda body, now: contact_problems(body.contact(), now),
    ),
    CaseAction(
        name="file_appeal",
        doc="Appeal the adverse decision: the appeal workflow drafts the letter for sign-off.",
        body=FileAppealBody,
        message=FileAppealInput,
        build=with_actor(FileAppealInput),
        path="/appeals",
        performers=Performers.STAFF,
        event=CaseEvent.APPEAL_FILED,
        cli="appeal",
        idempotency_key=True,
    ),
    CaseAction(
        name="sign_off_appeal",
        doc="Sign the appeal letter off; the appeal is then submitted to the payer.\n\n"
        "Integrations may not sign letters off.",
        body=SignOffBody,
        message=SignOffInput,
        build=with_actor(SignOffInput),
        path="/appeals/{appeal_number}/sign-off",
        performers=Performers.STAFF,
        event=CaseEvent.APPEAL_SUBMITTED,
        cli="sign-off",
        target=Target.APPEAL,
    ),
    CaseAction(
        name="record_appeal_decision",
        doc="Record the payer's answer to a submitted appeal, from its decision letter.\n\n"
        "Overturned approves the case; upheld offers the next level the regime gives, with "
        "its filing window. The same `decision_id` again changes nothing.",
        body=AppealDecisionBody,
        message=AppealDecisionInput,
        build=as_is(AppealDecisionInput),
        path="/appeals/{appeal_number}/decision",
        performers=Performers.STAFF_AND_INTEGRATIONS,
        event=CaseEvent.APPEAL_DECIDED,
        cli="appeal-decision",
        target=Target.APPEAL,
    ),
    CaseAction(
        name="withdraw",
        doc="Withdraw the case (the payer is sent a cancellation when a decision is outstanding).",
        body=ReasonBody,
        message=WithdrawInput,
        build=with_actor(WithdrawInput),
        path="/withdraw",
        performers=Performers.STAFF,
        event=CaseEvent.CASE_WITHDRAWN,
        cli="withdraw",
    ),
    CaseAction(
        name="assign",
        doc="Give the case to someone (their API key name puts it on their `queues/mine`).",
        body=AssignBody,
        message=AssignInput,
        build=with_actor(AssignInput),
        path="/assign",
        performers=Performers.STAFF,
        event=CaseEvent.ASSIGNED,
        cli="assign",
    ),
    CaseAction(
        name="add_note",
        doc="Add a note to the case's timeline.",
        body=NoteBody,
        message=NoteInput,
        build=with_actor(NoteInput),
        path="/notes",
        performers=Performers.STAFF,
        event=CaseEvent.NOTE,
        cli="note",
        idempotency_key=True,
    ),
    CaseAction(
        name="record_contact",
        doc="Log a call, portal check, fax or letter with the payer (calls and faxes need the "
        "reference number).",
        body=ContactLogEntry,
        message=ContactInput,
        build=_contact,
        path="/contacts",
        performers=Performers.STAFF,
        event=CaseEvent.CONTACT,
        cli="contact",
        idempotency_key=True,
        check=contact_problems,
    ),
    CaseAction(
        name="accept_denial",
        doc="Accept the adverse decision without appealing; the case closes.",
        body=ReasonBody,
        message=AcceptDenialInput,
        build=with_actor(AcceptDenialInput),
        path="/accept-denial",
        performers=Performers.STAFF,
        event=CaseEvent.DENIAL_ACCEPTED,
        cli="accept-denial",
    ),
    CaseAction(
        name="record_units_used",
        doc="Record units of an authorized item delivered (date of service); the case keeps "
        "the count against the approved units and opens a task when they run out.",
        body=UnitsUsedBody,
        message=UnitsUsedInput,
        build=with_actor(UnitsUsedInput),
        path="/units-used",
        performers=Performers.STAFF_AND_INTEGRATIONS,
        event=CaseEvent.UNITS_USED,
        cli="units-used",
        idempotency_key=True,
        check=units_used_problems,
    ),
)

BY_NAME: dict[str, CaseAction[Any, Any]] = {action.name: action for action in ACTIONS}
