"""The one writer of a case's rows: case state, deadlines, tasks, decisions, appeals, contacts
and audit events. Few statements, each compiled once per dialect.

Everything that changes those rows goes through `TransitionWrites`: the worker's steps
(`record`, `record_escalation`, run by `activities.store_recorder` inside `store.group_commit`)
and the API's own writes (a person completing or reassigning a task, the audit event of a new
case or of a payer message received). Other store modules read, and create cases and letters.

Every write serializes behind the audit chain's head row, so the CPU cost of these statements
is the store's throughput. They are `store.prepared` statements run on the DBAPI cursor of the
caller's connection, in its transaction (a Core `connection_transaction`, or an ORM session's
`session.connection()`), bypassing the ORM; none commits. Row values come from `store.rows`.

Idempotency: a step's audit event is appended first (`append_event_once`, under the chain lock:
a concurrent retry of the same key waits, then finds the first one's commit), and a known key
means the whole step committed before, so nothing else is written again. Tasks, contacts and
decisions are also inserted once per key; deadlines follow the revision rules of `put_deadlines`.

A new transition is typically: the chain head (locked on PostgreSQL; SQLite's `BEGIN
IMMEDIATE` already holds the write lock), the event's `INSERT ... ON CONFLICT DO NOTHING`
(nothing inserted: a retry), the head's UPDATE, the case's UPDATE, the case's open tasks and
one UPDATE per task closed, per deadline a read of its current revision and an INSERT or UPDATE,
one UPDATE that recomputes `next_due_at`, and the decision and its items as plain INSERTs.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from types import TracebackType
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, bindparam, case, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

from domain.case.read_model import Appeal
from domain.case.transition import TaskSpec, Transition
from domain.case.vocabulary import CaseEvent, CaseStatus
from domain.escalation import TaskQueue
from domain.models import CaseDeadline, ContactLogEntry, PayerDecision
from store.audit import HEAD_ID, SYSTEM_ACTOR
from store.cases import CLOSED_STATUSES
from store.errors import IdempotencyConflictError, InvalidTransitionError, NotFoundError
from store.prepared import Prepared
from store.records import TaskStatus
from store.rows import (
    appeal_state_fields,
    contact_fields,
    decision_fields,
    item_fields,
    new_event_fields,
    new_task_fields,
    revision_fields,
)
from store.types import require_aware, utcnow

_TABLES = SQLModel.metadata.tables
_EVENTS, _HEAD = _TABLES["audit_events"], _TABLES["audit_chain_head"]
_CASES, _TASKS, _DEADLINES = _TABLES["cases"], _TABLES["tasks"], _TABLES["case_deadlines"]
_DECISIONS, _ITEMS = _TABLES["payer_decisions"], _TABLES["payer_decision_items"]
_APPEALS, _CONTACTS = _TABLES["appeals"], _TABLES["contacts"]
_INSERTS: dict[str, Callable[[Table], sqlite.Insert | postgresql.Insert]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


class OpenTask(NamedTuple):
    """What `close_open_tasks_where` shows its `decide` of each open task."""

    id: int
    kind: str
    idempotency_key: str
    deadline_key: str | None
    due_at: datetime | None


def _columns(table: Table, *, but: tuple[str, ...] = ()) -> dict[str, Any]:
    """A bound parameter per column, named like it, but for the generated `id` and `but`."""
    skip = ("id", *but)
    return {
        column.name: bindparam(column.name) for column in table.columns if column.name not in skip
    }


# What an update of a deadline revision or an appeal sets: `rows.revision_fields` and
# `rows.appeal_state_fields` give exactly these columns.
_REVISION_COLUMNS = _columns(_DEADLINES, but=("case_id", "key", "revision", "created_at"))
_APPEAL_STATE_COLUMNS = tuple(_columns(_APPEALS, but=("case_id", "level", "created_at")))
# A recorded step proves the case's workflow runs: the first one marks the case started, so the
# reconciler (`runtime.reconcile`) leaves it alone.
_STARTED = func.coalesce(
    _CASES.c.workflow_started_at, bindparam("b_at", type_=_CASES.c.workflow_started_at.type)
)


class _Statements:
    """The statements of `TransitionWrites`, compiled for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        insert = _INSERTS.get(dialect.name)
        if insert is None:
            raise ValueError(f"no transition statements for the {dialect.name} dialect")

        def prepare(statement: Any) -> Prepared:
            return Prepared(statement, dialect)

        self.head = prepare(
            sa_select(_HEAD.c.last_sequence, _HEAD.c.last_hash)
            .where(_HEAD.c.id == HEAD_ID)
            .with_for_update()
        )
        self.insert_event = prepare(
            insert(_EVENTS)
            .values(_columns(_EVENTS))
            .on_conflict_do_nothing(index_elements=[_EVENTS.c.idempotency_key])
        )
        self.event_of_key = prepare(
            sa_select(_EVENTS.c.action, _EVENTS.c.case_id).where(
                _EVENTS.c.idempotency_key == bindparam("b_key")
            )
        )
        self.move_head = prepare(
            update(_HEAD)
            .where(_HEAD.c.id == HEAD_ID)
            .values(last_sequence=bindparam("b_sequence"), last_hash=bindparam("b_hash"))
        )
        # Parameter names are not column names (`b_...`): SQLAlchemy would take a column-named
        # parameter of an UPDATE for another SET value.
        self.set_assignee = prepare(
            update(_CASES)
            .where(_CASES.c.case_id == bindparam("b_case_id"))
            .values(
                assignee=bindparam("b_assignee"),
                updated_at=bindparam("b_at"),
                workflow_started_at=_STARTED,
            )
        )
        # `closed_at` is compared against the row's status before the UPDATE: unchanged when
        # the status stays the same, else `b_closed_at` (the moment when closing, else None).
        self.set_status = prepare(
            update(_CASES)
            .where(_CASES.c.case_id == bindparam("b_case_id"))
            .values(
                status=bindparam("b_status"),
                assignee=bindparam("b_assignee"),
                updated_at=bindparam("b_at"),
                workflow_started_at=_STARTED,
                closed_at=case(
                    (_CASES.c.status == bindparam("b_status"), _CASES.c.closed_at),
                    else_=bindparam("b_closed_at", type_=_CASES.c.closed_at.type),
                ),
            )
        )
        self.assignee_of_case = prepare(
            sa_select(_CASES.c.assignee).where(_CASES.c.case_id == bindparam("b_case_id"))
        )
        self.open_tasks = prepare(
            sa_select(
                _TASKS.c.id,
                _TASKS.c.kind,
                _TASKS.c.idempotency_key,
                _TASKS.c.deadline_key,
                _TASKS.c.due_at,
            )
            .where(
                _TASKS.c.case_id == bindparam("b_case_id"),
                _TASKS.c.status == TaskStatus.OPEN.value,
            )
            .order_by(_TASKS.c.created_at, _TASKS.c.id)
        )
        self.close_task = prepare(
            update(_TASKS)
            .where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.status == TaskStatus.OPEN.value)
            .values(
                status=bindparam("b_status"),
                completed_by=bindparam("b_by"),
                completed_at=bindparam("b_at"),
                updated_at=bindparam("b_at"),
            )
        )
        self.status_of_task = prepare(
            sa_select(_TASKS.c.status).where(_TASKS.c.id == bindparam("b_id"))
        )
        self.assign_task = prepare(
            update(_TASKS)
            .where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.status == TaskStatus.OPEN.value)
            .values(assignee=bindparam("b_assignee"), updated_at=bindparam("b_at"))
        )
        self.assign_task_to_queue = prepare(
            update(_TASKS)
            .where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.status == TaskStatus.OPEN.value)
            .values(
                assignee=bindparam("b_assignee"),
                queue=bindparam("b_queue"),
                updated_at=bindparam("b_at"),
            )
        )
        self.insert_task = prepare(
            insert(_TASKS)
            .values(_columns(_TASKS))
            .on_conflict_do_nothing(index_elements=[_TASKS.c.idempotency_key])
        )
        self.current_revision = prepare(
            sa_select(_DEADLINES.c.id, _DEADLINES.c.due_at, _DEADLINES.c.revision)
            .where(
                _DEADLINES.c.case_id == bindparam("b_case_id"),
                _DEADLINES.c.key == bindparam("b_key"),
            )
            .order_by(_DEADLINES.c.revision.desc())
            .limit(1)
        )
        self.update_revision = prepare(
            update(_DEADLINES).where(_DEADLINES.c.id == bindparam("b_id")).values(_REVISION_COLUMNS)
        )
        self.supersede_revision = prepare(
            update(_DEADLINES)
            .where(_DEADLINES.c.id == bindparam("b_id"))
            .values(superseded=True, updated_at=bindparam("updated_at"))
        )
        self.insert_revision = prepare(insert(_DEADLINES).values(_columns(_DEADLINES)))
        # The earliest due moment neither met nor superseded, computed and compared in SQL.
        next_due = (
            sa_select(func.min(_DEADLINES.c.due_at))
            .where(
                _DEADLINES.c.case_id == bindparam("b_case_id"),
                _DEADLINES.c.met_at.is_(None),
                _DEADLINES.c.superseded.is_(False),
            )
            .scalar_subquery()
        )
        self.refresh_next_due = prepare(
            update(_CASES)
            .where(
                _CASES.c.case_id == bindparam("b_case_id"),
                _CASES.c.next_due_at.is_distinct_from(next_due),
            )
            .values(next_due_at=next_due, updated_at=bindparam("b_now"))
        )
        self.insert_decision = prepare(
            insert(_DECISIONS)
            .values(_columns(_DECISIONS))
            .on_conflict_do_nothing(index_elements=[_DECISIONS.c.case_id, _DECISIONS.c.decision_id])
            .returning(_DECISIONS.c.id)
        )
        self.insert_item = prepare(insert(_ITEMS).values(_columns(_ITEMS)))
        upsert = insert(_APPEALS).values(_columns(_APPEALS))
        self.upsert_appeal = prepare(
            upsert.on_conflict_do_update(
                index_elements=[_APPEALS.c.case_id, _APPEALS.c.level],
                set_={name: upsert.excluded[name] for name in _APPEAL_STATE_COLUMNS},
            )
        )
        self.insert_contact = prepare(
            insert(_CONTACTS)
            .values(_columns(_CONTACTS))
            .on_conflict_do_nothing(index_elements=[_CONTACTS.c.idempotency_key])
        )


_STATEMENTS: weakref.WeakKeyDictionary[Dialect, _Statements] = weakref.WeakKeyDictionary()


def _statements(dialect: Dialect) -> _Statements:
    statements = _STATEMENTS.get(dialect)
    if statements is None:  # two threads may both compile: the same statements, no harm
        statements = _STATEMENTS[dialect] = _Statements(dialect)
    return statements


class TransitionWrites:
    """The writes of a case's rows in a connection's transaction, on one DBAPI cursor:
    `with TransitionWrites(connection) as writes: writes.record(transition)`. None commits.

    `record` and `record_escalation` are a workflow's steps, `close_task` and `reassign_task` a
    person's task actions (after their audit event), and the rest the rows, one kind each."""

    def __init__(self, connection: Connection) -> None:
        self._sql = _statements(connection.dialect)
        self._cursor = connection.connection.cursor()

    def __enter__(self) -> TransitionWrites:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._cursor.close()

    # ------------------------------------------------------------ a workflow's steps

    def record(self, transition: Transition) -> bool:
        """Write one step of a case (see `Transition`): the audit event, then the case's status
        and assignee, the tasks it closes, its deadlines, its new tasks, the decision, the
        appeal and the contact. False if its key was recorded before: then nothing is written
        (the step committed whole, and the tasks opened since stay open)."""
        if not self.append_event_once(
            idempotency_key=transition.key,
            action=transition.event,
            actor=transition.actor,
            summary=transition.summary,
            case_id=transition.case_id,
            rule_cited=transition.rule,
            details={**transition.details, "status": transition.status or ""},
            occurred_at=transition.occurred_at,
        ):
            return False
        case_id, at = transition.case_id, transition.occurred_at
        self.set_case_state(
            case_id=case_id, status=transition.status, assignee=transition.assignee, at=at
        )
        if transition.close_tasks or transition.deadlines:
            self.close_open_tasks_where(
                case_id=case_id, decide=partial(_closing, transition), at=at
            )
        self.put_deadlines(case_id=case_id, deadlines=transition.deadlines)
        for task in transition.tasks:
            self._open(case_id, task, transition.assignee)
        if transition.decision is not None:
            self.insert_decision(case_id=case_id, decision=transition.decision)
        if transition.appeal is not None:
            self.upsert_appeal(case_id=case_id, appeal=transition.appeal)
        if transition.contact is not None:
            self.add_contact(
                idempotency_key=transition.key,
                case_id=case_id,
                entry=transition.contact,
                recorded_by=transition.actor,
            )
        return True

    def record_escalation(
        self,
        *,
        key: str,
        case_id: str,
        task: TaskSpec,
        summary: str,
        occurred_at: datetime,
        rule: str | None = None,
    ) -> bool:
        """One rung of an escalation ladder: its audit event and its task (for the case's
        assignee when the task's queue is theirs). False if `key` was recorded before."""
        if not self.append_event_once(
            idempotency_key=key,
            action=CaseEvent.ESCALATION,
            actor=SYSTEM_ACTOR,
            summary=summary,
            case_id=case_id,
            rule_cited=rule,
            details={
                "queue": task.queue.value,
                "priority": task.priority.value,
                "deadline_key": task.deadline_key or "",
            },
            occurred_at=occurred_at,
        ):
            return False
        self._open(case_id, task, self.assignee_of(case_id))
        return True

    def _open(self, case_id: str, task: TaskSpec, assignee: str | None) -> None:
        self.create_task(
            idempotency_key=task.key,
            case_id=case_id,
            kind=task.kind,
            title=task.title,
            due_at=task.due_at,
            assignee=assignee if task.queue == TaskQueue.ASSIGNEE else None,
            queue=task.queue.value,
            deadline_key=task.deadline_key,
            note=f"priority: {task.priority.value}",
        )

    # ------------------------------------------------------------ a person's task actions
    # Take the chain lock first (`append_event_once`), as a step does: a task row locked
    # before the head could deadlock against a step that holds the head and closes that task.

    def close_task(self, *, task_id: int, status: TaskStatus, by: str, at: datetime) -> bool:
        """Mark an open task done or cancelled (`status`), by `by` at `at`; True if it closed
        now. A task already in `status` stays as it is (the first who/when stays); one in the
        other closed state raises `InvalidTransitionError`, no task `NotFoundError`."""
        values = {"b_id": task_id, "b_status": status.value, "b_by": by, "b_at": require_aware(at)}
        if self._sql.close_task.run(self._cursor, values).rowcount:
            return True
        current = self._task_status(task_id)
        if current != status:
            raise InvalidTransitionError("task", task_id, f"is {current}, cannot become {status}")
        return False

    def reassign_task(
        self, *, task_id: int, assignee: str | None, at: datetime, queue: str | None = None
    ) -> None:
        """Give an open task to `assignee` (None: whoever works its queue), and to `queue` when
        given. `InvalidTransitionError` unless the task is open, `NotFoundError` if none."""
        values = {"b_id": task_id, "b_assignee": assignee, "b_at": require_aware(at)}
        if queue is None:
            result = self._sql.assign_task.run(self._cursor, values)
        else:
            result = self._sql.assign_task_to_queue.run(self._cursor, {**values, "b_queue": queue})
        if not result.rowcount:
            current = self._task_status(task_id)
            raise InvalidTransitionError("task", task_id, f"is {current}, only open tasks move")

    def _task_status(self, task_id: int) -> TaskStatus:
        row = self._sql.status_of_task.first(self._cursor, {"b_id": task_id})
        if row is None:
            raise NotFoundError("task", task_id)
        return TaskStatus(row[0])

    # ------------------------------------------------------------ the rows, one kind each

    def append_event_once(
        self,
        *,
        idempotency_key: str,
        action: str,
        actor: str,
        summary: str,
        case_id: str | None = None,
        rule_cited: str | None = None,
        details: Mapping[str, Any] | None = None,
        occurred_at: datetime | None = None,
    ) -> bool:
        """Append one audit event once per key: True if it was appended now, False if the key
        was already recorded (found under the chain lock, so a concurrent retry of the same step
        sees the first one's commit). The same key with another action or case raises
        `IdempotencyConflictError`. Keys name the step, not the attempt.

        Takes the chain lock, held until the transaction ends: append first, then write the
        rest. `details` is JSON data and, by convention, carries no PHI.
        """
        sql, cursor = self._sql, self._cursor
        head = sql.head.first(cursor)
        assert head is not None, "the migration creates the chain head"
        fields = new_event_fields(
            last_sequence=head[0],
            last_hash=head[1],
            idempotency_key=idempotency_key,
            action=action,
            actor=actor,
            summary=summary,
            case_id=case_id,
            rule_cited=rule_cited,
            details=details,
            occurred_at=occurred_at,
        )
        if sql.insert_event.run(cursor, fields).rowcount == 0:  # the key is taken
            if sql.event_of_key.first(cursor, {"b_key": idempotency_key}) != (action, case_id):
                raise IdempotencyConflictError(
                    "audit event", idempotency_key, "already recorded for another action or case"
                )
            return False
        sql.move_head.run(cursor, {"b_sequence": fields["sequence"], "b_hash": fields["hash"]})
        return True

    def set_case_state(
        self, *, case_id: str, status: CaseStatus | None, assignee: str | None, at: datetime
    ) -> None:
        """Set the case's status (when given) and assignee (None unassigns) as of `at`, in one
        UPDATE: a status change sets `closed_at` (closing) or clears it; the first recorded step
        also marks the workflow started. `NotFoundError` if there is no such case."""
        now = require_aware(at, "at")
        if status is None:
            values = {"b_case_id": case_id, "b_assignee": assignee, "b_at": now}
            result = self._sql.set_assignee.run(self._cursor, values)
        else:
            closed_at = now if status in CLOSED_STATUSES else None
            values = {
                "b_case_id": case_id,
                "b_status": status.value,
                "b_assignee": assignee,
                "b_at": now,
                "b_closed_at": closed_at,
            }
            result = self._sql.set_status.run(self._cursor, values)
        if result.rowcount == 0:
            raise NotFoundError("case", case_id)

    def assignee_of(self, case_id: str) -> str | None:
        """The case's assignee; `NotFoundError` if there is no such case."""
        row = self._sql.assignee_of_case.first(self._cursor, {"b_case_id": case_id})
        if row is None:
            raise NotFoundError("case", case_id)
        assignee: str | None = row[0]
        return assignee

    def close_open_tasks_where(
        self,
        *,
        case_id: str,
        decide: Callable[[OpenTask], tuple[TaskStatus, str] | None],
        at: datetime,
    ) -> int:
        """Close each open task of the case that `decide` gives a (done | cancelled, by) for,
        oldest first; returns how many."""
        now = require_aware(at, "at")
        closing = []
        for row in self._sql.open_tasks.all(self._cursor, {"b_case_id": case_id}):
            task = OpenTask(*row)
            outcome = decide(task)
            if outcome is not None:
                status, by = outcome
                closing.append({"b_id": task.id, "b_status": status.value, "b_by": by, "b_at": now})
        if closing:
            self._sql.close_task.run_many(self._cursor, closing)
        return len(closing)

    def create_task(
        self,
        *,
        idempotency_key: str,
        case_id: str,
        kind: str,
        title: str,
        due_at: datetime | None = None,
        assignee: str | None = None,
        queue: str | None = None,
        deadline_key: str | None = None,
        note: str | None = None,
    ) -> bool:
        """Open a task once per key (the case must exist): True if it is new; the same key again
        leaves the first task as it is."""
        fields = new_task_fields(
            idempotency_key=idempotency_key,
            case_id=case_id,
            kind=kind,
            title=title,
            due_at=due_at,
            assignee=assignee,
            queue=queue,
            deadline_key=deadline_key,
            note=note,
        )
        return bool(self._sql.insert_task.run(self._cursor, fields).rowcount)

    def put_deadlines(self, *, case_id: str, deadlines: list[CaseDeadline]) -> None:
        """Record each of `deadlines` under its key, then set the case's `next_due_at` to the
        earliest due moment neither met nor superseded. The same `due_at` as the key's current
        revision updates it in place (met, superseded, wording); another `due_at` marks it
        superseded and adds the next revision. The case must exist."""
        if not deadlines:
            return
        sql, cursor = self._sql, self._cursor
        now = utcnow()
        for deadline in deadlines:
            fields = revision_fields(deadline, now)
            key = {"b_case_id": case_id, "b_key": deadline.key}
            current = sql.current_revision.first(cursor, key)
            if current is None:
                revision = 1
            else:
                current_id, due_at, current_revision = current
                if due_at == fields["due_at"]:
                    sql.update_revision.run(cursor, {"b_id": current_id, **fields})
                    continue
                sql.supersede_revision.run(cursor, {"b_id": current_id, "updated_at": now})
                revision = current_revision + 1
            sql.insert_revision.run(
                cursor,
                {
                    "case_id": case_id,
                    "key": deadline.key,
                    "revision": revision,
                    "created_at": now,
                    **fields,
                },
            )
        sql.refresh_next_due.run(cursor, {"b_case_id": case_id, "b_now": now})

    def insert_decision(self, *, case_id: str, decision: PayerDecision) -> bool:
        """Store a payer decision and its items once per `(case, decision_id)`: True if it is
        new. First write wins: a redelivered decision changes nothing. The case must exist."""
        fields = decision_fields(case_id, decision, utcnow())
        row = self._sql.insert_decision.run(self._cursor, fields).fetchone()
        if row is None:
            return False
        items = [item_fields(row[0], case_id, item) for item in decision.items]
        self._sql.insert_item.run_many(self._cursor, items)
        return True

    def upsert_appeal(self, *, case_id: str, appeal: Appeal) -> None:
        """Insert the appeal of `appeal.level`, or replace its state. The case must exist."""
        now = utcnow()
        fields = {
            "case_id": case_id,
            "level": appeal.level.value,
            "created_at": now,
            **appeal_state_fields(appeal, now),
        }
        self._sql.upsert_appeal.run(self._cursor, fields)

    def add_contact(
        self,
        *,
        idempotency_key: str,
        case_id: str,
        entry: ContactLogEntry,
        recorded_by: str | None = None,
    ) -> bool:
        """Log a contact once per key: True if it is new (a retry leaves the first entry)."""
        fields = contact_fields(idempotency_key, case_id, entry, recorded_by)
        return bool(self._sql.insert_contact.run(self._cursor, fields).rowcount)


def _closing(transition: Transition, task: OpenTask) -> tuple[TaskStatus, str] | None:
    """How `transition` closes an open task (see `Transition.closing`), or None."""
    closing = transition.closing(
        kind=task.kind, key=task.idempotency_key, deadline_key=task.deadline_key, due_at=task.due_at
    )
    if closing is None:
        return None
    status, by = closing
    return TaskStatus(status), by
