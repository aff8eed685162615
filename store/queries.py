"""Case listings for the API and the UR pages: filters, sorting and pagination.

Every filter maps to an indexed column (status, assignee, payer_id, regime, next_due_at,
case_number; service code through `case_service_lines`; the caller's scope through team or
payer_id), and the count runs on the same filtered set, so a page of 10,000+ cases costs two
indexed queries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from store._base import check_page
from store.cases import CLOSED_STATUSES, case_summary
from store.records import CaseFilter, CasePage, CaseSort
from store.scope import EVERY_CASE, CaseScope
from store.tables import CaseRow, ServiceLineRow
from store.types import require_aware


def list_cases(
    *,
    session: Session,
    filters: CaseFilter | None = None,
    limit: int = 50,
    offset: int = 0,
    scope: CaseScope = EVERY_CASE,
) -> CasePage:
    """One page of case summaries matching every given filter, and how many match in all.

    Only cases within `scope` (the caller's teams or payer) are counted and listed."""
    check_page(limit, offset)
    filters = filters or CaseFilter()
    conditions = [*scope.conditions(), *_conditions(filters)]
    total = session.exec(select(func.count()).select_from(CaseRow).where(*conditions)).one()
    if filters.sort == CaseSort.NEWEST:
        order: list[Any] = [col(CaseRow.received_at).desc()]
    else:
        order = [col(CaseRow.next_due_at).asc().nulls_last(), col(CaseRow.received_at)]
    rows = session.exec(
        select(CaseRow)
        .options(defer(CaseRow.request))  # type: ignore[arg-type]  # listings never read PHI
        .where(*conditions)
        .order_by(*order, col(CaseRow.case_id))
        .limit(limit)
        .offset(offset)
    ).all()
    return CasePage(
        items=[case_summary(row) for row in rows], total=total, limit=limit, offset=offset
    )


def _conditions(filters: CaseFilter) -> list[Any]:
    conditions: list[Any] = []
    if filters.status:
        conditions.append(col(CaseRow.status).in_([s.value for s in filters.status]))
    if filters.assignee is not None:
        conditions.append(CaseRow.assignee == filters.assignee)
    if filters.unassigned:
        conditions.append(col(CaseRow.assignee).is_(None))
    if filters.payer_id is not None:
        conditions.append(CaseRow.payer_id == filters.payer_id)
    if filters.regime is not None:
        conditions.append(CaseRow.regime == filters.regime.value)
    if filters.due_before is not None:
        conditions.append(col(CaseRow.next_due_at) < require_aware(filters.due_before))
    if filters.overdue_as_of is not None:
        conditions.append(col(CaseRow.next_due_at) < require_aware(filters.overdue_as_of))
        conditions.append(col(CaseRow.status).not_in([s.value for s in CLOSED_STATUSES]))
    if filters.search:
        conditions.append(col(CaseRow.case_number).icontains(filters.search, autoescape=True))
    if filters.service_code:
        lines = select(ServiceLineRow.case_id).where(
            ServiceLineRow.code == filters.service_code.strip().upper()
        )
        conditions.append(col(CaseRow.case_id).in_(lines))
    return conditions
