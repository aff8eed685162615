"""The contact log: calls, portal checks, faxes and letters exchanged with the payer."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from domain.enums import ContactChannel, ContactDirection
from domain.models import ContactLogEntry
from store._base import insert_once, require_case
from store.tables import ContactRow
from store.types import utcnow


def add_contact(
    *,
    session: Session,
    idempotency_key: str,
    case_id: str,
    entry: ContactLogEntry,
    recorded_by: str | None = None,
) -> ContactLogEntry:
    """Log a contact once per key; a retry returns the entry stored first."""
    require_case(session, case_id)

    def find() -> ContactRow | None:
        return session.exec(
            select(ContactRow).where(ContactRow.idempotency_key == idempotency_key)
        ).first()

    def insert() -> ContactRow:
        row = ContactRow(**contact_fields(idempotency_key, case_id, entry, recorded_by))
        session.add(row)
        return row

    row, _ = insert_once(session, find=find, insert=insert)
    return _entry(row)


def contact_fields(
    idempotency_key: str, case_id: str, entry: ContactLogEntry, recorded_by: str | None
) -> dict[str, Any]:
    """The `contacts` columns of a new entry (all but the id); also `store.transitions`'."""
    return {
        "idempotency_key": idempotency_key,
        "case_id": case_id,
        "channel": entry.channel.value,
        "direction": entry.direction.value,
        "occurred_at": entry.occurred_at,
        "counterpart": entry.counterpart,
        "reference_number": entry.reference_number,
        "summary": entry.summary,
        "follow_up_due": entry.follow_up_due,
        "recorded_by": recorded_by,
        "created_at": utcnow(),
    }


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
