"""Activities that write case state, deadlines, tasks and audit events to the store.

`CaseStoreActivities` depends on a `CaseRecorder`: `StoreRecorder` (the sqlmodel store, in
`activities.store_recorder`) in the worker, `MemoryRecorder` in workflow tests. Every write is
one idempotent transaction keyed by `Transition.key`, and every activity logs exactly one
structlog line carrying the case id and key, never PHI.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any, Protocol

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import errors
from activities.models import EscalationInput, LetterRef, TransitionResult
from domain.appeals import AppealLevel
from domain.case.transition import TaskSpec, Transition
from domain.case.vocabulary import CaseEvent, CaseStatus
from domain.models import Appeal, Case, CaseDeadline, PriorAuthRequest

log = structlog.stdlib.get_logger("priorauth.activities")


class CaseNotFoundError(LookupError):
    """The store has no case with this id (raised by recorders, mapped to `CaseNotFound`)."""


class StoreRejectedError(Exception):
    """The store refused a write for good: a constraint, a value too long for its column,
    invalid data. Retrying cannot help (mapped to the non-retryable `StoreRejected`).

    `kind` names the error class only: the database's message may quote the value (PHI)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class CaseRecorder(Protocol):
    """What activities need from the case store. Each method is one idempotent transaction."""

    def record_transition(self, record: Transition) -> bool:
        """Close the tasks the step resolves, write status, deadlines, new tasks, the appeal
        and the audit event; False if `key` was seen (then nothing is closed again)."""
        ...

    def record_escalation(self, escalation: EscalationInput) -> bool: ...

    def load_case(self, case_id: str) -> Case:
        """The case with its PHI (only activities ever hold it)."""
        ...

    def load_request(self, case_id: str) -> PriorAuthRequest:
        """Only the case's request (PHI): what a payer submission needs, without the rest."""
        ...

    def load_deadlines(self, case_id: str) -> list[CaseDeadline]:
        """The case's deadlines as the engine recorded them (latest revision of each): the
        clocks a letter quotes."""
        ...

    def load_appeals(self, case_id: str) -> list[Appeal]:
        """The case's appeals in ladder order (a letter about one quotes its filing moment)."""
        ...

    def find_letter(self, case_id: str, key: str) -> LetterRef | None: ...

    def save_letter(
        self,
        case_id: str,
        key: str,
        *,
        kind: str,
        template_version: str,
        content: bytes,
        context: dict[str, Any],
    ) -> LetterRef: ...


@dataclass
class AuditRow:
    case_id: str
    key: str
    event: str
    summary: str
    actor: str


@dataclass(frozen=True)
class TaskState:
    status: str  # open / done / cancelled, as in the store
    by: str | None = None


@dataclass
class MemoryRecorder:
    """A thread-safe in-memory `CaseRecorder` for tests and the offline demo."""

    requests: dict[str, PriorAuthRequest] = field(default_factory=dict)
    audit: list[AuditRow] = field(default_factory=list)
    tasks: dict[str, tuple[str, TaskSpec]] = field(default_factory=dict)
    task_states: dict[str, TaskState] = field(default_factory=dict)
    appeals: dict[tuple[str, AppealLevel], Appeal] = field(default_factory=dict)
    deadlines: dict[tuple[str, str], CaseDeadline] = field(default_factory=dict)
    statuses: dict[str, CaseStatus] = field(default_factory=dict)
    letters: dict[str, tuple[str, LetterRef, bytes]] = field(default_factory=dict)
    escalations: list[EscalationInput] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record_transition(self, record: Transition) -> bool:
        with self._lock:
            if record.key in self._keys:
                return False
            self._keys.add(record.key)
            self.audit.append(
                AuditRow(record.case_id, record.key, record.event, record.summary, record.actor)
            )
            if record.status is not None:
                self.statuses[record.case_id] = record.status
            for key, (owner, task) in self.tasks.items():
                if owner != record.case_id or self.task_states[key].status != "open":
                    continue
                closing = record.closing(
                    kind=task.kind, key=task.key, deadline_key=task.deadline_key, due_at=task.due_at
                )
                if closing is not None:
                    self.task_states[key] = TaskState(*closing)
            for deadline in record.deadlines:
                self.deadlines[(record.case_id, deadline.key)] = deadline
            for task in record.tasks:
                self._add_task(record.case_id, task)
            if record.appeal is not None:
                self.appeals[(record.case_id, record.appeal.level)] = record.appeal
            return True

    def _add_task(self, case_id: str, task: TaskSpec) -> None:
        if task.key not in self.tasks:
            self.tasks[task.key] = (case_id, task)
            self.task_states[task.key] = TaskState("open")

    def record_escalation(self, escalation: EscalationInput) -> bool:
        with self._lock:
            if escalation.key in self._keys:
                return False
            self._keys.add(escalation.key)
            self.escalations.append(escalation)
            self.audit.append(
                AuditRow(
                    escalation.case_id,
                    escalation.key,
                    CaseEvent.ESCALATION,
                    escalation.summary,
                    "system",
                )
            )
            self._add_task(escalation.case_id, escalation.task)
            return True

    def load_case(self, case_id: str) -> Case:
        try:
            request = self.requests[case_id]
        except KeyError:
            raise CaseNotFoundError(case_id) from None
        return Case(
            case_id=case_id,
            case_number=f"MEM-{case_id}",
            request=request,
            status=self.statuses.get(case_id, CaseStatus.OPENED),
            received_at=datetime.now(UTC),
        )

    def load_request(self, case_id: str) -> PriorAuthRequest:
        try:
            return self.requests[case_id]
        except KeyError:
            raise CaseNotFoundError(case_id) from None

    def load_deadlines(self, case_id: str) -> list[CaseDeadline]:
        if case_id not in self.requests:
            raise CaseNotFoundError(case_id)
        with self._lock:
            return [d for d in self.case_deadlines(case_id).values() if not d.superseded]

    def load_appeals(self, case_id: str) -> list[Appeal]:
        if case_id not in self.requests:
            raise CaseNotFoundError(case_id)
        with self._lock:
            return self.case_appeals(case_id)

    def find_letter(self, case_id: str, key: str) -> LetterRef | None:
        with self._lock:
            found = self.letters.get(key)
            return found[1] if found else None

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
        with self._lock:
            if key in self.letters:
                return self.letters[key][1]
            ref = LetterRef(
                letter_id="LTR-" + sha256(key.encode()).hexdigest()[:16].upper(),
                kind=kind,
                template_version=template_version,
                checksum=sha256(content).hexdigest(),
            )
            self.letters[key] = (case_id, ref, content)
            return ref

    def case_tasks(self, case_id: str) -> list[TaskSpec]:
        return [task for owner, task in self.tasks.values() if owner == case_id]

    def open_tasks(self, case_id: str) -> list[TaskSpec]:
        return [t for t in self.case_tasks(case_id) if self.task_states[t.key].status == "open"]

    def task_state(self, case_id: str, kind: str) -> list[TaskState]:
        """The states of a case's tasks of `kind`, oldest first."""
        return [self.task_states[t.key] for t in self.case_tasks(case_id) if t.kind == kind]

    def case_deadlines(self, case_id: str) -> dict[str, CaseDeadline]:
        return {key: d for (owner, key), d in self.deadlines.items() if owner == case_id}

    def case_appeals(self, case_id: str) -> list[Appeal]:
        found = [a for (owner, _), a in self.appeals.items() if owner == case_id]
        return sorted(found, key=lambda a: a.number)

    def case_audit(self, case_id: str) -> list[AuditRow]:
        return [row for row in self.audit if row.case_id == case_id]


def store_rejected(case_id: str, key: str, exc: StoreRejectedError) -> ApplicationError:
    """The non-retryable failure of a refused write; the workflow turns it into a UR task."""
    log.warning("store_rejected", case_id=case_id, key=key, error_type=exc.kind)
    return ApplicationError(
        f"the store refused step {key} of case {case_id} ({exc.kind})",
        type=errors.STORE_REJECTED,
        non_retryable=True,
    )


def not_found(case_id: str) -> ApplicationError:
    # The case id is an opaque key, safe in a message; nothing else about the case is.
    return ApplicationError(
        f"case {case_id} is not in the store", type=errors.CASE_NOT_FOUND, non_retryable=True
    )


class CaseStoreActivities:
    """Write transitions and escalations to the store (sync: run in the worker's thread pool)."""

    def __init__(self, recorder: CaseRecorder) -> None:
        self.recorder = recorder

    @activity.defn(name="record_transition")
    def record_transition(self, record: Transition) -> TransitionResult:
        try:
            written = self.recorder.record_transition(record)
        except CaseNotFoundError:
            raise not_found(record.case_id) from None
        except StoreRejectedError as exc:
            raise store_rejected(record.case_id, record.key, exc) from None
        log.info(
            "case_transition",
            case_id=record.case_id,
            key=record.key,
            case_event=record.event,
            status=record.status.value if record.status else None,
            duplicate=not written,
        )
        return TransitionResult(key=record.key, duplicate=not written)
