"""The deadline calculator: the engine's query (`DeadlineQuery`, the model of `priorauth
deadline` and `POST /api/v1/deadlines/calculate`) as a form, answered by the engine's own
`compute_deadline`: the due moment in the query's zone, the rule's citation, the explanation
and the engine's notes. No case, no PHI; any signed-in person may use it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.web.model_forms import FormField, errors_by_field, form_fields, form_values
from api.web.sessions import Checked, SignedIn
from api.web.templating import render
from domain.codes import normalize_timezone
from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline

router = APIRouter(include_in_schema=False)
FIELDS = form_fields(DeadlineQuery, skipped=frozenset())
# The inputs most queries need; the rest only some rules read.
FIRST = frozenset(
    {"regime", "event", "urgency", "service_timing", "item_type", "request_type"}
    | {"received_at", "timezone", "state"}
)
MISSING_INPUT = re.compile(r"^missing input '([a-z_]+)'")


def _defaults(zone: str) -> dict[str, str]:
    """The form's first values: the model's defaults, the organization's time zone."""
    values: dict[str, str] = {}
    for field in FIELDS:
        default = DeadlineQuery.model_fields[field.name].default
        if isinstance(default, bool):
            values[field.name] = "1" if default else ""
        elif default is not None:
            values[field.name] = str(getattr(default, "value", default))
    values["timezone"] = zone
    return values


def _render(
    request: Request,
    user: Any,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    result: DeadlineResult | None = None,
    refusal: str = "",
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    first = [field for field in FIELDS if field.name in FIRST]
    more = [field for field in FIELDS if field.name not in FIRST]
    return render(
        request,
        "deadline_tool.html",
        user,
        status_code=status_code,
        active="calculator",
        first=first,
        more=more,
        more_open=any(field.name in errors for field in more),
        values=values,
        errors=errors,
        result=result,
        refusal=refusal,
    )


@router.get("/tools/deadline")
async def calculator(request: Request, user: SignedIn) -> Response:
    zone = request.app.state.settings.organization.timezone
    return _render(request, user, _defaults(zone))


@router.post("/tools/deadline")
async def calculate(request: Request, user: Checked) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    values = {field.name: form.get(field.name, "") for field in FIELDS}
    zone = _zone(values.get("timezone", ""), request.app.state.settings.organization.timezone)
    data = form_values(FIELDS, form, zone)
    for field in _checkboxes(FIELDS):  # an unticked box says no (the default may be yes)
        data.setdefault(field.name, False)
    try:
        query = DeadlineQuery.model_validate(data)
    except ValidationError as exc:
        errors = errors_by_field(exc, FIELDS)
        return _render(request, user, values, errors=errors, status_code=422)
    try:
        result = compute_deadline(query)
    except DeadlineError as exc:
        message = str(exc)
        missing = MISSING_INPUT.match(message)
        errors = {missing.group(1): message} if missing else {}
        return _render(request, user, values, errors=errors, refusal=message, status_code=422)
    return _render(request, user, values, result=result)


def _zone(typed: str, fallback: str) -> str:
    """The query's own zone for the moments typed in it, when it names a real one."""
    try:
        return normalize_timezone(typed.strip()) if typed.strip() else fallback
    except ValueError:
        return fallback


def _checkboxes(fields: list[FormField]) -> list[FormField]:
    return [field for field in fields if field.kind == "checkbox"]
