"""The PAS rules on a request bundle (`intake_rules`), one check at a time.

Each check gets a bundle that passes it and one that breaks it; the broken one must give the
OperationOutcome issue the EHR sees: severity, issue code, FHIRPath expression, diagnostics.
The bundle is a small synthetic one (no real person), valid PAS as built.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from integrations.pas.errors import operation_outcome
from integrations.pas.fhir import PROFILE_CLAIM_INQUIRY, PROFILE_INQUIRY_REQUEST_BUNDLE
from integrations.pas.intake import parse_pas_request_bundle
from integrations.pas.intake_rules import check_request_bundle
from tests.integrations.pas_helpers import PLAN

BASE = "http://example.org/fhir/"
CLAIM = "Bundle.entry[0].resource"
REQUESTED_SERVICE = (
    "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-requestedService"
)

Bundle = dict[str, Any]
Change = Callable[[Bundle], object]


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"{BASE}{resource['resourceType']}/{resource['id']}", "resource": resource}


def valid_bundle() -> Bundle:
    """Claim first, then every resource it references: passes every PAS rule."""
    claim = {
        "resourceType": "Claim",
        "id": "c1",
        "identifier": [{"system": "urn:example:claims", "value": "T-1"}],
        "status": "active",
        "type": {"coding": [{"code": "professional"}]},
        "use": "preauthorization",
        "patient": {"reference": "Patient/p1"},
        "created": "2026-11-02T10:00:00Z",
        "insurer": {"reference": "Organization/ins1"},
        "provider": {"reference": "Organization/prov1"},
        "priority": {"coding": [{"code": "normal"}]},
        "careTeam": [{"sequence": 1, "provider": {"reference": "Practitioner/dr1"}}],
        "diagnosis": [
            {
                "sequence": 1,
                "diagnosisCodeableConcept": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M17.11"}]
                },
            }
        ],
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov1"}}],
        "item": [
            {
                "extension": [
                    {
                        "url": REQUESTED_SERVICE,
                        "valueReference": {"reference": "ServiceRequest/sr1"},
                    }
                ],
                "sequence": 1,
                "productOrService": {
                    "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "27447"}]
                },
            }
        ],
    }
    resources = [
        claim,
        {"resourceType": "Patient", "id": "p1", "name": [{"family": "Example", "given": ["T"]}]},
        {
            "resourceType": "Organization",
            "id": "ins1",
            "name": "Example Health Plan",
            "identifier": [{"value": "EXH01"}],
        },
        {
            "resourceType": "Organization",
            "id": "prov1",
            "name": "Example Orthopedics",
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
        },
        {
            "resourceType": "Coverage",
            "id": "cov1",
            "status": "active",
            "subscriberId": "W123456789",
            "beneficiary": {"reference": "Patient/p1"},
            "payor": [{"reference": "Organization/ins1"}],
        },
        {
            "resourceType": "ServiceRequest",
            "id": "sr1",
            "status": "active",
            "intent": "order",
            "subject": {"reference": "Patient/p1"},
        },
        {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Doctor"}]},
    ]
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:example:transactions", "value": "TX-1"},
        "type": "collection",
        "timestamp": "2026-11-02T10:00:00Z",
        "entry": [_entry(resource) for resource in resources],
    }


def _claim(bundle: Bundle) -> dict[str, Any]:
    claim: dict[str, Any] = bundle["entry"][0]["resource"]
    return claim


def changed(change: Change) -> Bundle:
    bundle = valid_bundle()
    change(bundle)
    return bundle


def outcome(bundle: Bundle) -> list[dict[str, Any]]:
    """The OperationOutcome issues the PAS rules give for `bundle` (no issues: empty)."""
    issues = check_request_bundle(copy.deepcopy(bundle)).issues
    if not issues:
        return []
    rendered: list[dict[str, Any]] = operation_outcome(issues)["issue"]
    return rendered


def issue(code: str, expression: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "severity": severity,
        "code": code,
        "diagnostics": diagnostics,
        "expression": [expression],
    }


def test_the_valid_bundle_passes_every_rule_and_opens_a_case() -> None:
    bundle = valid_bundle()
    checked = check_request_bundle(bundle)

    assert outcome(bundle) == []
    assert checked.kind == "submit"
    assert checked.claim is not None and checked.claim.index == 0
    found = (checked.patient, checked.insurer, checked.provider, checked.coverage)
    assert [entry.label if entry else None for entry in found] == [
        "Patient/p1",
        "Organization/ins1",
        "Organization/prov1",
        "Coverage/cov1",
    ]
    # The synthetic bundle is structurally valid FHIR R4 too, and maps to a case.
    assert parse_pas_request_bundle(bundle, PLAN).require_request().service_lines[0].code == "27447"


NOT_COLLECTION = "a PAS request bundle is a 'collection'"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda b: b.pop("type"),
            issue("required", "Bundle.type", f"Bundle.type is missing; {NOT_COLLECTION}"),
            id="type-missing",
        ),
        pytest.param(
            lambda b: b.update(type="transaction"),
            issue("invalid", "Bundle.type", f"Bundle.type is 'transaction'; {NOT_COLLECTION}"),
            id="type-not-collection",
        ),
        pytest.param(
            lambda b: b.pop("identifier"),
            issue(
                "required",
                "Bundle.identifier",
                "Bundle.identifier is missing: a PAS request bundle carries the submitter's "
                "transaction identifier",
            ),
            id="identifier-missing",
        ),
        pytest.param(
            lambda b: b.pop("timestamp"),
            issue(
                "required",
                "Bundle.timestamp",
                "Bundle.timestamp is missing (required by the PAS request bundle)",
            ),
            id="timestamp-missing",
        ),
    ],
)
def test_bundle_header(change: Change, expected: dict[str, Any]) -> None:
    assert outcome(changed(change)) == [expected]


@pytest.mark.parametrize("entries", [[], None, "not a list"])
def test_a_bundle_without_entries_is_not_a_request(entries: object) -> None:
    assert outcome(changed(lambda b: b.update(entry=entries))) == [
        issue(
            "structure",
            "Bundle.entry",
            "Bundle.entry is empty: the bundle carries no Claim, so it is not a PAS request (a "
            "PAS request bundle starts with the Claim, followed by every resource it "
            "references)",
        )
    ]


def test_every_entry_needs_a_resource() -> None:
    bundle = changed(lambda b: b["entry"].append({"fullUrl": "urn:uuid:0000-empty"}))

    assert outcome(bundle) == [
        issue("required", "Bundle.entry[7].resource", "Bundle.entry[7] has no resource")
    ]


def test_a_missing_full_url_is_only_a_warning() -> None:
    # The Practitioner is still found by `Practitioner/dr1` (type and id).
    bundle = changed(lambda b: b["entry"][6].pop("fullUrl"))

    assert outcome(bundle) == [
        issue(
            "required",
            "Bundle.entry[6].fullUrl",
            "Bundle.entry[6].fullUrl is missing; PAS bundle entries are identified by fullUrl",
            severity="warning",
        )
    ]
    with_warning = parse_pas_request_bundle(bundle, PLAN)
    assert [w.expression for w in with_warning.warnings][:1] == ["Bundle.entry[6].fullUrl"]


def test_full_urls_are_unique() -> None:
    def repeated(bundle: Bundle) -> None:
        # The Claim refers to these two by type and id, so only the repetition is wrong.
        bundle["entry"][5]["fullUrl"] = "urn:uuid:5e1ec7ed-0000-4000-8000-000000000001"
        bundle["entry"][6]["fullUrl"] = "urn:uuid:5e1ec7ed-0000-4000-8000-000000000001"

    assert outcome(changed(repeated)) == [
        issue(
            "invalid",
            "Bundle.entry[6].fullUrl",
            "Bundle.entry[6].fullUrl 'urn:uuid:5e1ec7ed-0000-4000-8000-000000000001' repeats "
            "Bundle.entry[5].fullUrl; fullUrls must be unique in a bundle",
        )
    ]


@pytest.mark.parametrize(
    ("change", "diagnostics"),
    [
        pytest.param(
            lambda b: b["entry"].reverse(),
            "Bundle.entry[0] is a Practitioner; the Claim is at Bundle.entry[6]; it must come "
            "first",
            id="claim-not-first",
        ),
        pytest.param(
            lambda b: b["entry"][0]["resource"].update(resourceType="ClaimResponse"),
            "Bundle.entry[0] is a ClaimResponse; there is no Claim: this looks like a PAS "
            "response bundle, not a request",
            id="a-response-bundle",
        ),
        pytest.param(
            lambda b: b["entry"].pop(0),
            "Bundle.entry[0] is a Patient; there is no Claim: this is not a PAS request bundle",
            id="no-claim",
        ),
        pytest.param(
            lambda b: b["entry"][0].pop("resource"),
            "Bundle.entry[0] has no resource; there is no Claim: this is not a PAS request bundle",
            id="first-entry-empty",
        ),
    ],
)
def test_the_claim_comes_first(change: Change, diagnostics: str) -> None:
    issues = outcome(changed(change))

    expected = issue("structure", "Bundle.entry[0].resource", diagnostics)
    assert expected in issues
    # Without a Claim first, the Claim's own rules are not checked.
    assert not [i for i in issues if i["expression"][0].startswith(f"{CLAIM}.")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda b: _claim(b).pop("use"),
            issue(
                "required",
                f"{CLAIM}.use",
                "Claim.use is missing; a PAS Claim has use 'preauthorization'",
            ),
            id="use-missing",
        ),
        pytest.param(
            lambda b: _claim(b).update(use="claim"),
            issue(
                "invalid",
                f"{CLAIM}.use",
                "Claim.use is 'claim'; a PAS Claim has use 'preauthorization'",
            ),
            id="use-not-preauthorization",
        ),
    ],
)
def test_claim_use(change: Change, expected: dict[str, Any]) -> None:
    assert outcome(changed(change)) == [expected]


@pytest.mark.parametrize(
    ("element", "kinds"),
    [
        ("patient", "Patient"),
        ("insurer", "Organization"),
        ("provider", "Organization or Practitioner or PractitionerRole"),
    ],
)
def test_a_claim_party_must_be_referenced(element: str, kinds: str) -> None:
    bundle = changed(lambda b: _claim(b).pop(element))

    assert outcome(bundle) == [
        issue(
            "required",
            f"{CLAIM}.{element}",
            f"Claim.{element} is missing: a PAS Claim must reference its {kinds} in the bundle",
        )
    ]


@pytest.mark.parametrize(
    ("element", "wrong", "kinds"),
    [
        ("patient", "Organization/ins1", "Patient"),
        ("insurer", "Patient/p1", "Organization"),
        ("provider", "Coverage/cov1", "Organization or Practitioner or PractitionerRole"),
    ],
)
def test_a_claim_party_must_have_its_resource_type(element: str, wrong: str, kinds: str) -> None:
    bundle = changed(lambda b: _claim(b)[element].update(reference=wrong))
    resource_type = wrong.split("/")[0]

    assert outcome(bundle) == [
        issue(
            "invalid",
            f"{CLAIM}.{element}",
            f"Claim.{element} references {wrong}, a {resource_type}; it must be a {kinds}",
        )
    ]


def test_a_practitioner_may_be_the_requesting_provider() -> None:
    bundle = changed(lambda b: _claim(b)["provider"].update(reference="Practitioner/dr1"))

    assert outcome(bundle) == []
    provider = check_request_bundle(bundle).provider
    assert provider is not None and provider.label == "Practitioner/dr1"


def test_the_claim_names_a_coverage() -> None:
    assert outcome(changed(lambda b: _claim(b).pop("insurance"))) == [
        issue(
            "required",
            f"{CLAIM}.insurance",
            "Claim.insurance is missing: a PAS Claim names the member's Coverage",
        )
    ]


def test_the_focal_insurance_must_reference_a_coverage() -> None:
    def second_focal(bundle: Bundle) -> None:
        claim = _claim(bundle)
        claim["insurance"][0]["focal"] = False
        claim["insurance"].append(
            {"sequence": 2, "focal": True, "coverage": {"reference": "Patient/p1"}}
        )

    assert outcome(changed(second_focal)) == [
        issue(
            "invalid",
            f"{CLAIM}.insurance[1].coverage",
            "Claim.insurance[1].coverage references Patient/p1, a Patient; it must be a Coverage",
        )
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda b: _claim(b).pop("item"),
            issue(
                "required",
                f"{CLAIM}.item",
                "Claim.item is missing: a PAS Claim requests at least one item",
            ),
            id="no-item",
        ),
        pytest.param(
            lambda b: _claim(b)["item"][0].pop("sequence"),
            issue("required", f"{CLAIM}.item[0].sequence", "Claim.item[0].sequence is missing"),
            id="sequence-missing",
        ),
        pytest.param(
            lambda b: _claim(b)["item"][0].update(sequence=0),
            issue(
                "invalid",
                f"{CLAIM}.item[0].sequence",
                "Claim.item[0].sequence must be a positive integer",
            ),
            id="sequence-zero",
        ),
        pytest.param(
            lambda b: _claim(b)["item"][0]["productOrService"].update(coding=[{"display": "x"}]),
            issue(
                "required",
                f"{CLAIM}.item[0].productOrService",
                "Claim.item[0].productOrService has no coding with a code: the payer cannot "
                "tell what is requested",
            ),
            id="no-product-code",
        ),
        pytest.param(
            lambda b: _claim(b)["item"][0]["extension"][0]["valueReference"].update(
                reference="Patient/p1"
            ),
            issue(
                "invalid",
                f"{CLAIM}.item[0].extension",
                "Claim.item[0] requestedService references Patient/p1; it must be a "
                "ServiceRequest, DeviceRequest, MedicationRequest or NutritionOrder",
            ),
            id="requested-service-not-a-request",
        ),
    ],
)
def test_items(change: Change, expected: dict[str, Any]) -> None:
    assert outcome(changed(change)) == [expected]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda b: _claim(b).pop("diagnosis"),
            issue(
                "required",
                f"{CLAIM}.diagnosis",
                "Claim.diagnosis is missing: priorauth needs at least one ICD-10-CM diagnosis",
            ),
            id="no-diagnosis",
        ),
        pytest.param(
            lambda b: _claim(b)["diagnosis"][0].pop("diagnosisCodeableConcept"),
            issue(
                "required",
                f"{CLAIM}.diagnosis[0]",
                "Claim.diagnosis[0] has neither diagnosisCodeableConcept nor diagnosisReference",
            ),
            id="diagnosis-without-code-or-reference",
        ),
    ],
)
def test_diagnoses(change: Change, expected: dict[str, Any]) -> None:
    assert outcome(changed(change)) == [expected]


def test_a_diagnosis_may_be_a_reference() -> None:
    def by_reference(bundle: Bundle) -> None:
        diagnosis = _claim(bundle)["diagnosis"][0]
        diagnosis.pop("diagnosisCodeableConcept")
        diagnosis["diagnosisReference"] = {"reference": "Condition/cond1"}
        condition = {
            "resourceType": "Condition",
            "id": "cond1",
            "subject": {"reference": "Patient/p1"},
        }
        bundle["entry"].append(_entry(condition))

    assert outcome(changed(by_reference)) == []


@pytest.mark.parametrize(
    "inquiry",
    [
        pytest.param(
            lambda b: _claim(b).update(meta={"profile": [PROFILE_CLAIM_INQUIRY]}), id="claim"
        ),
        pytest.param(
            lambda b: b.update(meta={"profile": [PROFILE_INQUIRY_REQUEST_BUNDLE]}), id="bundle"
        ),
    ],
)
def test_an_inquiry_needs_no_items_nor_diagnoses(inquiry: Change) -> None:
    def bare_inquiry(bundle: Bundle) -> None:
        inquiry(bundle)
        _claim(bundle).pop("item")
        _claim(bundle).pop("diagnosis")

    bundle = changed(bare_inquiry)

    assert check_request_bundle(bundle).kind == "inquiry"
    assert outcome(bundle) == []


def test_every_reference_resolves_inside_the_bundle() -> None:
    bundle = changed(lambda b: b["entry"].pop(6))  # the careTeam's Practitioner

    assert outcome(bundle) == [
        issue(
            "not-found",
            f"{CLAIM}.careTeam[0].provider",
            "Claim.careTeam[0].provider: reference 'Practitioner/dr1' does not resolve to any "
            "entry of the bundle (no entry has that fullUrl or resource type and id); a PAS "
            "request bundle must contain every resource it references",
        )
    ]


def test_an_unresolved_claim_party_is_reported_once_as_not_found() -> None:
    bundle = changed(lambda b: b["entry"].pop(1))  # the Patient

    issues = outcome(bundle)

    patient = [i for i in issues if i["expression"] == [f"{CLAIM}.patient"]]
    assert patient == [
        issue(
            "not-found",
            f"{CLAIM}.patient",
            "Claim.patient: reference 'Patient/p1' does not resolve to any entry of the bundle "
            "(no entry has that fullUrl or resource type and id); a PAS request bundle must "
            "contain every resource it references",
        )
    ]
    assert {i["code"] for i in issues} == {"not-found"}
