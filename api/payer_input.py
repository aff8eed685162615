"""Payer-facing intake: PAS `Claim/$submit` bundles, PAS rest-hook notifications, and signed
webhooks from payers without FHIR. Each ends in the same paths as the staff API: `open_case`
for a request, the workflow's payer-decision / extension Updates for an answer.

Who sent a notification or event is decided by its credential before the body is parsed
(api.payer_auth). Its case is then looked up among that payer's cases only, by index
(store.payer_cases): the `urn:priorauth:case|<id>` identifier priorauth puts on every request,
our case number, the request's trace number / external reference, or the payer's pre-auth
reference. Never by member id: a notification that names none of these is a 404.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client

from api import service
from api.errors import FieldError, pydantic_error_body
from api.payer_auth import MessageInProgressError, PayerSender, once, require_payer, signed_sender
from api.schemas import CaseOpened, NotificationResult, PayerEvent, PayerEventResult
from api.security import Actor
from config.logging import get_logger
from config.settings import Settings
from domain.case.messages import PayerDecisionInput, PayerExtensionInput
from domain.enums import DecisionSource, ItemOutcome
from domain.models import ItemDecision, PayerDecision, PriorAuthRequest
from integrations.pas import (
    PasIntake,
    PasNotification,
    PasValidationError,
    PayerPlanMappings,
    PlanMapping,
    build_pas_submit_response,
    parse_pas_request_bundle,
    parse_subscription_notification,
)
from integrations.pas.errors import PasIssue
from integrations.pas.identifiers import CASE_IDENTIFIER_SYSTEM
from store import cases as store_cases
from store import payer_cases
from store.payer_messages import SeenMessage

PAS_PLAN_NAME = "Plan not stated in the PAS request"

log = get_logger("priorauth.api.payers")


class FhirError(Exception):
    """A FHIR request refused with an OperationOutcome (status 400 or 422)."""

    def __init__(self, status: int, outcome: dict[str, Any]) -> None:
        super().__init__(f"FHIR request refused ({status})")
        self.status = status
        self.outcome = outcome


def outcome(code: str, diagnostics: str, expression: str | None = None) -> dict[str, Any]:
    issue = PasIssue(code=code, diagnostics=diagnostics, expression=expression)
    return {"resourceType": "OperationOutcome", "issue": [issue.to_fhir()]}


def load_json(body: bytes) -> Any:
    """The body as JSON. Depth and number length were checked before the route ran
    (`api.limits`), so parsing cannot recurse or convert without bound here."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise FhirError(400, outcome("structure", f"the body is not JSON: {exc}")) from None


def plan_mappings(settings: Settings) -> PayerPlanMappings:
    """PAS does not say which rules govern the member's plan: the configured default does."""
    return PayerPlanMappings(
        default=PlanMapping(regime=settings.pas_default_regime, plan_name=PAS_PLAN_NAME)
    )


def intake_case_key(intake: PasIntake) -> str:
    """The same bundle sent again opens no second case: key on the bundle's transaction id."""
    ident = intake.transaction_identifier
    if ident is not None:
        return f"pas:{ident.system or ''}|{ident.value}"
    claims = "|".join(f"{i.system or ''}|{i.value}" for i in intake.claim_identifiers)
    return "pas:" + (claims or hashlib.sha256(intake.model_dump_json().encode()).hexdigest())


async def submit_pas_bundle(
    *, body: bytes, engine: Engine, client: Client, settings: Settings, actor: Actor
) -> tuple[CaseOpened, dict[str, Any]]:
    """Open a case from a PAS request bundle; returns the case and the PAS response bundle."""
    intake, request = read_pas_submit(body, settings)
    opened = await open_pas_case(
        intake=intake,
        request=request,
        engine=engine,
        client=client,
        settings=settings,
        actor=actor,
    )
    return opened, build_pas_submit_response(intake, opened.case_id, "queued")


def read_pas_submit(body: bytes, settings: Settings) -> tuple[PasIntake, PriorAuthRequest]:
    """A PAS `Claim/$submit` request bundle and the case request made from it, or a `FhirError`
    naming the element: 400 when it is not a PAS request bundle, 422 when it is but no case can
    be made from it. Reads only; nothing is stored."""
    data = load_json(body)
    try:
        intake = parse_pas_request_bundle(data, plan_mappings(settings))
    except PasValidationError as exc:
        raise FhirError(400, exc.to_operation_outcome()) from None
    if intake.kind != "submit":
        raise FhirError(
            400,
            outcome(
                "not-supported",
                "this is a PAS inquiry bundle: post it to Claim/$inquire, not Claim/$submit",
                "Bundle.entry[0].resource",
            ),
        )
    try:
        request: PriorAuthRequest = intake.require_request()
    except PasValidationError as exc:
        raise FhirError(422, exc.to_operation_outcome()) from None
    return intake, request


async def open_pas_case(
    *,
    intake: PasIntake,
    request: PriorAuthRequest,
    engine: Engine,
    client: Client,
    settings: Settings,
    actor: Actor,
    assignee: str | None = None,
    team: str | None = None,
) -> CaseOpened:
    """Open the case of a bundle read by `read_pas_submit`; the same bundle (its
    Bundle.identifier) from the same caller opens no second case. `assignee` and `team` as for
    `service.open_case`: a person uploading a bundle in the web workspace chooses them, an
    EHR's `Claim/$submit` leaves the case unassigned in the key's first team."""
    try:
        return await service.open_case(
            engine=engine,
            client=client,
            settings=settings,
            request=request,
            actor=actor,
            case_id=service.case_id_for(actor, intake_case_key(intake)),
            assignee=assignee,
            source=service.PAS_SOURCE,
            team=team,
        )
    except service.ServiceError as exc:
        code = "transient" if exc.status >= 500 else "business-rule"
        detail = exc.detail
        if exc.status == 409:
            detail = (
                "this Bundle.identifier already opened a case with different content; "
                "a new request needs a new Bundle.identifier"
            )
        raise FhirError(exc.status, outcome(code, detail, "Bundle.identifier")) from None


# ---------------------------------------------------------------- notifications


def _identifiers(notification: PasNotification) -> tuple[list[str], list[str], list[str]]:
    """(our case ids, other echoed identifier values, the payer's pre-auth references)."""
    identifiers = notification.request_identifiers
    ours = [i.value for i in identifiers if i.system == CASE_IDENTIFIER_SYSTEM and i.value]
    others = [i.value for i in identifiers if i.system != CASE_IDENTIFIER_SYSTEM and i.value]
    response = notification.response
    refs = [response.pre_auth_ref] if response is not None and response.pre_auth_ref else []
    return ours, others, refs


def find_payer_case_for(
    notification: PasNotification, payer_id: str | None, session: Session
) -> str | None:
    ours, others, refs = _identifiers(notification)
    return payer_cases.find_payer_case(
        session=session, payer_id=payer_id, case_ids=ours, references=others, pre_auth_refs=refs
    )


async def apply_notification(
    *, body: bytes, engine: Engine, client: Client, settings: Settings, sender: PayerSender
) -> NotificationResult:
    """Apply a PAS notification from `sender` (verified already) to that payer's case."""
    data = load_json(body)
    try:
        notification = parse_subscription_notification(data, received_at=service.utcnow())
    except PasValidationError as exc:
        raise FhirError(400, exc.to_operation_outcome()) from None
    decision = notification.decision
    if decision is None:
        return NotificationResult(
            handled="no_decision", notification_type=notification.notification_type
        )
    require_payer(sender)

    async def apply() -> NotificationResult:
        return await _apply_decision(engine, client, notification, sender)

    def duplicate(seen: SeenMessage) -> NotificationResult:
        return NotificationResult(
            handled="duplicate",
            case_id=seen.case_id,
            decision_id=decision.decision_id,
            notification_type=notification.notification_type,
        )

    try:
        return await once(engine, settings, sender, apply, duplicate, lambda r: r.case_id)
    except MessageInProgressError:
        raise FhirError(
            409, outcome("conflict", "this message id is being applied: retry later")
        ) from None


async def _apply_decision(
    engine: Engine, client: Client, notification: PasNotification, sender: PayerSender
) -> NotificationResult:
    decision = notification.decision
    assert decision is not None
    scope = sender.scope
    case_id = await service.read(engine, lambda s: find_payer_case_for(notification, scope, s))
    if case_id is None:
        ours, others, refs = _identifiers(notification)
        log.info(
            "payer_notification_unmatched",
            payer_id=sender.payer_id,
            identifiers=len(ours) + len(others) + len(refs),
        )
        raise FhirError(
            404,
            outcome(
                "not-found",
                "no case of this payer matches the notification's identifiers (our case id, "
                "case number, trace number or the payer's pre-auth reference)",
                "Bundle.entry",
            ),
        )
    result = await service.deliver_payer_decision(
        engine=engine,
        client=client,
        case_id=case_id,
        arg=PayerDecisionInput(
            decision=decision,
            information_request=notification.response.rfi if notification.response else None,
        ),
        actor=sender.actor,
        channel="pas_notification",
    )
    return NotificationResult(
        handled="duplicate" if result.duplicate else "applied",
        case_id=case_id,
        decision_id=decision.decision_id,
        notification_type=notification.notification_type,
        details={"status": result.view.status.value},
    )


# ---------------------------------------------------------------- generic signed webhook


async def apply_payer_event(
    *,
    body: bytes,
    headers: Mapping[str, str],
    engine: Engine,
    client: Client,
    settings: Settings,
) -> PayerEventResult:
    """Verify the payer's signature over the raw body, then parse and apply the event once.

    The payer is the one whose secret signed the body; the body cannot name another.
    """
    sender = signed_sender(body, headers, settings)
    payer_id = require_payer(sender)
    try:
        event = PayerEvent.model_validate_json(body)
    except ValidationError as exc:
        problem = pydantic_error_body(exc)
        raise service.ServiceError(422, problem.detail, problem.errors) from None
    if event.payer_id is not None and event.payer_id != payer_id and not sender.any_payer:
        raise service.ServiceError(
            403,
            "payer_id: the body names another payer than the one whose secret signed it",
            [FieldError(field="payer_id", message="not the signing payer")],
        )

    def duplicate(seen: SeenMessage) -> PayerEventResult:
        return PayerEventResult(
            case_id=seen.case_id or "", applied=False, duplicate=True, status=None
        )

    try:
        return await once(
            engine,
            settings,
            sender,
            lambda: _apply_event(engine, client, event, sender.scope, sender.actor),
            duplicate,
            lambda r: r.case_id,
        )
    except MessageInProgressError:
        raise service.ServiceError(409, "this message id is being applied: retry later") from None


async def _apply_event(
    engine: Engine, client: Client, event: PayerEvent, payer_id: str | None, actor: str
) -> PayerEventResult:
    case_id = await _event_case(engine, payer_id, event)
    if event.type == "extension":
        if event.extension is None:
            raise _missing("extension")
        view = await service.apply_payer_extension(
            engine=engine,
            client=client,
            case_id=case_id,
            arg=PayerExtensionInput.model_validate(event.extension.model_dump()),
            actor=actor,
        )
        return PayerEventResult(
            case_id=case_id, applied=True, duplicate=False, status=view.status.value
        )
    if event.type == "decision":
        if event.decision is None:
            raise _missing("decision")
        arg = PayerDecisionInput(
            decision=event.decision.model_copy(update={"source": DecisionSource.WEBHOOK}),
            information_request=event.information_request,
        )
    else:
        if event.information_request is None:
            raise _missing("information_request")
        arg = await _pend_all(engine, case_id, event)
    outcome_ = await service.deliver_payer_decision(
        engine=engine, client=client, case_id=case_id, arg=arg, actor=actor, channel="webhook"
    )
    return PayerEventResult(
        case_id=case_id,
        applied=not outcome_.duplicate,
        duplicate=outcome_.duplicate,
        status=outcome_.view.status.value,
    )


async def _pend_all(engine: Engine, case_id: str, event: PayerEvent) -> PayerDecisionInput:
    """A request for information pends every item of the case (as an X12 A4 would)."""
    assert event.information_request is not None
    case = await service.read(engine, lambda s: store_cases.get_case(session=s, case_id=case_id))
    rfi = event.information_request
    decision = PayerDecision(
        decision_id=event.event_id,
        source=DecisionSource.WEBHOOK,
        decided_at=rfi.requested_at,
        items=[
            ItemDecision(
                sequence=line.sequence, review_action_code="A4", outcome=ItemOutcome.PENDED
            )
            for line in case.request.service_lines
        ],
        note="Payer requests more information",
    )
    return PayerDecisionInput(decision=decision, information_request=rfi)


async def _event_case(engine: Engine, payer_id: str | None, event: PayerEvent) -> str:
    """The signing payer's case named by the event; another payer's case is refused (403)."""
    if event.case_id:
        summary = await service.require_case(engine, event.case_id)
        if payer_id is not None and summary.payer_id != payer_id:
            raise service.ServiceError(403, f"case {summary.case_id} belongs to another payer")
        return summary.case_id
    if event.case_number:
        number = event.case_number
        found = await service.read(
            engine,
            lambda s: payer_cases.find_case_by_number(
                session=s, payer_id=payer_id, case_number=number
            ),
        )
        if found is None:
            raise service.ServiceError(
                404,
                f"case number {number} not found among this payer's cases",
                [FieldError(field="case_number", message="no case of this payer has it")],
            )
        return found
    raise service.ServiceError(
        422,
        "invalid request: case_id: give case_id or case_number",
        [FieldError(field="case_id", message="give case_id or case_number")],
    )


def _missing(field: str) -> service.ServiceError:
    return service.ServiceError(
        422,
        f"invalid request: {field}: required for an event of type {field}",
        [FieldError(field=field, message=f"required for an event of type {field}")],
    )
