"""Da Vinci Prior Authorization Support (PAS, FHIR R4): intake, responses, builders, gateway.

- `intake`: PAS request bundles from an EHR → `PasIntake` / `PriorAuthRequest`: the PAS rules
  (`intake_rules`), the mapping to a case (`intake_case`, `intake_parties`, `intake_items`,
  `intake_diagnoses`, sharing `intake_context`), the models (`intake_models`), and the
  intermediary's synchronous "queued" response (`intake_reply`).
- `responses`: PAS ClaimResponse bundles and subscription notifications → `PayerDecision`.
- `request_builder`: a case → PAS request / cancel / inquiry bundles.
- `response_builder`: ClaimResponse bundles and notification bundles (sandbox payer, intake).
- `gateway`: `PasGateway`, the httpx `PayerGateway` for `Claim/$submit` and `$inquire`.
- `errors`: `PasValidationError` (with its OperationOutcome) and the gateway errors.
- `fhir`, `identifiers`: FHIR R4 plumbing, `PasIdentifier` and the case identifier system.

See docs/pas.md for what is supported and the mapping tables.
"""

from integrations.pas.errors import (
    PasError,
    PasGatewayError,
    PasIssue,
    PasRejectedError,
    PasUnsupportedError,
    PasValidationError,
)
from integrations.pas.intake import parse_pas_request_bundle
from integrations.pas.intake_models import PasIntake, PayerPlanMappings, PlanMapping
from integrations.pas.intake_reply import build_pas_submit_response
from integrations.pas.request_builder import (
    build_cancel_bundle,
    build_inquiry_bundle,
    build_pas_request_bundle,
)
from integrations.pas.responses import (
    PasNotification,
    PasResponse,
    parse_claim_response_bundle,
    parse_claim_response_details,
    parse_subscription_notification,
)

__all__ = [
    "PasError",
    "PasGatewayError",
    "PasIntake",
    "PasIssue",
    "PasNotification",
    "PasRejectedError",
    "PasResponse",
    "PasUnsupportedError",
    "PasValidationError",
    "PayerPlanMappings",
    "PlanMapping",
    "build_cancel_bundle",
    "build_inquiry_bundle",
    "build_pas_request_bundle",
    "build_pas_submit_response",
    "parse_claim_response_bundle",
    "parse_claim_response_details",
    "parse_pas_request_bundle",
    "parse_subscription_notification",
]
