"""PAS request bundles from an EHR: the test-kit fixtures as they are, and PAS rule failures."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.enums import Urgency
from domain.models import CodeSystem
from integrations.pas.errors import PasValidationError
from integrations.pas.intake import parse_pas_request_bundle
from integrations.pas.intake_models import PasIntake, PayerPlanMappings, PlanMapping
from integrations.pas.intake_reply import build_pas_submit_response
from integrations.pas.responses import parse_claim_response_details
from tests.integrations.pas_helpers import CONFORMANT, PLAN, completed_fixture, load

X12_1365 = "https://codesystem.x12.org/005010/1365"

# What the test-kit bundles leave doubtful: (expression, diagnostics) of each warning, per item
# where it is per item; {org}, {practitioner} are the resources' ids, {p}/{o} their entries.
DOUBTFUL = {
    (
        "Bundle.entry[4].resource.birthDate",
        "Patient.birthDate is missing; the case is opened without the member's date of birth "
        "(confirm it with the member or the payer before a letter needs it)",
    ),
    (
        "Bundle.entry[1].resource.identifier",
        "Claim.provider (Organization/{org}): identifier '8189991234' (system "
        "http://hl7.org/fhir/sid/us-npi) fails the NPI check (an NPI starts with 1 or 2); it is "
        "kept as the provider's other identifier, not as an NPI",
    ),
    (
        "Bundle.entry[{p}].resource.identifier",
        "Claim.careTeam[0].provider (Practitioner/{practitioner}): identifier '987654321' "
        "(system http://hl7.org/fhir/sid/us-npi) fails the NPI check (an NPI is exactly 10 "
        "digits); it is kept as the provider's other identifier, not as an NPI",
    ),
}
DOUBTFUL_PER_ITEM = {
    (
        "Bundle.entry[0].resource.item[{n}].productOrService",
        "Claim.item[{n}].productOrService: '3' (Consultation) is an X12 service type code "
        f"({X12_1365}), not a CPT/HCPCS procedure code; the line is kept as that service type, "
        "which says what kind of service is asked for but not which procedure",
    ),
    (
        "Bundle.entry[0].resource.item[{n}].serviced",
        "Claim.item[{n}] has no service date (servicedDate, servicedPeriod, or the occurrence of "
        "the requested ServiceRequest/DeviceRequest); the line is kept without a service date",
    ),
}


def expected_warnings(bundle: dict[str, Any]) -> set[tuple[str, str]]:
    """DOUBTFUL and DOUBTFUL_PER_ITEM filled in for one of the test-kit bundles."""
    entries = [entry["resource"] for entry in bundle["entry"]]
    org = entries[1]["id"]
    practitioner_entry, practitioner = next(
        (position, r["id"])
        for position, r in enumerate(entries)
        if r["resourceType"] == "Practitioner"
    )
    expected = {
        (e.format(p=practitioner_entry), d.format(org=org, practitioner=practitioner))
        for e, d in DOUBTFUL
    }
    for n in range(len(entries[0]["item"])):
        expected |= {(e.format(n=n), d.format(n=n)) for e, d in DOUBTFUL_PER_ITEM}
    return expected


def outcome_issues(exc: PasValidationError) -> list[dict[str, Any]]:
    outcome = exc.to_operation_outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    issues: list[dict[str, Any]] = outcome["issue"]
    return issues


@pytest.mark.parametrize("name", CONFORMANT)
def test_conformant_bundles_parse_as_they_are(name: str) -> None:
    intake = parse_pas_request_bundle(load(name), PLAN)

    assert intake.kind == "submit"
    assert intake.member_id == "12345678901"
    assert intake.member_id_source == "Patient.identifier (https://prior-auth.davinci.hl7.org/MIN)"
    assert {i.product_or_service.code for i in intake.items} == {"3"}
    assert all(
        i.product_or_service.system == "https://codesystem.x12.org/005010/1365"
        for i in intake.items
    )
    assert [i.sequence for i in intake.items] == [1] * len(intake.items)
    assert all(i.certification_type == "I" and i.request_category == "SC" for i in intake.items)
    assert all(i.place_of_service == "11" for i in intake.items)
    assert all(i.requested_resource_type == "ServiceRequest" for i in intake.items)
    assert all(i.quantity == 1 for i in intake.items)
    assert [(d.code.code, d.primary) for d in intake.diagnoses] == [("G89.4", True)]
    # Claim.priority is 'normal' but the X12 level of service is U (Urgent).
    assert intake.urgency == Urgency.EXPEDITED
    assert intake.urgency_source == "X12 level of service U (Urgent)"
    assert intake.priority == "normal" and intake.level_of_service == "U"
    assert intake.external_reference == "111099"
    assert intake.transaction_identifier is not None
    assert intake.transaction_identifier.value == "A12345"
    assert intake.submitter_identifier is not None
    assert intake.submitter_identifier.value == "8189991234"
    assert intake.trace_assigner is not None
    assert intake.trace_assigner.value == "9012345678"
    assert intake.insurer.name == "MARYLAND CAPITAL INSURANCE COMPANY"
    assert intake.requester.name == "DR. JOE SMITH CORPORATION"
    assert intake.created == datetime(2005, 5, 2, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("name", CONFORMANT)
def test_conformant_bundles_open_cases_as_they_are(name: str) -> None:
    intake = parse_pas_request_bundle(load(name), PLAN)

    assert intake.gaps == []
    request = intake.require_request()
    assert request is intake.request
    assert request.member.member_id == "12345678901"
    assert (request.member.first_name, request.member.last_name) == ("JOE", "SMITH")
    assert request.member.birth_date is None
    assert [
        (s.sequence, s.code_system, s.code, s.description, s.units, s.place_of_service)
        for s in request.service_lines
    ] == [
        (n, CodeSystem.X12_SERVICE_TYPE, "3", "Consultation", 1, "11")
        for n in range(1, len(intake.items) + 1)
    ]
    assert all(s.start_date is None and s.end_date is None for s in request.service_lines)
    assert [(d.code, d.primary) for d in request.diagnoses] == [("G89.4", True)]
    assert request.urgency == Urgency.EXPEDITED
    assert request.urgency_justification is not None
    assert "X12 level of service U (Urgent)" in request.urgency_justification
    provider = request.requesting_provider
    assert (provider.npi, provider.other_identifier) == (None, "8189991234")
    assert provider.identifier_label == "ID 8189991234"
    assert provider.name == "DR. JOE SMITH CORPORATION"
    assert provider.address is not None and provider.address.city == "SAN DIEGO"
    servicing = request.servicing_provider
    assert servicing is not None
    assert (servicing.npi, servicing.other_identifier) == (None, "987654321")
    assert (servicing.name, servicing.phone) == ("SUSAN WATSON", "4029993456")
    assert request.coverage.payer.payer_id == "789312"
    assert request.external_reference == "111099"


@pytest.mark.parametrize("name", CONFORMANT)
def test_conformant_bundles_warn_about_each_doubtful_element(name: str) -> None:
    bundle = load(name)
    intake = parse_pas_request_bundle(bundle, PLAN)

    doubtful = {
        (w.expression, w.diagnostics)
        for w in intake.warnings
        if not (w.expression or "").endswith(".sequence")  # the repeated sequence, tested below
    }
    assert doubtful == expected_warnings(bundle)
    assert all(w.severity == "warning" for w in intake.warnings)
    outcome = intake.to_operation_outcome()
    assert {i["severity"] for i in outcome["issue"]} == {"warning"}


def test_uuid_bundle_resolves_urn_uuid_references() -> None:
    intake = parse_pas_request_bundle(load("conformant_pas_bundle_v110_uuid.json"), PLAN)

    assert intake.patient.full_url == "urn:uuid:75832284-6c15-488c-8237-0290624d5b94"
    assert intake.insurer.full_url == "urn:uuid:75832284-6c15-488c-8237-0290624d5b92"
    assert intake.coverage.resource_type == "Coverage"
    assert intake.items[0].requested_resource == (
        "ServiceRequest/75832284-6c15-488c-8237-0290624d5b95"
    )


def test_multiple_items_with_a_repeated_sequence_get_their_own_case_line() -> None:
    intake = parse_pas_request_bundle(load("conformant_pas_bundle_v110_multiple_items.json"), PLAN)

    assert [(i.sequence, i.line_sequence) for i in intake.items] == [(1, 1), (1, 2)]
    assert [i.requested_resource for i in intake.items] == [
        "ServiceRequest/ReferralRequestExample",
        "ServiceRequest/AnotherReferralRequestExample",
    ]
    assert [i.trace_number for i in intake.items] == ["1122334", "11223349"]
    repeat = [w for w in intake.warnings if (w.expression or "").endswith(".sequence")]
    assert [w.expression for w in repeat] == ["Bundle.entry[0].resource.item[1].sequence"]
    assert "repeats Claim.item[0].sequence" in repeat[0].diagnostics


def test_inquiry_bundle_is_recognized() -> None:
    intake = parse_pas_request_bundle(load("conformant_pas_inquire_bundle_v110.json"))

    assert intake.kind == "inquiry"
    assert intake.member_id == "12345678901"
    assert intake.claim_identifiers[0].value == "111099"
    assert intake.request is None and intake.gaps == []


def test_missing_referenced_resource_is_refused_naming_the_reference() -> None:
    with pytest.raises(PasValidationError) as caught:
        parse_pas_request_bundle(load("missing_referenced_resource_request_bundle.json"), PLAN)

    assert outcome_issues(caught.value) == [
        {
            "severity": "error",
            "code": "not-found",
            "diagnostics": "Claim.careTeam[0].provider: reference "
            "'Practitioner/ReferralPractitionerExample' does not resolve to any entry of the "
            "bundle (no entry has that fullUrl or resource type and id); a PAS request bundle "
            "must contain every resource it references",
            "expression": ["Bundle.entry[0].resource.careTeam[0].provider"],
        }
    ]


def test_nonconformant_bundle_is_not_a_pas_request() -> None:
    with pytest.raises(PasValidationError) as caught:
        parse_pas_request_bundle(load("nonconformant_pas_bundle_v110.json"))

    assert outcome_issues(caught.value) == [
        {
            "severity": "error",
            "code": "structure",
            "diagnostics": "Bundle.entry is empty: the bundle carries no Claim, so it is not a "
            "PAS request (a PAS request bundle starts with the Claim, followed by every "
            "resource it references)",
            "expression": ["Bundle.entry"],
        }
    ]
    assert "not a valid PAS request bundle" in str(caught.value)


def test_a_response_bundle_is_not_a_request() -> None:
    with pytest.raises(PasValidationError) as caught:
        parse_pas_request_bundle(load("valid_pa_response_bundle.json"))

    diagnostics = [i["diagnostics"] for i in outcome_issues(caught.value)]
    assert (
        "Bundle.entry[0] is a ClaimResponse; there is no Claim: this looks like a PAS "
        "response bundle, not a request" in diagnostics
    )


def _mutated(change: Any) -> dict[str, Any]:
    bundle = copy.deepcopy(load("conformant_pas_bundle_v110.json"))
    change(bundle)
    return bundle


@pytest.mark.parametrize(
    ("change", "code", "expression", "fragment"),
    [
        (
            lambda b: b["entry"].reverse(),
            "structure",
            "Bundle.entry[0].resource",
            "Bundle.entry[0] is a Practitioner; the Claim is at Bundle.entry[6]; it must come "
            "first",
        ),
        (
            lambda b: b["entry"][0]["resource"].update(use="claim"),
            "invalid",
            "Bundle.entry[0].resource.use",
            "Claim.use is 'claim'; a PAS Claim has use 'preauthorization'",
        ),
        (
            lambda b: b["entry"][0]["resource"].pop("patient"),
            "required",
            "Bundle.entry[0].resource.patient",
            "Claim.patient is missing",
        ),
        (
            lambda b: b["entry"][0]["resource"]["insurer"].update(
                reference="Patient/SubscriberExample"
            ),
            "invalid",
            "Bundle.entry[0].resource.insurer",
            "Claim.insurer references Patient/SubscriberExample, a Patient; it must be a "
            "Organization",
        ),
        (
            lambda b: b["entry"][0]["resource"].pop("diagnosis"),
            "required",
            "Bundle.entry[0].resource.diagnosis",
            "Claim.diagnosis is missing",
        ),
        (
            lambda b: b["entry"][0]["resource"]["item"][0]["productOrService"].update(coding=[]),
            "required",
            "Bundle.entry[0].resource.item[0].productOrService",
            "Claim.item[0].productOrService has no coding with a code",
        ),
        (
            lambda b: b.update(type="transaction"),
            "invalid",
            "Bundle.type",
            "Bundle.type is 'transaction'; a PAS request bundle is a 'collection'",
        ),
        (
            lambda b: b.pop("identifier"),
            "required",
            "Bundle.identifier",
            "Bundle.identifier is missing",
        ),
        (
            lambda b: b["entry"][2].update(fullUrl=b["entry"][1]["fullUrl"]),
            "invalid",
            "Bundle.entry[2].fullUrl",
            "repeats Bundle.entry[1].fullUrl",
        ),
        (
            lambda b: b["entry"][0]["resource"]["item"][0].update(sequence="one"),
            "structure",
            "Bundle.entry[0].resource.item[0].sequence",
            "Claim.item[0].sequence is not valid FHIR R4",
        ),
    ],
)
def test_pas_rule_violations_are_named(
    change: Any, code: str, expression: str, fragment: str
) -> None:
    with pytest.raises(PasValidationError) as caught:
        parse_pas_request_bundle(_mutated(change), PLAN)

    matching = [
        i
        for i in outcome_issues(caught.value)
        if i.get("expression") == [expression] and i["code"] == code
    ]
    assert matching, outcome_issues(caught.value)
    assert fragment in matching[0]["diagnostics"]


def _item(bundle: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = bundle["entry"][0]["resource"]["item"][0]
    return item


@pytest.mark.parametrize(
    ("change", "code", "expression", "diagnostics"),
    [
        pytest.param(
            lambda b: b["entry"][4]["resource"].pop("identifier"),
            "required",
            "Bundle.entry[3].resource.subscriberId",
            "no member id: neither Coverage.subscriberId, Coverage.identifier nor a member "
            "identifier on the Patient",
            id="no-member-id",
        ),
        pytest.param(
            lambda b: b["entry"][4]["resource"].pop("name"),
            "required",
            "Bundle.entry[4].resource.name",
            "Patient.name needs a given and a family name for the case",
            id="no-member-name",
        ),
        pytest.param(
            lambda b: _item(b)["productOrService"].update(
                coding=[{"system": "http://snomed.info/sct", "code": "11429006"}]
            ),
            "code-invalid",
            "Bundle.entry[0].resource.item[0].productOrService",
            "Claim.item[0].productOrService: '11429006' is not a CPT code (5 digits, or 4 digits "
            "+ F/T/U) nor a HCPCS Level II code (letter A-V + 4 digits)",
            id="code-neither-cpt-nor-service-type",
        ),
        pytest.param(
            lambda b: _item(b)["productOrService"]["coding"][0].update(code="ABC"),
            "code-invalid",
            "Bundle.entry[0].resource.item[0].productOrService",
            f"Claim.item[0].productOrService: 'ABC' (Consultation) is not an X12 service type "
            f"code ({X12_1365}: 1-2 letters or digits)",
            id="bad-service-type-code",
        ),
        pytest.param(
            lambda b: _item(b).update(servicedPeriod={"end": "2026-12-31"}),
            "required",
            "Bundle.entry[0].resource.item[0].servicedPeriod",
            "Claim.item[0]: the service period has an end but no start date (servicedPeriod, or "
            "the requested resource's occurrencePeriod); a service line with an end date needs "
            "its start date",
            id="end-without-start",
        ),
        pytest.param(
            lambda b: b["entry"][1]["resource"].pop("identifier"),
            "required",
            "Bundle.entry[1].resource.identifier",
            "Claim.provider (Organization/UMOExample) has no identifier: neither an NPI (system "
            "http://hl7.org/fhir/sid/us-npi) nor another",
            id="provider-without-identifier",
        ),
        pytest.param(
            lambda b: b["entry"][1]["resource"].pop("name"),
            "required",
            "Bundle.entry[1].resource.name",
            "Claim.provider (Organization/UMOExample) has no name",
            id="provider-without-name",
        ),
        pytest.param(
            lambda b: b["entry"][2]["resource"].pop("name"),
            "required",
            "Bundle.entry[0].resource.insurer",
            "Claim.insurer (Organization/InsurerExample) needs a name and an identifier (or a "
            "payer_id in its plan mapping)",
            id="insurer-without-name",
        ),
    ],
)
def test_what_a_case_cannot_hold_stays_a_gap(
    change: Any, code: str, expression: str, diagnostics: str
) -> None:
    intake = parse_pas_request_bundle(_mutated(change), PLAN)

    assert intake.request is None
    assert [(g.code, g.expression, g.diagnostics) for g in intake.gaps] == [
        (code, expression, diagnostics)
    ]
    with pytest.raises(PasValidationError) as caught:
        intake.require_request()
    errors = [i for i in outcome_issues(caught.value) if i["severity"] == "error"]
    assert errors == [
        {"severity": "error", "code": code, "diagnostics": diagnostics, "expression": [expression]}
    ]


def test_partial_dates_are_left_out_with_a_warning() -> None:
    def change(bundle: dict[str, Any]) -> None:
        bundle["entry"][4]["resource"]["birthDate"] = "1958"
        _item(bundle)["servicedDate"] = "2026-12"

    intake = parse_pas_request_bundle(_mutated(change), PLAN)

    request = intake.require_request()
    assert request.member.birth_date is None
    assert request.service_lines[0].start_date is None
    warnings = {w.expression: w.diagnostics for w in intake.warnings}
    assert warnings["Bundle.entry[4].resource.birthDate"].startswith(
        "Patient.birthDate is only a partial date (a year or month, not YYYY-MM-DD); the case "
        "is opened without the member's date of birth"
    )
    assert warnings["Bundle.entry[0].resource.item[0].serviced"] == (
        "Claim.item[0] has only a partial service date (a year or month, not YYYY-MM-DD); the "
        "line is kept without a service date"
    )
    assert not any("1958" in w.diagnostics for w in intake.warnings)  # no PHI in diagnostics


def test_a_service_date_and_a_birth_date_when_present_silence_their_warnings() -> None:
    def change(bundle: dict[str, Any]) -> None:
        bundle["entry"][4]["resource"]["birthDate"] = "1958-04-12"
        _item(bundle)["servicedPeriod"] = {"start": "2026-12-01", "end": "2026-12-31"}

    intake = parse_pas_request_bundle(_mutated(change), PLAN)

    request = intake.require_request()
    assert request.member.birth_date == date(1958, 4, 12)
    line = request.service_lines[0]
    assert (line.code_system, line.start_date, line.end_date) == (
        CodeSystem.X12_SERVICE_TYPE,
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    expressions = {w.expression for w in intake.warnings}
    assert "Bundle.entry[4].resource.birthDate" not in expressions
    assert "Bundle.entry[0].resource.item[0].serviced" not in expressions


def test_provider_without_npi_is_identified_by_its_other_identifier() -> None:
    def change(bundle: dict[str, Any]) -> None:
        bundle["entry"][1]["resource"]["identifier"] = [
            {"system": "urn:oid:2.16.840.1.113883.4.4", "value": "123456789"}
        ]
        bundle["entry"][6]["resource"].pop("identifier")  # careTeam practitioner: none at all

    intake = parse_pas_request_bundle(_mutated(change), PLAN)

    request = intake.require_request()
    assert request.requesting_provider.npi is None
    assert request.requesting_provider.other_identifier == "123456789"
    assert request.servicing_provider is None
    warnings = {w.expression: w.diagnostics for w in intake.warnings}
    assert warnings["Bundle.entry[1].resource.identifier"] == (
        "Claim.provider (Organization/UMOExample) has no NPI identifier (system "
        "http://hl7.org/fhir/sid/us-npi); it is identified by its identifier '123456789' "
        "(system urn:oid:2.16.840.1.113883.4.4) instead"
    )
    assert warnings["Bundle.entry[6].resource.identifier"] == (
        "Claim.careTeam[0].provider (Practitioner/ReferralPractitionerExample) has no "
        "identifier: neither an NPI (system http://hl7.org/fhir/sid/us-npi) nor another; the "
        "servicing provider is left out"
    )


def test_a_completed_test_kit_bundle_opens_a_case() -> None:
    intake = parse_pas_request_bundle(completed_fixture(), PLAN)

    request = intake.request
    assert request is not None, intake.gaps
    assert request.member.member_id == "12345678901"
    assert (request.member.first_name, request.member.last_name) == ("JOE", "SMITH")
    assert request.member.birth_date == date(1958, 4, 12)
    assert request.requesting_provider.npi == "2345678900"
    assert request.requesting_provider.name == "DR. JOE SMITH CORPORATION"
    assert request.requesting_provider.address is not None
    assert request.requesting_provider.address.city == "SAN DIEGO"
    # The careTeam practitioner's 9-digit "NPI" is kept as another identifier, with a warning.
    assert request.servicing_provider is not None
    assert request.servicing_provider.npi is None
    assert request.servicing_provider.other_identifier == "987654321"
    assert [w.expression for w in intake.warnings] == ["Bundle.entry[6].resource.identifier"]
    assert [
        (s.sequence, s.code_system, s.code, s.units, s.place_of_service, s.start_date)
        for s in request.service_lines
    ] == [(1, CodeSystem.CPT_HCPCS, "97110", 1, "11", date(2026, 12, 1))]
    assert [(d.code, d.primary) for d in request.diagnoses] == [("G89.4", True)]
    assert request.urgency == Urgency.EXPEDITED
    assert request.urgency_justification is not None
    assert "X12 level of service U (Urgent)" in request.urgency_justification
    assert request.coverage.payer.name == "MARYLAND CAPITAL INSURANCE COMPANY"
    assert request.coverage.payer.payer_id == "789312"
    assert request.coverage.plan_name == "Example Advantage PPO"
    assert request.external_reference == "111099"


def test_multi_item_completed_bundle_gets_unique_case_lines() -> None:
    intake = parse_pas_request_bundle(
        completed_fixture("conformant_pas_bundle_v110_multiple_items.json"), PLAN
    )

    assert intake.request is not None
    assert [s.sequence for s in intake.request.service_lines] == [1, 2]
    assert intake.line_for_sequence(1) == 1


def test_plan_mapping_by_payer_identifier_and_its_absence() -> None:
    mappings = PayerPlanMappings(
        by_payer={
            "789312": PlanMapping(
                regime="medicaid_managed_care", plan_name="Maryland Medicaid MCO", state="MD"
            )
        }
    )
    intake = parse_pas_request_bundle(completed_fixture(), mappings)
    assert intake.request is not None
    assert intake.request.coverage.regime == "medicaid_managed_care"
    assert intake.request.coverage.state == "MD"

    unmapped = parse_pas_request_bundle(completed_fixture())
    assert unmapped.request is None
    assert [g.code for g in unmapped.gaps] == ["business-rule"]
    assert "no plan mapping matches the insurer Organization/InsurerExample" in (
        unmapped.gaps[0].diagnostics
    )


def test_submit_response_echoes_items_as_pended() -> None:
    intake = parse_pas_request_bundle(load("conformant_pas_bundle_v110.json"), PLAN)
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

    bundle = build_pas_submit_response(intake, "case-0042", now=now)

    claim_response = bundle["entry"][0]["resource"]
    assert claim_response["outcome"] == "queued"
    assert {"system": "urn:priorauth:case", "value": "case-0042"} in claim_response["identifier"]
    assert claim_response["request"]["identifier"]["value"] == "111099"
    response = parse_claim_response_details(bundle)
    assert response.outcome == "queued"
    assert response.decision is not None
    assert [(i.sequence, i.review_action_code, i.outcome) for i in response.decision.items] == [
        (1, "A4", "pended")
    ]
    assert response.trace_numbers() >= {"111099", "case-0042"}
    assert response.warnings == []  # every reference resolves inside the response bundle


def test_submit_response_pended_and_multi_item() -> None:
    intake: PasIntake = parse_pas_request_bundle(
        load("conformant_pas_bundle_v110_multiple_items.json"), PLAN
    )

    bundle = build_pas_submit_response(intake, "case-7", status="pended")

    claim_response = bundle["entry"][0]["resource"]
    assert claim_response["outcome"] == "complete"
    assert [i["itemSequence"] for i in claim_response["item"]] == [1, 1]
    response = parse_claim_response_details(bundle, sequence_map={1: [1, 2]})
    assert response.decision is not None
    assert [i.sequence for i in response.decision.items] == [1, 2]
    assert response.pended


@pytest.mark.parametrize("data", [None, [], "Bundle", {"resourceType": "Patient"}, {}])
def test_anything_else_is_refused_cleanly(data: object) -> None:
    with pytest.raises(PasValidationError):
        parse_pas_request_bundle(data)
