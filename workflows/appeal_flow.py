"""The appeal logic behind `AppealWorkflow`: one child workflow per appeal level.

drafting (render the letter) -> awaiting sign-off (Update; our filing window escalates
7/3/1 days before and at due; expired if it passes) -> submitted (activity) -> waiting for the
decision under the deciding body's own clock (payer ladder: 50 %, 80 %, missed) -> overturned,
partially overturned or upheld; the parent case offers the next level. Levels the plan forwards
by itself (Medicare Advantage to the IRE) skip the letter and the sign-off.

The rules of each step are pure functions in `domain.case.appeal` (the Update validators'
in `domain.case.appeal_rules`); this class runs the activities, the deadline engine and the
waits, hands their answers to those functions and records the `Transition` they return.

`workflows/appeal.py` declares the workflow on this class and passes this module through the
sandbox (see docs/workflows.md, "Sandbox"): workflow rules apply here as in any workflow file.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import LetterInput, SubmitInput, SubmitResult
    from domain.case import appeal, appeal_rules
    from domain.case.appeal_result import AppealResult
    from domain.case.appeal_state import (
        AppealSetup,
        AppealState,
        appeal_row,
        handed_over_deadlines,
        opening_state,
    )
    from domain.case.messages import AppealDecisionInput, AppealWithdrawInput, SignOffInput
    from domain.case.step import deadline_unknown, find_deadline, payer_rejected, set_deadline
    from domain.case.views import AppealView
    from domain.case.vocabulary import AppealStatus, CaseStatus, SubmissionKind
    from domain.deadline_keys import appeal_decision_key, appeal_filing_window_key
    from domain.deadlines import DeadlineQuery, DeadlineResult
    from domain.models import CaseDeadline
    from workflows.constants import (
        AppealQuery,
        AppealSignal,
        AppealUpdate,
    )
    from workflows.models import AppealInput
from workflows import calls
from workflows.clocks import Clocks, Recorder


def appeal_setup(input: AppealInput) -> AppealSetup:
    """What the level is given; its filing window keeps the case's key (one row per clock)."""
    due = input.filing_due
    return AppealSetup(
        facts=input.facts,
        level=input.level,
        number=input.number,
        sequences=list(input.sequences),
        notice_date=input.notice_date,
        filing_key=due.key if due is not None else appeal_filing_window_key(input.number),
        decision_key=appeal_decision_key(input.number),
        filing_due=due,
        expedited=input.expedited,
        auto_forwarded=input.auto_forwarded,
        arguments=list(input.arguments),
        exhibits=list(input.exhibits),
        requested_by=input.requested_by,
        requested_peer_to_peer=input.requested_peer_to_peer,
    )


class AppealCase:
    """The appeal logic; `workflows.appeal.AppealWorkflow` declares it a workflow."""

    def __init__(self, input: AppealInput) -> None:
        self._setup = appeal_setup(input)
        self._st: AppealState = opening_state(self._setup)
        self._case_id = input.facts.case_id
        self._deadlines: list[CaseDeadline] = []
        self._rec = Recorder(self, self._case_id, self._setup.scope)
        # Rungs the case already fired for the filing window it hands over.
        self._clocks = Clocks(self, self._rec, input.ladder, rungs_done=input.rungs_done)
        self._lock = asyncio.Lock()
        # Set once the decision clock is recorded (or known to be absent): a sign-off answers
        # then, with the clock in its view.
        self._clock_started = False

    @property
    def _seq(self) -> int:
        return self._rec.seq

    def _deadline(self, key: str) -> CaseDeadline | None:
        return find_deadline(self._deadlines, key)

    def _set_deadline(self, deadline: CaseDeadline) -> None:
        """Add or replace (same key) a deadline; its rungs are rescheduled from scratch."""
        self._deadlines = set_deadline(self._deadlines, deadline)
        self._clocks.changed()

    async def _take(self, step: appeal.Step) -> None:
        """Keep the step's state, move its clocks and record its transition (if any)."""
        state, transition = step
        self._st = state
        if transition is None:
            return
        for deadline in transition.deadlines:
            self._set_deadline(deadline)
        await self._rec.record(transition)

    async def _compute(self, query: DeadlineQuery) -> DeadlineResult | None:
        """The engine's answer; when no rule applies, a `deadline_unknown` step of its own."""
        found = await calls.compute_deadline(query)
        if found is None:
            row = appeal_row(self._setup, self._st)
            await self._rec.record(
                deadline_unknown(self._rec.stamp(), query, status=CaseStatus.IN_APPEAL, appeal=row)
            )
        return found

    async def _submit(self, submission: SubmitInput) -> SubmitResult | None:
        """Submit through the payer gateway; None (with a UR task) on a business rejection."""
        receipt = await calls.submit(submission)
        if not isinstance(receipt, str):
            return receipt
        row = appeal_row(self._setup, self._st)
        await self._rec.record(
            payer_rejected(self._rec.stamp(), submission.kind, receipt, appeal=row)
        )
        return None

    # ---------------------------------------------------------------- what the clocks watch

    def current_deadlines(self) -> list[CaseDeadline]:
        return self._deadlines

    def heading(self) -> tuple[CaseStatus | None, str | None]:
        return CaseStatus.IN_APPEAL, None

    def publish_state(self) -> None:
        """An appeal publishes nothing (its case keeps the search attributes)."""

    def publish_before_wait(self) -> None:
        """An appeal publishes nothing (its case keeps the search attributes)."""

    # ---------------------------------------------------------------- run

    async def run_appeal(self, input: AppealInput) -> AppealResult:
        setup = self._setup
        for deadline in handed_over_deadlines(setup):
            self._set_deadline(deadline)
        await self._take(appeal.on_opened(setup, self._st, workflow.now(), seq=self._seq + 1))
        if not input.auto_forwarded and not await self._prepare_and_file():
            return self._result()
        await self._start_decision_clock()
        answered = await self._clocks.wait_until(
            lambda: self._st.decision is not None or self._st.withdrawn is not None,
            expires=setup.decision_key if setup.silence_affirms else None,
            lock=self._lock,
        )
        async with self._lock:
            now, seq, deadlines = workflow.now(), self._seq + 1, self._deadlines
            if self._st.withdrawn is not None and self._st.decision is None:
                step = appeal.on_withdrawn(setup, self._st, now, seq=seq, deadlines=deadlines)
            elif not answered and self._st.decision is None:
                step = appeal.on_deadline_missed(setup, self._st, now, seq=seq, deadlines=deadlines)
            else:
                step = appeal.on_decided(setup, self._st, now, seq=seq, deadlines=deadlines)
            await self._take(step)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._result()

    async def _prepare_and_file(self) -> bool:
        """Letter, sign-off and submission; False if the appeal ended before it was filed."""
        setup = self._setup
        ref = await calls.render_letter(
            LetterInput(
                case_id=self._case_id,
                key=f"{self._case_id}:{self._setup.scope}:letter",
                kind="appeal",
                appeal_level=setup.level,
                appeal_number=setup.number,
                sequences=setup.sequences,
                arguments=setup.arguments,
                exhibits=setup.exhibits,
                deadline=self._deadline(setup.filing_key),
                requested_by=setup.requested_by,
            )
        )
        async with self._lock:
            now, seq = workflow.now(), self._seq + 1
            if ref is not None:
                step = appeal.on_letter_ready(setup, self._st, ref.letter_id, now, seq=seq)
            else:
                step = appeal.on_letter_missing(setup, self._st, now, seq=seq)
            await self._take(step)
        in_time = await self._clocks.wait_until(
            lambda: self._st.signed_by is not None or self._st.withdrawn is not None,
            expires=setup.filing_key,
            lock=self._lock,
        )
        async with self._lock:
            if self._st.withdrawn is not None:
                await self._take(
                    appeal.on_withdrawn(
                        setup,
                        self._st,
                        workflow.now(),
                        seq=self._seq + 1,
                        deadlines=self._deadlines,
                    )
                )
                return False
            if not in_time:
                await self._take(
                    appeal.on_expired(
                        setup,
                        self._st,
                        workflow.now(),
                        seq=self._seq + 1,
                        deadlines=self._deadlines,
                    )
                )
                return False
            receipt = await self._submit(
                SubmitInput(
                    case_id=self._case_id,
                    key=f"{self._case_id}:{self._setup.scope}:submit",
                    kind=SubmissionKind.APPEAL,
                    appeal_level=setup.level,
                    appeal_number=setup.number,
                    letter_id=self._st.letter_id,
                )
            )
            now, seq, deadlines = workflow.now(), self._seq + 1, self._deadlines
            if receipt is None:
                await self._take(
                    appeal.on_submission_rejected(
                        setup, self._st, now, seq=seq, deadlines=deadlines
                    )
                )
                return False
            await self._take(
                appeal.on_submitted(
                    setup, self._st, receipt.submission_id, now, seq=seq, deadlines=deadlines
                )
            )
        return True

    async def _start_decision_clock(self) -> None:
        self._st, query = appeal.on_clock_requested(self._setup, self._st, workflow.now())
        found = await self._compute(query) if query is not None else None
        if found is None:
            self._clock_started = True
            return
        async with self._lock:
            await self._take(
                appeal.on_clock_started(
                    self._setup,
                    self._st,
                    found,
                    workflow.now(),
                    seq=self._seq + 1,
                    deadlines=self._deadlines,
                )
            )
            self._clock_started = True

    def _result(self) -> AppealResult:
        state = self._st
        decision = state.decision
        return AppealResult(
            level=self._setup.level,
            number=self._setup.number,
            status=state.status,
            filed_at=state.filed_at,
            decided_at=state.decided_at,
            decision_id=decision.decision_id if decision else None,
            items=decision.items if decision else [],
            letter_id=state.letter_id,
            note=decision.note if decision else None,
        )

    # ---------------------------------------------------------------- updates

    @workflow.update(name=AppealUpdate.SIGN_OFF)
    async def sign_off(self, input: SignOffInput) -> AppealView:
        self._st = appeal.on_signed_off(self._st, input)
        await workflow.wait_condition(
            lambda: (
                self._st.status != AppealStatus.AWAITING_SIGNOFF
                and (self._st.status != AppealStatus.SUBMITTED or self._clock_started)
            )
        )
        return self.appeal_status()

    @sign_off.validator
    def _validate_sign_off(self, input: SignOffInput) -> None:
        appeal_rules.check_sign_off(self._st, input)

    @workflow.update(name=AppealUpdate.APPEAL_DECISION)
    async def record_appeal_decision(self, input: AppealDecisionInput) -> AppealView:
        self._st = appeal.on_decision_received(self._st, input)
        await workflow.wait_condition(lambda: not self._st.is_open)
        return self.appeal_status()

    @record_appeal_decision.validator
    def _validate_decision(self, input: AppealDecisionInput) -> None:
        appeal_rules.check_decision(self._setup, self._st, input)

    @workflow.update(name=AppealUpdate.WITHDRAW)
    async def withdraw_appeal(self, input: AppealWithdrawInput) -> AppealView:
        self._st = appeal.on_withdraw_requested(self._st, input)
        await workflow.wait_condition(lambda: not self._st.is_open)
        return self.appeal_status()

    @withdraw_appeal.validator
    def _validate_withdraw(self, input: AppealWithdrawInput) -> None:
        appeal_rules.check_withdraw(self._st)

    @workflow.signal(name=AppealSignal.PARENT_WITHDREW)
    def parent_withdrew(self, reason: str) -> None:
        self._st = appeal.on_withdraw_requested(self._st, reason)

    @workflow.query(name=AppealQuery.STATUS)
    def appeal_status(self) -> AppealView:
        state = self._st
        decision = state.decision
        return AppealView(
            case_id=self._case_id,
            level=self._setup.level,
            number=self._setup.number,
            status=state.status,
            letter_id=state.letter_id,
            filed_at=state.filed_at,
            decided_at=decision.decided_at if decision else None,
            decision_id=decision.decision_id if decision else None,
            deadlines=list(self._deadlines),
            next_escalation_at=self._clocks.plan().next_at,
            timeline=list(self._rec.timeline),
        )
