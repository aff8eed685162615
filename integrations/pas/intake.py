"""PAS `Claim/$submit` (and `$inquire`) request bundles from an EHR → priorauth requests.

priorauth acts as the PAS intermediary: an EHR posts a PAS Request Bundle, we check it and open
a case. Three layers, each with its own failure mode:

1. Structure: the bundle must be FHIR R4 (`fhir.resources.R4B`).
2. PAS rules (`intake_rules`): a `collection` bundle with identifier and timestamp, the Claim
   first, `use = preauthorization`, every reference resolvable inside the bundle (fullUrl,
   `Type/id`, `urn:uuid:`), patient / insurer / provider / Coverage present, items with a
   sequence and a productOrService code, at least one diagnosis. A failure of 1 or 2 raises
   `PasValidationError` (one OperationOutcome issue per problem) and nothing is started.
3. The priorauth case (`intake_case`, with `intake_parties`, `intake_items`,
   `intake_diagnoses`): `PasIntake.request` is the `PriorAuthRequest`. What a valid PAS bundle
   may leave doubtful is mapped as it is, with a `warnings` entry naming the element: no birth
   date, an X12 service-type code instead of CPT/HCPCS (`CodeSystem.X12_SERVICE_TYPE`), no
   service date, a provider identifier that fails the NPI check or is not an NPI (kept as
   `Provider.other_identifier`). The PAS test-kit bundles are such requests and open cases.
   What a case truly cannot hold (no member id, no member name, no plan mapping for the insurer,
   a requesting provider without a name or without any identifier, a code that is neither
   CPT/HCPCS nor an X12 service type, a service period with an end but no start...) is a gap:
   `request` is None and `gaps` says precisely what is missing; nothing is invented.
   `require_request()` turns the gaps into a `PasValidationError`.

The regulatory regime is not in a PAS bundle: the caller passes `PayerPlanMappings` (per payer
identifier, plus a default), and without one the intake reports the gap. The models are in
`intake_models`; the synchronous answer to the EHR is `intake_reply.build_pas_submit_response`.
"""

from __future__ import annotations

from integrations.pas.errors import PasValidationError
from integrations.pas.fhir import parse_r4_bundle
from integrations.pas.intake_case import build_intake
from integrations.pas.intake_context import MappingContext
from integrations.pas.intake_models import PasIntake, PayerPlanMappings, PlanMapping
from integrations.pas.intake_rules import check_request_bundle


def parse_pas_request_bundle(
    data: object, plans: PayerPlanMappings | PlanMapping | None = None
) -> PasIntake:
    """Check a PAS `Claim/$submit` or `$inquire` request bundle and map it to a case request.

    `plans` supplies what PAS does not carry (regime, plan name, payer time zone): a single
    `PlanMapping` applies to every payer. Raises `PasValidationError` for a bundle that is not
    valid PAS; a valid bundle always gives a `PasIntake` (see the module docstring for `gaps`).
    """
    mappings = (
        PayerPlanMappings(default=plans)
        if isinstance(plans, PlanMapping)
        else plans or PayerPlanMappings()
    )
    normalized, issues = parse_r4_bundle(data)
    bundle = normalized
    if bundle is None and isinstance(data, dict) and data.get("resourceType") == "Bundle":
        bundle = data  # still report the PAS rules, on the raw JSON
    if bundle is None:
        raise PasValidationError(issues, "not a PAS request bundle")
    checked = check_request_bundle(bundle)
    issues = [*checked.issues, *issues]
    if normalized is None or any(issue.is_error for issue in issues):
        raise PasValidationError(issues, "not a valid PAS request bundle")
    return build_intake(MappingContext(normalized, checked, mappings))
