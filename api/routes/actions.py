"""Actions on a case, each forwarded to the case workflow as an Update.

The workflow's validators decide whether the case accepts an action in its current state (409
with their reason when not); the API checks only what it can check against the stored case
(e.g. that a decision names items the case has: 422 naming the field). The caller's API key is
the actor recorded in the audit trail. An `Idempotency-Key` header becomes the Update id, so a
retried call is applied once.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path
from pydantic import BaseModel
from sqlmodel import Session

from api import service
from api.deps import EngineDep, TemporalDep
from api.errors import (
    ERRORS_AUTH,
    ERRORS_CONFLICT,
    ERRORS_NOT_FOUND,
    ERRORS_UNAVAILABLE,
    ERRORS_VALIDATION,
    FieldError,
)
from api.schemas import (
    ActionResult,
    AppealDecisionBody,
    AppealSignedOff,
    AssignBody,
    FileAppealBody,
    NoteBody,
    PayerDecisionBody,
    PayerExtensionBody,
    PeerToPeerOutcomeBody,
    PeerToPeerRequestBody,
    ReasonBody,
    SignOffBody,
    SupplyInformationBody,
)
from api.security import Actor, AnyRoleCase, StaffCase
from domain.case.messages import (
    AcceptDenialInput,
    AppealDecisionInput,
    AssignInput,
    ContactInput,
    FileAppealInput,
    NoteInput,
    PayerDecisionInput,
    PayerExtensionInput,
    PeerToPeerInput,
    SupplyInformationInput,
    WithdrawInput,
)
from domain.enums import ContactChannel
from domain.models import ContactLogEntry
from store import cases as store_cases
from workflows.constants import CaseUpdate

router = APIRouter(prefix="/api/v1/cases/{case_id}", tags=["case actions"])

RESPONSES: dict[int | str, dict[str, object]] = {
    **ERRORS_AUTH,
    **ERRORS_NOT_FOUND,
    **ERRORS_CONFLICT,
    **ERRORS_VALIDATION,
    **ERRORS_UNAVAILABLE,
}
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


async def _update(
    engine: EngineDep,
    client: TemporalDep,
    case_id: str,
    actor: Actor,
    update: str,
    arg: BaseModel,
    key: str | None,
) -> ActionResult:
    view = await service.update_case(
        engine=engine,
        client=client,
        case_id=case_id,
        update=update,
        arg=arg,
        update_id=service.update_id_for(actor, update, key),
    )
    return ActionResult(case_id=case_id, view=view)


@router.post("/supply-information", response_model=ActionResult, responses=RESPONSES)
async def supply_information(
    access: StaffCase,
    body: SupplyInformationBody,
    engine: EngineDep,
    client: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> ActionResult:
    """Answer the payer's request for information; the case is resubmitted with the documents."""
    case_id, actor = access.case_id, access.actor
    arg = SupplyInformationInput(
        submission_id=idempotency_key or uuid.uuid4().hex,
        actor=actor.audit_name,
        attachments=body.attachments,
        note=body.note,
    )
    return await _update(
        engine, client, case_id, actor, CaseUpdate.SUPPLY_INFORMATION, arg, idempotency_key
    )


@router.post("/decisions", response_model=ActionResult, responses=RESPONSES)
async def record_payer_decision(
    access: AnyRoleCase,
    body: PayerDecisionBody,
    engine: EngineDep,
    client: TemporalDep,
) -> ActionResult:
    """Record a payer decision entered by hand (or pushed by an integration).

    The decision's source and the actor in the audit trail come from the API key (a person's
    entry is `manual` by `staff:<role>:<name>`); a `decision.source` naming anything else is
    refused with 422. The same `decision_id` again changes nothing."""
    case_id, actor = access.case_id, access.actor
    source, credited = actor.decision_credit
    if "source" in body.decision.model_fields_set and body.decision.source != source:
        message = f"is set from your API key ({source.value}); leave it out"
        raise service.ServiceError(
            422,
            f"invalid request: decision.source: {message}",
            [FieldError(field="decision.source", message=message)],
        )
    await check_sequences(engine, case_id, [i.sequence for i in body.decision.items])
    view = await service.apply_payer_decision(
        engine=engine,
        client=client,
        case_id=case_id,
        arg=PayerDecisionInput(
            decision=body.decision.model_copy(update={"source": source}),
            information_request=body.information_request,
            actor=credited,
        ),
        actor=credited,
        channel="api",
    )
    return ActionResult(case_id=case_id, view=view)


@router.post("/extensions", response_model=ActionResult, responses=RESPONSES)
async def record_payer_extension(
    access: AnyRoleCase,
    body: PayerExtensionBody,
    engine: EngineDep,
    client: TemporalDep,
) -> ActionResult:
    """The payer takes its extension (or names a new date): the decision deadline moves."""
    case_id, actor = access.case_id, access.actor
    view = await service.apply_payer_extension(
        engine=engine,
        client=client,
        case_id=case_id,
        arg=PayerExtensionInput.model_validate(body.model_dump()),
        actor=actor.audit_name,
    )
    return ActionResult(case_id=case_id, view=view)


@router.post("/peer-to-peer", response_model=ActionResult, responses=RESPONSES)
async def request_peer_to_peer(
    access: StaffCase,
    body: PeerToPeerRequestBody,
    engine: EngineDep,
    client: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> ActionResult:
    """Ask for a peer-to-peer review with a physician reviewer (after an adverse decision)."""
    case_id, actor = access.case_id, access.actor
    arg = PeerToPeerInput(
        actor=actor.audit_name, note=body.note, preferred_windows=body.preferred_windows
    )
    return await _update(
        engine, client, case_id, actor, CaseUpdate.REQUEST_PEER_TO_PEER, arg, idempotency_key
    )


@router.post("/peer-to-peer/outcome", response_model=ActionResult, responses=RESPONSES)
async def record_peer_to_peer(
    access: StaffCase,
    body: PeerToPeerOutcomeBody,
    engine: EngineDep,
    client: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> ActionResult:
    """Record how the peer-to-peer call went (a contact-log entry of channel peer_to_peer)."""
    case_id, actor = access.case_id, access.actor
    contact = ContactLogEntry(
        channel=ContactChannel.PEER_TO_PEER,
        direction=body.direction,
        occurred_at=body.occurred_at,
        counterpart=body.counterpart,
        reference_number=body.reference_number,
        summary=body.summary,
    )
    arg = ContactInput(actor=actor.audit_name, contact=contact)
    return await _update(
        engine, client, case_id, actor, CaseUpdate.RECORD_CONTACT, arg, idempotency_key
    )


@router.post("/appeals", response_model=ActionResult, responses=RESPONSES)
async def file_appeal(
    access: StaffCase,
    body: FileAppealBody,
    engine: EngineDep,
    client: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> ActionResult:
    """Appeal the adverse decision: the appeal workflow drafts the letter for sign-off."""
    case_id, actor = access.case_id, access.actor
    if body.sequences is not None:
        await check_sequences(engine, case_id, body.sequences, field="sequences")
    arg = FileAppealInput(
        actor=actor.audit_name,
        sequences=body.sequences,
        expedited=body.expedited,
        arguments=body.arguments,
    )
    return await _update(
        engine, client, case_id, actor, CaseUpdate.FILE_APPEAL, arg, idempotency_key
    )


@router.post(
    "/appeals/{appeal_number}/sign-off", response_model=AppealSignedOff, responses=RESPONSES
)
async def sign_off_appeal(
    access: StaffCase,
    appeal_number: Annotated[int, Path(ge=1, le=5)],
    body: SignOffBody,
    engine: EngineDep,
    client: TemporalDep,
) -> AppealSignedOff:
    """Sign the appeal letter off; the appeal is then submitted to the payer.

    Integrations may not sign letters off."""
    case_id, actor = access.case_id, access.actor
    view = await service.sign_off_appeal(
        engine=engine,
        client=client,
        case_id=case_id,
        appeal_number=appeal_number,
        letter_id=body.letter_id,
        actor=actor,
    )
    return AppealSignedOff(
        case_id=case_id,
        appeal_number=view.number,
        letter_id=view.letter_id,
        status=view.status.value,
    )


@router.post(
    "/appeals/{appeal_number}/decision", response_model=AppealSignedOff, responses=RESPONSES
)
async def record_appeal_decision(
    access: AnyRoleCase,
    appeal_number: Annotated[int, Path(ge=1, le=5)],
    body: AppealDecisionBody,
    engine: EngineDep,
    client: TemporalDep,
) -> AppealSignedOff:
    """Record the payer's answer to a submitted appeal, from its decision letter.

    Overturned approves the case; upheld offers the next level the regime gives, with its
    filing window. The same `decision_id` again changes nothing."""
    case_id, actor = access.case_id, access.actor
    view = await service.record_appeal_decision(
        engine=engine,
        client=client,
        case_id=case_id,
        appeal_number=appeal_number,
        decision=AppealDecisionInput(
            decision_id=body.decision_id,
            outcome=body.outcome,
            decided_at=body.decided_at,
            items=body.items,
            note=body.note,
        ),
        actor=actor,
    )
    return AppealSignedOff(
        case_id=case_id,
        appeal_number=view.number,
        letter_id=view.letter_id,
        status=view.status.value,
    )


@router.post("/withdraw", response_model=ActionResult, responses=RESPONSES)
async def withdraw(
    access: StaffCase, body: ReasonBody, engine: EngineDep, client: TemporalDep
) -> ActionResult:
    """Withdraw the case (the payer is sent a cancellation when a decision is outstanding)."""
    case_id, actor = access.case_id, access.actor
    arg = WithdrawInput(actor=actor.audit_name, reason=body.reason)
    return await _update(engine, client, case_id, actor, CaseUpdate.WITHDRAW, arg, None)


@router.post("/assign", response_model=ActionResult, responses=RESPONSES)
async def assign(
    access: StaffCase, body: AssignBody, engine: EngineDep, client: TemporalDep
) -> ActionResult:
    """Give the case to someone (their API key name puts it on their `queues/mine`)."""
    case_id, actor = access.case_id, access.actor
    arg = AssignInput(actor=actor.audit_name, assignee=body.assignee)
    return await _update(engine, client, case_id, actor, CaseUpdate.ASSIGN, arg, None)


@router.post("/notes", response_model=ActionResult, responses=RESPONSES)
async def add_note(
    access: StaffCase,
    body: NoteBody,
    engine: EngineDep,
    client: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> ActionResult:
    """Add a note to the case's timeline."""
    case_id, actor = access.case_id, access.actor
    arg = NoteInput(actor=actor.audit_name, text=body.text)
    return await _update(engine, client, case_id, actor, CaseUpdate.ADD_NOTE, arg, idempotency_key)


@router.post("/contacts", response_model=ActionResult, responses=RESPONSES)
async def record_contact(
    access: StaffCase,
    body: ContactLogEntry,
    engine: EngineDep,
    client: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> ActionResult:
    """Log a call, portal check, fax or letter with the payer (calls and faxes need the
    reference number)."""
    case_id, actor = access.case_id, access.actor
    if body.occurred_at > service.utcnow() + service.CLOCK_SKEW:
        raise service.ServiceError(
            422,
            "invalid request: occurred_at: is in the future",
            [FieldError(field="occurred_at", message="is in the future")],
        )
    arg = ContactInput(actor=actor.audit_name, contact=body)
    return await _update(
        engine, client, case_id, actor, CaseUpdate.RECORD_CONTACT, arg, idempotency_key
    )


@router.post("/accept-denial", response_model=ActionResult, responses=RESPONSES)
async def accept_denial(
    access: StaffCase, body: ReasonBody, engine: EngineDep, client: TemporalDep
) -> ActionResult:
    """Accept the adverse decision without appealing; the case closes."""
    case_id, actor = access.case_id, access.actor
    arg = AcceptDenialInput(actor=actor.audit_name, reason=body.reason)
    return await _update(engine, client, case_id, actor, CaseUpdate.ACCEPT_DENIAL, arg, None)


async def check_sequences(
    engine: EngineDep, case_id: str, sequences: list[int], *, field: str = "decision.items"
) -> None:
    """422 naming each item sequence the case does not have (404 when there is no case)."""

    def known(session: Session) -> set[int]:
        case = store_cases.get_case(session=session, case_id=case_id)
        return {line.sequence for line in case.request.service_lines}

    lines = await service.read(engine, known)
    errors = [
        FieldError(
            field=f"{field}.{index}" + (".sequence" if field == "decision.items" else ""),
            message=f"the case has no item with sequence {sequence} (it has {sorted(lines)})",
        )
        for index, sequence in enumerate(sequences)
        if sequence not in lines
    ]
    if errors:
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        raise service.ServiceError(422, f"invalid request: {summary}", errors)
