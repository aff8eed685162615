"""Payer-facing routes: PAS `Claim/$submit` and rest-hook notifications, the signed webhook.

FHIR answers are `application/fhir+json`; refusals are an OperationOutcome naming the element.
Notifications are accepted with an integration API key bound to a payer (`ApiKey.payer_id`)
or, from a payer that cannot send one (the sandbox payer, a PAS rest-hook), with a Standard
Webhooks signature under that payer's own secret. Either way the credential decides the payer;
a decision applies only to that payer's case.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from api import payer_auth, payer_input
from api.deps import EngineDep, SettingsDep, TemporalDep
from api.errors import (
    ERRORS_AUTH,
    ERRORS_CONFLICT,
    ERRORS_NOT_FOUND,
    ERRORS_VALIDATION,
    ErrorBody,
)
from api.payer_auth import PayerSender
from api.schemas import NotificationResult, PayerEvent, PayerEventResult
from api.security import API_KEY_HEADER, Actor, require
from config.settings import Role
from integrations.webhook_signature import WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP

FHIR_JSON = "application/fhir+json"

router = APIRouter(tags=["payer integrations"])

Integration = Annotated[Actor, Depends(require(Role.INTEGRATION))]
_FHIR_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {FHIR_JSON: {"schema": {"type": "object"}}, "application/json": {}},
    }
}
SIGNED_HEADER_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }
    for name, description in (
        (WEBHOOK_ID, "Standard Webhooks message id; the same on every retry of one message"),
        (WEBHOOK_TIMESTAMP, "Unix seconds when sent; at most 5 minutes from our clock"),
        (
            WEBHOOK_SIGNATURE,
            "v1,<base64 HMAC-SHA256(payer secret, f'{id}.{timestamp}.' + raw body)>",
        ),
    )
]
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
    webhook_id: Annotated[str | None, Header(alias=WEBHOOK_ID)] = None,
    webhook_timestamp: Annotated[str | None, Header(alias=WEBHOOK_TIMESTAMP)] = None,
    webhook_signature: Annotated[str | None, Header(alias=WEBHOOK_SIGNATURE)] = None,
) -> PayerSender:
    """The sender of a notification: a payer-bound API key, or the payer whose Standard
    Webhooks signature over the raw body holds (decided before the body is parsed). The
    webhook headers are declared for the API documentation; they are read raw."""
    if api_key is not None:
        return payer_auth.key_sender(request, api_key, settings)
    return payer_auth.signed_sender(await request.body(), request.headers, settings)


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
    sender: Annotated[PayerSender, Depends(notification_sender)],
    engine: EngineDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> Response:
    """R4 Subscriptions Backport rest-hook: a PAS notification bundle. The decision it carries
    is applied to the sender's own case (found by our case id, case number, trace number or
    the payer's pre-auth reference, never by member id) through the workflow; a duplicate
    delivery changes nothing. Handshakes and heartbeats are acknowledged."""
    try:
        result = await payer_input.apply_notification(
            body=await request.body(),
            engine=engine,
            client=client,
            settings=settings,
            sender=sender,
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
        "parameters": SIGNED_HEADER_PARAMETERS,
    },
    responses={
        401: {
            "model": ErrorBody,
            "description": "Not signed by a known payer (one answer for every failure)",
        },
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
    signed with its own secret (Standard Webhooks, see docs/api.md). Nothing is parsed or
    applied unless the signature over the raw body holds and is fresh; the same `webhook-id`
    again is answered as a duplicate."""
    return await payer_input.apply_payer_event(
        body=await request.body(),
        headers=request.headers,
        engine=engine,
        client=client,
        settings=settings,
    )


# Referenced by the payer-events request body in the OpenAPI document (see api.app).
OPENAPI_MODELS = [PayerEvent]
