"""The payer gateway port: how the engine submits to a payer and hears back.

The payer activities call it and the integrations implement it (the in-process simulated payer,
Da Vinci PAS, the routing gateway; later X12 278), so it lives below both: plain types and
protocols, no I/O. Submissions carry the full request (PHI) and are only ever built inside
activities; decisions come back through a `DecisionSink` (webhook, PAS notification,
simulator). Every call is idempotent on `submission_key`. A gateway that can ask the payer for
the current state of a request (PAS `Claim/$inquire`) also implements `InquiringGateway`: the
case workflow uses it as a reconciliation fallback when a notification is lost, never as the
primary channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.appeals import AppealLevel
from domain.case.vocabulary import AppealOutcome, SubmissionKind
from domain.models import Attachment, PayerDecision, PriorAuthRequest, RequestForInformation


class PayerRejectedError(Exception):
    """A gateway's business rejection: sending the same submission again will not help.

    Gateways raise it (or a subclass); the submit activity turns it into a non-retryable
    failure. Its message must be PHI-free: it is logged and stored in workflow history.
    """


class GatewaySubmission(BaseModel):
    """One submission to a payer; `submission_key` makes a retried send a no-op."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    case_id: str
    submission_key: str
    kind: SubmissionKind
    request: PriorAuthRequest
    attachments: list[Attachment] = Field(default_factory=list)
    appeal_level: AppealLevel | None = None
    appeal_number: int | None = None
    letter_id: str | None = None


class GatewayReceipt(BaseModel):
    submission_id: str
    accepted_at: AwareDatetime
    payer_reference: str | None = None
    duplicate: bool = False


class DecisionSink(Protocol):
    """Where payer responses go (in the worker: Temporal updates on the case workflows)."""

    async def payer_decision(
        self, case_id: str, decision: PayerDecision, rfi: RequestForInformation | None
    ) -> None: ...

    async def appeal_decision(
        self,
        case_id: str,
        level_number: int,
        decision_id: str,
        outcome: AppealOutcome,
        decided_at: datetime,
        note: str | None,
    ) -> None: ...


class PayerGateway(Protocol):
    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt: ...


class InquiryUnsupportedError(Exception):
    """This payer channel cannot be asked where a request stands (it only pushes answers)."""


@runtime_checkable
class InquiringGateway(Protocol):
    """Optional capability: ask the payer where a submitted request stands (read-only).

    Returns the payer's current decision, or None when it has nothing to say (or the channel
    cannot ask). The answer is returned, never sent to a `DecisionSink`: the caller decides
    whether it is news. `submission.submission_key` identifies the inquiry, not a new send.
    """

    async def inquire_decision(self, submission: GatewaySubmission) -> PayerDecision | None: ...
