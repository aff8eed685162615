"""Deadlines of a case, by key, with their history: the reads.

Each key has revisions, written by `store.transitions` (`TransitionWrites.put_deadlines`): the
same `due_at` updates the current revision in place (met, superseded, wording); a different
`due_at` (an extension, a resubmission) marks the current revision superseded and adds the next
one, so the case keeps every due moment it ever had and the rule that set it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from domain.models import CaseDeadline, Obligor
from store.tables import DeadlineRow


def list_deadlines(
    *, session: Session, case_id: str, include_superseded: bool = False
) -> list[CaseDeadline]:
    """A case's deadlines by due moment; superseded revisions only when asked for."""
    query = select(DeadlineRow).where(DeadlineRow.case_id == case_id)
    if not include_superseded:
        query = query.where(col(DeadlineRow.superseded).is_(False))
    query = query.order_by(col(DeadlineRow.due_at), col(DeadlineRow.key), col(DeadlineRow.revision))
    return [_deadline(row) for row in session.exec(query)]


def _deadline(row: DeadlineRow) -> CaseDeadline:
    return CaseDeadline(
        key=row.key,
        label=row.label,
        obligor=Obligor(row.obligor),
        due_at=row.due_at,
        rule=row.rule,
        rule_id=row.rule_id,
        convention=row.convention,
        explanation=row.explanation,
        starts_at=row.starts_at,
        met_at=row.met_at,
        superseded=row.superseded,
    )
