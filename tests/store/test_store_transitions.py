"""The store's one writer (`store.transitions`): each kind of row written once per key, by the
rules the rest of the store reads back, and a whole step (`record`) written once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from domain.case.transition import TaskClosure, TaskSpec, Transition
from domain.case.vocabulary import CaseStatus
from domain.escalation import TaskQueue
from domain.models import CaseDeadline, Obligor
from store import appeals, audit, tasks
from store.cases import create_case, get_case, get_case_summary
from store.database import connection_transaction, read_session, transaction
from store.deadlines import list_deadlines
from store.errors import IdempotencyConflictError, NotFoundError
from store.records import CaseSummary, TaskStatus
from store.tables import DeadlineRow, TaskRow
from store.transitions import OpenTask, TransitionWrites
from tests.store import samples
from tests.store.writes import writing

pytestmark = pytest.mark.postgres
DUE = datetime(2026, 3, 9, 23, 59, tzinfo=samples.CHICAGO)
AT = datetime(2026, 3, 4, 16, 30, 5, 250000, tzinfo=samples.CHICAGO)


def _create(engine: Engine, case_id: str) -> str:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id=case_id,
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
    return case_id


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


def test_events_are_appended_once_per_key_and_chain(engine: Engine) -> None:
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

    for key in ("k:1", "k:2"):
        with writing(engine) as writes:
            assert writes.append_event_once(**event(key)) is True
    with writing(engine) as writes:
        assert writes.append_event_once(**event("k:2")) is False
    with pytest.raises(IdempotencyConflictError), writing(engine) as writes:
        writes.append_event_once(**event("k:2", action="other"))
    with pytest.raises(IdempotencyConflictError), writing(engine) as writes:
        writes.append_event_once(**event("k:1", case_id="other"))
    with read_session(engine) as session:
        assert audit.verify_chain(session=session).ok
        stored = audit.timeline(session=session, case_id="case-020")
    assert [(e.sequence, e.idempotency_key) for e in stored] == [(1, "k:1"), (2, "k:2")]
    assert stored[1].prev_hash == stored[0].hash
    given = event("k:2")
    assert (
        stored[1].action,
        stored[1].actor,
        stored[1].summary,
        stored[1].case_id,
        stored[1].rule_cited,
        stored[1].details,
        stored[1].occurred_at,
    ) == (
        given["action"],
        given["actor"],
        given["summary"],
        given["case_id"],
        given["rule_cited"],
        given["details"],
        AT,
    )
    assert stored[1].occurred_at.tzinfo is UTC


def test_a_step_writes_each_row_once_and_a_retry_nothing(engine: Engine) -> None:
    case_id = _create(engine, "case-030")
    with writing(engine) as writes:
        writes.create_task(
            idempotency_key=f"{case_id}:reminder",
            case_id=case_id,
            kind="reminder",
            title="Remind",
            due_at=DUE,
            deadline_key="initial_decision",
        )
    review = TaskSpec(
        key=f"{case_id}:review", kind="adverse_decision", title="Appeal?", queue=TaskQueue.ASSIGNEE
    )
    ur = TaskSpec(key=f"{case_id}:ur", kind="ur_review", title="UR", queue=TaskQueue.UR, due_at=DUE)
    appeal_window = samples.deadline(
        "appeal_filing", due=DUE + timedelta(days=60), obligor=Obligor.PROVIDER, label="Appeal"
    )
    denied = Transition(
        case_id=case_id,
        key=f"{case_id}:case:00001",
        event="payer_decision",
        summary="Denied",
        occurred_at=AT,
        actor="payer",
        status=CaseStatus.DENIED,
        assignee="nurse.kim",
        rule="42 CFR 422.568",
        details={"decision_id": "dec-001"},
        deadlines=[samples.deadline(due=DUE, met_at=AT), appeal_window],
        tasks=[review, ur],
        decision=samples.denial(),
        contact=samples.call(),
        appeal=samples.appeal(),
    )
    with writing(engine) as writes:
        assert writes.record(denied)
    changed = denied.model_copy(update={"status": CaseStatus.CLOSED, "tasks": []})
    with writing(engine) as writes:
        assert not writes.record(changed)  # the key is known: nothing is written
    with read_session(engine) as session:
        case = get_case(session=session, case_id=case_id)
        summary = get_case_summary(session=session, case_id=case_id)
        stored_tasks = {t.kind: t for t in tasks.list_tasks(session=session, case_id=case_id)}
        [event] = audit.timeline(session=session, case_id=case_id)
        history = list_deadlines(session=session, case_id=case_id, include_superseded=True)
        stored_appeals = appeals.list_appeals(session=session, case_id=case_id)
        # Stored as SQLAlchemy binds it: an ORM comparison finds the writer's moments.
        due_tasks = session.exec(select(TaskRow.kind).where(TaskRow.due_at == DUE)).all()
    assert (summary.status, summary.assignee) == (CaseStatus.DENIED, "nurse.kim")
    assert summary.next_due_at == appeal_window.due_at
    assert case.decisions == [samples.denial()] and case.contacts == [samples.call()]
    assert stored_appeals == [samples.appeal()]
    assert history == [samples.deadline(due=DUE, met_at=AT), appeal_window]
    assert (event.action, event.actor, event.rule_cited) == ("payer_decision", "payer", denied.rule)
    assert event.details == {"decision_id": "dec-001", "status": "denied"}
    # The reminder of the met deadline is cancelled; the step's tasks are open, the assignee's
    # for the case's assignee.
    assert {kind: (t.status, t.completed_by, t.assignee) for kind, t in stored_tasks.items()} == {
        "reminder": (TaskStatus.CANCELLED, "system", None),
        "adverse_decision": (TaskStatus.OPEN, None, "nurse.kim"),
        "ur_review": (TaskStatus.OPEN, None, None),
    }
    assert sorted(due_tasks) == ["reminder", "ur_review"]
    assert stored_tasks["ur_review"].queue == "ur"
    assert stored_tasks["adverse_decision"].note == "priority: normal"


def test_an_escalation_is_an_event_and_a_task_once(engine: Engine) -> None:
    case_id = _create(engine, "case-031")
    with writing(engine) as writes:
        writes.set_case_state(case_id=case_id, status=None, assignee="nurse.kim", at=AT)
    rung = TaskSpec(
        key=f"{case_id}:esc:1", kind="escalation_half", title="Half way", queue=TaskQueue.ASSIGNEE
    )
    for new in (True, False):
        with writing(engine) as writes:
            assert new is writes.record_escalation(
                key=f"{case_id}:esc:1",
                case_id=case_id,
                task=rung,
                summary="Half the time is gone",
                occurred_at=AT,
                rule="ladder",
            )
    with read_session(engine) as session:
        [task] = tasks.list_tasks(session=session, case_id=case_id)
        [event] = audit.timeline(session=session, case_id=case_id)
    assert (task.kind, task.assignee, task.status) == ("escalation_half", "nurse.kim", "open")
    assert (event.action, event.actor, event.rule_cited) == ("escalation", "system", "ladder")
    assert event.details == {"queue": "assignee", "priority": "normal", "deadline_key": ""}
    with pytest.raises(NotFoundError), writing(engine) as writes:
        writes.record_escalation(
            key="nope-000:esc:1", case_id="nope-000", task=rung, summary="x", occurred_at=AT
        )


def test_closures_name_tasks_by_kind(engine: Engine) -> None:
    case_id = _create(engine, "case-032")
    spec = TaskSpec(key=f"{case_id}:sign", kind="sign", title="Sign", queue=TaskQueue.ASSIGNEE)

    def step(seq: int, **fields: Any) -> Transition:
        return Transition(
            case_id=case_id,
            key=f"{case_id}:case:{seq:05d}",
            event="step",
            summary="step",
            occurred_at=AT + timedelta(hours=seq),
            **fields,
        )

    with writing(engine) as writes:
        writes.record(step(1, tasks=[spec]))
        writes.record(step(2, close_tasks=[TaskClosure(kind="sign", status="done", by="dr-b")]))
    with read_session(engine) as session:
        [task] = tasks.list_tasks(session=session, case_id=case_id)
    assert (task.status, task.completed_by) == (TaskStatus.DONE, "dr-b")
    assert task.completed_at == AT + timedelta(hours=2)


def test_open_tasks_close_by_the_callers_decision(engine: Engine) -> None:
    case_id = _create(engine, "case-025")
    with writing(engine) as writes:
        for kind in ("reminder", "adverse_decision", "peer_to_peer"):
            writes.create_task(
                idempotency_key=f"{case_id}:{kind}",
                case_id=case_id,
                kind=kind,
                title=kind,
                due_at=DUE if kind == "reminder" else None,
                deadline_key="appeal_filing" if kind == "reminder" else None,
            )
    seen: list[OpenTask] = []

    def decide(task: OpenTask) -> tuple[TaskStatus, str] | None:
        seen.append(task)
        if task.kind == "adverse_decision":
            return TaskStatus.DONE, "nurse.kim"
        return (TaskStatus.CANCELLED, "system") if task.due_at == DUE else None

    with writing(engine) as writes:
        closed = writes.close_open_tasks_where(case_id=case_id, decide=decide, at=AT)
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
    with writing(engine) as writes:
        again = writes.close_open_tasks_where(case_id=case_id, decide=decide, at=AT)
    assert (again, [t.kind for t in seen]) == (0, ["peer_to_peer"])


def test_driver_errors_are_sqlalchemy_errors(engine: Engine) -> None:
    deadline = samples.deadline(due=DUE)
    # No such case: the foreign key fails.
    with pytest.raises(IntegrityError), connection_transaction(engine) as connection:
        TransitionWrites(connection).put_deadlines(case_id="nope-000", deadlines=[deadline])
    with pytest.raises(NotFoundError), connection_transaction(engine) as connection:
        TransitionWrites(connection).assignee_of("nope-000")
