"""The lean writes of a workflow transition (`store.transitions`): the same rules and the
same stored values as the ORM functions, so rows written either way read back identically."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Table, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from domain.case.vocabulary import AppealStatus, CaseStatus
from domain.models import CaseDeadline, Obligor
from store import appeals, audit, contacts, decisions, tasks
from store.cases import create_case, get_case, get_case_summary
from store.database import connection_transaction, read_session, transaction
from store.deadlines import list_deadlines
from store.errors import IdempotencyConflictError, NotFoundError
from store.records import CaseSummary, TaskStatus
from store.tables import DeadlineRow
from store.transitions import OpenTask, TransitionWrites
from tests.store import samples

pytestmark = pytest.mark.postgres
DUE = datetime(2026, 3, 9, 23, 59, tzinfo=samples.CHICAGO)
AT = datetime(2026, 3, 4, 16, 30, 5, 250000, tzinfo=samples.CHICAGO)
TABLES = SQLModel.metadata.tables
# Set from the clock at write time, so they differ between two writes of the same thing.
CLOCK_COLUMNS = {"id", "decision_pk", "recorded_at", "created_at", "updated_at"}


def _create(engine: Engine, case_id: str) -> str:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id=case_id,
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
    return case_id


def _stored(engine: Engine, table: str, **where: str) -> list[dict[str, Any]]:
    """The rows as the driver returns them (stored form: SQLite's DATETIME text, JSON text)."""
    columns: Table = TABLES[table]
    conditions = " AND ".join(f"{name} = '{value}'" for name, value in where.items())
    order = "id" if "id" in columns.c else "sequence"
    with engine.connect() as connection:
        result = connection.exec_driver_sql(
            f"SELECT * FROM {table} WHERE {conditions} ORDER BY {order}"
        )
        return [dict(row._mapping) for row in result]


def _same_stored(orm: list[dict[str, Any]], lean: list[dict[str, Any]], *differ: str) -> None:
    """Equal stored values but for the clock's and the keys `differ`; the clock's of one type."""
    assert len(orm) == len(lean) > 0
    for orm_row, lean_row in zip(orm, lean, strict=True):
        skip = CLOCK_COLUMNS | set(differ)
        assert {k: v for k, v in orm_row.items() if k not in skip} == {
            k: v for k, v in lean_row.items() if k not in skip
        }
        for name in CLOCK_COLUMNS & orm_row.keys():
            assert type(orm_row[name]) is type(lean_row[name]), name
            if isinstance(orm_row[name], str):  # SQLite: the same DATETIME format
                assert len(orm_row[name]) == len(lean_row[name]), name


def _lean(engine: Engine, write: Callable[[TransitionWrites], Any]) -> Any:
    """`write` as the worker runs it: on a Core connection (other tests run it in a session)."""
    with connection_transaction(engine) as connection, TransitionWrites(connection) as writes:
        return write(writes)


def _orm(engine: Engine, write: Callable[[Session], Any]) -> Any:
    with transaction(engine) as session:
        return write(session)


def test_set_case_state_keeps_the_closed_at_rule(engine: Engine) -> None:
    t1, t2, t3, t4 = (
        datetime(2026, 3, 2, hour, tzinfo=samples.CHICAGO) for hour in (9, 10, 11, 12)
    )
    _create(engine, "case-010")

    def step(status: CaseStatus | None, assignee: str | None, at: datetime) -> CaseSummary:
        with connection_transaction(engine) as connection, TransitionWrites(connection) as writes:
            writes.set_case_state(case_id="case-010", status=status, assignee=assignee, at=at)
        with transaction(engine) as session:
            return get_case_summary(session=session, case_id="case-010")

    closed = step(CaseStatus.CLOSED, "nurse.kim", t1)
    assert (closed.status, closed.assignee, closed.updated_at) == (
        CaseStatus.CLOSED,
        "nurse.kim",
        t1,
    )
    assert closed.closed_at == t1 and closed.closed_at.tzinfo is UTC
    again = step(CaseStatus.CLOSED, None, t2)  # same status: closed_at stays
    assert (again.assignee, again.updated_at, again.closed_at) == (None, t2, t1)
    no_status = step(None, "dr.b", t3)
    assert (no_status.status, no_status.assignee, no_status.closed_at) == (
        CaseStatus.CLOSED,
        "dr.b",
        t1,
    )
    reopened = step(CaseStatus.SUBMITTED, "dr.b", t4)
    assert (reopened.status, reopened.updated_at, reopened.closed_at) == (
        CaseStatus.SUBMITTED,
        t4,
        None,
    )
    with pytest.raises(NotFoundError), connection_transaction(engine) as connection:
        TransitionWrites(connection).set_case_state(
            case_id="nope-000", status=None, assignee=None, at=t4
        )


def test_put_deadlines_follows_the_upsert_rules(engine: Engine) -> None:
    case_id = _create(engine, "case-011")
    extended = DUE + samples.hours(14 * 24)
    appeal_due = DUE + samples.hours(60 * 24)
    appeal = samples.deadline(
        "appeal_filing", due=appeal_due, obligor=Obligor.PROVIDER, label="File appeal"
    )

    def put(*deadlines: CaseDeadline) -> tuple[list[CaseDeadline], datetime | None]:
        with connection_transaction(engine) as connection, TransitionWrites(connection) as writes:
            writes.put_deadlines(case_id=case_id, deadlines=list(deadlines))
        with transaction(engine) as session:
            history = list_deadlines(session=session, case_id=case_id, include_superseded=True)
            return history, get_case_summary(session=session, case_id=case_id).next_due_at

    history, next_due = put(samples.deadline(due=DUE), appeal)
    assert history == [samples.deadline(due=DUE), appeal]
    assert next_due == DUE and next_due.tzinfo is UTC
    # Same due moment: updated in place; another: the current revision is superseded.
    history, next_due = put(
        samples.deadline(due=DUE, explanation="reworded"),
        appeal.model_copy(update={"due_at": extended}),
    )
    assert history == [
        samples.deadline(due=DUE, explanation="reworded"),
        appeal.model_copy(update={"due_at": extended}),
        appeal.model_copy(update={"superseded": True}),
    ]
    assert next_due == DUE
    met = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)
    history, next_due = put(samples.deadline(due=DUE, met_at=met))
    assert history[0].met_at == met and next_due == extended
    _, next_due = put(appeal.model_copy(update={"due_at": extended, "superseded": True}))
    assert next_due is None
    with transaction(engine) as session:
        assert session.exec(select(func.count()).select_from(DeadlineRow)).one() == 3
        revisions = session.exec(
            select(DeadlineRow.revision).where(DeadlineRow.key == "appeal_filing")
        ).all()
    assert sorted(revisions) == [1, 2]


def test_events_are_appended_once_and_chain_with_the_orm_ones(engine: Engine) -> None:
    def event(key: str, action: str = "payer_decision", case_id: str = "case-020") -> Any:
        return {
            "idempotency_key": key,
            "action": action,
            "actor": "payer",
            "summary": "Payer decision dec-002: item 1 approved",
            "case_id": case_id,
            "rule_cited": "42 CFR 422.568",
            "details": {"decision_id": "dec-002", "status": "approved"},
            "occurred_at": AT,
        }

    orm = _orm(engine, lambda session: audit.append_event(session=session, **event("k:1")))
    assert _lean(engine, lambda writes: writes.append_event_once(**event("k:2"))) is True
    assert _lean(engine, lambda writes: writes.append_event_once(**event("k:2"))) is False
    with pytest.raises(IdempotencyConflictError):
        _lean(engine, lambda writes: writes.append_event_once(**event("k:2", action="other")))
    with pytest.raises(IdempotencyConflictError):
        _lean(engine, lambda writes: writes.append_event_once(**event("k:1", case_id="other")))
    # A key the ORM function appended is known to the lean one, and the other way round.
    assert _lean(engine, lambda writes: writes.append_event_once(**event("k:1"))) is False
    again = _orm(engine, lambda session: audit.append_event(session=session, **event("k:2")))
    with read_session(engine) as session:
        assert audit.verify_chain(session=session).ok
        stored = audit.timeline(session=session, case_id="case-020")
    assert [e.sequence for e in stored] == [1, 2]
    assert stored[1] == again
    assert stored[1].model_dump(
        exclude={"sequence", "event_id", "idempotency_key", "prev_hash", "hash"}
    ) == orm.model_dump(exclude={"sequence", "event_id", "idempotency_key", "prev_hash", "hash"})
    rows = _stored(engine, "audit_events", case_id="case-020")
    _same_stored(rows[:1], rows[1:], "sequence", "event_id", "idempotency_key", "prev_hash", "hash")


def test_decisions_are_stored_as_the_orm_stores_them(engine: Engine) -> None:
    orm_case, lean_case = _create(engine, "case-021"), _create(engine, "case-022")
    decision = samples.denial()
    _orm(
        engine,
        lambda session: decisions.record_decision(
            session=session, case_id=orm_case, decision=decision
        ),
    )
    for new in (True, False):  # first write wins, as with the ORM function
        assert new is _lean(
            engine, lambda writes: writes.insert_decision(case_id=lean_case, decision=decision)
        )
    changed = decision.model_copy(update={"note": "redelivered"})
    assert not _lean(
        engine, lambda writes: writes.insert_decision(case_id=lean_case, decision=changed)
    )
    for table in ("payer_decisions", "payer_decision_items"):
        _same_stored(
            _stored(engine, table, case_id=orm_case),
            _stored(engine, table, case_id=lean_case),
            "case_id",
        )
    with read_session(engine) as session:
        assert get_case(session=session, case_id=lean_case).decisions == [decision]
        assert (
            decisions.record_decision(session=session, case_id=lean_case, decision=changed)
            == decision
        )


def test_tasks_contacts_and_appeals_are_stored_as_the_orm_stores_them(engine: Engine) -> None:
    orm_case, lean_case = _create(engine, "case-023"), _create(engine, "case-024")

    def task(case_id: str) -> dict[str, Any]:
        return {
            "idempotency_key": f"{case_id}:task:1",
            "case_id": case_id,
            "kind": "adverse_decision",
            "title": "Appeal or accept",
            "due_at": DUE,
            "assignee": "nurse.kim",
            "queue": "assignee",
            "deadline_key": "appeal_filing",
            "note": "priority: high",
        }

    filed = AT + timedelta(days=1)
    appeal = samples.appeal()
    filed_appeal = samples.appeal(status=AppealStatus.SUBMITTED, filed_at=filed)
    _orm(engine, lambda session: tasks.create_task(session=session, **task(orm_case)))
    _orm(
        engine,
        lambda session: contacts.add_contact(
            session=session,
            idempotency_key=f"{orm_case}:call",
            case_id=orm_case,
            entry=samples.call(),
            recorded_by="nurse.kim",
        ),
    )
    _orm(engine, lambda s: appeals.upsert_appeal(session=s, case_id=orm_case, appeal=appeal))
    _orm(engine, lambda s: appeals.upsert_appeal(session=s, case_id=orm_case, appeal=filed_appeal))
    # A retry finds the first write, with other content too: nothing changes.
    for new, entry in ((True, samples.call()), (False, samples.call("a retry"))):
        assert new is _lean(engine, lambda writes: writes.create_task(**task(lean_case)))
        assert new is _lean(
            engine,
            lambda writes, entry=entry: writes.add_contact(
                idempotency_key=f"{lean_case}:call",
                case_id=lean_case,
                entry=entry,
                recorded_by="nurse.kim",
            ),
        )
    _lean(engine, lambda writes: writes.upsert_appeal(case_id=lean_case, appeal=appeal))
    _lean(engine, lambda writes: writes.upsert_appeal(case_id=lean_case, appeal=filed_appeal))
    for table, differ in (
        ("tasks", ("case_id", "idempotency_key")),
        ("contacts", ("case_id", "idempotency_key")),
        ("appeals", ("case_id",)),
    ):
        _same_stored(
            _stored(engine, table, case_id=orm_case),
            _stored(engine, table, case_id=lean_case),
            *differ,
        )
    with read_session(engine) as session:
        assert get_case(session=session, case_id=lean_case).contacts == [samples.call()]
        assert appeals.list_appeals(session=session, case_id=lean_case) == [filed_appeal]
        (stored,) = tasks.list_tasks(session=session, case_id=lean_case)
    assert (stored.status, stored.due_at, stored.assignee) == (TaskStatus.OPEN, DUE, "nurse.kim")
    assert stored.due_at is not None and stored.due_at.tzinfo is UTC


def test_open_tasks_close_by_the_callers_decision(engine: Engine) -> None:
    case_id = _create(engine, "case-025")
    for kind in ("reminder", "adverse_decision", "peer_to_peer"):
        _orm(
            engine,
            lambda session, kind=kind: tasks.create_task(
                session=session,
                idempotency_key=f"{case_id}:{kind}",
                case_id=case_id,
                kind=kind,
                title=kind,
                due_at=DUE if kind == "reminder" else None,
                deadline_key="appeal_filing" if kind == "reminder" else None,
            ),
        )
    seen: list[OpenTask] = []

    def decide(task: OpenTask) -> tuple[TaskStatus, str] | None:
        seen.append(task)
        if task.kind == "adverse_decision":
            return TaskStatus.DONE, "nurse.kim"
        return (TaskStatus.CANCELLED, "system") if task.due_at == DUE else None

    closed = _lean(
        engine, lambda writes: writes.close_open_tasks_where(case_id=case_id, decide=decide, at=AT)
    )
    assert closed == 2
    assert [(t.kind, t.deadline_key, t.due_at) for t in seen] == [
        ("reminder", "appeal_filing", DUE),
        ("adverse_decision", None, None),
        ("peer_to_peer", None, None),
    ]
    with read_session(engine) as session:
        states = {
            t.kind: (t.status, t.completed_by, t.completed_at)
            for t in tasks.list_tasks(session=session, case_id=case_id)
        }
    assert states == {
        "reminder": (TaskStatus.CANCELLED, "system", AT),
        "adverse_decision": (TaskStatus.DONE, "nurse.kim", AT),
        "peer_to_peer": (TaskStatus.OPEN, None, None),
    }
    # Closed tasks are no longer open: a second pass closes nothing.
    seen.clear()
    again = _lean(
        engine, lambda writes: writes.close_open_tasks_where(case_id=case_id, decide=decide, at=AT)
    )
    assert (again, [t.kind for t in seen]) == (0, ["peer_to_peer"])


def test_driver_errors_are_sqlalchemy_errors(engine: Engine) -> None:
    deadline = samples.deadline(due=DUE)
    # No such case: the foreign key fails.
    with pytest.raises(IntegrityError), connection_transaction(engine) as connection:
        TransitionWrites(connection).put_deadlines(case_id="nope-000", deadlines=[deadline])
    with pytest.raises(NotFoundError), connection_transaction(engine) as connection:
        TransitionWrites(connection).assignee_of("nope-000")
