"""The case logic behind `PriorAuthWorkflow`: one durable workflow per prior-authorization case.

opened -> submitted -> waiting for the payer -> (pended -> information supplied -> resubmitted)
-> decided per item -> approved (until the authorization window ends, with renewal reminders) |
adverse (appeal window: appeal, peer-to-peer, accept) -> appeal levels as child workflows ->
closed. Withdraw, assign, note and contact work in every state. Human and payer input arrive as
validated Updates; status, timeline and deadlines are Queries. All state lives in one
`CaseState`, which is what a continue-as-new carries.

`workflows/prior_auth.py` declares the workflow on this class and passes this module through the
sandbox (see docs/workflows.md, "Sandbox"): workflow rules apply here as in any workflow file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError
from temporalio.workflow import ChildWorkflowHandle

from activities.models import InquireInput, SubmitInput
from domain.appeals import AppealLevelSpec, appeal_ladder, next_level
from domain.case.facts import CaseFacts
from domain.case.messages import (
    AcceptDenialInput,
    AssignInput,
    ContactInput,
    FileAppealInput,
    NoteInput,
    PayerDecisionInput,
    PayerExtensionInput,
    PeerToPeerInput,
    SupplyInformationInput,
    WithdrawInput,
    contact_problems,
)
from domain.case.state import AppealSummary, CaseState, ItemState, NextLevelOffer
from domain.case.transition import TaskClosure, TaskSpec
from domain.case.views import CaseView, DeadlinesView, TimelineView
from domain.case.vocabulary import (
    AppealStatus,
    CaseEvent,
    CaseStatus,
    Phase,
    SubmissionKind,
    TaskKind,
)
from domain.deadlines import DeadlineEvent, DeadlineQuery
from domain.enums import ADVERSE_OUTCOMES, FINAL_OUTCOMES, ItemOutcome, Urgency
from domain.escalation import AUTHORIZATION_EXPIRY_KEY, Priority, TaskQueue
from domain.models import Appeal, CaseDeadline, Obligor
from domain.polling import next_poll_at
from workflows.appeal import AppealWorkflow
from workflows.common import ClockKeeper, end_of_day, local_date, to_case_deadline
from workflows.constants import (
    CASE_STATUS,
    NEXT_DUE_AT,
    PAYER,
    AppealSignal,
    CaseQuery,
    CaseUpdate,
    appeal_workflow_id,
)
from workflows.models import AppealInput, AppealResult, CaseInput

INITIAL_DECISION = "initial_decision"
INFORMATION_RESPONSE = "information_response"
APPEAL_WINDOW = "appeal_filing_window"
NEXT_LEVEL_WINDOW = "next_level_filing_window"

GRANTED = frozenset(
    {ItemOutcome.APPROVED, ItemOutcome.PARTIALLY_APPROVED, ItemOutcome.APPROVED_MODIFIED}
)
ATTENTION = frozenset({ItemOutcome.NEEDS_HUMAN_REVIEW, ItemOutcome.NEEDS_MANUAL_FOLLOWUP})
_OPEN_FOR_DECISIONS = {
    Phase.SUBMIT,
    Phase.AWAIT_DECISION,
    Phase.PENDED,
    Phase.ADVERSE,
    Phase.NEXT_LEVEL_OFFERED,
    Phase.AUTHORIZED,
}
_APPEALABLE = {Phase.ADVERSE, Phase.NEXT_LEVEL_OFFERED}
# While the payer's decision is awaited, the case asks the payer on `domain.polling`'s schedule.
_AWAITING = (Phase.AWAIT_DECISION, Phase.PENDED)
INQUIRY_ACTOR = "payer:inquire"
# Tasks about the payer's previous answer: a new payer decision makes them moot.
_DECISION_TASKS = (
    TaskKind.INFORMATION_REQUESTED,
    TaskKind.PAYER_NEEDS_ATTENTION,
    TaskKind.PAYER_REJECTED,
    TaskKind.ADVERSE_DECISION,
    TaskKind.PEER_TO_PEER,
    TaskKind.NEXT_LEVEL_OFFERED,
)


def summarize(items: list[ItemState]) -> tuple[CaseStatus, Phase]:
    """The case status and next phase implied by the per-item outcomes."""
    outcomes = [item.outcome for item in items]
    if any(o is None or o == ItemOutcome.PENDED for o in outcomes):
        if any(o in ATTENTION for o in outcomes):
            return CaseStatus.NEEDS_ATTENTION, Phase.AWAIT_DECISION
        if ItemOutcome.PENDED in outcomes:
            return CaseStatus.PENDED, Phase.AWAIT_DECISION
        return CaseStatus.SUBMITTED, Phase.AWAIT_DECISION
    if any(o in ATTENTION for o in outcomes):
        return CaseStatus.NEEDS_ATTENTION, Phase.AWAIT_DECISION
    granted = any(o in GRANTED for o in outcomes)
    adverse = any(o in ADVERSE_OUTCOMES for o in outcomes)
    if adverse:
        return (CaseStatus.PARTIALLY_APPROVED if granted else CaseStatus.DENIED), Phase.ADVERSE
    if granted:
        return CaseStatus.APPROVED, Phase.AUTHORIZED
    return CaseStatus.CLOSED, Phase.DONE


class PriorAuthCase(ClockKeeper):
    """The case logic; `workflows.prior_auth.PriorAuthWorkflow` declares it a workflow."""

    def __init__(self, input: CaseInput) -> None:
        self._facts: CaseFacts = input.facts
        self._options = input.options
        self._case_id = input.facts.case_id
        self._scope = "case"
        self._ladder = input.options.ladder
        self._st: CaseState = input.resume or CaseState(
            assignee=input.facts.assignee,
            items=[
                ItemState(sequence=line.sequence, code=line.code, units=line.units)
                for line in input.facts.lines
            ],
        )
        self._seq = self._st.seq
        self._deadlines = self._st.deadlines
        self._rungs_done = self._st.rungs_done
        self._timeline = self._st.timeline
        self._deadline_version = 0
        self._lock = asyncio.Lock()
        self._withdraw: WithdrawInput | None = None
        self._appeal_request: FileAppealInput | None = None
        self._child: ChildWorkflowHandle[AppealWorkflow, AppealResult] | None = None
        self._appeal_result: AppealResult | None = None
        # What the case is listed with. A fresh case started with its search attributes
        # (`workflows.start`) publishes changes only when it is about to wait; a continued run,
        # or a case started without them (before December 2026), publishes at every step, as
        # its history records (docs/workflows.md, "PHI design").
        listed = workflow.info().typed_search_attributes if input.resume is None else None
        self._sa_payer = listed is not None and listed.get(PAYER) == input.facts.payer_id
        self._sa_status: str | None = listed.get(CASE_STATUS) if listed else None
        self._sa_due: datetime | None = listed.get(NEXT_DUE_AT) if listed else None
        self._listed_at_start = self._sa_status is not None
        self._child_task: asyncio.Task[None] | None = None

    # ================================================================ run

    async def run_case(self, input: CaseInput) -> CaseView:
        if not self._st.opened:
            await self._open()
        while self._st.phase != Phase.DONE:
            if self._withdraw is not None:
                await self._withdraw_case(self._withdraw)
                break
            await self._step()
            if self._can_continue_as_new():
                self._publish_before_wait()
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    CaseInput(facts=self._facts, options=self._options, resume=self._state())
                )
        self._publish_before_wait()  # the closed case's final listing
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    async def _step(self) -> None:
        phase = self._st.phase
        if phase == Phase.SUBMIT:
            await self._submit_to_payer()
        elif phase in _AWAITING:
            # Reconciliation polls add to the history while the payer is awaited: return when
            # the server suggests it so `run` continues as new (the poll schedule is in state).
            left = self._phase_left(phase)
            await self._wait_until(
                lambda: left() or workflow.info().is_continue_as_new_suggested(),
                lock=self._lock,
            )
        elif phase in _APPEALABLE:
            window = APPEAL_WINDOW if phase == Phase.ADVERSE else NEXT_LEVEL_WINDOW
            open_ = await self._wait_until(
                lambda: self._phase_left(phase)() or self._appeal_request is not None,
                expires=window,
                lock=self._lock,
            )
            if self._withdraw is not None or self._st.phase != phase:
                return
            if self._appeal_request is not None:
                await self._start_appeal(self._appeal_request)
            elif not open_:
                await self._window_missed(window)
        elif phase == Phase.IN_APPEAL:
            await self._follow_appeal()
        elif phase == Phase.AUTHORIZED:
            if self._deadline(AUTHORIZATION_EXPIRY_KEY) is None:
                await self._finish("Approved; no authorization end date to watch")
                return
            running = await self._wait_until(
                self._phase_left(phase), expires=AUTHORIZATION_EXPIRY_KEY, lock=self._lock
            )
            if not running and self._withdraw is None and self._st.phase == phase:
                async with self._lock:
                    ended = self._close_deadline(AUTHORIZATION_EXPIRY_KEY)
                    await self._finish(
                        "The authorization period has ended", deadlines=[ended] if ended else []
                    )

    def _phase_left(self, phase: Phase) -> Callable[[], bool]:
        return lambda: self._st.phase != phase or self._withdraw is not None

    def _can_continue_as_new(self) -> bool:
        return (
            self._st.phase not in (Phase.DONE, Phase.IN_APPEAL, Phase.SUBMIT)
            and self._withdraw is None
            and workflow.info().is_continue_as_new_suggested()
        )

    # ================================================================ transitions

    async def _open(self) -> None:
        async with self._lock:
            facts = self._facts
            result = await self._compute(self._query(DeadlineEvent.INITIAL_REQUEST_DECISION))
            changed = []
            if result is not None:
                changed.append(
                    self._set_deadline(
                        to_case_deadline(
                            INITIAL_DECISION,
                            "Payer decision on the request",
                            Obligor.PAYER,
                            result,
                            facts.received_at,
                        )
                    )
                )
            self._st.opened = True
            self._st.phase = (
                Phase.SUBMIT if self._options.submit_to_payer else (Phase.AWAIT_DECISION)
            )
            await self._record(
                CaseEvent.CASE_OPENED,
                f"Case opened ({facts.regime.value}, {facts.urgency.value}, "
                f"{len(facts.lines)} item(s))",
                status=CaseStatus.OPENED,
                deadlines=changed,
                rule=result.rule if result else None,
            )

    async def _submit_to_payer(self) -> None:
        async with self._lock:
            if self._withdraw is not None or self._st.phase != Phase.SUBMIT:
                return
            kind = SubmissionKind(self._st.submission_kind)
            self._st.submissions += 1
            receipt = await self._submit(
                SubmitInput(
                    case_id=self._case_id,
                    key=f"{self._case_id}:submit:{self._st.submissions}",
                    kind=kind,
                    attachments=self._st.pending_attachments,
                )
            )
            if receipt is None:
                self._st.poll_from = None
                self._st.status = CaseStatus.NEEDS_ATTENTION
                self._st.phase = Phase.AWAIT_DECISION
                return
            self._st.pending_attachments = []
            self._st.phase = Phase.AWAIT_DECISION
            self._st.status = CaseStatus.SUBMITTED
            self._st.poll_from = workflow.now()
            self._st.last_poll_at = None
            await self._record(
                CaseEvent.SUBMITTED if kind == SubmissionKind.INITIAL else "resubmitted",
                f"{kind.value.capitalize()} submission accepted by the payer "
                f"({receipt.submission_id})",
                close_tasks=[TaskClosure(kind=TaskKind.PAYER_REJECTED, status="done")],
                details={
                    "submission_id": receipt.submission_id,
                    "payer_reference": receipt.payer_reference or "",
                },
            )

    async def _window_missed(self, window: str) -> None:
        async with self._lock:
            if self._st.phase not in _APPEALABLE:
                return
            # `_finish` closes the window (not met) with every other open deadline.
            self._st.status = CaseStatus.CLOSED
            await self._finish(
                "The appeal filing window passed without an appeal",
                event=CaseEvent.APPEAL_WINDOW_MISSED,
                tasks=[
                    self._task(
                        TaskKind.APPEAL_WINDOW_MISSED,
                        "Appeal filing window missed: review for good-cause late filing",
                        queue=TaskQueue.SUPERVISOR,
                        priority=Priority.URGENT,
                    )
                ],
            )

    async def _finish(
        self,
        reason: str,
        *,
        event: str = CaseEvent.CASE_CLOSED,
        actor: str = "system",
        tasks: list[TaskSpec] | None = None,
        close_tasks: list[TaskClosure] | None = None,
        deadlines: list[CaseDeadline] | None = None,
    ) -> None:
        """Close the case: every open deadline and (after `close_tasks`) every open task."""
        self._st.phase = Phase.DONE
        self._st.closed_reason = reason
        changed = list(deadlines or []) + [
            closed
            for d in list(self._active_deadlines())
            if (closed := self._close_deadline(d.key, met=False)) is not None
        ]
        await self._record(
            event,
            reason,
            actor=actor,
            deadlines=changed,
            tasks=tasks,
            close_tasks=[*(close_tasks or []), TaskClosure(by=actor)],
        )

    async def _withdraw_case(self, request: WithdrawInput) -> None:
        if self._st.phase == Phase.IN_APPEAL and self._child is not None:
            await self._child.signal(AppealSignal.PARENT_WITHDREW, request.reason)
            self._publish_before_wait()
            await workflow.wait_condition(lambda: self._appeal_result is not None)
        async with self._lock:
            undecided = any(item.outcome not in FINAL_OUTCOMES for item in self._st.items)
            if self._st.submissions and undecided:
                await self._submit(
                    SubmitInput(
                        case_id=self._case_id,
                        key=f"{self._case_id}:cancel",
                        kind=SubmissionKind.CANCEL,
                    )
                )
            self._st.status = CaseStatus.WITHDRAWN
            await self._finish(
                f"Withdrawn: {request.reason}", event=CaseEvent.CASE_WITHDRAWN, actor=request.actor
            )

    # ---------------------------------------------------------------- appeals

    def _level_to_file(self) -> AppealLevelSpec:
        if self._st.offer is not None:
            for spec in appeal_ladder(self._facts.regime, self._facts.appeal_levels):
                if spec.level == self._st.offer.level:
                    return spec
        return appeal_ladder(self._facts.regime, self._facts.appeal_levels)[0]

    def _adverse_sequences(self) -> list[int]:
        return [i.sequence for i in self._st.items if i.outcome in ADVERSE_OUTCOMES]

    async def _start_appeal(self, request: FileAppealInput, *, auto: bool = False) -> None:
        async with self._lock:
            spec = self._level_to_file()
            window_key = NEXT_LEVEL_WINDOW if self._st.offer is not None else APPEAL_WINDOW
            window = None if auto else self._deadline(window_key)
            if window is not None and (window.met_at is not None or window.superseded):
                window = None
            sequences = request.sequences or self._adverse_sequences()
            anchor = window.starts_at if window is not None and window.starts_at else None
            expedited = request.expedited or self._facts.urgency == Urgency.EXPEDITED
            workflow_id = appeal_workflow_id(self._case_id, spec.number)
            status = AppealStatus.SUBMITTED if auto else AppealStatus.DRAFTING
            self._st.offer = None
            self._st.phase = Phase.IN_APPEAL
            self._st.status = CaseStatus.IN_APPEAL
            if window is not None:
                # The filing window goes to the appeal workflow as it is (same key, still open):
                # it escalates it and marks it met when the appeal reaches the payer.
                self._hand_over_deadline(window_key)
            # The store learns of the appeal before its workflow starts: from here on only the
            # appeal workflow writes its row, so no older state can overwrite a newer one.
            await self._record(
                CaseEvent.APPEAL_FORWARDED if auto else CaseEvent.APPEAL_FILED,
                f"{spec.title} "
                + ("forwarded automatically" if auto else f"requested by {request.actor}"),
                actor=request.actor,
                close_tasks=[
                    TaskClosure(kind=TaskKind.ADVERSE_DECISION, status="done", by=request.actor),
                    TaskClosure(kind=TaskKind.NEXT_LEVEL_OFFERED, status="done", by=request.actor),
                    TaskClosure(kind=TaskKind.PEER_TO_PEER),
                ],
                appeal=Appeal(
                    level=spec.level,
                    number=spec.number,
                    expedited=expedited,
                    status=status,
                    sequences=sequences,
                    arguments=request.arguments,
                    requested_peer_to_peer=self._st.peer_to_peer_requested,
                )
                if sequences
                else None,
                details={"level": spec.level.value, "workflow_id": workflow_id},
            )
            self._child = await workflow.start_child_workflow(
                AppealWorkflow.run,
                AppealInput(
                    facts=self._facts,
                    level=spec.level,
                    number=spec.number,
                    sequences=sequences,
                    notice_date=local_date(anchor or workflow.now(), self._facts.payer_timezone),
                    filing_due=window,
                    expedited=expedited,
                    auto_forwarded=auto,
                    arguments=request.arguments,
                    requested_by=request.actor,
                    requested_peer_to_peer=self._st.peer_to_peer_requested,
                    ladder=self._ladder,
                    rungs_done=[k for k in self._rungs_done if k.startswith(f"{window_key}@")]
                    if window is not None
                    else [],
                ),
                id=workflow_id,
            )
            self._st.appeals.append(
                AppealSummary(
                    level=spec.level,
                    number=spec.number,
                    workflow_id=workflow_id,
                    status=status,
                    auto_forwarded=auto,
                )
            )
            self._appeal_result = None
            self._child_task = asyncio.create_task(self._collect_appeal(self._child))
            # `file_appeal` returns now: the appeal is in the store and its workflow runs.
            self._appeal_request = None

    async def _collect_appeal(
        self, child: ChildWorkflowHandle[AppealWorkflow, AppealResult]
    ) -> None:
        self._appeal_result = await child

    async def _follow_appeal(self) -> None:
        self._publish_before_wait()
        await workflow.wait_condition(
            lambda: self._appeal_result is not None or self._withdraw is not None
        )
        result = self._appeal_result
        if self._withdraw is not None or result is None:
            return
        async with self._lock:
            await self._apply_appeal_result(result)
        offer = self._st.offer
        if offer is not None and offer.auto_forwarded and self._st.phase != Phase.DONE:
            await self._start_appeal(
                FileAppealInput(actor="system", sequences=self._adverse_sequences() or None),
                auto=True,
            )

    async def _apply_appeal_result(self, result: AppealResult) -> None:
        summary = self._st.appeals[-1]
        self._st.appeals[-1] = summary.model_copy(
            update={
                "status": result.status,
                "filed_at": result.filed_at,
                "decided_at": result.decided_at,
                "letter_id": result.letter_id,
            }
        )
        if result.status in (AppealStatus.OVERTURNED, AppealStatus.PARTIALLY_OVERTURNED):
            decided = {item.sequence: item for item in result.items}
            for index, item in enumerate(self._st.items):
                if item.sequence in decided:
                    self._st.items[index] = item.apply(
                        decided[item.sequence], result.decision_id or "appeal", result.decided_at
                    )
                elif result.status == AppealStatus.OVERTURNED and item.outcome in ADVERSE_OUTCOMES:
                    self._st.items[index] = item.model_copy(
                        update={
                            "outcome": ItemOutcome.APPROVED,
                            "decision_id": result.decision_id,
                            "approved_units": item.units,
                        }
                    )
            status, phase = summarize(self._st.items)
            if phase == Phase.AUTHORIZED:
                self._st.status, self._st.phase = status, phase
                changed = self._authorization_deadline()
                await self._record(
                    CaseEvent.APPEAL_OVERTURNED,
                    f"Appeal level {result.number} overturned the denial: approved",
                    deadlines=changed,
                )
                return
        if result.status in (
            AppealStatus.UPHELD,
            AppealStatus.PARTIALLY_OVERTURNED,
        ):
            await self._offer_next_level(result)
            return
        self._st.status = CaseStatus.CLOSED
        reason = {
            AppealStatus.WITHDRAWN: "The appeal was withdrawn",
            AppealStatus.EXPIRED: "The appeal was not signed before its filing window closed",
        }.get(result.status, f"Appeal ended: {result.status.value}")
        await self._finish(reason)

    async def _offer_next_level(self, result: AppealResult) -> None:
        spec = next_level(self._facts.regime, result.level, self._facts.appeal_levels)
        self._st.status = CaseStatus.DENIED
        if spec is None:
            self._st.status = CaseStatus.CLOSED
            await self._finish(f"Appeal level {result.number} upheld; no further level to offer")
            return
        decided_at = result.decided_at or workflow.now()
        filing_due: CaseDeadline | None = None
        if spec.filing_event is not None and not spec.auto_forwarded:
            found = await self._compute(
                self._query(
                    DeadlineEvent(spec.filing_event),
                    received_at=decided_at,
                    notice_date=local_date(decided_at, self._facts.payer_timezone),
                )
            )
            if found is not None:
                filing_due = self._set_deadline(
                    to_case_deadline(
                        NEXT_LEVEL_WINDOW,
                        f"File the {spec.title.lower()}",
                        Obligor.PROVIDER,
                        found,
                        decided_at,
                    )
                )
        self._st.offer = NextLevelOffer(
            level=spec.level,
            number=spec.number,
            title=spec.title,
            decided_by=spec.decided_by,
            auto_forwarded=spec.auto_forwarded,
            filing_due=filing_due,
        )
        self._st.phase = Phase.IN_APPEAL if spec.auto_forwarded else Phase.NEXT_LEVEL_OFFERED
        await self._record(
            CaseEvent.APPEAL_UPHELD,
            f"Appeal level {result.number} upheld; next: {spec.title}"
            + (" (forwarded automatically)" if spec.auto_forwarded else ""),
            deadlines=[filing_due] if filing_due else [],
            rule=filing_due.rule if filing_due else None,
            tasks=[]
            if spec.auto_forwarded
            else [
                self._task(
                    TaskKind.NEXT_LEVEL_OFFERED,
                    f"Appeal upheld: decide whether to request the {spec.title.lower()}",
                    priority=Priority.HIGH,
                    due_at=filing_due.due_at if filing_due else None,
                )
            ],
        )

    # ---------------------------------------------------------------- deadlines

    def _query(self, event: DeadlineEvent, **changes: object) -> DeadlineQuery:
        return self._facts.deadline_query(
            event, **{"extension_taken": self._st.extension_taken, **changes}
        )

    def _authorization_deadline(self) -> list[CaseDeadline]:
        ends = [
            item.authorized_end
            for item in self._st.items
            if item.outcome in GRANTED and item.authorized_end is not None
        ]
        if not ends:
            return []
        last = max(ends)
        return [
            self._set_deadline(
                CaseDeadline(
                    key=AUTHORIZATION_EXPIRY_KEY,
                    label="Authorization period ends",
                    obligor=Obligor.PROVIDER,
                    due_at=end_of_day(last, self._facts.payer_timezone),
                    rule="Payer authorization (validity window)",
                    rule_id="payer-authorization-window",
                    convention="end_of_day_local",
                    explanation="Renew or extend the authorization before it lapses.",
                    starts_at=workflow.now(),
                )
            )
        ]

    def _publish_state(self) -> None:
        if not self._listed_at_start:
            self._upsert_changes()

    def _publish_before_wait(self) -> None:
        if self._listed_at_start:
            self._upsert_changes()

    def _upsert_changes(self) -> None:
        """Upsert the search attributes that changed (status, next due moment; payer once)."""
        updates: list[SearchAttributeUpdate[Any]] = []
        if not self._sa_payer:
            self._sa_payer = True
            updates.append(PAYER.value_set(self._facts.payer_id))
        if self._sa_status != self._st.status.value:
            self._sa_status = self._st.status.value
            updates.append(CASE_STATUS.value_set(self._st.status.value))
        due = self._next_due_at()
        if due != self._sa_due:
            self._sa_due = due
            updates.append(NEXT_DUE_AT.value_set(due) if due else NEXT_DUE_AT.value_unset())
        if updates:
            workflow.upsert_search_attributes(updates)

    def _current_status(self) -> CaseStatus:
        return self._st.status

    def _assignee(self) -> str | None:
        return self._st.assignee

    # ================================================================ reconciliation polls

    def _next_poll_at(self) -> datetime | None:
        """The next inquiry while a submitted request awaits the payer; None once the payer's
        decision clock has passed (the escalation ladder has that case) or nothing is awaited."""
        st = self._st
        if st.poll_from is None or st.phase not in _AWAITING or self._withdraw is not None:
            return None
        at = next_poll_at(st.poll_from, st.last_poll_at, self._options.polling)
        clock = [d.due_at for d in self._active_deadlines() if d.key == INITIAL_DECISION]
        if clock and at >= clock[0]:
            return None
        return at

    async def _poll_payer(self) -> None:
        """Ask the payer for the current decision (reconciliation for a lost notification).

        The inquiry runs outside the lock so updates are not held up; an answer is applied
        under the lock through the same path as `record_payer_decision` (dedupe by decision
        id, the stale-decision rule), so a notification applied meanwhile wins if newer.
        """
        st = self._st
        st.last_poll_at = workflow.now()
        st.polls += 1
        try:
            found = await self._inquire(
                InquireInput(
                    case_id=self._case_id,
                    key=f"{self._case_id}:inquire:{st.submissions}:{st.polls}",
                    kind=SubmissionKind(st.submission_kind),
                )
            )
        except ActivityError:
            # The payer channel cannot be asked (it only pushes answers): stop polling.
            st.poll_from = None
            return
        if found is None:
            return
        async with self._lock:
            polled = PayerDecisionInput(decision=found)
            if self._decision_problem(polled) is not None:
                return
            await self._apply_payer_decision(polled, actor=INQUIRY_ACTOR)

    # ================================================================ payer updates

    @workflow.update(name=CaseUpdate.PAYER_DECISION)
    async def record_payer_decision(self, input: PayerDecisionInput) -> CaseView:
        async with self._lock:
            return await self._apply_payer_decision(input, actor=input.actor)

    async def _apply_payer_decision(
        self, input: PayerDecisionInput, *, actor: str | None = None
    ) -> CaseView:
        """Apply one payer response (the caller holds the lock); `actor` (the credential that
        delivered it) defaults to the decision's channel (`payer:<source>`)."""
        decision = input.decision
        actor = actor or f"payer:{decision.source.value}"
        if decision.decision_id in self._st.decision_ids or self._st.phase == Phase.DONE:
            return self._view()
        self._st.decision_ids.append(decision.decision_id)
        # Payer messages can arrive out of order (a synchronous "pended" answer delivered
        # after the final decision's notification): an item keeps its newer decision.
        current = {item.sequence: item for item in self._st.items}
        by_sequence = {
            item.sequence: item
            for item in decision.items
            if current[item.sequence].is_newer(decision.decided_at)
        }
        if not by_sequence:
            await self._record(
                CaseEvent.PAYER_DECISION_STALE,
                f"Payer decision {decision.decision_id} is older than the decision already "
                "applied: kept for the record, not applied",
                actor=actor,
                decision=decision,
            )
            return self._view()
        self._st.items = [
            item.apply(by_sequence[item.sequence], decision.decision_id, decision.decided_at)
            if item.sequence in by_sequence
            else item
            for item in self._st.items
        ]
        status, phase = summarize(self._st.items)
        changed: list[CaseDeadline] = []
        tasks: list[TaskSpec] = []
        outcomes = {item.resolved_outcome for item in by_sequence.values()}
        pended = ItemOutcome.PENDED in outcomes
        if phase not in _APPEALABLE:
            for window in (APPEAL_WINDOW, NEXT_LEVEL_WINDOW):
                changed += [d for d in [self._close_deadline(window, met=False)] if d]
        if phase != Phase.AWAIT_DECISION:
            changed += [d for d in [self._close_deadline(INITIAL_DECISION)] if d]
            changed += [d for d in [self._close_deadline(INFORMATION_RESPONSE, met=False)] if d]
            self._st.rfi = None
        if pended and input.information_request is not None:
            phase = Phase.PENDED
            self._st.rfi = input.information_request
            respond_by = input.information_request.respond_by
            tasks.append(
                self._task(
                    TaskKind.INFORMATION_REQUESTED,
                    "Payer requests more information: "
                    + "; ".join(input.information_request.items_requested),
                    priority=Priority.HIGH,
                    due_at=respond_by,
                )
            )
            if respond_by is not None:
                changed.append(
                    self._set_deadline(
                        CaseDeadline(
                            key=INFORMATION_RESPONSE,
                            label="Answer the payer's request for information",
                            obligor=Obligor.PROVIDER,
                            due_at=respond_by,
                            rule="Payer's request for information",
                            rule_id="payer-rfi",
                            convention="payer_date",
                            explanation="The date the payer gave in its request.",
                            starts_at=input.information_request.requested_at,
                        )
                    )
                )
        if outcomes & ATTENTION:
            tasks.append(
                self._task(
                    TaskKind.PAYER_NEEDS_ATTENTION,
                    "Payer response needs a person: contact the payer or review the action code",
                    queue=TaskQueue.UR,
                    priority=Priority.HIGH,
                )
            )
        if phase == Phase.ADVERSE:
            changed += await self._appeal_window(decision.decided_at, decision.notice_date)
            tasks.append(
                self._task(
                    TaskKind.ADVERSE_DECISION,
                    "Adverse decision: appeal, request a peer-to-peer review, or accept",
                    priority=Priority.HIGH,
                )
            )
        if phase == Phase.AUTHORIZED:
            changed += self._authorization_deadline()
        if phase not in _AWAITING:
            self._st.poll_from = None  # decided: nothing left to ask the payer about
        self._st.status, self._st.phase = status, phase
        await self._record(
            CaseEvent.PAYER_DECISION,
            f"Payer decision {decision.decision_id}: "
            + ", ".join(f"item {i.sequence} {i.resolved_outcome.value}" for i in decision.items),
            actor=actor,
            decision=decision,
            deadlines=changed,
            tasks=tasks,
            close_tasks=[TaskClosure(kind=kind) for kind in _DECISION_TASKS],
        )
        if phase == Phase.DONE:
            self._st.status = CaseStatus.CLOSED
            await self._finish("No authorization needed or the request was cancelled")
        return self._view()

    @record_payer_decision.validator
    def _validate_payer_decision(self, input: PayerDecisionInput) -> None:
        problem = self._decision_problem(input)
        if problem is not None:
            raise ValueError(problem)

    def _decision_problem(self, input: PayerDecisionInput) -> str | None:
        """Why the case cannot take this payer decision now (None: it can, or a duplicate)."""
        if input.decision.decision_id in self._st.decision_ids:
            return None  # a duplicate delivery is accepted and changes nothing
        if self._st.phase not in _OPEN_FOR_DECISIONS:
            return f"the case does not accept payer decisions while {self._st.phase}"
        known = {item.sequence for item in self._st.items}
        unknown = sorted({i.sequence for i in input.decision.items} - known)
        if unknown:
            return f"decision names items the case does not have: {unknown}"
        return None

    async def _appeal_window(
        self, decided_at: datetime, notice_date: date | None
    ) -> list[CaseDeadline]:
        notice = notice_date or local_date(decided_at, self._facts.payer_timezone)
        found = await self._compute(
            self._query(
                DeadlineEvent.APPEAL_FILING_WINDOW, received_at=decided_at, notice_date=notice
            )
        )
        if found is None:
            return []
        return [
            self._set_deadline(
                to_case_deadline(
                    APPEAL_WINDOW, "File the appeal", Obligor.PROVIDER, found, decided_at
                )
            )
        ]

    @workflow.update(name=CaseUpdate.PAYER_EXTENSION)
    async def record_payer_extension(self, input: PayerExtensionInput) -> CaseView:
        async with self._lock:
            if input.notice_id in self._st.extension_ids:
                return self._view()
            self._st.extension_ids.append(input.notice_id)
            current = self._deadline(INITIAL_DECISION)
            moved: CaseDeadline | None = None
            if input.new_due_at is not None and current is not None:
                moved = current.model_copy(
                    update={
                        "due_at": input.new_due_at,
                        "rule": f"Payer notice {input.notice_id} ({current.rule})",
                        "convention": "payer_date",
                    }
                )
            else:
                self._st.extension_taken = True
                found = await self._compute(
                    self._query(DeadlineEvent.INITIAL_REQUEST_DECISION, extension_taken=True)
                )
                if found is not None:
                    moved = to_case_deadline(
                        INITIAL_DECISION,
                        "Payer decision on the request (extended)",
                        Obligor.PAYER,
                        found,
                        self._facts.received_at,
                    )
            changed = [self._set_deadline(moved)] if moved is not None else []
            await self._record(
                CaseEvent.PAYER_EXTENSION,
                f"Payer extension {input.notice_id}: decision now due "
                + (moved.due_at.isoformat() if moved else "(unknown)"),
                actor="payer",
                deadlines=changed,
                rule=moved.rule if moved else None,
                details={"old_due_at": current.due_at.isoformat() if current else ""},
            )
            return self._view()

    @record_payer_extension.validator
    def _validate_extension(self, input: PayerExtensionInput) -> None:
        if input.notice_id in self._st.extension_ids:
            return
        if self._st.phase not in (Phase.SUBMIT, Phase.AWAIT_DECISION, Phase.PENDED):
            raise ValueError("an extension applies only while the payer's decision is awaited")
        if input.new_due_at is not None and input.new_due_at <= workflow.now():
            raise ValueError("new_due_at is in the past")

    # ================================================================ human updates

    @workflow.update(name=CaseUpdate.SUPPLY_INFORMATION)
    async def supply_information(self, input: SupplyInformationInput) -> CaseView:
        async with self._lock:
            if input.submission_id in self._st.supply_ids:
                return self._view()
            self._st.supply_ids.append(input.submission_id)
            self._st.pending_attachments = input.attachments
            self._st.submission_kind = SubmissionKind.RESUBMISSION.value
            changed = [d for d in [self._close_deadline(INFORMATION_RESPONSE)] if d]
            rfi = self._st.rfi
            if rfi is not None:
                found = await self._compute(
                    self._query(
                        DeadlineEvent.PENDING_INFORMATION_DECISION,
                        info_request_sent_at=rfi.requested_at,
                        claimant_response_at=workflow.now(),
                        all_information_received_at=workflow.now(),
                    ),
                    required=False,
                )
                if found is not None:
                    changed.append(
                        self._set_deadline(
                            to_case_deadline(
                                INITIAL_DECISION,
                                "Payer decision after the information was supplied",
                                Obligor.PAYER,
                                found,
                                workflow.now(),
                            )
                        )
                    )
            self._st.rfi = None
            self._st.phase = Phase.SUBMIT
            await self._record(
                CaseEvent.INFORMATION_SUPPLIED,
                f"{len(input.attachments)} document(s) supplied for the payer's request",
                actor=input.actor,
                deadlines=changed,
                close_tasks=[
                    TaskClosure(kind=TaskKind.INFORMATION_REQUESTED, status="done", by=input.actor)
                ],
            )
        await workflow.wait_condition(lambda: self._st.phase != Phase.SUBMIT)
        return self._view()

    @supply_information.validator
    def _validate_supply(self, input: SupplyInformationInput) -> None:
        if input.submission_id in self._st.supply_ids:
            return
        if self._st.phase != Phase.PENDED:
            raise ValueError("the payer has not asked for information")

    @workflow.update(name=CaseUpdate.FILE_APPEAL)
    async def file_appeal(self, input: FileAppealInput) -> CaseView:
        self._appeal_request = input
        await workflow.wait_condition(
            lambda: self._appeal_request is None or self._st.phase == Phase.DONE
        )
        return self._view()

    @file_appeal.validator
    def _validate_file_appeal(self, input: FileAppealInput) -> None:
        if self._st.phase not in _APPEALABLE:
            raise ValueError(f"nothing to appeal while the case is {self._st.status.value}")
        if self._appeal_request is not None:
            raise ValueError("an appeal is already being filed")
        if input.sequences is not None:
            extra = sorted(set(input.sequences) - set(self._adverse_sequences()))
            if extra or not input.sequences:
                raise ValueError(f"only adverse items can be appealed (not {extra})")

    @workflow.update(name=CaseUpdate.REQUEST_PEER_TO_PEER)
    async def request_peer_to_peer(self, input: PeerToPeerInput) -> CaseView:
        async with self._lock:
            self._st.peer_to_peer_requested = True
            await self._record(
                CaseEvent.PEER_TO_PEER_REQUESTED,
                "Peer-to-peer review requested with a physician reviewer",
                actor=input.actor,
                tasks=[
                    self._task(
                        TaskKind.PEER_TO_PEER,
                        "Schedule the peer-to-peer review (ask for a physician reviewer; "
                        "prepare the one-page brief)",
                        queue=TaskQueue.UR,
                        priority=Priority.HIGH,
                        due_at=workflow.now() + timedelta(days=2),
                    )
                ],
                details={"windows": "; ".join(input.preferred_windows)},
            )
            return self._view()

    @request_peer_to_peer.validator
    def _validate_p2p(self, input: PeerToPeerInput) -> None:
        if self._st.phase not in _APPEALABLE:
            raise ValueError("a peer-to-peer review follows an adverse decision")

    @workflow.update(name=CaseUpdate.ACCEPT_DENIAL)
    async def accept_denial(self, input: AcceptDenialInput) -> CaseView:
        async with self._lock:
            if self._st.phase in _APPEALABLE:
                self._st.status = CaseStatus.CLOSED
                await self._finish(
                    f"Decision accepted: {input.reason}",
                    event=CaseEvent.DENIAL_ACCEPTED,
                    actor=input.actor,
                    close_tasks=[
                        TaskClosure(kind=kind, status="done", by=input.actor)
                        for kind in (TaskKind.ADVERSE_DECISION, TaskKind.NEXT_LEVEL_OFFERED)
                    ],
                )
            return self._view()

    @accept_denial.validator
    def _validate_accept(self, input: AcceptDenialInput) -> None:
        if self._st.phase not in _APPEALABLE:
            raise ValueError("there is no adverse decision to accept")

    @workflow.update(name=CaseUpdate.WITHDRAW)
    async def withdraw(self, input: WithdrawInput) -> CaseView:
        if self._withdraw is None:
            self._withdraw = input
        await workflow.wait_condition(lambda: self._st.phase == Phase.DONE)
        return self._view()

    @withdraw.validator
    def _validate_withdraw(self, input: WithdrawInput) -> None:
        if self._st.phase == Phase.DONE:
            raise ValueError("the case is already closed")

    @workflow.update(name=CaseUpdate.ASSIGN)
    async def assign(self, input: AssignInput) -> CaseView:
        async with self._lock:
            previous = self._st.assignee
            self._st.assignee = input.assignee
            await self._record(
                CaseEvent.ASSIGNED,
                f"Assigned to {input.assignee}" + (f" (was {previous})" if previous else ""),
                actor=input.actor,
            )
            return self._view()

    @assign.validator
    def _validate_assign(self, input: AssignInput) -> None:
        self._require_open()

    @workflow.update(name=CaseUpdate.ADD_NOTE)
    async def add_note(self, input: NoteInput) -> CaseView:
        async with self._lock:
            await self._record(
                CaseEvent.NOTE, "Note added", actor=input.actor, details={"text": input.text}
            )
            return self._view()

    @add_note.validator
    def _validate_note(self, input: NoteInput) -> None:
        self._require_open()

    @workflow.update(name=CaseUpdate.RECORD_CONTACT)
    async def record_contact(self, input: ContactInput) -> CaseView:
        contact = input.contact
        async with self._lock:
            await self._record(
                CaseEvent.CONTACT,
                f"{contact.direction.value.capitalize()} {contact.channel.value}"
                + (f" ref {contact.reference_number}" if contact.reference_number else ""),
                actor=input.actor,
                contact=contact,
            )
            return self._view()

    @record_contact.validator
    def _validate_contact(self, input: ContactInput) -> None:
        self._require_open()
        for field, problem in contact_problems(input.contact, workflow.now()).items():
            raise ValueError(f"{field} {problem}")

    def _require_open(self) -> None:
        if self._st.phase == Phase.DONE:
            raise ValueError("the case is closed")

    # ================================================================ queries

    @workflow.query(name=CaseQuery.STATUS)
    def status(self) -> CaseView:
        return self._view()

    @workflow.query(name=CaseQuery.TIMELINE)
    def timeline(self) -> TimelineView:
        return TimelineView(case_id=self._case_id, entries=list(self._timeline))

    @workflow.query(name=CaseQuery.DEADLINES)
    def deadlines(self) -> DeadlinesView:
        plan = self._rung_plan()
        return DeadlinesView(
            case_id=self._case_id,
            deadlines=list(self._deadlines),
            next_escalation_at=plan.next_at,
            next_escalation=plan.next_rung.key if plan.next_rung else None,
            rungs_done=list(self._rungs_done),
        )

    def _state(self) -> CaseState:
        return self._st.model_copy(
            update={
                "seq": self._seq,
                "deadlines": list(self._deadlines),
                "rungs_done": list(self._rungs_done),
                "timeline": list(self._timeline),
            }
        )

    def _view(self) -> CaseView:
        st = self._st
        return CaseView(
            case_id=self._case_id,
            status=st.status,
            phase=st.phase,
            assignee=st.assignee,
            items=list(st.items),
            information_request=st.rfi,
            appeals=list(st.appeals),
            next_level_offer=st.offer,
            peer_to_peer_requested=st.peer_to_peer_requested,
            next_due_at=self._next_due_at(),
            closed_reason=st.closed_reason,
            decision_ids=list(st.decision_ids),
        )
