"""Submit to the payer through a `PayerGateway`, loading the request (PHI) from the store.

The activities are async (the gateways are), so the store read (`CaseRecorder.load_request`,
only the request, blocking I/O) runs in a thread, never on the worker's event loop.

The workflow passes only the case id and an idempotency key; the gateway dedupes on the key, so
a retried activity never submits twice. `inquire_payer` asks a gateway that can
(`InquiringGateway`, e.g. PAS `$inquire`) for the current decision: read-only, so a retry is
harmless; a gateway without the capability answers None.
"""

from __future__ import annotations

import asyncio

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import errors
from activities.case_store import CaseNotFoundError, CaseRecorder, not_found
from activities.models import InquireInput, SubmitInput, SubmitResult
from domain.models import PayerDecision
from domain.payer_gateway import (
    GatewaySubmission,
    InquiringGateway,
    InquiryUnsupportedError,
    PayerGateway,
    PayerRejectedError,
)

log = structlog.stdlib.get_logger("priorauth.activities")


class PayerActivities:
    def __init__(self, gateway: PayerGateway, recorder: CaseRecorder) -> None:
        self.gateway = gateway
        self.recorder = recorder

    @activity.defn(name="submit_to_payer")
    async def submit_to_payer(self, submission: SubmitInput) -> SubmitResult:
        try:
            request = await asyncio.to_thread(self.recorder.load_request, submission.case_id)
        except CaseNotFoundError:
            raise not_found(submission.case_id) from None
        try:
            receipt = await self.gateway.submit(
                GatewaySubmission(
                    case_id=submission.case_id,
                    submission_key=submission.key,
                    kind=submission.kind,
                    request=request,
                    attachments=submission.attachments,
                    appeal_level=submission.appeal_level,
                    appeal_number=submission.appeal_number,
                    letter_id=submission.letter_id,
                )
            )
        except PayerRejectedError as exc:
            raise ApplicationError(
                str(exc), type=errors.PAYER_REJECTED, non_retryable=True
            ) from None
        log.info(
            "payer_submission",
            case_id=submission.case_id,
            key=submission.key,
            kind=submission.kind.value,
            submission_id=receipt.submission_id,
            duplicate=receipt.duplicate,
        )
        return SubmitResult(
            submission_id=receipt.submission_id,
            accepted_at=receipt.accepted_at,
            payer_reference=receipt.payer_reference,
            duplicate=receipt.duplicate,
        )

    @activity.defn(name="inquire_payer")
    async def inquire_payer(self, inquiry: InquireInput) -> PayerDecision | None:
        gateway = self.gateway
        if not isinstance(gateway, InquiringGateway):
            raise _unsupported()
        try:
            request = await asyncio.to_thread(self.recorder.load_request, inquiry.case_id)
        except CaseNotFoundError:
            raise not_found(inquiry.case_id) from None
        try:
            found = await gateway.inquire_decision(
                GatewaySubmission(
                    case_id=inquiry.case_id,
                    submission_key=inquiry.key,
                    kind=inquiry.kind,
                    request=request,
                )
            )
        except InquiryUnsupportedError:
            raise _unsupported() from None
        except PayerRejectedError as exc:
            raise ApplicationError(
                str(exc), type=errors.PAYER_REJECTED, non_retryable=True
            ) from None
        log.info(
            "payer_inquiry",
            case_id=inquiry.case_id,
            key=inquiry.key,
            decision_id=found.decision_id if found else None,
        )
        return found


def _unsupported() -> ApplicationError:
    """The workflow stops polling a channel that cannot be asked."""
    return ApplicationError(
        "this payer channel cannot be asked where a request stands",
        type=errors.INQUIRY_UNSUPPORTED,
        non_retryable=True,
    )
