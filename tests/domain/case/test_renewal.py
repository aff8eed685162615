"""The renewal of an authorization asks again for what was granted, as concurrent care from the
day after the authorization ends."""

from __future__ import annotations

from datetime import date

import pytest

from domain.case.renewal import NothingToRenewError, renewal_request
from domain.enums import ServiceTiming
from domain.models import ItemDecision, PriorAuthRequest
from tests.domain.factories import request_data

LINES = [
    {"sequence": 1, "code": "97110", "description": "Therapeutic exercise", "units": 12,
     "start_date": "2026-10-01", "end_date": "2026-12-31"},
    {"sequence": 2, "code": "97140", "description": "Manual therapy", "units": 6},
]  # fmt: skip


def decided(sequence: int, code: str, **fields: object) -> ItemDecision:
    return ItemDecision.model_validate({"sequence": sequence, "review_action_code": code, **fields})


def test_granted_items_continue_from_the_day_after_the_authorization() -> None:
    request = PriorAuthRequest.model_validate(request_data(service_lines=LINES))
    latest = {
        1: decided(1, "A1", authorization_number="AUTH-9", authorized_end=date(2026, 12, 31)),
        2: decided(2, "A3", reason_text="Not medically necessary"),
    }
    renewal = renewal_request(request, latest, "PA-2026-000042")
    assert renewal.service_timing == ServiceTiming.CONCURRENT
    (line,) = renewal.service_lines  # the denied line is not renewed
    assert (line.code, line.units) == ("97110", 12)
    assert (line.start_date, line.end_date) == (date(2027, 1, 1), None)
    assert renewal.external_reference == "Renewal of PA-2026-000042 (authorization AUTH-9)"
    assert renewal.member == request.member and renewal.diagnoses == request.diagnoses


def test_nothing_granted_nothing_to_renew() -> None:
    request = PriorAuthRequest.model_validate(request_data(service_lines=LINES))
    with pytest.raises(NothingToRenewError, match="PA-2026-000042 has no authorized item"):
        renewal_request(request, {1: decided(1, "A3", reason_text="No")}, "PA-2026-000042")
