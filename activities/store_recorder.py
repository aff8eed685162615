"""`CaseRecorder` on the sqlmodel store: each transition is one transaction, idempotent by key.

Not imported by workflow modules (it pulls in SQLAlchemy); the worker wires it into the
activity classes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from activities.case_store import CaseNotFoundError
from activities.models import EscalationInput, LetterRef, TaskSpec, TransitionRecord
from domain.escalation import TaskQueue
from domain.models import Case
from store import appeals, audit, cases, contacts, deadlines, decisions, letters, tasks
from store.database import read_session, transaction
from store.errors import NotFoundError
from store.records import TaskStatus


class StoreRecorder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record_transition(self, record: TransitionRecord) -> bool:
        try:
            with transaction(self.engine) as session:
                seen = self._seen(session, record.key)
                # The audit append takes the chain lock first, so retries serialize here.
                audit.append_event(
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
                cases.update_case(
                    session=session,
                    case_id=record.case_id,
                    status=record.status,
                    assignee=record.assignee,
                    at=record.occurred_at,
                )
                if not seen:  # a retry after the commit must not close the tasks made since
                    self._close_tasks(session, record)
                for deadline in record.deadlines:
                    deadlines.upsert_deadline(
                        session=session, case_id=record.case_id, deadline=deadline
                    )
                for task in record.tasks:
                    self._task(session, record.case_id, task, record.assignee)
                if record.decision is not None:
                    decisions.record_decision(
                        session=session, case_id=record.case_id, decision=record.decision
                    )
                if record.appeal is not None:
                    appeals.upsert_appeal(
                        session=session, case_id=record.case_id, appeal=record.appeal
                    )
                if record.contact is not None:
                    contacts.add_contact(
                        session=session,
                        idempotency_key=record.key,
                        case_id=record.case_id,
                        entry=record.contact,
                        recorded_by=record.actor,
                    )
        except NotFoundError:
            raise CaseNotFoundError(record.case_id) from None
        return not seen

    def record_escalation(self, escalation: EscalationInput) -> bool:
        try:
            with transaction(self.engine) as session:
                seen = self._seen(session, escalation.key)
                audit.append_event(
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
        except NotFoundError:
            raise CaseNotFoundError(escalation.case_id) from None
        return not seen

    @staticmethod
    def _seen(session: Any, key: str) -> bool:
        # Keys embed the case id, so the key alone identifies the step.
        return audit.is_recorded(session=session, idempotency_key=key)

    @staticmethod
    def _close_tasks(session: Any, record: TransitionRecord) -> None:
        """Close the open tasks this step resolves (see `TransitionRecord`), before new ones."""
        for task in tasks.list_tasks(
            session=session, case_id=record.case_id, status=TaskStatus.OPEN
        ):
            closing = record.closing(
                kind=task.kind,
                key=task.idempotency_key,
                deadline_key=task.deadline_key,
                due_at=task.due_at,
            )
            if closing is None:
                continue
            status, by = closing
            if status == "done":
                tasks.complete_task(
                    session=session, task_id=task.task_id, completed_by=by, at=record.occurred_at
                )
            else:
                tasks.cancel_task(
                    session=session, task_id=task.task_id, cancelled_by=by, at=record.occurred_at
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
