"""Deadlines of a case, by key, with their history.

Each key has revisions: an upsert with the same `due_at` updates the current revision in place
(met, superseded, wording); a different `due_at` (an extension, a resubmission) marks the
current revision superseded and adds the next one, so the case keeps every due moment it ever
had and the rule that set it. The case's `next_due_at` is kept here: the earliest due moment
that is neither met nor superseded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.models import CaseDeadline, Obligor
from store._base import require_case
from store.errors import NotFoundError
from store.tables import DeadlineRow
from store.types import require_aware, utcnow


def upsert_deadline(*, session: Session, case_id: str, deadline: CaseDeadline) -> CaseDeadline:
    """Record `deadline` under its key (see the module docstring); returns the current revision."""
    require_case(session, case_id)
    current = _current(session, case_id, deadline.key)
    now = utcnow()
    fields = revision_fields(deadline, now)
    if current is not None and current.due_at == fields["due_at"]:
        row = current
        for name, value in fields.items():
            setattr(row, name, value)
    else:
        if current is not None:
            current.superseded = True
            current.updated_at = now
            session.add(current)
        revision = 1 if current is None else current.revision + 1
        row = DeadlineRow(
            case_id=case_id, key=deadline.key, revision=revision, created_at=now, **fields
        )
    session.add(row)
    session.flush()
    refresh_next_due(session=session, case_id=case_id)
    return _deadline(row)


def mark_deadline_met(
    *, session: Session, case_id: str, key: str, met_at: datetime
) -> CaseDeadline:
    """Record that the current revision of `key` was met (the first `met_at` stays)."""
    row = _current(session, case_id, key)
    if row is None:
        raise NotFoundError("deadline", f"{case_id}/{key}")
    if row.met_at is None:
        row.met_at = require_aware(met_at, "met_at")
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        refresh_next_due(session=session, case_id=case_id)
    return _deadline(row)


def list_deadlines(
    *, session: Session, case_id: str, include_superseded: bool = False
) -> list[CaseDeadline]:
    """A case's deadlines by due moment; superseded revisions only when asked for."""
    query = select(DeadlineRow).where(DeadlineRow.case_id == case_id)
    if not include_superseded:
        query = query.where(col(DeadlineRow.superseded).is_(False))
    query = query.order_by(col(DeadlineRow.due_at), col(DeadlineRow.key), col(DeadlineRow.revision))
    return [_deadline(row) for row in session.exec(query)]


def refresh_next_due(*, session: Session, case_id: str) -> datetime | None:
    """Set the case's `next_due_at` to its earliest open deadline and return it."""
    next_due = session.exec(
        select(func.min(DeadlineRow.due_at)).where(
            DeadlineRow.case_id == case_id,
            col(DeadlineRow.met_at).is_(None),
            col(DeadlineRow.superseded).is_(False),
        )
    ).one()
    case = require_case(session, case_id)
    if case.next_due_at != next_due:
        case.next_due_at = next_due
        case.updated_at = utcnow()
        session.add(case)
        session.flush()
    return next_due


def _current(session: Session, case_id: str, key: str) -> DeadlineRow | None:
    return session.exec(
        select(DeadlineRow)
        .where(DeadlineRow.case_id == case_id, DeadlineRow.key == key)
        .order_by(col(DeadlineRow.revision).desc())
        .limit(1)
    ).first()


def revision_fields(deadline: CaseDeadline, now: datetime) -> dict[str, Any]:
    """The columns of a revision that `deadline` sets (all but id, case, key, revision and
    `created_at`); also `store.transitions`'."""
    return {
        "label": deadline.label,
        "obligor": deadline.obligor.value,
        "due_at": require_aware(deadline.due_at),
        "starts_at": deadline.starts_at,
        "rule": deadline.rule,
        "rule_id": deadline.rule_id,
        "convention": deadline.convention,
        "explanation": deadline.explanation,
        "met_at": deadline.met_at,
        "superseded": deadline.superseded,
        "updated_at": now,
    }


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
