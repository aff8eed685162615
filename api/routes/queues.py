"""Work queues (my cases, escalations, overdue) and task completion / reassignment.

Escalation tasks (the UR and supervisor queues the escalation ladder fills) are completed only
by UR staff and admins; a case manager completes the reminders on their own queue (the rules
live in `api.tasks`, shared with the web workspace).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlmodel import Session

from api import service, tasks
from api.deps import EngineDep
from api.errors import ERRORS_AUTH, ERRORS_CONFLICT, ERRORS_NOT_FOUND, ERRORS_VALIDATION
from api.paging import Cursor, Limit, Offset
from api.schemas import ReassignBody
from api.security import Staff
from api.tasks import ESCALATION_QUEUES
from domain.escalation import TaskQueue
from store import tasks as store_tasks
from store.queries import list_cases
from store.records import CaseFilter, CasePage, CaseState, TaskPage, TaskRecord

router = APIRouter(prefix="/api/v1", tags=["queues"])


@router.get("/queues/mine", response_model=CasePage, responses=ERRORS_AUTH)
async def my_cases(
    engine: EngineDep, actor: Staff, limit: Limit = 50, offset: Offset = 0, cursor: Cursor = None
) -> CasePage:
    """Open cases assigned to the caller (the API key's name) within the caller's teams, most
    urgent first."""
    filters = CaseFilter(state=CaseState.OPEN, assignee=actor.name)
    return await service.read(
        engine,
        lambda s: list_cases(
            session=s,
            filters=filters,
            limit=limit,
            offset=offset,
            cursor=cursor,
            scope=actor.scope,
        ),
    )


@router.get("/queues/escalations", response_model=TaskPage, responses=ERRORS_AUTH)
async def escalations(
    engine: EngineDep,
    actor: Staff,
    queue: Annotated[TaskQueue | None, Query(description="ur or supervisor; default: both")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> TaskPage:
    """Open escalation tasks of the cases the caller may see, the one due soonest first."""
    if queue is not None and queue.value not in ESCALATION_QUEUES:
        queue = None
    scope = actor.scope

    def load(session: Session) -> TaskPage:
        if queue is not None:
            return store_tasks.ur_queue(
                session=session,
                queue=queue.value,
                limit=limit,
                offset=offset,
                cursor=cursor,
                scope=scope,
            )
        # Both queues in one query, paged by the database (merging a page of each queue here
        # asked the store for limit + offset rows, past its page size: a 500).
        return store_tasks.ur_queue(
            session=session,
            queues=ESCALATION_QUEUES,
            limit=limit,
            offset=offset,
            cursor=cursor,
            scope=scope,
        )

    return await service.read(engine, load)


@router.get("/queues/overdue", response_model=CasePage, responses=ERRORS_AUTH)
async def overdue(
    engine: EngineDep, actor: Staff, limit: Limit = 50, offset: Offset = 0, cursor: Cursor = None
) -> CasePage:
    """Open cases (of those the caller may see) whose next deadline has passed, the longest
    overdue first."""
    filters = CaseFilter(state=CaseState.OPEN, overdue_as_of=service.utcnow())
    return await service.read(
        engine,
        lambda s: list_cases(
            session=s,
            filters=filters,
            limit=limit,
            offset=offset,
            cursor=cursor,
            scope=actor.scope,
        ),
    )


TASK_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERRORS_AUTH,
    **ERRORS_NOT_FOUND,
    **ERRORS_CONFLICT,
    **ERRORS_VALIDATION,
}
# Task ids are INTEGER columns: a larger id overflowed on PostgreSQL (a 500, found by the fuzz).
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/tasks/{task_id}/complete", response_model=TaskRecord, responses=TASK_RESPONSES)
async def complete_task(task_id: TaskId, engine: EngineDep, actor: Staff) -> TaskRecord:
    """Mark a task done (completing it again changes nothing).

    Escalation tasks (UR / supervisor queues): UR staff and admins only."""
    return await service.write(engine, lambda s: tasks.complete(s, actor, task_id))


@router.post("/tasks/{task_id}/reassign", response_model=TaskRecord, responses=TASK_RESPONSES)
async def reassign_task(
    task_id: TaskId, body: ReassignBody, engine: EngineDep, actor: Staff
) -> TaskRecord:
    """Give an open task to someone else (or back to its queue)."""
    return await service.write(
        engine,
        lambda s: tasks.reassign(s, actor, task_id, assignee=body.assignee, queue=body.queue),
    )
