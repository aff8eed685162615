"""`CaseRecorder` on the sqlmodel store: each transition is one transaction, idempotent by key.

Not imported by workflow modules (it pulls in SQLAlchemy); the worker wires it into the
activity classes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

from activities.case_store import CaseNotFoundError, StoreRejectedError
from activities.models import EscalationInput, LetterRef
from domain.case.transition import TaskSpec, Transition
from domain.case.vocabulary import CaseEvent
from domain.escalation import TaskQueue
from domain.models import Appeal, Case, CaseDeadline, PriorAuthRequest
from store import appeals, cases, deadlines, letters
from store.database import read_session, transaction
from store.errors import ConflictError, NotFoundError
from store.group_commit import GroupCommit
from store.records import TaskStatus
from store.transitions import OpenTask, TransitionWrites

# Errors no retry can mend: a constraint (IntegrityError), a value the column cannot hold
# (DataError: too long, out of range), a conflicting idempotency key, invalid data (ValueError,
# pydantic's ValidationError among them). Lost connections, deadlocks and serialization
# failures (OperationalError) stay retryable.
PERMANENT = (IntegrityError, DataError, ConflictError, ValueError)


class StoreRecorder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Transitions and escalations of all cases share a transaction when they queue up.
        self.commits = GroupCommit(engine)

    def record_transition(self, record: Transition) -> bool:
        """The audit event (whose key check, under the chain lock, tells a retry from a first
        write), then the case row, task closing, deadlines and the rest, committed together;
        possibly with other cases' steps in the same transaction (`store.group_commit`)."""
        try:
            return self.commits.run(partial(self._write_transition, record))
        except NotFoundError:
            raise CaseNotFoundError(record.case_id) from None
        except PERMANENT as exc:
            raise StoreRejectedError(type(exc).__name__) from None

    def _write_transition(self, record: Transition, connection: Connection) -> bool:
        with TransitionWrites(connection) as writes:
            # The audit append takes the chain lock first, so retries serialize here. A known
            # key means this whole step committed before (one transaction): nothing to redo,
            # and the tasks made since stay open.
            if not writes.append_event_once(
                idempotency_key=record.key,
                action=record.event,
                actor=record.actor,
                summary=record.summary,
                case_id=record.case_id,
                rule_cited=record.rule,
                details={**record.details, "status": record.status or ""},
                occurred_at=record.occurred_at,
            ):
                return False
            writes.set_case_state(
                case_id=record.case_id,
                status=record.status,
                assignee=record.assignee,
                at=record.occurred_at,
            )
            if record.close_tasks or record.deadlines:
                writes.close_open_tasks_where(
                    case_id=record.case_id, decide=partial(_closing, record), at=record.occurred_at
                )
            writes.put_deadlines(case_id=record.case_id, deadlines=record.deadlines)
            for task in record.tasks:
                _create_task(writes, record.case_id, task, record.assignee)
            if record.decision is not None:
                writes.insert_decision(case_id=record.case_id, decision=record.decision)
            if record.appeal is not None:
                writes.upsert_appeal(case_id=record.case_id, appeal=record.appeal)
            if record.contact is not None:
                writes.add_contact(
                    idempotency_key=record.key,
                    case_id=record.case_id,
                    entry=record.contact,
                    recorded_by=record.actor,
                )
        return True

    def record_escalation(self, escalation: EscalationInput) -> bool:
        try:
            return self.commits.run(partial(self._write_escalation, escalation))
        except NotFoundError:
            raise CaseNotFoundError(escalation.case_id) from None
        except PERMANENT as exc:
            raise StoreRejectedError(type(exc).__name__) from None

    def _write_escalation(self, escalation: EscalationInput, connection: Connection) -> bool:
        with TransitionWrites(connection) as writes:
            if not writes.append_event_once(
                idempotency_key=escalation.key,
                action=CaseEvent.ESCALATION,
                actor="system",
                summary=escalation.summary,
                case_id=escalation.case_id,
                rule_cited=escalation.rule,
                details={
                    "queue": escalation.task.queue.value,
                    "priority": escalation.task.priority.value,
                    "deadline_key": escalation.task.deadline_key or "",
                },
                occurred_at=escalation.occurred_at,
            ):
                return False  # committed before, with its task
            assignee = writes.assignee_of(escalation.case_id)
            _create_task(writes, escalation.case_id, escalation.task, assignee)
        return True

    def load_case(self, case_id: str) -> Case:
        try:
            with read_session(self.engine) as session:
                return cases.get_case(session=session, case_id=case_id)
        except NotFoundError:
            raise CaseNotFoundError(case_id) from None

    def load_deadlines(self, case_id: str) -> list[CaseDeadline]:
        with read_session(self.engine) as session:
            return deadlines.list_deadlines(session=session, case_id=case_id)

    def load_appeals(self, case_id: str) -> list[Appeal]:
        with read_session(self.engine) as session:
            return appeals.list_appeals(session=session, case_id=case_id)

    def load_request(self, case_id: str) -> PriorAuthRequest:
        try:
            with read_session(self.engine) as session:
                return cases.get_request(session=session, case_id=case_id)
        except NotFoundError:
            raise CaseNotFoundError(case_id) from None

    def find_letter(self, case_id: str, key: str) -> LetterRef | None:
        try:
            with read_session(self.engine) as session:
                found = letters.list_letters(session=session, case_id=case_id)
        except NotFoundError:
            raise CaseNotFoundError(case_id) from None
        for record in found:
            if record.idempotency_key == key:
                return LetterRef(
                    letter_id=record.letter_id,
                    kind=record.kind,
                    template_version=record.template_version,
                    checksum=record.checksum_sha256,
                    created_at=record.created_at,
                )
        return None

    def save_letter(
        self,
        case_id: str,
        key: str,
        *,
        kind: str,
        template_version: str,
        content: bytes,
        context: dict[str, Any],
    ) -> LetterRef:
        try:
            with transaction(self.engine) as session:
                record = letters.store_letter(
                    session=session,
                    idempotency_key=key,
                    case_id=case_id,
                    kind=kind,
                    template_version=template_version,
                    content=content,
                    context=context,
                )
        except NotFoundError:
            raise CaseNotFoundError(case_id) from None
        except PERMANENT as exc:
            raise StoreRejectedError(type(exc).__name__) from None
        return LetterRef(
            letter_id=record.letter_id,
            kind=record.kind,
            template_version=record.template_version,
            checksum=record.checksum_sha256,
            created_at=record.created_at,
        )


def _closing(record: Transition, task: OpenTask) -> tuple[TaskStatus, str] | None:
    """How `record` closes an open task (see `Transition.closing`), or None."""
    closing = record.closing(
        kind=task.kind, key=task.idempotency_key, deadline_key=task.deadline_key, due_at=task.due_at
    )
    if closing is None:
        return None
    status, by = closing
    return (TaskStatus.DONE if status == "done" else TaskStatus.CANCELLED), by


def _create_task(
    writes: TransitionWrites, case_id: str, task: TaskSpec, assignee: str | None
) -> None:
    writes.create_task(
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
