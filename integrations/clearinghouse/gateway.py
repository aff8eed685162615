"""A `PayerGateway` that sends the X12 278 through a clearinghouse in real time (CAQH CORE).

`submit` reserves the submission's row in the trace ledger (one trace number per submission
key, also across worker restarts), builds the 278 (`integrations.x12.build_278_request`, the
row id as ISA13/GS06), wraps it in the CORE real-time SOAP envelope (a fresh PayloadID and
TimeStamp, the UsernameToken credentials) and POSTs it. The reply's payload is:

- a 278 response: its decision (pended A4 or final) goes to the `DecisionSink`, like the PAS
  gateway's synchronous answer, and is kept in the ledger; the final 278 after a pend arrives
  later in the inbound mailbox (`integrations.clearinghouse.batch`);
- a 999 or TA1 rejecting the 278, or a 278 with AAA: `ClearinghouseRejectedError` (a
  `PayerRejectedError`, final) naming segment and element; the case records it;
- a 999 accepting it: the 278 response follows in the mailbox.

Idempotency: a row already answered (pended, decided, accepted) is not sent again: its kept
decision is handed to the sink again (the workflow dedupes it) and the receipt says
`duplicate`; a rejected row raises its rejection again. A row still `sending` (a worker killed
during the POST, a timeout) is sent again with the same trace number and control numbers: the
clearinghouse answers a repeated trace with its first answer (the sandbox does; docs/
clearinghouse.md). Timeouts, connection errors, HTTP 5xx and unreadable replies raise
`ClearinghouseError`, which the activity retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from domain.clearinghouse_ledger import ANSWERED, TraceEntry, TraceLedger, TraceState
from domain.enums import Regime
from domain.models import PayerDecision
from domain.payer_gateway import DecisionSink, GatewayReceipt, GatewaySubmission, PayerGateway
from integrations.clearinghouse.answers import Answer, read_answer
from integrations.clearinghouse.core_envelope import (
    SUCCESS,
    X12_278_REQUEST,
    CoreEnvelope,
    EnvelopeError,
    parse_soap,
    soap,
)
from integrations.clearinghouse.errors import ClearinghouseError, ClearinghouseRejectedError
from integrations.clearinghouse.request import Trading, build_submission_278, reserve_trace
from integrations.x12 import X12Error, X12TraceMismatchError

SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
DEFAULT_TIMEOUT_SECONDS = 20.0  # CORE: a real-time response within 20 seconds
DEFAULT_TIMEZONE = "America/New_York"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ClearinghouseGateway:
    """`PayerGateway` for a clearinghouse's CORE real-time endpoint."""

    def __init__(
        self,
        url: str,
        *,
        ledger: TraceLedger,
        trading: Trading,
        username: str | None = None,
        password: str | None = None,
        sink: DecisionSink | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        clock: Callable[[], datetime] = _utcnow,
        x12_payer_id: Callable[[str, Regime], str | None] | None = None,
    ) -> None:
        self.url = url
        # The payer directory's X12 payer id of a payer's line (NM1*X3), when it has one.
        self.x12_payer_id = x12_payer_id
        self.ledger = ledger
        self.trading = trading
        self.username = username
        self.password = password
        self.sink = sink
        self.timeout = timeout
        self.clock = clock
        self._client = client
        self._owns_client = client is None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        entry = await reserve_trace(self.ledger, submission, self.clock())
        if entry.state in ANSWERED:
            await self._deliver(entry.case_id, entry.decision)
            return self._receipt(entry, duplicate=True)
        coverage = submission.request.coverage
        payer_id = None
        if self.x12_payer_id is not None:
            payer_id = await asyncio.to_thread(
                self.x12_payer_id, coverage.payer.payer_id, coverage.regime
            )
        try:
            x12 = build_submission_278(
                submission, entry, self.trading, self.clock(), payer_id=payer_id
            )
        except ClearinghouseRejectedError as exc:
            await self._record(entry, Answer(TraceState.REJECTED, "278", error=str(exc)))
            raise
        await asyncio.to_thread(self.ledger.mark_attempt, entry.trace_number, self.clock())
        reply = await self._post(x12)
        timezone = submission.request.coverage.payer.timezone or DEFAULT_TIMEZONE
        try:
            answer = read_answer(
                reply.payload,
                trace=entry.trace_number,
                request=submission.request,
                timezone=timezone,
                received_at=self.clock(),
            )
        except X12TraceMismatchError as exc:
            await self._queue(entry, reply.payload, f"real-time reply for another trace: {exc}")
            raise ClearinghouseError(
                f"the clearinghouse answered trace {entry.trace_number} with another request's "
                "278 (kept in the review queue)"
            ) from None
        except X12Error as exc:
            raise ClearinghouseError(
                f"the clearinghouse's reply is not readable X12: {exc}"
            ) from None
        entry = await self._record(entry, answer)
        if answer.state is TraceState.REJECTED:
            raise ClearinghouseRejectedError(answer.error or "the clearinghouse rejected the 278")
        await self._deliver(entry.case_id, entry.decision)
        return self._receipt(entry, duplicate=False)

    # -- plumbing ---------------------------------------------------------------------------

    def _receipt(self, entry: TraceEntry, *, duplicate: bool) -> GatewayReceipt:
        reference = (entry.decision or {}).get("payer_reference")
        return GatewayReceipt(
            submission_id=entry.trace_number,
            accepted_at=entry.sent_at or self.clock(),
            payer_reference=reference if isinstance(reference, str) else None,
            duplicate=duplicate,
        )

    async def _deliver(self, case_id: str, decision: dict[str, object] | None) -> None:
        if decision is None or self.sink is None:
            return
        await self.sink.payer_decision(case_id, PayerDecision.model_validate(decision), None)

    async def _record(self, entry: TraceEntry, answer: Answer) -> TraceEntry:
        decision = answer.decision.model_dump(mode="json") if answer.decision else None
        return await asyncio.to_thread(
            self.ledger.record,
            entry.trace_number,
            state=answer.state,
            now=self.clock(),
            decision=decision,
            acknowledgment=answer.acknowledgment,
            error=answer.error,
        )

    async def _queue(self, entry: TraceEntry, payload: str, reason: str) -> None:
        await asyncio.to_thread(
            self.ledger.queue_for_review,
            source="realtime",
            kind="278",
            trace_numbers=[entry.trace_number],
            case_id=None,
            reason=reason,
            payload=payload,
            now=self.clock(),
        )

    async def _post(self, x12: str) -> CoreEnvelope:
        request = CoreEnvelope.request(
            X12_278_REQUEST, self.trading.sender_id, self.trading.receiver_id, x12
        )
        body = soap(request, username=self.username, password=self.password)
        try:
            # httpx's own timeout does not cover every transport (in-process ASGI): bound it.
            reply = await asyncio.wait_for(
                self.client.post(
                    self.url,
                    content=body,
                    headers={"Content-Type": SOAP_CONTENT_TYPE},
                    timeout=httpx.Timeout(self.timeout),
                ),
                timeout=self.timeout,
            )
        except (TimeoutError, httpx.TimeoutException):
            raise ClearinghouseError(
                f"the clearinghouse did not answer within {self.timeout:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise ClearinghouseError(
                f"the clearinghouse could not be reached ({type(exc).__name__})"
            ) from None
        if reply.status_code in (401, 403):
            raise ClearinghouseError(
                f"the clearinghouse refused our credentials (HTTP {reply.status_code}): check "
                "PRIORAUTH_CLEARINGHOUSE_USERNAME and PRIORAUTH_CLEARINGHOUSE_PASSWORD"
            )
        if reply.status_code >= 400:
            raise ClearinghouseError(f"the clearinghouse answered HTTP {reply.status_code}")
        try:
            envelope = parse_soap(reply.content).envelope
        except EnvelopeError as exc:
            raise ClearinghouseError(
                f"the clearinghouse's CORE envelope is invalid: {exc}"
            ) from None
        if not envelope.is_response:
            raise ClearinghouseError("the clearinghouse answered with a request envelope")
        if envelope.payload_id != request.payload_id:
            raise ClearinghouseError(
                f"the reply's PayloadID {envelope.payload_id} is not the request's "
                f"{request.payload_id}"
            )
        if envelope.error_code != SUCCESS:
            raise ClearinghouseError(
                f"the clearinghouse refused the envelope: {envelope.error_code} "
                f"{envelope.error_message or ''}".strip()
            )
        if not envelope.payload.strip():
            raise ClearinghouseError("the clearinghouse's reply carries no payload")
        return envelope


if TYPE_CHECKING:

    def _implements_payer_gateway(gateway: ClearinghouseGateway) -> PayerGateway:
        return gateway


__all__ = ["DEFAULT_TIMEOUT_SECONDS", "ClearinghouseGateway"]
