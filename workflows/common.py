"""Workflow machinery shared by the case and appeal workflows: clocks, escalation, the record.

`ClockKeeper` owns the deadlines of one workflow, the escalation rungs already handled, the
timeline and the event sequence that keys every store write. Its `wait_until` is the one place a
workflow waits: a `wait_condition` loop whose timeout is "the next rung moment", recomputed
whenever a deadline changes, so an extension or a new payer date moves the timers and a stale
rung can never fire. The same loop runs the workflow's reconciliation polls (`_next_poll_at`,
`_poll_payer`): the next poll is one more moment to wake at, not a parallel loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from domain.case.vocabulary import CaseEvent, TaskKind, escalation_task_kind

with workflow.unsafe.imports_passed_through():
    from activities import errors
    from activities.case_store import CaseStoreActivities
    from activities.deadlines import DeadlineActivities
    from activities.letters import LetterActivities
    from activities.models import (
        EscalationInput,
        InquireInput,
        LetterInput,
        LetterRef,
        SubmitInput,
        SubmitResult,
    )
    from activities.notify import NotifyActivities
    from activities.payer import PayerActivities
    from domain.case.state import TimelineEntry
    from domain.case.transition import TaskClosure, TaskSpec, Transition
    from domain.case.vocabulary import CaseStatus
    from domain.deadlines import DeadlineQuery, DeadlineResult, calendars
    from domain.escalation import (
        EscalationAction,
        EscalationLadder,
        Priority,
        RungPlan,
        ScheduledRung,
        TaskQueue,
        describe,
        plan_rungs,
    )
    from domain.models import Appeal, CaseDeadline, ContactLogEntry, Obligor, PayerDecision

workflow.logger.workflow_info_on_message = False

STORE_TIMEOUT = timedelta(seconds=30)
PAYER_TIMEOUT = timedelta(seconds=60)
LETTER_TIMEOUT = timedelta(seconds=120)
DEADLINE_TIMEOUT = timedelta(seconds=10)
RETRY = RetryPolicy(non_retryable_error_types=list(errors.NON_RETRYABLE))
# A reconciliation poll is read-only and repeats on schedule: a failed one waits for the next.
INQUIRE_RETRY = RetryPolicy(
    maximum_attempts=3, non_retryable_error_types=list(errors.NON_RETRYABLE)
)
# Never let a timer round down to "already passed" and spin.
_MIN_WAIT = timedelta(milliseconds=1)


def business_error_type(exc: BaseException) -> str | None:
    """The `ApplicationError.type` behind an activity failure, if it is a business failure."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError) and cause.type in errors.NON_RETRYABLE:
        return cause.type
    return None


# The zone arithmetic lives in the passed-through calendar module: its ZoneInfo objects are
# the real ones, where the sandbox would hand workflow code a proxy that datetime rejects.
def end_of_day(day: date, timezone: str) -> datetime:
    return calendars.end_of_day(day, calendars.zone(timezone)).astimezone(UTC)


def local_date(moment: datetime, timezone: str) -> date:
    return calendars.local_date(moment, calendars.zone(timezone))


def to_case_deadline(
    key: str,
    label: str,
    obligor: Obligor,
    result: DeadlineResult,
    starts_at: datetime | None,
) -> CaseDeadline:
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


class ClockKeeper:
    """Mixin for workflows: see the module docstring. Subclasses set the attributes below."""

    _case_id: str
    _scope: str
    _ladder: EscalationLadder
    _seq: int
    _deadlines: list[CaseDeadline]
    _rungs_done: list[str]
    _timeline: list[TimelineEntry]
    _deadline_version: int

    # ------------------------------------------------------------ status hooks

    def _current_status(self) -> CaseStatus | None:
        return None

    def _assignee(self) -> str | None:
        return None

    def _publish_state(self) -> None:
        """Called before each recorded step and each wait (e.g. to upsert search attributes),
        so a step that changes several things publishes them once."""

    def _publish_before_wait(self) -> None:
        """Called only when the workflow is about to block (no step that takes no time)."""

    def _appeal_record(self) -> Appeal | None:
        """The appeal level this workflow keeps in the store, written with every transition."""
        return None

    def _next_poll_at(self) -> datetime | None:
        """When `_wait_until` should next ask the payer (None: no poll is due in this state)."""
        return None

    async def _poll_payer(self) -> None:
        """Ask the payer once (called by `_wait_until` when `_next_poll_at` has come)."""

    # ------------------------------------------------------------ keys and record

    def _next_key(self) -> str:
        self._seq += 1
        return f"{self._case_id}:{self._scope}:{self._seq:05d}"

    def _note(self, event: str, summary: str, actor: str = "system") -> None:
        self._timeline.append(
            TimelineEntry(
                seq=self._seq, at=workflow.now(), event=event, summary=summary, actor=actor
            )
        )

    async def _record(
        self,
        event: str,
        summary: str,
        *,
        actor: str = "system",
        status: CaseStatus | None = None,
        rule: str | None = None,
        details: dict[str, str] | None = None,
        deadlines: list[CaseDeadline] | None = None,
        tasks: list[TaskSpec] | None = None,
        close_tasks: list[TaskClosure] | None = None,
        decision: PayerDecision | None = None,
        contact: ContactLogEntry | None = None,
        appeal: Appeal | None = None,
    ) -> None:
        """Timeline entry + one idempotent store transaction (status, deadlines, tasks, audit).

        `close_tasks` closes the open tasks this step resolves; the escalation tasks of every
        deadline in `deadlines` that is met, closed or moved are cancelled as well.
        """
        self._publish_state()
        key = self._next_key()
        self._note(event, summary, actor)
        try:
            await self._write_transition(
                Transition(
                    case_id=self._case_id,
                    key=key,
                    event=event,
                    summary=summary,
                    occurred_at=workflow.now(),
                    actor=actor,
                    status=status if status is not None else self._current_status(),
                    assignee=self._assignee(),
                    rule=rule,
                    details=details or {},
                    deadlines=deadlines or [],
                    tasks=tasks or [],
                    close_tasks=close_tasks or [],
                    decision=decision,
                    contact=contact,
                    appeal=appeal if appeal is not None else self._appeal_record(),
                )
            )
        except ActivityError as exc:
            if business_error_type(exc) != errors.STORE_REJECTED:
                raise
            await self._store_rejected(event, key)

    async def _write_transition(self, record: Transition) -> None:
        await workflow.execute_activity_method(
            CaseStoreActivities.record_transition,
            record,
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=RETRY,
        )

    async def _store_rejected(self, event: str, key: str) -> None:
        """The store refused step `key` for good (a constraint, a value its column cannot
        hold): the workflow goes on, so its lock is released and Updates keep being answered,
        and a high-priority UR task says the case record misses the step. Existing histories
        never reach this (their steps were stored), so it needs no patch marker."""
        workflow.logger.warning(
            "store_rejected", extra={"case_id": self._case_id, "key": key, "case_event": event}
        )
        summary = f"The store refused step {key} ({event}): the case record misses it"
        task = self._task(
            TaskKind.STORE_REJECTED,
            f"Needs attention: step '{event}' could not be stored; check the case record",
            queue=TaskQueue.UR,
            priority=Priority.HIGH,
        )
        note_key = self._next_key()
        self._note("store_rejected", summary)
        try:
            await self._write_transition(
                Transition(
                    case_id=self._case_id,
                    key=note_key,
                    event=CaseEvent.STORE_REJECTED,
                    summary=summary,
                    occurred_at=workflow.now(),
                    status=self._current_status(),
                    assignee=self._assignee(),
                    details={"rejected_key": key, "rejected_event": event},
                    tasks=[task],
                )
            )
        except ActivityError as exc:
            if business_error_type(exc) != errors.STORE_REJECTED:
                raise
            # Even the bare notice was refused (the case row itself cannot be written): the
            # worker log keeps it; the case still answers.
            workflow.logger.error(
                "store_rejected_unrecorded", extra={"case_id": self._case_id, "key": note_key}
            )

    def _task(
        self,
        kind: str,
        title: str,
        *,
        queue: TaskQueue = TaskQueue.ASSIGNEE,
        priority: Priority = Priority.NORMAL,
        due_at: datetime | None = None,
    ) -> TaskSpec:
        return TaskSpec(
            key=f"{self._case_id}:{self._scope}:task:{kind}:{self._seq + 1:05d}",
            kind=kind,
            queue=queue,
            title=title,
            priority=priority,
            due_at=due_at,
        )

    # ------------------------------------------------------------ activities

    async def _compute(
        self, query: DeadlineQuery, *, required: bool = True
    ) -> DeadlineResult | None:
        """The engine's answer, or None when no rule applies (with a task if `required`)."""
        try:
            return await workflow.execute_local_activity_method(
                DeadlineActivities.compute_deadline,
                query,
                start_to_close_timeout=DEADLINE_TIMEOUT,
                retry_policy=RETRY,
            )
        except (ActivityError, ApplicationError) as exc:
            # Local activity failures may surface without the ActivityError wrapper.
            if business_error_type(exc) != errors.NO_DEADLINE_RULE:
                raise
        if not required:
            return None
        await self._record(
            CaseEvent.DEADLINE_UNKNOWN,
            f"No deadline rule for {query.event.value}: set this clock by hand",
            tasks=[
                self._task(
                    TaskKind.DEADLINE_UNKNOWN,
                    f"Set the '{query.event.value}' deadline by hand (no rule applies)",
                    queue=TaskQueue.UR,
                    priority=Priority.HIGH,
                )
            ],
        )
        return None

    async def _submit(self, submission: SubmitInput) -> SubmitResult | None:
        """Submit through the payer gateway; None (with a UR task) on a business rejection."""
        try:
            return await workflow.execute_activity_method(
                PayerActivities.submit_to_payer,
                submission,
                start_to_close_timeout=PAYER_TIMEOUT,
                retry_policy=RETRY,
            )
        except ActivityError as exc:
            kind = business_error_type(exc)
            if kind is None:
                raise
        await self._record(
            CaseEvent.PAYER_REJECTED,
            f"The payer rejected the {submission.kind.value} submission ({kind})",
            status=CaseStatus.NEEDS_ATTENTION,
            tasks=[
                self._task(
                    TaskKind.PAYER_REJECTED,
                    f"Payer rejected the {submission.kind.value} submission: fix and resubmit",
                    queue=TaskQueue.UR,
                    priority=Priority.HIGH,
                )
            ],
        )
        return None

    async def _inquire(self, inquiry: InquireInput) -> PayerDecision | None:
        """The payer's current decision by inquiry; None if it has none, or the poll failed."""
        try:
            return await workflow.execute_activity_method(
                PayerActivities.inquire_payer,
                inquiry,
                start_to_close_timeout=PAYER_TIMEOUT,
                retry_policy=INQUIRE_RETRY,
            )
        except ActivityError as exc:
            if business_error_type(exc) == errors.INQUIRY_UNSUPPORTED:
                raise
            workflow.logger.warning(
                "payer_inquiry_failed",
                extra={
                    "case_id": self._case_id,
                    "key": inquiry.key,
                    "error_type": business_error_type(exc) or type(exc.cause).__name__,
                },
            )
        return None

    async def _letter(self, letter: LetterInput) -> LetterRef | None:
        try:
            return await workflow.execute_activity_method(
                LetterActivities.render_letter,
                letter,
                start_to_close_timeout=LETTER_TIMEOUT,
                retry_policy=RETRY,
            )
        except ActivityError as exc:
            if business_error_type(exc) is None:
                raise
        return None

    # ------------------------------------------------------------ deadlines

    def _active_deadlines(self) -> list[CaseDeadline]:
        return [d for d in self._deadlines if d.met_at is None and not d.superseded]

    def _deadline(self, key: str) -> CaseDeadline | None:
        for deadline in self._deadlines:
            if deadline.key == key:
                return deadline
        return None

    def _set_deadline(self, deadline: CaseDeadline) -> CaseDeadline:
        """Add or replace (same key) a deadline; its rungs are rescheduled from scratch."""
        self._deadlines = [d for d in self._deadlines if d.key != deadline.key] + [deadline]
        self._deadline_version += 1
        return deadline

    def _hand_over_deadline(self, key: str) -> None:
        """Stop watching `key` here: another workflow owns the clock now (nothing recorded)."""
        self._deadlines = [d for d in self._deadlines if d.key != key]
        self._deadline_version += 1

    def _close_deadline(self, key: str, *, met: bool = True) -> CaseDeadline | None:
        found = self._deadline(key)
        if found is None or found.met_at is not None or found.superseded:
            return None
        closed = found.model_copy(
            update={"met_at": workflow.now()} if met else {"superseded": True}
        )
        return self._set_deadline(closed)

    def _next_due_at(self) -> datetime | None:
        active = self._active_deadlines()
        return min((d.due_at for d in active), default=None)

    def _rung_plan(self) -> RungPlan:
        return plan_rungs(
            self._active_deadlines(), self._ladder, frozenset(self._rungs_done), workflow.now()
        )

    # ------------------------------------------------------------ escalation

    async def _fire_due_rungs(self) -> None:
        plan = self._rung_plan()
        for skipped in plan.skip:
            self._rungs_done.append(skipped.key)
        for placed in plan.fire:
            await self._fire(placed)

    async def _fire(self, placed: ScheduledRung) -> None:
        self._rungs_done.append(placed.key)
        deadline = self._deadline(placed.deadline_key)
        if deadline is None:
            return
        title = describe(placed, deadline)
        rung = placed.rung
        task = TaskSpec(
            key=f"{self._case_id}:rung:{placed.key}",
            kind=escalation_task_kind(rung.name),
            queue=rung.queue,
            title=title,
            priority=rung.priority,
            due_at=deadline.due_at,
            deadline_key=deadline.key,
        )
        self._note(CaseEvent.ESCALATION, title)
        workflow.logger.info(
            "escalation",
            extra={"case_id": self._case_id, "rung": placed.key, "queue": rung.queue.value},
        )
        try:
            await workflow.execute_activity_method(
                NotifyActivities.escalate,
                EscalationInput(
                    case_id=self._case_id,
                    key=f"{self._case_id}:rung:{placed.key}",
                    task=task,
                    summary=title,
                    occurred_at=workflow.now(),
                    rule=deadline.rule,
                ),
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=RETRY,
            )
        except ActivityError as exc:
            if business_error_type(exc) != errors.STORE_REJECTED:
                raise
            await self._store_rejected(CaseEvent.ESCALATION, task.key)
        if EscalationAction.MISSED_DEADLINE_LETTER in rung.actions:
            ref = await self._letter(
                LetterInput(
                    case_id=self._case_id,
                    key=f"{self._case_id}:letter:missed:{placed.key}",
                    kind="missed_deadline",
                    deadline=deadline,
                )
            )
            if ref is not None:
                self._note("letter", f"Missed-deadline letter {ref.letter_id} ready to review")

    async def _wait_until(
        self,
        done: Callable[[], bool],
        *,
        expires: str | None = None,
        lock: asyncio.Lock | None = None,
    ) -> bool:
        """Wait for `done()` while the escalation ladder fires (and the reconciliation polls
        run); False once `expires` passes."""
        while True:
            self._publish_state()
            if lock is None:
                await self._fire_due_rungs()
            else:
                async with lock:
                    await self._fire_due_rungs()
            if done():
                return True
            poll_at = self._next_poll_at()
            if poll_at is not None and workflow.now() >= poll_at:
                # Runs the inquiry outside the lock; `_poll_payer` takes it to apply an answer.
                await self._poll_payer()
                continue
            expiry = self._deadline(expires) if expires else None
            if expiry is not None and expiry.met_at is None and not expiry.superseded:
                if workflow.now() >= expiry.due_at:
                    return False
            else:
                expiry = None
            moments = [m for m in (self._rung_plan().next_at, poll_at) if m is not None]
            if expiry is not None:
                moments.append(expiry.due_at)
            version = self._deadline_version

            def woken(version: int = version) -> bool:
                return done() or self._deadline_version != version

            self._publish_before_wait()
            if not moments:
                await workflow.wait_condition(woken)
                continue
            timeout = max(min(moments) - workflow.now(), _MIN_WAIT)
            # A timeout is the next rung (or the expiry) coming due: loop and handle it.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(woken, timeout=timeout)
