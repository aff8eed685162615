"""My work: the signed-in person's open cases and tasks, most urgent first, with filters,
search and a list that refreshes itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from api import service
from api.deps import EngineDep
from api.web.sessions import Checked, SignedIn, WebUser
from api.web.templating import render
from api.web.work_list import DUE_WITHIN_DAYS, WorkFilters, WorkPage, load_page
from config.settings import Role
from domain.case.vocabulary import CaseStatus
from domain.enums import Regime
from store import tasks as store_tasks
from store.records import TaskPage
from store.types import utcnow

router = APIRouter(include_in_schema=False)
TASKS_SHOWN = 25


def default_filters(user: WebUser) -> WorkFilters:
    return WorkFilters(show="mine" if user.role == Role.CASE_MANAGER else "team")


async def form_filters(request: Request) -> tuple[WorkFilters, dict[str, str]]:
    """The filter form as sent, and the errors by field (the defaults stand in for bad ones)."""
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str) and value}
    try:
        return WorkFilters.model_validate(values), {}
    except ValidationError as exc:
        errors = {str(error["loc"][0]): error["msg"] for error in exc.errors()}
        kept = {key: value for key, value in values.items() if key not in errors}
        return WorkFilters.model_validate(kept), errors


async def _load(
    request: Request, engine: Any, user: WebUser, filters: WorkFilters
) -> tuple[WorkPage, TaskPage]:
    now = utcnow()
    actor = user.actor

    def load(session: Session) -> tuple[WorkPage, TaskPage]:
        page = load_page(session, filters, actor, now)
        tasks = store_tasks.ur_queue(
            session=session, assignee=actor.name, limit=TASKS_SHOWN, scope=actor.scope
        )
        return page, tasks

    page, tasks = await service.read(engine, load)
    case_ids = [row.case.case_id for row in page.rows] + [task.case_id for task in tasks.items]
    await service.record_phi_read(engine, service.Reader.of(actor, request), *case_ids)
    return page, tasks


def _context(
    filters: WorkFilters, page: WorkPage, tasks: TaskPage, errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "active": "work",
        "filters": filters,
        "errors": errors,
        "page": page,
        "tasks": tasks,
        "statuses": list(CaseStatus),
        "regimes": list(Regime),
        "due_choices": DUE_WITHIN_DAYS,
    }


@router.get("/")
async def my_work(request: Request, engine: EngineDep, user: SignedIn) -> Response:
    filters = default_filters(user)
    page, tasks = await _load(request, engine, user, filters)
    return render(request, "work.html", user, **_context(filters, page, tasks, {}))


@router.post("/")
async def my_work_filtered(request: Request, engine: EngineDep, user: Checked) -> Response:
    filters, errors = await form_filters(request)
    page, tasks = await _load(request, engine, user, filters)
    status_code = 422 if errors else 200
    return render(
        request,
        "work.html",
        user,
        status_code=status_code,
        **_context(filters, page, tasks, errors),
    )


@router.post("/work/rows")
async def work_rows(request: Request, engine: EngineDep, user: Checked) -> Response:
    """The list alone (htmx): after a filter change, and every so often by itself."""
    filters, errors = await form_filters(request)
    page, tasks = await _load(request, engine, user, filters)
    return render(request, "work_rows.html", user, **_context(filters, page, tasks, errors))
