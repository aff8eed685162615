"""Actions on a case, each forwarded to the case (or appeal) workflow as an Update.

The routes are made from the table of case actions (`domain.case.actions`) and their API
bindings (`api.case_actions`): one route per action, with its path, request body, roles and
description from the table. The workflow's validators decide whether the case accepts an action
in its current state (409 with their reason when not); the API checks only what it can check
against the stored case or the clock (e.g. that a decision names items the case has, that a
contact is not in the future: 422 naming the field). The caller's API key is the actor recorded
in the audit trail. An `Idempotency-Key` header, where a route takes one, becomes the Update
id, so a retried call is applied once.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path

from api.case_actions import ROLES, ActionCall, result, result_model, take
from api.deps import EngineDep, TemporalDep
from api.errors import (
    ERRORS_AUTH,
    ERRORS_CONFLICT,
    ERRORS_NOT_FOUND,
    ERRORS_UNAVAILABLE,
    ERRORS_VALIDATION,
)
from api.schemas import ActionResult, AppealSignedOff
from api.security import CaseAccess, case_access
from domain.case.actions import ACTIONS, CaseAction, Target

router = APIRouter(prefix="/api/v1/cases/{case_id}", tags=["case actions"])

RESPONSES: dict[int | str, dict[str, object]] = {
    **ERRORS_AUTH,
    **ERRORS_NOT_FOUND,
    **ERRORS_CONFLICT,
    **ERRORS_VALIDATION,
    **ERRORS_UNAVAILABLE,
}
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
AppealNumber = Annotated[int, Path(ge=1, le=5)]


def _parameter(
    name: str, annotation: Any, default: Any = inspect.Parameter.empty
) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def add_action_route(router: APIRouter, action: CaseAction[Any, Any]) -> None:
    """One route for `action`: FastAPI reads the endpoint's signature, so it is built from
    the table (the body model, the appeal number for appeal actions, the Idempotency-Key
    header where the action takes one)."""

    async def endpoint(
        access: CaseAccess,
        body: Any,
        engine: EngineDep,
        client: TemporalDep,
        appeal_number: int | None = None,
        idempotency_key: str | None = None,
    ) -> ActionResult | AppealSignedOff:
        call = ActionCall(engine, client, access, idempotency_key, appeal_number)
        return result(access.case_id, await take(action, call, body))

    parameters = [
        _parameter(
            "access", Annotated[CaseAccess, Depends(case_access(*ROLES[action.performers]))]
        ),
        *([_parameter("appeal_number", AppealNumber)] if action.target is Target.APPEAL else []),
        _parameter("body", action.body),
        _parameter("engine", EngineDep),
        _parameter("client", TemporalDep),
        *([_parameter("idempotency_key", IdempotencyKey, None)] if action.idempotency_key else []),
    ]
    model = result_model(action)
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=model)  # type: ignore[attr-defined]
    endpoint.__name__ = action.name
    router.add_api_route(
        action.path,
        endpoint,
        methods=[action.method],
        response_model=model,
        responses=RESPONSES,
        name=action.name,
        description=describe(action),
    )


def describe(action: CaseAction[Any, Any]) -> str:
    """The route's description: the action's doc, who may take it, what the timeline shows."""
    roles = ", ".join(role.value for role in ROLES[action.performers])
    return f"{action.doc}\n\nRoles: {roles} (and admin). Timeline event: `{action.event.value}`."


for _action in ACTIONS:
    add_action_route(router, _action)
