"""Build PAS Request Bundles from a priorauth case (priorauth as the submitting client).

`build_pas_request_bundle` writes a `Claim/$submit` bundle: the Claim first, then the Patient,
Coverage, insurer Organization, requesting provider (a Practitioner for a type-1 NPI, else an
Organization, also when the provider has no NPI) and the servicing provider, all referenced by
`urn:uuid:` fullUrls derived from the case id and the transaction id, so building twice with
the same inputs gives the same bytes (a retried activity resends the same message).
`parse_pas_request_bundle` reads it back.

Optional case data is left out, never invented: no `birthDate` without a birth date, no
`serviced[x]` without a start date. A line whose `code_system` is `x12_service_type` carries
its code in the X12 service type system (1365); a provider without an NPI carries its
`other_identifier` under `urn:priorauth:provider-id`, never under the NPI system.

The Claim's identifier (the patient event trace number the payer echoes in its ClaimResponse)
is `urn:priorauth:case|<case id>`, assigned by the submitter; that is how responses and
notifications find their case. `build_cancel_bundle` (certificationType 3) and
`build_inquiry_bundle` (`$inquire`) reuse the same content.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from domain.enums import Urgency
from domain.models import Address, Attachment, CodeSystem, PriorAuthRequest, Provider, ServiceLine
from integrations.pas.fhir import (
    CLAIM_TYPE_SYSTEM,
    COVERAGE_CLASS_SYSTEM,
    CPT_SYSTEM,
    DIAGNOSIS_TYPE_SYSTEM,
    EXT_CERTIFICATION_TYPE,
    EXT_ITEM_TRACE_NUMBER,
    EXT_LEVEL_OF_SERVICE,
    EXT_SERVICE_ITEM_REQUEST_TYPE,
    HCPCS_SYSTEM,
    ICD10CM_SYSTEM,
    JSON,
    NPI_SYSTEM,
    PAS_SD,
    POS_SYSTEM,
    PROCESS_PRIORITY_SYSTEM,
    PROFILE_CLAIM,
    PROFILE_CLAIM_INQUIRY,
    PROFILE_CLAIM_UPDATE,
    PROFILE_COVERAGE,
    PROFILE_INQUIRY_REQUEST_BUNDLE,
    PROFILE_INSURER,
    PROFILE_PRACTITIONER,
    PROFILE_REQUEST_BUNDLE,
    PROFILE_REQUESTOR,
    PROFILE_SUBSCRIBER,
    V2_0203_SYSTEM,
    X12_CERTIFICATION_TYPE,
    X12_ENTITY_IDENTIFIER,
    X12_LEVEL_OF_SERVICE,
    X12_REQUEST_CATEGORY,
    X12_SERVICE_TYPE,
    fhir_instant,
)
from integrations.pas.identifiers import CASE_IDENTIFIER_SYSTEM, PasIdentifier

SUBMITTER_SYSTEM = "urn:priorauth:submitter"
TRANSACTION_SYSTEM = "urn:priorauth:submitter-transaction"
MEMBER_ID_SYSTEM = "urn:priorauth:member-id"
PAYER_ID_SYSTEM = "urn:priorauth:payer-id"
ITEM_TRACE_SYSTEM = "urn:priorauth:item-trace"
PROVIDER_ID_SYSTEM = "urn:priorauth:provider-id"
ATTACHMENT_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/claiminformationcategory"
RELATED_CLAIM_SYSTEM = "http://terminology.hl7.org/CodeSystem/related-claim-relationship"
CARE_TEAM_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"

CERTIFICATION_DISPLAY = {
    "I": "Initial",
    "R": "Renewal",
    "S": "Revised",
    "4": "Extension",
    "3": "Cancel",
}

BundleKind = Literal["submit", "cancel", "inquiry"]


def claim_identifier(case_id: str) -> PasIdentifier:
    """The Claim identifier (trace number) priorauth uses for a case; payers echo it."""
    return PasIdentifier(system=CASE_IDENTIFIER_SYSTEM, value=case_id)


def _uuid(case_id: str, transaction: str, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:priorauth:{case_id}:{transaction}:{what}"))


def _concept(system: str, code: str, display: str | None = None) -> JSON:
    coding: JSON = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _address(address: Address | None) -> list[JSON]:
    if address is None:
        return []
    lines = [address.line1] + ([address.line2] if address.line2 else [])
    return [
        {
            "line": lines,
            "city": address.city,
            "state": address.state,
            "postalCode": address.postal_code,
            "country": "US",
        }
    ]


def _telecom(phone: str | None, fax: str | None = None) -> list[JSON]:
    points = []
    if phone:
        points.append({"system": "phone", "value": phone})
    if fax:
        points.append({"system": "fax", "value": fax})
    return points


def _with(resource: JSON, **optional: Any) -> JSON:
    """`resource` plus the optional elements that have a value."""
    for key, value in optional.items():
        if value:
            resource[key] = value
    return resource


def _provider_resource(provider: Provider, resource_id: str, *, requestor: bool) -> JSON:
    identifier: list[JSON] = [
        {"system": NPI_SYSTEM, "value": provider.npi}
        if provider.npi is not None
        else {"system": PROVIDER_ID_SYSTEM, "value": provider.other_identifier}
    ]
    telecom = _telecom(provider.phone, provider.fax)
    # NPI type 1 (first digit 1) is an individual practitioner, type 2 an organization; without
    # an NPI the kind is unknown and an Organization (name as given) claims the least.
    if provider.npi is None or provider.npi.startswith("2"):
        resource: JSON = {
            "resourceType": "Organization",
            "id": resource_id,
            "meta": {"profile": [PROFILE_REQUESTOR]} if requestor else {},
            "identifier": identifier,
            "active": True,
            "type": [_concept(X12_ENTITY_IDENTIFIER, "1P", "Provider")],
            "name": provider.name,
        }
        if not resource["meta"]:
            del resource["meta"]
        return _with(resource, telecom=telecom, address=_address(provider.address))
    words = provider.name.split()
    name: JSON = {"text": provider.name}
    if len(words) >= 2:
        name["family"] = words[-1]
        name["given"] = words[:-1]
    practitioner: JSON = {
        "resourceType": "Practitioner",
        "id": resource_id,
        "meta": {"profile": [PROFILE_PRACTITIONER]},
        "identifier": identifier,
        "name": [name],
    }
    return _with(practitioner, telecom=telecom, address=_address(provider.address))


def _code_system(line: ServiceLine) -> str:
    if line.code_system == CodeSystem.X12_SERVICE_TYPE:
        return X12_SERVICE_TYPE
    return HCPCS_SYSTEM if line.code[0].isalpha() else CPT_SYSTEM


def _modifier_system(line: ServiceLine, modifier: str) -> str:
    """Modifiers are CPT (two digits) or HCPCS Level II; a procedure line keeps its own system."""
    if line.code_system == CodeSystem.CPT_HCPCS:
        return _code_system(line)
    return CPT_SYSTEM if modifier.isdigit() else HCPCS_SYSTEM


def _attachments(attachments: list[Attachment]) -> list[JSON]:
    infos = []
    for position, attachment in enumerate(attachments, start=1):
        info: JSON = {
            "sequence": position,
            "category": _concept(ATTACHMENT_CATEGORY_SYSTEM, "attachment", "Attachment"),
        }
        if attachment.loinc_code:
            info["code"] = _concept("http://loinc.org", attachment.loinc_code)
        info["valueAttachment"] = {
            "contentType": attachment.content_type,
            "url": attachment.reference,
            "title": attachment.title,
        }
        infos.append(info)
    return infos


def _build(
    request: PriorAuthRequest,
    *,
    case_id: str,
    submitter_id: str,
    now: datetime,
    kind: BundleKind,
    transaction_id: str | None,
    certification_type: str,
    related_claim: PasIdentifier | None,
    attachments: list[Attachment] | None,
) -> JSON:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    transaction = transaction_id or f"{case_id}-{kind}-{now.strftime('%Y%m%dT%H%M%S')}"

    def url(what: str) -> str:
        return f"urn:uuid:{_uuid(case_id, transaction, what)}"

    def rid(what: str) -> str:
        return _uuid(case_id, transaction, what)

    member = request.member
    coverage = request.coverage
    payer = coverage.payer
    submitter = {"identifier": {"system": SUBMITTER_SYSTEM, "value": submitter_id}}

    patient: JSON = {
        "resourceType": "Patient",
        "id": rid("patient"),
        "meta": {"profile": [PROFILE_SUBSCRIBER]},
        "identifier": [
            {
                "type": _concept(V2_0203_SYSTEM, "MB", "Member Number"),
                "system": MEMBER_ID_SYSTEM,
                "value": member.member_id,
            }
        ],
        "name": [{"family": member.last_name, "given": [member.first_name]}],
    }
    if member.birth_date is not None:
        patient["birthDate"] = member.birth_date.isoformat()
    _with(patient, telecom=_telecom(member.phone), address=_address(member.address))

    coverage_classes = [
        {
            "type": _concept(COVERAGE_CLASS_SYSTEM, "plan"),
            "value": coverage.plan_id or coverage.plan_name,
            "name": coverage.plan_name,
        }
    ]
    if member.group_number:
        coverage_classes.append(
            {"type": _concept(COVERAGE_CLASS_SYSTEM, "group"), "value": member.group_number}
        )
    coverage_resource: JSON = {
        "resourceType": "Coverage",
        "id": rid("coverage"),
        "meta": {"profile": [PROFILE_COVERAGE]},
        "identifier": [
            {"type": _concept(V2_0203_SYSTEM, "MB", "Member Number"), "value": member.member_id}
        ],
        "status": "active",
        "subscriberId": member.member_id,
        "beneficiary": {"reference": url("patient")},
        "payor": [{"reference": url("insurer")}],
        "class": coverage_classes,
    }
    insurer: JSON = {
        "resourceType": "Organization",
        "id": rid("insurer"),
        "meta": {"profile": [PROFILE_INSURER]},
        "identifier": [{"system": PAYER_ID_SYSTEM, "value": payer.payer_id}],
        "active": True,
        "type": [_concept(X12_ENTITY_IDENTIFIER, "PR", "Payer")],
        "name": payer.name,
    }
    _with(insurer, telecom=_telecom(payer.phone, payer.fax))
    requester = _provider_resource(request.requesting_provider, rid("requester"), requestor=True)
    entries: list[tuple[str, JSON]] = [
        (url("patient"), patient),
        (url("coverage"), coverage_resource),
        (url("insurer"), insurer),
        (url("requester"), requester),
    ]

    primary = next(
        (n for n, d in enumerate(request.diagnoses, start=1) if d.primary),
        1,
    )
    diagnoses = []
    for position, diagnosis in enumerate(request.diagnoses, start=1):
        entry: JSON = {
            "sequence": position,
            "diagnosisCodeableConcept": _concept(
                ICD10CM_SYSTEM, diagnosis.code, diagnosis.description
            ),
        }
        if diagnosis.primary:
            entry["type"] = [_concept(DIAGNOSIS_TYPE_SYSTEM, "principal", "Principal Diagnosis")]
        diagnoses.append(entry)

    items = []
    for line in request.service_lines:
        item_extensions: list[JSON] = [
            {
                "url": EXT_ITEM_TRACE_NUMBER,
                "valueIdentifier": {
                    "system": ITEM_TRACE_SYSTEM,
                    "value": f"{case_id}-{line.sequence}",
                },
            },
            {
                "url": EXT_SERVICE_ITEM_REQUEST_TYPE,
                "valueCodeableConcept": _concept(
                    X12_REQUEST_CATEGORY, "HS", "Health Services Review"
                ),
            },
            {
                "url": EXT_CERTIFICATION_TYPE,
                "valueCodeableConcept": _concept(
                    X12_CERTIFICATION_TYPE,
                    certification_type,
                    CERTIFICATION_DISPLAY.get(certification_type),
                ),
            },
        ]
        item: JSON = {
            "extension": item_extensions,
            "sequence": line.sequence,
            "diagnosisSequence": [primary],
            "productOrService": _concept(_code_system(line), line.code, line.description),
        }
        if line.modifiers:
            item["modifier"] = [
                _concept(_modifier_system(line, modifier), modifier) for modifier in line.modifiers
            ]
        if line.start_date is not None and line.end_date is not None:
            item["servicedPeriod"] = {
                "start": line.start_date.isoformat(),
                "end": line.end_date.isoformat(),
            }
        elif line.start_date is not None:
            item["servicedDate"] = line.start_date.isoformat()
        if line.place_of_service:
            item["locationCodeableConcept"] = _concept(POS_SYSTEM, line.place_of_service)
        item["quantity"] = {"value": line.units}
        items.append(item)

    expedited = request.urgency == Urgency.EXPEDITED
    profile = {
        "submit": PROFILE_CLAIM if related_claim is None else PROFILE_CLAIM_UPDATE,
        "cancel": PROFILE_CLAIM_UPDATE,
        "inquiry": PROFILE_CLAIM_INQUIRY,
    }[kind]
    claim: JSON = {
        "resourceType": "Claim",
        "id": rid("claim"),
        "meta": {"profile": [profile]},
    }
    if expedited:
        claim["extension"] = [
            {
                "url": EXT_LEVEL_OF_SERVICE,
                "valueCodeableConcept": _concept(X12_LEVEL_OF_SERVICE, "U", "Urgent"),
            }
        ]
    trace = claim_identifier(case_id)
    claim.update(
        {
            "identifier": [{**trace.to_fhir(), "assigner": submitter}],
            "status": "active",
            "type": _concept(CLAIM_TYPE_SYSTEM, "professional", "Professional"),
            "use": "preauthorization",
            "patient": {"reference": url("patient")},
            "created": fhir_instant(now),
            "insurer": {"reference": url("insurer")},
            "provider": {"reference": url("requester")},
            "priority": _concept(PROCESS_PRIORITY_SYSTEM, "stat" if expedited else "normal"),
        }
    )
    if related_claim is not None:
        claim["related"] = [
            {
                "claim": {"identifier": related_claim.to_fhir()},
                "relationship": _concept(RELATED_CLAIM_SYSTEM, "prior", "Prior Claim"),
            }
        ]
    if request.servicing_provider is not None:
        entries.append(
            (
                url("servicing"),
                _provider_resource(request.servicing_provider, rid("servicing"), requestor=False),
            )
        )
        claim["careTeam"] = [
            {
                "extension": [
                    {"url": PAS_SD + "extension-careTeamClaimScope", "valueBoolean": True}
                ],
                "sequence": 1,
                "provider": {"reference": url("servicing")},
                "role": _concept(CARE_TEAM_ROLE_SYSTEM, "primary", "Primary provider"),
            }
        ]
    supporting = _attachments(
        [*request.attachments, *(attachments or [])] if kind != "inquiry" else []
    )
    if supporting:
        claim["supportingInfo"] = supporting
    claim["diagnosis"] = diagnoses
    claim["insurance"] = [
        {"sequence": 1, "focal": True, "coverage": {"reference": url("coverage")}}
    ]
    claim["item"] = items

    return {
        "resourceType": "Bundle",
        "id": rid("bundle"),
        "meta": {
            "profile": [
                PROFILE_INQUIRY_REQUEST_BUNDLE if kind == "inquiry" else PROFILE_REQUEST_BUNDLE
            ]
        },
        "identifier": {
            "system": TRANSACTION_SYSTEM,
            "value": transaction,
            "assigner": submitter,
        },
        "type": "collection",
        "timestamp": fhir_instant(now),
        "entry": [
            {"fullUrl": url("claim"), "resource": claim},
            *({"fullUrl": full_url, "resource": resource} for full_url, resource in entries),
        ],
    }


def build_pas_request_bundle(
    request: PriorAuthRequest,
    *,
    case_id: str,
    submitter_id: str,
    now: datetime,
    transaction_id: str | None = None,
    attachments: list[Attachment] | None = None,
    related_claim: PasIdentifier | None = None,
) -> dict[str, Any]:
    """A PAS Request Bundle for `Claim/$submit` (certificationType I, initial).

    `related_claim` makes it a Claim Update of an earlier submission (`Claim.related`);
    `transaction_id` (default: case id + `now`) is the Bundle.identifier a payer dedupes on.
    """
    return _build(
        request,
        case_id=case_id,
        submitter_id=submitter_id,
        now=now,
        kind="submit",
        transaction_id=transaction_id,
        certification_type="I",
        related_claim=related_claim,
        attachments=attachments,
    )


def build_cancel_bundle(
    request: PriorAuthRequest,
    *,
    case_id: str,
    submitter_id: str,
    now: datetime,
    transaction_id: str | None = None,
) -> dict[str, Any]:
    """A Claim Update cancelling the whole request: every item with certificationType 3."""
    return _build(
        request,
        case_id=case_id,
        submitter_id=submitter_id,
        now=now,
        kind="cancel",
        transaction_id=transaction_id,
        certification_type="3",
        related_claim=claim_identifier(case_id),
        attachments=None,
    )


def build_inquiry_bundle(
    request: PriorAuthRequest,
    *,
    case_id: str,
    submitter_id: str,
    now: datetime,
    transaction_id: str | None = None,
) -> dict[str, Any]:
    """A PAS Inquiry Request Bundle for `Claim/$inquire` (reconciliation only, never polling)."""
    return _build(
        request,
        case_id=case_id,
        submitter_id=submitter_id,
        now=now,
        kind="inquiry",
        transaction_id=transaction_id,
        certification_type="I",
        related_claim=None,
        attachments=None,
    )


__all__ = [
    "build_cancel_bundle",
    "build_inquiry_bundle",
    "build_pas_request_bundle",
    "claim_identifier",
]
