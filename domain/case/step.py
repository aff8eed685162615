"""What every step of a case shares: its stamp (key, sequence, time) and its deadline edits.

A `Stamp` is where a step lands in the case's record: the next event sequence of its scope and
the moment it is recorded. The transition functions build their `Transition` and their tasks
from it, so the store keys (`<case>:<scope>:<seq>`) are decided in one place. The deadline
helpers return new lists and never edit a deadline in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.case.read_model import Appeal
from domain.case.state import CaseState
from domain.case.transition import TaskClosure, TaskSpec, Transition
from domain.case.vocabulary import CaseEvent, CaseStatus, SubmissionKind, TaskKind
from domain.deadlines import DeadlineQuery, DeadlineResult
from domain.escalation import Priority, TaskQueue
from domain.models import CaseDeadline, ContactLogEntry, Obligor, PayerDecision


@dataclass(frozen=True)
class Stamp:
    """The place of one step in a case's record: `seq` is the step's own sequence number."""

    case_id: str
    scope: str
    seq: int
    now: datetime

    @property
    def key(self) -> str:
        return f"{self.case_id}:{self.scope}:{self.seq:05d}"

    def task(
        self,
        kind: str,
        title: str,
        *,
        queue: TaskQueue = TaskQueue.ASSIGNEE,
        priority: Priority = Priority.NORMAL,
        due_at: datetime | None = None,
    ) -> TaskSpec:
        """A task this step opens (keyed by the step, so a retry upserts the same task)."""
        return TaskSpec(
            key=f"{self.case_id}:{self.scope}:task:{kind}:{self.seq:05d}",
            kind=kind,
            queue=queue,
            title=title,
            priority=priority,
            due_at=due_at,
        )

    def transition(
        self,
        event: str,
        summary: str,
        *,
        state: CaseState | None = None,
        status: CaseStatus | None = None,
        assignee: str | None = None,
        actor: str = "system",
        rule: str | None = None,
        details: dict[str, str] | None = None,
        deadlines: list[CaseDeadline] | None = None,
        tasks: list[TaskSpec] | None = None,
        close_tasks: list[TaskClosure] | None = None,
        decision: PayerDecision | None = None,
        contact: ContactLogEntry | None = None,
        appeal: Appeal | None = None,
    ) -> Transition:
        """This step's transition; status and assignee default to `state`'s."""
        if state is not None:
            status = status if status is not None else state.status
            assignee = assignee if assignee is not None else state.assignee
        return Transition(
            case_id=self.case_id,
            key=self.key,
            event=event,
            summary=summary,
            occurred_at=self.now,
            actor=actor,
            status=status,
            assignee=assignee,
            rule=rule,
            details=details or {},
            deadlines=deadlines or [],
            tasks=tasks or [],
            close_tasks=close_tasks or [],
            decision=decision,
            contact=contact,
            appeal=appeal,
        )


def deadline_unknown(
    stamp: Stamp,
    question: DeadlineQuery,
    *,
    state: CaseState | None = None,
    status: CaseStatus | None = None,
    appeal: Appeal | None = None,
) -> Transition:
    """No rule sets the clock `question` asks about: a person sets it (a step of its own)."""
    event = question.event.value
    return stamp.transition(
        CaseEvent.DEADLINE_UNKNOWN,
        f"No deadline rule for {event}: set this clock by hand",
        state=state,
        status=status,
        appeal=appeal,
        tasks=[
            stamp.task(
                TaskKind.DEADLINE_UNKNOWN,
                f"Set the '{event}' deadline by hand (no rule applies)",
                queue=TaskQueue.UR,
                priority=Priority.HIGH,
            )
        ],
    )


def payer_rejected(
    stamp: Stamp,
    kind: SubmissionKind,
    error: str,
    *,
    state: CaseState | None = None,
    appeal: Appeal | None = None,
) -> Transition:
    """The payer refused a submission for good (recorded before the case or level changes)."""
    return stamp.transition(
        CaseEvent.PAYER_REJECTED,
        f"The payer rejected the {kind.value} submission ({error})",
        state=state,
        status=CaseStatus.NEEDS_ATTENTION,
        appeal=appeal,
        tasks=[
            stamp.task(
                TaskKind.PAYER_REJECTED,
                f"Payer rejected the {kind.value} submission: fix, resubmit ({error})",
                queue=TaskQueue.UR,
                priority=Priority.HIGH,
            )
        ],
    )


# ---------------------------------------------------------------- deadlines


def to_case_deadline(
    key: str,
    label: str,
    obligor: Obligor,
    result: DeadlineResult,
    starts_at: datetime | None,
) -> CaseDeadline:
    """The engine's answer as one of the case's deadlines."""
    return CaseDeadline(
        key=key,
        label=label,
        obligor=obligor,
        due_at=result.due_at,
        rule=result.rule,
        rule_id=result.rule_id,
        convention=result.convention,
        explanation=result.explanation,
        starts_at=starts_at,
    )


def is_active(deadline: CaseDeadline) -> bool:
    return deadline.met_at is None and not deadline.superseded


def active_deadlines(deadlines: Sequence[CaseDeadline]) -> list[CaseDeadline]:
    return [d for d in deadlines if is_active(d)]


def find_deadline(deadlines: Sequence[CaseDeadline], key: str) -> CaseDeadline | None:
    for deadline in deadlines:
        if deadline.key == key:
            return deadline
    return None


def next_due_at(deadlines: list[CaseDeadline]) -> datetime | None:
    return min((d.due_at for d in active_deadlines(deadlines)), default=None)


def set_deadline(deadlines: Sequence[CaseDeadline], deadline: CaseDeadline) -> list[CaseDeadline]:
    """`deadlines` with `deadline` added, or replacing the one with its key (moved to the end)."""
    return [d for d in deadlines if d.key != deadline.key] + [deadline]


def merged(
    deadlines: Sequence[CaseDeadline], changed: Sequence[CaseDeadline]
) -> list[CaseDeadline]:
    """`deadlines` with each of `changed` set in turn (`set_deadline`)."""
    result = list(deadlines)
    for deadline in changed:
        result = set_deadline(result, deadline)
    return result


def without_deadline(deadlines: list[CaseDeadline], key: str) -> list[CaseDeadline]:
    return [d for d in deadlines if d.key != key]


def closed_deadline(
    deadlines: Sequence[CaseDeadline], key: str, now: datetime, *, met: bool = True
) -> CaseDeadline | None:
    """The deadline `key` closed (met at `now`, or superseded); None if it is not open."""
    found = find_deadline(deadlines, key)
    if found is None or not is_active(found):
        return None
    return found.model_copy(update={"met_at": now} if met else {"superseded": True})
