"""A transition: the complete, typed description of what one step of a case changed.

The case engine decides a step; the store writes it in one idempotent transaction
(`store.transitions`): the audit event, the case's status and assignee, the tasks it closes and
opens, the deadlines (each a new revision when its due moment moves), a payer decision, an
appeal level's state and a contact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain import limits
from domain.case.read_model import Appeal
from domain.case.vocabulary import CaseStatus
from domain.escalation import Priority, TaskQueue
from domain.models import CaseDeadline, ContactLogEntry, PayerDecision

IdempotencyKey = Annotated[str, Field(min_length=3, max_length=limits.IDEMPOTENCY_KEY)]
ActorName = limits.ActorName


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class TaskSpec(Payload):
    """A work item for people (assignee, UR queue, supervisor); upserted by `key`."""

    key: IdempotencyKey
    kind: Annotated[str, Field(min_length=1, max_length=limits.TASK_KIND)]
    queue: TaskQueue
    # Composed by the engine (a deadline's label and rule): clipped to fit, never refused.
    title: Annotated[str, limits.clip(limits.TASK_TITLE), Field(max_length=limits.TASK_TITLE)]
    priority: Priority = Priority.NORMAL
    due_at: AwareDatetime | None = None
    deadline_key: Annotated[str | None, Field(max_length=limits.SHORT_TEXT)] = None


class TaskClosure(Payload):
    """Close the case's open tasks that match every filter given (none given: all of them).

    `done` when the transition did what the task asked (an appeal filed, a letter signed);
    cancelled when it made the task moot (a new payer decision, the case closed).
    """

    status: Literal["done", "cancelled"] = "cancelled"
    by: ActorName = "system"
    kind: str | None = None
    key_prefix: str | None = None

    def matches(self, *, kind: str, key: str) -> bool:
        return (self.kind is None or self.kind == kind) and (
            self.key_prefix is None or key.startswith(self.key_prefix)
        )


class Transition(Payload):
    """One step of a case, written to the store in one idempotent transaction.

    `key` is `<case id>:<scope>:<event sequence>` (never an attempt number): the audit event,
    the status change, the deadlines and the tasks are written once however often it is retried.

    Tasks resolved by the step are closed first (`close_tasks`, in order, first match wins;
    then every open task of a deadline in `deadlines` that is met or closed, or whose due moment
    moved, is cancelled by `system`), then the step's own `tasks` are created. `appeal` is the
    state of one appeal level (upserted by level).
    """

    case_id: Annotated[str, Field(max_length=limits.CASE_ID)]
    key: IdempotencyKey
    event: Annotated[str, Field(min_length=1, max_length=limits.AUDIT_ACTION)]
    summary: str
    occurred_at: AwareDatetime
    actor: ActorName = "system"
    status: CaseStatus | None = None
    assignee: ActorName | None = None
    rule: str | None = None
    details: dict[str, str] = Field(default_factory=dict)
    deadlines: list[CaseDeadline] = Field(default_factory=list)
    tasks: list[TaskSpec] = Field(default_factory=list)
    close_tasks: list[TaskClosure] = Field(default_factory=list)
    decision: PayerDecision | None = None
    contact: ContactLogEntry | None = None
    appeal: Appeal | None = None

    def closing(
        self, *, kind: str, key: str, deadline_key: str | None, due_at: datetime | None
    ) -> tuple[Literal["done", "cancelled"], str] | None:
        """How this step closes an open task (status, by whom), or None if it stays open."""
        for closure in self.close_tasks:
            if closure.matches(kind=kind, key=key):
                return closure.status, closure.by
        for deadline in self.deadlines:
            if deadline.key != deadline_key:
                continue
            if deadline.met_at is not None or deadline.superseded or due_at != deadline.due_at:
                return "cancelled", "system"
        return None
