"""The Escalations page's list: open escalation tasks (UR and supervisor queues) of the cases in
the person's reach, with their cases' facts, grouped by escalation stage; and its bulk actions
(claim, assign, complete), each task written through `api.tasks` like the task API.

Reach: a supervisor (admin) sees every case's tasks; UR staff only their teams' here, even
though the API lets them read every case (`page_scope`). By default a person sees the tasks
open to them (theirs or nobody's); "everyone's" shows the rest of their reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import service, tasks
from api.security import Actor
from api.web import clock_display
from config.settings import Role
from domain.escalation import EscalationLadder, Rung, describe_rung
from store import tasks as store_tasks
from store import users as store_users
from store.cursor import BadCursorError
from store.errors import NotFoundError
from store.escalation_rows import case_summaries, running_clocks
from store.records import (
    CaseSummary,
    NextClock,
    TaskPage,
    TaskRecord,
    TaskStatus,
    UserRecord,
    WorkRowFacts,
)
from store.scope import CaseScope
from store.work_rows import work_row_facts

PAGE_SIZE = 50  # as My work: the most urgent first, a page a person reads
MOST_IN_ONE_GO = 100
PAST_DUE = "past_due"
OTHER = "other"
ESCALATION_KIND = "escalation_"


class EscalationFilters(BaseModel):
    """The view: whose tasks, which queue, which page. No PHI (they travel in the URL)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    show: Literal["open_to_me", "everyone"] = "open_to_me"
    queue: Literal["", "ur", "supervisor"] = ""
    cursor: str = Field(default="", max_length=2000)


def default_filters(actor: Actor) -> EscalationFilters:
    return EscalationFilters(show="everyone" if actor.role == Role.ADMIN else "open_to_me")


def may_use(actor: Actor) -> bool:
    return actor.role in (Role.UR_STAFF, Role.ADMIN)


def page_scope(actor: Actor) -> CaseScope:
    """A supervisor: their API scope (every case); UR staff: the cases of their teams."""
    if actor.role == Role.ADMIN:
        return actor.scope
    return CaseScope(teams=frozenset(actor.teams))


@dataclass(frozen=True)
class EscalationRow:
    task: TaskRecord
    case: CaseSummary | None
    facts: WorkRowFacts | None
    clock: NextClock | None  # the running clock the task is about (None: met or moved)
    stage: clock_display.Stage


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    rows: list[EscalationRow] = field(default_factory=list)


@dataclass(frozen=True)
class EscalationPage:
    groups: list[Group]
    total: int
    total_capped: bool
    next_cursor: str | None
    shown: int

    @property
    def case_ids(self) -> list[str]:
        return [row.task.case_id for group in self.groups for row in group.rows]


def _ladder_stages(ladder: EscalationLadder) -> dict[str, Rung]:
    """The ladder's rungs by name, the most severe of each kind of clock first."""
    stages: dict[str, Rung] = {}
    for rungs in (ladder.payer, ladder.provider, *ladder.by_key.values()):
        for rung in reversed(rungs):
            stages.setdefault(rung.name, rung)
    return stages


STAGES = _ladder_stages(EscalationLadder())


def group_key(task: TaskRecord, now: datetime) -> str:
    if task.due_at is not None and task.due_at < now:
        return PAST_DUE
    rung = task.kind.removeprefix(ESCALATION_KIND) if task.kind.startswith(ESCALATION_KIND) else ""
    return rung if rung in STAGES else OTHER


def group_rows(rows: Iterable[EscalationRow], now: datetime) -> list[Group]:
    """One group per stage, past due first, then the ladder's rungs, then the rest; each keeps
    the rows' order (by due moment, as the store lists them). Empty groups are left out."""
    groups = {PAST_DUE: Group(PAST_DUE, "Past due")}
    for name, rung in STAGES.items():
        label = describe_rung(rung)
        groups[name] = Group(name, label[:1].upper() + label[1:])
    groups[OTHER] = Group(OTHER, "Other escalation tasks")
    for row in rows:
        groups[group_key(row.task, now)].rows.append(row)
    return [group for group in groups.values() if group.rows]


def load(
    session: Session, actor: Actor, filters: EscalationFilters, now: datetime
) -> EscalationPage:
    listing = _tasks(session, actor, filters)
    case_ids = [task.case_id for task in listing.items]
    cases = case_summaries(session, case_ids)
    facts = work_row_facts(session, case_ids)
    clocks = running_clocks(
        session,
        [(task.case_id, task.deadline_key) for task in listing.items if task.deadline_key],
    )
    rows = []
    for task in listing.items:
        clock = clocks.get((task.case_id, task.deadline_key or ""))
        due_at = clock.due_at if clock else task.due_at
        stage = clock_display.stage(due_at, now, starts_at=clock.starts_at if clock else None)
        rows.append(
            EscalationRow(task, cases.get(task.case_id), facts.get(task.case_id), clock, stage)
        )
    return EscalationPage(
        groups=group_rows(rows, now),
        total=listing.total,
        total_capped=listing.total_capped,
        next_cursor=listing.next_cursor,
        shown=len(rows),
    )


def _tasks(session: Session, actor: Actor, filters: EscalationFilters) -> TaskPage:
    queues = [filters.queue] if filters.queue else sorted(tasks.ESCALATION_QUEUES)
    open_to = actor.name if filters.show == "open_to_me" else None

    def listing(cursor: str | None) -> TaskPage:
        return store_tasks.ur_queue(
            session=session,
            queues=queues,
            open_to=open_to,
            limit=PAGE_SIZE,
            cursor=cursor,
            scope=page_scope(actor),
        )

    try:
        return listing(filters.cursor or None)
    except BadCursorError:  # a stale or foreign cursor: the first page
        return listing(None)


def assignable_people(session: Session, actor: Actor) -> list[UserRecord]:
    """Whom a task may be given to: active UR staff and admins who share a team with the
    person (a supervisor: all of them)."""
    mine = set(actor.teams)
    return [
        user
        for user in store_users.list_users(session, include_disabled=False)
        if user.role in (Role.UR_STAFF.value, Role.ADMIN.value)
        and (actor.role == Role.ADMIN or mine & set(user.teams))
    ]


class BulkAction(StrEnum):
    CLAIM = "claim"
    ASSIGN = "assign"
    COMPLETE = "complete"


@dataclass(frozen=True)
class Refusal:
    task: str  # "PA-2026-000123 (task 17)" or "task 17" when the case is out of reach
    reason: str


@dataclass
class BulkOutcome:
    action: BulkAction
    changed: list[TaskRecord] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    assignee_name: str = ""

    @property
    def summary(self) -> str:
        count = len(self.changed)
        noun = "task" if count == 1 else "tasks"
        if self.action == BulkAction.COMPLETE:
            done = f"{count} {noun} completed"
        elif self.action == BulkAction.CLAIM:
            done = f"{count} {noun} claimed (assigned to you)"
        else:
            done = f"{count} {noun} assigned to {self.assignee_name}"
        if self.refused:
            done += f"; {len(self.refused)} not changed"
        return done


class RefusedError(Exception):
    """One task of a bulk action that is left as it is, and why."""

    def __init__(self, reason: str, case_number: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.case_number = case_number


OUT_OF_REACH = "not found, or not a case of your teams"


async def run_bulk(
    engine: Engine,
    actor: Actor,
    action: BulkAction,
    task_ids: list[int],
    *,
    assignee: UserRecord | None = None,
    note: str | None = None,
) -> BulkOutcome:
    """Each task in a transaction of its own, through `api.tasks` (audited like the API); a
    task that cannot be changed is reported and left as it is."""
    outcome = BulkOutcome(action, assignee_name=assignee.display_name if assignee else "")
    scope = page_scope(actor)
    to = actor.name if action == BulkAction.CLAIM else (assignee.username if assignee else None)

    def change(session: Session, task_id: int) -> TaskRecord:
        try:
            task = tasks.task_in_scope(session, task_id, scope)
        except NotFoundError:
            raise RefusedError(OUT_OF_REACH) from None
        if not tasks.is_escalation(task):
            raise RefusedError("not an escalation task", task.case_number)
        if task.status != TaskStatus.OPEN:
            state = "completed" if task.status == TaskStatus.DONE else task.status.value
            raise RefusedError(f"already {state}", task.case_number)
        if action == BulkAction.COMPLETE:
            return tasks.complete(session, actor, task_id, scope=scope, note=note)
        return tasks.reassign(session, actor, task_id, assignee=to, scope=scope)

    for task_id in dict.fromkeys(task_ids):
        try:
            changed = await service.write(engine, partial(change, task_id=task_id))
        except RefusedError as refused:
            number = refused.case_number
            name = f"{number} (task {task_id})" if number else f"task {task_id}"
            outcome.refused.append(Refusal(name, refused.reason))
        except service.ServiceError as exc:
            outcome.refused.append(Refusal(f"task {task_id}", exc.detail))
        else:
            outcome.changed.append(changed)
    return outcome
