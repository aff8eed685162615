"""Validation of a prior-authorization request: every rejection names its field and reason."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.enums import ItemOutcome, outcome_for_review_action
from domain.errors import describe, field_problems
from domain.limits import STORED_INT
from domain.models import ContactLogEntry, ItemDecision, PayerDecision, PriorAuthRequest
from tests.domain.factories import request_data


def _problems(data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        PriorAuthRequest.model_validate(data)
    return {p.field: p.message for p in field_problems(info.value)}


def test_valid_request_is_normalized() -> None:
    request = PriorAuthRequest.model_validate(request_data())
    assert request.diagnoses[0].code == "M17.11"
    assert request.member.full_name == "Testa Patientson"
    assert request.coverage.payer.timezone == "America/New_York"


def test_bad_npi_names_the_field() -> None:
    data = request_data(requesting_provider={"npi": "1234567890", "name": "Dr. X"})
    problems = _problems(data)
    assert "check digit" in problems["requesting_provider.npi"]


def test_every_bad_field_is_reported_at_once() -> None:
    data = request_data()
    data["service_lines"][0]["code"] = "XYZ"
    data["service_lines"][0]["units"] = 0
    data["diagnoses"][0]["code"] = "123"
    problems = _problems(data)
    assert set(problems) >= {
        "service_lines.0.code",
        "service_lines.0.units",
        "diagnoses.0.code",
    }
    assert "not a CPT code" in problems["service_lines.0.code"]


def test_service_dates_must_be_in_order() -> None:
    data = request_data()
    data["service_lines"][0]["end_date"] = "2026-11-01"
    problems = _problems(data)
    assert problems["service_lines.0"] == "end_date is before start_date"


def test_expedited_needs_a_justification() -> None:
    problems = _problems(request_data(urgency="expedited"))
    assert "urgency_justification is required" in problems["(request)"]
    PriorAuthRequest.model_validate(
        request_data(urgency="expedited", urgency_justification="Septic joint; surgery today.")
    )


def test_medicaid_coverage_needs_a_state() -> None:
    data = request_data()
    data["coverage"]["regime"] = "medicaid_managed_care"
    problems = _problems(data)
    assert "state is required" in problems["coverage"]


def test_unknown_fields_and_bad_time_zone_are_rejected() -> None:
    data = request_data(colour="blue")
    data["coverage"]["payer"]["timezone"] = "Mars/Olympus"
    problems = _problems(data)
    assert problems["colour"] == "Extra inputs are not permitted"
    assert "IANA time zone" in problems["coverage.payer.timezone"]


def test_duplicate_line_sequences_rejected() -> None:
    data = request_data()
    data["service_lines"].append(dict(data["service_lines"][0]))
    assert "own sequence number" in _problems(data)["(request)"]


def test_describe_lists_one_problem_per_line() -> None:
    data = request_data(requesting_provider={"npi": "1", "name": "Dr. X"})
    with pytest.raises(ValidationError) as info:
        PriorAuthRequest.model_validate(data)
    assert describe(info.value) == "requesting_provider.npi: an NPI is exactly 10 digits"


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("A1", ItemOutcome.APPROVED),
        ("a2", ItemOutcome.PARTIALLY_APPROVED),
        (" A3 ", ItemOutcome.DENIED),
        ("A4", ItemOutcome.PENDED),
        ("A6", ItemOutcome.APPROVED_MODIFIED),
        ("C", ItemOutcome.CANCELLED),
        ("CT", ItemOutcome.NEEDS_MANUAL_FOLLOWUP),
        ("NA", ItemOutcome.NOT_REQUIRED),
        ("PENDEDCODE", ItemOutcome.NEEDS_HUMAN_REVIEW),
        ("A5", ItemOutcome.NEEDS_HUMAN_REVIEW),
        ("86", ItemOutcome.NEEDS_HUMAN_REVIEW),
        ("", ItemOutcome.NEEDS_HUMAN_REVIEW),
        (None, ItemOutcome.NEEDS_HUMAN_REVIEW),
    ],
)
def test_x12_review_actions_map_and_unknown_needs_a_human(
    code: str | None, outcome: ItemOutcome
) -> None:
    assert outcome_for_review_action(code) == outcome


def test_item_decision_derives_outcome_and_requires_denial_reason() -> None:
    approved = ItemDecision(sequence=1, review_action_code="A1", authorization_number="AUTH1")
    assert approved.outcome == ItemOutcome.APPROVED
    assert not approved.is_adverse
    with pytest.raises(ValidationError, match="specific reason"):
        ItemDecision(sequence=1, review_action_code="A3")
    denied = ItemDecision(sequence=1, review_action_code="A3", reason_text="Not necessary.")
    assert denied.is_adverse


def test_payer_decision_needs_aware_time_and_unique_items() -> None:
    item = {"sequence": 1, "review_action_code": "A1"}
    with pytest.raises(ValidationError, match="timezone"):
        PayerDecision(decision_id="d1", decided_at=datetime(2026, 1, 1), items=[item])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="once per decision"):
        PayerDecision.model_validate(
            {"decision_id": "d1", "decided_at": datetime.now(UTC), "items": [item, item]}
        )


def test_a_call_without_reference_number_is_rejected() -> None:
    with pytest.raises(ValidationError, match="reference_number is required for a call"):
        ContactLogEntry(channel="call", occurred_at=datetime.now(UTC), summary="Spoke to rep")  # type: ignore[arg-type]


def test_x12_service_type_lines_and_providers_without_npi_are_representable() -> None:
    # What a PAS service-type request carries: an X12 service type code, no date, and a
    # provider identifier that is not a valid NPI.
    data = request_data(
        requesting_provider={"other_identifier": "8189991234", "name": "Example Clinic"}
    )
    data["service_lines"] = [
        {"sequence": 1, "code_system": "x12_service_type", "code": "3", "description": "Consult"}
    ]
    request = PriorAuthRequest.model_validate(data)
    assert request.service_lines[0].code == "3"
    assert request.requesting_provider.identifier_label == "ID 8189991234"


def test_a_provider_needs_some_identifier_and_codes_follow_their_system() -> None:
    problems = _problems(request_data(requesting_provider={"name": "Dr. Nobody"}))
    assert "npi is required" in problems["requesting_provider"]
    data = request_data()
    data["service_lines"][0]["code_system"] = "x12_service_type"
    data["service_lines"][0]["code"] = "27447"
    assert "X12 service type" in _problems(data)["service_lines.0.code"]


def test_approved_units_past_an_integer_column_are_refused_naming_the_field() -> None:
    """The store keeps approved units in an INTEGER column (int4 on PostgreSQL)."""
    assert ItemDecision(sequence=1, approved_units=STORED_INT).approved_units == STORED_INT
    with pytest.raises(ValidationError) as refused:
        ItemDecision(sequence=1, approved_units=STORED_INT + 1)
    assert refused.value.errors()[0]["loc"] == ("approved_units",)


def test_continuity_of_care_belongs_to_medicare_advantage() -> None:
    data = request_data()
    data["coverage"] = {**data["coverage"], "continuity_of_care_from": "2026-11-01"}
    assert PriorAuthRequest.model_validate(data).coverage.continuity_of_care_from is not None
    data["coverage"] = {**data["coverage"], "regime": "erisa_group"}
    with pytest.raises(ValidationError, match="continuity_of_care_from applies to Medicare"):
        PriorAuthRequest.model_validate(data)
