"""A checked PAS request bundle → a `PasIntake`, with the case `PriorAuthRequest` if possible.

`build_intake` reads the Claim's parties, items and diagnoses (`intake_parties`, `intake_items`,
`intake_diagnoses`), its identifiers, urgency and attachments, and for a `$submit` builds the
case request from them. Expedited review is asked for by `Claim.priority` `stat` / `urgent` or
the X12 level of service `U` / `03`. A MedicationRequest among the requested services makes the
case a drug request (a Part B drug under Medicare Advantage). Any gap leaves `request` None.
"""

from __future__ import annotations

from pydantic import ValidationError

from domain.enums import ItemType, Regime, Urgency
from domain.models import Attachment, PriorAuthRequest
from integrations.pas.fhir import (
    EXT_LEVEL_OF_SERVICE,
    NPI_SYSTEM,
    child,
    children,
    extension,
    first_coding,
    normalize_system,
    parse_instant,
    reference_of,
    text,
    x12_coding,
)
from integrations.pas.identifiers import PasIdentifier
from integrations.pas.intake_context import MappingContext, concept_label
from integrations.pas.intake_diagnoses import diagnosis_models, read_diagnoses
from integrations.pas.intake_items import read_items, service_lines
from integrations.pas.intake_models import (
    PasDiagnosis,
    PasIntake,
    PasItem,
    PasParty,
    PlanMapping,
)
from integrations.pas.intake_parties import (
    coverage_model,
    find_member_id,
    identifiers_of,
    member_model,
    provider_model,
    read_party,
    servicing_provider,
)


def build_intake(ctx: MappingContext) -> PasIntake:
    """The intake of a checked bundle; problems end up in `ctx.gaps` / `ctx.warnings`."""
    claim = ctx.claim.resource
    patient = read_party(ctx.patient, ctx.index)
    insurer = read_party(ctx.insurer, ctx.index)
    requester = read_party(ctx.provider_entry, ctx.index)
    coverage_entry = ctx.coverage
    coverage_party = (
        read_party(coverage_entry, ctx.index)
        if coverage_entry is not None
        else PasParty(reference="", resource_type="Coverage")
    )
    items = read_items(ctx)
    diagnoses = read_diagnoses(ctx)
    urgency, urgency_source, priority, level = _urgency(ctx)
    member_id, member_source = find_member_id(ctx.patient, coverage_entry)
    certification_types = [i.certification_type for i in items if i.certification_type]
    claim_identifiers = identifiers_of(claim)
    first_identifier = next(iter(children(claim, "identifier")), None)
    trace_assigner = PasIdentifier.from_fhir(
        child(child(first_identifier, "assigner"), "identifier")
    )
    transaction = PasIdentifier.from_fhir(child(ctx.bundle, "identifier"))
    submitter = next(
        (i for i in requester.identifiers if normalize_system(i.system) == NPI_SYSTEM),
        requester.identifiers[0] if requester.identifiers else None,
    )
    external_reference = claim_identifiers[0].value if claim_identifiers else None

    request: PriorAuthRequest | None = None
    plan: PlanMapping | None = None
    if ctx.kind == "submit":
        request, plan = _case_request(
            ctx,
            insurer=insurer,
            requester=requester,
            items=items,
            diagnoses=diagnoses,
            member_id=member_id,
            urgency=urgency,
            urgency_source=urgency_source,
            external_reference=external_reference,
        )

    return PasIntake(
        kind=ctx.kind,
        transaction_identifier=transaction,
        bundle_timestamp=parse_instant(ctx.bundle.get("timestamp")),
        claim_id=text(claim, "id"),
        claim_full_url=ctx.claim.full_url,
        claim_identifiers=claim_identifiers,
        claim_type=child(claim, "type"),
        created=parse_instant(claim.get("created")),
        external_reference=external_reference,
        submitter_identifier=submitter,
        trace_assigner=trace_assigner,
        member_id=member_id,
        member_id_source=member_source,
        patient=patient,
        insurer=insurer,
        requester=requester,
        coverage=coverage_party,
        items=items,
        diagnoses=diagnoses,
        urgency=urgency,
        urgency_source=urgency_source,
        priority=priority,
        level_of_service=level,
        certification_type=certification_types[0] if certification_types else None,
        plan=plan,
        request=request,
        gaps=ctx.gaps,
        warnings=ctx.warnings,
    )


def _case_request(
    ctx: MappingContext,
    *,
    insurer: PasParty,
    requester: PasParty,
    items: list[PasItem],
    diagnoses: list[PasDiagnosis],
    member_id: str | None,
    urgency: Urgency,
    urgency_source: str | None,
    external_reference: str | None,
) -> tuple[PriorAuthRequest | None, PlanMapping | None]:
    """The case request of a `$submit` (None when anything is a gap), and its plan mapping.

    Every part is mapped even after a gap, so the intake names all of them at once.
    """
    member = member_model(ctx, member_id)
    coverage, plan = coverage_model(ctx, insurer)
    provider = provider_model(ctx, ctx.provider_entry, requester, "Claim.provider", required=True)
    servicing = servicing_provider(ctx, requester)
    lines = service_lines(ctx, items)
    case_diagnoses = diagnosis_models(ctx, diagnoses)
    attachments = _attachments(ctx)
    if ctx.gaps or not (member and coverage and provider):
        return None, plan
    item_type = ItemType.SERVICE
    if any(i.requested_resource_type == "MedicationRequest" for i in items):
        item_type = (
            ItemType.PART_B_DRUG if coverage.regime == Regime.MEDICARE_ADVANTAGE else ItemType.DRUG
        )
    justification = None
    if urgency == Urgency.EXPEDITED:
        justification = (
            f"The requesting provider asked for expedited review in the PAS request "
            f"({urgency_source}): applying the standard time frame could seriously "
            "jeopardize the member's life, health or ability to regain maximum "
            "function."
        )
    try:
        request = PriorAuthRequest(
            member=member,
            coverage=coverage,
            requesting_provider=provider,
            servicing_provider=servicing,
            service_lines=lines,
            diagnoses=case_diagnoses,
            urgency=urgency,
            urgency_justification=justification,
            item_type=item_type,
            attachments=attachments,
            external_reference=external_reference,
        )
    except ValidationError as exc:
        ctx.domain_problems(exc, "case request", ctx.claim.path)
        return None, plan
    return request, plan


def _urgency(ctx: MappingContext) -> tuple[Urgency, str | None, str | None, str | None]:
    """(urgency, why expedited, Claim.priority code, X12 level of service code)."""
    claim = ctx.claim.resource
    priority = first_coding(child(claim, "priority"))
    level = x12_coding(
        child(extension(claim, EXT_LEVEL_OF_SERVICE), "valueCodeableConcept"), "1338"
    )
    priority_code = priority.code if priority else None
    level_code = level.code if level else None
    if priority_code in ("stat", "urgent"):
        return Urgency.EXPEDITED, f"Claim.priority '{priority_code}'", priority_code, level_code
    if level_code in ("U", "03"):
        label = level.display if level and level.display else level_code
        return (
            Urgency.EXPEDITED,
            f"X12 level of service {level_code} ({label})",
            priority_code,
            level_code,
        )
    return Urgency.STANDARD, None, priority_code, level_code


def _attachments(ctx: MappingContext) -> list[Attachment]:
    """`Claim.supportingInfo` attachments (by url or reference); unusable ones are warned about."""
    found = []
    for position, info in enumerate(children(ctx.claim.resource, "supportingInfo")):
        attachment = child(info, "valueAttachment")
        reference = reference_of(child(info, "valueReference"))
        url = text(attachment, "url") if attachment else None
        target = url or reference
        if target is None:
            continue
        loinc = first_coding(child(info, "code"), "http://loinc.org")
        title = (
            text(attachment, "title")
            or concept_label(child(info, "code"))
            or concept_label(child(info, "category"))
            or "Supporting document"
        )
        try:
            found.append(
                Attachment(
                    reference=target,
                    title=title,
                    content_type=text(attachment, "contentType") or "application/pdf",
                    loinc_code=loinc.code if loinc and loinc.system == "http://loinc.org" else None,
                )
            )
        except ValidationError:
            ctx.warn(
                "value",
                f"Claim.supportingInfo[{position}] was left out: not a usable attachment",
                f"{ctx.claim.path}.supportingInfo[{position}]",
            )
    return found
