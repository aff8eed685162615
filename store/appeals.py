"""Appeals of a case, one row per level (unique per case): upserted as the appeal moves on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from domain.appeals import AppealLevel
from domain.case.vocabulary import AppealStatus
from domain.models import Appeal
from store._base import insert_once, require_case
from store.errors import NotFoundError
from store.tables import AppealRow
from store.types import utcnow


def upsert_appeal(*, session: Session, case_id: str, appeal: Appeal) -> Appeal:
    """Insert the appeal of `appeal.level`, or replace its state with `appeal`'s."""
    require_case(session, case_id)
    now = utcnow()
    fields = appeal_state_fields(appeal, now)

    def insert() -> AppealRow:
        row = AppealRow(case_id=case_id, level=appeal.level.value, created_at=now, **fields)
        session.add(row)
        return row

    row, created = insert_once(
        session, find=lambda: _find(session, case_id, appeal.level), insert=insert
    )
    if not created:
        for name, value in fields.items():
            setattr(row, name, value)
        session.add(row)
        session.flush()
    return _appeal(row)


def appeal_state_fields(appeal: Appeal, now: datetime) -> dict[str, Any]:
    """The `appeals` columns an upsert replaces (all but id, case, level and `created_at`);
    also `store.transitions`'."""
    return {
        "number": appeal.number,
        "expedited": appeal.expedited,
        "status": appeal.status.value,
        "sequences": list(appeal.sequences),
        "filed_at": appeal.filed_at,
        "decided_at": appeal.decided_at,
        "arguments": list(appeal.arguments),
        "requested_peer_to_peer": appeal.requested_peer_to_peer,
        "outcome_note": appeal.outcome_note,
        "updated_at": now,
    }


def get_appeal(*, session: Session, case_id: str, level: AppealLevel) -> Appeal:
    row = _find(session, case_id, level)
    if row is None:
        raise NotFoundError("appeal", f"{case_id}/{level.value}")
    return _appeal(row)


def list_appeals(*, session: Session, case_id: str) -> list[Appeal]:
    """A case's appeals in ladder order."""
    rows = session.exec(
        select(AppealRow).where(AppealRow.case_id == case_id).order_by(col(AppealRow.number))
    ).all()
    return [_appeal(row) for row in rows]


def _find(session: Session, case_id: str, level: AppealLevel) -> AppealRow | None:
    return session.exec(
        select(AppealRow).where(AppealRow.case_id == case_id, AppealRow.level == level.value)
    ).first()


def _appeal(row: AppealRow) -> Appeal:
    return Appeal(
        level=AppealLevel(row.level),
        number=row.number,
        expedited=row.expedited,
        status=AppealStatus(row.status),
        sequences=list(row.sequences),
        filed_at=row.filed_at,
        decided_at=row.decided_at,
        arguments=list(row.arguments),
        requested_peer_to_peer=row.requested_peer_to_peer,
        outcome_note=row.outcome_note,
    )
