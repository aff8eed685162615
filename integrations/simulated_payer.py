"""An in-process payer for tests, the demo and local development.

A test or the demo scripts its behaviour per member id or per service code (approve, deny with a
reason, pend with a request for information then decide, partial, modified, contact us, an
unknown action code, or never answer); appeals are scripted the same way (overturn, uphold, never
answer). Responses are pushed to a `DecisionSink` after `delay` seconds, as a real payer's
webhook would. Submissions are idempotent on their key: a retried activity neither gets a new
receipt nor triggers a second response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from hashlib import sha256

from pydantic import BaseModel, ConfigDict

from domain.case.vocabulary import AppealOutcome, SubmissionKind
from domain.enums import DecisionSource
from domain.models import (
    ItemDecision,
    PayerDecision,
    PriorAuthRequest,
    RequestForInformation,
    ServiceLine,
)
from domain.payer_gateway import DecisionSink, GatewayReceipt, GatewaySubmission


class Behaviour(StrEnum):
    APPROVE = "approve"
    DENY = "deny"
    PEND_THEN_APPROVE = "pend_then_approve"
    PEND_THEN_DENY = "pend_then_deny"
    PARTIAL = "partial"
    MODIFIED = "modified"
    CONTACT_PAYER = "contact_payer"
    UNKNOWN_CODE = "unknown_code"
    SILENT = "silent"


class AppealBehaviour(StrEnum):
    OVERTURN = "overturn"
    UPHOLD = "uphold"
    SILENT = "silent"


class Script(BaseModel):
    """How the simulated payer answers one member or one service code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    behaviour: Behaviour = Behaviour.APPROVE
    appeal: AppealBehaviour = AppealBehaviour.OVERTURN
    deny_reason_code: str = "MN"
    deny_reason: str = "Not medically necessary under the plan's criteria"
    policy: str = "Plan medical policy MP-101"
    # None: an authorization without an end date (the case closes at approval).
    authorized_days: int | None = 90
    information_requested: tuple[str, ...] = ("Recent clinical notes (LOINC 11506-3)",)


class SubmissionLog(BaseModel):
    receipt: GatewayReceipt
    kind: SubmissionKind
    case_id: str


# Member ids the `priorauth demo` command uses; the worker's simulated payer knows them.
DEMO_SCRIPTS: dict[str, Script] = {
    "DEMO-APPROVE": Script(behaviour=Behaviour.APPROVE),
    "DEMO-PEND": Script(behaviour=Behaviour.PEND_THEN_APPROVE),
    "DEMO-DENY": Script(behaviour=Behaviour.DENY, appeal=AppealBehaviour.OVERTURN),
    "DEMO-SILENT": Script(behaviour=Behaviour.SILENT),
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SimulatedPayer:
    """A `PayerGateway` whose answers are scripted; see the module docstring."""

    def __init__(
        self,
        sink: DecisionSink | None = None,
        *,
        default: Script | None = None,
        delay: float = 0.2,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.sink = sink
        self.default = default or Script()
        self.delay = delay
        self.clock = clock
        self.by_member: dict[str, Script] = dict(DEMO_SCRIPTS)
        self.by_code: dict[str, Script] = {}
        self.submissions: dict[str, SubmissionLog] = {}
        self._pended: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def script_member(self, member_id: str, script: Script) -> None:
        self.by_member[member_id] = script

    def script_code(self, code: str, script: Script) -> None:
        self.by_code[code.strip().upper()] = script

    def script_for(self, request: PriorAuthRequest, line: ServiceLine | None = None) -> Script:
        if request.member.member_id in self.by_member:
            return self.by_member[request.member.member_id]
        lines = [line] if line else request.service_lines
        for candidate in lines:
            if candidate.code in self.by_code:
                return self.by_code[candidate.code]
        return self.default

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        known = self.submissions.get(submission.submission_key)
        if known is not None:
            return known.receipt.model_copy(update={"duplicate": True})
        now = self.clock()
        receipt = GatewayReceipt(
            submission_id=f"SIM-{len(self.submissions) + 1:06d}",
            accepted_at=now,
            payer_reference="SIMREF-" + sha256(submission.submission_key.encode()).hexdigest()[:10],
        )
        self.submissions[submission.submission_key] = SubmissionLog(
            receipt=receipt, kind=submission.kind, case_id=submission.case_id
        )
        if submission.kind in (SubmissionKind.INITIAL, SubmissionKind.RESUBMISSION):
            self._schedule_decision(submission)
        elif submission.kind == SubmissionKind.APPEAL:
            self._schedule_appeal(submission)
        return receipt

    def _schedule_decision(self, submission: GatewaySubmission) -> None:
        decision, rfi = self.respond(submission)
        if decision is None or self.sink is None:
            return
        sink = self.sink
        self._later(lambda: sink.payer_decision(submission.case_id, decision, rfi))

    def _schedule_appeal(self, submission: GatewaySubmission) -> None:
        script = self.script_for(submission.request)
        if script.appeal == AppealBehaviour.SILENT or self.sink is None:
            return
        outcome = (
            AppealOutcome.OVERTURNED
            if script.appeal == AppealBehaviour.OVERTURN
            else AppealOutcome.UPHELD
        )
        level_number = submission.appeal_number or 1
        sink = self.sink
        decided = self.clock()
        self._later(
            lambda: sink.appeal_decision(
                submission.case_id,
                level_number,
                f"sim-{submission.submission_key}",
                outcome,
                decided,
                "Simulated appeal decision",
            )
        )

    def _later(self, send: Callable[[], object]) -> None:
        async def run() -> None:
            await asyncio.sleep(self.delay)
            result = send()
            if asyncio.iscoroutine(result):
                await result

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def respond(
        self, submission: GatewaySubmission
    ) -> tuple[PayerDecision | None, RequestForInformation | None]:
        """The scripted response to one submission (None: the payer stays silent)."""
        request = submission.request
        now = self.clock()
        items: list[ItemDecision] = []
        rfi: RequestForInformation | None = None
        for line in request.service_lines:
            script = self.script_for(request, line)
            behaviour = script.behaviour
            if behaviour == Behaviour.SILENT:
                continue
            pend_first = behaviour in (Behaviour.PEND_THEN_APPROVE, Behaviour.PEND_THEN_DENY)
            if pend_first and submission.case_id not in self._pended:
                items.append(ItemDecision(sequence=line.sequence, review_action_code="A4"))
                rfi = RequestForInformation(
                    requested_at=now,
                    items_requested=list(script.information_requested),
                    respond_by=now + timedelta(days=14),
                    reference=f"RFI-{line.sequence}",
                )
                continue
            if behaviour == Behaviour.PEND_THEN_DENY:
                behaviour = Behaviour.DENY
            items.append(self._decide_line(line, behaviour, script))
        if rfi is not None:
            self._pended.add(submission.case_id)
        if not items:
            return None, None
        decision = PayerDecision(
            decision_id=f"sim-{submission.submission_key}",
            source=DecisionSource.SANDBOX,
            decided_at=now,
            received_at=now,
            payer_reference=f"SIMDEC-{len(self.submissions):06d}",
            items=items,
        )
        return decision, rfi

    @staticmethod
    def _decide_line(line: ServiceLine, behaviour: Behaviour, script: Script) -> ItemDecision:
        start = line.start_date or datetime.now(UTC).date()
        end = line.end_date or (
            start + timedelta(days=script.authorized_days) if script.authorized_days else None
        )
        auth = f"AUTH{line.sequence:03d}{start:%y%m%d}"
        match behaviour:
            case Behaviour.DENY:
                return ItemDecision(
                    sequence=line.sequence,
                    review_action_code="A3",
                    reason_code=script.deny_reason_code,
                    reason_text=script.deny_reason,
                    policy_cited=script.policy,
                )
            case Behaviour.PARTIAL:
                return ItemDecision(
                    sequence=line.sequence,
                    review_action_code="A2",
                    authorization_number=auth,
                    approved_units=max(1, line.units // 2),
                    authorized_start=start,
                    authorized_end=end,
                    reason_code=script.deny_reason_code,
                    reason_text="Units above the approved quantity are not medically necessary",
                    policy_cited=script.policy,
                )
            case Behaviour.MODIFIED:
                return ItemDecision(
                    sequence=line.sequence,
                    review_action_code="A6",
                    authorization_number=auth,
                    approved_units=line.units,
                    authorized_start=start,
                    authorized_end=end,
                    modification="Approved at an outpatient site of care",
                )
            case Behaviour.CONTACT_PAYER:
                return ItemDecision(sequence=line.sequence, review_action_code="CT")
            case Behaviour.UNKNOWN_CODE:
                return ItemDecision(
                    sequence=line.sequence,
                    review_action_code="PENDEDCODE",
                    review_action_display="Pended",
                )
            case _:
                return ItemDecision(
                    sequence=line.sequence,
                    review_action_code="A1",
                    authorization_number=auth,
                    approved_units=line.units,
                    authorized_start=start,
                    authorized_end=end,
                )

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
