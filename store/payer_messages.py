"""Replay protection for signed payer messages: each (payer, message id) is applied once.

`claim_message` inserts the message's row (`INSERT ... ON CONFLICT DO NOTHING`, so concurrent
deliveries of one message race on the unique key and exactly one wins) and prunes rows sent
before the tolerance window: a replay of those is refused for its stale timestamp already.
The winner applies the message and calls `complete_message`; if applying fails it calls
`release_message`, so the payer's retry (same message id) is applied rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.tables import PayerMessageRow
from store.types import utcnow


@dataclass(frozen=True)
class SeenMessage:
    """A message id already claimed: done (with its case) or still being applied."""

    completed: bool
    case_id: str | None


def claim_message(
    *,
    session: Session,
    payer_id: str,
    message_id: str,
    sent_at: datetime,
    tolerance_seconds: int,
) -> SeenMessage | None:
    """Claim (payer_id, message_id); None if this call claimed it, else what was seen before."""
    now = utcnow()
    session.execute(
        delete(PayerMessageRow).where(
            col(PayerMessageRow.sent_at) < now - timedelta(seconds=tolerance_seconds)
        )
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(PayerMessageRow)
        .values(payer_id=payer_id, message_id=message_id, sent_at=sent_at, received_at=now)
        .on_conflict_do_nothing(
            index_elements=[col(PayerMessageRow.payer_id), col(PayerMessageRow.message_id)]
        )
        .returning(col(PayerMessageRow.id))
    )
    if session.execute(statement).first() is not None:
        return None
    row = session.exec(
        select(PayerMessageRow).where(
            PayerMessageRow.payer_id == payer_id, PayerMessageRow.message_id == message_id
        )
    ).one()
    return SeenMessage(completed=row.completed_at is not None, case_id=row.case_id)


def complete_message(
    *, session: Session, payer_id: str, message_id: str, case_id: str | None
) -> None:
    session.execute(
        update(PayerMessageRow)
        .where(
            col(PayerMessageRow.payer_id) == payer_id,
            col(PayerMessageRow.message_id) == message_id,
        )
        .values(completed_at=utcnow(), case_id=case_id)
    )


def release_message(*, session: Session, payer_id: str, message_id: str) -> None:
    session.execute(
        delete(PayerMessageRow).where(
            col(PayerMessageRow.payer_id) == payer_id,
            col(PayerMessageRow.message_id) == message_id,
        )
    )
