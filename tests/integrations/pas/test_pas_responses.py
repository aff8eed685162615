"""PAS ClaimResponse bundles and subscription notifications → PayerDecision."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.enums import ItemOutcome
from integrations.pas.errors import PasValidationError
from integrations.pas.response_builder import (
    AddedItem,
    ClaimResponseSpec,
    CodeSpec,
    ItemResult,
    build_claim_response,
    build_notification_bundle,
    build_response_bundle,
)
from integrations.pas.responses import (
    parse_claim_response_bundle,
    parse_claim_response_details,
    parse_subscription_notification,
)
from tests.integrations.pas_helpers import load

REVIEW_ACTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"


def _review_action(bundle: dict[str, Any], position: int = 0) -> dict[str, Any]:
    item = bundle["entry"][0]["resource"]["item"][position]
    action: dict[str, Any] = item["adjudication"][0]["extension"][0]
    assert action["url"] == REVIEW_ACTION
    return action


def test_approval_fixture() -> None:
    decision = parse_claim_response_bundle(load("valid_pa_response_bundle.json"))

    assert decision.source == "pas"
    assert decision.decided_at == datetime(2005, 5, 2, 6, 2, tzinfo=UTC)
    assert decision.payer_reference == "AUTH0001"
    [item] = decision.items
    assert item.sequence == 1
    assert item.review_action_code == "A1"
    assert item.review_action_display == "Certified in total"
    assert item.outcome == ItemOutcome.APPROVED
    assert item.authorization_number == "AUTH0001"
    assert item.approved_units == 1
    assert (item.authorized_start, item.authorized_end) == (date(2005, 5, 2), date(2005, 6, 2))


def test_denial_fixture_without_a_reason_waits_for_a_human() -> None:
    """The test kit's A3 has neither reasonCode nor processNote; CMS-0057-F wants a reason."""
    decision = parse_claim_response_bundle(load("valid_pa_response_bundle_denial.json"))

    [item] = decision.items
    assert item.review_action_code == "A3"
    assert item.review_action_display == "Not Certified"
    assert item.outcome == ItemOutcome.NEEDS_HUMAN_REVIEW
    assert item.authorization_number is None  # a review number, not an authorization
    assert decision.payer_reference == "AUTH0001"
    assert decision.note is not None
    assert "without a reason code or processNote" in decision.note
    assert "CMS-0057-F" in decision.note


def test_denial_with_reason_keeps_the_text_verbatim() -> None:
    bundle = copy.deepcopy(load("valid_pa_response_bundle_denial.json"))
    reason = "Not medically necessary: criteria 2.b of policy MP-123 (v4) are not met.\n  See p. 3."
    claim_response = bundle["entry"][0]["resource"]
    claim_response["processNote"] = [{"number": 1, "type": "print", "text": reason}]
    claim_response["item"][0]["noteNumber"] = [1]
    _review_action(bundle)["extension"].insert(
        1,
        {
            "url": "reasonCode",
            "valueCodeableConcept": {
                "coding": [{"system": "https://codesystem.x12.org/005010/886", "code": "0C"}]
            },
        },
    )

    [item] = parse_claim_response_bundle(bundle).items

    assert item.outcome == ItemOutcome.DENIED
    assert item.reason_code == "0C"
    assert item.reason_text == reason.strip()  # FHIR strings are compared trimmed
    assert item.is_adverse


def test_inquire_response_is_the_same_decision_as_the_submit_response() -> None:
    submit = parse_claim_response_details(load("valid_pa_response_bundle.json"))
    inquiry = parse_claim_response_details(load("valid_pa_inquire_response_bundle.json"))

    assert inquiry.inquiry and not submit.inquiry
    assert inquiry.decision is not None and submit.decision is not None
    assert inquiry.decision.items[0].outcome == ItemOutcome.APPROVED
    # Re-delivered by $inquire: recognized as the decision already applied.
    assert inquiry.decision.decision_id == submit.decision.decision_id
    assert inquiry.member_id == "12345678901"
    assert inquiry.trace_numbers() == {"111099"}


def test_missing_elements_fixture_names_each_missing_element() -> None:
    with pytest.raises(PasValidationError) as caught:
        parse_claim_response_bundle(load("pa_response_bundle_missing_elements.json"))

    issues = caught.value.to_operation_outcome()["issue"]
    errors = [
        (i["code"], i["expression"][0], i["diagnostics"])
        for i in issues
        if i["severity"] == "error"
    ]
    assert errors == [
        (
            "required",
            "Bundle.timestamp",
            "Bundle.timestamp is missing (required by the PAS response bundle)",
        ),
        (
            "required",
            "Bundle.entry[0].resource.created",
            "ClaimResponse.created is missing: it is required (1..1) and is when the payer decided",
        ),
    ]
    warnings = {i["expression"][0] for i in issues if i["severity"] == "warning"}
    assert warnings == {
        "Bundle.entry[0].resource.patient",
        "Bundle.entry[0].resource.insurer",
        "Bundle.entry[0].resource.requestor",
    }


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_x12_code_system_scheme_is_normalized(scheme: str) -> None:
    bundle = copy.deepcopy(load("valid_pa_response_bundle.json"))
    coding = _review_action(bundle)["extension"][1]["valueCodeableConcept"]["coding"][0]
    coding["system"] = f"{scheme}://codesystem.x12.org/005010/306"

    [item] = parse_claim_response_bundle(bundle).items

    assert item.outcome == ItemOutcome.APPROVED


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("A2", ItemOutcome.PARTIALLY_APPROVED),
        ("a4", ItemOutcome.PENDED),
        ("CT", ItemOutcome.NEEDS_MANUAL_FOLLOWUP),
        ("NA", ItemOutcome.NOT_REQUIRED),
        ("C", ItemOutcome.CANCELLED),
        ("A5", ItemOutcome.NEEDS_HUMAN_REVIEW),
        ("86", ItemOutcome.NEEDS_HUMAN_REVIEW),
        ("PENDEDCODE", ItemOutcome.NEEDS_HUMAN_REVIEW),
    ],
)
def test_review_action_codes(code: str, expected: ItemOutcome) -> None:
    bundle = copy.deepcopy(load("valid_pa_response_bundle.json"))
    coding = _review_action(bundle)["extension"][1]["valueCodeableConcept"]["coding"][0]
    coding["code"] = code

    [item] = parse_claim_response_bundle(bundle).items

    assert item.outcome == expected
    assert item.review_action_code == code


def test_a_review_action_code_longer_than_any_x12_code_waits_for_a_human() -> None:
    """Its column holds 16 characters: the code is kept as display text, never stored half."""
    bundle = copy.deepcopy(load("valid_pa_response_bundle.json"))
    coding = _review_action(bundle)["extension"][1]["valueCodeableConcept"]["coding"][0]
    coding["code"] = "NOT-AN-X12-REVIEW-ACTION-CODE"

    response = parse_claim_response_details(bundle)

    assert response.decision is not None
    [item] = response.decision.items
    assert item.outcome == ItemOutcome.NEEDS_HUMAN_REVIEW
    assert item.review_action_code is None
    assert "NOT-AN-X12-REVIEW-ACTION-CODE" in (item.review_action_display or "")
    assert any("could not be read as a decision" in w.diagnostics for w in response.warnings)


def test_item_without_review_action_needs_a_human() -> None:
    bundle = copy.deepcopy(load("valid_pa_response_bundle.json"))
    bundle["entry"][0]["resource"]["item"][0]["adjudication"][0].pop("extension")

    response = parse_claim_response_details(bundle)

    assert response.decision is not None
    assert response.decision.items[0].outcome == ItemOutcome.NEEDS_HUMAN_REVIEW
    assert any("has no reviewAction code" in w.diagnostics for w in response.warnings)


def test_notification_fixture_pendedcode_needs_human_review() -> None:
    notification = parse_subscription_notification(
        load("PAS_notification_example_full_resource.json")
    )

    assert notification.notification_type == "event-notification"
    assert notification.subscription == "https://example.org/fhir/Subscription/admission"
    assert notification.topic == (
        "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"
    )
    assert notification.event_number == 1
    assert notification.events_since_start == 1
    assert notification.focus == "urn:uuid:482fd012-7825-423d-83de-69d09920198b"
    decision = notification.decision
    assert decision is not None
    [item] = decision.items
    assert item.review_action_code == "PENDEDCODE"
    assert item.review_action_display == "Pended"
    assert item.outcome == ItemOutcome.NEEDS_HUMAN_REVIEW
    assert item.authorized_start is None  # a pended item authorizes nothing
    assert decision.note is not None and "PENDEDCODE (Pended)" in decision.note
    assert notification.member_id == "12345678901"
    assert [i.value for i in notification.request_identifiers] == ["1263291"]
    assert notification.response is not None
    assert notification.response.outcome == "queued"
    assert notification.response.requestor_identifiers[0].value == "8189991234"


def test_duplicate_delivery_has_the_same_decision_id() -> None:
    raw = (load("PAS_notification_example_full_resource.json"),)
    first = parse_subscription_notification(copy.deepcopy(raw[0]))
    again = parse_subscription_notification(json.loads(json.dumps(raw[0])))
    assert first.decision is not None and again.decision is not None
    assert first.decision.decision_id == again.decision.decision_id

    later = copy.deepcopy(raw[0])
    later["entry"][1]["resource"]["created"] = "2024-02-02T09:00:00Z"
    changed = parse_subscription_notification(later)
    assert changed.decision is not None
    assert changed.decision.decision_id != first.decision.decision_id


def test_notification_with_a_broken_response_points_at_its_own_entries() -> None:
    data = copy.deepcopy(load("PAS_notification_example_full_resource.json"))
    del data["entry"][1]["resource"]["item"]

    with pytest.raises(PasValidationError) as caught:
        parse_subscription_notification(data)

    [issue] = caught.value.errors
    assert issue.expression == "Bundle.entry[1].resource.item"
    assert "ClaimResponse.item is missing" in issue.diagnostics


def test_handshake_and_id_only_notifications_carry_no_decision() -> None:
    data = copy.deepcopy(load("PAS_notification_example_full_resource.json"))
    status = data["entry"][0]["resource"]
    for parameter in status["parameter"]:
        if parameter["name"] == "type":
            parameter["valueCode"] = "handshake"
    handshake = parse_subscription_notification(data)
    assert handshake.notification_type == "handshake" and handshake.decision is None

    id_only = copy.deepcopy(load("PAS_notification_example_full_resource.json"))
    id_only["entry"] = id_only["entry"][:1]
    parsed = parse_subscription_notification(id_only)
    assert parsed.decision is None
    assert parsed.focus == "urn:uuid:482fd012-7825-423d-83de-69d09920198b"


def test_notification_must_be_a_history_bundle() -> None:
    with pytest.raises(PasValidationError) as caught:
        parse_subscription_notification(load("valid_pa_response_bundle.json"))
    assert "a subscription notification is a 'history' bundle" in str(caught.value)


def _built(items: list[ItemResult], **spec: Any) -> dict[str, Any]:
    claim_response = build_claim_response(
        ClaimResponseSpec(
            id="cr-1",
            created=datetime(2026, 11, 3, 15, 0, tzinfo=UTC),
            patient={"reference": "urn:uuid:p"},
            insurer={"reference": "urn:uuid:i"},
            requestor={"reference": "urn:uuid:r"},
            identifiers=[{"system": "urn:priorauth:case", "value": "case-1"}],
            items=items,
            **spec,
        )
    )
    return build_response_bundle(
        claim_response,
        claim_response_url="urn:uuid:cr-1",
        others=[
            ("urn:uuid:p", {"resourceType": "Patient", "id": "p"}),
            ("urn:uuid:i", {"resourceType": "Organization", "id": "i", "name": "Payer"}),
            ("urn:uuid:r", {"resourceType": "Organization", "id": "r", "name": "Clinic"}),
        ],
        timestamp=datetime(2026, 11, 3, 15, 0, tzinfo=UTC),
        bundle_id="b-1",
    )


def test_partial_modified_and_pended_items() -> None:
    bundle = _built(
        [
            ItemResult(
                sequence=1,
                review_action="A2",
                number="AUTH-P",
                period_start=date(2026, 12, 1),
                period_end=date(2027, 2, 28),
                authorized_quantity=5,
                note="Approved 5 of 10 units requested.",
            ),
            ItemResult(
                sequence=2,
                review_action="A6",
                number="AUTH-M",
                added=AddedItem(
                    product_or_service=CodeSpec("72148", "http://www.ama-assn.org/go/cpt"),
                    quantity=1,
                    start=date(2026, 12, 1),
                    end=date(2026, 12, 31),
                    note="Approved at a freestanding imaging center",
                ),
            ),
            ItemResult(sequence=3, review_action="A4"),
        ],
        pre_auth_ref="PA-77",
    )

    decision = parse_claim_response_bundle(bundle)

    partial, modified, pended = decision.items
    assert partial.outcome == ItemOutcome.PARTIALLY_APPROVED
    assert partial.approved_units == 5
    assert partial.reason_text == "Approved 5 of 10 units requested."
    assert partial.authorization_number == "AUTH-P"
    assert modified.outcome == ItemOutcome.APPROVED_MODIFIED
    assert modified.approved_units == 1
    assert (modified.authorized_start, modified.authorized_end) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    assert modified.modification == (
        "Authorized instead: 72148, 1 unit(s), from 2026-12-01 to 2026-12-31, "
        "Approved at a freestanding imaging center"
    )
    assert pended.outcome == ItemOutcome.PENDED
    assert pended.authorization_number is None
    assert decision.payer_reference == "PA-77"


def test_modified_without_add_item_is_flagged() -> None:
    response = parse_claim_response_details(
        _built([ItemResult(sequence=1, review_action="A6", number="N1")])
    )
    assert response.decision is not None
    assert response.decision.items[0].outcome == ItemOutcome.APPROVED_MODIFIED
    assert any("no addItem names its sequence" in w.diagnostics for w in response.warnings)


def test_rejected_request_has_no_decision() -> None:
    bundle = _built([], outcome="error")
    bundle["entry"][0]["resource"]["error"] = [
        {"code": {"coding": [{"system": "https://codesystem.x12.org/005010/901", "code": "15"}]}}
    ]

    response = parse_claim_response_details(bundle)
    assert response.decision is None and response.errors == ["15"]
    with pytest.raises(PasValidationError) as caught:
        parse_claim_response_bundle(bundle)
    assert "the payer rejected the request (15)" in str(caught.value)


def test_request_for_information_from_communication_request() -> None:
    bundle = _built(
        [ItemResult(sequence=1, review_action="A4")],
        communication_requests=[{"reference": "urn:uuid:cr-rfi"}],
    )
    bundle["entry"].append(
        {
            "fullUrl": "urn:uuid:cr-rfi",
            "resource": {
                "resourceType": "CommunicationRequest",
                "id": "cr-rfi",
                "status": "active",
                "payload": [{"contentString": "Physical therapy plan of care"}],
                "occurrencePeriod": {"start": "2026-11-03", "end": "2026-11-17T17:00:00Z"},
            },
        }
    )

    response = parse_claim_response_details(bundle)

    assert response.rfi is not None
    assert response.rfi.items_requested == ["Physical therapy plan of care"]
    assert response.rfi.respond_by == datetime(2026, 11, 17, 17, 0, tzinfo=UTC)


def test_notification_built_by_us_round_trips() -> None:
    response_bundle = _built([ItemResult(sequence=1, review_action="A1", number="AUTH-9")])
    notification = build_notification_bundle(
        response_bundle,
        subscription_url="https://payer.example/fhir/Subscription/s1",
        event_number=7,
        timestamp=datetime(2026, 11, 3, 15, 1, tzinfo=UTC),
        notification_id="n-7",
    )

    parsed = parse_subscription_notification(notification)

    assert parsed.event_number == 7
    assert parsed.subscription == "https://payer.example/fhir/Subscription/s1"
    assert parsed.decision is not None
    assert parsed.decision.items[0].authorization_number == "AUTH-9"
    assert parsed.response is not None and parsed.response.warnings == []


def test_nested_response_bundle_in_a_notification() -> None:
    response_bundle = _built([ItemResult(sequence=1, review_action="A1", number="AUTH-N")])
    notification = build_notification_bundle(
        response_bundle,
        subscription_url="https://payer.example/fhir/Subscription/s1",
        event_number=2,
        timestamp=datetime(2026, 11, 3, 15, 1, tzinfo=UTC),
        notification_id="n-2",
    )
    notification["entry"] = [
        notification["entry"][0],
        {"fullUrl": "urn:uuid:b-1", "resource": response_bundle},
    ]
    for parameter in notification["entry"][0]["resource"]["parameter"]:
        if parameter["name"] == "notification-event":
            parameter["part"] = [p for p in parameter["part"] if p["name"] != "additional-context"]
            for part in parameter["part"]:
                if part["name"] == "focus":
                    part["valueReference"]["reference"] = "urn:uuid:b-1"

    parsed = parse_subscription_notification(notification)

    assert parsed.decision is not None
    assert parsed.decision.items[0].authorization_number == "AUTH-N"
