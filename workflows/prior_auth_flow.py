"""The case logic behind `PriorAuthWorkflow`: one durable workflow per prior-authorization case.

opened -> submitted -> waiting for the payer -> (pended -> information supplied -> resubmitted)
-> decided per item -> approved (until the authorization window ends, with renewal reminders) |
adverse (appeal window: appeal, peer-to-peer, accept) -> appeal levels as child workflows ->
closed. Withdraw, assign, note and contact work in every state. Human and payer input arrive as
validated Updates; status, timeline and deadlines are Queries.

Every step reads the same way: validate (`domain.case.prior_auth_rules`) -> ask the deadline
engine what the step needs (a local activity; no rule: a `deadline_unknown` step of its own) ->
`domain.case.prior_auth.on_<event>` (pure: new state and the `Transition`) -> record the
`Transition` in one activity. All state lives in one `CaseState` (deadlines included), which is
what a continue-as-new carries; the record (`Recorder`) and the escalation ladder (`Clocks`) are
objects the workflow holds.

`workflows/prior_auth.py` declares the workflow on this class and passes this module through the
sandbox (see docs/workflows.md, "Sandbox"): workflow rules apply here as in any workflow file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from activities.models import InquireInput, SubmitInput
    from domain.case import prior_auth as case
    from domain.case import prior_auth_appeals as appeals
    from domain.case import prior_auth_payer as payer
    from domain.case import prior_auth_rules as rules
    from domain.case.appeal_result import AppealResult
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
        UnitsUsedInput,
        WithdrawInput,
    )
    from domain.case.prior_auth import INQUIRY_ACTOR
    from domain.case.prior_auth_rules import APPEAL_WINDOW, APPEALABLE, AWAITING, NEXT_LEVEL_WINDOW
    from domain.case.state import CaseState
    from domain.case.step import (
        Stamp,
        deadline_unknown,
        find_deadline,
        next_due_at,
        payer_rejected,
    )
    from domain.case.transition import Transition
    from domain.case.views import CaseView, DeadlinesView, TimelineView
    from domain.case.vocabulary import CaseStatus, Phase, SubmissionKind
    from domain.deadlines import DeadlineQuery, DeadlineResult
    from domain.enums import FINAL_OUTCOMES
    from domain.escalation import AUTHORIZATION_EXPIRY_KEY
    from domain.models import CaseDeadline
    from workflows.constants import (
        CASE_STATUS,
        NEXT_DUE_AT,
        PAYER,
        AppealSignal,
        CaseQuery,
        CaseUpdate,
        appeal_workflow_id,
    )
    from workflows.models import AppealInput, CaseInput
from workflows import calls
from workflows.appeal import AppealWorkflow
from workflows.clocks import Clocks, Recorder


def _check(problem: str | None) -> None:
    if problem is not None:
        raise ValueError(problem)


class PriorAuthCase:
    """The case logic; `workflows.prior_auth.PriorAuthWorkflow` declares it a workflow."""

    def __init__(self, input: CaseInput) -> None:
        self._facts: CaseFacts = input.facts
        self._options = input.options
        self._case_id = input.facts.case_id
        self._st: CaseState = input.resume or case.initial_state(input.facts)
        self._rec = Recorder(
            self, self._case_id, "case", seq=self._st.seq, timeline=self._st.timeline
        )
        self._clocks = Clocks(self, self._rec, input.options.ladder, rungs_done=self._st.rungs_done)
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
                self.publish_before_wait()
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    CaseInput(facts=self._facts, options=self._options, resume=self._state())
                )
        self.publish_before_wait()  # the closed case's final listing
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    async def _step(self) -> None:
        phase = self._st.phase
        if phase == Phase.SUBMIT:
            await self._submit_to_payer()
        elif phase in AWAITING:
            # Reconciliation polls add to the history while the payer is awaited: return when
            # the server suggests it so `run` continues as new (the poll schedule is in state).
            left = self._phase_left(phase)
            await self._clocks.wait_until(
                lambda: left() or workflow.info().is_continue_as_new_suggested(),
                lock=self._lock,
                poll_at=self._next_poll_at,
                poll=self._poll_payer,
            )
        elif phase in APPEALABLE:
            window = APPEAL_WINDOW if phase == Phase.ADVERSE else NEXT_LEVEL_WINDOW
            open_ = await self._clocks.wait_until(
                lambda: self._phase_left(phase)() or self._appeal_request is not None,
                expires=window,
                lock=self._lock,
            )
            if self._withdraw is not None or self._st.phase != phase:
                return
            if self._appeal_request is not None:
                await self._start_appeal(self._appeal_request)
            elif not open_:
                async with self._lock:
                    await self._apply(*case.on_window_missed(self._st, self._rec.stamp()))
        elif phase == Phase.IN_APPEAL:
            await self._follow_appeal()
        elif phase == Phase.AUTHORIZED:
            if find_deadline(self._st.deadlines, AUTHORIZATION_EXPIRY_KEY) is None:
                await self._apply(*case.on_nothing_to_watch(self._st, self._rec.stamp()))
                return
            running = await self._clocks.wait_until(
                self._phase_left(phase), expires=AUTHORIZATION_EXPIRY_KEY, lock=self._lock
            )
            if not running and self._withdraw is None and self._st.phase == phase:
                async with self._lock:
                    await self._apply(*case.on_authorization_ended(self._st, self._rec.stamp()))

    def _phase_left(self, phase: Phase) -> Callable[[], bool]:
        return lambda: self._st.phase != phase or self._withdraw is not None

    def _can_continue_as_new(self) -> bool:
        return (
            self._st.phase not in (Phase.DONE, Phase.IN_APPEAL, Phase.SUBMIT)
            and self._withdraw is None
            and workflow.info().is_continue_as_new_suggested()
        )

    # ================================================================ recording a step

    async def _apply(self, state: CaseState, transition: Transition | None) -> None:
        """Take the step's new state and record its transition (None: nothing happened)."""
        self._st = state
        if transition is None:
            return
        if transition.deadlines:
            self._clocks.changed()
        await self._rec.record(transition)

    def _show(self, state: CaseState) -> None:
        """The case as it stands part-way through a step (before the engine is asked)."""
        if state.deadlines != self._st.deadlines:
            self._clocks.changed()
        self._st = state

    async def _ask(
        self, question: DeadlineQuery | None, *, during: CaseState | None = None
    ) -> DeadlineResult | None:
        """The deadline engine's answer; when no rule applies, a `deadline_unknown` step (a UR
        task to set the clock by hand) is recorded before the step that asked, with the case
        as it stands `during` that step (default: as it is)."""
        if question is None:
            return None
        found = await calls.compute_deadline(question)
        if found is None:
            state = during or self._st
            await self._rec.record(deadline_unknown(self._stamp(), question, state=state))
        return found

    def _stamp(self) -> Stamp:
        return self._rec.stamp()

    # ================================================================ opening and submitting

    async def _open(self) -> None:
        async with self._lock:
            found = await self._ask(case.opening_query(self._st, self._facts))
            continuity = None
            question = case.continuity_query(self._facts)
            if question is not None:  # no rule (a change of plan before 2024): nothing to hold
                continuity = await calls.compute_deadline(question)
            await self._apply(
                *case.on_opened(
                    self._st,
                    self._facts,
                    self._stamp(),
                    found,
                    submit_to_payer=self._options.submit_to_payer,
                    continuity=continuity,
                )
            )

    async def _submit_to_payer(self) -> None:
        async with self._lock:
            if self._withdraw is not None or self._st.phase != Phase.SUBMIT:
                return
            self._st, kind, number = case.on_submission_started(self._st)
            receipt = await calls.submit(
                SubmitInput(
                    case_id=self._case_id,
                    key=f"{self._case_id}:submit:{number}",
                    kind=kind,
                    attachments=self._st.pending_attachments,
                )
            )
            if isinstance(receipt, str):
                await self._rec.record(payer_rejected(self._stamp(), kind, receipt, state=self._st))
                self._st = case.on_submission_rejected(self._st)
                return
            await self._apply(
                *case.on_submitted(
                    self._st, self._stamp(), kind, receipt.submission_id, receipt.payer_reference
                )
            )

    async def _withdraw_case(self, request: WithdrawInput) -> None:
        if self._st.phase == Phase.IN_APPEAL and self._child is not None:
            await self._child.signal(AppealSignal.PARENT_WITHDREW, request.reason)
            self.publish_before_wait()
            await workflow.wait_condition(lambda: self._appeal_result is not None)
        async with self._lock:
            undecided = any(item.outcome not in FINAL_OUTCOMES for item in self._st.items)
            if self._st.submissions and undecided:
                refused = await calls.submit(
                    SubmitInput(
                        case_id=self._case_id,
                        key=f"{self._case_id}:cancel",
                        kind=SubmissionKind.CANCEL,
                    )
                )
                if isinstance(refused, str):
                    await self._rec.record(
                        payer_rejected(
                            self._stamp(), SubmissionKind.CANCEL, refused, state=self._st
                        )
                    )
            await self._apply(*case.on_withdrawn(self._st, request, self._stamp()))

    # ---------------------------------------------------------------- appeals

    async def _start_appeal(self, request: FileAppealInput, *, auto: bool = False) -> None:
        async with self._lock:
            filing = appeals.plan_appeal(self._st, self._facts, request, auto=auto)
            workflow_id = appeal_workflow_id(self._case_id, filing.spec.number)
            if filing.window is not None:
                self._clocks.changed()  # the window's clock goes to the appeal workflow
            await self._apply(
                *appeals.on_appeal_filed(
                    self._st, filing, request, workflow_id=workflow_id, stamp=self._stamp()
                )
            )
            window_key = filing.window_key
            self._child = await workflow.start_child_workflow(
                AppealWorkflow.run,
                AppealInput(
                    facts=self._facts,
                    level=filing.spec.level,
                    number=filing.spec.number,
                    sequences=filing.sequences,
                    notice_date=filing.notice_date(self._facts, workflow.now()),
                    filing_due=filing.window,
                    expedited=filing.expedited,
                    auto_forwarded=auto,
                    arguments=request.arguments,
                    exhibits=request.exhibits,
                    requested_by=request.actor,
                    requested_peer_to_peer=self._st.peer_to_peer_requested,
                    ladder=self._clocks.ladder,
                    rungs_done=[
                        k for k in self._clocks.rungs_done if k.startswith(f"{window_key}@")
                    ]
                    if filing.window is not None
                    else [],
                ),
                id=workflow_id,
            )
            self._st = appeals.on_appeal_started(self._st, filing, workflow_id)
            self._appeal_result = None
            self._child_task = asyncio.create_task(self._collect_appeal(self._child))
            # `file_appeal` returns now: the appeal is in the store and its workflow runs.
            self._appeal_request = None

    async def _collect_appeal(
        self, child: ChildWorkflowHandle[AppealWorkflow, AppealResult]
    ) -> None:
        self._appeal_result = await child

    async def _follow_appeal(self) -> None:
        self.publish_before_wait()
        await workflow.wait_condition(
            lambda: self._appeal_result is not None or self._withdraw is not None
        )
        result = self._appeal_result
        if self._withdraw is not None or result is None:
            return
        async with self._lock:
            now = workflow.now()
            window = await self._ask(
                appeals.next_level_query(self._st, self._facts, result, now),
                during=appeals.offering_state(self._st, result),
            )
            await self._apply(
                *appeals.on_appeal_result(
                    self._st, self._facts, result, now=now, stamp=self._stamp(), window=window
                )
            )
        forward = appeals.auto_forward_request(self._st)
        if forward is not None:
            await self._start_appeal(forward, auto=True)

    # ================================================================ reconciliation polls

    def _next_poll_at(self) -> datetime | None:
        if self._withdraw is not None:
            return None
        return case.poll_due_at(self._st, self._options.polling)

    async def _poll_payer(self) -> None:
        """Ask the payer for the current decision (reconciliation for a lost notification).

        The inquiry runs outside the lock so updates are not held up; an answer is applied
        under the lock through the same path as `record_payer_decision` (dedupe by decision
        id, the stale-decision rule), so a notification applied meanwhile wins if newer.
        """
        self._st = case.on_poll(self._st, workflow.now())
        st = self._st
        try:
            found = await calls.inquire(
                InquireInput(
                    case_id=self._case_id,
                    key=f"{self._case_id}:inquire:{st.submissions}:{st.polls}",
                    kind=SubmissionKind(st.submission_kind),
                )
            )
        except ActivityError:
            self._st = case.on_polling_unsupported(self._st)
            return
        if found is None:
            return
        async with self._lock:
            polled = PayerDecisionInput(decision=found)
            if rules.decision_problem(self._st, polled) is not None:
                return
            await self._apply_payer_decision(polled, actor=INQUIRY_ACTOR)

    # ================================================================ payer updates

    @workflow.update(name=CaseUpdate.PAYER_DECISION)
    async def record_payer_decision(self, input: PayerDecisionInput) -> CaseView:
        async with self._lock:
            await self._apply_payer_decision(input)
            return self._view()

    @record_payer_decision.validator
    def _validate_payer_decision(self, input: PayerDecisionInput) -> None:
        _check(rules.decision_problem(self._st, input))

    async def _apply_payer_decision(
        self, input: PayerDecisionInput, *, actor: str | None = None
    ) -> None:
        """Apply one payer response (the caller holds the lock)."""
        now = workflow.now()
        before = self._st
        question = payer.appeal_window_query(before, self._facts, input)
        if question is not None:
            # While the engine is asked, the case shows the decision applied and the clocks
            # it closes closed; its waiting loop wakes to that (as the histories record).
            self._show(payer.deciding_state(before, input, now))
        window = await self._ask(question)
        peer_to_peer = payer.peer_to_peer_question(before, self._facts, input, question)
        peer_to_peer_due = None
        if peer_to_peer is not None:
            peer_to_peer_due = await calls.peer_to_peer_due(peer_to_peer)
        await self._apply(
            *payer.on_payer_decision(
                before,
                self._facts,
                input,
                now=now,
                peer_to_peer_due=peer_to_peer_due,
                stamp=self._stamp(),
                window=window,
                actor=actor,
            )
        )
        if self._st.phase == Phase.DONE and self._st.closed_reason is None:
            await self._apply(*case.on_nothing_to_decide(self._st, self._stamp()))

    @workflow.update(name=CaseUpdate.PAYER_EXTENSION)
    async def record_payer_extension(self, input: PayerExtensionInput) -> CaseView:
        async with self._lock:
            found = await self._ask(payer.extension_query(self._st, self._facts, input))
            await self._apply(
                *payer.on_payer_extension(
                    self._st, self._facts, input, stamp=self._stamp(), found=found
                )
            )
            return self._view()

    @record_payer_extension.validator
    def _validate_extension(self, input: PayerExtensionInput) -> None:
        _check(rules.extension_problem(self._st, input, workflow.now()))

    # ================================================================ human updates

    @workflow.update(name=CaseUpdate.SUPPLY_INFORMATION)
    async def supply_information(self, input: SupplyInformationInput) -> CaseView:
        async with self._lock:
            now = workflow.now()
            before = self._st
            question = case.supply_query(before, self._facts, input, now)
            found = None
            if question is not None:
                self._show(case.supplying_state(before, input, now))
                # Optional clock: no rule leaves the payer's clock as it is (no task).
                found = await calls.compute_deadline(question)
            await self._apply(
                *case.on_information_supplied(
                    before, input, now=now, stamp=self._stamp(), found=found
                )
            )
        await workflow.wait_condition(lambda: self._st.phase != Phase.SUBMIT)
        return self._view()

    @supply_information.validator
    def _validate_supply(self, input: SupplyInformationInput) -> None:
        _check(rules.supply_problem(self._st, input))

    @workflow.update(name=CaseUpdate.FILE_APPEAL)
    async def file_appeal(self, input: FileAppealInput) -> CaseView:
        self._appeal_request = input
        await workflow.wait_condition(
            lambda: self._appeal_request is None or self._st.phase == Phase.DONE
        )
        return self._view()

    @file_appeal.validator
    def _validate_file_appeal(self, input: FileAppealInput) -> None:
        _check(rules.file_appeal_problem(self._st, input, filing=self._appeal_request is not None))

    @workflow.update(name=CaseUpdate.REQUEST_PEER_TO_PEER)
    async def request_peer_to_peer(self, input: PeerToPeerInput) -> CaseView:
        async with self._lock:
            await self._apply(*case.on_peer_to_peer_requested(self._st, input, self._stamp()))
            return self._view()

    @request_peer_to_peer.validator
    def _validate_p2p(self, input: PeerToPeerInput) -> None:
        _check(rules.peer_to_peer_problem(self._st))

    @workflow.update(name=CaseUpdate.ACCEPT_DENIAL)
    async def accept_denial(self, input: AcceptDenialInput) -> CaseView:
        async with self._lock:
            await self._apply(*case.on_denial_accepted(self._st, input, self._stamp()))
            return self._view()

    @accept_denial.validator
    def _validate_accept(self, input: AcceptDenialInput) -> None:
        _check(rules.accept_denial_problem(self._st))

    @workflow.update(name=CaseUpdate.WITHDRAW)
    async def withdraw(self, input: WithdrawInput) -> CaseView:
        if self._withdraw is None:
            self._withdraw = input
        await workflow.wait_condition(lambda: self._st.phase == Phase.DONE)
        return self._view()

    @withdraw.validator
    def _validate_withdraw(self, input: WithdrawInput) -> None:
        _check(rules.withdraw_problem(self._st))

    @workflow.update(name=CaseUpdate.ASSIGN)
    async def assign(self, input: AssignInput) -> CaseView:
        async with self._lock:
            await self._apply(*case.on_assigned(self._st, input, self._stamp()))
            return self._view()

    @assign.validator
    def _validate_assign(self, input: AssignInput) -> None:
        _check(rules.open_problem(self._st))

    @workflow.update(name=CaseUpdate.ADD_NOTE)
    async def add_note(self, input: NoteInput) -> CaseView:
        async with self._lock:
            await self._apply(*case.on_note(self._st, input, self._stamp()))
            return self._view()

    @add_note.validator
    def _validate_note(self, input: NoteInput) -> None:
        _check(rules.open_problem(self._st))

    @workflow.update(name=CaseUpdate.RECORD_CONTACT)
    async def record_contact(self, input: ContactInput) -> CaseView:
        async with self._lock:
            await self._apply(*case.on_contact(self._st, input, self._stamp()))
            return self._view()

    @record_contact.validator
    def _validate_contact(self, input: ContactInput) -> None:
        _check(rules.contact_problem(self._st, input, workflow.now()))

    @workflow.update(name=CaseUpdate.RECORD_UNITS_USED)
    async def record_units_used(self, input: UnitsUsedInput) -> CaseView:
        async with self._lock:
            await self._apply(*case.on_units_used(self._st, input, self._stamp()))
            return self._view()

    @record_units_used.validator
    def _validate_units_used(self, input: UnitsUsedInput) -> None:
        _check(rules.units_used_problem(self._st, input, workflow.now()))

    # ================================================================ queries

    @workflow.query(name=CaseQuery.STATUS)
    def status(self) -> CaseView:
        return self._view()

    @workflow.query(name=CaseQuery.TIMELINE)
    def timeline(self) -> TimelineView:
        return TimelineView(case_id=self._case_id, entries=list(self._rec.timeline))

    @workflow.query(name=CaseQuery.DEADLINES)
    def deadlines(self) -> DeadlinesView:
        plan = self._clocks.plan()
        return DeadlinesView(
            case_id=self._case_id,
            deadlines=list(self._st.deadlines),
            next_escalation_at=plan.next_at,
            next_escalation=plan.next_rung.key if plan.next_rung else None,
            rungs_done=list(self._clocks.rungs_done),
        )

    def _state(self) -> CaseState:
        return self._st.model_copy(
            update={
                "seq": self._rec.seq,
                "rungs_done": list(self._clocks.rungs_done),
                "timeline": list(self._rec.timeline),
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
            next_due_at=next_due_at(st.deadlines),
            closed_reason=st.closed_reason,
            decision_ids=list(st.decision_ids),
        )

    # ================================================================ what the clocks watch

    def current_deadlines(self) -> list[CaseDeadline]:
        return self._st.deadlines

    def heading(self) -> tuple[CaseStatus | None, str | None]:
        return self._st.status, self._st.assignee

    def publish_state(self) -> None:
        if not self._listed_at_start:
            self._upsert_changes()

    def publish_before_wait(self) -> None:
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
        due = next_due_at(self._st.deadlines)
        if due != self._sa_due:
            self._sa_due = due
            updates.append(NEXT_DUE_AT.value_set(due) if due else NEXT_DUE_AT.value_unset())
        if updates:
            workflow.upsert_search_attributes(updates)
