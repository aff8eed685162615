"""Case → PAS request bundle, read back by our own intake (round trip)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from domain.enums import Urgency
from domain.models import CodeSystem, PriorAuthRequest
from integrations.pas.fhir import NPI_SYSTEM, X12_SERVICE_TYPE, iter_references
from integrations.pas.intake import parse_pas_request_bundle
from integrations.pas.intake_models import PlanMapping
from integrations.pas.request_builder import (
    PROVIDER_ID_SYSTEM,
    build_cancel_bundle,
    build_inquiry_bundle,
    build_pas_request_bundle,
    claim_identifier,
)
from tests.integrations.pas_helpers import PLAN, line, load, make_request, request_data

NOW = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


def _plan_for(request: Any) -> PlanMapping:
    return PlanMapping(regime=request.coverage.regime, plan_name=request.coverage.plan_name)


def _resources(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}


def test_round_trip_keeps_the_case() -> None:
    request = make_request(
        servicing_provider={"npi": "1245319599", "name": "Jane Q Surgeon"},
        urgency="expedited",
        urgency_justification="Progressive loss of function; surgery date held",
        attachments=[
            {
                "reference": "https://docs.example/ortho-note.pdf",
                "title": "Ortho note",
                "loinc_code": "11506-3",
            }
        ],
        service_lines=[
            line(1, "27447", place_of_service="22"),
            line(2, "J1745", units=10, end_date="2026-12-31", modifiers=["JZ"]),
        ],
        diagnoses=[
            {
                "code": "M17.11",
                "description": "Primary osteoarthritis, right knee",
                "primary": True,
            },
            {"code": "E11.9"},
        ],
    )

    bundle = build_pas_request_bundle(request, case_id="case-001", submitter_id="MERCY-01", now=NOW)
    Bundle.model_validate(bundle)  # structurally valid FHIR R4
    intake = parse_pas_request_bundle(bundle, _plan_for(request))

    assert intake.gaps == [] and intake.warnings == []
    parsed = intake.request
    assert parsed is not None
    expected = request.model_dump(exclude={"urgency_justification", "external_reference"})
    assert parsed.model_dump(exclude={"urgency_justification", "external_reference"}) == expected
    assert parsed.external_reference == "case-001"
    assert parsed.urgency == Urgency.EXPEDITED
    assert intake.urgency_source == "Claim.priority 'stat'"
    assert intake.claim_identifiers == [claim_identifier("case-001")]
    assert intake.items[0].certification_type == "I"


def _same_case(parsed: PriorAuthRequest | None, request: PriorAuthRequest) -> None:
    assert parsed is not None
    ignored = {"urgency_justification", "external_reference"}
    assert parsed.model_dump(exclude=ignored) == request.model_dump(exclude=ignored)


def test_round_trip_of_a_service_type_request_without_dates_nor_npi() -> None:
    member = request_data()["member"]
    del member["birth_date"]
    request = make_request(
        member=member,
        requesting_provider={"other_identifier": "ATYP-7781", "name": "Mercy Transport LLC"},
        servicing_provider={"npi": "1245319599", "name": "Jane Q Surgeon"},
        service_lines=[
            {
                "sequence": 1,
                "code_system": "x12_service_type",
                "code": "3",
                "description": "Consultation",
                "place_of_service": "11",
            },
            line(2, "97110", units=12, end_date="2026-12-31", modifiers=["GP"]),
            {
                "sequence": 3,
                "code_system": "x12_service_type",
                "code": "BZ",
                "description": "Physician Visit - Office: Well",
                "modifiers": ["59", "GP"],
            },
        ],
    )

    bundle = build_pas_request_bundle(request, case_id="case-st", submitter_id="S", now=NOW)
    Bundle.model_validate(bundle)
    resources = _resources(bundle)
    claim = bundle["entry"][0]["resource"]

    assert "birthDate" not in resources["Patient"]
    first, second, third = claim["item"]
    assert first["productOrService"]["coding"] == [
        {"system": X12_SERVICE_TYPE, "code": "3", "display": "Consultation"}
    ]
    assert not {"servicedDate", "servicedPeriod"} & (set(first) | set(third))
    assert second["servicedPeriod"] == {"start": "2026-12-01", "end": "2026-12-31"}
    assert [m["coding"][0]["system"] for m in third["modifier"]] == [
        "http://www.ama-assn.org/go/cpt",
        "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    ]
    requester_ref = claim["provider"]["reference"]
    requester = next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == requester_ref)
    assert requester["resourceType"] == "Organization"
    assert requester["identifier"] == [{"system": PROVIDER_ID_SYSTEM, "value": "ATYP-7781"}]
    assert resources["Practitioner"]["identifier"] == [
        {"system": NPI_SYSTEM, "value": "1245319599"}
    ]

    intake = parse_pas_request_bundle(bundle, _plan_for(request))
    assert intake.gaps == []
    _same_case(intake.request, request)
    assert intake.request is not None
    assert [s.code_system for s in intake.request.service_lines] == [
        CodeSystem.X12_SERVICE_TYPE,
        CodeSystem.CPT_HCPCS,
        CodeSystem.X12_SERVICE_TYPE,
    ]
    # The doubtful elements come back as warnings, each naming its element.
    assert sorted(w.expression or "" for w in intake.warnings) == sorted(
        [
            "Bundle.entry[1].resource.birthDate",
            "Bundle.entry[4].resource.identifier",
            "Bundle.entry[0].resource.item[0].productOrService",
            "Bundle.entry[0].resource.item[0].serviced",
            "Bundle.entry[0].resource.item[2].productOrService",
            "Bundle.entry[0].resource.item[2].serviced",
        ]
    )


@pytest.mark.parametrize(
    "name",
    ["conformant_pas_bundle_v110.json", "conformant_pas_bundle_v110_multiple_items.json"],
)
def test_a_case_opened_from_a_test_kit_bundle_is_sent_on_unchanged(name: str) -> None:
    request = parse_pas_request_bundle(load(name), PLAN).require_request()

    bundle = build_pas_request_bundle(request, case_id="case-kit", submitter_id="S", now=NOW)
    Bundle.model_validate(bundle)
    identifiers = [i for e in bundle["entry"][1:] for i in e["resource"].get("identifier", [])]
    assert {"system": PROVIDER_ID_SYSTEM, "value": "8189991234"} in identifiers
    assert not any(i.get("system") == NPI_SYSTEM for i in identifiers)  # no invalid NPI sent

    _same_case(parse_pas_request_bundle(bundle, PLAN).request, request)


def test_every_reference_resolves_and_claim_is_first() -> None:
    bundle = build_pas_request_bundle(
        make_request(servicing_provider={"npi": "1245319599", "name": "Jane Q Surgeon"}),
        case_id="case-002",
        submitter_id="MERCY-01",
        now=NOW,
    )
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    references = [
        ref for entry in bundle["entry"] for _, ref in iter_references(entry["resource"], "x")
    ]

    assert bundle["entry"][0]["resource"]["resourceType"] == "Claim"
    assert references and set(references) <= urls
    assert bundle["type"] == "collection"
    assert bundle["identifier"]["assigner"]["identifier"]["value"] == "MERCY-01"


def test_provider_kind_follows_the_npi_type() -> None:
    organization = make_request(requesting_provider={"npi": "2345678900", "name": "Mercy Clinic"})
    person = make_request()

    org_bundle = build_pas_request_bundle(organization, case_id="c-o", submitter_id="S", now=NOW)
    person_bundle = build_pas_request_bundle(person, case_id="c-p", submitter_id="S", now=NOW)

    assert "Organization" in {
        e["resource"]["resourceType"]
        for e in org_bundle["entry"][1:]
        if e["resource"].get("name") == "Mercy Clinic"
    }
    assert _resources(person_bundle)["Practitioner"]["name"][0]["text"] == "Dr. Ortho Example"


def test_building_twice_gives_the_same_message() -> None:
    request = make_request()
    first = build_pas_request_bundle(request, case_id="c", submitter_id="S", now=NOW)
    again = build_pas_request_bundle(request, case_id="c", submitter_id="S", now=NOW)
    other = build_pas_request_bundle(
        request, case_id="c", submitter_id="S", now=NOW, transaction_id="key-2"
    )

    assert first == again
    assert other["identifier"]["value"] == "key-2"
    assert other["entry"][0]["fullUrl"] != first["entry"][0]["fullUrl"]


def test_cancel_bundle_has_certification_type_3() -> None:
    request = make_request(service_lines=[line(1, "27447"), line(2, "97110", units=12)])

    bundle = build_cancel_bundle(request, case_id="case-9", submitter_id="S", now=NOW)

    claim = bundle["entry"][0]["resource"]
    assert claim["related"][0]["claim"]["identifier"] == {
        "system": "urn:priorauth:case",
        "value": "case-9",
    }
    intake = parse_pas_request_bundle(bundle, _plan_for(request))
    assert [i.certification_type for i in intake.items] == ["3", "3"]
    assert intake.certification_type == "3"


def test_inquiry_bundle_is_an_inquiry() -> None:
    bundle = build_inquiry_bundle(make_request(), case_id="case-3", submitter_id="S", now=NOW)

    intake = parse_pas_request_bundle(bundle)
    assert intake.kind == "inquiry"
    assert intake.member_id == "W123456789"
    assert intake.claim_identifiers[0].value == "case-3"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_pas_request_bundle(
            make_request(), case_id="c", submitter_id="S", now=datetime(2026, 1, 1)
        )
