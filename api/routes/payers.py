"""Payer-facing routes: PAS `Claim/$submit` and rest-hook notifications, the signed webhook.

FHIR answers are `application/fhir+json`; refusals are an OperationOutcome naming the element.
Notifications are accepted with an integration API key or, from a payer that cannot send one
(the sandbox payer, a PAS rest-hook), with a valid `X-Priorauth-Signature` under any configured
payer secret.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from api import payer_input
from api.deps import EngineDep, SettingsDep, TemporalDep
from api.errors import (
    ERRORS_AUTH,
    ERRORS_CONFLICT,
    ERRORS_NOT_FOUND,
    ERRORS_VALIDATION,
    ErrorBody,
)
from api.schemas import NotificationResult, PayerEvent, PayerEventResult
from api.security import API_KEY_HEADER, Actor, authenticate, require
from config.settings import Role
from integrations.webhook_signature import SIGNATURE_HEADER

FHIR_JSON = "application/fhir+json"

router = APIRouter(tags=["payer integrations"])

Integration = Annotated[Actor, Depends(require(Role.INTEGRATION))]
_FHIR_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {FHIR_JSON: {"schema": {"type": "object"}}, "application/json": {}},
    }
}
_OPERATION_OUTCOME = {
    "content": {FHIR_JSON: {"schema": {"type": "object"}}},
}


def fhir(content: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(content=content, status_code=status, media_type=FHIR_JSON)


@router.post(
    "/fhir/Claim/$submit",
    response_class=JSONResponse,
    openapi_extra=_FHIR_BODY,
    responses={
        200: {"description": "PAS response bundle (items pended, A4)", **_OPERATION_OUTCOME},
        400: {
            "description": "Not a valid PAS request bundle: OperationOutcome",
            **_OPERATION_OUTCOME,
        },
        422: {
            "description": "Valid PAS, but no case can be opened: OperationOutcome",
            **_OPERATION_OUTCOME,
        },
        **ERRORS_AUTH,
    },
)
async def pas_submit(
    request: Request,
    actor: Integration,
    engine: EngineDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> Response:
    """Da Vinci PAS `Claim/$submit` from an EHR: opens a case, answers with the PAS response
    bundle (queued; the decision follows by subscription). Sending the same bundle again
    returns the same case."""
    try:
        _, bundle = await payer_input.submit_pas_bundle(
            body=await request.body(), engine=engine, client=client, settings=settings, actor=actor
        )
    except payer_input.FhirError as exc:
        return fhir(exc.outcome, exc.status)
    return fhir(bundle)


async def notification_sender(
    request: Request,
    settings: SettingsDep,
    api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
) -> str:
    """The actor of a notification: an integration key, or a payer that signed the body."""
    if api_key is not None or signature is None:
        actor = authenticate(request, api_key)
        if actor.role not in (Role.INTEGRATION, Role.ADMIN):
            from api.service import ServiceError

            raise ServiceError(403, f"role {actor.role.value} may not post payer notifications")
        return actor.audit_name
    payer_input.check_signature(
        await request.body(), signature, payer_input.all_webhook_secrets(settings), settings
    )
    return "payer:pas-notification"


@router.post(
    "/fhir/notifications",
    response_model=NotificationResult,
    openapi_extra=_FHIR_BODY,
    responses={
        400: {"description": "Not a readable notification: OperationOutcome", **_OPERATION_OUTCOME},
        404: {"description": "No case matches: OperationOutcome", **_OPERATION_OUTCOME},
        **ERRORS_AUTH,
        **ERRORS_CONFLICT,
    },
)
async def pas_notification(
    request: Request,
    sender: Annotated[str, Depends(notification_sender)],
    engine: EngineDep,
    client: TemporalDep,
) -> Response:
    """R4 Subscriptions Backport rest-hook: a PAS notification bundle. The decision it carries
    is applied to its case through the workflow; a duplicate delivery changes nothing.
    Handshakes and heartbeats are acknowledged."""
    try:
        result = await payer_input.apply_notification(
            body=await request.body(), engine=engine, client=client, actor_name=sender
        )
    except payer_input.FhirError as exc:
        return fhir(exc.outcome, exc.status)
    return JSONResponse(result.model_dump(mode="json"))


@router.post(
    "/api/v1/payer-events",
    response_model=PayerEventResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PayerEvent"}}
            },
        },
        "parameters": [
            {
                "name": SIGNATURE_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f'{t}.' + body)>",
            }
        ],
    },
    responses={
        401: {"model": ErrorBody, "description": "Missing, stale or wrong signature"},
        403: {"model": ErrorBody, "description": "The case belongs to another payer"},
        **ERRORS_NOT_FOUND,
        **ERRORS_CONFLICT,
        **ERRORS_VALIDATION,
    },
)
async def payer_event(
    request: Request,
    engine: EngineDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> PayerEventResult:
    """A payer without FHIR pushes a decision, an extension or a request for information,
    signed with its own secret (see docs/api.md). Nothing is applied unless the signature over
    the raw body holds and is fresh."""
    return await payer_input.apply_payer_event(
        body=await request.body(),
        signature=request.headers.get(SIGNATURE_HEADER),
        engine=engine,
        client=client,
        settings=settings,
    )


# Referenced by the payer-events request body in the OpenAPI document (see api.app).
OPENAPI_MODELS = [PayerEvent]
