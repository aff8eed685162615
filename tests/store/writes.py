"""Test set-up through the store's one writer (`store.transitions`), as production writes.

`with writing(engine) as writes: writes.create_task(...)` is one committed transaction;
`appended(engine, ...)` appends an audit event and returns it as stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from store.database import connection_transaction, read_session
from store.records import AuditEvent
from store.tables import AuditEventRow, CaseRow, TaskRow
from store.transitions import TransitionWrites


@contextmanager
def writing(engine: Engine) -> Iterator[TransitionWrites]:
    """The writer in a transaction of its own, committed when the block ends."""
    with connection_transaction(engine) as connection, TransitionWrites(connection) as writes:
        yield writes


def appended(engine: Engine, *, idempotency_key: str, **event: Any) -> AuditEvent:
    """Append an event once per key (`append_event_once`) and return the event stored under
    `idempotency_key` (the first one, for a key seen before)."""
    with writing(engine) as writes:
        writes.append_event_once(idempotency_key=idempotency_key, **event)
    with read_session(engine) as session:
        row = session.exec(
            select(AuditEventRow).where(AuditEventRow.idempotency_key == idempotency_key)
        ).one()
        return AuditEvent.model_validate(row, from_attributes=True)


def task_id(engine: Engine, idempotency_key: str) -> int:
    """The id of the task created under `idempotency_key`."""
    with read_session(engine) as session:
        found = session.exec(
            select(TaskRow.id).where(TaskRow.idempotency_key == idempotency_key)
        ).one()
        assert found is not None
        return found


def set_case_columns(*, session: Session, case_id: str, **values: Any) -> None:
    """Put a case's listed columns (status, next due moment) straight into its row: listing
    tests need many cases in given states, not the steps that would lead there."""
    status = values.get("status")
    if status is not None:
        values["status"] = str(status)
    session.execute(update(CaseRow).where(col(CaseRow.case_id) == case_id).values(**values))
