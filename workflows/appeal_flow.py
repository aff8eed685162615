"""The appeal logic behind `AppealWorkflow`: one child workflow per appeal level.

drafting (render the letter) -> awaiting sign-off (Update; our filing window escalates
7/3/1 days before and at due; expired if it passes) -> submitted (activity) -> waiting for the
decision under the deciding body's own clock (payer ladder: 50 %, 80 %, missed) -> overturned,
partially overturned or upheld; the parent case offers the next level. Levels the plan forwards
by itself (Medicare Advantage to the IRE) skip the letter and the sign-off.

`workflows/appeal.py` declares the workflow on this class and passes this module through the
sandbox (see docs/workflows.md, "Sandbox"): workflow rules apply here as in any workflow file.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow

from activities.models import LetterInput, SubmitInput
from domain.appeals import appeal_ladder, next_level
from domain.case.appeal_result import AppealResult
from domain.case.messages import AppealDecisionInput, AppealWithdrawInput, SignOffInput
from domain.case.state import TimelineEntry
from domain.case.transition import TaskClosure
from domain.case.views import AppealView
from domain.case.vocabulary import (
    AppealOutcome,
    AppealStatus,
    CaseEvent,
    CaseStatus,
    SubmissionKind,
    TaskKind,
)
from domain.deadlines import DeadlineEvent, DeadlineQuery
from domain.enums import Urgency
from domain.escalation import Priority
from domain.models import Appeal, CaseDeadline, Obligor
from workflows.common import ClockKeeper, to_case_deadline
from workflows.constants import (
    AppealQuery,
    AppealSignal,
    AppealUpdate,
    appeal_decision_key,
    appeal_filing_window_key,
)
from workflows.models import AppealInput

_OUTCOME_STATUS = {
    AppealOutcome.OVERTURNED: AppealStatus.OVERTURNED,
    AppealOutcome.PARTIALLY_OVERTURNED: AppealStatus.PARTIALLY_OVERTURNED,
    AppealOutcome.UPHELD: AppealStatus.UPHELD,
}


class AppealCase(ClockKeeper):
    """The appeal logic; `workflows.appeal.AppealWorkflow` declares it a workflow."""

    def __init__(self, input: AppealInput) -> None:
        self._in = input
        self._case_id = input.facts.case_id
        self._scope = f"appeal-{input.number}"
        self._ladder = input.ladder
        self._seq = 0
        self._deadlines: list[CaseDeadline] = []
        # Rungs the case already fired for the filing window it hands over.
        self._rungs_done: list[str] = list(input.rungs_done)
        self._timeline: list[TimelineEntry] = []
        self._deadline_version = 0
        self._lock = asyncio.Lock()
        self._status = AppealStatus.SUBMITTED if input.auto_forwarded else AppealStatus.DRAFTING
        self._letter_id: str | None = None
        self._signed_by: str | None = None
        self._withdrawn: str | None = None
        self._clock_started = False
        self._decision: AppealDecisionInput | None = None
        self._filed_at: datetime | None = None
        self._outcome_note: str | None = None
        # When the deciding body's silence became an affirmation (no decision of its own).
        self._deemed_at: datetime | None = None
        self._spec = next(
            s
            for s in appeal_ladder(input.facts.regime, input.facts.appeal_levels)
            if s.level == input.level
        )

    @property
    def _filing_key(self) -> str:
        """The case's filing-window deadline, kept under the case's key (one row per clock)."""
        due = self._in.filing_due
        return due.key if due is not None else appeal_filing_window_key(self._in.number)

    @property
    def _decision_key(self) -> str:
        return appeal_decision_key(self._in.number)

    @property
    def _task_prefix(self) -> str:
        return f"{self._case_id}:{self._scope}:task:"

    def _current_status(self) -> CaseStatus:
        return CaseStatus.IN_APPEAL

    @property
    def _decided_at(self) -> datetime | None:
        """The deciding body's decision moment, or the due moment its silence became one."""
        return self._decision.decided_at if self._decision else self._deemed_at

    def _appeal_record(self) -> Appeal:
        """This level's row in the store, written with every transition of the appeal."""
        input = self._in
        return Appeal(
            level=input.level,
            number=input.number,
            expedited=input.expedited,
            status=self._status,
            sequences=list(input.sequences),
            filed_at=self._filed_at,
            decided_at=self._decided_at,
            arguments=list(input.arguments),
            requested_peer_to_peer=input.requested_peer_to_peer,
            outcome_note=self._outcome_note,
        )

    async def run_appeal(self, input: AppealInput) -> AppealResult:
        if input.filing_due is not None and not input.auto_forwarded:
            # The case recorded this window and hands it over unchanged: the appeal escalates
            # it, marks it met on submission or closes it; it is not recorded a second time.
            self._set_deadline(input.filing_due)
        await self._record(
            CaseEvent.APPEAL_OPENED,
            f"{self._spec.title} opened for item(s) {input.sequences}",
            actor=input.requested_by,
        )
        if not input.auto_forwarded and not await self._prepare_and_file():
            return self._result()
        await self._start_decision_clock()
        answered = await self._wait_until(
            lambda: self._decision is not None or self._withdrawn is not None,
            expires=self._decision_key if self._silence_affirms() else None,
            lock=self._lock,
        )
        async with self._lock:
            if self._withdrawn is not None and self._decision is None:
                await self._end(AppealStatus.WITHDRAWN, f"Appeal withdrawn: {self._withdrawn}")
            elif not answered and self._decision is None:
                await self._deem_upheld()
            else:
                await self._apply_decision()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._result()

    async def _prepare_and_file(self) -> bool:
        """Letter, sign-off and submission; False if the appeal ended before it was filed."""
        input = self._in
        ref = await self._letter(
            LetterInput(
                case_id=self._case_id,
                key=f"{self._case_id}:{self._scope}:letter",
                kind="appeal",
                appeal_level=input.level,
                appeal_number=input.number,
                sequences=input.sequences,
                arguments=input.arguments,
                deadline=self._deadline(self._filing_key),
                requested_by=input.requested_by,
            )
        )
        async with self._lock:
            self._letter_id = ref.letter_id if ref else None
            self._status = AppealStatus.AWAITING_SIGNOFF
            await self._record(
                CaseEvent.APPEAL_LETTER_READY if ref else CaseEvent.APPEAL_LETTER_MISSING,
                f"Appeal letter {ref.letter_id} ready for sign-off"
                if ref
                else "No letter template for this appeal: write the letter by hand",
                tasks=[
                    self._task(
                        TaskKind.SIGN_APPEAL_LETTER,
                        f"Review and sign the {self._spec.title.lower()} letter",
                        priority=Priority.HIGH,
                        due_at=input.filing_due.due_at if input.filing_due else None,
                    )
                ],
                details={"letter_id": self._letter_id or ""},
            )
        in_time = await self._wait_until(
            lambda: self._signed_by is not None or self._withdrawn is not None,
            expires=self._filing_key,
            lock=self._lock,
        )
        async with self._lock:
            if self._withdrawn is not None:
                await self._end(AppealStatus.WITHDRAWN, f"Appeal withdrawn: {self._withdrawn}")
                return False
            if not in_time:
                missed = self._close_deadline(self._filing_key, met=False)
                await self._end(
                    AppealStatus.EXPIRED,
                    "The filing window closed before the letter was signed",
                    deadlines=[missed] if missed else [],
                )
                return False
            receipt = await self._submit(
                SubmitInput(
                    case_id=self._case_id,
                    key=f"{self._case_id}:{self._scope}:submit",
                    kind=SubmissionKind.APPEAL,
                    appeal_level=input.level,
                    appeal_number=input.number,
                    letter_id=self._letter_id,
                )
            )
            if receipt is None:
                await self._end(AppealStatus.EXPIRED, "The payer rejected the appeal submission")
                return False
            self._filed_at = workflow.now()
            met = self._close_deadline(self._filing_key)
            self._status = AppealStatus.SUBMITTED
            signer = self._signed_by or "system"
            await self._record(
                CaseEvent.APPEAL_SUBMITTED,
                f"{self._spec.title} submitted ({receipt.submission_id}), signed by "
                f"{self._signed_by}",
                actor=signer,
                deadlines=[met] if met else [],
                close_tasks=[
                    TaskClosure(
                        kind=TaskKind.SIGN_APPEAL_LETTER,
                        key_prefix=self._task_prefix,
                        status="done",
                        by=signer,
                    )
                ],
                details={"submission_id": receipt.submission_id},
            )
        return True

    async def _start_decision_clock(self) -> None:
        input = self._in
        event = self._spec.decision_event
        filed_at = self._filed_at or workflow.now()
        self._filed_at = filed_at
        if event is None:
            self._clock_started = True
            return
        facts = input.facts
        found = await self._compute(
            DeadlineQuery(
                regime=facts.regime,
                event=DeadlineEvent(event),
                state=facts.state,
                urgency=Urgency.EXPEDITED if input.expedited else Urgency.STANDARD,
                service_timing=facts.service_timing,
                item_type=facts.item_type,
                request_type=facts.request_type,
                received_at=filed_at,
                timezone=facts.payer_timezone,
                notice_date=input.notice_date,
                appeal_levels=facts.appeal_levels,
                hospitalized=facts.hospitalized,
            )
        )
        if found is None:
            self._clock_started = True
            return
        async with self._lock:
            label = (
                "Plan forwards the case to the independent reviewer"
                if input.auto_forwarded
                else f"{self._spec.decided_by} decides the {self._spec.title.lower()}"
            )
            deadline = self._set_deadline(
                to_case_deadline(self._decision_key, label, Obligor.PAYER, found, filed_at)
            )
            await self._record(
                CaseEvent.APPEAL_CLOCK_STARTED,
                f"{label}: due {deadline.due_at.isoformat()}",
                deadlines=[deadline],
                rule=deadline.rule,
            )
            self._clock_started = True

    async def _apply_decision(self) -> None:
        decision = self._decision
        assert decision is not None
        met = self._close_deadline(self._decision_key)
        status = _OUTCOME_STATUS[decision.outcome]
        await self._end(
            status,
            f"{self._spec.title} decided: {decision.outcome.value}",
            event=CaseEvent.APPEAL_DECIDED,
            deadlines=[met] if met else [],
        )

    def _silence_affirms(self) -> bool:
        """A plan that lets its decision deadline pass at a level it must forward from (Medicare
        Advantage reconsideration, Part D redetermination) has affirmed the denial: the case
        goes to the independent review entity without anyone filing (REGULATIONS.md)."""
        if self._in.auto_forwarded:
            return False
        facts = self._in.facts
        following = next_level(facts.regime, self._in.level, facts.appeal_levels)
        return following is not None and following.auto_forwarded

    async def _deem_upheld(self) -> None:
        missed = self._deadline(self._decision_key)
        rule = f" ({missed.rule})" if missed is not None else ""
        self._deemed_at = missed.due_at if missed is not None else workflow.now()
        await self._end(
            AppealStatus.UPHELD,
            f"{self._spec.decided_by} missed the {self._spec.title.lower()} deadline{rule}: "
            "treated as an affirmation of the denial, to be forwarded to the independent "
            "review entity",
            event=CaseEvent.APPEAL_DEADLINE_MISSED,
        )

    async def _end(
        self,
        status: AppealStatus,
        summary: str,
        *,
        event: str = CaseEvent.APPEAL_CLOSED,
        deadlines: list[CaseDeadline] | None = None,
    ) -> None:
        self._status = status
        decision = self._decision
        self._outcome_note = decision.note if decision and decision.note else summary
        changed = list(deadlines or [])
        for active in list(self._active_deadlines()):
            closed = self._close_deadline(active.key, met=False)
            if closed is not None:
                changed.append(closed)
        await self._record(
            event,
            summary,
            deadlines=changed,
            # Whatever this level still asked of people (sign-off, a rejected submission) is moot.
            close_tasks=[TaskClosure(key_prefix=self._task_prefix)],
            details={"status": status.value},
        )

    def _result(self) -> AppealResult:
        decision = self._decision
        return AppealResult(
            level=self._in.level,
            number=self._in.number,
            status=self._status,
            filed_at=self._filed_at,
            decided_at=self._decided_at,
            decision_id=decision.decision_id if decision else None,
            items=decision.items if decision else [],
            letter_id=self._letter_id,
            note=decision.note if decision else None,
        )

    # ---------------------------------------------------------------- updates

    @workflow.update(name=AppealUpdate.SIGN_OFF)
    async def sign_off(self, input: SignOffInput) -> AppealView:
        if self._signed_by is None:
            self._signed_by = input.actor
        await workflow.wait_condition(
            lambda: (
                self._status != AppealStatus.AWAITING_SIGNOFF
                and (self._status != AppealStatus.SUBMITTED or self._clock_started)
            )
        )
        return self.appeal_status()

    @sign_off.validator
    def _validate_sign_off(self, input: SignOffInput) -> None:
        if self._status != AppealStatus.AWAITING_SIGNOFF:
            raise ValueError(f"the appeal is not awaiting sign-off ({self._status.value})")
        if self._letter_id is not None and input.letter_id != self._letter_id:
            raise ValueError("letter_id does not match the letter awaiting sign-off")

    @workflow.update(name=AppealUpdate.APPEAL_DECISION)
    async def record_appeal_decision(self, input: AppealDecisionInput) -> AppealView:
        if self._decision is None and self._withdrawn is None:
            self._decision = input
        await workflow.wait_condition(lambda: self._status not in _OPEN)
        return self.appeal_status()

    @record_appeal_decision.validator
    def _validate_decision(self, input: AppealDecisionInput) -> None:
        if self._decision is not None and self._decision.decision_id == input.decision_id:
            return  # duplicate delivery: no-op
        if self._status != AppealStatus.SUBMITTED or self._decision is not None:
            raise ValueError(f"the appeal does not await a decision ({self._status.value})")
        unknown = sorted({i.sequence for i in input.items} - set(self._in.sequences))
        if unknown:
            raise ValueError(f"decision names items outside this appeal: {unknown}")

    @workflow.update(name=AppealUpdate.WITHDRAW)
    async def withdraw_appeal(self, input: AppealWithdrawInput) -> AppealView:
        if self._withdrawn is None:
            self._withdrawn = input.reason
        await workflow.wait_condition(lambda: self._status not in _OPEN)
        return self.appeal_status()

    @withdraw_appeal.validator
    def _validate_withdraw(self, input: AppealWithdrawInput) -> None:
        if self._status not in _OPEN:
            raise ValueError(f"the appeal is already {self._status.value}")

    @workflow.signal(name=AppealSignal.PARENT_WITHDREW)
    def parent_withdrew(self, reason: str) -> None:
        if self._withdrawn is None:
            self._withdrawn = reason

    @workflow.query(name=AppealQuery.STATUS)
    def appeal_status(self) -> AppealView:
        plan = self._rung_plan()
        return AppealView(
            case_id=self._case_id,
            level=self._in.level,
            number=self._in.number,
            status=self._status,
            letter_id=self._letter_id,
            filed_at=self._filed_at,
            decided_at=self._decision.decided_at if self._decision else None,
            decision_id=self._decision.decision_id if self._decision else None,
            deadlines=list(self._deadlines),
            next_escalation_at=plan.next_at,
            timeline=list(self._timeline),
        )


_OPEN = {AppealStatus.DRAFTING, AppealStatus.AWAITING_SIGNOFF, AppealStatus.SUBMITTED}
