"""A workflow's record and clocks, as objects the workflow holds (no mixin, no hooks to override).

`Recorder` owns the event sequence that keys every store write (`<case>:<scope>:<seq>`), the
timeline, and the recording of a `Transition` (one activity; a step the store refuses for good
becomes a UR task). `Clocks` owns the escalation rungs already handled, the deadline version
and the one place a workflow waits: a `wait_condition` loop whose timeout is "the next rung
moment", recomputed whenever a deadline changes (`changed()`), so an extension or a new payer
date moves the timers and a stale rung can never fire. The same loop runs the workflow's
reconciliation polls: the next poll is one more moment to wake at, not a parallel loop.

The deadlines themselves live in the workflow's state; `Clocks` reads them through `Watched`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.models import EscalationInput, LetterInput
    from domain.case.state import TimelineEntry
    from domain.case.step import Stamp, active_deadlines, find_deadline, is_active
    from domain.case.transition import TaskSpec, Transition
    from domain.case.vocabulary import CaseEvent, CaseStatus, TaskKind, escalation_task_kind
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
    from domain.models import CaseDeadline

from workflows import calls

# Never let a timer round down to "already passed" and spin.
_MIN_WAIT = timedelta(milliseconds=1)


class Watched(Protocol):
    """What `Recorder` and `Clocks` need of the workflow that holds them."""

    def current_deadlines(self) -> list[CaseDeadline]: ...

    def heading(self) -> tuple[CaseStatus | None, str | None]:
        """The status and assignee a notice written by the record itself carries."""
        ...

    def publish_state(self) -> None:
        """Called before each recorded step and each wait (e.g. to upsert search attributes),
        so a step that changes several things publishes them once."""
        ...

    def publish_before_wait(self) -> None:
        """Called only when the workflow is about to block (no step that takes no time)."""
        ...


class Recorder:
    """The event sequence, the timeline and the writing of one step's `Transition`."""

    def __init__(
        self,
        watched: Watched,
        case_id: str,
        scope: str,
        *,
        seq: int = 0,
        timeline: list[TimelineEntry] | None = None,
    ) -> None:
        self._watched = watched
        self.case_id = case_id
        self.scope = scope
        self.seq = seq
        self.timeline: list[TimelineEntry] = list(timeline or [])

    def stamp(self) -> Stamp:
        """Where the next step lands: its sequence number and the moment (now)."""
        return Stamp(self.case_id, self.scope, self.seq + 1, workflow.now())

    def note(self, event: str, summary: str, actor: str = "system") -> None:
        """A timeline entry under the current sequence number (no store write of its own)."""
        self.timeline.append(
            TimelineEntry(
                seq=self.seq, at=workflow.now(), event=event, summary=summary, actor=actor
            )
        )

    async def record(self, transition: Transition) -> None:
        """Timeline entry + one idempotent store transaction for the step `transition`
        (built on `stamp()`)."""
        self._watched.publish_state()
        self.seq += 1
        expected = f"{self.case_id}:{self.scope}:{self.seq:05d}"
        if transition.key != expected:
            raise RuntimeError(f"step {transition.key} recorded as {expected}")
        self.note(transition.event, transition.summary, transition.actor)
        try:
            await calls.write_transition(transition)
        except ActivityError as exc:
            if not calls.store_rejected(exc):
                raise
            await self.store_rejected(transition.event, transition.key)

    async def store_rejected(self, event: str, key: str) -> None:
        """The store refused step `key` for good (a constraint, a value its column cannot
        hold): the workflow goes on, so its lock is released and Updates keep being answered,
        and a high-priority UR task says the case record misses the step. Existing histories
        never reach this (their steps were stored), so it needs no patch marker."""
        workflow.logger.warning(
            "store_rejected", extra={"case_id": self.case_id, "key": key, "case_event": event}
        )
        summary = f"The store refused step {key} ({event}): the case record misses it"
        stamp = self.stamp()
        status, assignee = self._watched.heading()
        notice = stamp.transition(
            CaseEvent.STORE_REJECTED,
            summary,
            status=status,
            assignee=assignee,
            details={"rejected_key": key, "rejected_event": event},
            tasks=[
                stamp.task(
                    TaskKind.STORE_REJECTED,
                    f"Needs attention: step '{event}' could not be stored; check the case record",
                    queue=TaskQueue.UR,
                    priority=Priority.HIGH,
                )
            ],
        )
        self.seq += 1
        self.note("store_rejected", summary)
        try:
            await calls.write_transition(notice)
        except ActivityError as exc:
            if not calls.store_rejected(exc):
                raise
            # Even the bare notice was refused (the case row itself cannot be written): the
            # worker log keeps it; the case still answers.
            workflow.logger.error(
                "store_rejected_unrecorded", extra={"case_id": self.case_id, "key": notice.key}
            )


class Clocks:
    """The escalation ladder over the workflow's deadlines, and the workflow's one wait loop."""

    def __init__(
        self,
        watched: Watched,
        recorder: Recorder,
        ladder: EscalationLadder,
        *,
        rungs_done: list[str] | None = None,
    ) -> None:
        self._watched = watched
        self._recorder = recorder
        self.ladder = ladder
        self.rungs_done: list[str] = list(rungs_done or [])
        self.version = 0

    def changed(self) -> None:
        """The deadlines changed: a waiting loop wakes and reschedules its timers."""
        self.version += 1

    def plan(self) -> RungPlan:
        return plan_rungs(
            active_deadlines(self._watched.current_deadlines()),
            self.ladder,
            frozenset(self.rungs_done),
            workflow.now(),
        )

    async def fire_due_rungs(self) -> None:
        plan = self.plan()
        for skipped in plan.skip:
            self.rungs_done.append(skipped.key)
        for placed in plan.fire:
            await self._fire(placed)

    async def _fire(self, placed: ScheduledRung) -> None:
        self.rungs_done.append(placed.key)
        deadline = find_deadline(self._watched.current_deadlines(), placed.deadline_key)
        if deadline is None:
            return
        case_id = self._recorder.case_id
        title = describe(placed, deadline)
        rung = placed.rung
        task = TaskSpec(
            key=f"{case_id}:rung:{placed.key}",
            kind=escalation_task_kind(rung.name),
            queue=rung.queue,
            title=title,
            priority=rung.priority,
            due_at=deadline.due_at,
            deadline_key=deadline.key,
        )
        self._recorder.note(CaseEvent.ESCALATION, title)
        workflow.logger.info(
            "escalation",
            extra={"case_id": case_id, "rung": placed.key, "queue": rung.queue.value},
        )
        try:
            await calls.escalate(
                EscalationInput(
                    case_id=case_id,
                    key=f"{case_id}:rung:{placed.key}",
                    task=task,
                    summary=title,
                    occurred_at=workflow.now(),
                    rule=deadline.rule,
                )
            )
        except ActivityError as exc:
            if not calls.store_rejected(exc):
                raise
            await self._recorder.store_rejected(CaseEvent.ESCALATION, task.key)
        if EscalationAction.MISSED_DEADLINE_LETTER in rung.actions:
            ref = await calls.render_letter(
                LetterInput(
                    case_id=case_id,
                    key=f"{case_id}:letter:missed:{placed.key}",
                    kind="missed_deadline",
                    deadline=deadline,
                )
            )
            if ref is not None:
                self._recorder.note(
                    "letter", f"Missed-deadline letter {ref.letter_id} ready to review"
                )

    async def wait_until(
        self,
        done: Callable[[], bool],
        *,
        expires: str | None = None,
        lock: asyncio.Lock | None = None,
        poll_at: Callable[[], datetime | None] | None = None,
        poll: Callable[[], Awaitable[None]] | None = None,
    ) -> bool:
        """Wait for `done()` while the escalation ladder fires (and `poll` runs whenever
        `poll_at()` has come); False once the deadline `expires` passes."""
        while True:
            self._watched.publish_state()
            if lock is None:
                await self.fire_due_rungs()
            else:
                async with lock:
                    await self.fire_due_rungs()
            if done():
                return True
            next_poll = poll_at() if poll_at is not None else None
            if next_poll is not None and poll is not None and workflow.now() >= next_poll:
                # Runs the inquiry outside the lock; `poll` takes it to apply an answer.
                await poll()
                continue
            expiry = find_deadline(self._watched.current_deadlines(), expires) if expires else None
            if expiry is not None and is_active(expiry):
                if workflow.now() >= expiry.due_at:
                    return False
            else:
                expiry = None
            moments = [m for m in (self.plan().next_at, next_poll) if m is not None]
            if expiry is not None:
                moments.append(expiry.due_at)
            version = self.version

            def woken(version: int = version) -> bool:
                return done() or self.version != version

            self._watched.publish_before_wait()
            if not moments:
                await workflow.wait_condition(woken)
                continue
            timeout = max(min(moments) - workflow.now(), _MIN_WAIT)
            # A timeout is the next rung (or the expiry) coming due: loop and handle it.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(woken, timeout=timeout)
