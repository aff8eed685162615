"""Tasks and escalations for people (reminders, the UR queue, calls to make, supervisors): reads.

`store.transitions` writes them: created once per key, so a retried activity never creates two
tasks; a task leaves the open state once, done or cancelled, with who and when in
`completed_by/_at`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from store._base import check_page, require_case
from store.errors import NotFoundError
from store.records import TaskPage, TaskRecord, TaskStatus
from store.scope import EVERY_CASE, CaseScope
from store.tables import CaseRow, TaskRow
from store.types import require_aware


def get_task(*, session: Session, task_id: int) -> TaskRecord:
    row = _require(session, task_id)
    return _record(row, require_case(session, row.case_id).case_number)


def list_tasks(
    *, session: Session, case_id: str, status: TaskStatus | None = None
) -> list[TaskRecord]:
    """A case's tasks, oldest first."""
    query = _with_case_number().where(TaskRow.case_id == case_id)
    if status is not None:
        query = query.where(TaskRow.status == status.value)
    rows = session.exec(query.order_by(col(TaskRow.created_at), col(TaskRow.id))).all()
    return [_record(row, number) for row, number in rows]


def ur_queue(
    *,
    session: Session,
    queue: str | None = None,
    assignee: str | None = None,
    due_before: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
    scope: CaseScope = EVERY_CASE,
    queues: Collection[str] | None = None,
) -> TaskPage:
    """Open tasks, most urgent first (by due moment; tasks without one last), of the cases
    within `scope` only; `queues` keeps the tasks of any of those queues (paged in the
    database, like `queue`)."""
    check_page(limit, offset)
    count: SelectOfScalar[int] = select(func.count()).select_from(TaskRow)
    if not scope.unrestricted:
        count = count.join(CaseRow, col(TaskRow.case_id) == col(CaseRow.case_id))
    query = _with_case_number()
    conditions: list[Any] = [TaskRow.status == TaskStatus.OPEN.value, *scope.conditions()]
    if queue is not None:
        conditions.append(TaskRow.queue == queue)
    if queues is not None:
        conditions.append(col(TaskRow.queue).in_(sorted(queues)))
    if assignee is not None:
        conditions.append(TaskRow.assignee == assignee)
    if due_before is not None:
        conditions.append(col(TaskRow.due_at) < require_aware(due_before, "due_before"))
    total = session.exec(count.where(*conditions)).one()
    rows = session.exec(
        query.where(*conditions)
        .order_by(col(TaskRow.due_at).asc().nulls_last(), col(TaskRow.id))
        .limit(limit)
        .offset(offset)
    ).all()
    items = [_record(row, number) for row, number in rows]
    return TaskPage(items=items, total=total, limit=limit, offset=offset)


def _with_case_number() -> Select[TaskRow, str]:
    return select(TaskRow, CaseRow.case_number).join(
        CaseRow, col(TaskRow.case_id) == col(CaseRow.case_id)
    )


def _require(session: Session, task_id: int) -> TaskRow:
    row = session.get(TaskRow, task_id)
    if row is None:
        raise NotFoundError("task", task_id)
    return row


def _record(row: TaskRow, case_number: str) -> TaskRecord:
    assert row.id is not None
    return TaskRecord(
        task_id=row.id,
        idempotency_key=row.idempotency_key,
        case_id=row.case_id,
        case_number=case_number,
        kind=row.kind,
        title=row.title,
        assignee=row.assignee,
        queue=row.queue,
        due_at=row.due_at,
        status=TaskStatus(row.status),
        deadline_key=row.deadline_key,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        completed_by=row.completed_by,
    )
