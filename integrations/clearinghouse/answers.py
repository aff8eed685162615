"""What a clearinghouse answer says about one submission: a decision (pended or final), an
acceptance (a 999 or TA1 accepting, no decision yet) or a rejection (999/TA1 rejecting, AAA).

Shared by the real-time gateway (the reply to its POST) and the inbound mailbox (batch files);
malformed X12 and a reply for another trace raise (`X12SyntaxError`, `X12TraceMismatchError`)
for the caller to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.clearinghouse_ledger import TraceState
from domain.models import PayerDecision, PriorAuthRequest
from integrations.x12 import (
    Acknowledgment,
    X12AcknowledgmentError,
    X12RejectedError,
    X12Response,
    parse_any,
    raise_for_rejection,
)


@dataclass(frozen=True)
class Answer:
    state: TraceState  # PENDED, DECIDED, ACCEPTED or REJECTED
    kind: str  # 278, 999 or TA1
    decision: PayerDecision | None = None
    acknowledgment: str | None = None  # the 999 / TA1 status
    error: str | None = None  # the rejection (PHI-free)
    response: X12Response | None = None


def read_answer(
    text: str,
    *,
    trace: str | None,
    request: PriorAuthRequest | None,
    timezone: str,
    received_at: datetime,
) -> Answer:
    try:
        parsed = parse_any(
            text, trace=trace, request=request, timezone=timezone, received_at=received_at
        )
    except X12RejectedError as exc:
        return Answer(TraceState.REJECTED, "278", error=str(exc))
    if isinstance(parsed, Acknowledgment):
        return acknowledgment_answer(parsed)
    state = TraceState.PENDED if parsed.pended else TraceState.DECIDED
    decision = parsed.decision
    if decision.decided_at > received_at:
        # BHT04/05 carry no zone: read in the payer's, a time ahead of ours means the sender
        # wrote another zone (or its clock is ahead). A decision is never dated in the future.
        decision = decision.model_copy(update={"decided_at": received_at})
    return Answer(state, "278", decision=decision, response=parsed)


def acknowledgment_answer(ack: Acknowledgment) -> Answer:
    try:
        raise_for_rejection(ack)
    except X12AcknowledgmentError as exc:
        return Answer(TraceState.REJECTED, ack.kind, acknowledgment=ack.status, error=str(exc))
    return Answer(TraceState.ACCEPTED, ack.kind, acknowledgment=ack.status)
