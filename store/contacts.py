"""The contact log: calls, portal checks, faxes and letters exchanged with the payer (written
by `store.transitions`, once per key; read here)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from domain.enums import ContactChannel, ContactDirection
from domain.models import ContactLogEntry
from store.tables import ContactRow


def list_contacts(*, session: Session, case_id: str) -> list[ContactLogEntry]:
    rows = session.exec(
        select(ContactRow)
        .where(ContactRow.case_id == case_id)
        .order_by(col(ContactRow.occurred_at), col(ContactRow.id))
    ).all()
    return [_entry(row) for row in rows]


def _entry(row: ContactRow) -> ContactLogEntry:
    return ContactLogEntry(
        channel=ContactChannel(row.channel),
        direction=ContactDirection(row.direction),
        occurred_at=row.occurred_at,
        counterpart=row.counterpart,
        reference_number=row.reference_number,
        summary=row.summary,
        follow_up_due=row.follow_up_due,
    )
