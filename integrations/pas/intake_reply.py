"""priorauth's synchronous answer to an EHR's accepted PAS `Claim/$submit` (as intermediary).

`build_pas_submit_response` echoes every requested item as pended (A4) in a PAS Response
Bundle that carries the case id; the EHR learns the decision later by subscription
notification. The ClaimResponse itself is written by `response_builder`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from integrations.pas.fhir import JSON
from integrations.pas.identifiers import CASE_IDENTIFIER_SYSTEM
from integrations.pas.intake_models import PasIntake
from integrations.pas.response_builder import (
    ClaimResponseSpec,
    ItemResult,
    build_claim_response,
    build_response_bundle,
)


def build_pas_submit_response(
    intake: PasIntake,
    case_id: str,
    status: Literal["queued", "pended"] = "queued",
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The PAS Response Bundle priorauth returns to the EHR for an accepted `$submit`.

    Every requested item is echoed with its own `sequence` and review action A4 (pended), the
    ClaimResponse carries the Claim's identifiers plus `urn:priorauth:case|<case id>`, and the
    EHR learns the decision later through its PAS subscription. `queued`: accepted, not yet at
    the payer (`outcome = queued`); `pended`: the payer has pended it for review
    (`outcome = complete`, the processing is done, the decision is not).
    """
    moment = now or datetime.now(UTC)
    response_id = f"{case_id}-response"
    identifiers = [i.to_fhir() for i in intake.claim_identifiers]
    identifiers.append({"system": CASE_IDENTIFIER_SYSTEM, "value": case_id})
    request_ref: JSON = {}
    if intake.claim_identifiers:
        request_ref["identifier"] = intake.claim_identifiers[0].to_fhir()
    if intake.claim_id:
        request_ref["reference"] = f"Claim/{intake.claim_id}"
    note = (
        "Received by priorauth and queued for the payer; the decision follows by notification."
        if status == "queued"
        else "Pended for review by the payer; the decision follows by notification."
    )
    spec = ClaimResponseSpec(
        id=response_id,
        created=moment,
        patient={"reference": intake.patient.reference},
        insurer={"reference": intake.insurer.reference},
        requestor={"reference": intake.requester.reference},
        identifiers=identifiers,
        request=request_ref or None,
        outcome="queued" if status == "queued" else "complete",
        disposition=note,
        claim_type=intake.claim_type,
        items=[ItemResult(sequence=item.sequence, review_action="A4") for item in intake.items],
    )
    claim_response = build_claim_response(spec)
    url = f"urn:uuid:{_uuid_for(case_id, 'claim-response')}"
    others = [
        (party.full_url or party.reference, party.resource)
        for party in (intake.patient, intake.insurer, intake.requester)
        if party.resource
    ]
    return build_response_bundle(
        claim_response,
        claim_response_url=url,
        others=others,
        timestamp=moment,
        bundle_id=f"{case_id}-response-bundle",
        identifier={"system": CASE_IDENTIFIER_SYSTEM, "value": case_id},
    )


def _uuid_for(case_id: str, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:priorauth:{case_id}:{what}"))
