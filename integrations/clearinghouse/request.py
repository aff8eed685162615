"""The 278 request interchange of one submission, as the clearinghouse channel sends it (real
time or batch): trace number and control numbers from the ledger row, certification type by
submission kind (I request, 3 cancel)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from domain.case.vocabulary import SubmissionKind
from domain.clearinghouse_ledger import TraceEntry, TraceLedger, TraceState
from domain.payer_gateway import GatewaySubmission
from integrations.clearinghouse.errors import ClearinghouseRejectedError
from integrations.x12 import ControlNumbers, Party, X12ValidationError, build_278_request

CERTIFICATION_TYPES = {
    SubmissionKind.INITIAL: "I",
    SubmissionKind.RESUBMISSION: "I",
    SubmissionKind.CANCEL: "3",
}


@dataclass(frozen=True)
class Trading:
    """Who we are to the clearinghouse: ISA/GS sender and receiver, TRN03, ISA15 usage."""

    sender_id: str
    receiver_id: str
    originator: str = "9PRIORAUTH"
    usage: str = "P"


async def reserve_trace(
    ledger: TraceLedger, submission: GatewaySubmission, now: datetime
) -> TraceEntry:
    """The ledger row of `submission` (its trace number, kept across restarts); a submission
    the clearinghouse rejected already is a `ClearinghouseRejectedError` again, not resent."""
    entry = await asyncio.to_thread(
        ledger.reserve,
        submission_key=submission.submission_key,
        case_id=submission.case_id,
        kind=submission.kind.value,
        payer_id=submission.request.coverage.payer.payer_id,
        now=now,
    )
    if entry.state is TraceState.REJECTED:
        raise ClearinghouseRejectedError(entry.error or "the clearinghouse rejected the 278")
    return entry


def build_submission_278(
    submission: GatewaySubmission,
    entry: TraceEntry,
    trading: Trading,
    now: datetime,
    *,
    payer_id: str | None = None,
) -> str:
    """The 278 for `submission` under the ledger row's trace and control numbers; a case that
    cannot make a valid 278 (or an appeal, which has no 278) is a `ClearinghouseRejectedError`.
    `payer_id`: the payer's X12 id (payer directory) when it differs from the request's."""
    certification = CERTIFICATION_TYPES.get(submission.kind)
    if certification is None:
        raise ClearinghouseRejectedError(
            f"an X12 278 cannot carry a {submission.kind.value} submission; appeals go to the "
            "payer by letter, fax or portal"
        )
    request = submission.request
    if payer_id:
        payer = request.coverage.payer.model_copy(update={"payer_id": payer_id})
        coverage = request.coverage.model_copy(update={"payer": payer})
        request = request.model_copy(update={"coverage": coverage})
    try:
        return build_278_request(
            request,
            sender=Party(trading.sender_id),
            receiver=Party(trading.receiver_id),
            controls=ControlNumbers(entry.control_number, entry.control_number),
            trace=entry.trace_number,
            now=now,
            originator=trading.originator,
            certification_type=certification,
            usage=trading.usage,
        )
    except X12ValidationError as exc:
        raise ClearinghouseRejectedError(
            f"the case cannot make a valid X12 278: {exc.located()}"
        ) from None
