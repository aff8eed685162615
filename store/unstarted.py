"""Cases not yet known to have a workflow: what the reconciler reads and marks.

`cases.workflow_started_at` is NULL until the case's workflow is known to exist (its first
recorded step sets it, `store.transitions`; so does the reconciler after a start). The partial
index `ix_cases_workflow_unstarted` holds only those rows, so a pass over 100,000 cases reads
the few unstarted ones, never the table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, or_, select, update
from sqlmodel import SQLModel

from domain.case.vocabulary import CaseStatus
from store.types import require_aware

_CASES = SQLModel.metadata.tables["cases"]


class UnstartedCase(NamedTuple):
    case_id: str
    status: CaseStatus
    created_at: datetime
    received_at: datetime
    assignee: str | None
    request: dict[str, Any]


def unstarted_cases(
    connection: Connection,
    *,
    created_before: datetime,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> list[UnstartedCase]:
    """Up to `limit` unmarked cases created before `created_before`, oldest first; `after`
    (created_at, case_id) of the last row of the previous page continues from there."""
    c = _CASES.c
    statement = (
        select(c.case_id, c.status, c.created_at, c.received_at, c.assignee, c.request)
        .where(c.workflow_started_at.is_(None), c.created_at < require_aware(created_before))
        .order_by(c.created_at, c.case_id)
        .limit(limit)
    )
    if after is not None:
        at, case_id = after
        statement = statement.where(
            or_(c.created_at > at, and_(c.created_at == at, c.case_id > case_id))
        )
    return [
        UnstartedCase(row[0], CaseStatus(row[1]), row[2], row[3], row[4], row[5])
        for row in connection.execute(statement)
    ]


def mark_started(connection: Connection, case_ids: list[str], at: datetime) -> int:
    """Mark the cases' workflows as known to exist (a mark already set is kept); how many."""
    if not case_ids:
        return 0
    c = _CASES.c
    result = connection.execute(
        update(_CASES)
        .where(c.case_id.in_(case_ids), c.workflow_started_at.is_(None))
        .values(workflow_started_at=require_aware(at))
    )
    return result.rowcount
