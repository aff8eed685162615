"""Escalations (UR staff and supervisors): open escalation tasks near or past a deadline,
grouped by stage and sorted by due moment, with bulk claim, assign and complete.

The list and its rules are in `api.web.escalation_list`; every write goes through `api.tasks`,
as the task API's do. A case manager gets a page saying it is for UR staff (403).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api import service
from api.deps import EngineDep
from api.web import escalation_list as escalations
from api.web.escalation_list import BulkAction, BulkOutcome, EscalationFilters
from api.web.sessions import Checked, SignedIn, WebUser
from api.web.templating import render
from store.types import utcnow

router = APIRouter(include_in_schema=False)
NOTE_LONGEST = 2000
TASK_ID_LARGEST = 2**31 - 1


def _filters(values: dict[str, str], user: WebUser) -> tuple[EscalationFilters, dict[str, str]]:
    given = {key: value for key, value in values.items() if value}
    defaults = escalations.default_filters(user.actor).model_dump()
    try:
        return EscalationFilters.model_validate({**defaults, **given}), {}
    except ValidationError as exc:
        errors = {str(error["loc"][0]): error["msg"] for error in exc.errors()}
        kept = {key: value for key, value in given.items() if key not in errors}
        return EscalationFilters.model_validate({**defaults, **kept}), errors


async def _page(
    request: Request,
    engine: Any,
    user: WebUser,
    filters: EscalationFilters,
    *,
    errors: dict[str, str] | None = None,
    outcome: BulkOutcome | None = None,
    form_error: str = "",
    status_code: int = 200,
) -> Response:
    if not escalations.may_use(user.actor):
        return render(request, "escalations_refused.html", user, status_code=403, active="")
    now = utcnow()
    actor = user.actor

    def load(session: Any) -> tuple[escalations.EscalationPage, list[Any]]:
        page = escalations.load(session, actor, filters, now)
        return page, escalations.assignable_people(session, actor)

    page, people = await service.read(engine, load)
    await service.record_phi_read(engine, service.Reader.of(actor, request), *page.case_ids)
    return render(
        request,
        "escalations.html",
        user,
        status_code=status_code,
        active="escalations",
        filters=filters,
        errors=errors or {},
        page=page,
        people=people,
        outcome=outcome,
        form_error=form_error,
    )


@router.get("/escalations")
async def escalations_page(request: Request, engine: EngineDep, user: SignedIn) -> Response:
    values = {key: value for key, value in request.query_params.items()}
    filters, errors = _filters(values, user)
    return await _page(
        request, engine, user, filters, errors=errors, status_code=422 if errors else 200
    )


@router.post("/escalations/bulk")
async def bulk(request: Request, engine: EngineDep, user: Checked) -> Response:
    """Claim, assign or complete the ticked tasks; the page comes back with what changed and,
    for each task left as it was, why."""
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    filters, _ = _filters({k: values.get(k, "") for k in ("show", "queue")}, user)
    if not escalations.may_use(user.actor):
        return await _page(request, engine, user, filters)
    task_ids = [value for value in form.getlist("task_id") if isinstance(value, str)]
    action_name = values.get("action", "")
    note = values.get("note", "").strip()
    problem = ""
    if action_name not in {action.value for action in BulkAction}:
        problem = "Choose claim, assign or complete."
    elif not task_ids:
        problem = "Select at least one task."
    elif len(task_ids) > escalations.MOST_IN_ONE_GO:
        problem = f"Select at most {escalations.MOST_IN_ONE_GO} tasks at a time."
    elif len(note) > NOTE_LONGEST:
        problem = f"The note is too long (at most {NOTE_LONGEST} characters)."
    if problem:
        return await _page(request, engine, user, filters, form_error=problem, status_code=422)
    action = BulkAction(action_name)
    assignee = None
    if action == BulkAction.ASSIGN:
        wanted = values.get("person", "")
        people = await service.read(engine, lambda s: escalations.assignable_people(s, user.actor))
        assignee = next((person for person in people if person.username == wanted), None)
        if assignee is None:
            problem = (
                "Choose the person to assign the tasks to."
                if not wanted
                else "That person is not one of the UR staff of your teams."
            )
            return await _page(request, engine, user, filters, form_error=problem, status_code=422)
    numbers = [int(value) for value in task_ids if value.isdigit()]
    outcome = await escalations.run_bulk(
        engine,
        user.actor,
        action,
        [number for number in numbers if 1 <= number <= TASK_ID_LARGEST],
        assignee=assignee,
        note=note or None,
    )
    for value in task_ids:
        if not value.isdigit() or not 1 <= int(value) <= TASK_ID_LARGEST:
            outcome.refused.append(escalations.Refusal(f"task {value[:20]}", "not a task number"))
    return await _page(request, engine, user, filters, outcome=outcome)
