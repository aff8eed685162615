"""A `PayerGateway` that talks Da Vinci PAS over HTTP (httpx).

`submit` builds the PAS Request Bundle for the submission (initial, resubmission as a Claim
Update, cancel with certificationType 3), posts it to `{base}/Claim/$submit` as
`application/fhir+json` within the PAS 15-second budget, and parses the ClaimResponse. Whatever
the synchronous answer says (approved, denied, pended A4) goes to the `DecisionSink` like any
other payer decision; later answers arrive as subscription notifications, not through here.

`inquire` posts to `{base}/Claim/$inquire`. PAS says `$inquire` SHOULD NOT be used to wait for
a pended decision; use it to reconcile (a lost notification, a restart), never as a poll loop.

Failures: `PasRejectedError` (4xx with an OperationOutcome, a ClaimResponse with
`outcome = error`, an appeal, which PAS cannot carry) is final; `PasGatewayError` with
`retryable=True` (timeouts, connection errors, 429, 5xx) may be retried. Messages are PHI-free.
Submissions are idempotent on `submission_key`: it is the Bundle.identifier the payer can
dedupe on, and a repeated key in this process returns the first receipt without resending.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from domain.case.vocabulary import SubmissionKind
from domain.models import PayerDecision, PriorAuthRequest, RequestForInformation
from domain.payer_gateway import (
    DecisionSink,
    GatewayReceipt,
    GatewaySubmission,
    InquiringGateway,
    PayerGateway,
)
from integrations.pas.errors import (
    PasGatewayError,
    PasRejectedError,
    PasUnsupportedError,
    PasValidationError,
)
from integrations.pas.fhir import as_obj, child, children, text
from integrations.pas.request_builder import (
    build_cancel_bundle,
    build_inquiry_bundle,
    build_pas_request_bundle,
    claim_identifier,
)
from integrations.pas.responses import PasResponse, parse_claim_response_details

FHIR_JSON = "application/fhir+json"
DEFAULT_TIMEOUT_SECONDS = 15.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _outcome_text(outcome: Mapping[str, Any] | None) -> str:
    if outcome is None:
        return ""
    issues = children(dict(outcome), "issue")
    return "; ".join(
        text(issue, "diagnostics") or text(child(issue, "details"), "text") or "?"
        for issue in issues
    )[:500]


class PasGateway:
    """`PayerGateway` for a PAS endpoint (a payer's FHIR API or an intermediary)."""

    def __init__(
        self,
        base_url: str,
        *,
        submitter_id: str,
        sink: DecisionSink | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.submitter_id = submitter_id
        self.sink = sink
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.clock = clock
        self._client = client
        self._owns_client = client is None
        self.receipts: dict[str, GatewayReceipt] = {}
        self.responses: dict[str, PasResponse] = {}
        self._undelivered: dict[str, tuple[str, PayerDecision, RequestForInformation | None]] = {}

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    # -- PayerGateway -----------------------------------------------------------------------

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        known = self.receipts.get(submission.submission_key)
        if known is not None:
            await self._deliver(submission.submission_key)
            return known.model_copy(update={"duplicate": True})
        bundle = self.bundle_for(submission)
        response = await self._post("Claim/$submit", bundle)
        if response.decision is None:
            reasons = "; ".join(response.errors) or "no reason given"
            raise PasRejectedError(
                f"the payer rejected the request (ClaimResponse outcome "
                f"{response.outcome!r}: {reasons})"
            )
        receipt = GatewayReceipt(
            submission_id=response.claim_response_id
            or (response.identifiers[0].value if response.identifiers else None)
            or submission.submission_key,
            accepted_at=self.clock(),
            payer_reference=response.pre_auth_ref or response.decision.payer_reference,
        )
        self.receipts[submission.submission_key] = receipt
        self.responses[submission.submission_key] = response
        self._undelivered[submission.submission_key] = (
            submission.case_id,
            response.decision,
            response.rfi,
        )
        await self._deliver(submission.submission_key)
        return receipt

    def bundle_for(self, submission: GatewaySubmission) -> dict[str, Any]:
        """The PAS bundle for a submission (its key is the bundle's transaction identifier)."""
        now = self.clock()
        common: dict[str, Any] = {
            "case_id": submission.case_id,
            "submitter_id": self.submitter_id,
            "now": now,
            "transaction_id": submission.submission_key,
        }
        match submission.kind:
            case SubmissionKind.INITIAL:
                return build_pas_request_bundle(
                    submission.request, attachments=submission.attachments, **common
                )
            case SubmissionKind.RESUBMISSION:
                return build_pas_request_bundle(
                    submission.request,
                    attachments=submission.attachments,
                    related_claim=claim_identifier(submission.case_id),
                    **common,
                )
            case SubmissionKind.CANCEL:
                return build_cancel_bundle(submission.request, **common)
            case _:
                raise PasUnsupportedError(
                    f"PAS has no message for a {submission.kind.value} submission; appeals go "
                    "to the payer by letter, fax or portal"
                )

    async def submit_bundle(self, bundle: dict[str, Any]) -> PasResponse:
        """Post a ready-made PAS request bundle (e.g. one an EHR sent us) and parse the answer.

        Nothing goes to the sink and nothing is deduplicated: the caller owns both.
        """
        return await self._post("Claim/$submit", bundle)

    # -- reconciliation ---------------------------------------------------------------------

    async def inquire(
        self, request: PriorAuthRequest, *, case_id: str, now: datetime | None = None
    ) -> PasResponse:
        """Ask the payer for the current state of a case's request (`Claim/$inquire`).

        For reconciliation only (see the module docstring); the answer is returned, not sent
        to the sink, so the caller decides whether it is news.
        """
        bundle = build_inquiry_bundle(
            request,
            case_id=case_id,
            submitter_id=self.submitter_id,
            now=now or self.clock(),
        )
        return await self._post("Claim/$inquire", bundle)

    async def inquire_decision(self, submission: GatewaySubmission) -> PayerDecision | None:
        """`InquiringGateway`: the decision in the payer's `$inquire` answer (None if none).

        The decision id is a digest of the ClaimResponse's identity, so an answer repeated by
        `$inquire` is the same decision the `$submit` answer or a notification delivered.
        """
        response = await self.inquire(submission.request, case_id=submission.case_id)
        return response.decision

    # -- plumbing ---------------------------------------------------------------------------

    async def _deliver(self, key: str) -> None:
        pending = self._undelivered.get(key)
        if pending is None or self.sink is None:
            return
        case_id, decision, rfi = pending
        await self.sink.payer_decision(case_id, decision, rfi)
        self._undelivered.pop(key, None)

    async def _post(self, operation: str, bundle: dict[str, Any]) -> PasResponse:
        url = f"{self.base_url}/{operation}"
        headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, **self.headers}
        body = json.dumps(bundle, separators=(",", ":")).encode()
        try:
            # httpx's own timeout does not cover every transport (e.g. in-process ASGI);
            # the outer bound keeps the PAS round-trip budget in all cases.
            reply = await asyncio.wait_for(
                self.client.post(
                    url, content=body, headers=headers, timeout=httpx.Timeout(self.timeout)
                ),
                timeout=self.timeout,
            )
        except (TimeoutError, httpx.TimeoutException):
            raise PasGatewayError(
                f"{operation} timed out after {self.timeout:g} s", retryable=True
            ) from None
        except httpx.TransportError as exc:
            raise PasGatewayError(
                f"{operation} failed to reach the payer ({type(exc).__name__})", retryable=True
            ) from None
        return self._read(operation, reply)

    def _read(self, operation: str, reply: httpx.Response) -> PasResponse:
        status = reply.status_code
        try:
            payload: object = reply.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            payload = None
        outcome = as_obj(payload)
        if outcome is not None and outcome.get("resourceType") != "OperationOutcome":
            outcome = None
        if status == 429 or status >= 500:
            raise PasGatewayError(
                f"{operation} answered HTTP {status}; try again later. {_outcome_text(outcome)}",
                retryable=True,
                status_code=status,
                outcome=outcome,
            )
        if status >= 400:
            raise PasRejectedError(
                f"{operation} refused the request with HTTP {status}: "
                f"{_outcome_text(outcome) or 'no OperationOutcome'}",
                status_code=status,
                outcome=outcome,
            )
        bundle = as_obj(payload)
        if bundle is not None and bundle.get("resourceType") == "Parameters":
            # A FHIR operation may wrap its result: Parameters.parameter(name=return).resource.
            for parameter in children(bundle, "parameter"):
                if text(parameter, "name") == "return":
                    bundle = child(parameter, "resource")
                    break
        if bundle is not None and bundle.get("resourceType") == "OperationOutcome":
            raise PasRejectedError(
                f"{operation} answered with an OperationOutcome: {_outcome_text(bundle)}",
                status_code=status,
                outcome=bundle,
            )
        try:
            return parse_claim_response_details(bundle, received_at=self.clock())
        except PasValidationError as exc:
            raise PasGatewayError(
                f"{operation} returned an unreadable PAS response: {exc}",
                retryable=False,
                status_code=status,
                outcome=exc.to_operation_outcome(),
            ) from None


if TYPE_CHECKING:

    def _implements_payer_gateway(gateway: PasGateway) -> PayerGateway:
        return gateway

    def _implements_inquiring_gateway(gateway: PasGateway) -> InquiringGateway:
        return gateway


__all__ = ["DEFAULT_TIMEOUT_SECONDS", "FHIR_JSON", "PasGateway"]
