"""Appeals of a case, one row per level (unique per case), upserted by `store.transitions` as
the appeal moves on; read here."""

from __future__ import annotations

from sqlmodel import Session, col, select

from domain.appeals import AppealLevel
from domain.case.read_model import Appeal
from domain.case.vocabulary import AppealStatus
from store.errors import NotFoundError
from store.tables import AppealRow


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
