"""The clearinghouse trace ledger port: what the X12 gateway remembers about each 278 it sent.

A submission sent through a clearinghouse is known by its trace number (TRN02), which the 278
response echoes, and by its interchange control number (ISA13 = GS06), which a 999 or TA1
names. The ledger keeps both against the case and the submission key, so a retried submit
finds what was sent instead of sending again, and an answer finds its case without a guess.
`store.clearinghouse.StoreTraceLedger` implements it on the case store; the gateway and the
inbound mailbox (`integrations.clearinghouse`) use it. Plain types, no I/O.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class TraceState(StrEnum):
    # Reserved before the POST: a crash here leaves the outcome unknown (resend the same trace).
    SENDING = "sending"
    PENDED = "pended"  # a 278 response pended it (A4); the final 278 comes later
    DECIDED = "decided"  # a 278 response decided it
    REJECTED = "rejected"  # a 999, TA1 or AAA rejected it: sending it again will not help
    ACCEPTED = "accepted"  # a batch 278 the clearinghouse accepted; no answer yet


ANSWERED = frozenset({TraceState.PENDED, TraceState.DECIDED, TraceState.ACCEPTED})


def trace_number_for(submission_key: str) -> str:
    """The submission's trace number: a digest of its key, so one key has one trace (18
    characters, digits and capitals: no X12 separator can occur in it)."""
    return "PA" + hashlib.sha256(submission_key.encode()).hexdigest()[:16].upper()


class TraceEntry(BaseModel):
    """One ledger row."""

    model_config = ConfigDict(frozen=True)

    control_number: int  # ISA13 and GS06 of the 278
    trace_number: str
    submission_key: str
    case_id: str
    kind: str
    payer_id: str
    state: TraceState
    acknowledgment: str | None = None  # the 999's status (A, E, R, ...), when one came
    attempts: int = 0
    created_at: AwareDatetime
    sent_at: AwareDatetime | None = None
    updated_at: AwareDatetime
    decision: dict[str, Any] | None = None  # the last PayerDecision, as JSON
    error: str | None = None  # the rejection, PHI-free


class UnmatchedMessage(BaseModel):
    """A clearinghouse message put in the review queue instead of being applied."""

    model_config = ConfigDict(frozen=True)

    id: int
    received_at: AwareDatetime
    source: str  # `realtime` or the batch file's name
    kind: str  # 278, 999, TA1 or unreadable
    trace_numbers: list[str] = Field(default_factory=list)
    case_id: str | None = None
    reason: str
    payload: str
    resolved_at: AwareDatetime | None = None
    resolved_by: str | None = None


class TraceLedger(Protocol):
    """The ledger operations the gateway and the inbound mailbox need (blocking calls)."""

    def reserve(
        self, *, submission_key: str, case_id: str, kind: str, payer_id: str, now: datetime
    ) -> TraceEntry:
        """The submission's row: the existing one, else a new one in state `sending`."""
        ...

    def mark_attempt(self, trace_number: str, now: datetime) -> TraceEntry:
        """Count one POST of the trace (sent_at is the first)."""
        ...

    def record(
        self,
        trace_number: str,
        *,
        state: TraceState,
        now: datetime,
        decision: dict[str, Any] | None = None,
        acknowledgment: str | None = None,
        error: str | None = None,
    ) -> TraceEntry:
        """Move the row to `state`, keeping the decision, 999 status or rejection given."""
        ...

    def find_trace(self, trace_number: str) -> TraceEntry | None: ...

    def find_control_number(self, control_number: int) -> TraceEntry | None: ...

    def queue_for_review(
        self,
        *,
        source: str,
        kind: str,
        trace_numbers: list[str],
        case_id: str | None,
        reason: str,
        payload: str,
        now: datetime,
    ) -> UnmatchedMessage: ...
