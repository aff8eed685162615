"""Payer-facing intake: PAS `Claim/$submit` bundles, PAS rest-hook notifications, and signed
webhooks from payers without FHIR. Each ends in the same paths as the staff API: `open_case`
for a request, the workflow's payer-decision / extension Updates for an answer.

Finding the case of a notification, in order: the `urn:priorauth:case|<id>` identifier priorauth
puts on every request and response; any echoed identifier value that is a case id; then the
external reference (the Claim trace number) or the member id stored with an open case.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client

from api import service
from api.errors import FieldError, pydantic_error_body
from api.schemas import CaseOpened, NotificationResult, PayerEvent, PayerEventResult
from api.security import Actor
from config.settings import Settings
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
from integrations.webhook_signature import SignatureError, verify
from store import cases as store_cases
from store.cases import CLOSED_STATUSES
from store.records import CaseSummary
from store.tables import CaseRow
from workflows.models import PayerDecisionInput, PayerExtensionInput

CASE_IDENTIFIER_SYSTEM = "urn:priorauth:case"
PAS_PLAN_NAME = "Plan not stated in the PAS request"
# How many open cases the member-id fallback reads at most (it scans stored requests).
MEMBER_SCAN_LIMIT = 5_000


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
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
    try:
        opened = await service.open_case(
            engine=engine,
            client=client,
            settings=settings,
            request=request,
            actor=actor,
            case_id=service.case_id_for(actor, intake_case_key(intake)),
            assignee=None,
            source=service.PAS_SOURCE,
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
    return opened, build_pas_submit_response(intake, opened.case_id, "queued")


# ---------------------------------------------------------------- notifications


def check_signature(
    body: bytes, header: str | None, secrets: list[str], settings: Settings
) -> None:
    if not secrets:
        raise service.ServiceError(401, "no webhook secret is configured for this sender")
    try:
        verify(body, header, secrets, tolerance=settings.webhook_tolerance_seconds)
    except SignatureError as exc:
        raise service.ServiceError(401, f"webhook signature refused: {exc.reason}") from None


def all_webhook_secrets(settings: Settings) -> list[str]:
    return [secret.get_secret_value() for secret in settings.webhook_secrets.values()]


def find_case_for(notification: PasNotification, session: Session) -> str | None:
    identifiers = notification.request_identifiers
    ours = [i for i in identifiers if i.system == CASE_IDENTIFIER_SYSTEM]
    others = [i for i in identifiers if i.system != CASE_IDENTIFIER_SYSTEM]
    for ident in [*ours, *others]:
        if ident.value and session.get(CaseRow, ident.value) is not None:
            return ident.value
    values = {ident.value for ident in identifiers if ident.value}
    member_id = notification.member_id
    if not values and not member_id:
        return None
    # Stopgap until the store offers a lookup by external reference / member id: read the
    # stored requests of open cases, newest first.
    rows = session.exec(
        select(CaseRow.case_id, CaseRow.request)
        .where(col(CaseRow.status).not_in([s.value for s in CLOSED_STATUSES]))
        .order_by(col(CaseRow.received_at).desc())
        .limit(MEMBER_SCAN_LIMIT)
    ).all()
    by_member: str | None = None
    for case_id, request in rows:
        if request.get("external_reference") in values:
            return case_id
        member = (request.get("member") or {}).get("member_id")
        if by_member is None and member_id and member == member_id:
            by_member = case_id
    return by_member


async def apply_notification(
    *, body: bytes, engine: Engine, client: Client, actor_name: str
) -> NotificationResult:
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
    case_id = await service.read(engine, lambda s: find_case_for(notification, s))
    if case_id is None:
        raise FhirError(
            404,
            outcome(
                "not-found",
                "no open case matches the notification's request identifiers or member id",
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
        actor=actor_name,
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
    *, body: bytes, signature: str | None, engine: Engine, client: Client, settings: Settings
) -> PayerEventResult:
    """Verify the payer's signature over the raw body, then apply the event to its case."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raw = None
    payer_id = raw.get("payer_id") if isinstance(raw, dict) else None
    secret = settings.webhook_secrets.get(payer_id) if isinstance(payer_id, str) else None
    if secret is None:
        # Same answer as a bad signature: an unsigned sender learns nothing about payer ids.
        raise service.ServiceError(401, "webhook signature refused: unknown payer_id or no secret")
    check_signature(body, signature, [secret.get_secret_value()], settings)
    try:
        event = PayerEvent.model_validate_json(body)
    except ValidationError as exc:
        problem = pydantic_error_body(exc)
        raise service.ServiceError(422, problem.detail, problem.errors) from None
    summary = await _event_case(engine, event)
    if summary.payer_id != event.payer_id:
        raise service.ServiceError(403, f"case {summary.case_id} belongs to another payer")
    actor = f"payer:{event.payer_id}"
    case_id = summary.case_id
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


async def _event_case(engine: Engine, event: PayerEvent) -> CaseSummary:
    if event.case_id:
        return await service.require_case(engine, event.case_id)
    if event.case_number:
        return await service.find_case_by_number(engine, event.case_number)
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
