"""Tasks and escalations for people (reminders, the UR queue, calls to make, supervisors): reads.

`store.transitions` writes them: created once per key, so a retried activity never creates two
tasks; a task leaves the open state once, done or cancelled, with who and when in
`completed_by/_at`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import literal_column, or_, text
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from store import cursor as cursors
from store._base import check_page, require_case
from store.errors import NotFoundError
from store.keyset import COUNT_CAP, Order, count_up_to, page_after
from store.records import TaskPage, TaskRecord, TaskStatus
from store.scope import EVERY_CASE, CaseScope
from store.tables import OPEN_TASK, CaseRow, TaskRow
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
    cursor: str | None = None,
    count_cap: int | None = COUNT_CAP,
    open_to: str | None = None,
) -> TaskPage:
    """Open tasks, most urgent first (by due moment; tasks without one last), of the cases
    within `scope` only; `queues` keeps the tasks of any of those queues (paged in the
    database, like `queue`). Pages by `cursor` (the previous page's `next_cursor`) or a small
    `offset`, not both; the count stops at `count_cap` (None: counts all). `open_to` keeps
    the tasks assigned to that person or to nobody. Reads the partial
    indexes over open tasks (`ix_tasks_open_*`) in their order."""
    check_page(limit, offset)
    if cursor is not None and offset:
        raise cursors.BadCursorError("cursor: give either a cursor or an offset, not both")
    listing = cursors.fingerprint(
        "tasks",
        {
            "queue": queue,
            "queues": sorted(queues) if queues is not None else None,
            "assignee": assignee,
            "due_before": due_before,
            **({"open_to": open_to} if open_to is not None else {}),
        },
    )
    after = None if cursor is None else cursors.decode(cursor, listing, (datetime, int))
    task_conditions: list[Any] = [_OPEN_TASK]
    if queue is not None:
        task_conditions.append(TaskRow.queue == queue)
    if queues is not None:
        task_conditions.append(col(TaskRow.queue).in_(sorted(queues)))
    if assignee is not None:
        task_conditions.append(TaskRow.assignee == assignee)
    if open_to is not None:
        task_conditions.append(
            or_(col(TaskRow.assignee) == open_to, col(TaskRow.assignee).is_(None))
        )
    if due_before is not None:
        task_conditions.append(col(TaskRow.due_at) < require_aware(due_before, "due_before"))
    scope_conditions = scope.conditions()
    conditions = [*task_conditions, *scope_conditions]
    counted: Any = select(literal_column("1")).select_from(TaskRow).where(*task_conditions)
    if not scope.unrestricted:
        # The scope as a correlated lookup of each task's case (by primary key), which the
        # planners run per task while walking the open tasks in order, stopping at the cap; as
        # a join, PostgreSQL hashes every case of the caller's teams first.
        owner = (
            select(CaseRow.case_id)
            .where(col(CaseRow.case_id) == col(TaskRow.case_id), *scope_conditions)
            .scalar_subquery()
        )
        counted = counted.where(owner.is_not(None))
    total, capped = count_up_to(session, counted, count_cap, _DUE)
    query = _with_case_number().where(*conditions)
    if offset:
        statement = query.order_by(*_DUE.clauses()).offset(offset).limit(limit + 1)
        rows = list(session.exec(statement).all())
    else:
        rows = page_after(session, query, _DUE, after, limit + 1)
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        following = cursors.encode(listing, [last.due_at, last.id])
    items = [_record(row, number) for row, number in rows]
    return TaskPage(
        items=items,
        total=total,
        total_capped=capped,
        limit=limit,
        offset=offset,
        next_cursor=following,
    )


# The partial indexes' predicate (store.tables.OPEN_TASK), qualified: cases has a status too.
_OPEN_TASK = text(f"tasks.{OPEN_TASK}")
_DUE = Order((col(TaskRow.due_at), col(TaskRow.id)), first_nulls_last=True)


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
