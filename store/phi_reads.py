"""The PHI read log: who read which case's PHI, when, and through which route.

Append-only (revision 0005 makes the database refuse UPDATE and DELETE), and kept out of the
hash-chained audit trail: a read changes nothing in the case, and chaining each read would make
every GET queue on the chain head. One INSERT statement records all the cases one response
carried (an executemany for a page), on a Core connection in its own short transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert
from sqlmodel import Session, SQLModel, col, select

from store._base import check_page
from store.database import connection_transaction
from store.records import PhiRead, PhiReadPage
from store.tables import PhiReadRow
from store.types import require_aware, utcnow

_PHI_READS = SQLModel.metadata.tables["phi_reads"]
ROUTE_LENGTH = 200
REQUEST_ID_LENGTH = 64


def record_reads(
    connection: Connection,
    *,
    actor: str,
    case_ids: Iterable[str],
    route: str,
    request_id: str | None = None,
    at: datetime | None = None,
) -> int:
    """Record that `actor` read the PHI of each of `case_ids` through `route`; returns how many
    rows were written (none for no case)."""
    moment = require_aware(at, "at") if at is not None else utcnow()
    rows = [
        {
            "read_at": moment,
            "actor": actor,
            "case_id": case_id,
            "route": route[:ROUTE_LENGTH],
            "request_id": request_id[:REQUEST_ID_LENGTH] if request_id else None,
        }
        for case_id in dict.fromkeys(case_ids)
    ]
    if rows:
        connection.execute(insert(_PHI_READS), rows)
    return len(rows)


def record_reads_now(
    engine: Engine,
    *,
    actor: str,
    case_ids: Iterable[str],
    route: str,
    request_id: str | None = None,
) -> int:
    """`record_reads` in a transaction of its own, committed before returning."""
    with connection_transaction(engine) as connection:
        return record_reads(
            connection, actor=actor, case_ids=case_ids, route=route, request_id=request_id
        )


def list_reads(
    *,
    session: Session,
    case_id: str | None = None,
    actor: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> PhiReadPage:
    """Recorded reads, newest first, of one case and/or by one actor (or all)."""
    check_page(limit, offset)
    conditions = []
    if case_id is not None:
        conditions.append(PhiReadRow.case_id == case_id)
    if actor is not None:
        conditions.append(PhiReadRow.actor == actor)
    total = session.exec(select(func.count()).select_from(PhiReadRow).where(*conditions)).one()
    rows = session.exec(
        select(PhiReadRow)
        .where(*conditions)
        .order_by(col(PhiReadRow.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return PhiReadPage(
        items=[_record(row) for row in rows], total=total, limit=limit, offset=offset
    )


def _record(row: PhiReadRow) -> PhiRead:
    assert row.id is not None
    return PhiRead(
        read_id=row.id,
        read_at=row.read_at,
        actor=row.actor,
        case_id=row.case_id,
        route=row.route,
        request_id=row.request_id,
    )
