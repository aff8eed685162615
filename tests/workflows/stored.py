"""The worker's own recorder on a SQLite store, and what workflow tests read back from it.

Workflow tests write each step through `StoreRecorder` (so `store.transitions`, the writer
production runs), into one migrated SQLite file per test process; every case has an id of its
own. `ObservedRecorder` adds the reads the tests assert on: tasks and their states, the current
revision of each deadline, appeals, audit events, letters, and the escalations asked for.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import col, select

from activities.models import EscalationInput
from activities.store_recorder import StoreRecorder
from domain.case.read_model import Appeal
from domain.models import CaseDeadline, PriorAuthRequest
from store import appeals, cases, tasks
from store.database import make_engine, read_session, transaction
from store.migrate import upgrade_engine
from store.records import TaskRecord, TaskStatus
from store.tables import AuditEventRow, DeadlineRow, LetterRow

_ENGINE: Engine | None = None
_FOLDER: tempfile.TemporaryDirectory[str] | None = None
_GUARD = threading.Lock()


def workflow_store() -> Engine:
    """The test process's migrated SQLite store (made on first use, removed at exit)."""
    global _ENGINE, _FOLDER
    with _GUARD:
        if _ENGINE is None:
            _FOLDER = tempfile.TemporaryDirectory(prefix="priorauth-workflows-")
            _ENGINE = make_engine(f"sqlite:///{Path(_FOLDER.name) / 'cases.db'}")
            upgrade_engine(_ENGINE)
        return _ENGINE


@dataclass(frozen=True)
class TaskState:
    status: str  # open / done / cancelled
    by: str | None = None


@dataclass(frozen=True)
class AuditRow:
    case_id: str | None
    key: str
    event: str
    summary: str
    actor: str


class ObservedRecorder(StoreRecorder):
    """`StoreRecorder` (the worker's) that also keeps the escalations it was asked to record."""

    def __init__(self, engine: Engine | None = None) -> None:
        super().__init__(engine or workflow_store())
        self.escalations: list[EscalationInput] = []

    def record_escalation(self, escalation: EscalationInput) -> bool:
        self.escalations.append(escalation)
        return super().record_escalation(escalation)

    def open_case(
        self, case_id: str, request: PriorAuthRequest, received_at: datetime, assignee: str
    ) -> None:
        with transaction(self.engine) as session:
            cases.create_case(
                session=session,
                case_id=case_id,
                request=request,
                received_at=received_at,
                assignee=assignee,
            )

    def case_tasks(self, case_id: str) -> list[TaskRecord]:
        with read_session(self.engine) as session:
            return tasks.list_tasks(session=session, case_id=case_id)

    def open_tasks(self, case_id: str) -> list[TaskRecord]:
        return [t for t in self.case_tasks(case_id) if t.status == TaskStatus.OPEN]

    def task_state(self, case_id: str, kind: str) -> list[TaskState]:
        """The states of a case's tasks of `kind`, oldest first."""
        return [
            TaskState(t.status.value, t.completed_by)
            for t in self.case_tasks(case_id)
            if t.kind == kind
        ]

    def case_deadlines(self, case_id: str) -> dict[str, CaseDeadline]:
        """The latest revision of each of the case's deadlines, superseded or not."""
        with read_session(self.engine) as session:
            rows = session.exec(
                select(DeadlineRow)
                .where(DeadlineRow.case_id == case_id)
                .order_by(col(DeadlineRow.key), col(DeadlineRow.revision))
            ).all()
            return {row.key: CaseDeadline.model_validate(row, from_attributes=True) for row in rows}

    def case_appeals(self, case_id: str) -> list[Appeal]:
        with read_session(self.engine) as session:
            return appeals.list_appeals(session=session, case_id=case_id)

    @property
    def audit(self) -> list[AuditRow]:
        """Every case's audit events, in the order they were appended."""
        with read_session(self.engine) as session:
            rows = session.exec(select(AuditEventRow).order_by(col(AuditEventRow.sequence))).all()
            return [
                AuditRow(row.case_id, row.idempotency_key, row.action, row.summary, row.actor)
                for row in rows
            ]

    def case_audit(self, case_id: str) -> list[AuditRow]:
        return [row for row in self.audit if row.case_id == case_id]

    @property
    def letters(self) -> list[str]:
        """The keys of every stored letter."""
        with read_session(self.engine) as session:
            return list(session.exec(select(LetterRow.idempotency_key)).all())
