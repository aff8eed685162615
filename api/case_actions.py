"""How the API takes each case action of `domain.case.actions`.

Each action of the table is bound here to its workflow Update (a typed reference, so the
message type and the view it returns are checked) and each group of performers to the roles of
credentials. A binding may add what only the API can do around the Update: check the body
against the stored case or the credential (`before`, 422 naming the field), deliver it another
way (`send`, e.g. with the payer receipt), or record something after (`after`). `take` runs one
call; `api.routes.actions` makes the routes from the table with it. Every action has a binding
and every Update the workflows declare is an action or listed as unoffered
(tests/api/test_case_actions.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client
from temporalio.workflow import UpdateMethodMultiParam

from api import service
from api.errors import FieldError
from api.schemas import ActionResult, AppealSignedOff
from api.security import Actor, CaseAccess
from config.settings import Role
from domain.case.actions import Caller, CaseAction, Performers, Target
from domain.case.messages import (
    FileAppealBody,
    PayerDecisionBody,
    PayerDecisionInput,
    PayerExtensionInput,
    PayerMessage,
    SignOffBody,
    SignOffInput,
)
from domain.case.views import AppealView, CaseView
from store import cases as store_cases
from workflows.appeal import AppealWorkflow
from workflows.prior_auth import PriorAuthWorkflow

ROLES: dict[Performers, tuple[Role, ...]] = {
    Performers.STAFF: (Role.CASE_MANAGER, Role.UR_STAFF),
    Performers.STAFF_AND_INTEGRATIONS: (Role.CASE_MANAGER, Role.UR_STAFF, Role.INTEGRATION),
}

# Updates the workflows declare that are no case action (yet): nothing sends `withdraw_appeal`
# today (withdrawing the case reaches its appeal by the `parent_withdrew` signal).
UNOFFERED_UPDATES = {AppealWorkflow.withdraw_appeal}


@dataclass(frozen=True)
class ActionCall:
    """One call of an action: the store, Temporal, who calls on which case, and what came
    with the request besides the body."""

    engine: Engine
    client: Client
    access: CaseAccess
    key: str | None = None  # Idempotency-Key
    appeal_number: int | None = None

    @property
    def case_id(self) -> str:
        return self.access.case_id

    @property
    def actor(self) -> Actor:
        return self.access.actor


View = CaseView | AppealView


@dataclass(frozen=True, kw_only=True)
class Binding:
    update: UpdateMethodMultiParam[[Any, Any], Any]
    # Checks only the API can make; returns the body to build the message from.
    before: Callable[[ActionCall, Any], Awaitable[Any]] | None = None
    # Who the message names as its actor (default: the caller's audit name).
    actor: Callable[[Actor], str] = lambda actor: actor.audit_name
    # Deliver the message another way than the plain Update.
    send: Callable[[ActionCall, Any], Awaitable[View]] | None = None
    after: Callable[[ActionCall, Any], Awaitable[None]] | None = None


# ---------------------------------------------------------------- checks and deliveries


async def check_sequences(
    engine: Engine, case_id: str, sequences: list[int], *, field: str = "decision.items"
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
        raise invalid(errors)


def invalid(errors: list[FieldError]) -> service.ServiceError:
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return service.ServiceError(422, f"invalid request: {summary}", errors)


async def _credited_decision(call: ActionCall, body: PayerDecisionBody) -> PayerDecisionBody:
    """The decision's source comes from the credential; a body naming another is refused."""
    source, _ = call.actor.decision_credit
    if "source" in body.decision.model_fields_set and body.decision.source != source:
        message = f"is set from your API key ({source.value}); leave it out"
        raise invalid([FieldError(field="decision.source", message=message)])
    await check_sequences(call.engine, call.case_id, [i.sequence for i in body.decision.items])
    decision = body.decision.model_copy(update={"source": source})
    return body.model_copy(update={"decision": decision})


async def _deliver_decision(call: ActionCall, message: PayerDecisionInput) -> View:
    _, credited = call.actor.decision_credit
    return await service.apply_payer_decision(
        engine=call.engine,
        client=call.client,
        case_id=call.case_id,
        arg=message,
        actor=credited,
        channel="api",
    )


async def _deliver_extension(call: ActionCall, message: PayerExtensionInput) -> View:
    return await service.apply_payer_extension(
        engine=call.engine,
        client=call.client,
        case_id=call.case_id,
        arg=message,
        actor=call.actor.audit_name,
    )


async def _appealed_items(call: ActionCall, body: FileAppealBody) -> FileAppealBody:
    if body.sequences is not None:
        await check_sequences(call.engine, call.case_id, body.sequences, field="sequences")
    return body


async def _letter_to_sign(call: ActionCall, body: SignOffBody) -> SignOffBody:
    if body.letter_id is not None:
        return body
    assert call.appeal_number is not None
    letter_id = await service.letter_awaiting_sign_off(
        call.client, call.case_id, call.appeal_number
    )
    return body.model_copy(update={"letter_id": letter_id})


async def _mark_signed_off(call: ActionCall, message: SignOffInput) -> None:
    await service.mark_signed_off(call.engine, message.letter_id, call.actor.audit_name)


BINDINGS: dict[str, Binding] = {
    "supply_information": Binding(update=PriorAuthWorkflow.supply_information),
    "record_payer_decision": Binding(
        update=PriorAuthWorkflow.record_payer_decision,
        before=_credited_decision,
        actor=lambda actor: actor.decision_credit[1],
        send=_deliver_decision,
    ),
    "record_payer_extension": Binding(
        update=PriorAuthWorkflow.record_payer_extension, send=_deliver_extension
    ),
    "request_peer_to_peer": Binding(update=PriorAuthWorkflow.request_peer_to_peer),
    "record_peer_to_peer": Binding(update=PriorAuthWorkflow.record_contact),
    "file_appeal": Binding(update=PriorAuthWorkflow.file_appeal, before=_appealed_items),
    "sign_off_appeal": Binding(
        update=AppealWorkflow.sign_off, before=_letter_to_sign, after=_mark_signed_off
    ),
    "record_appeal_decision": Binding(update=AppealWorkflow.record_appeal_decision),
    "withdraw": Binding(update=PriorAuthWorkflow.withdraw),
    "assign": Binding(update=PriorAuthWorkflow.assign),
    "add_note": Binding(update=PriorAuthWorkflow.add_note),
    "record_contact": Binding(update=PriorAuthWorkflow.record_contact),
    "accept_denial": Binding(update=PriorAuthWorkflow.accept_denial),
    "record_units_used": Binding(update=PriorAuthWorkflow.record_units_used),
}


# ---------------------------------------------------------------- taking an action


def update_id(action: CaseAction[Any, Any], message: BaseModel, call: ActionCall) -> str | None:
    """A message with the payer's own id names its Update id (the same on every channel);
    otherwise the caller's Idempotency-Key, scoped by the caller, makes a retry a no-op."""
    if isinstance(message, PayerMessage):
        return message.update_id()
    return service.update_id_for(call.actor, action.name, call.key)


async def take(action: CaseAction[Any, Any], call: ActionCall, body: BaseModel) -> View:
    """Check, build the message, send it as the action's Update, and return the new view."""
    binding = BINDINGS[action.name]
    problems = action.problems(body, service.utcnow())
    if problems:
        raise invalid([FieldError(field=f, message=m) for f, m in problems.items()])
    if binding.before is not None:
        body = await binding.before(call, body)
    message = action.build(
        body, Caller(actor=binding.actor(call.actor), key=call.key, call_id=uuid.uuid4().hex)
    )
    view: View
    if binding.send is not None:
        view = await binding.send(call, message)
    elif action.target is Target.APPEAL:
        assert call.appeal_number is not None
        view = await service.update_appeal(
            engine=call.engine,
            client=call.client,
            case_id=call.case_id,
            appeal_number=call.appeal_number,
            update=binding.update,
            arg=message,
            update_id=update_id(action, message, call),
        )
    else:
        view = await service.update_case(
            engine=call.engine,
            client=call.client,
            case_id=call.case_id,
            update=binding.update,
            arg=message,
            update_id=update_id(action, message, call),
        )
    if binding.after is not None:
        await binding.after(call, message)
    return view


def result_model(action: CaseAction[Any, Any]) -> type[ActionResult] | type[AppealSignedOff]:
    return AppealSignedOff if action.target is Target.APPEAL else ActionResult


def result(case_id: str, view: View) -> ActionResult | AppealSignedOff:
    if isinstance(view, AppealView):
        return AppealSignedOff(
            case_id=case_id,
            appeal_number=view.number,
            letter_id=view.letter_id,
            status=view.status.value,
        )
    return ActionResult(case_id=case_id, view=view)
