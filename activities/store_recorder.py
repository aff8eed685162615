"""`CaseRecorder` on the sqlmodel store: each transition is one transaction, idempotent by key.

Not imported by workflow modules (it pulls in SQLAlchemy); the worker wires it into the
activity classes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from activities.case_store import CaseNotFoundError
from activities.models import EscalationInput, LetterRef, TaskSpec, TransitionRecord
from domain.escalation import TaskQueue
from domain.models import Case, PriorAuthRequest
from store import appeals, audit, cases, contacts, deadlines, decisions, letters, tasks
from store.database import read_session, transaction
from store.errors import NotFoundError
from store.group_commit import GroupCommit
from store.records import TaskStatus


class StoreRecorder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Transitions and escalations of all cases share a transaction when they queue up.
        self.commits = GroupCommit(engine)

    def record_transition(self, record: TransitionRecord) -> bool:
        """The audit event (whose key check, under the chain lock, tells a retry from a first
        write), then the case row, task closing, deadlines and the rest, committed together;
        possibly with other cases' steps in the same transaction (`store.group_commit`)."""
        try:
            return self.commits.run(partial(self._write_transition, record))
        except NotFoundError:
            raise CaseNotFoundError(record.case_id) from None

    def _write_transition(self, record: TransitionRecord, session: Session) -> bool:
        # The audit append takes the chain lock first, so retries serialize here.
        new = audit.append_event_once(
            session=session,
            idempotency_key=record.key,
            action=record.event,
            actor=record.actor,
            summary=record.summary,
            case_id=record.case_id,
            rule_cited=record.rule,
            details={**record.details, "status": record.status or ""},
            occurred_at=record.occurred_at,
        )
        # Connection-level writes first, before anything loads rows into the session.
        cases.set_case_state(
            session=session,
            case_id=record.case_id,
            status=record.status,
            assignee=record.assignee,
            at=record.occurred_at,
        )
        # A retry after the commit must not close the tasks made since.
        if new and (record.close_tasks or record.deadlines):
            self._close_tasks(session, record)
        deadlines.put_deadlines(session=session, case_id=record.case_id, deadlines=record.deadlines)
        for task in record.tasks:
            self._task(session, record.case_id, task, record.assignee)
        if record.decision is not None:
            decisions.record_decision(
                session=session, case_id=record.case_id, decision=record.decision
            )
        if record.appeal is not None:
            appeals.upsert_appeal(session=session, case_id=record.case_id, appeal=record.appeal)
        if record.contact is not None:
            contacts.add_contact(
                session=session,
                idempotency_key=record.key,
                case_id=record.case_id,
                entry=record.contact,
                recorded_by=record.actor,
            )
        return new

    def record_escalation(self, escalation: EscalationInput) -> bool:
        try:
            return self.commits.run(partial(self._write_escalation, escalation))
        except NotFoundError:
            raise CaseNotFoundError(escalation.case_id) from None

    def _write_escalation(self, escalation: EscalationInput, session: Session) -> bool:
        new = audit.append_event_once(
            session=session,
            idempotency_key=escalation.key,
            action="escalation",
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
        )
        summary = cases.get_case_summary(session=session, case_id=escalation.case_id)
        self._task(session, escalation.case_id, escalation.task, summary.assignee)
        return new

    @staticmethod
    def _close_tasks(session: Any, record: TransitionRecord) -> None:
        """Close the open tasks this step resolves (see `TransitionRecord`), before new ones."""

        def decide(task: tasks.OpenTask) -> tuple[TaskStatus, str] | None:
            closing = record.closing(
                kind=task.kind,
                key=task.idempotency_key,
                deadline_key=task.deadline_key,
                due_at=task.due_at,
            )
            if closing is None:
                return None
            status, by = closing
            return (TaskStatus.DONE if status == "done" else TaskStatus.CANCELLED), by

        tasks.close_open_tasks_where(
            session=session, case_id=record.case_id, decide=decide, at=record.occurred_at
        )

    @staticmethod
    def _task(session: Any, case_id: str, task: TaskSpec, assignee: str | None) -> None:
        tasks.create_task(
            session=session,
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

    def load_case(self, case_id: str) -> Case:
        try:
            with read_session(self.engine) as session:
                return cases.get_case(session=session, case_id=case_id)
        except NotFoundError:
            raise CaseNotFoundError(case_id) from None

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
        return LetterRef(
            letter_id=record.letter_id,
            kind=record.kind,
            template_version=record.template_version,
            checksum=record.checksum_sha256,
            created_at=record.created_at,
        )
