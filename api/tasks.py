"""The rules for changing a task, shared by the task API (`api.routes.queues`) and the web
workspace's bulk actions (`api.web.routes.escalations`): which tasks a caller may reach, who
may close or move an escalation task, and the write with its audit event, in one transaction.

Each function runs inside the caller's transaction (`service.write`); a task outside `scope`
is "not found", exactly as a task that does not exist.
"""

from __future__ import annotations

from sqlmodel import Session

from api import service
from api.security import Actor
from config.settings import Role
from domain.escalation import TaskQueue
from store import tasks as store_tasks
from store.errors import InvalidTransitionError, NotFoundError
from store.records import TaskRecord, TaskStatus
from store.scope import CaseScope, require_case_in_scope
from store.transitions import TransitionWrites
from store.types import utcnow

ESCALATION_QUEUES = frozenset({TaskQueue.UR.value, TaskQueue.SUPERVISOR.value})


def is_escalation(task: TaskRecord) -> bool:
    return task.queue in ESCALATION_QUEUES


def task_in_scope(session: Session, task_id: int, scope: CaseScope) -> TaskRecord:
    """The task, if its case lies within `scope`; else `NotFoundError` ("task not found")."""
    task = store_tasks.get_task(session=session, task_id=task_id)
    try:
        require_case_in_scope(session, task.case_id, scope)
    except NotFoundError:
        raise NotFoundError("task", task_id) from None
    return task


def may_change(actor: Actor, task: TaskRecord) -> None:
    """Escalation tasks are closed and moved by UR staff and admins only (403 otherwise)."""
    if is_escalation(task) and actor.role not in (Role.UR_STAFF, Role.ADMIN):
        raise service.ServiceError(
            403,
            f"task {task.task_id} is an escalation ({task.queue} queue): only ur_staff and "
            "admin keys may complete or reassign it",
        )


def complete(
    session: Session,
    actor: Actor,
    task_id: int,
    *,
    scope: CaseScope | None = None,
    note: str | None = None,
) -> TaskRecord:
    """Mark the task done (again: no change), audited as `task_completed`; `note` goes into
    the audit event's summary. `scope` defaults to the actor's."""
    task = task_in_scope(session, task_id, actor.scope if scope is None else scope)
    may_change(actor, task)
    summary = f"Task completed: {task.title}"
    if note:
        summary += f" (note: {note})"
    with TransitionWrites(session.connection()) as writes:
        writes.append_event_once(
            idempotency_key=f"task-{task_id}:completed",
            action="task_completed",
            actor=actor.audit_name,
            summary=summary,
            case_id=task.case_id,
            details={"task_id": task_id, "kind": task.kind},
        )
        try:
            writes.close_task(
                task_id=task_id, status=TaskStatus.DONE, by=actor.audit_name, at=utcnow()
            )
        except InvalidTransitionError as exc:
            raise service.ServiceError(409, str(exc)) from None
    return reread(session, task_id)


def reassign(
    session: Session,
    actor: Actor,
    task_id: int,
    *,
    assignee: str | None,
    queue: str | None = None,
    scope: CaseScope | None = None,
) -> TaskRecord:
    """Give the open task to `assignee` (None: its queue), audited as `task_reassigned`."""
    task = task_in_scope(session, task_id, actor.scope if scope is None else scope)
    may_change(actor, task)
    at = utcnow()
    with TransitionWrites(session.connection()) as writes:
        writes.append_event_once(
            idempotency_key=f"task-{task_id}:reassigned:{at.isoformat()}",
            action="task_reassigned",
            actor=actor.audit_name,
            summary=f"Task reassigned to {assignee or 'its queue'}: {task.title}",
            case_id=task.case_id,
            details={
                "task_id": task_id,
                "assignee": assignee,
                "queue": task.queue if queue is None else queue,
            },
        )
        try:
            writes.reassign_task(task_id=task_id, assignee=assignee, queue=queue, at=at)
        except InvalidTransitionError as exc:
            raise service.ServiceError(409, str(exc)) from None
    return reread(session, task_id)


def reread(session: Session, task_id: int) -> TaskRecord:
    """The task as just written (the writer bypasses the session, whose copy is stale)."""
    session.expire_all()
    return store_tasks.get_task(session=session, task_id=task_id)
