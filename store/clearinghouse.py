"""The clearinghouse trace ledger and its review queue (tables of revision 0009).

- `reserve_trace` inserts a submission's row (`INSERT ... ON CONFLICT DO NOTHING` on the
  submission key, so two deliveries of one submission race on the unique key and both get the
  same row) or returns the existing one: one submission, one trace number, whatever restarts.
- `mark_attempt`, `record_trace` move it along (sending, pended, decided, rejected) and keep
  the last decision, so a retried submit hands over the answer without resending.
- `find_trace`, `find_control_number`: how an answer finds its submission (TRN02, or a 999's
  AK102 / a TA1's TA101).
- `queue_for_review`, `list_unmatched`, `resolve_unmatched`: messages no case could be matched
  to, for a person.

`StoreTraceLedger` binds them to an engine (one transaction per call) as the
`domain.clearinghouse_ledger.TraceLedger` the gateway and the inbound mailbox use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from domain.clearinghouse_ledger import (
    TraceEntry,
    TraceState,
    UnmatchedMessage,
    trace_number_for,
)
from store.database import read_session, transaction
from store.errors import NotFoundError
from store.tables import CaseRow, ClearinghouseTraceRow, ClearinghouseUnmatchedRow


def _entry(row: ClearinghouseTraceRow) -> TraceEntry:
    assert row.id is not None
    return TraceEntry(
        control_number=row.id,
        trace_number=row.trace_number,
        submission_key=row.submission_key,
        case_id=row.case_id,
        kind=row.kind,
        payer_id=row.payer_id,
        state=TraceState(row.state),
        acknowledgment=row.acknowledgment,
        attempts=row.attempts,
        created_at=row.created_at,
        sent_at=row.sent_at,
        updated_at=row.updated_at,
        decision=row.decision,
        error=row.error,
    )


def _unmatched(row: ClearinghouseUnmatchedRow) -> UnmatchedMessage:
    assert row.id is not None
    return UnmatchedMessage(
        id=row.id,
        received_at=row.received_at,
        source=row.source,
        kind=row.kind,
        trace_numbers=list(row.trace_numbers or []),
        case_id=row.case_id,
        reason=row.reason,
        payload=row.payload,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
    )


def _row(session: Session, trace_number: str) -> ClearinghouseTraceRow:
    row = session.exec(
        select(ClearinghouseTraceRow).where(ClearinghouseTraceRow.trace_number == trace_number)
    ).first()
    if row is None:
        raise NotFoundError("trace", trace_number)
    return row


def reserve_trace(
    *, session: Session, submission_key: str, case_id: str, kind: str, payer_id: str, now: datetime
) -> TraceEntry:
    """The submission's ledger row, made in state `sending` if it has none."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ClearinghouseTraceRow)
        .values(
            trace_number=trace_number_for(submission_key),
            submission_key=submission_key,
            case_id=case_id,
            kind=kind,
            payer_id=payer_id,
            state=TraceState.SENDING.value,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[col(ClearinghouseTraceRow.submission_key)])
    )
    row = session.exec(
        select(ClearinghouseTraceRow).where(ClearinghouseTraceRow.submission_key == submission_key)
    ).one()
    return _entry(row)


def mark_attempt(*, session: Session, trace_number: str, now: datetime) -> TraceEntry:
    row = _row(session, trace_number)
    row.attempts += 1
    row.sent_at = row.sent_at or now
    row.updated_at = now
    session.add(row)
    session.flush()
    return _entry(row)


def record_trace(
    *,
    session: Session,
    trace_number: str,
    state: TraceState,
    now: datetime,
    decision: dict[str, Any] | None = None,
    acknowledgment: str | None = None,
    error: str | None = None,
) -> TraceEntry:
    row = _row(session, trace_number)
    row.state = state.value
    row.updated_at = now
    if decision is not None:
        row.decision = decision
    if acknowledgment is not None:
        row.acknowledgment = acknowledgment
    if error is not None:
        row.error = error
    session.add(row)
    session.flush()
    return _entry(row)


def find_trace(*, session: Session, trace_number: str) -> TraceEntry | None:
    row = session.exec(
        select(ClearinghouseTraceRow).where(ClearinghouseTraceRow.trace_number == trace_number)
    ).first()
    return None if row is None else _entry(row)


def find_control_number(*, session: Session, control_number: int) -> TraceEntry | None:
    row = session.get(ClearinghouseTraceRow, control_number)
    return None if row is None else _entry(row)


def traces_of_case(*, session: Session, case_id: str) -> list[TraceEntry]:
    rows = session.exec(
        select(ClearinghouseTraceRow)
        .where(ClearinghouseTraceRow.case_id == case_id)
        .order_by(col(ClearinghouseTraceRow.id))
    ).all()
    return [_entry(row) for row in rows]


def case_exists(*, session: Session, case_id: str) -> bool:
    return session.get(CaseRow, case_id) is not None


def queue_for_review(
    *,
    session: Session,
    source: str,
    kind: str,
    trace_numbers: list[str],
    case_id: str | None,
    reason: str,
    payload: str,
    now: datetime,
) -> UnmatchedMessage:
    row = ClearinghouseUnmatchedRow(
        received_at=now,
        source=source,
        kind=kind,
        trace_numbers=trace_numbers,
        case_id=case_id,
        reason=reason,
        payload=payload,
    )
    session.add(row)
    session.flush()
    return _unmatched(row)


def list_unmatched(
    *, session: Session, include_resolved: bool = False, limit: int = 100
) -> list[UnmatchedMessage]:
    """The review queue, oldest first (open messages only unless `include_resolved`)."""
    query = select(ClearinghouseUnmatchedRow)
    if not include_resolved:
        query = query.where(col(ClearinghouseUnmatchedRow.resolved_at).is_(None))
    rows = session.exec(
        query.order_by(
            col(ClearinghouseUnmatchedRow.received_at), col(ClearinghouseUnmatchedRow.id)
        ).limit(limit)
    ).all()
    return [_unmatched(row) for row in rows]


def resolve_unmatched(
    *, session: Session, message_id: int, actor: str, now: datetime
) -> UnmatchedMessage:
    """Mark a queued message handled by `actor` (the first resolution is kept)."""
    session.execute(
        update(ClearinghouseUnmatchedRow)
        .where(
            col(ClearinghouseUnmatchedRow.id) == message_id,
            col(ClearinghouseUnmatchedRow.resolved_at).is_(None),
        )
        .values(resolved_at=now, resolved_by=actor)
    )
    row = session.get(ClearinghouseUnmatchedRow, message_id)
    if row is None:
        raise NotFoundError("unmatched message", message_id)
    session.refresh(row)
    return _unmatched(row)


class StoreTraceLedger:
    """`TraceLedger` on the case store: each call is one transaction (blocking)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def reserve(
        self, *, submission_key: str, case_id: str, kind: str, payer_id: str, now: datetime
    ) -> TraceEntry:
        with transaction(self.engine) as session:
            return reserve_trace(
                session=session,
                submission_key=submission_key,
                case_id=case_id,
                kind=kind,
                payer_id=payer_id,
                now=now,
            )

    def mark_attempt(self, trace_number: str, now: datetime) -> TraceEntry:
        with transaction(self.engine) as session:
            return mark_attempt(session=session, trace_number=trace_number, now=now)

    def record(
        self,
        trace_number: str,
        *,
        state: TraceState,
        now: datetime,
        decision: dict[str, Any] | None = None,
        acknowledgment: str | None = None,
        error: str | None = None,
    ) -> TraceEntry:
        with transaction(self.engine) as session:
            return record_trace(
                session=session,
                trace_number=trace_number,
                state=state,
                now=now,
                decision=decision,
                acknowledgment=acknowledgment,
                error=error,
            )

    def find_trace(self, trace_number: str) -> TraceEntry | None:
        with read_session(self.engine) as session:
            return find_trace(session=session, trace_number=trace_number)

    def find_control_number(self, control_number: int) -> TraceEntry | None:
        with read_session(self.engine) as session:
            return find_control_number(session=session, control_number=control_number)

    def case_exists(self, case_id: str) -> bool:
        with read_session(self.engine) as session:
            return case_exists(session=session, case_id=case_id)

    def queue_for_review(
        self,
        *,
        source: str,
        kind: str,
        trace_numbers: list[str],
        case_id: str | None,
        reason: str,
        payload: str,
        now: datetime,
    ) -> UnmatchedMessage:
        with transaction(self.engine) as session:
            return queue_for_review(
                session=session,
                source=source,
                kind=kind,
                trace_numbers=trace_numbers,
                case_id=case_id,
                reason=reason,
                payload=payload,
                now=now,
            )
