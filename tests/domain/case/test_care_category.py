"""A case request says what it is for (Texas `care_category`), and the case's clock follows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.case.facts import CaseFacts
from domain.deadlines import DeadlineEvent, DeadlineResult, compute_deadline
from domain.models import PriorAuthRequest
from tests.domain.factories import request_data

RECEIVED = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # a Monday, 09:00 in Chicago


def texas_medicaid(**overrides: object) -> PriorAuthRequest:
    coverage = {
        "regime": "medicaid_managed_care",
        "state": "TX",
        "rating_period_start": "2026-01-01",
        "payer": {"name": "Lone Star Health", "payer_id": "LSH01", "timezone": "America/Chicago"},
        "plan_name": "STAR",
    }
    return PriorAuthRequest.model_validate(
        request_data(coverage=coverage, hospitalized=True, **overrides)
    )


def payer_clock(request: PriorAuthRequest) -> DeadlineResult:
    facts = CaseFacts.from_request("case-1", request, RECEIVED)
    return compute_deadline(facts.deadline_query(DeadlineEvent.INITIAL_REQUEST_DECISION))


def test_post_stabilization_care_gets_the_one_hour_clock() -> None:
    result = payer_clock(texas_medicaid(care_category="post_stabilization"))
    assert result.due_at - RECEIVED == timedelta(hours=1)
    assert result.rule == "Tex. Gov't Code § 540.0302(b)(3)"


def test_discharge_services_get_72_hours() -> None:
    result = payer_clock(texas_medicaid(care_category="discharge_services"))
    assert result.due_at - RECEIVED == timedelta(hours=72)
    assert "540.0302(b)" in result.rule


def test_without_a_category_the_case_keeps_its_ordinary_clock() -> None:
    plain = payer_clock(texas_medicaid())
    assert plain.due_at - RECEIVED > timedelta(hours=1)
    assert "(b)(3)" not in plain.rule


def test_an_unknown_category_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as raised:
        texas_medicaid(care_category="elective")
    assert raised.value.errors()[0]["loc"] == ("care_category",)
